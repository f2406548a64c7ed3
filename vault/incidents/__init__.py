"""The incident register: when something goes wrong, the HIPAA breach steps with their clock.

Reached as `vault.incidents` on an unlocked vault. An incident is opened (by hand, or by
`backup lost` with the drive's facts), assessed on the four factors of 45 CFR 164.402(2) with
what Confide knows filled in, and concluded by the clinician with reasons: not a breach under
the encryption safe harbor, a low probability of compromise, or a breach. A breach (and any
incident not yet concluded, which the rule presumes to be one) has a deadline 60 days after
discovery (164.404(b)); each affected client gets a letter (164.404(c)) and each notice sent
is recorded; the year's breaches under 500 make the log for HHS (164.408(c)).
Every step is audited with identifiers and counts only.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records import validate as _fields
from ..records.audit import Action
from ..records.validate import clean_text as clean
from ..storage.database import Row, now_utc
from . import notice as _notice
from .models import (
    MEDIA_THRESHOLD,
    RECORD_KINDS,
    AffectedClient,
    Conclusion,
    Incident,
    IncidentKind,
    IncidentStepError,
    KeysCompromised,
    MediaCopy,
    Notice,
    hhs_due,
)

if TYPE_CHECKING:
    from ..disclosures.document import Document
    from ..vault import Vault

__all__ = [
    "AffectedClient",
    "Conclusion",
    "HhsLog",
    "Incident",
    "IncidentKind",
    "IncidentStepError",
    "Incidents",
    "KeysCompromised",
    "MediaCopy",
    "Notice",
    "hhs_due",
]

TEMPLATE_KEY = "incidents.notice_template"
LETTER_FIELDS = ("what_happened", "information", "steps", "practice_actions", "contact")
_NOTICE_METHODS = ("mail", "email", "hand", "phone", "substitute")


def _record_id(ref: int | str) -> str:
    if isinstance(ref, int):
        return f"C-{ref:05d}"
    text = ref.strip().upper().removeprefix("C-").removeprefix("C")
    if not text.isdigit():
        raise UsageError(f"{ref!r} is not a client record id (for example C-00012)")
    return f"C-{int(text):05d}"


def _kind(value: IncidentKind | str) -> IncidentKind:
    try:
        return IncidentKind(str(value).strip().lower().replace("-", "_"))
    except ValueError:
        raise UsageError(
            f"unknown incident kind {value!r}; use one of "
            + ", ".join(k.value for k in IncidentKind)
        ) from None


def _conclusion(value: Conclusion | str) -> Conclusion:
    key = str(value).strip().lower().replace("-", "_")
    key = {"safe_harbor": "not_breach", "low": "low_probability"}.get(key, key)
    try:
        return Conclusion(key)
    except ValueError:
        raise UsageError(
            f"unknown conclusion {value!r}; use not-breach (safe harbor), low-probability or breach"
        ) from None


def _keys(value: KeysCompromised | str) -> KeysCompromised:
    try:
        return KeysCompromised(str(value).strip().lower())
    except ValueError:
        raise UsageError(
            f"may the passphrase or recovery sheet be compromised: answer yes, "
            f"no or unknown, not {value!r}"
        ) from None


def _text(value: str | None, what: str, *, required: bool = False) -> str:
    if value is None or not value.strip():
        if required:
            raise UsageError(f"{what} is empty")
        return ""
    return _fields.long_text(value, what, max_chars=10_000)


def _names_in(vault: Vault, texts: Iterable[tuple[str, str]]) -> None:
    """Refuse a client's name in the register's text: the register outlives disposal (a name
    kept here would survive the client's records, and disposal's check would find it), and the
    letter wording goes to every affected client alike. Record ids say who."""
    chosen = [(t, what) for t, what in texts if t]
    if not chosen:
        return
    for row in vault.db.query("SELECT id, display_name, legal_name FROM clients"):
        for name in (row["display_name"], row["legal_name"]):
            if not name or len(name.strip()) < 3:
                continue
            pattern = re.compile(r"(?<!\w)" + re.escape(name.strip()) + r"(?!\w)", re.I)
            for text, what in chosen:
                if pattern.search(text):
                    raise UsageError(
                        f"{what} names a client; write their record id "
                        f"(C-{int(row['id']):05d}) instead: the register is kept "
                        "after the client's records are disposed of"
                    )


def _notice_row(row: Row) -> Notice:
    return Notice(
        int(row["id"]),
        int(row["incident_id"]),
        row["record_id"],
        row["state"],
        row["method"],
        row["sent_on"],
        row["format"],
        row["sha256"],
        row["recorded_at"],
    )


@dataclass(frozen=True)
class HhsLogEntry:
    incident: str
    breach_start: str
    breach_end: str
    discovered_on: str
    individuals: int
    type: str
    location: str
    information: str
    description: str
    safeguards: str
    notice_dates: str
    actions: str


@dataclass(frozen=True)
class HhsLog:
    """The breaches discovered in one calendar year, ready to copy into HHS's form."""

    year: int
    due: str
    under_500: tuple[HhsLogEntry, ...]
    at_least_500: tuple[str, ...]  # reported to HHS at the time, not in the annual log
    practice: tuple[str, ...]

    def text(self) -> str:
        out = [
            f"# HHS breach log {self.year}: breaches affecting fewer than "
            f"{MEDIA_THRESHOLD} individuals",
            "",
        ]
        out += [
            f"Practice: {', '.join(self.practice)}",
            f"Report to the Secretary of HHS by {self.due} (within 60 days after the end "
            "of the calendar year, 45 CFR 164.408(c)), one entry per breach, at "
            "https://ocrportal.hhs.gov/ocr/breach/",
            "",
        ]
        if not self.under_500:
            out.append(
                f"No breach affecting fewer than {MEDIA_THRESHOLD} individuals was "
                f"discovered in {self.year}: nothing to report for the year."
            )
        for e in self.under_500:
            out += [
                f"## {e.incident}",
                "",
                f"- Breach start date: {e.breach_start}",
                f"- Breach end date: {e.breach_end}",
                f"- Discovery date: {e.discovered_on}",
                f"- Approximate number of individuals affected: {e.individuals}",
                f"- Type of breach: {e.type}",
                f"- Location of breached information: {e.location}",
                f"- Type of protected health information involved: {e.information}",
                f"- Brief description of the breach: {e.description}",
                f"- Safeguards in place prior to the breach: {e.safeguards}",
                f"- Individual notice provided: {e.notice_dates}",
                f"- Actions taken in response: {e.actions}",
                "",
            ]
        if self.at_least_500:
            out += [
                "",
                f"Not in this log: {', '.join(self.at_least_500)} affected "
                f"{MEDIA_THRESHOLD} or more individuals and is reported to HHS and the "
                "media at the time of the individual notices (164.406, 164.408(b)).",
            ]
        return "\n".join(out).rstrip("\n") + "\n"


class Incidents:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # -- reading

    def _row(self, incident_id: int) -> Row:
        row = self._vault.db.one("SELECT * FROM incidents WHERE id = ?", (incident_id,))
        if row is None:
            raise NotFoundError(f"no incident I-{incident_id:06d}")
        return row

    def _load(self, row: Row) -> Incident:
        db = self._vault.db
        iid = int(row["id"])
        clients = tuple(
            AffectedClient(
                r["record_id"],
                tuple(json.loads(r["kinds"])),
                int(r["notes"]),
                r["source"],
                self._vault.clients.exists(int(r["record_id"].removeprefix("C-"))),
            )
            for r in db.query(
                "SELECT * FROM incident_clients WHERE incident_id = ? ORDER BY record_id", (iid,)
            )
        )
        notices = tuple(
            _notice_row(r)
            for r in db.query(
                "SELECT * FROM incident_notices WHERE incident_id = ? ORDER BY id", (iid,)
            )
        )
        keys = row["keys_compromised"]
        conclusion = row["conclusion"]
        return Incident(
            id=iid,
            kind=IncidentKind(row["kind"]),
            occurred_on=row["occurred_on"],
            discovered_on=row["discovered_on"],
            description=row["description"],
            media=row["media"],
            containment=row["containment"],
            source=row["source"],
            copies=tuple(MediaCopy.from_json(c) for c in json.loads(row["copies"])),
            clients=clients,
            keys_compromised=KeysCompromised(keys) if keys else None,
            nature=row["factor_nature"],
            recipient=row["factor_recipient"],
            acquired=row["factor_acquired"],
            mitigation=row["factor_mitigation"],
            conclusion=Conclusion(conclusion) if conclusion else None,
            conclusion_reason=row["conclusion_reason"],
            concluded_on=row["concluded_on"],
            letter=dict(json.loads(row["letter"])),
            status=row["status"],
            closed_on=row["closed_on"],
            close_note=row["close_note"],
            created_at=row["created_at"],
            notices=notices,
        )

    def get(self, incident_id: int) -> Incident:
        incident = self._load(self._row(incident_id))
        self._vault.audit.record(Action.VIEW, "incident", incident_id)
        return incident

    def list(self, *, include_closed: bool = True) -> builtins.list[Incident]:
        where = "" if include_closed else "WHERE status = 'open' "
        return [
            self._load(r)
            for r in self._vault.db.query(
                f"SELECT * FROM incidents {where}ORDER BY discovered_on DESC, id DESC"
            )
        ]

    # -- opening

    def open(
        self,
        kind: IncidentKind | str,
        discovered_on: str | date,
        description: str,
        *,
        occurred_on: str | date | None = None,
        media: str = "",
        containment: str = "",
        clients: Iterable[int | str] = (),
        kinds: Sequence[str] = ("identity",),
        releases: Iterable[int] = (),
        copies: Sequence[MediaCopy] = (),
        source: str = "",
        today: date | None = None,
    ) -> Incident:
        """Record an incident. Clients come chosen (`clients`, with the record `kinds` they
        had exposed), from the disclosure log (`releases`: a release sent to the wrong
        person), or from the backup catalog (`copies`, each naming the clients it held)."""
        vault = self._vault
        kind_ = _kind(kind)
        now = today or date.today()
        found = _fields.required_day(discovered_on, "the discovery date")
        if found > now:
            raise UsageError(f"the discovery date {found} is in the future")
        happened = _fields.day(occurred_on, "the date it happened")
        if happened is not None and happened > found:
            raise UsageError(
                f"it cannot have happened ({happened}) after it was discovered ({found})"
            )
        text = _text(description, "what happened", required=True)
        media_ = _fields.one_line(media, "the media", max_chars=300, required=False) or ""
        contain = _text(containment, "the containment")
        bad_kinds = [k for k in kinds if k not in RECORD_KINDS]
        if bad_kinds:
            raise UsageError(
                f"unknown record kind {bad_kinds[0]!r}; use " + ", ".join(RECORD_KINDS)
            )
        affected: dict[str, tuple[tuple[str, ...], int, str]] = {}
        for ref in clients:
            rid = _record_id(ref)
            cid = int(rid[2:])
            if not vault.clients.exists(cid):
                raise NotFoundError(f"no client {rid}")
            notes = self._note_count(cid) if "notes" in kinds else 0
            affected[rid] = (tuple(kinds), notes, "chosen")
        for release in releases:
            d = vault.disclosures.get(release)
            rid = _record_id(d.client_id)
            affected[rid] = (("identity", "release"), len(d.note_ids), "disclosure")
        held = {rid for copy in copies for rid in copy.record_ids}
        for rid in sorted(held):
            cid = int(_record_id(rid)[2:])
            if rid not in affected:
                affected[rid] = (
                    ("identity", "notes", "psychotherapy_notes"),
                    self._note_count(cid),
                    "catalog",
                )
        nature = _prefill_nature(affected, copies)
        _names_in(
            vault, ((text, "what happened"), (media_, "the media"), (contain, "the containment"))
        )
        with vault.db.atomic():
            iid = vault.db.next_id("incidents")
            stamp = now_utc()
            vault.db.execute(
                "INSERT INTO incidents (id, kind, occurred_on, discovered_on, description, "
                "media, containment, source, copies, factor_nature, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    iid,
                    kind_.value,
                    happened.isoformat() if happened else None,
                    found.isoformat(),
                    text,
                    media_,
                    contain,
                    _fields.one_line(source, "the source", max_chars=300, required=False) or "",
                    json.dumps([c.to_json() for c in copies], sort_keys=True),
                    nature,
                    stamp,
                    stamp,
                ),
            )
            for rid, (ks, notes, how) in sorted(affected.items()):
                vault.db.execute(
                    "INSERT INTO incident_clients VALUES (?, ?, ?, ?, ?)",
                    (iid, rid, json.dumps(list(ks)), notes, how),
                )
            vault.audit.record(
                Action.INCIDENT_OPEN,
                "incident",
                iid,
                kind=kind_.value,
                clients=len(affected),
                copies=len(copies),
            )
        return self._load(self._row(iid))

    def _note_count(self, client_id: int) -> int:
        return int(
            self._vault.db.scalar("SELECT count(*) FROM notes WHERE client_id = ?", (client_id,))
        )

    def add_clients(
        self, incident_id: int, clients: Iterable[int | str], kinds: Sequence[str] = ("identity",)
    ) -> Incident:
        vault = self._vault
        self._open_row(incident_id)
        with vault.db.atomic():
            added = 0
            for ref in clients:
                rid = _record_id(ref)
                cid = int(rid[2:])
                if not vault.clients.exists(cid):
                    raise NotFoundError(f"no client {rid}")
                cur = vault.db.execute(
                    "INSERT OR IGNORE INTO incident_clients VALUES (?, ?, ?, ?, 'chosen')",
                    (
                        incident_id,
                        rid,
                        json.dumps(list(kinds)),
                        self._note_count(cid) if "notes" in kinds else 0,
                    ),
                )
                added += int(cur.rowcount)
            self._touch(incident_id)
            vault.audit.record(Action.INCIDENT_EDIT, "incident", incident_id, clients=added)
        return self._load(self._row(incident_id))

    def _open_row(self, incident_id: int) -> Row:
        row = self._row(incident_id)
        if row["status"] != "open":
            raise UsageError(f"incident I-{incident_id:06d} is closed; it can no longer change")
        return row

    def _touch(self, incident_id: int) -> None:
        self._vault.db.execute(
            "UPDATE incidents SET updated_at = ? WHERE id = ?", (now_utc(), incident_id)
        )

    # -- the four-factor risk assessment (164.402(2))

    def known_facts(self, incident: Incident) -> builtins.list[str]:
        """What Confide knows, for the assessment: every copy's encryption, loud warnings."""
        lines: list[str] = []
        for copy in incident.copies:
            lines.append(
                f"{copy.label} (made {copy.created_at}): {copy.archive_cipher} "
                f"{copy.archive_key_bits}-bit archive key; {copy.database_cipher}; "
                f"keys wrapped under {copy.describe_kdf()}; "
                f"{len(copy.record_ids)} client(s)"
            )
            if copy.weak_kdf:
                lines.append(
                    f"WARNING: {copy.label} was written with the weak test "
                    "key-derivation preset: its passphrase can be guessed far "
                    "faster than a real vault's. Do not rely on the encryption "
                    "safe harbor for it."
                )
        if incident.copies and not incident.weak_copies:
            lines.append(
                "Every copy was encrypted before it was written (AES-256, keys from "
                "Argon2id at Confide's settings): the encryption safe harbor "
                "applies if the keys were not compromised."
            )
        if incident.keys_compromised is None:
            lines.append(
                "Not answered yet: may the passphrase or the recovery sheet also be "
                "compromised (written down with the drive, seen, or lost too)?"
            )
        elif incident.keys_compromised is not KeysCompromised.NO:
            lines.append(
                f"The passphrase or recovery sheet may be compromised "
                f"({incident.keys_compromised.value}): encryption does not protect "
                "this data; the safe harbor does not apply."
            )
        kinds = sorted({k for c in incident.clients for k in c.kinds})
        lines.append(
            f"{incident.affected} client(s) affected"
            + (": " + ", ".join(c.record_id for c in incident.clients) if incident.clients else "")
            + (f"; record kinds: {', '.join(kinds)}" if kinds else "")
        )
        return lines

    def assess(
        self,
        incident_id: int,
        *,
        nature: str | None = None,
        recipient: str | None = None,
        acquired: str | None = None,
        mitigation: str | None = None,
        keys_compromised: KeysCompromised | str | None = None,
        containment: str | None = None,
    ) -> Incident:
        """Record (part of) the assessment; only the fields given change."""
        vault = self._vault
        self._open_row(incident_id)
        changes: dict[str, str] = {}
        for column, value, what in (
            ("factor_nature", nature, "the nature and extent"),
            ("factor_recipient", recipient, "who got it"),
            ("factor_acquired", acquired, "whether it was acquired or viewed"),
            ("factor_mitigation", mitigation, "the mitigation"),
            ("containment", containment, "the containment"),
        ):
            if value is not None:
                changes[column] = _text(value, what)
        if keys_compromised is not None:
            changes["keys_compromised"] = _keys(keys_compromised).value
        if not changes:
            raise UsageError("nothing to record: give at least one factor or answer")
        _names_in(
            vault, ((v, "the assessment") for k, v in changes.items() if k != "keys_compromised")
        )
        with vault.db.atomic():
            sets = ", ".join(f"{c} = ?" for c in changes)
            vault.db.execute(
                f"UPDATE incidents SET {sets}, updated_at = ? WHERE id = ?",
                (*changes.values(), now_utc(), incident_id),
            )
            vault.audit.record(
                Action.INCIDENT_ASSESS, "incident", incident_id, fields=",".join(sorted(changes))
            )
        return self._load(self._row(incident_id))

    def conclude(
        self,
        incident_id: int,
        conclusion: Conclusion | str,
        reason: str,
        *,
        on: str | date | None = None,
        today: date | None = None,
    ) -> Incident:
        """The clinician's conclusion, with reasons. The safe harbor needs every copy
        encrypted at real strength and the keys not compromised; a low probability needs
        all four factors assessed."""
        vault = self._vault
        row = self._open_row(incident_id)
        incident = self._load(row)
        chosen = _conclusion(conclusion)
        why = _text(reason, "the reasoning", required=True)
        day = _fields.day(on, "the date of the conclusion") or today or date.today()
        _names_in(vault, ((why, "the reasoning"),))
        if chosen is Conclusion.NOT_BREACH:
            if not incident.copies:
                raise UsageError(
                    "the encryption safe harbor rests on the encrypted copies, "
                    "and none is recorded for this incident: it can be a low "
                    "probability of compromise (on the four factors) or a "
                    "breach"
                )
            if incident.weak_copies:
                raise UsageError(
                    f"{incident.weak_copies[0].label} used the weak test "
                    "key-derivation preset: the safe harbor cannot be claimed "
                    "for it"
                )
            if incident.keys_compromised is not KeysCompromised.NO:
                raise IncidentStepError(
                    "the safe harbor needs the keys uncompromised, and "
                    "the assessment does not record that neither the "
                    "passphrase nor the recovery sheet may be compromised",
                    incident.record_id,
                    "keys",
                )
        if chosen is Conclusion.LOW_PROBABILITY and not _factors_complete(incident):
            raise UsageError(
                "a low probability of compromise must rest on all four factors: "
                "record " + ", ".join(_missing_factors(incident)) + " first"
            )
        with vault.db.atomic():
            vault.db.execute(
                "UPDATE incidents SET conclusion = ?, conclusion_reason = ?, "
                "concluded_on = ?, updated_at = ? WHERE id = ?",
                (chosen.value, why, day.isoformat(), now_utc(), incident_id),
            )
            vault.audit.record(
                Action.INCIDENT_CONCLUDE,
                "incident",
                incident_id,
                conclusion=chosen.value,
                clients=incident.affected,
            )
        return self._load(self._row(incident_id))

    def close(
        self,
        incident_id: int,
        note: str | None = None,
        *,
        unnotified_reason: str | None = None,
        today: date | None = None,
    ) -> Incident:
        vault = self._vault
        incident = self._load(self._open_row(incident_id))
        if incident.conclusion is None:
            raise IncidentStepError(
                f"{incident.record_id} is not concluded yet, and a breach is presumed until it is",
                incident.record_id,
                "conclusion",
            )
        missing = incident.unnotified if incident.conclusion is Conclusion.BREACH else ()
        reason = _text(unnotified_reason, "the reason some clients were not notified")
        if missing and not reason:
            raise IncidentStepError(
                f"{len(missing)} affected client(s) have no notice "
                f"recorded as sent ({', '.join(missing[:5])}), and no "
                "reason is given why they were not notified",
                incident.record_id,
                "notices",
            )
        text = _text(note, "the closing note")
        _names_in(vault, ((text, "the closing note"), (reason, "the reason")))
        if reason:
            text = (text + "\n" if text else "") + f"Not notified ({', '.join(missing)}): {reason}"
        day = today or date.today()
        with vault.db.atomic():
            vault.db.execute(
                "UPDATE incidents SET status = 'closed', closed_on = ?, "
                "close_note = ?, updated_at = ? WHERE id = ?",
                (day.isoformat(), text or None, now_utc(), incident_id),
            )
            vault.audit.record(
                Action.INCIDENT_CLOSE, "incident", incident_id, unnotified=len(missing)
            )
        return self._load(self._row(incident_id))

    # -- the clock

    def warnings(self, today: date | None = None) -> builtins.list[str]:
        """One line per open incident whose notice clock runs: shown on every unlock."""
        now = today or date.today()
        out: list[str] = []
        for incident in self.list(include_closed=False):
            deadline = incident.deadline
            if deadline is None:
                continue
            left = (deadline - now).days
            when = (
                f"{left} day{'s' if left != 1 else ''} left"
                if left >= 0
                else f"{-left} day{'s' if left != -1 else ''} OVERDUE"
            )
            todo = len(incident.unnotified)
            if incident.conclusion is Conclusion.BREACH and not todo:
                out.append(
                    f"BREACH {incident.record_id}: every affected client has a notice "
                    "recorded as sent; close the incident"
                )
            elif incident.conclusion is Conclusion.BREACH:
                out.append(
                    f"BREACH {incident.record_id}: notify {todo} of "
                    f"{incident.affected} affected client(s) by {deadline} ({when}); "
                    "then close it"
                )
            else:
                out.append(
                    f"Incident {incident.record_id} is not assessed yet: presumed a "
                    f"breach, notices due by {deadline} ({when})"
                )
        last = now.year - 1
        if now <= hhs_due(last):
            small = [
                i
                for i in self.list()
                if i.conclusion is Conclusion.BREACH
                and i.discovered_on.startswith(f"{last}-")
                and i.affected < MEDIA_THRESHOLD
            ]
            if small:
                out.append(
                    f"HHS log {last}: {len(small)} breach(es) affecting fewer than "
                    f"{MEDIA_THRESHOLD} people to report to HHS by {hhs_due(last)}"
                )
        return out

    # -- notices (164.404)

    def template(self) -> str:
        raw = self._vault.db.scalar("SELECT value FROM settings WHERE key = ?", (TEMPLATE_KEY,))
        return str(raw) if raw else _notice.DEFAULT_TEMPLATE

    def set_template(self, text: str | None) -> str:
        """Replace the letter template (None restores the default)."""
        db = self._vault.db
        with db.atomic():
            if text is None:
                db.execute("DELETE FROM settings WHERE key = ?", (TEMPLATE_KEY,))
            else:
                checked = _notice.check_template(
                    _fields.long_text(text, "the template", max_chars=20_000)
                )
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) "
                    "DO UPDATE SET value = excluded.value",
                    (TEMPLATE_KEY, checked),
                )
            self._vault.audit.record(
                Action.INCIDENT_EDIT, "notice_template", None, reset=text is None
            )
        return self.template()

    def set_letter(self, incident_id: int, **values: str | None) -> Incident:
        """This incident's wording for the letter's elements (None keeps, '' clears)."""
        unknown = sorted(set(values) - set(LETTER_FIELDS))
        if unknown:
            raise UsageError(f"unknown letter field {unknown[0]!r}")
        row = self._open_row(incident_id)
        current = dict(json.loads(row["letter"]))
        for key, value in values.items():
            if value is None:
                continue
            if value.strip():
                current[key] = _text(value, key.replace("_", " "))
                _names_in(self._vault, ((current[key], f"the letter's {key.replace('_', ' ')}"),))
            else:
                current.pop(key, None)
        with self._vault.db.atomic():
            self._vault.db.execute(
                "UPDATE incidents SET letter = ?, updated_at = ? WHERE id = ?",
                (json.dumps(current, sort_keys=True), now_utc(), incident_id),
            )
            self._vault.audit.record(
                Action.INCIDENT_EDIT,
                "incident",
                incident_id,
                fields=",".join(sorted(k for k, v in values.items() if v is not None)),
            )
        return self._load(self._row(incident_id))

    def letter_values(self, incident: Incident, client: AffectedClient) -> dict[str, str]:
        practice = self._vault.disclosures.practice()
        given = incident.letter
        info = given.get("information") or _information(client)
        actions = given.get("practice_actions") or "\n".join(
            x
            for x in (
                incident.containment,
                incident.mitigation,
                "We have reviewed how this happened and changed our procedures so "
                "that it does not happen again.",
            )
            if x
        )
        contact = given.get("contact") or "\n".join(practice.lines())
        return {
            "what_happened": given.get("what_happened") or incident.description,
            "occurred_on": incident.occurred_on or "a date we could not establish",
            "discovered_on": incident.discovered_on,
            "information": info,
            "steps": given.get("steps") or _notice.DEFAULT_STEPS,
            "practice_actions": actions,
            "contact": contact,
            "practice_name": practice.name or practice.lines()[0],
            "incident": incident.record_id,
        }

    def notice_document(
        self,
        incident_id: int,
        client: int | str,
        *,
        today: date | None = None,
        passphrase: str | None = None,
        address: str | None = None,
    ) -> Document:
        """The letter to one affected client. A sealed legal name needs the passphrase."""
        vault = self._vault
        incident = self._load(self._row(incident_id))
        if incident.conclusion is not Conclusion.BREACH:
            raise UsageError(
                f"{incident.record_id} is not concluded a breach; notices are for breaches"
            )
        rid = _record_id(client)
        affected = next((c for c in incident.clients if c.record_id == rid), None)
        if affected is None:
            raise UsageError(f"{rid} is not among the clients affected by {incident.record_id}")
        if not affected.in_vault:
            raise NotFoundError(
                f"{rid} is no longer in the vault (disposed of); write to "
                "them outside Confide and record the notice"
            )
        person = vault.clients.get(affected.client_id)
        name = person.legal_name or person.display_name
        if person.is_pseudonymous and passphrase is not None:
            name = vault.reveal_legal_name(person.id, passphrase)
        day = today or date.today()
        values = self.letter_values(incident, affected)
        values |= {"client_name": name, "date": day.isoformat()}
        to = name + (
            f", {_fields.one_line(address, 'the address', max_chars=300)}" if address else ""
        )
        reference = f"{incident.record_id}-{rid}"
        return _notice.letter(
            self.template(),
            values,
            reference=reference,
            practice=tuple(clean(line) for line in vault.disclosures.practice().lines()),
            facts=(("To", clean(to)), ("Date", day.isoformat()), ("Our reference", reference)),
            footer_id=reference,
        )

    def write_notice(
        self,
        incident_id: int,
        client: int | str,
        path: str | Path,
        *,
        fmt: str | None = None,
        force: bool = False,
        today: date | None = None,
        passphrase: str | None = None,
        address: str | None = None,
    ) -> Notice:
        """Write one client's letter to `path` and record it as written, both or neither."""
        from ..disclosures.facade import ExportFormat, render
        from ..disclosures.writer import check_target, write_export

        document = self.notice_document(
            incident_id, client, today=today, passphrase=passphrase, address=address
        )
        target = check_target(Path(path), force)
        export_format = ExportFormat.choose(target, fmt)
        data = render(document, export_format)
        rid = _record_id(client)
        vault = self._vault
        made: list[int] = []

        def record(publish: Callable[[], None]) -> None:
            with vault.db.atomic():
                cur = vault.db.execute(
                    "INSERT INTO incident_notices (incident_id, record_id, state, format, "
                    "sha256, recorded_at) VALUES (?, ?, 'written', ?, ?, ?)",
                    (
                        incident_id,
                        rid,
                        export_format.value,
                        hashlib.sha256(data).hexdigest(),
                        now_utc(),
                    ),
                )
                made.append(int(cur.lastrowid or 0))
                vault.audit.record(
                    Action.INCIDENT_NOTICE,
                    "incident",
                    incident_id,
                    client=rid,
                    event="written",
                    format=export_format.value,
                )
                publish()

        write_export(target, data, force, record)
        return self._notice_by_id(made[0])

    def _notice_by_id(self, notice_id: int) -> Notice:
        row = self._vault.db.one("SELECT * FROM incident_notices WHERE id = ?", (notice_id,))
        assert row is not None
        return _notice_row(row)

    def record_sent(
        self,
        incident_id: int,
        client: int | str,
        *,
        sent_on: str | date | None = None,
        method: str = "mail",
        today: date | None = None,
    ) -> Notice:
        """Record that the notice reached the post (or the client another way)."""
        vault = self._vault
        incident = self._load(self._open_row(incident_id))
        if incident.conclusion is not Conclusion.BREACH:
            raise UsageError(f"{incident.record_id} is not concluded a breach")
        rid = _record_id(client)
        if rid not in {c.record_id for c in incident.clients}:
            raise UsageError(f"{rid} is not among the clients affected by {incident.record_id}")
        how = method.strip().lower()
        if how not in _NOTICE_METHODS:
            raise UsageError(f"unknown notice method {method!r}; use " + ", ".join(_NOTICE_METHODS))
        now = today or date.today()
        day = _fields.day(sent_on, "the date sent") or now
        if day > now:
            raise UsageError(f"the date sent {day} is in the future")
        if day < date.fromisoformat(incident.discovered_on):
            raise UsageError(f"the date sent {day} is before the discovery")
        with vault.db.atomic():
            cur = vault.db.execute(
                "INSERT INTO incident_notices (incident_id, record_id, state, method, sent_on,"
                " recorded_at) VALUES (?, ?, 'sent', ?, ?, ?)",
                (incident_id, rid, how, day.isoformat(), now_utc()),
            )
            vault.audit.record(
                Action.INCIDENT_NOTICE,
                "incident",
                incident_id,
                client=rid,
                event="sent",
                method=how,
            )
        return self._notice_by_id(int(cur.lastrowid or 0))

    # -- the annual log for HHS (164.408(c))

    def hhs_log(self, year: int) -> HhsLog:
        if not 1996 <= year <= 9998:
            raise UsageError(f"{year} is not a calendar year to report")
        rows = self._vault.db.query(
            "SELECT * FROM incidents WHERE conclusion = 'breach' AND discovered_on >= ? AND "
            "discovered_on <= ? ORDER BY discovered_on, id",
            (f"{year}-01-01", f"{year}-12-31"),
        )
        small: list[HhsLogEntry] = []
        large: list[str] = []
        for row in rows:
            i = self._load(row)
            if i.affected >= MEDIA_THRESHOLD:
                large.append(i.record_id)
                continue
            sent = sorted(n.sent_on for n in i.notices if n.state == "sent" and n.sent_on)
            if sent:
                dates = sent[0] if sent[0] == sent[-1] else f"{sent[0]} to {sent[-1]}"
                notices = f"yes, {len(i.sent_to)} of {i.affected}, {dates}"
            else:
                notices = f"not yet (0 of {i.affected})"
            kinds = {k for c in i.clients for k in c.kinds}
            info = (
                ", ".join(
                    x
                    for x, has in (
                        ("Demographic", "identity" in kinds),
                        ("Clinical", bool(kinds - {"identity"})),
                    )
                    if has
                )
                or "Other"
            )
            if i.copies:
                safeguards = "Encryption: " + "; ".join(
                    f"{c.archive_cipher} {c.archive_key_bits}-bit, keys under {c.describe_kdf()}"
                    for c in i.copies
                )
            else:
                safeguards = "Passphrase-protected encrypted records (SQLCipher AES-256)"
            small.append(
                HhsLogEntry(
                    i.record_id,
                    i.occurred_on or i.discovered_on,
                    i.occurred_on or "unknown",
                    i.discovered_on,
                    i.affected,
                    i.kind.hhs_type,
                    clean(i.media) or i.kind.label,
                    info,
                    _one_line(i.description),
                    safeguards,
                    notices,
                    _one_line("; ".join(x for x in (i.containment, i.mitigation) if x))
                    or "none recorded",
                )
            )
        log = HhsLog(
            year,
            hhs_due(year).isoformat(),
            tuple(small),
            tuple(large),
            tuple(clean(x) for x in self._vault.disclosures.practice().lines()),
        )
        self._vault.audit.record(Action.INCIDENT_HHS_LOG, "hhs_log", year, breaches=len(small))
        return log


def _one_line(text: str) -> str:
    return clean(" ".join(text.split()))


def _information(client: AffectedClient) -> str:
    parts = [RECORD_KINDS[k] for k in client.kinds if k in RECORD_KINDS]
    if not parts:
        return "Your health information held by our practice."
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return listed[0].upper() + listed[1:] + "."


def _prefill_nature(
    affected: dict[str, tuple[tuple[str, ...], int, str]], copies: Sequence[MediaCopy]
) -> str:
    """Factor 1 as far as Confide knows it; the clinician completes or corrects it."""
    if not affected:
        return ""
    kinds = sorted({k for ks, _, _ in affected.values() for k in ks})
    notes = sum(n for _, n, _ in affected.values())
    text = (
        f"{len(affected)} client(s); identifiers and record kinds: {', '.join(kinds)}; "
        f"{notes} general-record note(s)."
    )
    if copies:
        text += (
            f" Held in {len(copies)} encrypted backup file(s); readable only with the "
            "passphrase or recovery key of the time."
        )
    return text


def _missing_factors(incident: Incident) -> builtins.list[str]:
    names = (
        ("the nature and extent", incident.nature),
        ("who got it", incident.recipient),
        ("whether it was acquired or viewed", incident.acquired),
        ("the mitigation", incident.mitigation),
    )
    return [n for n, v in names if not v.strip()]


def _factors_complete(incident: Incident) -> bool:
    return not _missing_factors(incident)
