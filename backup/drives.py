"""Designated backup drives: a marker file at the drive's root naming a random drive id.

The marker holds no client data: the drive id, the vault id it serves and a label the user chose.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vault.errors import StorageError, UsageError
from vault.storage import fsutil
from vault.storage.database import now_utc

MARKER = ".confide-drive"
BACKUP_DIR = "confide-backups"
SUFFIX = ".cfbk"
PARTIAL = ".partial"
MAX_MARKER = 4096
DEFAULT_WATCH_ROOTS: tuple[str, ...] = ("/media", "/run/media", "/mnt", "/Volumes")


@dataclass(frozen=True)
class DriveMarker:
    drive_id: str
    vault_id: str
    label: str
    created_at: str

    def to_bytes(self) -> bytes:
        return json.dumps({"confide_drive": 1, "drive_id": self.drive_id,
                           "vault_id": self.vault_id, "label": self.label,
                           "created_at": self.created_at}, sort_keys=True).encode() + b"\n"


def read_marker(root: Path) -> DriveMarker | None:
    """The marker at `root`, or None if there is none (or it is not ours)."""
    path = root / MARKER
    try:
        # A drive's files are untrusted input: no links, no FIFOs or devices, bounded size.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            return None
        raise StorageError(fsutil.describe_os_error(e, f"cannot read the drive marker at {root}")
                           ) from e
    try:
        raw = os.read(fd, MAX_MARKER) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError as e:
        raise StorageError(fsutil.describe_os_error(e, f"cannot read the drive marker at {root}")
                           ) from e
    finally:
        os.close(fd)
    try:
        doc = json.loads(raw.decode("utf-8"))
        return DriveMarker(str(doc["drive_id"]), str(doc["vault_id"]), str(doc.get("label", "")),
                           str(doc.get("created_at", "")))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None  # RecursionError: a stick's marker of thousands of nested brackets


def write_marker(root: Path, vault_id: str, label: str) -> DriveMarker:
    """Designate `root` (atomically: temp file, fsync, rename, fsync folder)."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder; give the mount point of the backup drive")
    existing = read_marker(root)
    if existing is not None:
        if existing.vault_id != vault_id:
            raise UsageError(f"{root} is already the backup drive of another Confide vault")
        return existing
    marker = DriveMarker(secrets.token_hex(8), vault_id, label or root.name, now_utc())
    tmp = root / (MARKER + PARTIAL)
    with fsutil.storage_errors(f"cannot designate {root} as a backup drive"):
        if tmp.exists():
            tmp.unlink()
        fsutil.write_new_file(tmp, marker.to_bytes())
        os.replace(tmp, root / MARKER)
        fsutil.fsync_dir(root)
        (root / BACKUP_DIR).mkdir(mode=fsutil.DIR_MODE, exist_ok=True)
        fsutil.fsync_dir(root)
    return marker


def backup_dir(root: Path) -> Path:
    return root / BACKUP_DIR


def _children(root: Path) -> Iterator[Path]:
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    yield Path(entry.path)
    except OSError:
        return  # an unreadable or vanished folder simply holds no drive


def find_drives(roots: Iterable[Path], vault_id: str | None = None,
                depth: int = 2) -> list[tuple[Path, DriveMarker]]:
    """Mounted designated drives under the roots: the root itself and up to `depth` levels
    below (/media/LABEL, /run/media/USER/LABEL)."""
    found: list[tuple[Path, DriveMarker]] = []
    seen: set[Path] = set()
    level = [Path(r) for r in roots]
    for _ in range(depth + 1):
        following: list[Path] = []
        for folder in level:
            if folder in seen:
                continue
            seen.add(folder)
            try:
                marker = read_marker(folder)
            except StorageError:
                marker = None
            if marker is not None and (vault_id is None or marker.vault_id == vault_id):
                found.append((folder, marker))
                continue
            following.extend(_children(folder))
        level = following
    return found
