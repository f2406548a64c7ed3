"""Designated backup drives: a marker file at the drive's root naming a random drive id.

The marker holds no client data: the drive id, the vault id it serves and a label the user chose.
A drive receives backups only once this vault designated it (`add_drive`, recorded in the
catalog); `check_drive` says whether a mounted folder is such a drive, `connected_drives` which
of them are mounted now.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vault import Vault
from vault.errors import NotFoundError, StorageError, UsageError
from vault.records import validate
from vault.records.audit import Action
from vault.storage import fsutil
from vault.storage.database import now_utc

from .catalog import DEFAULT_WATCH_ROOTS, Catalog, Drive
from .errors import DriveNotDesignatedError, UntrustedBackupError

MARKER = ".confide-drive"
BACKUP_DIR = "confide-backups"
SUFFIX = ".cfbk"
PARTIAL = ".partial"
MAX_MARKER = 4096


@dataclass(frozen=True)
class DriveMarker:
    drive_id: str
    vault_id: str
    label: str
    created_at: str
    # HMAC-SHA256 of the fields above under a key derived from the vault's record key, the same
    # value kept in the catalog. Not secret from whoever holds the drive (a copy of the marker
    # copies it): it proves the marker was made by this vault, not that this is the drive.
    tag: str = ""

    def fields(self) -> dict[str, object]:
        return {
            "confide_drive": 1,
            "drive_id": self.drive_id,
            "vault_id": self.vault_id,
            "label": self.label,
            "created_at": self.created_at,
        }

    def to_bytes(self) -> bytes:
        doc = self.fields()
        if self.tag:
            doc["tag"] = self.tag
        return json.dumps(doc, sort_keys=True).encode() + b"\n"


def marker_tag(vault: Vault, marker: DriveMarker) -> str:
    """The authentication tag of `marker` under this vault's record key (derived)."""
    key = vault.derive_subkey(b"confide drive marker", marker.vault_id.encode())
    try:
        body = json.dumps(marker.fields(), sort_keys=True).encode()
        return hmac.new(key.reveal(), body, hashlib.sha256).hexdigest()
    finally:
        key.wipe()


def marker_authentic(vault: Vault, marker: DriveMarker) -> bool | None:
    """True: the marker carries the tag the catalog keeps for its drive. False: the catalog
    keeps a tag and the marker does not carry it (forged or altered). None: an old drive,
    designated before markers were tagged (nothing to check against)."""
    try:
        stored = Catalog(vault).drive(marker.drive_id).marker_tag
    except NotFoundError:
        return False
    if not stored:
        return None
    return hmac.compare_digest(stored.encode(), marker.tag.encode())


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
        raise StorageError(
            fsutil.describe_os_error(e, f"cannot read the drive marker at {root}")
        ) from e
    try:
        raw = os.read(fd, MAX_MARKER) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError as e:
        raise StorageError(
            fsutil.describe_os_error(e, f"cannot read the drive marker at {root}")
        ) from e
    finally:
        os.close(fd)
    try:
        doc = json.loads(raw.decode("utf-8"))
        return DriveMarker(
            str(doc["drive_id"]),
            str(doc["vault_id"]),
            str(doc.get("label", "")),
            str(doc.get("created_at", "")),
            str(doc.get("tag", "")),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None  # RecursionError: a stick's marker of thousands of nested brackets


def write_marker(
    root: Path, vault_id: str, label: str, tag_for: Callable[[DriveMarker], str] | None = None
) -> DriveMarker:
    """Designate `root` (atomically: temp file, fsync, rename, fsync folder). With `tag_for`
    the new marker is tagged, and an existing untagged one of this vault gains its tag."""
    label = validate.one_line(label, "drive label", required=False) or ""  # the name rule
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder; give the mount point of the backup drive")
    existing = read_marker(root)
    if existing is not None:
        if existing.vault_id != vault_id:
            raise UsageError(f"{root} is already the backup drive of another Confide vault")
        if tag_for is None or existing.tag == tag_for(existing):
            return existing
        marker = existing  # untagged (an older Confide) or tagged by no key of ours: retag
    else:
        marker = DriveMarker(secrets.token_hex(8), vault_id, label or root.name, now_utc())
    if tag_for is not None:
        marker = dataclasses.replace(marker, tag=tag_for(marker))
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


def find_drives(
    roots: Iterable[Path], vault_id: str | None = None, depth: int = 2
) -> list[tuple[Path, DriveMarker]]:
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


# --------------------------------------------------------------------------- this vault's drives


def check_drive(vault: Vault, root: Path, register: bool = True) -> DriveMarker:
    """The drive's marker, if it is this vault's and not lost; recorded in the catalog."""
    marker = read_marker(root)
    if marker is None:
        if not root.exists():
            raise StorageError(f"{root} does not exist; is the backup drive connected?")
        raise DriveNotDesignatedError(f"{root} is not a designated backup drive", root)
    if marker.vault_id != vault.vault_id:
        raise UsageError(f"{root} is the backup drive of another Confide vault")
    catalog = Catalog(vault)
    known = {d.drive_id: d for d in catalog.drives()}
    drive = known.get(marker.drive_id)
    if drive is None:
        # The marker is plain text naming the vault id, which anyone who saw a drive or an
        # archive header knows: only a drive designated here (`add_drive`) receives backups.
        raise DriveNotDesignatedError(
            f"{root} carries a Confide drive marker for this vault, "
            "but this vault never designated it",
            root,
            marked=True,
        )
    if drive.is_lost:
        raise UntrustedBackupError(
            f"drive {marker.drive_id} ({drive.label}) was reported lost on {drive.lost_at}; it is "
            "never trusted again. Designate a new drive (erase this one first)"
        )
    if marker_authentic(vault, marker) is False:
        raise UntrustedBackupError(
            f"the drive marker at {root} names drive {marker.drive_id} but does not carry the "
            "tag this vault gave it: it was forged or altered"
        )
    if register:
        catalog.register_drive(marker, str(root))
    return marker


def add_drive(vault: Vault, root: Path, label: str = "") -> Drive:
    """Designate the drive mounted at `root` (idempotent) and record it in the catalog."""
    root = Path(root)
    catalog = Catalog(vault)
    known = {d.drive_id: d for d in catalog.drives()}
    existing = read_marker(root)
    if existing is not None and existing.drive_id in known and known[existing.drive_id].marker_tag:
        # Tagged before (perhaps under keys since rotated): the marker must carry that tag.
        if marker_authentic(vault, existing) is False:
            raise UntrustedBackupError(
                f"the drive marker at {root} does not carry the tag this "
                "vault gave its drive: it was forged or altered"
            )
        marker = write_marker(root, vault.vault_id, label)
    else:
        marker = write_marker(root, vault.vault_id, label, lambda m: marker_tag(vault, m))
    drive = catalog.register_drive(marker, str(root.absolute()))
    if marker.tag and not drive.marker_tag:
        catalog.set_marker_tag(marker.drive_id, marker.tag)
        drive = catalog.drive(marker.drive_id)
    if marker.drive_id not in known:
        vault.audit.record(Action.BACKUP, "drive", marker.drive_id, event="drive_added")
    if drive.is_lost:
        raise UntrustedBackupError(
            f"drive {drive.drive_id} was reported lost on "
            f"{drive.lost_at}; erase it before using it again"
        )
    return drive


def connected_drives(vault: Vault) -> list[tuple[Path, DriveMarker]]:
    """This vault's designated, not-lost drives mounted now (last known paths, then roots)."""
    catalog = Catalog(vault)
    drives = catalog.drives()
    lost = {d.drive_id for d in drives if d.is_lost}
    candidates = [Path(d.last_path) for d in drives if d.last_path and not d.is_lost]
    found = find_drives([*candidates, *map(Path, catalog.settings().watch_roots)], vault.vault_id)
    seen: set[str] = set()
    usable: list[tuple[Path, DriveMarker]] = []
    designated = {d.drive_id for d in drives}
    for path, marker in found:
        # A marker whose drive id the catalog does not know was never designated here.
        if (
            marker.drive_id in designated
            and marker.drive_id not in lost
            and marker.drive_id not in seen
        ):
            seen.add(marker.drive_id)
            usable.append((path, marker))
    return usable


__all__ = [
    "BACKUP_DIR",
    "DEFAULT_WATCH_ROOTS",
    "MARKER",
    "PARTIAL",
    "SUFFIX",
    "DriveMarker",
    "add_drive",
    "backup_dir",
    "check_drive",
    "connected_drives",
    "find_drives",
    "marker_authentic",
    "marker_tag",
    "read_marker",
    "write_marker",
]
