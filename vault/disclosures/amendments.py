"""Amendment requests (45 CFR 164.526): act within 60 days (one 30-day extension).

Originals are never rewritten: an accepted amendment is a signed addendum linked to the note; a
denial, the client's statement of disagreement and the rebuttal stay linked to the note and go
out with it in every later release.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records.audit import Action
from ..records.markup import refuse_markers
from ..storage.database import Row, now_utc
from . import _fields

if TYPE_CHECKING:
    from ..vault import Vault

RESPONSE_DAYS = 60
EXTENSION_DAYS = 30


@dataclass(frozen=True)
class Amendment:
    id: int
    client_id: int
    note_id: int
    requested_on: str
    request_text: str
    due_on: str
    extended: bool
    extension_reason: str | None
    status: str  # pending, accepted, denied
    decided_on: str | None
    addendum_note_id: int | None
    denial_reason: str | None
    disagreement: str | None
    disagreement_on: str | None
    rebuttal: str | None
    rebuttal_on: str | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"M-{self.id:05d}"

    def is_overdue(self, today: date) -> bool:
        return self.status == "pending" and date.fromisoformat(self.due_on) < today


def _amendment(row: Row) -> Amendment:
    return Amendment(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        note_id=int(row["note_id"]),
        requested_on=row["requested_on"],
        request_text=row["request_text"],
        due_on=row["due_on"],
        extended=bool(row["extended"]),
        extension_reason=row["extension_reason"],
        status=row["status"],
        decided_on=row["decided_on"],
        addendum_note_id=row["addendum_note_id"],
        denial_reason=row["denial_reason"],
        disagreement=row["disagreement"],
        disagreement_on=row["disagreement_on"],
        rebuttal=row["rebuttal"],
        rebuttal_on=row["rebuttal_on"],
        created_at=row["created_at"],
    )


class Amendments:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def request(
        self, client_id: int, note_id: int, text: str, requested_on: str | date | None = None
    ) -> Amendment:
        """Record the client's request; the response is due 60 days after it was received."""
        body = refuse_markers(
            _fields.long_text(text, "the amendment request"), "an amendment request"
        )
        received = _fields.day(requested_on, "request date") or date.today()
        if received > date.today():
            raise UsageError(f"the request date {received} is in the future")
        note = self._vault.notes.get_unaudited(note_id)
        if client_id not in note.participant_ids:
            raise UsageError(f"{note.record_id} is not in C-{client_id:05d}'s record")
        if not note.is_signed:
            raise UsageError(f"{note.record_id} is still a draft; correct it directly")
        due = received + timedelta(days=RESPONSE_DAYS)
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO amendments (id, client_id, note_id, requested_on, request_text, "
                "due_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("amendments"),
                    client_id,
                    note_id,
                    received.isoformat(),
                    body,
                    due.isoformat(),
                    now_utc(),
                ),
            )
            amendment_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.AMENDMENT,
                "amendment",
                amendment_id,
                client=client_id,
                note=note_id,
                event="requested",
            )
        return self.get(amendment_id)

    def get(self, amendment_id: int) -> Amendment:
        row = self._vault.db.one("SELECT * FROM amendments WHERE id = ?", (amendment_id,))
        if row is None:
            raise NotFoundError(f"no amendment request M-{amendment_id:05d}")
        return _amendment(row)

    def list(self, client_id: int) -> builtins.list[Amendment]:
        self._vault.clients.get_unaudited(client_id)
        rows = self._vault.db.query(
            "SELECT * FROM amendments WHERE client_id = ? ORDER BY id DESC", (client_id,)
        )
        return [_amendment(r) for r in rows]

    def for_note(self, note_id: int) -> builtins.list[Amendment]:
        rows = self._vault.db.query(
            "SELECT * FROM amendments WHERE note_id = ? ORDER BY id", (note_id,)
        )
        return [_amendment(r) for r in rows]

    def extend(self, amendment_id: int, reason: str, today: date | None = None) -> Amendment:
        """One 30-day extension, taken before the deadline, with the reason for the delay."""
        current = self._pending(amendment_id)
        why = _fields.required_line(reason, "the reason for the extension", max_chars=1000)
        now = today or date.today()
        if current.extended:
            raise UsageError(
                f"{current.record_id} was already extended once; only one "
                "30-day extension is allowed (45 CFR 164.526(b)(2)(ii))"
            )
        if now > date.fromisoformat(current.due_on):
            raise UsageError(
                f"the deadline of {current.record_id} passed on {current.due_on}; "
                "an extension must be taken before it"
            )
        due = date.fromisoformat(current.due_on) + timedelta(days=EXTENSION_DAYS)
        return self._update(
            current, "extended", extended=1, extension_reason=why, due_on=due.isoformat()
        )

    def accept(self, amendment_id: int, addendum_text: str) -> Amendment:
        """Accept: a signed addendum to the note, linked to the request; the note stays.

        The text is a note body like any other: omission markers in it become flags."""
        current = self._pending(amendment_id)
        body = _fields.long_text(addendum_text, "the amendment text", max_chars=200_000)
        db = self._vault.db
        with db.atomic():
            addendum = self._vault.notes.addend(
                current.note_id,
                f"Amendment accepted ({current.record_id}, requested "
                f"{current.requested_on}):\n{body}",
            )
            return self._update(
                current,
                "accepted",
                status="accepted",
                decided_on=date.today().isoformat(),
                addendum_note_id=addendum.id,
            )

    def deny(self, amendment_id: int, reason: str) -> Amendment:
        """Deny with the basis (for example: the record is accurate and complete)."""
        current = self._pending(amendment_id)
        why = refuse_markers(
            _fields.long_text(reason, "the reason for the denial", max_chars=5000), "a denial"
        )
        return self._update(
            current,
            "denied",
            status="denied",
            decided_on=date.today().isoformat(),
            denial_reason=why,
        )

    def disagree(self, amendment_id: int, statement: str) -> Amendment:
        """The client's statement of disagreement with a denial (164.526(d)(1)(ii))."""
        current = self.get(amendment_id)
        if current.status != "denied":
            raise UsageError(
                f"{current.record_id} is {current.status}; a statement of "
                "disagreement answers a denial"
            )
        if current.disagreement is not None:
            raise UsageError(f"{current.record_id} already has a statement of disagreement")
        text = refuse_markers(
            _fields.long_text(statement, "the statement of disagreement"),
            "a statement of disagreement",
        )
        return self._update(
            current, "disagreement", disagreement=text, disagreement_on=date.today().isoformat()
        )

    def rebut(self, amendment_id: int, rebuttal: str) -> Amendment:
        """The clinician's rebuttal to the statement of disagreement (164.526(d)(3))."""
        current = self.get(amendment_id)
        if current.disagreement is None:
            raise UsageError(f"{current.record_id} has no statement of disagreement to rebut")
        if current.rebuttal is not None:
            raise UsageError(f"{current.record_id} already has a rebuttal")
        text = refuse_markers(_fields.long_text(rebuttal, "the rebuttal"), "a rebuttal")
        return self._update(
            current, "rebuttal", rebuttal=text, rebuttal_on=date.today().isoformat()
        )

    def _pending(self, amendment_id: int) -> Amendment:
        current = self.get(amendment_id)
        if current.status != "pending":
            raise UsageError(
                f"{current.record_id} was already {current.status} on {current.decided_on}"
            )
        return current

    def _update(self, current: Amendment, event: str, **changes: object) -> Amendment:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db = self._vault.db
        with db.atomic():
            db.execute(
                f"UPDATE amendments SET {assignments} WHERE id = ?", (*changes.values(), current.id)
            )
            self._vault.audit.record(
                Action.AMENDMENT,
                "amendment",
                current.id,
                client=current.client_id,
                note=current.note_id,
                event=event,
            )
        return self.get(current.id)
