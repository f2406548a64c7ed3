"""Legal holds: while a client has an active hold, nothing of theirs may be disposed of.

A hold is placed by a subpoena (disclosures), by litigation or an investigation the clinician
records by hand, and released with a note saying why. Retention and disposal read
`active_holds` / `has_active_hold`; disclosures place them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records import validate
from ..records.audit import Action
from ..storage.database import Row, now_utc

if TYPE_CHECKING:
    from ..vault import Vault

DEFAULT_PLACED_BY = "clinician"


@dataclass(frozen=True)
class LegalHold:
    id: int
    client_id: int
    reason: str
    placed_at: str
    placed_by: str
    released_at: str | None
    release_note: str | None

    @property
    def record_id(self) -> str:
        return f"H-{self.id:05d}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


def _hold(row: Row) -> LegalHold:
    return LegalHold(
        int(row["id"]),
        int(row["client_id"]),
        row["reason"],
        row["placed_at"],
        row["placed_by"],
        row["released_at"],
        row["release_note"],
    )


def _reason(text: str, field: str) -> str:
    # Collapsing whitespace also removes line breaks and tabs; other controls are refused.
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UsageError(f"{field} is empty; say why")
    if len(cleaned) > 500:
        raise UsageError(f"{field} is longer than 500 characters")
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in cleaned):
        raise UsageError(f"{field} contains a control character; remove it")
    return cleaned


def place_legal_hold(
    vault: Vault, client_id: int, reason: str, placed_by: str = DEFAULT_PLACED_BY
) -> LegalHold:
    """Put a client on legal hold (blocks disposal until released)."""
    why = _reason(reason, "the reason for the hold")
    who = validate.name(placed_by, "placed by")
    vault.clients.get_unaudited(client_id)  # NotFoundError for an unknown client
    db = vault.db
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO legal_holds (id, client_id, reason, placed_at, "
            "placed_by) VALUES (?, ?, ?, ?, ?)",
            (db.next_id("legal_holds"), client_id, why, now_utc(), who),
        )
        hold_id = int(cursor.lastrowid or 0)
        vault.audit.record(Action.LEGAL_HOLD, "client", client_id, hold=hold_id)
    return get_legal_hold(vault, hold_id)


def release_legal_hold(vault: Vault, hold_id: int, note: str) -> LegalHold:
    """End a hold, with a note saying why (case closed, order satisfied...)."""
    why = _reason(note, "the release note")
    current = get_legal_hold(vault, hold_id)
    if not current.is_active:
        raise UsageError(f"{current.record_id} was already released at {current.released_at}")
    db = vault.db
    with db.atomic():
        db.execute(
            "UPDATE legal_holds SET released_at = ?, release_note = ? WHERE id = ?",
            (now_utc(), why, hold_id),
        )
        vault.audit.record(Action.LEGAL_HOLD_RELEASE, "client", current.client_id, hold=hold_id)
    return get_legal_hold(vault, hold_id)


def get_legal_hold(vault: Vault, hold_id: int) -> LegalHold:
    row = vault.db.one("SELECT * FROM legal_holds WHERE id = ?", (hold_id,))
    if row is None:
        raise NotFoundError(f"no legal hold H-{hold_id:05d}")
    return _hold(row)


def active_holds(vault: Vault, client_id: int | None = None) -> list[LegalHold]:
    """Holds not yet released, for one client or for all, oldest first."""
    if client_id is None:
        rows = vault.db.query("SELECT * FROM legal_holds WHERE released_at IS NULL ORDER BY id")
    else:
        rows = vault.db.query(
            "SELECT * FROM legal_holds WHERE released_at IS NULL AND client_id = ? ORDER BY id",
            (client_id,),
        )
    return [_hold(r) for r in rows]


def has_active_hold(vault: Vault, client_id: int) -> bool:
    return (
        vault.db.scalar(
            "SELECT 1 FROM legal_holds WHERE released_at IS NULL AND client_id = ? LIMIT 1",
            (client_id,),
        )
        is not None
    )


def all_holds(vault: Vault, client_id: int) -> list[LegalHold]:
    rows = vault.db.query("SELECT * FROM legal_holds WHERE client_id = ? ORDER BY id", (client_id,))
    return [_hold(r) for r in rows]
