"""The right of access (45 CFR 164.524) and personal representatives (164.502(g)).

A client's copy is the whole designated record set: every signed note, flagged passages
included (flags keep passages out of releases to third parties, not from the client), never
psychotherapy notes. Withholding any part of it is a denial, recorded here passage by passage
or note by note, each on one enumerated ground with its citation; a denial is explained in a
written letter (164.524(d)(2)), and a reviewable one can be reviewed by another licensed
professional, whose outcome is recorded (overturned: the passage is provided from then on).

Requests carry the 30-day clock from the day received and one 30-day extension with a written
notice (164.524(b)(2)). A request may come from a personal representative: a parent of a minor
by default, except for the services recorded as consented to by the minor alone (or authorized
by a court, or under the parent's agreement to confidentiality), and except where the
clinician recorded that treating the person as representative could endanger the client.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DisclosureRefusedError, NotFoundError, UsageError
from ..records.audit import Action
from ..records.markup import FOREIGN_MARKER, refuse_markers, withheld_marker
from ..records.models import Note, OmitCategory, OmitSpan
from ..records.validate import service_code as check_service_code
from ..storage.database import Row, now_utc
from ..timefmt import local_date
from . import _fields
from .document import Document, Section, clean

if TYPE_CHECKING:
    from ..vault import Vault

RESPONSE_DAYS = 30
EXTENSION_DAYS = 30
# The age of majority in most US states; emancipation and state exceptions are not modelled
# (README, right of access: what does not hold).
MAJORITY_AGE = 18

HHS_COMPLAINT = (
    "U.S. Department of Health and Human Services, Office for Civil Rights: online at "
    "https://www.hhs.gov/ocr/complaints, by mail to 200 Independence Avenue, S.W., "
    "Washington, D.C. 20201, or by telephone at 1-800-368-1019. The practice will not "
    "retaliate against you for filing a complaint."
)


class DenialGround(StrEnum):
    """The only grounds on which part of a client's record may be withheld from them."""

    LEGAL_PROCEEDINGS = "legal-proceedings"
    CONFIDENTIAL_SOURCE = "confidential-source"
    RESEARCH = "research"
    INMATE = "inmate"
    ENDANGERMENT = "endangerment"
    HARM_TO_OTHER = "harm-to-other"
    REPRESENTATIVE_HARM = "representative-harm"

    @property
    def citation(self) -> str:
        return _GROUNDS[self][0]

    @property
    def words(self) -> str:
        """The basis in plain words, as the written denial says it to the requester."""
        return _GROUNDS[self][1]

    @property
    def reviewable(self) -> bool:
        return self in (
            DenialGround.ENDANGERMENT,
            DenialGround.HARM_TO_OTHER,
            DenialGround.REPRESENTATIVE_HARM,
        )

    @property
    def marker(self) -> str:
        return f"[withheld: ground {self.value}]"

    @classmethod
    def parse(cls, text: str) -> DenialGround:
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
        try:
            return cls(key)
        except ValueError:
            shown = text.strip() if len(text.strip()) <= 24 else text.strip()[:20] + "…"
            raise UsageError(
                f"unknown denial ground {shown!r}; use one of: {', '.join(g.value for g in cls)}"
            ) from None


_GROUNDS: dict[DenialGround, tuple[str, str]] = {
    DenialGround.LEGAL_PROCEEDINGS: (
        "45 CFR 164.524(a)(1)(ii), (a)(2)(i)",
        "This information was compiled in reasonable anticipation of, or for use in, a "
        "civil, criminal or administrative action or proceeding.",
    ),
    DenialGround.CONFIDENTIAL_SOURCE: (
        "45 CFR 164.524(a)(2)(v)",
        "This information was obtained from someone other than a health care provider "
        "under a promise of confidentiality, and giving you access would be reasonably "
        "likely to reveal who that source is.",
    ),
    DenialGround.RESEARCH: (
        "45 CFR 164.524(a)(2)(iii)",
        "This information was created or obtained in research that includes treatment, and "
        "you agreed, when you consented to take part, that access is suspended while the "
        "research is in progress. Access is restored when the research is complete.",
    ),
    DenialGround.INMATE: (
        "45 CFR 164.524(a)(2)(ii)",
        "You are an inmate of a correctional institution, and a copy would jeopardize the "
        "health, safety, security, custody or rehabilitation of you or other inmates, or the "
        "safety of people at the institution or responsible for transporting you.",
    ),
    DenialGround.ENDANGERMENT: (
        "45 CFR 164.524(a)(3)(i)",
        "A licensed health care professional has judged that access to this information is "
        "reasonably likely to endanger the life or physical safety of you or another person.",
    ),
    DenialGround.HARM_TO_OTHER: (
        "45 CFR 164.524(a)(3)(ii)",
        "This information refers to another person (not a health care provider), and a "
        "licensed health care professional has judged that access is reasonably likely to "
        "cause that person substantial harm.",
    ),
    DenialGround.REPRESENTATIVE_HARM: (
        "45 CFR 164.524(a)(3)(iii)",
        "The request comes from a personal representative, and a licensed health care "
        "professional has judged that giving the representative access is reasonably likely "
        "to cause substantial harm to the client or another person.",
    ),
}


class Relation(StrEnum):
    PARENT = "parent"  # of a minor: the representative by default (164.502(g)(3))
    GUARDIAN = "guardian"  # legal guardian (court-appointed)
    AGENT = "agent"  # health care power of attorney
    OTHER = "other"  # another legal authority (an executor, 164.502(g)(4))

    @classmethod
    def parse(cls, text: str) -> Relation:
        key = text.strip().lower()
        key = {"mother": "parent", "father": "parent", "poa": "agent"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise UsageError(
                f"unknown relation {text.strip()[:24]!r}; use one of: "
                f"{', '.join(r.value for r in cls)}"
            ) from None


# 164.502(g)(3) speaks of "a parent, guardian, or other person acting in loco parentis".
IN_LOCO_PARENTIS = (Relation.PARENT, Relation.GUARDIAN)


class ServiceBasis(StrEnum):
    """Why a parent is not the minor's representative for a service (164.502(g)(3)(i))."""

    MINOR_CONSENTED = "minor-consented"  # the minor consented alone, as state law allows
    COURT_AUTHORIZED = "court-authorized"
    PARENT_AGREED = "parent-agreed"  # the parent agreed to confidentiality

    @property
    def words(self) -> str:
        return {
            ServiceBasis.MINOR_CONSENTED: "the minor consented alone, as state law allows",
            ServiceBasis.COURT_AUTHORIZED: "a court authorized the service",
            ServiceBasis.PARENT_AGREED: "the parent agreed to confidentiality",
        }[self]

    @classmethod
    def parse(cls, text: str) -> ServiceBasis:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise UsageError(
                f"unknown basis {text.strip()[:24]!r}; use one of: "
                f"{', '.join(b.value for b in cls)}"
            ) from None


@dataclass(frozen=True)
class Representative:
    id: int
    client_id: int
    name: str
    relation: Relation
    authority: str
    documents: str
    declined_on: str | None
    declined_reason: str | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"G-{self.id:05d}"


@dataclass(frozen=True)
class MinorService:
    id: int
    client_id: int
    service: str
    basis: ServiceBasis
    service_code: str | None
    date_from: str
    date_to: str | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"V-{self.id:05d}"

    def covers(self, note: Note) -> bool:
        day = note.session.session_date or note.created_at[:10]
        if day < self.date_from or (self.date_to is not None and day > self.date_to):
            return False
        return self.service_code is None or note.session.service_code == self.service_code


@dataclass(frozen=True)
class AccessRequest:
    id: int
    client_id: int
    representative_id: int | None
    requester_name: str
    received_on: str
    due_on: str
    extended: bool
    extension_reason: str | None
    status: str  # open, done
    done_on: str | None
    disclosure_id: int | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"X-{self.id:05d}"

    def days_left(self, today: date) -> int:
        return (date.fromisoformat(self.due_on) - today).days

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.days_left(today) < 0


@dataclass(frozen=True)
class Denial:
    id: int
    client_id: int
    note_id: int
    start: int | None  # None: the whole note
    end: int | None
    ground: DenialGround
    explanation: str
    denied_on: str
    denied_by: str
    request_id: int | None
    reviewer: str | None
    reviewer_license: str | None
    review_requested_on: str | None
    reviewed_on: str | None
    outcome: str | None  # upheld, overturned
    review_reason: str | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"W-{self.id:05d}"

    @property
    def in_force(self) -> bool:
        return self.outcome != "overturned"

    @property
    def marker(self) -> str:
        return self.ground.marker

    def applies_to(self, representative: bool) -> bool:
        """In force for this requester: the representative ground binds only representatives."""
        if not self.in_force:
            return False
        return representative or self.ground is not DenialGround.REPRESENTATIVE_HARM


def _representative(row: Row) -> Representative:
    return Representative(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        name=row["name"],
        relation=Relation(row["relation"]),
        authority=row["authority"],
        documents=row["documents"],
        declined_on=row["declined_on"],
        declined_reason=row["declined_reason"],
        created_at=row["created_at"],
    )


def _service(row: Row) -> MinorService:
    return MinorService(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        service=row["service"],
        basis=ServiceBasis(row["basis"]),
        service_code=row["service_code"],
        date_from=row["date_from"],
        date_to=row["date_to"],
        created_at=row["created_at"],
    )


def _request(row: Row) -> AccessRequest:
    return AccessRequest(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        representative_id=row["representative_id"],
        requester_name=row["requester_name"],
        received_on=row["received_on"],
        due_on=row["due_on"],
        extended=bool(row["extended"]),
        extension_reason=row["extension_reason"],
        status=row["status"],
        done_on=row["done_on"],
        disclosure_id=row["disclosure_id"],
        created_at=row["created_at"],
    )


def _denial(row: Row) -> Denial:
    return Denial(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        note_id=int(row["note_id"]),
        start=row["start"],
        end=row["end"],
        ground=DenialGround(row["ground"]),
        explanation=row["explanation"],
        denied_on=row["denied_on"],
        denied_by=row["denied_by"],
        request_id=row["request_id"],
        reviewer=row["reviewer"],
        reviewer_license=row["reviewer_license"],
        review_requested_on=row["review_requested_on"],
        reviewed_on=row["reviewed_on"],
        outcome=row["outcome"],
        review_reason=row["review_reason"],
        created_at=row["created_at"],
    )


def age_on(date_of_birth: str, today: date) -> int:
    born = date.fromisoformat(date_of_birth)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class CopyScope:
    """What a client's copy withholds: denied passages by note, notes not the requester's."""

    denied: dict[int, tuple[Denial, ...]]
    excluded_notes: frozenset[int]
    representative: Representative | None


def render_denied(
    body: str,
    spans: Sequence[OmitSpan],
    include: set[OmitCategory],
    foreign: Sequence[OmitSpan],
    denials: Sequence[Denial],
) -> str:
    """The note as a client's copy shows it: each denied passage replaced by its ground's
    marker, another participant's passages by theirs, and any flag not included by its own.

    Denials and flags may overlap; a character covered by any is withheld, and the marker
    of the strongest reason (a denial, then another participant, then a flag) stands for
    the run. Offsets are into the stored body, before `clean` (as for flags)."""
    whole = [d for d in denials if d.start is None]
    if whole:
        return whole[0].marker
    # Each character's reason for being withheld, as (which passage, its marker); a run of
    # characters with the same reason becomes one marker, as `render_withheld` does.
    labels: list[tuple[tuple[str, int], str] | None] = [None] * len(body)
    theirs = set(foreign)
    for n, span in enumerate(spans):
        if span in theirs:
            mark = FOREIGN_MARKER
        elif span.category in include:
            continue
        else:
            mark = withheld_marker(span.category)
        for i in range(span.start, min(span.end, len(body))):
            labels[i] = (("flag", n), mark)
    for d in denials:  # last: a denial wins over a flag it overlaps
        assert d.start is not None and d.end is not None
        for i in range(d.start, min(d.end, len(body))):
            labels[i] = (("denial", d.id), d.marker)
    out: list[str] = []
    i = 0
    while i < len(body):
        label = labels[i]
        j = i
        while j < len(body) and labels[j] == label:
            j += 1
        out.append(body[i:j] if label is None else label[1])
        i = j
    return "".join(out)


class Access:
    """`vault.disclosures.access`: requests, denials, reviews, representatives."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    # -- personal representatives (164.502(g))

    def add_representative(
        self,
        client_id: int,
        name: str,
        relation: Relation | str,
        authority: str,
        documents: str | None = None,
    ) -> Representative:
        """Someone who may act for the client: name, relation, the authority they act under
        (for example 'parent of a minor', 'guardianship order of 2026-03-01') and the
        documents seen, as text."""
        self._vault.clients.get_unaudited(client_id)
        who = _fields.required_line(name, "representative name")
        kind = relation if isinstance(relation, Relation) else Relation.parse(relation)
        power = _fields.required_line(authority, "authority", max_chars=500)
        papers = (
            refuse_markers(_fields.long_text(documents, "documents", max_chars=5000), "documents")
            if documents is not None and documents.strip()
            else ""
        )
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO client_representatives (id, client_id, name, relation, authority,"
                " documents, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("client_representatives"),
                    client_id,
                    who,
                    kind.value,
                    power,
                    papers,
                    now_utc(),
                ),
            )
            rep_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.REPRESENTATIVE, "representative", rep_id, client=client_id, event="added"
            )
        return self.representative(rep_id)

    def representative(self, rep_id: int) -> Representative:
        row = self._vault.db.one("SELECT * FROM client_representatives WHERE id = ?", (rep_id,))
        if row is None:
            raise NotFoundError(f"no personal representative G-{rep_id:05d}")
        return _representative(row)

    def representatives(self, client_id: int) -> builtins.list[Representative]:
        self._vault.clients.get_unaudited(client_id)
        rows = self._vault.db.query(
            "SELECT * FROM client_representatives WHERE client_id = ? ORDER BY id", (client_id,)
        )
        return [_representative(r) for r in rows]

    def decline_representative(
        self, rep_id: int, reason: str, on: str | date | None = None
    ) -> Representative:
        """Record the clinician's judgment that treating this person as the client's
        representative could endanger the client (164.502(g)(5)): their requests are refused."""
        rep = self.representative(rep_id)
        if rep.declined_on is not None:
            raise UsageError(f"{rep.record_id} was already declined on {rep.declined_on}")
        why = refuse_markers(_fields.long_text(reason, "the reason", max_chars=5000), "the reason")
        day = _fields.day(on, "date") or date.today()
        db = self._vault.db
        with db.atomic():
            db.execute(
                "UPDATE client_representatives SET declined_on = ?, declined_reason = ? "
                "WHERE id = ?",
                (day.isoformat(), why, rep_id),
            )
            self._vault.audit.record(
                Action.REPRESENTATIVE,
                "representative",
                rep_id,
                client=rep.client_id,
                event="declined",
            )
        return self.representative(rep_id)

    def standing(self, rep: Representative, today: date | None = None) -> str | None:
        """None when `rep` may act as the client's personal representative today; else the
        reason they may not (164.502(g)), as one sentence."""
        client = self._vault.clients.get_unaudited(rep.client_id)
        now = today or date.today()
        if rep.declined_on is not None:
            return (
                f"{rep.record_id} is not treated as {client.record_id}'s personal "
                f"representative: on {rep.declined_on} the clinician judged that doing so "
                "could endanger the client (45 CFR 164.502(g)(5))"
            )
        if rep.relation is Relation.PARENT:
            if client.date_of_birth is None:
                return (
                    f"{client.record_id}'s date of birth is not recorded, so whether the "
                    "client is a minor (and a parent the representative) cannot be told"
                )
            if age_on(client.date_of_birth, now) >= MAJORITY_AGE:
                return (
                    f"{client.record_id} is an adult: a parent is a personal representative "
                    "only with legal authority (record them as guardian or agent, with the "
                    "document)"
                )
        return None

    def add_minor_service(
        self,
        client_id: int,
        service: str,
        basis: ServiceBasis | str,
        date_from: str | date,
        date_to: str | date | None = None,
        service_code: str | None = None,
    ) -> MinorService:
        """A service the parent is not the minor's representative for (164.502(g)(3)): the
        notes of sessions from `date_from` (to `date_to`; with `service_code`, only those)
        are not part of a parent's copy."""
        self._vault.clients.get_unaudited(client_id)
        what = _fields.required_line(service, "service")
        why = basis if isinstance(basis, ServiceBasis) else ServiceBasis.parse(basis)
        start = _fields.required_day(date_from, "start date")
        end = _fields.day(date_to, "end date")
        if end is not None and end < start:
            raise UsageError(f"the dates {start} to {end} are empty: the start is after the end")
        code = check_service_code(service_code)
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO minor_services (id, client_id, service, basis, service_code, "
                "date_from, date_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("minor_services"),
                    client_id,
                    what,
                    why.value,
                    code,
                    start.isoformat(),
                    end.isoformat() if end else None,
                    now_utc(),
                ),
            )
            service_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.REPRESENTATIVE, "minor_service", service_id, client=client_id, event="added"
            )
        row = self._vault.db.one("SELECT * FROM minor_services WHERE id = ?", (service_id,))
        assert row is not None
        return _service(row)

    def minor_services(self, client_id: int) -> builtins.list[MinorService]:
        self._vault.clients.get_unaudited(client_id)
        rows = self._vault.db.query(
            "SELECT * FROM minor_services WHERE client_id = ? ORDER BY id", (client_id,)
        )
        return [_service(r) for r in rows]

    # -- requests and the 30-day clock (164.524(b)(2))

    def request(
        self,
        client_id: int,
        *,
        representative_id: int | None = None,
        received_on: str | date | None = None,
        today: date | None = None,
    ) -> AccessRequest:
        """Record a request for a copy: due 30 days after it was received. A representative's
        request is refused when they may not act for the client (`standing`)."""
        client = self._vault.clients.get_unaudited(client_id)
        now = today or date.today()
        received = _fields.day(received_on, "received date") or now
        if received > now:
            raise UsageError(f"the received date {received} is in the future")
        requester = f"{client.display_name} (the client)"
        if representative_id is not None:
            rep = self.representative(representative_id)
            if rep.client_id != client_id:
                raise UsageError(f"{rep.record_id} represents another client")
            problem = self.standing(rep, now)
            if problem is not None:
                self._vault.audit.record(
                    Action.EXPORT_REFUSED, "client", client_id, type="access", rep=rep.id
                )
                raise DisclosureRefusedError(problem)
            requester = f"{rep.name} ({rep.relation.value}, personal representative)"
        due = received + timedelta(days=RESPONSE_DAYS)
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO access_requests (id, client_id, representative_id, "
                "requester_name, received_on, due_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("access_requests"),
                    client_id,
                    representative_id,
                    requester,
                    received.isoformat(),
                    due.isoformat(),
                    now_utc(),
                ),
            )
            request_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.ACCESS_REQUEST,
                "access_request",
                request_id,
                client=client_id,
                representative=representative_id is not None,
            )
        return self.get_request(request_id)

    def get_request(self, request_id: int) -> AccessRequest:
        row = self._vault.db.one("SELECT * FROM access_requests WHERE id = ?", (request_id,))
        if row is None:
            raise NotFoundError(f"no access request X-{request_id:05d}")
        return _request(row)

    def requests(
        self, client_id: int | None = None, *, open_only: bool = False
    ) -> builtins.list[AccessRequest]:
        """Open requests first, soonest due first; then the done ones, newest first."""
        where, params = [], []
        if client_id is not None:
            self._vault.clients.get_unaudited(client_id)
            where.append("client_id = ?")
            params.append(client_id)
        if open_only:
            where.append("status = 'open'")
        sql = "SELECT * FROM access_requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY status = 'done', CASE status WHEN 'open' THEN due_on END, id DESC"
        return [_request(r) for r in self._vault.db.query(sql, params)]

    def extension_notice(
        self, request_id: int, reason: str, today: date | None = None
    ) -> tuple[AccessRequest, Document]:
        """Check the one extension and build its written notice (the reason and the new date,
        164.524(b)(2)(iii)); nothing is recorded."""
        current = self.get_request(request_id)
        now = today or date.today()
        why = refuse_markers(
            _fields.required_line(reason, "the reason for the extension", max_chars=1000),
            "the reason",
        )
        if current.status != "open":
            raise UsageError(f"{current.record_id} is done; nothing to extend")
        if current.extended:
            raise UsageError(
                f"{current.record_id} was already extended once; only one 30-day extension "
                "is allowed (45 CFR 164.524(b)(2)(iii))"
            )
        if now > date.fromisoformat(current.due_on):
            raise UsageError(
                f"the deadline of {current.record_id} passed on {current.due_on}; an "
                "extension must be given before it"
            )
        due = date.fromisoformat(current.due_on) + timedelta(days=EXTENSION_DAYS)
        client = self._vault.clients.get_unaudited(current.client_id)
        practice = self._vault.disclosures.practice()
        reference = f"{current.record_id}-EXT"
        document = Document(
            reference=reference,
            title="Notice of extension",
            practice=tuple(clean(line) for line in practice.lines()),
            facts=(
                ("To", current.requester_name),
                ("Client", f"{client.display_name} ({client.record_id})"),
                ("Request", f"{current.record_id}, received {current.received_on}"),
                ("Date", now.isoformat()),
            ),
            statement=(
                f"We received your request for a copy of the record on {current.received_on}.",
                f"We need more time to act on it, because: {why}",
                f"We will act on your request no later than {due.isoformat()}.",
                "The law allows one extension of no more than 30 days, with this written "
                "notice (45 CFR 164.524(b)(2)(iii)).",
            ),
            sections=(),
            footer_id=f"{reference}  {client.record_id}",
            item=("section", "sections"),
            signature=practice.signature(),
        )
        return replace(
            current, extended=True, extension_reason=why, due_on=due.isoformat()
        ), document

    def extend(
        self,
        request_id: int,
        reason: str,
        path: str | Path,
        *,
        fmt: str | None = None,
        force: bool = False,
        today: date | None = None,
    ) -> AccessRequest:
        """Take the one extension and write its notice to `path`, both or neither."""
        planned, document = self.extension_notice(request_id, reason, today)
        vault = self._vault

        def record() -> None:
            vault.db.execute(
                "UPDATE access_requests SET extended = 1, extension_reason = ?, due_on = ? "
                "WHERE id = ? AND status = 'open' AND extended = 0",
                (planned.extension_reason, planned.due_on, request_id),
            )
            vault.audit.record(
                Action.ACCESS_REQUEST,
                "access_request",
                request_id,
                client=planned.client_id,
                event="extended",
            )

        self._write(document, planned.client_id, path, fmt, force, record)
        return self.get_request(request_id)

    def mark_done(self, request_id: int, disclosure_id: int) -> None:
        """Inside the copy's transaction: the request was answered by this copy."""
        self._vault.db.execute(
            "UPDATE access_requests SET status = 'done', done_on = ?, disclosure_id = ? "
            "WHERE id = ?",
            (date.today().isoformat(), disclosure_id, request_id),
        )

    # -- denials (164.524(a)(2)-(3)) and their review (164.524(a)(4), (d)(4))

    def deny(
        self,
        client_id: int,
        note_id: int,
        ground: DenialGround | str,
        explanation: str,
        *,
        passage: str | None = None,
        request_id: int | None = None,
        denied_by: str | None = None,
        on: str | date | None = None,
    ) -> Denial:
        """Withhold `passage` (exact text, once in the note) or, without it, the whole note,
        from the client's copies, on `ground`. Nothing is withheld without a ground."""
        why = ground if isinstance(ground, DenialGround) else DenialGround.parse(ground)
        text = refuse_markers(
            _fields.long_text(explanation, "the explanation", max_chars=5000), "an explanation"
        )
        note = self._vault.notes.get_unaudited(note_id)
        if client_id not in note.participant_ids:
            raise UsageError(f"{note.record_id} is not in C-{client_id:05d}'s record")
        if not note.is_signed:
            raise UsageError(
                f"{note.record_id} is a draft; drafts are not part of the record a copy carries"
            )
        start: int | None = None
        end: int | None = None
        if passage is not None:
            if not passage.strip():
                raise UsageError("the passage is empty; give its exact text, or deny the note")
            found = note.body.count(passage)
            if found == 0:
                raise UsageError(
                    f"the passage does not occur in {note.record_id} exactly as given "
                    "(copy it from the note as shown)"
                )
            if found > 1:
                raise UsageError(
                    f"the passage occurs {found} times in {note.record_id}; give a longer "
                    "passage that occurs once"
                )
            start = note.body.index(passage)
            end = start + len(passage)
        if request_id is not None:
            req = self.get_request(request_id)
            if req.client_id != client_id:
                raise UsageError(f"{req.record_id} concerns another client")
            if why is DenialGround.REPRESENTATIVE_HARM and req.representative_id is None:
                raise UsageError(
                    f"{req.record_id} is the client's own request; the ground "
                    "representative-harm applies only to a personal representative's"
                )
        who = denied_by or self._vault.disclosures.practice().clinician_line() or "the clinician"
        who = _fields.required_line(who, "who denied")
        day = _fields.day(on, "date") or date.today()
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO access_denials (id, client_id, note_id, start, end, ground, "
                "explanation, denied_on, denied_by, request_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("access_denials"),
                    client_id,
                    note_id,
                    start,
                    end,
                    why.value,
                    text,
                    day.isoformat(),
                    who,
                    request_id,
                    now_utc(),
                ),
            )
            denial_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.ACCESS_DENIAL,
                "access_denial",
                denial_id,
                client=client_id,
                note=note_id,
                ground=why.value,
                whole=start is None,
            )
        return self.denial(denial_id)

    def denial(self, denial_id: int) -> Denial:
        row = self._vault.db.one("SELECT * FROM access_denials WHERE id = ?", (denial_id,))
        if row is None:
            raise NotFoundError(f"no denial W-{denial_id:05d}")
        return _denial(row)

    def denials(self, client_id: int) -> builtins.list[Denial]:
        self._vault.clients.get_unaudited(client_id)
        rows = self._vault.db.query(
            "SELECT * FROM access_denials WHERE client_id = ? ORDER BY id", (client_id,)
        )
        return [_denial(r) for r in rows]

    def review(
        self,
        denial_id: int,
        *,
        reviewer: str,
        reviewer_license: str,
        outcome: str,
        reason: str,
        requested_on: str | date | None = None,
        on: str | date | None = None,
    ) -> Denial:
        """Record the review of a reviewable denial by a licensed professional who did not
        take part in it. Overturned: the passage is provided in every copy from now on."""
        current = self.denial(denial_id)
        if not current.ground.reviewable:
            raise UsageError(
                f"{current.record_id} rests on an unreviewable ground "
                f"({current.ground.value}, {current.ground.citation}); it has no review"
            )
        if current.reviewed_on is not None:
            raise UsageError(
                f"{current.record_id} was already reviewed on {current.reviewed_on} "
                f"({current.outcome})"
            )
        verdict = outcome.strip().lower()
        if verdict not in ("upheld", "overturned"):
            raise UsageError(f"unknown outcome {outcome.strip()[:24]!r}; use upheld or overturned")
        who = _fields.required_line(reviewer, "reviewer")
        licence = _fields.required_line(reviewer_license, "reviewer's license")
        if who.casefold() == current.denied_by.casefold() or (
            current.denied_by.casefold().startswith(who.casefold() + ",")
        ):
            raise UsageError(
                f"{who} made the denial; the review must be by a licensed professional who "
                "did not take part in it (45 CFR 164.524(a)(4))"
            )
        why = refuse_markers(
            _fields.long_text(reason, "the review's reason", max_chars=5000), "a review"
        )
        day = _fields.day(on, "review date") or date.today()
        asked = _fields.day(requested_on, "review requested date") or day
        db = self._vault.db
        with db.atomic():
            db.execute(
                "UPDATE access_denials SET reviewer = ?, reviewer_license = ?, "
                "review_requested_on = ?, reviewed_on = ?, outcome = ?, review_reason = ? "
                "WHERE id = ? AND reviewed_on IS NULL",
                (who, licence, asked.isoformat(), day.isoformat(), verdict, why, denial_id),
            )
            self._vault.audit.record(
                Action.ACCESS_DENIAL,
                "access_denial",
                denial_id,
                client=current.client_id,
                event="reviewed",
                outcome=verdict,
            )
        return self.denial(denial_id)

    # -- what a copy withholds

    def scope(self, client_id: int, representative_id: int | None, today: date) -> CopyScope:
        rep = self.representative(representative_id) if representative_id is not None else None
        if rep is not None:
            if rep.client_id != client_id:
                raise UsageError(f"{rep.record_id} represents another client")
            problem = self.standing(rep, today)
            if problem is not None:
                raise DisclosureRefusedError(problem)
        denied: dict[int, list[Denial]] = {}
        for d in self.denials(client_id):
            if d.applies_to(rep is not None):
                denied.setdefault(d.note_id, []).append(d)
        excluded: set[int] = set()
        if rep is not None and rep.relation in IN_LOCO_PARENTIS:
            services = self.minor_services(client_id)
            if services:
                for (note_id,) in self._vault.db.query(
                    "SELECT note_id FROM note_participants WHERE client_id = ?", (client_id,)
                ):
                    note = self._vault.notes.get_unaudited(int(note_id))
                    if any(s.covers(note) for s in services):
                        excluded.add(note.id)
        return CopyScope({k: tuple(v) for k, v in denied.items()}, frozenset(excluded), rep)

    # -- the written denial (164.524(d)(2))

    def denial_letter(
        self, client_id: int, request_id: int | None = None, today: date | None = None
    ) -> Document:
        client = self._vault.clients.get_unaudited(client_id)
        now = today or date.today()
        request = self.get_request(request_id) if request_id is not None else None
        if request is not None and request.client_id != client_id:
            raise UsageError(f"{request.record_id} concerns another client")
        for_rep = request is not None and request.representative_id is not None
        denials = [d for d in self.denials(client_id) if d.applies_to(for_rep)]
        if not denials:
            raise UsageError(
                f"no denial in force for {client.record_id}"
                + (f" and {request.record_id}" if request else "")
                + ": nothing is withheld, so there is nothing to explain"
            )
        practice = self._vault.disclosures.practice()
        contact = (
            ", ".join(
                x
                for x in (
                    practice.clinician_line(),
                    practice.name,
                    practice.address,
                    practice.phone,
                )
                if x
            )
            or "the practice (name and address not set in the practice settings)"
        )
        sections: list[Section] = []
        for d in denials:
            note = self._vault.notes.get_unaudited(d.note_id)
            what = "the whole note" if d.start is None else "a passage"
            day = note.session.session_date or local_date(note.created_at)
            meta = [
                f"Ground: {d.ground.value} ({d.ground.citation})",
                "Reviewable: yes, you may ask for a review (see below)"
                if d.ground.reviewable
                else "Reviewable: no (the law gives no review for this ground)",
                f"Decided {d.denied_on} by {d.denied_by}",
            ]
            if d.reviewed_on:
                meta.append(
                    f"Reviewed {d.reviewed_on} by {d.reviewer} ({d.reviewer_license}): {d.outcome}"
                )
            sections.append(
                Section(
                    f"{d.record_id}: {what} of {note.record_id} (session {day})",
                    tuple(meta),
                    f"{d.ground.words}\n\nThe clinician's explanation: {clean(d.explanation)}",
                )
            )
        reviewable = any(d.ground.reviewable and d.reviewed_on is None for d in denials)
        statement = [
            "Confidential health information.",
            "You asked for a copy of the record. You receive (or have received) everything "
            "in it except what is listed below; in the copy each withheld part is marked "
            "[withheld: ground ...]. This letter gives the reason for each, in plain words "
            "(45 CFR 164.524(d)(2)).",
        ]
        if reviewable:
            statement.append(
                "Your right to a review: for each part marked reviewable you may ask that the "
                "denial be reviewed by a licensed health care professional, chosen by the "
                "practice, who did not take part in the decision. Ask in writing or by "
                f"telephone to: {contact}. The practice will refer your request promptly, and "
                "you will be told the reviewer's decision in writing; if the reviewer "
                "overturns the denial, you will receive the withheld part "
                "(45 CFR 164.524(a)(4), (d)(4))."
            )
        statement.append(f"How to complain to the practice: {contact}.")
        statement.append("How to complain to the government: " + HHS_COMPLAINT)
        reference = f"DENIAL-{client.record_id}-{now.isoformat()}"
        to = request.requester_name if request else f"{client.display_name} (the client)"
        facts = [("To", to), ("Client", f"{client.display_name} ({client.record_id})")]
        if request is not None:
            facts.append(("Request", f"{request.record_id}, received {request.received_on}"))
        facts.append(("Date", now.isoformat()))
        return Document(
            reference=reference,
            title="Written denial of access (in part)",
            practice=tuple(clean(line) for line in practice.lines()),
            facts=tuple(facts),
            statement=tuple(statement),
            sections=tuple(sections),
            footer_id=reference,
            item=("denial", "denials"),
            signature=practice.signature(),
        )

    def write_denial_letter(
        self,
        client_id: int,
        path: str | Path,
        *,
        request_id: int | None = None,
        fmt: str | None = None,
        force: bool = False,
        today: date | None = None,
    ) -> Path:
        document = self.denial_letter(client_id, request_id, today)
        vault = self._vault

        def record() -> None:
            vault.audit.record(
                Action.EXPORT, "access_denial_letter", client_id, denials=len(document.sections)
            )

        return self._write(document, client_id, path, fmt, force, record)

    def _write(
        self,
        document: Document,
        client_id: int,
        path: str | Path,
        fmt: str | None,
        force: bool,
        record_more: Callable[[], None],
    ) -> Path:
        """Write a letter as `write_document` does, with this feature's record in the same
        transaction (recorded as an export of the client, so disposal finds the file)."""
        from .facade import ExportFormat, render
        from .writer import check_target, record_export, write_export

        target = check_target(Path(path), force)
        export_format = ExportFormat.choose(target, fmt)
        data = render(document, export_format, None, self._vault.disclosures._paper(None))
        vault = self._vault

        def record(publish: Callable[[], None]) -> None:
            with vault.db.atomic():
                record_more()
                # The exports table knows releases, accountings and certificates; a letter is
                # kept with the accountings (a document about the record, not a release).
                record_export(vault.db, target, data, "accounting", client_id)
                publish()

        write_export(target, data, force, record)
        return target


def copy_statement(
    applied: Sequence[Denial],
    joint: int,
    representative: Representative | None,
) -> tuple[str, ...]:
    """What a client's copy says about itself: the whole record, and exactly what is not in it
    and why. It never says whether any note was left out of a representative's copy (that
    alone would tell a parent that the minor received such services)."""
    lines = [
        "Confidential health information. Further disclosure only as the law permits.",
        "This copy is the designated record set (45 CFR 164.524): every signed note of the "
        "period chosen, with every passage the clinician flagged.",
    ]
    if applied:
        ids = ", ".join(f"{d.record_id} ({d.ground.value})" for d in applied)
        lines.append(
            f"Denied on recorded grounds, each marked [withheld: ground ...]: {ids}. The "
            "written denial gives the reason for each and how to ask for a review or complain."
        )
    not_in: list[str] = [
        "Psychotherapy notes (45 CFR 164.501), if any: they are kept apart from the record and "
        "are excluded from the right of access (45 CFR 164.524(a)(1)(i))."
    ]
    if joint:
        not_in.append(
            f"Other participants' names and their own passages in {joint} joint, family or "
            "group session note" + ("s" if joint != 1 else "") + "."
        )
    if representative is not None and representative.relation in IN_LOCO_PARENTIS:
        not_in.append(
            "Records of services the minor could and did obtain without a parent's consent "
            "(or that a court authorized, or under an agreement of confidentiality) are not "
            "part of a parent's or guardian's copy (45 CFR 164.502(g)(3))."
        )
    lines.append("Not part of this copy:")
    lines.extend(f"  - {item}" for item in not_in)
    lines.append("Only signed notes are part of the record; drafts are never released.")
    return tuple(lines)
