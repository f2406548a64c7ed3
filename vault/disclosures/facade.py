"""The disclosures facade: records release, right of access, authorizations, accounting,
amendments.

Reached as `vault.disclosures` on an unlocked vault. A release is two steps: `prepare` checks the
request and builds the exact document (its `preview` is what will leave), `write` puts it at the
path the user named and records it in the accounting of disclosures, in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..attachments import Attachment, Link
from ..errors import DisclosureRefusedError, NotFoundError, UsageError
from ..records.audit import Action
from ..records.models import OmitCategory
from ..storage.database import Row, now_utc
from ..timefmt import local_date
from . import _fields
from .access import Access, Denial, copy_statement
from .amendments import Amendment, Amendments
from .authorizations import (
    ALL_KINDS,
    Authorization,
    AuthorizationKind,
    Authorizations,
    DocumentKind,
)
from .document import Document, Section, clean
from .notice import Notices
from .release import (
    PNOTES_STATEMENT,
    ReleasePlan,
    ReleaseSpec,
    check_basis,
    describe_kinds,
    kinds_json,
    load_notes,
    next_disclosure_id,
    normalize,
    note_section,
    pnote_section,
    pnotes_in_range,
    purpose_warnings,
)
from .requests import ChecklistItem, RecordsRequest, RecordsRequests, RequestType
from .writer import check_target, record_export, write_export

if TYPE_CHECKING:
    from ..vault import Vault

__all__ = [
    "ALL_KINDS",
    "Amendment",
    "Amendments",
    "Authorization",
    "AuthorizationKind",
    "Authorizations",
    "ChecklistItem",
    "Disclosure",
    "Disclosures",
    "Document",
    "DocumentKind",
    "ExportFormat",
    "Practice",
    "RecordsRequest",
    "ReleasePlan",
    "ReleaseSpec",
    "RequestType",
    "Section",
]

ACCOUNTING_YEARS = 6


class ExportFormat(StrEnum):
    PDF = "pdf"
    TEXT = "txt"
    MARKDOWN = "md"

    @classmethod
    def choose(cls, path: Path, given: str | None) -> ExportFormat:
        if given:
            key = given.strip().lower().lstrip(".")
            key = {"text": "txt", "markdown": "md"}.get(key, key)
            try:
                return cls(key)
            except ValueError:
                raise UsageError(f"unknown format {given!r}; use pdf, txt or md") from None
        suffix = path.suffix.lower().lstrip(".")
        suffix = {"text": "txt", "markdown": "md"}.get(suffix, suffix)
        try:
            return cls(suffix)
        except ValueError:
            raise UsageError(
                f"cannot tell the format from {path.name!r}; end the name with "
                ".pdf, .txt or .md, or give the format"
            ) from None


def check_carries(document: Document, fmt: ExportFormat) -> None:
    """Refuse a format that cannot carry the document's files (only a PDF can), before
    anything is written: a text release would leave the forms out without saying so."""
    if document.files and fmt is not ExportFormat.PDF:
        count = len(document.files)
        what = "this copy" if document.title.startswith("Copy") else "this release"
        raise UsageError(
            f"{what} holds {count} scanned form{'s' if count != 1 else ''} or other "
            "file(s), which travel inside a PDF: write it as .pdf; nothing was written"
        )


def render(
    document: Document, fmt: ExportFormat, password: str | None = None, paper: str = "letter"
) -> bytes:
    if password is not None and fmt is not ExportFormat.PDF:
        raise UsageError("only a PDF can be password-protected; choose .pdf or drop the password")
    check_carries(document, fmt)
    if fmt is ExportFormat.PDF:
        from .pdf import render_pdf  # local: fpdf2 loads only when a PDF is made

        return render_pdf(document, password, paper)
    if fmt is ExportFormat.MARKDOWN:
        return document.markdown().encode("utf-8")
    return document.text().encode("utf-8")


NO_PRACTICE_NAME = "Practice name not set (Practice settings, F4 in the app)"


@dataclass(frozen=True)
class Practice:
    name: str | None
    address: str | None
    phone: str | None
    license: str | None
    paper: str | None = None  # default page size of release PDFs: a4 or letter
    clinician: str | None = None
    credentials: str | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.name)

    def clinician_line(self) -> str | None:
        """`Dr. Jane Able, PsyD, licensed psychologist`: who releases and signs."""
        parts = [x for x in (self.clinician, self.credentials) if x]
        return ", ".join(parts) or None

    def lines(self) -> tuple[str, ...]:
        """The letterhead: the practice name first (running header, PDF Author), then the
        clinician and how to reach the practice."""
        first = self.name or NO_PRACTICE_NAME
        rest = [
            x
            for x in (
                self.clinician_line(),
                self.address,
                self.phone,
                f"License: {self.license}" if self.license else None,
            )
            if x
        ]
        return (first, *rest)

    def signature(self) -> tuple[str, ...]:
        """The signature block closing a release: who released it, and a line to sign."""
        who = self.clinician_line() or "_" * 36
        return (f"Released by: {who}", f"Signature: {'_' * 36}   Date: {'_' * 14}")


@dataclass(frozen=True)
class Disclosure:
    """One entry of the accounting of disclosures (164.528), recorded with every release."""

    id: int
    client_id: int
    disclosed_at: str
    request_type: RequestType
    recipient_name: str
    recipient_address: str | None
    purpose: str
    description: str
    basis: str | None
    authorization_id: int | None
    pnotes_authorization_id: int | None
    request_id: int | None
    date_from: str | None
    date_to: str | None
    document_kinds: tuple[str, ...]
    note_ids: tuple[int, ...]
    pnote_count: int
    included_categories: tuple[str, ...]
    withheld_categories: tuple[str, ...]
    format: str
    encrypted: bool
    sha256: str
    accountable: bool
    # The scanned forms and other files that left inside the PDF (F-00001 = 1), exactly.
    attachment_ids: tuple[int, ...] = ()

    @property
    def record_id(self) -> str:
        return f"R-{self.id:06d}"


def _disclosure(row: Row) -> Disclosure:
    return Disclosure(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        disclosed_at=row["disclosed_at"],
        request_type=RequestType(row["request_type"]),
        recipient_name=row["recipient_name"],
        recipient_address=row["recipient_address"],
        purpose=row["purpose"],
        description=row["description"],
        basis=row["basis"],
        authorization_id=row["authorization_id"],
        pnotes_authorization_id=row["pnotes_authorization_id"],
        request_id=row["request_id"],
        date_from=row["date_from"],
        date_to=row["date_to"],
        document_kinds=tuple(json.loads(row["document_kinds"])),
        note_ids=tuple(json.loads(row["note_ids"])),
        pnote_count=int(row["pnote_count"]),
        included_categories=tuple(json.loads(row["included_categories"])),
        withheld_categories=tuple(json.loads(row["withheld_categories"])),
        format=row["format"],
        encrypted=bool(row["encrypted"]),
        sha256=row["sha256"],
        accountable=bool(row["accountable"]),
        attachment_ids=tuple(json.loads(row["attachment_ids"])),
    )


# In the order of Practice's fields.
_PRACTICE_KEYS = ("name", "address", "phone", "license", "paper", "clinician", "credentials")
PAPER_SIZES = ("a4", "letter")


class Disclosures:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self.authorizations = Authorizations(vault)
        self.requests = RecordsRequests(vault)
        self.amendments = Amendments(vault)
        self.access = Access(vault)
        self.notices = Notices(vault)

    # -- practice header

    def practice(self) -> Practice:
        rows = {
            r["key"]: r["value"]
            for r in self._vault.db.query(
                "SELECT key, value FROM settings WHERE key LIKE 'practice.%'"
            )
        }
        return Practice(*(rows.get(f"practice.{k}") for k in _PRACTICE_KEYS))

    def set_practice(
        self,
        *,
        name: str | None = None,
        address: str | None = None,
        phone: str | None = None,
        license: str | None = None,
        paper: str | None = None,
        clinician: str | None = None,
        credentials: str | None = None,
    ) -> Practice:
        """The header of every release, and its page size. Only the fields given change; ""
        clears one."""
        if paper is not None and paper not in PAPER_SIZES:
            raise UsageError(f"unknown paper size {paper!r}: choose a4 or letter")
        values = {
            "name": name,
            "address": address,
            "phone": phone,
            "license": license,
            "paper": paper,
            "clinician": clinician,
            "credentials": credentials,
        }
        db = self._vault.db
        with db.atomic():
            for key, value in values.items():
                if value is None:
                    continue
                cleaned = _fields.line(value, f"practice {key}", required=False)
                if cleaned is None:
                    db.execute("DELETE FROM settings WHERE key = ?", (f"practice.{key}",))
                else:
                    db.execute(
                        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key)"
                        " DO UPDATE SET value = excluded.value",
                        (f"practice.{key}", cleaned),
                    )
            self._vault.audit.record(
                Action.EDIT,
                "practice",
                None,
                fields=",".join(k for k, v in values.items() if v is not None),
            )
        return self.practice()

    def _paper(self, paper: str | None) -> str:
        chosen = paper or self.practice().paper or "letter"
        if chosen not in PAPER_SIZES:
            raise UsageError(f"unknown paper size {chosen!r}: choose a4 or letter")
        return chosen

    # -- release

    def prepare(
        self, spec: ReleaseSpec, *, passphrase: str | None = None, today: date | None = None
    ) -> ReleasePlan:
        """Check the request and build the exact document; nothing is written or recorded
        as disclosed. Psychotherapy notes need the passphrase again."""
        vault = self._vault
        spec = normalize(spec)
        now = today or date.today()
        client = vault.clients.get_unaudited(spec.client_id)
        try:
            basis, accountable, general, pnotes_auth = check_basis(vault, spec, now)
        except DisclosureRefusedError:
            # A refusal is an event worth proving later (what did not leave, and why not).
            vault.audit.record(
                Action.EXPORT_REFUSED, "client", spec.client_id, type=spec.request_type.value
            )
            raise
        access = spec.request_type is RequestType.CLIENT_ACCESS
        # The client's copy: every flag is released (flags keep passages from third parties,
        # not from the client); only recorded denials withhold, and for a parent the notes of
        # services the minor consented to alone are not theirs (164.502(g)(3)).
        copy_scope = (
            self.access.scope(spec.client_id, spec.representative_id, now) if access else None
        )
        include = set(OmitCategory) if access else set(spec.include_categories)
        pairs = load_notes(vault, spec)
        if copy_scope is not None:
            pairs = [(n, a) for n, a in pairs if n.id not in copy_scope.excluded_notes]
        people = {c for note, addenda in pairs for n in (note, *addenda) for c in n.participant_ids}
        names = {c: vault.clients.get_unaudited(c) for c in people}
        sealed = [c for c in names.values() if c.is_pseudonymous and c.id != client.id]
        if sealed:
            # A sealed legal name may still appear in a note's text; it can only be withheld
            # once it is known, and knowing it takes the passphrase again.
            if passphrase is None:
                raise UsageError(
                    "a joint note names a client whose legal name is sealed; "
                    "the passphrase is needed again to withhold that name"
                )
            for other in sealed:
                names[other.id] = replace(
                    other, legal_name=vault.reveal_legal_name(other.id, passphrase)
                )
        if spec.legal_name and client.is_pseudonymous:
            if passphrase is None:
                raise UsageError(
                    f"{client.record_id}'s legal name is sealed; the passphrase "
                    "is needed again to print it on the release"
                )
            client = replace(client, legal_name=vault.reveal_legal_name(client.id, passphrase))
        sections: list[Section] = []
        withheld: set[OmitCategory] = set()
        joint = 0
        note_ids: list[int] = []
        applied: list[Denial] = []
        for note, addenda in pairs:
            for level, item in ((0, note), *((1, a) for a in addenda)):
                denied = copy_scope.denied.get(item.id, ()) if copy_scope is not None else ()
                applied.extend(denied)
                section, held, is_joint = note_section(item, client, names, include, level, denied)
                sections.append(section)
                withheld |= held
                joint += int(is_joint)
                note_ids.append(item.id)
            if note.entry_type.value != "addendum":
                sections.extend(self._amendment_sections(note.id))
        pnote_sections: list[Section] = []
        if pnotes_auth is not None:
            if passphrase is None:
                raise UsageError("releasing psychotherapy notes needs the passphrase again")
            area = vault.open_psychotherapy_notes(passphrase)
            try:
                chosen = pnotes_in_range(area.list(spec.client_id), spec)
            finally:
                area.lock()
            for pnote in chosen:
                section, held = pnote_section(pnote, include)
                pnote_sections.append(section)
                withheld |= held
        sections.extend(pnote_sections)
        # A client's own copy holds every file of the record; a release to anyone else only
        # the files the clinician chose (none by default).
        chosen_files = (
            [
                a
                for a in self._vault.attachments.for_client_unaudited(spec.client_id)
                if not a.entered_in_error
            ]
            if access
            else self._chosen_attachments(spec, client.record_id)
        )
        form_sections, files = self._attachment_sections(chosen_files, access)
        sections.extend(form_sections)
        if not sections:
            span = _range_text(spec)
            raise UsageError(
                f"nothing to release: {client.record_id} has no signed "
                f"{describe_kinds(spec.document_kinds)} {span}"
            )
        planned = next_disclosure_id(vault)
        reference = f"R-{planned:06d}"
        withheld_sorted = tuple(c for c in OmitCategory if c in withheld)
        included = tuple(c for c in OmitCategory if c in include)
        if copy_scope is not None:
            statement = copy_statement(applied, joint, copy_scope.representative)
        else:
            statement = _statement(
                withheld_sorted, included, joint, pnotes_auth is not None, spec.request_type
            )
            if chosen_files:
                statement += (
                    "Scanned forms and other files go whole (their content cannot be flagged): "
                    "only those listed were chosen, and each travels inside this PDF as an "
                    "attachment.",
                )
        kinds = describe_kinds(spec.document_kinds)
        if spec.note_ids:
            scope = "chosen item by item: " + ", ".join(f"N-{i:06d}" for i in spec.note_ids)
        else:
            scope = f"{kinds}, {_range_text(spec)}"
        if pnote_sections:
            scope += f"; {len(pnote_sections)} psychotherapy note(s)"
        if chosen_files:
            scope += f"; {_files_text(chosen_files)}"
        shown = client.legal_name if spec.legal_name and client.legal_name else client.display_name
        client_line = f"{shown} ({client.record_id})"
        if client.date_of_birth:
            client_line += f", born {client.date_of_birth}"
        to = spec.recipient_name + (f", {spec.recipient_address}" if spec.recipient_address else "")
        access = spec.request_type is RequestType.CLIENT_ACCESS
        facts = (
            ("Client", client_line),
            ("Released to", to),
            ("Released for", spec.purpose),
            ("Request", spec.request_type.label),
            ("Basis", basis),
            ("Records", scope),
            # The day only: the preview is exactly the file written, even a minute later.
            ("Prepared", local_date(now)),
        )
        practice = self.practice()
        document = Document(
            reference=reference,
            title="Copy of records" if access else "Release of records",
            practice=tuple(clean(line) for line in practice.lines()),
            facts=facts,
            statement=statement,
            sections=tuple(sections),
            footer_id=f"{reference}  {client.record_id}",
            signature=practice.signature(),
            files=files,
        )
        general_count = len(note_ids)
        description = (
            f"{general_count} signed document{'s' if general_count != 1 else ''} ({scope})"
        )
        if withheld_sorted:
            description += "; withheld: " + ", ".join(c.label for c in withheld_sorted)
        if applied:
            description += "; denied: " + ", ".join(
                f"{d.record_id} ({d.ground.value})" for d in applied
            )
        elif included and not access:
            description += "; included on purpose: " + ", ".join(c.label for c in included)
        vault.audit.record(
            Action.EXPORT_PREVIEW,
            "client",
            spec.client_id,
            planned=planned,
            notes=general_count,
            pnotes=len(pnote_sections),
            attachments=len(chosen_files),
        )
        warnings = purpose_warnings(spec.purpose, general, pnotes_auth)
        if general is not None:
            # An authorization records the document kinds it covers, never scanned forms: the
            # signed form's own words decide, so the clinician is told to check them. Its own
            # signed form (filed with it) is what the recipient is usually sent anyway.
            unlisted = [
                a.record_id for a in chosen_files if a.link != Link("authorization", general.id)
            ]
            if unlisted:
                warnings += (
                    f"{general.record_id} covers {describe_kinds(general.document_kinds)} and "
                    f"names no scanned forms; check that the signed form ({general.description!r}) "
                    f"covers {', '.join(unlisted)} before writing",
                )
        return ReleasePlan(
            spec=spec,
            document=document,
            note_ids=tuple(note_ids),
            pnote_count=len(pnote_sections),
            included_categories=included,
            withheld_categories=withheld_sorted,
            joint_notes=joint,
            basis=basis,
            description=description,
            accountable=accountable,
            planned_id=planned,
            authorization=general,
            pnotes_authorization=pnotes_auth,
            warnings=warnings,
            attachments=tuple(chosen_files),
        )

    def _chosen_attachments(self, spec: ReleaseSpec, client_ref: str) -> list[Attachment]:
        """The files a release to a third party carries: those named by id, then those filed
        as the kinds named, oldest first. Only this client's, only part of the record."""
        if not spec.attachment_ids and not spec.attachment_kinds:
            return []
        files = self._vault.attachments
        chosen: dict[int, Attachment] = {}
        for attachment_id in spec.attachment_ids:
            found = files.get_unaudited(attachment_id)
            if found.client_id != spec.client_id:
                raise UsageError(
                    f"{found.record_id} is not in {client_ref}'s record; only this client's "
                    "files can go with this release"
                )
            if found.entered_in_error:
                raise UsageError(
                    f"{found.record_id} is marked entered in error ({found.error_reason}); it "
                    "is not part of the record and does not leave"
                )
            chosen[found.id] = found
        if spec.attachment_kinds:
            wanted = set(spec.attachment_kinds)
            matching = [
                a
                for a in files.for_client_unaudited(spec.client_id)
                if a.kind in wanted and not a.entered_in_error
            ]
            if not matching:
                kinds = ", ".join(k.value for k in spec.attachment_kinds)
                raise UsageError(f"{client_ref} has no scanned forms filed as {kinds}")
            chosen.update((a.id, a) for a in matching)
        return [chosen[i] for i in sorted(chosen)]

    def _attachment_sections(
        self, chosen: list[Attachment], access: bool
    ) -> tuple[list[Section], tuple[tuple[str, bytes], ...]]:
        """Scanned forms and other files: in a client's copy all of them (they are part of
        the designated record set), in a release the ones chosen. Each is a section naming
        it (the name it travels under, kind, size, digest) and its bytes travel inside the
        PDF, where a PDF reader lists them as attachments. The scanner's own file name stays
        in the vault: it is the practice's label, and may name other people."""
        sections: list[Section] = []
        files: list[tuple[str, bytes]] = []
        for attachment in chosen:
            name = attachment.export_name
            files.append((name, b"".join(self._vault.attachments.chunks_unaudited(attachment.id))))
            body = (
                f"This file is part of your record. It is attached to this PDF as {name} "
                "(your PDF reader lists it under attachments)."
                if access
                else f"Attached to this PDF as {name} (a PDF reader lists it under attachments);"
                " the SHA-256 above identifies it exactly."
            )
            sections.append(
                Section(
                    f"{attachment.record_id}: {attachment.kind.value} form (scanned)",
                    (
                        f"File: {name}; added {local_date(attachment.added_at)}; "
                        f"{attachment.media_type}, {attachment.size:,} bytes",
                        f"SHA-256 {attachment.sha256}",
                    )
                    if not access
                    else (
                        f"Added {local_date(attachment.added_at)}; {attachment.media_type}, "
                        f"{attachment.size:,} bytes; SHA-256 {attachment.sha256}",
                    ),
                    body,
                )
            )
        return sections, tuple(files)

    def _amendment_sections(self, note_id: int) -> list[Section]:
        """Denials, disagreements and rebuttals travel with the note (164.526(d)(4)-(5))."""
        out: list[Section] = []
        for a in self.amendments.for_note(note_id):
            if a.status != "denied":
                continue
            parts = [
                f"Client's request ({a.requested_on}):\n{clean(a.request_text)}",
                f"Denied ({a.decided_on}):\n{clean(a.denial_reason or '')}",
            ]
            if a.disagreement:
                parts.append(
                    f"Client's statement of disagreement ({a.disagreement_on}):\n"
                    f"{clean(a.disagreement)}"
                )
            if a.rebuttal:
                parts.append(f"Rebuttal ({a.rebuttal_on}):\n{clean(a.rebuttal)}")
            out.append(
                Section(
                    f"Amendment request {a.record_id} for N-{note_id:06d} (denied)",
                    ("Appended under 45 CFR 164.526(d)",),
                    "\n\n".join(parts),
                    1,
                )
            )
        return out

    def write(
        self,
        plan: ReleasePlan,
        path: str | Path,
        *,
        fmt: str | None = None,
        force: bool = False,
        password: str | None = None,
        paper: str | None = None,
    ) -> Disclosure:
        """Write the prepared release to `path` and record the disclosure, both or neither.
        `paper` (a4 or letter) defaults to the practice setting, else letter."""
        target = check_target(Path(path), force)
        export_format = ExportFormat.choose(target, fmt)
        data = render(plan.document, export_format, password, self._paper(paper))
        digest = hashlib.sha256(data).hexdigest()
        spec = plan.spec
        vault = self._vault

        def record(publish: Callable[[], None]) -> None:
            with vault.db.atomic():
                if next_disclosure_id(vault) != plan.planned_id:
                    raise UsageError(
                        "another release was recorded since this one was prepared; prepare it again"
                    )
                vault.db.execute(
                    "INSERT INTO disclosures (id, client_id, disclosed_at, request_type, "
                    "recipient_name, recipient_address, purpose, description, authorization_id,"
                    " pnotes_authorization_id, request_id, basis, date_from, date_to, "
                    "document_kinds, note_ids, pnote_count, included_categories, "
                    "withheld_categories, format, encrypted, sha256, accountable, "
                    "attachment_ids) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        plan.planned_id,
                        spec.client_id,
                        now_utc(),
                        spec.request_type.value,
                        spec.recipient_name,
                        spec.recipient_address,
                        spec.purpose,
                        plan.description,
                        plan.authorization.id if plan.authorization else None,
                        plan.pnotes_authorization.id if plan.pnotes_authorization else None,
                        spec.request_id,
                        plan.basis,
                        spec.date_from,
                        spec.date_to,
                        kinds_json(spec.document_kinds),
                        json.dumps(list(plan.note_ids)),
                        plan.pnote_count,
                        json.dumps([c.value for c in plan.included_categories]),
                        json.dumps([c.value for c in plan.withheld_categories]),
                        export_format.value,
                        int(password is not None),
                        digest,
                        int(plan.accountable),
                        json.dumps([a.id for a in plan.attachments]),
                    ),
                )
                if spec.request_id is not None:
                    self.requests.mark_fulfilled(spec.request_id)
                if spec.access_request_id is not None:
                    self.access.mark_done(spec.access_request_id, plan.planned_id)
                record_export(vault.db, target, data, "release", spec.client_id, plan.planned_id)
                vault.audit.record(
                    Action.EXPORT,
                    "disclosure",
                    plan.planned_id,
                    client=spec.client_id,
                    format=export_format.value,
                    notes=len(plan.note_ids),
                    pnotes=plan.pnote_count,
                    attachments=len(plan.attachments),
                    encrypted=password is not None,
                )
                publish()

        write_export(target, data, force, record)
        return self.get(plan.planned_id)

    def get(self, disclosure_id: int) -> Disclosure:
        row = self._vault.db.one("SELECT * FROM disclosures WHERE id = ?", (disclosure_id,))
        if row is None:
            raise NotFoundError(f"no disclosure R-{disclosure_id:06d}")
        return _disclosure(row)

    # -- accounting of disclosures (164.528)

    def accounting(
        self, client_id: int, *, today: date | None = None, include_all: bool = False
    ) -> list[Disclosure]:
        """The last six years of accountable disclosures (all disclosures with include_all)."""
        self._vault.clients.get_unaudited(client_id)
        since = _years_before(today or date.today(), ACCOUNTING_YEARS)
        rows = self._vault.db.query(
            "SELECT * FROM disclosures WHERE client_id = ? AND disclosed_at >= ? "
            + ("" if include_all else "AND accountable = 1 ")
            + "ORDER BY disclosed_at, id",
            (client_id, since.isoformat()),
        )
        self._vault.audit.record(
            Action.VIEW, "accounting", client_id, entries=len(rows), all=include_all
        )
        return [_disclosure(r) for r in rows]

    def accounting_document(
        self,
        client_id: int,
        entries: list[Disclosure],
        *,
        today: date | None = None,
        include_all: bool = False,
    ) -> Document:
        client = self._vault.clients.get_unaudited(client_id)
        now = today or date.today()
        since = _years_before(now, ACCOUNTING_YEARS)
        sections = tuple(
            Section(
                f"{local_date(d.disclosed_at)}  {d.record_id}  to {d.recipient_name}",
                tuple(
                    x
                    for x in (
                        f"Address: {d.recipient_address}" if d.recipient_address else "",
                        f"Purpose: {d.purpose}",
                        f"Request: {d.request_type.label}" + (f" ({d.basis})" if d.basis else ""),
                    )
                    if x
                ),
                f"What was disclosed: {d.description}",
            )
            for d in entries
        )
        statement = (
            (
                "Disclosures for treatment, payment and health care operations, to the client, "
                "and under the client's authorization are not listed (45 CFR 164.528(a)(1))."
                if not include_all
                else "Every recorded disclosure is listed, including those 45 CFR 164.528(a)(1) "
                "excludes from the accounting."
            ),
            f"{len(entries)} disclosure{'s' if len(entries) != 1 else ''} recorded."
            if entries
            else "No disclosures to account for in this period.",
        )
        reference = f"AOD-{client.record_id}-{now.isoformat()}"
        return Document(
            reference=reference,
            title="Accounting of disclosures",
            practice=tuple(clean(line) for line in self.practice().lines()),
            facts=(
                ("Client", f"{client.display_name} ({client.record_id})"),
                ("Period", f"{since.isoformat()} to {now.isoformat()} (six years)"),
                ("Prepared", now.isoformat()),
            ),
            statement=statement,
            sections=sections,
            footer_id=reference,
            item=("disclosure listed", "disclosures listed"),
        )

    def write_document(
        self,
        document: Document,
        client_id: int,
        path: str | Path,
        *,
        fmt: str | None = None,
        force: bool = False,
        password: str | None = None,
        what: str = "accounting",
        paper: str | None = None,
    ) -> Path:
        """Write a document that is not a release (the accounting itself), audited."""
        target = check_target(Path(path), force)
        export_format = ExportFormat.choose(target, fmt)
        data = render(document, export_format, password, self._paper(paper))
        vault = self._vault

        def record(publish: Callable[[], None]) -> None:
            with vault.db.atomic():
                vault.audit.record(Action.EXPORT, what, client_id, format=export_format.value)
                record_export(vault.db, target, data, "accounting", client_id)
                publish()

        write_export(target, data, force, record)
        return target

    # -- right of access (164.524)

    def access_spec(
        self,
        client_id: int,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
        document_kinds: tuple[DocumentKind, ...] = ALL_KINDS,
        recipient_address: str | None = None,
        request_id: int | None = None,
        include_categories: tuple[OmitCategory, ...] = (),
    ) -> ReleaseSpec:
        """A copy of the designated record set (psychotherapy notes excluded by law), for the
        client or, with a representative's request, for that personal representative. Every
        flagged passage is in it (`include_categories` is kept for old callers and changes
        nothing); only recorded denials withhold."""
        del include_categories
        client = self._vault.clients.get_unaudited(client_id)
        recipient = f"{client.display_name} (the client)"
        representative_id = None
        if request_id is not None:
            request = self.access.get_request(request_id)
            if request.client_id != client_id:
                raise UsageError(f"{request.record_id} concerns another client")
            recipient = request.requester_name
            representative_id = request.representative_id
        return ReleaseSpec(
            client_id=client_id,
            request_type=RequestType.CLIENT_ACCESS,
            recipient_name=recipient,
            purpose="the client's request for a copy of their record"
            if representative_id is None
            else "a personal representative's request for a copy of the client's record",
            recipient_address=recipient_address,
            date_from=date_from,
            date_to=date_to,
            document_kinds=document_kinds,
            access_request_id=request_id,
            representative_id=representative_id,
        )


def _statement(
    withheld: tuple[OmitCategory, ...],
    included: tuple[OmitCategory, ...],
    joint: int,
    has_pnotes: bool,
    kind: RequestType,
) -> tuple[str, ...]:
    lines = ["Confidential health information. Further disclosure only as the law permits."]
    held: list[str] = []
    if withheld:
        held.append(
            "passages flagged "
            + ", ".join(c.label for c in withheld)
            + " (each replaced by a [withheld: ...] marker)"
        )
    if joint:
        held.append(
            f"other participants' names and their flagged passages in {joint} joint, "
            "family or group session note" + ("s" if joint != 1 else "")
        )
    if not has_pnotes:
        held.append(PNOTES_STATEMENT)
    lines.append("Withheld from this release:")
    lines.extend(f"  - {h}" for h in held)
    if included:
        lines.append(
            "Included on purpose by the clinician: passages flagged "
            + ", ".join(c.label for c in included)
            + "."
        )
    if kind.minimum_necessary:
        lines.append(
            "Minimum necessary: only the notes listed were chosen, one by one (45 CFR 164.502(b))."
        )
    lines.append("Only signed notes are part of the record; drafts are never released.")
    return tuple(lines)


def _files_text(files: list[Attachment]) -> str:
    """`2 scanned forms: F-00001 (intake), F-00004 (consent)`: what left, by identifier."""
    listed = ", ".join(f"{a.record_id} ({a.kind.value})" for a in files)
    return f"{len(files)} scanned form{'s' if len(files) != 1 else ''}: {listed}"


def _range_text(spec: ReleaseSpec) -> str:
    if spec.date_from and spec.date_to:
        return f"dated {spec.date_from} to {spec.date_to}"
    if spec.date_from:
        return f"dated from {spec.date_from}"
    if spec.date_to:
        return f"dated up to {spec.date_to}"
    return "of all dates"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
