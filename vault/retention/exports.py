"""Copies that left the vault: releases and accountings saved to files (issue 10 item 6).

Every export is recorded with its path and digest (`disclosures.writer.record_export`). At
disposal each recorded file of the disposed clients is looked for at its path: found unchanged
(same size, same SHA-256) it can be overwritten and unlinked (`fsutil.secure_unlink`); moved,
deleted or edited it is out of reach and the certificate says so. A release handed over (mail,
print, a portal) is never within reach: the certificate lists every release as a copy outside
the vault, not covered by the disposal.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfideError
from ..storage.fsutil import secure_unlink
from ._common import ids_sql
from .types import OutsideCopy

if TYPE_CHECKING:
    from ..vault import Vault

PRESENT = "still at its saved path, not overwritten"
OVERWRITTEN = "found unchanged at its saved path and overwritten"
MISSING = "not found at its saved path (moved or deleted: out of reach)"
CHANGED = "changed since it was saved (not touched: out of reach)"
UNRECORDED = "saved before Confide recorded exports (out of reach)"
COPY_STATES = (PRESENT, OVERWRITTEN, MISSING, CHANGED, UNRECORDED)
# The records custodian's documents that name a client (record migration 17).
CUSTODIAN_KINDS = ("custodian_letter", "custodian_instructions")

# The recipient's role by request type: the certificate never names the recipient.
ROLES = {
    "client-access": "the client",
    "authorization": "a recipient the client authorized",
    "court-order": "a court (court order)",
    "subpoena": "a party under subpoena",
    "mandated-report": "an agency (mandated report)",
    "duty-to-warn": "a person warned (duty to warn)",
}


def _state(path: Path, sha256: str, size: int) -> str:
    try:
        info = os.lstat(path)
    except OSError:
        return MISSING
    if not stat.S_ISREG(info.st_mode) or info.st_size != size:
        return CHANGED
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return MISSING
    return PRESENT if digest.hexdigest() == sha256 else CHANGED


def outside_copies(vault: Vault, client_ids: Collection[int]) -> dict[int, list[OutsideCopy]]:
    """Per client: every release (with its saved file's state), every saved accounting and
    every saved copy of an attachment, every open export holding the client (`confide
    export`), and the custodian's letters to the client and instructions naming them."""
    db = vault.db
    marks, values = ids_sql(client_ids)
    found: dict[int, list[OutsideCopy]] = {cid: [] for cid in values}
    if not values:
        return found
    saved: dict[int, list[tuple[int, str, str, int]]] = {}
    accountings = []
    for r in db.query(
        f"SELECT id, kind, client_id, disclosure_id, path, sha256, size, "
        f"written_at FROM exports WHERE client_id IN ({marks}) ORDER BY id",
        values,
    ):
        if r["kind"] == "release" and r["disclosure_id"] is not None:
            saved.setdefault(int(r["disclosure_id"]), []).append(
                (int(r["id"]), r["path"], r["sha256"], int(r["size"]))
            )
        elif r["kind"] in ("accounting", "open_export", *CUSTODIAN_KINDS):
            accountings.append(r)
    for d in db.query(
        f"SELECT id, client_id, disclosed_at, request_type FROM disclosures "
        f"WHERE client_id IN ({marks}) ORDER BY id",
        values,
    ):
        role = ROLES.get(str(d["request_type"]), "a recipient")
        ref = f"R-{int(d['id']):06d}"
        files = saved.get(int(d["id"]), [])
        if not files:
            found[int(d["client_id"])].append(
                OutsideCopy("release", ref, str(d["disclosed_at"])[:10], role, UNRECORDED)
            )
        for export_id, path, sha, size in files:
            found[int(d["client_id"])].append(
                OutsideCopy(
                    "release",
                    ref,
                    str(d["disclosed_at"])[:10],
                    role,
                    _state(Path(path), sha, size),
                    path,
                    export_id,
                )
            )
    # Attachments saved to a file (`attachment get`): found and overwritten like releases.
    for r in db.query(
        f"SELECT id, attachment_id, client_id, path, sha256, size, written_at "
        f"FROM attachment_copies WHERE client_id IN ({marks}) ORDER BY id",
        values,
    ):
        found[int(r["client_id"])].append(
            OutsideCopy(
                "attachment",
                f"F-{int(r['attachment_id']):05d}",
                str(r["written_at"])[:10],
                "",
                _state(Path(r["path"]), r["sha256"], int(r["size"])),
                r["path"],
                int(r["id"]),
            )
        )
    for r in accountings:
        found[int(r["client_id"])].append(
            OutsideCopy(
                str(r["kind"]),
                "",
                str(r["written_at"])[:10],
                "",
                _state(Path(r["path"]), r["sha256"], int(r["size"])),
                r["path"],
                int(r["id"]),
            )
        )
    return found


def overwrite_present(
    vault: Vault, copies: Mapping[int, list[OutsideCopy]]
) -> dict[int, list[OutsideCopy]]:
    """Overwrite and unlink each copy still unchanged at its saved path; the new states."""
    result: dict[int, list[OutsideCopy]] = {}
    for cid, items in copies.items():
        out = []
        for item in items:
            if item.copy == PRESENT and item.path is not None:
                path = Path(item.path)
                table = "attachment_copies" if item.kind == "attachment" else "exports"
                row = vault.db.one(
                    f"SELECT sha256, size FROM {table} WHERE id = ?", (item.export_id,)
                )
                # Checked again right before: a file edited since the plan is not ours to wipe.
                state = _state(path, str(row[0]), int(row[1])) if row else MISSING
                if state == PRESENT:
                    try:
                        secure_unlink(path)
                        state = OVERWRITTEN
                    except ConfideError as e:
                        state = f"{PRESENT} ({e})"
                item = OutsideCopy(
                    item.kind,
                    item.reference,
                    item.date,
                    item.recipient,
                    state,
                    item.path,
                    item.export_id,
                )
            out.append(item)
        result[cid] = out
    return result


__all__ = [
    "CHANGED",
    "COPY_STATES",
    "MISSING",
    "OVERWRITTEN",
    "PRESENT",
    "UNRECORDED",
    "outside_copies",
    "overwrite_present",
]
