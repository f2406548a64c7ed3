"""Step 1 of a disposal, also the disposal queue: what disposing of some clients would destroy.

Changes nothing. The queue shows each client's name; the certificate entry made from it
(`ClientDisposal.certificate_entry`) has identifiers, counts and dates only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..crypto.keyslots import KeyName, wipe_keys
from ..crypto.secret import SecretBytes
from . import policies as retention
from ._common import client_columns, ids_sql, pnotes_db
from .exports import outside_copies
from .types import BackupSide, DestroyedRecord, HeldCopy, OutsideCopy

if TYPE_CHECKING:
    from ..vault import Vault


@dataclass(frozen=True)
class ClientDisposal:
    """What disposing of one client destroys (the queue shows the name, nothing else does)."""

    client_id: int
    display_name: str
    policy: str
    disposal_date: str
    status: str
    notes: int
    first_session: str | None
    last_session: str | None
    joint_notes_kept: int
    pnotes: int | None
    pnotes_first: str | None
    pnotes_last: str | None
    related_rows: dict[str, int]
    backups: tuple[HeldCopy, ...]
    attachments: int = 0
    # Releases and saved accountings: copies outside the vault (the queue shows their paths).
    outside: tuple[OutsideCopy, ...] = ()

    @property
    def record_id(self) -> str:
        return f"C-{self.client_id:05d}"

    def certificate_entry(self) -> DestroyedRecord:
        """The certificate's view: no name, no content."""
        return DestroyedRecord(
            self.client_id,
            self.policy,
            self.disposal_date,
            self.notes,
            self.first_session,
            self.last_session,
            self.joint_notes_kept,
            self.pnotes,
            self.pnotes_first,
            self.pnotes_last,
            dict(self.related_rows),
            self.backups,
            self.attachments,
            self.outside,
        )

    def to_json(self) -> dict[str, Any]:
        """The queue's JSON: the certificate's fields plus the name, the status and where
        each copy outside the vault was saved."""
        return {
            **self.certificate_entry().to_json(),
            "display_name": self.display_name,
            "status": self.status,
            "outside": [{**o.to_json(), "path": o.path} for o in self.outside],
        }


def plan(
    vault: Vault,
    client_ids: Collection[int] | None = None,
    *,
    today: date | None = None,
    passphrase: str | None = None,
    backups: BackupSide | None = None,
    keys: Mapping[KeyName, SecretBytes] | None = None,
) -> list[ClientDisposal]:
    """What disposing of these clients (default: all due) would destroy. Changes nothing.

    With the passphrase the psychotherapy notes are counted too (they are in their own file).
    """
    db = vault.db
    if client_ids is None:
        rows = retention.due_clients(vault, today)
    else:
        rows = retention.schedule(vault, today, client_ids)
    if not rows:
        return []
    ids = [r.client_id for r in rows]
    pcounts: dict[int, tuple[int, str | None, str | None]] = {}
    if passphrase is not None or keys is not None:
        owned = keys is None
        if keys is None:
            assert passphrase is not None
            keys = vault.key_file.unwrap_with_passphrase(passphrase, [KeyName.PNOTES])
        try:
            pdb = pnotes_db(vault, keys[KeyName.PNOTES])
            try:
                marks, values = ids_sql(ids)
                for r in pdb.query(
                    "SELECT client_id, count(*), min(session_date), "
                    f"max(session_date) FROM pnotes WHERE client_id IN ({marks}) "
                    "GROUP BY client_id",
                    values,
                ):
                    pcounts[int(r[0])] = (int(r[1]), r[2], r[3])
            finally:
                pdb.close()
        finally:
            if owned:
                wipe_keys(keys)
    copies: dict[int, list[HeldCopy]] = {}
    if backups is not None:
        for cid in ids:
            copies[cid] = [c.held() for c in backups.copies_holding(vault, [cid])]
    related_cols = [
        pair
        for pair in client_columns(db)
        if pair[0]
        not in (
            "clients",
            "notes",
            "note_participants",
            "backup_clients",
            "exports",
            # Counted on their own (`attachments`); their saved copies are outside copies.
            "attachments",
            "attachment_copies",
        )
    ]
    outside = outside_copies(vault, ids)
    result = []
    for r in rows:
        cid = r.client_id
        notes = db.one(
            "SELECT count(*), min(session_date), max(session_date) FROM notes WHERE client_id = ?",
            (cid,),
        )
        assert notes is not None
        joint = int(
            db.scalar(
                "SELECT count(*) FROM note_participants p JOIN notes n "
                "ON n.id = p.note_id WHERE p.client_id = ? AND n.client_id != ?",
                (cid, cid),
            )
        )
        related = {
            f"{t}": int(db.scalar(f"SELECT count(*) FROM {t} WHERE {c} = ?", (cid,)))
            for t, c in related_cols
        }
        pcount = (
            pcounts.get(cid, (0, None, None))
            if passphrase is not None or keys is not None
            else None
        )
        result.append(
            ClientDisposal(
                cid,
                r.display_name,
                r.policy,
                r.disposal_date,
                r.status,
                int(notes[0]),
                notes[1],
                notes[2],
                joint,
                None if pcount is None else pcount[0],
                None if pcount is None else pcount[1],
                None if pcount is None else pcount[2],
                {k: v for k, v in related.items() if v},
                tuple(copies.get(cid, ())),
                attachments=int(
                    db.scalar("SELECT count(*) FROM attachments WHERE client_id = ?", (cid,))
                ),
                outside=tuple(outside.get(cid, ())),
            )
        )
    return result


__all__ = ["ClientDisposal", "plan"]
