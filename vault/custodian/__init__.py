"""The records custodian (issue 16 part 2): the person who takes the records over when the
clinician cannot continue.

`vault.custodian` designates one (a slot in the key file holding only the keys granted, see
`crypto.keyslots`), re-issues its key, revokes it, and writes what the role needs: the
custodian sheet (the key, printed), the notification letter to each client (from a versioned
template kept in the vault, like the confidentiality notice), and the instructions document
(where the records are, how to open them, what the law asks, each client's retention date).
Opened with the custodian key (`Vault.unlock_custodian`), the vault is read-only for the
clinical record; designating, re-issuing and revoking are the clinician's only.

The backup drives named in the instructions come from the backup layer, which the vault does
not import: the face gathers them and passes them in as `BackupPlace`s.
"""

from __future__ import annotations

import builtins
import string
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..crypto.keyslots import ALL_KEYS, CUSTODIAN_FIELD_CHARS, new_recovery_key, wipe_keys
from ..errors import NotFoundError, UsageError
from ..records.audit import Action
from ..records.validate import long_text, one_line
from ..storage import fsutil
from ..storage.database import now_utc
from ..storage.versioned import VersionedTexts
from ..timefmt import local_date

if TYPE_CHECKING:
    from ..crypto.keyslots import CustodianSlot
    from ..disclosures.document import Document
    from ..disclosures.facade import Practice
    from ..records.models import Client
    from ..vault import Vault

MAX_TEMPLATE_CHARS = 20_000
MAX_CONTACT_CHARS = 500
PLACEHOLDERS = (
    "client",
    "legal_name",
    "record_id",
    "practice",
    "clinician",
    "custodian",
    "custodian_role",
    "custodian_contact",
    "retained_until",
    "today",
)
_SERIAL_KEY = "custodian_serial"  # meta: the last serial issued, kept past a revocation


@dataclass(frozen=True)
class CustodianInfo:
    """Who the custodian slot was issued to (no key material)."""

    serial: int
    issued_at: str
    name: str
    role: str
    contact: str
    pnotes: bool

    @classmethod
    def of(cls, slot: CustodianSlot) -> CustodianInfo:
        return cls(slot.serial, slot.issued_at, slot.name, slot.role, slot.contact, slot.pnotes)

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "issued_at": self.issued_at,
            "name": self.name,
            "role": self.role,
            "contact": self.contact,
            "psychotherapy_notes": self.pnotes,
        }

    def describe(self) -> str:
        notes = "with" if self.pnotes else "without"
        return (
            f"{self.name} ({self.role}), since {local_date(self.issued_at)}, "
            f"{notes} psychotherapy notes"
        )


@dataclass(frozen=True)
class Designation:
    """A custodian just designated or re-issued: the key, shown once, for the sheet."""

    info: CustodianInfo
    key: str
    vault_id: str
    folder: Path


@dataclass(frozen=True)
class BackupPlace:
    """A backup drive as the instructions name it (gathered by the face from backup's catalog)."""

    label: str
    last_path: str | None
    last_backup: str | None
    lost: bool = False


@dataclass(frozen=True)
class CustodianClient:
    """A client as the custodian needs them: how to reach them and how long the record stays."""

    client_id: int
    display_name: str
    status: str
    contact: str | None
    last_service_date: str | None
    retained_until: str
    policy: str
    held: bool

    @property
    def record_id(self) -> str:
        return f"C-{self.client_id:05d}"

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.record_id,
            "name": self.display_name,
            "status": self.status,
            "contact": self.contact,
            "last_service_date": self.last_service_date,
            "retained_until": self.retained_until,
            "policy": self.policy,
            "legal_hold": self.held,
        }


@dataclass(frozen=True)
class LetterTemplate:
    version: int
    text: str
    created_at: str


def check_template(text: str) -> str:
    """The template as saved, or a UsageError naming the placeholder that is not known."""
    checked = long_text(text, "letter template", max_chars=MAX_TEMPLATE_CHARS)
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(checked) if f is not None]
    except ValueError as e:
        raise UsageError(f"letter template: {e}; write {{{{ or }}}} for a literal brace") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise UsageError(f"letter template: unknown placeholder {{{name}}}; use {known}")
    for _, field, spec, conversion in string.Formatter().parse(checked):
        # `{client:>999999999}` would pad to a gigabyte and stall the PDF: a placeholder is
        # its value, nothing else.
        if field is not None and (spec or conversion):
            raise UsageError(
                f"letter template: write {{{field}}} alone, without ':' or '!' after the name"
            )
    return checked


def letterhead(practice: Practice) -> tuple[str, ...]:
    """The practice lines of a custodian document: the clinician's own reminder that the
    practice name is not set (Practice settings) is dropped, as the custodian cannot set it."""
    lines = practice.lines()
    return lines if practice.is_set else lines[1:]


def check_contact(contact: str | None) -> str:
    """Contact details as saved ('' for none), or a UsageError: checked before a form saves."""
    text = (contact or "").strip()
    return long_text(text, "contact details", max_chars=MAX_CONTACT_CHARS) if text else ""


def _field(value: str, field: str) -> str:
    text = one_line(value, f"custodian {field}", max_chars=CUSTODIAN_FIELD_CHARS[field])
    return text or ""


def grouped(key: str) -> str:
    """The key as printed: groups of four, four groups to a line."""
    groups = key.split("-")
    return "\n".join("  ".join(groups[i : i + 4]) for i in range(0, len(groups), 4))


class Custodian:
    """`vault.custodian`: designate, re-issue, revoke; the sheet, letters and instructions."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # -- designation (the clinician only)

    def info(self) -> CustodianInfo | None:
        """The custodian designated, or None. An altered slot raises DamagedFileError."""
        keyfile = self._vault.key_file
        if keyfile.custodian is None:
            return None
        self._vault.check_custodian_slot()
        return CustodianInfo.of(keyfile.custodian)

    def designate(
        self, passphrase: str, *, name: str, role: str, contact: str, pnotes: bool = False
    ) -> Designation:
        """Name a custodian: a new slot holding the general record and sealed-names keys, and
        the psychotherapy-notes key only with `pnotes`. Refused while one is designated."""
        vault = self._vault
        vault.require_clinician("designating a custodian")
        checked = (
            _field(name, "name"),
            _field(role, "role"),
            _field(contact, "contact"),
        )
        if vault.key_file.custodian is not None:
            raise UsageError(
                "a custodian is already designated; re-issue their key or revoke them first"
            )
        return self._issue(passphrase, *checked, pnotes, event="designated")

    def reissue(self, passphrase: str) -> Designation:
        """A new key for the same custodian: the old sheet stops opening the vault at once."""
        vault = self._vault
        vault.require_clinician("re-issuing the custodian key")
        slot = vault.key_file.custodian
        if slot is None:
            raise NotFoundError("no custodian is designated")
        return self._issue(
            passphrase, slot.name, slot.role, slot.contact, slot.pnotes, event="reissued"
        )

    def _issue(
        self, passphrase: str, name: str, role: str, contact: str, pnotes: bool, *, event: str
    ) -> Designation:
        vault = self._vault
        keyfile = vault.key_file
        keys = keyfile.unwrap_with_passphrase(passphrase, list(ALL_KEYS))
        try:
            last = vault.db.scalar("SELECT value FROM meta WHERE key = ?", (_SERIAL_KEY,))
            current = keyfile.custodian.serial if keyfile.custodian else 0
            serial = max(int(last or 0), current) + 1
            key = new_recovery_key()
            issued_at = now_utc()
            updated = keyfile.with_custodian(
                keys,
                serial=serial,
                issued_at=issued_at,
                name=name,
                role=role,
                contact=contact,
                pnotes=pnotes,
                custodian_key=key,
            )
            updated.to_bytes()  # too large a slot is refused before anything is written
            with vault.atomic():
                vault.db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                    "SET value = excluded.value",
                    (_SERIAL_KEY, str(serial)),
                )
                # The key file is written inside the transaction: a failed write rolls the
                # serial back, and the old slot, overwritten in place, is gone with it.
                vault._save_key_file(updated)
                vault.audit.record(
                    Action.CUSTODIAN, "custodian", serial, event=event, pnotes=pnotes
                )
        finally:
            wipe_keys(keys)
        assert updated.custodian is not None
        return Designation(CustodianInfo.of(updated.custodian), key, keyfile.vault_id, vault.folder)

    def revoke(self) -> CustodianInfo:
        """Remove the custodian slot: the key file is overwritten in place, so the sealed keys
        it held are gone from the disk, and the sheet opens nothing any more."""
        vault = self._vault
        vault.require_clinician("revoking the custodian")
        slot = vault.key_file.custodian
        if slot is None:
            raise NotFoundError("no custodian is designated")
        with vault.atomic():
            vault._save_key_file(vault.key_file.without_custodian())
            vault.audit.record(Action.CUSTODIAN, "custodian", slot.serial, event="revoked")
        return CustodianInfo.of(slot)

    # -- the sheet

    def sheet(self, designation: Designation) -> Document:
        from ..disclosures.document import Document, Section

        info = designation.info
        practice = self._vault.disclosures.practice()
        facts = (
            ("Issued to", info.name),
            ("Role or licence", info.role),
            ("Contact", info.contact),
            ("Psychotherapy notes", "included" if info.pnotes else "NOT included"),
            ("Vault id", designation.vault_id),
            ("Vault folder", str(designation.folder)),
            ("Issued", local_date(info.issued_at)),
            ("Sheet", f"custodian key number {info.serial}"),
        )
        sections = (
            Section("Custodian key", (), grouped(designation.key)),
            Section(
                "What this key is for",
                (),
                f"This key lets {info.name} open the clinical records of "
                f"{practice.name or 'this practice'} as their records custodian, if the "
                "clinician dies, becomes incapacitated or closes the practice. It opens the "
                "records read-only: they can be read, searched, released on a valid request "
                "and exported, never changed. Every use is written in the vault's audit log "
                "under the custodian's name."
                + (
                    ""
                    if info.pnotes
                    else " Psychotherapy notes are not included: this key cannot open them."
                ),
            ),
            Section(
                "How to use it",
                (),
                "Install Confide, then open the vault folder named above (or a copy of the "
                "whole folder) with this key: in the app choose 'Open as "
                "records custodian' on the lock screen; on the command line add "
                "--custodian (you are asked for the key) to any command, for example "
                "`confide --custodian custodian clients`.",
            ),
            Section(
                "Keep it safe",
                (),
                "Anyone holding this key and the vault or a backup can read the records. "
                "Keep the sheet locked away, apart from the computer and the backup drives. "
                "If it is lost, ask the clinician to re-issue the key: the old sheet then "
                "stops working.",
            ),
        )
        reference = f"CUSTODIAN-{info.serial}"
        return Document(
            reference=reference,
            title="Records custodian sheet",
            practice=letterhead(practice),
            facts=facts,
            statement=(),
            sections=sections,
            footer_id=reference,
            item=("section", "sections"),
        )

    def write_sheet(
        self, designation: Designation, path: str | Path, *, fmt: str | None = None
    ) -> Path:
        """Write the sheet to `path` (a new file, mode 0600): it holds a key, no client data,
        so it is not recorded as a copy of the record; the audit log notes it."""
        from ..disclosures.facade import ExportFormat, render
        from ..disclosures.writer import check_target

        target = check_target(Path(path), force=False)
        export_format = ExportFormat.choose(target, fmt)
        data = render(self.sheet(designation), export_format, paper=self._paper())
        with fsutil.storage_errors(f"cannot write {target}"):
            fsutil.write_new_file(target, data)
        self._vault.audit.record(
            Action.CUSTODIAN,
            "custodian",
            designation.info.serial,
            event="sheet",
            format=export_format.value,
        )
        return target

    def _paper(self) -> str:
        return self._vault.disclosures.practice().paper or "letter"

    # -- clients, their contact details and retention

    def set_contact(self, client_id: int, contact: str | None) -> None:
        """How a letter reaches the client (address, phone, e-mail); None or '' removes it.
        The custodian may set and replace them (their letters need a current address), never
        remove them."""
        vault = self._vault
        vault.clients.get_unaudited(client_id)
        text = check_contact(contact)
        if not text:
            vault.require_clinician("removing a client's contact details")
        with vault.atomic():
            if text:
                vault.db.execute(
                    "INSERT INTO client_contacts (client_id, contact, updated_at) VALUES "
                    "(?, ?, ?) ON CONFLICT(client_id) DO UPDATE SET contact = excluded.contact,"
                    " updated_at = excluded.updated_at",
                    (client_id, text, now_utc()),
                )
            else:
                vault.db.execute("DELETE FROM client_contacts WHERE client_id = ?", (client_id,))
            vault.audit.record(Action.EDIT, "client_contact", client_id)

    def contact(self, client_id: int) -> str | None:
        value = self._vault.db.scalar(
            "SELECT contact FROM client_contacts WHERE client_id = ?", (client_id,)
        )
        return None if value is None else str(value)

    def clients(self, today: date | None = None) -> builtins.list[CustodianClient]:
        """Every client with contact details and retention date, by record number (audited)."""
        vault = self._vault
        schedule = {r.client_id: r for r in vault.retention.schedule(today)}
        contacts = {
            int(r[0]): str(r[1])
            for r in vault.db.query("SELECT client_id, contact FROM client_contacts")
        }
        rows = vault.db.query(
            "SELECT id, display_name, status, last_service_date FROM clients ORDER BY id"
        )
        found = []
        for row in rows:
            cid = int(row["id"])
            retention = schedule[cid]
            found.append(
                CustodianClient(
                    client_id=cid,
                    display_name=str(row["display_name"]),
                    status=str(row["status"]),
                    contact=contacts.get(cid),
                    last_service_date=row["last_service_date"],
                    retained_until=retention.disposal_date,
                    policy=retention.policy,
                    held=bool(retention.holds),
                )
            )
        vault.audit.record(Action.VIEW, "custodian_clients", None, count=len(found))
        return found

    # -- the notification letter

    def template(self, version: int | None = None) -> LetterTemplate:
        return LetterTemplate(*astuple(self._texts().get(version)))

    def versions(self) -> builtins.list[LetterTemplate]:
        return [LetterTemplate(*astuple(v)) for v in self._texts().all()]

    def save_template(self, text: str) -> LetterTemplate:
        """A new version from `text` (checked first); unchanged text saves nothing."""
        checked = check_template(text)
        audit = self._vault.audit
        version = self._texts().save(
            checked,
            lambda v: audit.record(Action.CUSTODIAN, "letter_template", v, event="saved"),
        )
        return self.template(version)

    def _texts(self) -> VersionedTexts:
        return VersionedTexts(self._vault.db, "custodian_letter_templates", "letter template")

    def _custodian_info(self) -> CustodianInfo | None:
        slot = self._vault.custodian_mode or self._vault.key_file.custodian
        return None if slot is None else CustodianInfo.of(slot)

    def needs_secret(self, client_id: int) -> bool:
        """Whether the client's letter needs the passphrase (or custodian key) again: their
        legal name is sealed, and a mailed letter goes to the legal name."""
        return self._vault.clients.sealed_name_blob(client_id) is not None

    def _legal_name(self, client: Client, secret: str | None) -> str:
        if client.legal_name is not None:
            return client.legal_name
        if not self.needs_secret(client.id):
            return client.display_name
        if secret is None:
            raise UsageError(
                f"{client.record_id}'s legal name is sealed: the letter needs the custodian "
                "key (or the passphrase) again to open it"
            )
        # Audited as a reveal of this client's legal name.
        return self._vault.reveal_legal_names([client.id], secret)[client.id]

    def missing_contact(self, client_id: int) -> str | None:
        """The warning for a letter with no address, or None when contact details are set
        (each face adds how to set them)."""
        if self.contact(client_id):
            return None
        return f"C-{client_id:05d} has no contact details: the letter carries no address."

    def letter(
        self, client_id: int, today: date | None = None, *, secret: str | None = None
    ) -> Document:
        """The letter to one client, from the current template. The legal name addresses it;
        a sealed one is opened with `secret` (the custodian key or passphrase again)."""
        from ..disclosures.document import Document, Section

        vault = self._vault
        client = vault.clients.get_unaudited(client_id)
        legal_name = self._legal_name(client, secret)
        template = self.template()
        practice = vault.disclosures.practice()
        custodian = self._custodian_info()
        retention = vault.retention.schedule(today, [client_id])[0]
        day = (today or date.today()).isoformat()
        values = {
            "client": client.display_name,
            "legal_name": legal_name,
            "record_id": client.record_id,
            "practice": practice.name or "the practice",
            "clinician": practice.clinician_line() or "The clinician",
            "custodian": custodian.name if custodian else "the records custodian",
            "custodian_role": custodian.role if custodian else "",
            "custodian_contact": custodian.contact if custodian else "",
            "retained_until": retention.disposal_date,
            "today": day,
        }
        # Values are data: format_map substitutes them once and never parses them again.
        body = check_template(template.text).format_map(values)
        contact = self.contact(client_id)
        facts = [("To", legal_name)]
        if contact:
            facts.append(("Contact", contact.replace("\n", ", ")))
        facts += [("Record", client.record_id), ("Date", day)]
        reference = f"LETTER-{client.record_id}-v{template.version}"
        return Document(
            reference=reference,
            title="About your records",
            practice=letterhead(practice),
            facts=tuple(facts),
            statement=(),
            sections=(Section("Letter", (), body),),
            footer_id=reference,
            item=("letter", "letters"),
        )

    def write_letter(
        self,
        client_id: int,
        path: str | Path,
        *,
        fmt: str | None = None,
        force: bool = False,
        today: date | None = None,
        secret: str | None = None,
        document: Document | None = None,
    ) -> Path:
        """Write one client's letter (a copy outside the vault, recorded as such: kind
        `custodian_letter`, so a disposal certificate names it for what it is). `document`:
        the letter already made for this client (shown before confirming)."""
        if document is None:
            document = self.letter(client_id, today, secret=secret)
        return self._write(document, [client_id], path, fmt, force, "custodian_letter")

    def _write(
        self,
        document: Document,
        client_ids: Sequence[int],
        path: str | Path,
        fmt: str | None,
        force: bool,
        kind: str,
    ) -> Path:
        """Write a custodian document naming `client_ids`: one copy-outside row per client
        named (so each client's disposal lists it), audited, the file 0600 and atomic."""
        from ..disclosures.facade import ExportFormat, render
        from ..disclosures.writer import check_target, record_export, write_export

        vault = self._vault
        target = check_target(Path(path), force)
        export_format = ExportFormat.choose(target, fmt)
        data = render(document, export_format, paper=self._paper())

        def record(publish: Any) -> None:
            with vault.db.atomic():
                single = client_ids[0] if len(client_ids) == 1 else None
                vault.audit.record(
                    Action.EXPORT, kind, single, format=export_format.value, clients=len(client_ids)
                )
                owners: list[int | None] = [*client_ids] or [None]
                for cid in owners:
                    record_export(vault.db, target, data, kind, cid)
                publish()

        write_export(target, data, force, record)
        return target

    # -- the instructions document

    def instructions(
        self, backups: Sequence[BackupPlace] = (), today: date | None = None
    ) -> Document:
        """What the custodian must know, from the vault's own data."""
        from ..disclosures.document import Document, Section

        vault = self._vault
        practice = vault.disclosures.practice()
        custodian = self._custodian_info()
        clients = self.clients(today)
        if backups:
            drives = "\n".join(
                f"- {b.label}: last seen at {b.last_path or 'a path not recorded'}; "
                f"last good backup {local_date(b.last_backup) if b.last_backup else 'none'}"
                + (" (REPORTED LOST)" if b.lost else "")
                for b in backups
            )
        else:
            drives = "- No backup drive is recorded in this vault."
        retention = (
            "\n".join(
                f"{c.record_id}  {c.display_name}  retained until {c.retained_until}"
                f" ({c.policy}){'  LEGAL HOLD: do not destroy' if c.held else ''}"
                for c in clients
            )
            or "No clients are recorded."
        )
        who = (
            f"{custodian.name} ({custodian.role}), {custodian.contact}"
            if custodian
            else "no custodian is designated yet"
        )
        sections = (
            Section(
                "Where the records are",
                (),
                f"The vault is the folder {vault.folder} on the clinician's computer (the "
                f"files keys.confide, record.db and pnotes.db; vault id {vault.vault_id}). "
                "Encrypted backups are on these drives:\n" + drives + "\n"
                "The custodian key opens the vault folder itself, or a copy of the whole "
                "folder. Confide restores a backup from a drive (`confide restore`) only with "
                "the clinician's passphrase or recovery key, not with the custodian key: keep "
                "a current copy of the vault folder with the sheet. The backups do carry the "
                "custodian key's slot, so the sheet together with a backup drive exposes the "
                "records to anyone with other tools: keep them apart.",
            ),
            Section(
                "Installing Confide",
                (),
                "Confide runs on Linux and macOS with Python 3.11 or later. From a copy of "
                "its source: `pipx install .` (or `pip install .` in a virtual environment). "
                "Then `confide --help` lists every command.",
            ),
            Section(
                "Opening the records with the custodian sheet",
                (),
                "Keep the custodian sheet at hand: its key opens the records read-only. In "
                "the app (`confide` with no command), choose 'Open as records custodian' on "
                "the lock screen and type the key. On the command line, add --custodian to a "
                "command and type the key when asked (or --custodian-key-file FILE): "
                "`confide --custodian custodian clients` lists every client with contact "
                "details and retention dates; `confide --custodian custodian letter C-00001 "
                "--out letter.pdf` writes a client's notification letter; `release` and "
                "`access` answer records requests; `export` writes the whole record in an "
                "open format. Notes cannot be changed, and every use is audited.",
            ),
            Section(
                "What the law asks of a custodian",
                (),
                "Confide is a tool, not legal advice; check the rules of the state and the "
                "licensing board. What Confide models:\n"
                "- Retention: records are kept for the retention period of their "
                "jurisdiction (for example the APA Record Keeping Guidelines, 2007: 7 years "
                "after the last service; for a minor, 3 years after the age of majority or 7 "
                "years after the last service, whichever is later). A legal hold suspends "
                "disposal. HIPAA documentation is kept six years (45 CFR 164.316(b)(2), "
                "164.530(j)).\n"
                "- Right of access (45 CFR 164.524): clients may see and get a copy of their "
                "record, except psychotherapy notes; act within 30 days of a request.\n"
                "- Psychotherapy notes (45 CFR 164.501, 164.508(a)(2)): released only under "
                "a specific authorization.\n"
                "- Accounting of disclosures (45 CFR 164.528): every release is recorded; "
                "Confide does this for you.\n"
                "- Minimum necessary (45 CFR 164.502(b)): disclose only what the purpose "
                "needs.\n"
                "- Breach notification (45 CFR 164.404): if records are lost or exposed, "
                "notify the clients without unreasonable delay and within 60 days.\n"
                "- Disposal (45 CFR 164.310(d)(2), NIST SP 800-88): when retention ends, "
                "records are destroyed so they cannot be recovered.",
            ),
            Section("Retention date of each client", (), retention),
        )
        facts = (
            ("Practice", practice.name or "not set"),
            ("Clinician", practice.clinician_line() or "not set"),
            ("Custodian", who),
            (
                "Psychotherapy notes",
                "included" if custodian and custodian.pnotes else "not included",
            ),
            ("Clients", str(len(clients))),
            ("Written", (today or date.today()).isoformat()),
        )
        return Document(
            reference="INSTRUCTIONS",
            title="Custodian instructions",
            practice=letterhead(practice),
            facts=facts,
            statement=(),
            sections=sections,
            footer_id="INSTRUCTIONS",
            item=("section", "sections"),
        )

    def write_instructions(
        self,
        path: str | Path,
        backups: Sequence[BackupPlace] = (),
        *,
        fmt: str | None = None,
        force: bool = False,
        today: date | None = None,
    ) -> Path:
        """Write the instructions (they name every client: a copy outside the vault of each,
        one row per client, audited)."""
        from ..disclosures.writer import check_target

        check_target(Path(path), force)  # before every client is read
        document = self.instructions(backups, today)
        named = [int(r[0]) for r in self._vault.db.query("SELECT id FROM clients ORDER BY id")]
        return self._write(document, named, path, fmt, force, "custodian_instructions")


__all__ = [
    "PLACEHOLDERS",
    "BackupPlace",
    "Custodian",
    "CustodianClient",
    "CustodianInfo",
    "Designation",
    "LetterTemplate",
    "check_contact",
    "check_template",
    "grouped",
    "letterhead",
]
