"""Destroying an archive in an order a kill cannot turn into a lie (DESIGN 12).

The intent is committed to the catalog first (the row reads 'removing', never 'good'), then the
file is overwritten and unlinked, then the row takes its final status ('pruned', 'replaced').
A kill anywhere in between leaves a row that says 'removing' about a file that may be whole,
zero-filled or gone; `finish_removals` (run by the next backup, purge or `backup list`)
destroys what is left of it on its connected drive and records the final status.
"""

from __future__ import annotations

from pathlib import Path

from vault import Vault
from vault.errors import StorageError
from vault.storage import fsutil

from .catalog import Catalog
from .drives import backup_dir, read_marker


def drive_root(vault: Vault, drive_id: str | None) -> Path | None:
    """Where the drive is mounted now, if it is (its marker must be there)."""
    if drive_id is None:
        return None
    drive = Catalog(vault).drive(drive_id)
    if not drive.last_path:
        return None
    root = Path(drive.last_path)
    try:
        marker = read_marker(root)
    except StorageError:
        return None
    if marker is None or marker.drive_id != drive_id:
        return None
    return root


def destroy(catalog: Catalog, backup_id: int, path: Path | None, final: str) -> None:
    """Record the intent, overwrite and unlink `path` (if there), then record `final`."""
    catalog.begin_removal(backup_id, final)
    if path is not None and (path.exists() or path.is_symlink()):
        fsutil.secure_unlink(path)  # zeros over its blocks, fsync, unlink, fsync dir
    catalog.finish_removal(backup_id)


def finish_removals(
    vault: Vault, drive_id: str | None = None, root: Path | None = None
) -> list[str]:
    """Finish every removal a kill interrupted on a connected drive (or only on `drive_id`,
    mounted at `root`). Returns the file names finished; one on an absent drive waits."""
    catalog = Catalog(vault)
    done: list[str] = []
    for record in catalog.removing(drive_id):
        where = root if root is not None else drive_root(vault, record.drive_id)
        if where is None:
            continue  # the drive is away: the file may still be whole there
        destroy(
            catalog, record.id, backup_dir(where) / record.file_name, _final(catalog, record.id)
        )
        done.append(record.file_name)
    return done


def _final(catalog: Catalog, backup_id: int) -> str:
    return catalog.removal_final(backup_id) or "destroyed"


__all__ = ["destroy", "drive_root", "finish_removals"]
