"""Authorizations (45 CFR 164.508): what, who discloses, to whom, why, until when, signed, revoked.

A psychotherapy-notes authorization is its own kind: it covers psychotherapy notes only and a
general authorization never does (164.508(b)(3)(ii) forbids combining them).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from ..errors import DisclosureRefusedError, NotFoundError, UsageError
from ..records.audit import Action
from ..storage.database import Row, now_utc
from . import _fields

if TYPE_CHECKING:
    from ..vault import Vault


class DocumentKind(StrEnum):
    """The kinds of general-record documents a release can contain (templates' document_kind)."""

    PROGRESS_NOTE = "progress_note"
    TREATMENT_PLAN = "treatment_plan"
    ASSESSMENT = "assessment"
    DISCHARGE_SUMMARY = "discharge_summary"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def plural(self) -> str:
        return self.label + "s" if not self.label.endswith("y") else self.label[:-1] + "ies"

    @classmethod
    def parse(cls, text: str) -> DocumentKind:
        key = text.strip().lower().replace("-", "_").replace(" ", "_").rstrip("s")
        key = {
            "progress_note": "progress_note",
            "note": "progress_note",
            "progress": "progress_note",
            "plan": "treatment_plan",
            "discharge": "discharge_summary",
            "discharge_summarie": "discharge_summary",
            "discharge_summary": "discharge_summary",
            "assessment": "assessment",
            "treatment_plan": "treatment_plan",
        }.get(key, key)
        if key in ("psychotherapy_note", "pnote"):
            raise UsageError(
                "psychotherapy notes are not a general-record document kind; they "
                "need their own psychotherapy-notes authorization "
                "(45 CFR 164.508(a)(2))"
            )
        try:
            return cls(key)
        except ValueError:
            raise UsageError(
                f"unknown document kind {text.strip()!r}; use one of: "
                f"{', '.join(k.value.replace('_', '-') for k in cls)}"
            ) from None


ALL_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)


class AuthorizationKind(StrEnum):
    GENERAL = "general"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes"

    @classmethod
    def parse(cls, text: str) -> AuthorizationKind:
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        if key in ("pnotes", "pnote", "psychotherapy", "psychotherapy_note"):
            key = "psychotherapy_notes"
        try:
            return cls(key)
        except ValueError:
            raise UsageError(
                f"unknown authorization kind {text.strip()!r}; use general or psychotherapy-notes"
            ) from None


@dataclass(frozen=True)
class Authorization:
    id: int
    client_id: int
    kind: AuthorizationKind
    description: str  # what may be disclosed, in the form's words
    document_kinds: tuple[DocumentKind, ...]  # empty for a psychotherapy-notes authorization
    discloser: str
    recipient_name: str
    recipient_address: str | None
    purpose: str
    expires_on: str | None
    expiry_event: str | None
    signed_on: str
    revoked_on: str | None
    created_at: str

    @property
    def record_id(self) -> str:
        return f"A-{self.id:05d}"

    def problem(self, today: date) -> str | None:
        """Why this authorization cannot be used today, or None when it is valid."""
        if self.revoked_on is not None and date.fromisoformat(self.revoked_on) <= today:
            return f"{self.record_id} was revoked on {self.revoked_on}"
        if self.expires_on is not None and date.fromisoformat(self.expires_on) < today:
            return f"{self.record_id} expired on {self.expires_on}"
        if date.fromisoformat(self.signed_on) > today:
            return f"{self.record_id} is dated {self.signed_on}, after today; it is not signed yet"
        return None

    def status(self, today: date) -> str:
        problem = self.problem(today)
        if problem is None:
            return "valid"
        for word in ("revoked", "expired"):
            if word in problem:
                return word
        return "not yet signed"

    @property
    def expiry(self) -> str:
        parts = [p for p in (self.expires_on, self.expiry_event) if p]
        return " or ".join(parts)


def _authorization(row: Row) -> Authorization:
    return Authorization(
        id=int(row["id"]),
        client_id=int(row["client_id"]),
        kind=AuthorizationKind(row["kind"]),
        description=row["description"],
        document_kinds=tuple(DocumentKind(k) for k in json.loads(row["document_kinds"])),
        discloser=row["discloser"],
        recipient_name=row["recipient_name"],
        recipient_address=row["recipient_address"],
        purpose=row["purpose"],
        expires_on=row["expires_on"],
        expiry_event=row["expiry_event"],
        signed_on=row["signed_on"],
        revoked_on=row["revoked_on"],
        created_at=row["created_at"],
    )


def same_party(a: str, b: str) -> bool:
    """Recipient names compared as a person would: case and spacing do not matter."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


class Authorizations:
    """The registry of a vault's authorizations."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def add(
        self,
        client_id: int,
        *,
        kind: AuthorizationKind | str,
        description: str,
        discloser: str,
        recipient_name: str,
        purpose: str,
        signed_on: str | date,
        recipient_address: str | None = None,
        expires_on: str | date | None = None,
        expiry_event: str | None = None,
        document_kinds: Iterable[DocumentKind | str] = (),
    ) -> Authorization:
        """Record a signed authorization form; every 164.508 core element is required."""
        auth_kind = kind if isinstance(kind, AuthorizationKind) else AuthorizationKind.parse(kind)
        what = _fields.required_line(description, "what may be disclosed", max_chars=1000)
        who = _fields.required_line(discloser, "who discloses")
        to = _fields.required_line(recipient_name, "recipient")
        address = _fields.line(recipient_address, "recipient address", required=False)
        why = _fields.required_line(purpose, "purpose", max_chars=1000)
        signed = _fields.required_day(signed_on, "signed date")
        expires = _fields.day(expires_on, "expiry date")
        event = _fields.line(expiry_event, "expiry event", required=False)
        if expires is None and event is None:
            raise UsageError(
                "an authorization needs an expiry date or an expiry event (45 CFR 164.508(c)(1)(v))"
            )
        if expires is not None and expires < signed:
            raise UsageError(f"the expiry date {expires} is before the signed date {signed}")
        kinds = tuple(
            dict.fromkeys(
                k if isinstance(k, DocumentKind) else DocumentKind.parse(k) for k in document_kinds
            )
        )
        if auth_kind is AuthorizationKind.PSYCHOTHERAPY_NOTES and kinds:
            raise UsageError(
                "a psychotherapy-notes authorization cannot be combined with other "
                "records (45 CFR 164.508(b)(3)(ii)); record a separate general "
                "authorization for them"
            )
        if auth_kind is AuthorizationKind.GENERAL and not kinds:
            kinds = ALL_KINDS
        self._vault.clients.get_unaudited(client_id)  # NotFoundError for an unknown client
        db = self._vault.db
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO authorizations (id, client_id, kind, description, document_kinds, "
                "discloser, recipient_name, recipient_address, purpose, expires_on, "
                "expiry_event, signed_on, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    db.next_id("authorizations"),
                    client_id,
                    auth_kind.value,
                    what,
                    json.dumps([k.value for k in kinds]),
                    who,
                    to,
                    address,
                    why,
                    expires.isoformat() if expires else None,
                    event,
                    signed.isoformat(),
                    now_utc(),
                ),
            )
            auth_id = int(cursor.lastrowid or 0)
            self._vault.audit.record(
                Action.AUTHORIZATION,
                "authorization",
                auth_id,
                client=client_id,
                kind=auth_kind.value,
                event="recorded",
            )
        return self.get(auth_id)

    def get(self, auth_id: int) -> Authorization:
        row = self._vault.db.one("SELECT * FROM authorizations WHERE id = ?", (auth_id,))
        if row is None:
            raise NotFoundError(f"no authorization A-{auth_id:05d}")
        return _authorization(row)

    def list(self, client_id: int) -> builtins.list[Authorization]:
        self._vault.clients.get_unaudited(client_id)
        rows = self._vault.db.query(
            "SELECT * FROM authorizations WHERE client_id = ? ORDER BY signed_on DESC, id DESC",
            (client_id,),
        )
        return [_authorization(r) for r in rows]

    def revoke(self, auth_id: int, revoked_on: str | date | None = None) -> Authorization:
        """The client revoked it in writing (164.508(b)(5)); it stops covering new releases."""
        current = self.get(auth_id)
        on = _fields.day(revoked_on, "revocation date") or date.today()
        if current.revoked_on is not None:
            raise UsageError(f"{current.record_id} was already revoked on {current.revoked_on}")
        if on > date.today():
            raise UsageError(
                f"the revocation date {on} is in the future; record it when the "
                "client's written revocation arrives"
            )
        if on < date.fromisoformat(current.signed_on):
            raise UsageError(
                f"the revocation date {on} is before the signed date {current.signed_on}"
            )
        db = self._vault.db
        with db.atomic():
            db.execute(
                "UPDATE authorizations SET revoked_on = ? WHERE id = ?", (on.isoformat(), auth_id)
            )
            self._vault.audit.record(
                Action.AUTHORIZATION,
                "authorization",
                auth_id,
                client=current.client_id,
                event="revoked",
            )
        return self.get(auth_id)

    # -- checks a release runs

    def require_general(
        self,
        auth_id: int,
        client_id: int,
        recipient: str,
        kinds: Sequence[DocumentKind],
        today: date,
    ) -> Authorization:
        auth = self._require(auth_id, client_id, today)
        if auth.kind is not AuthorizationKind.GENERAL:
            raise DisclosureRefusedError(
                f"{auth.record_id} is a psychotherapy-notes authorization; it covers "
                "psychotherapy notes only and cannot authorize other records "
                "(45 CFR 164.508(b)(3)(ii))"
            )
        self._same_recipient(auth, recipient)
        missing = [k for k in kinds if k not in auth.document_kinds]
        if missing:
            raise DisclosureRefusedError(
                f"{auth.record_id} does not cover {', '.join(k.plural for k in missing)}; it "
                f"covers {', '.join(k.plural for k in auth.document_kinds)}"
            )
        return auth

    def require_pnotes(
        self, auth_id: int, client_id: int, recipient: str, today: date
    ) -> Authorization:
        auth = self._require(auth_id, client_id, today)
        if auth.kind is not AuthorizationKind.PSYCHOTHERAPY_NOTES:
            raise DisclosureRefusedError(
                f"{auth.record_id} is a general authorization; psychotherapy notes need their "
                "own psychotherapy-notes authorization (45 CFR 164.508(a)(2))"
            )
        self._same_recipient(auth, recipient)
        return auth

    def _require(self, auth_id: int, client_id: int, today: date) -> Authorization:
        auth = self.get(auth_id)
        if auth.client_id != client_id:
            raise DisclosureRefusedError(f"{auth.record_id} was signed for another client")
        problem = auth.problem(today)
        if problem is not None:
            raise DisclosureRefusedError(f"{problem}; it cannot authorize a release")
        return auth

    @staticmethod
    def _same_recipient(auth: Authorization, recipient: str) -> None:
        if not same_party(auth.recipient_name, recipient):
            raise DisclosureRefusedError(
                f"{auth.record_id} authorizes disclosure to {auth.recipient_name!r}, not to "
                f"{recipient!r}"
            )
