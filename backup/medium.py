"""Which physical file an archive is: so a copy of a drive completes no purge (issue 10 item 4).

A copy of a drive's files (rsync to another stick or folder, a dd image mounted elsewhere)
carries the same marker and the same archive, byte for byte: neither the marker's tag nor the
archive's id and digest tells it from the drive. What a copy does not carry is where the bytes
live. When an archive is written, its identity on the medium is recorded in the catalog:

- `inode`: its inode number, on filesystems whose inode numbers are stable across mounts (ext4,
  XFS, Btrfs, ...; not FAT or exFAT, which number files anew at each mount). Any file copy
  (rsync, cp, a new filesystem) gets another.
- `device`: the block device beneath it: a loop device by its backing file (path and inode),
  a disk by the serial number or WWID the kernel reports. A dd image of the drive, mounted or
  written to another stick, is another device.

A purge, or disposal's replacement of a copy, completes only where every part recorded matches.
What stays out of reach: a bit-for-bit image written back to the same stick, and a clone of a
FAT stick without a serial number, seen by a machine that reports none. Nothing here is secret:
it makes a copy detectable, not impossible.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vault.storage.media import mount_for

# Filesystems whose inode numbers survive an unmount (FAT-family ones are made up per mount).
STABLE_INODES = frozenset(
    {"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "zfs", "nilfs2", "tmpfs"}
)
_SYS_BLOCK = "/sys/dev/block"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def device_identity(st_dev: int, sys_block: str = _SYS_BLOCK) -> str:
    """A name for the block device `st_dev` that a copy of its contents does not share, or ""
    when there is none to find (a virtual filesystem, a disk reporting no serial)."""
    major, minor = os.major(st_dev), os.minor(st_dev)
    if major == 0:
        return ""  # an anonymous device (tmpfs, overlay): numbered anew at each mount
    node = Path(sys_block) / f"{major}:{minor}"
    try:
        real = Path(os.path.realpath(node))
    except OSError:
        return ""
    if not real.exists():
        return ""
    partition = _read(real / "partition")
    disk = real.parent if partition else real
    backing = _read(disk / "loop" / "backing_file")
    if backing:
        try:
            inode = os.stat(backing).st_ino
        except OSError:
            inode = 0
        return f"loop:{backing}:{inode}:{partition or 0}"
    for where in (disk / "device", *disk.parents):
        if str(where) in ("/", "/sys", "/sys/devices"):
            break
        for name in ("wwid", "serial"):
            value = _read(where / name)
            if value:
                return f"{name}:{value}:{partition or 0}"
    return ""


def identity(path: Path) -> dict[str, Any]:
    """The identity of the file at `path` on its medium (what `matches` compares)."""
    st = os.stat(path, follow_symlinks=False)
    mount = mount_for(path)
    fstype = mount.fstype if mount is not None else ""
    found: dict[str, Any] = {"fs": fstype}
    if fstype in STABLE_INODES:
        found["inode"] = st.st_ino
    device = device_identity(st.st_dev)
    if device:
        found["device"] = device
    return found


def matches(recorded: Mapping[str, Any] | None, path: Path) -> bool:
    """Whether the file at `path` is the very file `recorded` describes: every part recorded
    must be found again (nothing recorded, from before this check: nothing to compare)."""
    if not recorded:
        return True
    try:
        now = identity(path)
    except OSError:
        return False
    return all(now.get(part) == value for part, value in recorded.items() if part != "fs")
