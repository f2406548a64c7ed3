"""What the filesystem under a folder does to an overwrite: the media findings of a disposal.

Overwriting a file in place (SQLite secure_delete, key slots rewritten, `fsutil.secure_unlink`)
reaches the old blocks only where the filesystem writes over them. Where it does not, the old
key file and old archives can survive, and with them the disposed records (cryptographic erase
needs every wrapped copy of the old keys gone). What is detected, from the kernel's own view of
the mount (Linux):

- ext4 journalling data (`data=journal`): every data block also goes through the journal, which
  keeps old copies until it wraps. Read from /proc/fs/ext4/<dev>/options, which shows the mode in
  force whether it came from the mount options or from the superblock's default mount options
  (`tune2fs -o journal_data`, which /proc/self/mountinfo does not show), then from mountinfo;
  and the per-file/folder flag (`chattr +j`, FS_JOURNAL_DATA_FL) on the folder.
- copy-on-write filesystems (btrfs, zfs, bcachefs): an overwrite writes new blocks, snapshots
  (not enumerated: that needs their tools) keep the old ones.
- network and FUSE filesystems, overlayfs: where the bytes go is not up to this machine / the
  lower layer keeps its own copy.
- an LVM snapshot of the device (the device has a `-real` origin under it in sysfs): the
  snapshot keeps the blocks as they were.
- xfs: overwrites stay in place unless the blocks are shared with a reflinked copy (`cp
  --reflink`), which cannot be told from the mount: a note, not a limit.

Anything else (ext4 in ordered/writeback mode, ext2/3 without data journalling, vfat, exfat) is
an ordinary overwrite-in-place filesystem as far as this code can tell; flash wear-levelling is
beyond any filesystem's view (the certificate's limits say so always).
"""

from __future__ import annotations

import fcntl
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COPY_ON_WRITE = ("btrfs", "zfs", "bcachefs")
NETWORK = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "ceph", "glusterfs", "sshfs")
FS_IOC_GETFLAGS = 0x80086601
FS_JOURNAL_DATA_FL = 0x00004000


@dataclass(frozen=True)
class Mount:
    device: str
    mount_point: str
    fstype: str
    dev: str  # major:minor
    options: tuple[str, ...]  # per-mount options and the filesystem's own, together


@dataclass(frozen=True)
class MediaFinding:
    """What one medium (the vault folder, a backup drive) does to an overwrite."""

    what: str  # "vault" or "backup drive <id>"
    path: str
    filesystem: str
    device: str
    limits: tuple[str, ...]  # each defeats overwriting: the result must say so
    notes: tuple[str, ...] = ()

    @property
    def limited(self) -> bool:
        return bool(self.limits)

    def summary(self) -> str:
        """One line: the medium, its filesystem and what was found."""
        found = (
            "; ".join(self.limits + self.notes)
            or "overwrites in place (nothing found that keeps old blocks)"
        )
        return f"{self.what} at {self.path} ({self.filesystem} on {self.device}): {found}"

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "path": self.path,
            "filesystem": self.filesystem,
            "device": self.device,
            "limits": list(self.limits),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaFinding:
        return cls(
            str(data["what"]),
            str(data["path"]),
            str(data["filesystem"]),
            str(data["device"]),
            tuple(str(x) for x in data.get("limits", [])),
            tuple(str(x) for x in data.get("notes", [])),
        )


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_for(path: Path, mountinfo: str = "/proc/self/mountinfo") -> Mount | None:
    """The mount holding `path` (the deepest mount point; the last one mounted there)."""
    target = os.path.realpath(path)
    best: Mount | None = None
    try:
        with open(mountinfo, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 2:
            continue
        point = _unescape(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if not inside or (best is not None and len(point) < len(best.mount_point)):
            continue
        options = tuple(fields[5].split(",")) + (tuple(tail[2].split(",")) if len(tail) > 2 else ())
        best = Mount(_unescape(tail[1]), point, tail[0], fields[2], options)
    return best


def _block_name(dev: str) -> str | None:
    """The kernel's name for a block device (loop0, sda1, dm-3) from its major:minor."""
    try:
        return Path(os.path.realpath(f"/sys/dev/block/{dev}")).name
    except OSError:
        return None


def _ext4_options(dev: str) -> set[str] | None:
    name = _block_name(dev)
    if not name:
        return None
    try:
        text = Path(f"/proc/fs/ext4/{name}/options").read_text(encoding="utf-8")
    except OSError:
        return None
    return {line.strip() for line in text.splitlines() if line.strip()}


def _journal_flag(path: Path) -> bool:
    """Whether the folder carries ext4's per-file data-journalling flag (`chattr +j`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        flags = struct.unpack("l", fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0)))[0]
    except OSError:
        return False
    finally:
        os.close(fd)
    return bool(flags & FS_JOURNAL_DATA_FL)


def _lvm_snapshot_origin(dev: str) -> bool:
    """Whether the device is an LVM logical volume that has a snapshot (its table then sits on
    a hidden `<lv>-real` device, named by a uuid ending in `-real`)."""
    name = _block_name(dev)
    if not name or not name.startswith("dm-"):
        return False
    slaves = Path(f"/sys/block/{name}/slaves")
    try:
        for slave in slaves.iterdir():
            uuid = (slave / "dm" / "uuid").read_text(encoding="utf-8").strip()
            if uuid.startswith("LVM-") and uuid.endswith("-real"):
                return True
    except OSError:
        return False
    return False


def examine(path: Path, what: str) -> MediaFinding:
    """The media finding for the folder `path`."""
    mount = mount_for(path)
    if mount is None:
        return MediaFinding(
            what,
            str(path),
            "unknown",
            "unknown",
            (),
            ("the filesystem could not be identified (no /proc/self/mountinfo)",),
        )
    fs = mount.fstype
    limits: list[str] = []
    notes: list[str] = []
    if fs in ("ext3", "ext4"):
        options = _ext4_options(mount.dev)
        journalled = (
            "data=journal" in options if options is not None else "data=journal" in mount.options
        )
        if journalled:
            limits.append(
                "the filesystem journals data (ext4 data=journal): old blocks of "
                "overwritten files may survive in the journal"
            )
        elif _journal_flag(path):
            limits.append(
                "the folder has ext4's data-journalling flag (chattr +j): old blocks "
                "of overwritten files may survive in the journal"
            )
    elif fs in COPY_ON_WRITE:
        limits.append(
            f"{fs} is a copy-on-write filesystem: an overwrite writes new blocks, and "
            "the old ones (and any snapshot) may survive"
        )
    elif fs in NETWORK or fs.startswith("fuse"):
        limits.append(
            f"{fs} is a network or user-space filesystem: whether an overwrite reaches "
            "the old blocks is up to the server, which may keep snapshots"
        )
    elif fs == "overlay":
        limits.append(
            "overlayfs: a file that came from the lower layer keeps its original "
            "there, which no overwrite reaches"
        )
    elif fs == "xfs":
        notes.append(
            "xfs overwrites in place, except blocks shared with a reflinked copy "
            "(cp --reflink), which cannot be detected"
        )
    if _lvm_snapshot_origin(mount.dev):
        limits.append(
            "the device is an LVM volume with a snapshot: the snapshot keeps the "
            "blocks as they were"
        )
    return MediaFinding(
        what,
        str(path),
        fs,
        f"{mount.device} mounted at {mount.mount_point}",
        tuple(limits),
        tuple(notes),
    )


def limits_line(findings: list[MediaFinding]) -> str:
    """The qualifier a result carries when any medium keeps old blocks ('' when none)."""
    limited = [f for f in findings if f.limited]
    if not limited:
        return ""
    return "; ".join(f"{f.what} ({f.filesystem}): {f.limits[0]}" for f in limited)


__all__ = ["MediaFinding", "Mount", "examine", "limits_line", "mount_for"]
