"""The drive-side rollback check (issue 10 item 8): has a backup drive seen a later audit log
than the vault holds?

The key file's anchor catches record.db put back alone, or keys.confide alone. Both put back
together (one snapshot of the folder) agree with each other, so only something outside the
folder can tell: every archive carries the audit anchor of the moment it was written, inside its
encrypted manifest. Before each backup and in `backup verify`, the manifests of every archive on
the connected drive that this vault's keys open are read (the data sections are skipped), and
the highest anchor is compared with the vault's log. The catalogue cannot be asked: it lives in
record.db and was rolled back with it.

What this cannot see: an archive written under keys rotated since the snapshot (a disposal
after it) does not open with the rolled-back keys, so it is skipped, as are other vaults'
archives and damaged ones; and a drive never connected says nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from vault import RollbackWarning, Vault
from vault.errors import ConfideError

from .archive import read_manifest
from .drives import PARTIAL, SUFFIX, backup_dir
from .keys import vault_keys_for

DRIVE_NEWER = "drive_newer"


@dataclass(frozen=True)
class DriveAnchor:
    """The newest audit entry an archive on the drive records: (seq, head), and which file."""

    seq: int
    head: str
    file_name: str


def drive_anchor(vault: Vault, root: Path) -> DriveAnchor | None:
    """The highest audit anchor among the archives on the drive at `root` that this vault's
    current keys open; None when none records one."""
    folder = backup_dir(root)
    try:
        paths = sorted(
            p
            for p in folder.iterdir()
            if p.name.endswith(SUFFIX)
            and not p.name.endswith(PARTIAL)
            and p.is_file()
            and not p.is_symlink()
        )
    except OSError:
        return None
    best: DriveAnchor | None = None
    for path in paths:
        try:
            with path.open("rb") as source:
                manifest = read_manifest(source, vault_keys_for(vault, path.name), path.name)
        except (ConfideError, OSError):
            continue  # another epoch's, another vault's, damaged: `backup verify` says which
        anchor = manifest.get("key_file_anchor")
        if not isinstance(anchor, dict):
            continue  # written before archives carried the anchor
        try:
            seq, head = int(anchor["seq"]), str(anchor["head"])
        except (KeyError, TypeError, ValueError):
            continue
        if best is None or seq > best.seq:
            best = DriveAnchor(seq, head, path.name)
    return best


def check_drive_rollback(vault: Vault, root: Path) -> RollbackWarning | None:
    """Compare the drive's newest anchor with the vault's log; a warning (audited the first
    time it is found) when the drive has seen entries the vault does not hold."""
    seen = drive_anchor(vault, root)
    if seen is None:
        return None
    found = vault.compare_seen(seen.seq, seen.head, f"the backup drive ({seen.file_name})")
    if found is None:
        return None
    warning = dataclasses.replace(
        found,
        kind=DRIVE_NEWER,
        message=found.message
        + ". record.db and keys.confide may have been put back together (one old copy of the "
        "vault folder): a passphrase retired since may open this key file, so change the "
        "passphrase once you have restored",
    )
    if not vault.audit.rollback_recorded(seen.seq, seen.head):
        vault.note_rollback(warning, seen_head=seen.head)
    elif warning not in vault.rollback_warnings:
        vault.rollback_warnings.append(warning)
    return warning


def check_connected_drives(vault: Vault) -> list[RollbackWarning]:
    """`check_drive_rollback` on every designated drive connected now (`backup verify`)."""
    from .drives import connected_drives

    found = []
    for root, _marker in connected_drives(vault):
        warning = check_drive_rollback(vault, root)
        if warning is not None and warning not in found:
            found.append(warning)
    return found
