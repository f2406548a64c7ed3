"""Records requests by type. Privilege is the client's: a subpoena alone releases nothing.

A subpoena places the client on legal hold and opens a checklist (notify the client, obtain the
client's authorization or a court order, consult counsel). Records can be released in answer
only once an authorization or a court order is recorded on the request.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records.audit import Action
from ..storage.database import Row, now_utc
from . import _fields

if TYPE_CHECKING:
    from ..vault import Vault


class RequestType(StrEnum):
    CLIENT_AUTHORIZATION = "authorization"
    COURT_ORDER = "court-order"
    SUBPOENA = "subpoena"
    MANDATED_REPORT = "mandated-report"
    DUTY_TO_WARN = "duty-to-warn"
    CLIENT_ACCESS = "client-access"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def minimum_necessary(self) -> bool:
        """Disclosures the law permits but only as far as the purpose needs (164.502(b))."""
        return self in (RequestType.MANDATED_REPORT, RequestType.DUTY_TO_WARN)

    @classmethod
    def parse(cls, text: str) -> RequestType:
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
        key = {
            "client-authorization": "authorization",
            "auth": "authorization",
            "court": "court-order",
            "order": "court-order",
            "mandated": "mandated-report",
            "abuse-report": "mandated-report",
            "warn": "duty-to-warn",
            "access": "client-access",
            "client": "client-access",
        }.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise UsageError(
                f"unknown request type {text.strip()!r}; use one of: "
                f"{', '.join(t.value for t in cls)}"
            ) from None


_LABELS = {
    RequestType.CLIENT_AUTHORIZATION: "client authorization",
    RequestType.COURT_ORDER: "court order",
    RequestType.SUBPOENA: "subpoena",
    RequestType.MANDATED_REPORT: "mandated report (suspected abuse or neglect)",
    RequestType.DUTY_TO_WARN: "duty to warn",
    RequestType.CLIENT_ACCESS: "client's right of access",
}


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str
    done: bool
    detail: str | None


@dataclass(frozen=True)
class RecordsRequest:
    id: int
    client_id: int
    request_type: RequestType
    requester_name: str
    requester_address: str | None
    reference: str | None
    received_on: str
    hold_id: int | None
    client_notified_on: str | None
    counsel_consulted_on: str | None
    authorization_id: int | None
    court_order: str | None
    status: str
    created_at: str

    @property
    def record_id(self) -> str:
        return f"Q-{self.id:05d}"

    @property
    def can_release(self) -> bool:
        return self.authorization_id is not None or self.court_order is not None

    @property
    def checklist(self) -> tuple[ChecklistItem, ...]:
        basis = (
            f"authorization A-{self.authorization_id:05d}"
            if self.authorization_id
            else f"court order: {self.court_order}"
            if self.court_order
            else None
        )
        return (
            ChecklistItem(
                "notify",
                "Notify the client of the subpoena",
                self.client_notified_on is not None,
                self.client_notified_on,
            ),
            ChecklistItem(
                "basis",
                "Obtain the client's authorization or a court order "
                "(a subpoena alone releases nothing)",
                basis is not None,
                basis,
            ),
            ChecklistItem(
                "counsel",
                "Consult counsel (yours or your licensing board's)",
                self.counsel_consulted_on is not None,
                self.counsel_consulted_on,
            ),
        )


def _request(row: Row) -> RecordsRequest:
    return RecordsRequest(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        request_type=RequestType(row["request_type"]),
        requester_name=row["requester_name"],
        requester_address=row["requester_address"],
        reference=row["reference"],
        received_on=row["received_on"],
        hold_id=row["hold_id"],
        client_notified_on=row["client_notified_on"],
        counsel_consulted_on=row["counsel_consulted_on"],
        authorization_id=row["authorization_id"],
        court_order=row["court_order"],
        status=row["status"],
        created_at=row["created_at"],
    )


class RecordsRequests:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def open_subpoena(
        self,
        client_id: int,
        requester_name: str,
        requester_address: str | None = None,
        reference: str | None = None,
        received_on: str | date | None = None,
    ) -> RecordsRequest:
        """Record a subpoena: place a legal hold and open the checklist. Nothing is released."""
        who = _fields.required_line(requester_name, "requester")
        address = _fields.line(requester_address, "requester address", required=False)
        ref = _fields.line(reference, "subpoena reference", required=False)
        received = _fields.day(received_on, "received date") or date.today()
        db = self._vault.db
        with db.atomic():
            hold = self._vault.holds.place(
                client_id,
                f"subpoena received {received.isoformat()}" + (f" ({ref})" if ref else ""),
            )
            cursor = db.execute(
                "INSERT INTO records_requests (id, client_id, request_type, requester_name, "
                "requester_address, reference, received_on, hold_id, created_at) "
                "VALUES (?, ?, 'subpoena', ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("records_requests"),
                    client_id,
                    who,
                    address,
                    ref,
                    received.isoformat(),
                    hold.id,
                    now_utc(),
                ),
            )
            request_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.CREATE,
                "records_request",
                request_id,
                client=client_id,
                type="subpoena",
                hold=hold.id,
            )
        return self.get(request_id)

    def get(self, request_id: int) -> RecordsRequest:
        row = self._vault.db.one("SELECT * FROM records_requests WHERE id = ?", (request_id,))
        if row is None:
            raise NotFoundError(f"no records request Q-{request_id:05d}")
        return _request(row)

    def list(self, client_id: int | None = None) -> builtins.list[RecordsRequest]:
        if client_id is None:
            rows = self._vault.db.query("SELECT * FROM records_requests ORDER BY id DESC")
        else:
            rows = self._vault.db.query(
                "SELECT * FROM records_requests WHERE client_id = ? ORDER BY id DESC", (client_id,)
            )
        return [_request(r) for r in rows]

    def update(
        self,
        request_id: int,
        *,
        client_notified_on: str | date | None = None,
        counsel_consulted_on: str | date | None = None,
        authorization_id: int | None = None,
        court_order: str | None = None,
    ) -> RecordsRequest:
        """Tick checklist items; an authorization or a court order makes release possible."""
        current = self.get(request_id)
        if current.status != "open":
            raise UsageError(f"{current.record_id} is {current.status}; nothing to update")
        changes: dict[str, object] = {}
        notified = _fields.day(client_notified_on, "client-notified date")
        if notified:
            changes["client_notified_on"] = notified.isoformat()
        counsel = _fields.day(counsel_consulted_on, "counsel-consulted date")
        if counsel:
            changes["counsel_consulted_on"] = counsel.isoformat()
        if authorization_id is not None:
            auth = self._vault.disclosures.authorizations.get(authorization_id)
            if auth.client_id != current.client_id:
                raise UsageError(f"{auth.record_id} was signed for another client")
            changes["authorization_id"] = auth.id
        order = _fields.line(court_order, "court order", max_chars=500, required=False)
        if order:
            changes["court_order"] = order
        if not changes:
            raise UsageError("nothing to update: give a date, an authorization or a court order")
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db = self._vault.db
        with db.atomic():
            db.execute(
                f"UPDATE records_requests SET {assignments} WHERE id = ?",
                (*changes.values(), request_id),
            )
            self._vault.audit.record(
                Action.EDIT, "records_request", request_id, fields=",".join(sorted(changes))
            )
        return self.get(request_id)

    def mark_fulfilled(self, request_id: int) -> None:
        """Inside the release's transaction: the request was answered."""
        self._vault.db.execute(
            "UPDATE records_requests SET status = 'fulfilled' WHERE id = ?", (request_id,)
        )
