"""Backup copies a disposal could not replace at once (drive absent): the pending purges,
finished by the backup side when the drive is next mounted (`backup/purge.py`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from ..errors import NotFoundError
from ..records.audit import Action
from ..storage.database import Row, now_utc
from .types import BackupCopy, PendingPurge

if TYPE_CHECKING:
    from ..vault import Vault


def _purge(row: Row) -> PendingPurge:
    return PendingPurge(
        int(row["id"]),
        int(row["disposal_id"]),
        row["drive"],
        row["location"],
        row["state"],
        row["recorded_at"],
        row["done_at"],
    )


def record_copies(
    vault: Vault, disposal_id: int, copies: Sequence[BackupCopy], done: Collection[str]
) -> None:
    """Note each copy a disposal had to replace: done (its location is in `done`) or pending.
    A copy already noted (a resumed disposal) is left as it is."""
    db = vault.db
    with db.atomic():
        for c in copies:
            exists = db.scalar(
                "SELECT 1 FROM backup_purges WHERE disposal_id = ? AND location = ?",
                (disposal_id, c.location),
            )
            if exists:
                continue
            ok = c.location in done
            db.execute(
                "INSERT INTO backup_purges (disposal_id, drive, location, state, "
                "recorded_at, done_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    disposal_id,
                    c.drive,
                    c.location,
                    "done" if ok else "pending",
                    now_utc(),
                    now_utc() if ok else None,
                ),
            )


def pending_purges(
    vault: Vault, drive: str | None = None, *, disposal_id: int | None = None
) -> list[PendingPurge]:
    """Copies still to purge, oldest first: on one drive, of one disposal, or all."""
    sql = "SELECT * FROM backup_purges WHERE state = 'pending'"
    args: list[object] = []
    if drive:
        sql += " AND drive = ?"
        args.append(drive)
    if disposal_id is not None:
        sql += " AND disposal_id = ?"
        args.append(disposal_id)
    return [_purge(r) for r in vault.db.query(sql + " ORDER BY id", args)]


def mark_purged(vault: Vault, purge_id: int, new_location: str | None) -> None:
    """A pending backup copy was replaced (drive mounted again): note it on the certificate."""
    db = vault.db
    row = db.one("SELECT * FROM backup_purges WHERE id = ?", (purge_id,))
    if row is None:
        raise NotFoundError(f"no pending backup purge {purge_id}")
    with db.atomic():
        db.execute(
            "UPDATE backup_purges SET state = 'done', done_at = ? WHERE id = ?",
            (now_utc(), purge_id),
        )
        cert = json.loads(
            str(db.scalar("SELECT certificate FROM disposals WHERE id = ?", (row["disposal_id"],)))
        )
        section = cert.setdefault("backups", {})
        section["pending"] = [
            p for p in section.get("pending", []) if p.get("location") != row["location"]
        ]
        section.setdefault("completed_later", []).append(
            {
                "location": row["location"],
                "drive": row["drive"],
                "done_at": now_utc(),
                "replaced_by": new_location,
            }
        )
        db.execute(
            "UPDATE disposals SET certificate = ? WHERE id = ?",
            (json.dumps(cert, sort_keys=True), row["disposal_id"]),
        )
        vault.audit.record(
            Action.DISPOSAL, "disposal", int(row["disposal_id"]), step="backup_purged"
        )


__all__ = ["mark_purged", "pending_purges", "record_copies"]
