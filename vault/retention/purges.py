"""Backup copies a disposal could not replace at once (drive absent): the pending purges,
finished by the backup side when the drive is next mounted (`backup/purge.py`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..records.audit import Action
from ..storage.database import now_utc

if TYPE_CHECKING:
    from ..vault import Vault


def pending_purges(vault: Vault, drive: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM backup_purges WHERE state = 'pending'"
    rows = (vault.db.query(sql + " AND drive = ? ORDER BY id", (drive,)) if drive
            else vault.db.query(sql + " ORDER BY id"))
    return [dict(r) for r in rows]


def mark_purged(vault: Vault, purge_id: int, new_location: str | None) -> None:
    """A pending backup copy was replaced (drive mounted again): note it on the certificate."""
    db = vault.db
    row = db.one("SELECT * FROM backup_purges WHERE id = ?", (purge_id,))
    if row is None:
        raise NotFoundError(f"no pending backup purge {purge_id}")
    with db.atomic():
        db.execute("UPDATE backup_purges SET state = 'done', done_at = ? WHERE id = ?",
                   (now_utc(), purge_id))
        cert = json.loads(str(db.scalar("SELECT certificate FROM disposals WHERE id = ?",
                                        (row["disposal_id"],))))
        section = cert.setdefault("backups", {})
        section["pending"] = [p for p in section.get("pending", [])
                              if p.get("location") != row["location"]]
        section.setdefault("completed_later", []).append(
            {"location": row["location"], "drive": row["drive"], "done_at": now_utc(),
             "replaced_by": new_location})
        db.execute("UPDATE disposals SET certificate = ? WHERE id = ?",
                   (json.dumps(cert, sort_keys=True), row["disposal_id"]))
        vault.audit.record(Action.DISPOSAL, "disposal", int(row["disposal_id"]),
                           step="backup_purged")


__all__ = ["mark_purged", "pending_purges"]
