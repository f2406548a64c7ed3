"""Building a release: which documents, what is withheld, and the document that leaves.

Nothing here writes to disk or records a disclosure; `Disclosures.write` does, from a plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ..attachments import AttachmentKind
from ..errors import AuthorizationNotNamedError, DisclosureRefusedError, UsageError
from ..records.markup import render_withheld, withheld_categories, withheld_marker
from ..records.models import Client, EntryType, Note, OmitCategory, PsychotherapyNote
from ..records.templates import TEMPLATES
from ..timefmt import local_date, local_time
from . import _fields
from .access import Denial, render_denied
from .authorizations import ALL_KINDS, Authorization, DocumentKind
from .document import Document, Section, clean
from .requests import RequestType

if TYPE_CHECKING:
    from ..attachments import Attachment
    from ..vault import Vault

PARTICIPANT_MARKER = "[withheld: other participant]"
PNOTES_STATEMENT = (
    "Psychotherapy notes (45 CFR 164.501), if any, are kept apart from the "
    "record and are not part of this release."
)


@dataclass(frozen=True)
class ReleaseSpec:
    """What the clinician asked for. `prepare` checks it and returns a `ReleasePlan`."""

    client_id: int
    request_type: RequestType
    recipient_name: str
    purpose: str
    recipient_address: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    document_kinds: tuple[DocumentKind, ...] = ALL_KINDS
    include_categories: tuple[OmitCategory, ...] = ()
    authorization_id: int | None = None
    pnotes_authorization_id: int | None = None
    note_ids: tuple[int, ...] = ()  # item-by-item choice (minimum necessary)
    request_id: int | None = None
    court_order: str | None = None
    legal_name: bool = False  # print a pseudonymous client's sealed legal name (passphrase)
    # Right of access (164.524): the request this copy answers, and the personal
    # representative (164.502(g)) it is for, if not the client.
    access_request_id: int | None = None
    representative_id: int | None = None
    # Scanned forms and other files (vault.attachments) that go too: none unless chosen, by
    # id (F-00001) or by what they are filed as. A client's own copy holds all of them.
    attachment_ids: tuple[int, ...] = ()
    attachment_kinds: tuple[AttachmentKind, ...] = ()


@dataclass(frozen=True)
class ReleasePlan:
    spec: ReleaseSpec
    document: Document
    note_ids: tuple[int, ...]
    pnote_count: int
    included_categories: tuple[OmitCategory, ...]
    withheld_categories: tuple[OmitCategory, ...]
    joint_notes: int  # notes with other participants, whose names were withheld
    basis: str
    description: str
    accountable: bool
    planned_id: int
    authorization: Authorization | None = None
    pnotes_authorization: Authorization | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    attachments: tuple[Attachment, ...] = ()  # the files inside the PDF, in its order

    @property
    def reference(self) -> str:
        return self.document.reference

    @property
    def preview(self) -> str:
        return self.document.text()


def normalize(spec: ReleaseSpec) -> ReleaseSpec:
    """Field checks that need no database: clear errors before anything is read."""
    recipient = _fields.required_line(spec.recipient_name, "recipient")
    purpose = _fields.required_line(spec.purpose, "purpose", max_chars=1000)
    address = _fields.line(spec.recipient_address, "recipient address", required=False)
    start = _fields.day(spec.date_from, "start date")
    end = _fields.day(spec.date_to, "end date")
    if start and end and start > end:
        raise UsageError(f"the date range {start} to {end} is empty: the start is after the end")
    if not spec.document_kinds:
        raise UsageError(
            "no document kinds chosen; choose at least one (or leave the choice out for all)"
        )
    order = _fields.line(spec.court_order, "court order", max_chars=500, required=False)
    return ReleaseSpec(
        client_id=spec.client_id,
        request_type=spec.request_type,
        recipient_name=recipient,
        purpose=purpose,
        recipient_address=address,
        date_from=start.isoformat() if start else None,
        date_to=end.isoformat() if end else None,
        document_kinds=tuple(dict.fromkeys(spec.document_kinds)),
        include_categories=tuple(dict.fromkeys(spec.include_categories)),
        authorization_id=spec.authorization_id,
        pnotes_authorization_id=spec.pnotes_authorization_id,
        note_ids=tuple(dict.fromkeys(spec.note_ids)),
        request_id=spec.request_id,
        court_order=order,
        legal_name=spec.legal_name,
        access_request_id=spec.access_request_id,
        representative_id=spec.representative_id,
        attachment_ids=tuple(dict.fromkeys(spec.attachment_ids)),
        attachment_kinds=tuple(dict.fromkeys(spec.attachment_kinds)),
    )


def note_kind(note: Note, parent: Note | None) -> DocumentKind:
    source = parent if parent is not None and note.entry_type is EntryType.ADDENDUM else note
    return DocumentKind(TEMPLATES[source.template].document_kind)


def in_range(note: Note, start: str | None, end: str | None) -> bool:
    day = note.session.session_date or note.created_at[:10]
    return (start is None or day >= start) and (end is None or day <= end)


class NameMask:
    """Withholds other participants' names from one client's release."""

    def __init__(self, client: Client, others: Sequence[Client]) -> None:
        own = {t.casefold() for t in _tokens(client.display_name)}
        if client.legal_name:
            own |= {t.casefold() for t in _tokens(client.legal_name)}
        names: set[str] = set()
        for other in others:
            for full in (other.display_name, other.legal_name):
                if not full:
                    continue
                names.add(full)
                # First or last name alone, unless the client shares it (a family's surname).
                names |= {t for t in _tokens(full) if len(t) > 1 and t.casefold() not in own}
        # Longest first, so "Ann Lee" goes before "Ann"; whole words only, any case.
        ordered = sorted(names, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)", re.IGNORECASE
            )
            if ordered
            else None
        )

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(PARTICIPANT_MARKER, text)


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", name) if t]


def describe_kinds(kinds: Iterable[DocumentKind]) -> str:
    kinds = list(kinds)
    if set(kinds) == set(ALL_KINDS):
        return "all general-record documents"
    return ", ".join(k.plural for k in kinds)


def load_notes(vault: Vault, spec: ReleaseSpec) -> list[tuple[Note, list[Note]]]:
    """Signed originals (and their signed addenda) of the client, in session order."""
    db = vault.db
    if spec.note_ids:
        ids = list(spec.note_ids)
        for note_id in ids:
            note = vault.notes.get_unaudited(note_id)
            if spec.client_id not in note.participant_ids:
                raise UsageError(f"{note.record_id} is not in this client's record")
            if not note.is_signed:
                raise UsageError(f"{note.record_id} is a draft; only signed notes are released")
    else:
        rows = db.query(
            "SELECT n.id FROM note_participants p JOIN notes n ON n.id = p.note_id "
            "WHERE p.client_id = ? AND n.status = 'signed' AND "
            "(n.entry_type != 'addendum' OR n.parent_id IS NULL) "
            "ORDER BY coalesce(n.session_date, substr(n.created_at, 1, 10)), n.id",
            (spec.client_id,),
        )
        ids = [int(r[0]) for r in rows]
    out: list[tuple[Note, list[Note]]] = []
    for note_id in ids:
        note = vault.notes.get_unaudited(note_id)
        if note.entry_type is EntryType.ADDENDUM and note.parent_id is not None:
            if spec.note_ids:
                parent = vault.notes.get_unaudited(note.parent_id)
                if note_kind(note, parent) not in spec.document_kinds:
                    continue
                out.append((note, []))
            continue
        if not spec.note_ids and not in_range(note, spec.date_from, spec.date_to):
            continue
        if note_kind(note, None) not in spec.document_kinds:
            continue
        addenda = [
            vault.notes.get_unaudited(int(r[0]))
            for r in db.query(
                "SELECT id FROM notes WHERE parent_id = ? AND entry_type = 'addendum' AND "
                "status = 'signed' ORDER BY id",
                (note.id,),
            )
        ]
        out.append((note, addenda))
    return out


def note_section(
    note: Note,
    client: Client,
    names: dict[int, Client],
    include: set[OmitCategory],
    level: int = 0,
    denied: Sequence[Denial] = (),
) -> tuple[Section, set[OmitCategory], bool]:
    """One note as it may leave: flags withheld, other participants' names withheld, and in
    a client's copy the passages denied on a recorded ground (164.524) marked, never shown."""
    others = [names[c] for c in note.participant_ids if c != client.id]
    joint = bool(others)
    mask = NameMask(client, others)
    # In a joint note each flagged passage is someone's: the participant it names, else the
    # note's own client. The others' passages never leave in this client's release; this
    # client's follow the categories included on purpose, as in any note.
    foreign = [s for s in note.spans if (s.about or note.client_id) != client.id] if joint else []
    if joint and note.omit_category is not None and note.client_id != client.id:
        # A note flagged whole is its own client's to release, not another participant's.
        body = withheld_marker(note.omit_category)
        withheld = {note.omit_category}
    elif denied and (note.omit_category is None or note.omit_category in include):
        body = render_denied(note.body, note.spans, include, foreign, denied)
        withheld = set(withheld_categories(note.spans, note.omit_category, include, foreign))
    else:
        body = render_withheld(note.body, note.spans, note.omit_category, include, foreign)
        withheld = set(withheld_categories(note.spans, note.omit_category, include, foreign))
    body = mask.apply(clean(body))
    tmpl = TEMPLATES[note.template]
    s = note.session
    if note.entry_type is EntryType.ADDENDUM:
        heading = f"Addendum {note.record_id} to N-{note.parent_id or 0:06d}"
    else:
        heading = f"{note.record_id}  {tmpl.title}"
        if note.entry_type is EntryType.LATE_ENTRY:
            heading += "  (late entry)"
    meta: list[str] = []
    when = " ".join(
        p
        for p in (
            s.session_date,
            f"{s.start_time}-{s.end_time}" if s.start_time and s.end_time else s.start_time,
        )
        if p
    )
    if when and note.entry_type is not EntryType.ADDENDUM:
        meta.append(f"Session: {when}")
    extras = [
        f"Service: {s.service_code}" if s.service_code else "",
        f"Modality: {clean(s.modality)}" if s.modality else "",
        f"Diagnosis: {', '.join(s.diagnosis_codes)}" if s.diagnosis_codes else "",
    ]
    if any(extras):
        meta.append("  ".join(e for e in extras if e))
    if joint:
        meta.append(
            f"Participants: {client.display_name} ({client.record_id}) and "
            f"{len(others)} other participant{'s' if len(others) != 1 else ''} "
            "(withheld)"
        )
    if note.late_reason:
        reason = mask.apply(clean(note.late_reason))
        meta.append(f"Written {local_date(note.created_at)}, late because: {reason}")
    meta.append(f"Signed: {local_time(note.signed_at)}")
    return Section(heading, tuple(meta), body, level), withheld, joint


def pnote_section(
    note: PsychotherapyNote, include: set[OmitCategory]
) -> tuple[Section, set[OmitCategory]]:
    """A psychotherapy note as it may leave: its flagged passages withheld like any note's."""
    body = render_withheld(note.body, note.spans, None, include)
    withheld = set(withheld_categories(note.spans, None, include))
    return Section(
        f"Psychotherapy note P-{note.id:06d}",
        (
            f"Session: {note.session_date or 'no date recorded'}",
            "Released under a psychotherapy-notes authorization (45 CFR 164.508(a)(2))",
        ),
        clean(body),
        0,
    ), withheld


def check_basis(
    vault: Vault, spec: ReleaseSpec, today: date
) -> tuple[str, bool, Authorization | None, Authorization | None]:
    """The legal basis of the release; refuses anything the request type does not allow.

    Returns (basis text, accountable under 164.528, general auth, pnotes auth).
    """
    auths = vault.disclosures.authorizations
    kind = spec.request_type
    general = None
    pnotes = None
    if kind is not RequestType.CLIENT_ACCESS and (
        spec.access_request_id is not None or spec.representative_id is not None
    ):
        raise UsageError("an access request or a personal representative belongs to a copy")
    if kind is RequestType.CLIENT_ACCESS and (spec.attachment_ids or spec.attachment_kinds):
        raise UsageError(
            "a client's own copy holds all their scanned forms already; choose files only "
            "for a release to someone else"
        )
    if kind.minimum_necessary and spec.attachment_kinds:
        raise DisclosureRefusedError(
            f"a {kind.label} releases only the minimum necessary: choose scanned forms one "
            "by one (for example --attachment F-00001), not by kind"
        )
    if spec.pnotes_authorization_id is not None:
        if kind is RequestType.CLIENT_ACCESS:
            raise DisclosureRefusedError(
                "psychotherapy notes are excluded from the right of "
                "access (45 CFR 164.524(a)(1)(i))"
            )
        pnotes = auths.require_pnotes(
            spec.pnotes_authorization_id, spec.client_id, spec.recipient_name, today
        )
    if spec.request_id is not None and kind is not RequestType.SUBPOENA:
        raise UsageError("a recorded request answers a subpoena; use --type subpoena with it")
    if kind is RequestType.SUBPOENA:
        if spec.request_id is None:
            raise DisclosureRefusedError(
                "a subpoena alone releases nothing; record it first "
                "(it places a legal hold and opens a checklist)"
            )
        request = vault.disclosures.requests.get(spec.request_id)
        if request.client_id != spec.client_id:
            raise UsageError(f"{request.record_id} concerns another client")
        if not request.can_release:
            raise DisclosureRefusedError(
                f"{request.record_id} has neither the client's authorization nor a court "
                "order; a subpoena alone releases nothing"
            )
        if request.authorization_id is not None:
            general = auths.require_general(
                request.authorization_id,
                spec.client_id,
                spec.recipient_name,
                spec.document_kinds,
                today,
            )
            return (
                f"subpoena {request.record_id} with the client's authorization {general.record_id}",
                False,
                general,
                pnotes,
            )
        return (
            f"subpoena {request.record_id} with court order: {request.court_order}",
            True,
            None,
            pnotes,
        )
    if spec.authorization_id is not None and kind is not RequestType.CLIENT_AUTHORIZATION:
        raise UsageError(
            f"an authorization is named but the request type is {kind.label}; "
            "use --type authorization"
        )
    if kind is RequestType.CLIENT_AUTHORIZATION:
        if spec.authorization_id is None:
            if pnotes is not None:
                return (
                    f"psychotherapy-notes authorization {pnotes.record_id}",
                    False,
                    None,
                    pnotes,
                )
            raise AuthorizationNotNamedError(
                "a release under the client's authorization must name the authorization",
                spec.client_id,
            )
        general = auths.require_general(
            spec.authorization_id, spec.client_id, spec.recipient_name, spec.document_kinds, today
        )
        return f"client authorization {general.record_id}", False, general, pnotes
    if kind is RequestType.COURT_ORDER:
        if not spec.court_order:
            raise DisclosureRefusedError(
                "a release under a court order must identify the order (court, case number, date)"
            )
        return f"court order: {spec.court_order}", True, None, pnotes
    if kind.minimum_necessary:
        if not spec.note_ids:
            raise DisclosureRefusedError(
                f"a {kind.label} releases only the minimum necessary: choose the notes one "
                "by one, naming each with --note (for example --note N-00001); none was named"
                + ("; a date range does not apply" if spec.date_from or spec.date_to else "")
            )
        if spec.date_from or spec.date_to:
            raise UsageError(
                "choose notes one by one for a minimum-necessary release; a date "
                "range does not apply"
            )
        return f"{kind.label}, minimum necessary (45 CFR 164.502(b))", True, None, pnotes
    if kind is RequestType.CLIENT_ACCESS:
        if spec.representative_id is not None:
            return (
                "a personal representative's request under the right of access "
                "(45 CFR 164.524, 164.502(g))",
                False,
                None,
                None,
            )
        return "the client's right of access (45 CFR 164.524)", False, None, None
    raise UsageError(f"unsupported request type {kind.value}")


def _purpose_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def same_purpose(typed: str, authorized: str) -> bool:
    """Loosely the same purpose: equal words ignoring case and punctuation, or one inside the
    other ("continuity of care" within "continuity of care with Dr. Birch")."""
    a, b = _purpose_words(typed), _purpose_words(authorized)
    if not a or not b:
        return a == b
    return a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} "


def purpose_warnings(purpose: str, *auths: Authorization | None) -> tuple[str, ...]:
    """A warning per authorization whose purpose is not the one typed. The recipient is a
    refusal (`require_general`); a purpose worded differently may still be the same one, so
    the clinician is told and decides."""
    return tuple(
        f"the purpose typed ({purpose!r}) differs from the purpose {a.record_id} authorizes "
        f"({a.purpose!r}); check the signed form before writing"
        for a in auths
        if a is not None and not same_purpose(purpose, a.purpose)
    )


def next_disclosure_id(vault: Vault) -> int:
    return vault.db.next_id("disclosures")


def kinds_json(kinds: Iterable[DocumentKind]) -> str:
    return json.dumps([k.value for k in kinds])


def pnotes_in_range(
    notes: Sequence[PsychotherapyNote], spec: ReleaseSpec
) -> list[PsychotherapyNote]:
    chosen = [
        n
        for n in notes
        if (spec.date_from is None or (n.session_date or n.created_at[:10]) >= spec.date_from)
        and (spec.date_to is None or (n.session_date or n.created_at[:10]) <= spec.date_to)
    ]
    return sorted(chosen, key=lambda n: (n.session_date or n.created_at[:10], n.id))
