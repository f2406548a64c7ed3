"""De-identified case summaries for supervision and consultation (issue 15).

`Consult(vault)` lists the people in a client's life, and builds a `CaseSummary` from chosen
notes: omission-flagged passages withheld as in any export, then every identifier found
(`detect`) replaced. The summary is reviewed before anything is written: each replacement
has its reason; the clinician may redact more or restore a rule-based guess (never what the
vault knows). Writing records an audit entry with what was chosen; it is not a disclosure
(de-identified information is not PHI), so the accounting of disclosures is untouched.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records import validate
from ..records.audit import Action
from ..records.markup import render_withheld
from ..records.models import Client, EntryType, Note
from ..storage.database import now_utc
from .detect import Finding, Kind, Knowledge, KnownPerson, apply, detect

if TYPE_CHECKING:
    from ..disclosures.document import Document
    from ..vault import Vault


class SummaryFormat(StrEnum):
    TXT = "txt"
    MD = "md"
    PDF = "pdf"


@dataclass(frozen=True)
class Person:
    id: int
    client_id: int
    name: str
    role: str

    @property
    def replacement(self) -> str:
        role = self.role.strip()
        if re.match(r"(?i)(a|an|the)\s", role):
            return role
        return f"the client's {role}"


@dataclass
class Part:
    """One note of the summary: its heading (no dates, no record ids) and its text."""

    heading: str
    text: str
    findings: list[Finding]

    def output(self) -> str:
        return apply(self.text, self.findings)


@dataclass
class CaseSummary:
    client_id: int
    parts: list[Part]
    knowledge: Knowledge
    note_ids: tuple[int, ...]
    pnote_ids: tuple[int, ...]
    restored: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[tuple[int, Finding]]:
        """(part index, finding) in reading order."""
        return [(i, f) for i, p in enumerate(self.parts) for f in p.findings]

    def replacements(self) -> list[dict[str, object]]:
        """What review shows (and `--json` gives): number, original, replacement, reason."""
        return [
            {
                "number": n,
                "part": i + 1,
                "original": self.parts[i].text[f.start : f.end],
                "replacement": f.replacement,
                "kind": f.kind.value,
                "reason": f.reason,
                "restorable": f.restorable,
            }
            for n, (i, f) in enumerate(self.findings, 1)
        ]

    def redact(self, phrase: str) -> int:
        """Redact every occurrence of `phrase` too; returns how many were added."""
        phrase = validate.one_line(phrase, "text to redact", max_chars=200) or ""
        if len(phrase.strip()) < 2:
            raise UsageError("give at least two characters to redact")
        before = len(self.findings)
        self.knowledge = replace(self.knowledge, redact=(*self.knowledge.redact, phrase))
        self._redetect()
        added = len(self.findings) - before
        if added <= 0 and not any(phrase.casefold() in p.text.casefold() for p in self.parts):
            raise UsageError(f"{phrase!r} does not occur in the summary")
        return added

    def restore(self, number: int) -> Finding:
        """Put back the original words of replacement `number` (a rule-based guess only)."""
        found = self.findings
        if not 1 <= number <= len(found):
            raise UsageError(f"there is no replacement {number} (1 to {len(found)})")
        index, finding = found[number - 1]
        if not finding.restorable:
            raise UsageError(
                f"replacement {number} is {finding.reason}, known to the vault: it cannot be "
                "restored"
            )
        self.parts[index].findings.remove(finding)
        self.restored.append(self.parts[index].text[finding.start : finding.end])
        return finding

    def _redetect(self) -> None:
        # A guess restored before stays restored; everything else is found afresh.
        for part in self.parts:
            part.findings = [
                f
                for f in detect(part.text, self.knowledge)
                if not (f.restorable and part.text[f.start : f.end] in self.restored)
            ]

    def text(self) -> str:
        return self.document().text()

    def document(self) -> Document:
        from ..disclosures.document import Document, Section

        sections = tuple(Section(p.heading, (), p.output()) for p in self.parts)
        return Document(
            reference="for supervision or consultation",
            title="De-identified case summary",
            practice=(),
            facts=(
                ("Notes", str(len(self.note_ids))),
                ("Psychotherapy notes", str(len(self.pnote_ids))),
                ("Replacements", str(len(self.findings))),
            ),
            statement=(
                "Identifiers removed under HIPAA Safe Harbor (45 CFR 164.514(b)(2)) by Confide;",
                "reviewed by the clinician, who remains responsible for the final read.",
                "Dates are given as sessions or weeks of treatment.",
            ),
            sections=sections,
            footer_id="De-identified case summary",
            item=("note", "notes"),
        )

    def render(self, fmt: SummaryFormat) -> bytes:
        document = self.document()
        if fmt is SummaryFormat.TXT:
            return document.text().encode("utf-8")
        if fmt is SummaryFormat.MD:
            return document.markdown().encode("utf-8")
        from ..disclosures.pdf import render_pdf

        return render_pdf(document)


class Consult:
    """People in a client's life, and de-identified case summaries."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # -- people

    def add_person(self, client_id: int, name: str, role: str) -> Person:
        self._vault.clients.get_unaudited(client_id)
        clean_name = validate.name(name, "person's name")
        clean_role = validate.one_line(role, "role", max_chars=80) or ""
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO client_people (client_id, name, role, created_at) VALUES (?, ?, ?, ?)",
                (client_id, clean_name, clean_role, now_utc()),
            )
            person_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(Action.PERSON, "client", client_id, added=person_id)
        return Person(person_id, client_id, clean_name, clean_role)

    def people(self, client_id: int) -> list[Person]:
        self._vault.clients.get_unaudited(client_id)
        rows = self._vault.db.query(
            "SELECT id, client_id, name, role FROM client_people WHERE client_id = ? ORDER BY id",
            (client_id,),
        )
        return [Person(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]

    def remove_person(self, person_id: int) -> None:
        db = self._vault.db
        row = db.one("SELECT client_id FROM client_people WHERE id = ?", (person_id,))
        if row is None:
            raise NotFoundError(f"no person {person_id}")
        with db.atomic():
            db.execute("DELETE FROM client_people WHERE id = ?", (person_id,))
            self._vault.audit.record(Action.PERSON, "client", int(row[0]), removed=person_id)

    # -- summaries

    def knowledge(self, client: Client, legal_name: str | None) -> Knowledge:
        """Everything the vault knows that identifies this client, for `detect`."""
        db = self._vault.db
        names = {client.display_name}
        if client.legal_name:
            names.add(client.legal_name)
        if legal_name:
            names.add(legal_name)
        people = [KnownPerson(tuple(sorted(names)), "the client", "the client's name")]
        people += [
            KnownPerson((p.name,), p.replacement, f"listed person ({p.role})")
            for p in self.people(client.id)
        ]
        others = db.query(
            "SELECT DISTINCT q.client_id FROM note_participants p "
            "JOIN note_participants q ON q.note_id = p.note_id "
            "WHERE p.client_id = ? AND q.client_id != ?",
            (client.id, client.id),
        )
        for row in others:
            other = self._vault.clients.get_unaudited(int(row[0]))
            other_names = tuple(n for n in (other.display_name, other.legal_name) if n)
            people.append(KnownPerson(other_names, "another participant", "a co-participant"))
        ids = [(client.record_id, "the client's record id")]
        ids += [
            (f"N-{int(r[0]):06d}", "a note's record id")
            for r in db.query("SELECT id FROM notes WHERE client_id = ?", (client.id,))
        ]
        dob = date.fromisoformat(client.date_of_birth) if client.date_of_birth else None
        if dob is not None:
            ids += [
                (form, "the client's date of birth")
                for form in (
                    dob.isoformat(),
                    f"{dob.month}/{dob.day}/{dob.year}",
                    f"{dob.month:02d}/{dob.day:02d}/{dob.year}",
                    f"{dob.month}/{dob.day}/{dob.year % 100:02d}",
                    f"{dob.day}/{dob.month}/{dob.year}",
                    f"{dob.day:02d}/{dob.month:02d}/{dob.year}",
                )
            ]
        sessions = sorted(
            {
                date.fromisoformat(str(r[0]))
                for r in db.query(
                    "SELECT DISTINCT n.session_date FROM note_participants p JOIN notes n "
                    "ON n.id = p.note_id WHERE p.client_id = ? AND n.session_date IS NOT NULL "
                    "AND n.entry_type != 'addendum'",
                    (client.id,),
                )
            }
        )
        return Knowledge(
            people=tuple(people),
            identifiers=tuple(ids),
            date_of_birth=dob,
            session_dates=tuple(sessions),
        )

    def prepare(
        self,
        client_id: int,
        *,
        note_ids: Sequence[int] = (),
        date_from: str | None = None,
        date_to: str | None = None,
        pnote_ids: Sequence[int] = (),
        pnotes_in_range: bool = False,
        passphrase: str | None = None,
    ) -> CaseSummary:
        """The proposed summary, for review. Psychotherapy notes only when chosen, and only
        with the passphrase again; a pseudonymous client's sealed legal name is unsealed with
        it too, so the legal name is found wherever a note used it."""
        vault = self._vault
        client = vault.clients.get_unaudited(client_id)
        start = validate.iso_date(date_from, "start date")
        end = validate.iso_date(date_to, "end date")
        want_pnotes = bool(pnote_ids) or pnotes_in_range
        legal: str | None = None
        if client.is_pseudonymous or want_pnotes:
            if passphrase is None:
                raise UsageError(
                    "the passphrase is needed again"
                    + (" for psychotherapy notes" if want_pnotes else "")
                    + (" to find the client's sealed legal name" if client.is_pseudonymous else "")
                )
            vault.verify_passphrase(passphrase)
            if client.is_pseudonymous:
                legal = vault.reveal_legal_name(client_id, passphrase)
        knowledge = self.knowledge(client, legal)
        notes = self._notes(client, note_ids, start, end)
        if not notes and not want_pnotes:
            raise UsageError("no notes chosen: give note ids or a date range with notes in it")
        sessions = knowledge.session_dates
        parts: list[Part] = []
        for note in notes:
            body = render_withheld(
                note.body,
                note.spans,
                note.omit_category,
                (),
                [s for s in note.spans if (s.about or note.client_id) != client.id],
            )
            heading = _heading(note.template, note.session.session_date, sessions, note.entry_type)
            k = replace(knowledge, reference_year=_year(note.session.session_date))
            parts.append(Part(heading, body, detect(body, k)))
        chosen_pnotes: list[int] = []
        if want_pnotes:
            assert passphrase is not None
            area = vault.open_psychotherapy_notes(passphrase)
            try:
                every = area.list(client_id)
                if pnote_ids:
                    wanted = set(pnote_ids)
                    picked = [p for p in every if p.id in wanted]
                    missing = wanted - {p.id for p in picked}
                    if missing:
                        raise UsageError(
                            f"P-{min(missing):06d} is not one of this client's psychotherapy notes"
                        )
                else:
                    picked = [
                        p
                        for p in every
                        if (start is None or (p.session_date or "") >= start)
                        and (end is None or (p.session_date or "9999") <= end)
                    ]
                for p in sorted(picked, key=lambda p: (p.session_date or "", p.id)):
                    body = render_withheld(p.body, p.spans)
                    heading = "Psychotherapy note, " + _when(p.session_date, sessions)
                    k = replace(knowledge, reference_year=_year(p.session_date))
                    parts.append(Part(heading, body, detect(body, k)))
                    chosen_pnotes.append(p.id)
            finally:
                area.lock()
        if not parts:
            raise UsageError("no notes chosen: nothing in that range")
        return CaseSummary(
            client_id, parts, knowledge, tuple(n.id for n in notes), tuple(chosen_pnotes)
        )

    def _notes(
        self, client: Client, note_ids: Sequence[int], start: str | None, end: str | None
    ) -> list[Note]:
        vault = self._vault
        if note_ids:
            notes = [vault.notes.get_unaudited(i) for i in note_ids]
            for note in notes:
                if client.id not in note.participant_ids:
                    raise UsageError(f"{note.record_id} is not in this client's record")
            return notes
        if start is None and end is None:
            return []
        rows = vault.db.query(
            "SELECT n.id FROM note_participants p JOIN notes n ON n.id = p.note_id "
            "WHERE p.client_id = ? ORDER BY coalesce(n.session_date, "
            "substr(n.created_at, 1, 10)), n.id",
            (client.id,),
        )
        out: list[Note] = []
        for row in rows:
            note = vault.notes.get_unaudited(int(row[0]))
            day = note.session.session_date or note.created_at[:10]
            if (start is None or day >= start) and (end is None or day <= end):
                out.append(note)
        return out

    def write(
        self, summary: CaseSummary, fmt: SummaryFormat | str, target: Path | None, force: bool
    ) -> Path:
        """Write the reviewed summary; the file name may not identify the client."""
        from ..disclosures.writer import write_export

        fmt = SummaryFormat(fmt)
        target = self.target(fmt, target)
        self.check_file_name(summary, target)
        data = summary.render(fmt)
        kinds = Counter(f.kind.value for _, f in summary.findings)

        def record(publish: Callable[[], None]) -> None:
            with self._vault.atomic():
                self._vault.audit.record(
                    Action.CONSULT,
                    "client",
                    summary.client_id,
                    notes=len(summary.note_ids),
                    note_ids=",".join(f"N-{i:06d}" for i in summary.note_ids),
                    pnotes=len(summary.pnote_ids),
                    format=fmt.value,
                    replacements=len(summary.findings),
                    kinds=",".join(f"{k}={n}" for k, n in sorted(kinds.items())),
                    redacted=len(summary.knowledge.redact),
                    restored=len(summary.restored),
                )
                publish()

        write_export(target, data, force, record)
        return target

    @staticmethod
    def target(fmt: SummaryFormat | str, target: Path | None) -> Path:
        """Where `write` puts the file: `target`, or in that folder (default: the current one)
        a name that says nothing about the client. The app shows it before asking."""
        fmt = SummaryFormat(fmt)
        if target is None or target.expanduser().is_dir():
            folder = Path.cwd() if target is None else target.expanduser()
            return folder / f"case-summary-{secrets.token_hex(4)}.{fmt.value}"
        return target

    @staticmethod
    def check_file_name(summary: CaseSummary, target: Path) -> None:
        name = target.name
        found = detect(Path(name).stem.replace("_", " ").replace("-", " "), summary.knowledge)
        known = [f for f in found if f.kind in (Kind.KNOWN_NAME, Kind.KNOWN_ID)]
        words = {
            w.casefold()
            for p in summary.knowledge.people[:1]
            for n in p.names
            for w in n.split()
            if len(w) > 1
        }
        parts = set(re.split(r"[\W_]+", name.casefold()))
        literal = [i for i, _ in summary.knowledge.identifiers if i.casefold() in name.casefold()]
        if known or (words & parts) or literal:
            raise UsageError(
                f"the file name {name!r} identifies the client; choose another name, or give "
                "a folder and Confide makes one"
            )


def _year(session_date: str | None) -> int | None:
    return int(session_date[:4]) if session_date else None


def _when(session_date: str | None, sessions: Sequence[date]) -> str:
    if not session_date:
        return "no session date"
    day = date.fromisoformat(session_date)
    if day in sessions:
        return f"session {list(sessions).index(day) + 1}"
    if sessions:
        return f"week {(day - sessions[0]).days // 7 + 1}"
    return "undated"


def _heading(
    template: str, session_date: str | None, sessions: Sequence[date], entry: EntryType
) -> str:
    from ..records.templates import get_template

    title = get_template(template).title
    kind = {EntryType.ADDENDUM: "addendum", EntryType.LATE_ENTRY: "late entry"}.get(entry)
    return f"{title}, {_when(session_date, sessions)}" + (f" ({kind})" if kind else "")
