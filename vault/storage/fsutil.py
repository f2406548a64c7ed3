"""Durable, private file operations, with OS errors turned into one-line `StorageError`s."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import StorageError

DIR_MODE = 0o700
FILE_MODE = 0o600


def describe_os_error(e: OSError, what: str) -> str:
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the drive is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.EIO: "input/output error (is the drive still connected?)",
        errno.ENOENT: "no such file or folder",
        errno.ENOTDIR: "a path component is not a folder",
        errno.EEXIST: "it already exists",
    }
    reason = reasons.get(e.errno or 0, e.strerror or str(e))
    return f"{what}: {reason}"


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Translate OSError inside the block into a StorageError naming `what` failed."""
    try:
        yield
    except OSError as e:
        raise StorageError(describe_os_error(e, what)) from e


def ensure_private_dir(path: Path) -> None:
    with storage_errors(f"cannot create the vault folder {path}"):
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)


def check_private_dir(path: Path) -> None:
    """Tighten permissions that something else loosened; say so only by fixing it."""
    with storage_errors(f"cannot read the vault folder {path}"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, DIR_MODE)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes; with `limit`, at most `limit + 1` of them (so the caller can tell a
    file that is too large without reading all of it)."""
    with storage_errors(f"cannot read {path.name}"):
        if limit is None:
            return path.read_bytes()
        with path.open("rb") as f:
            return f.read(limit + 1)


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + ".pending")


def write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600) with `data`, fsynced, failing if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def overwrite_in_place(path: Path, data: bytes) -> None:
    """Replace the content of a small fixed-size file by writing over its own blocks.

    A crash between steps leaves either the old content or a complete `.pending` copy that
    `KeyFile.load` finishes from. The pending copy is zeroed before unlink, so no stale wrapped
    key is left behind in free blocks by this function (the old content is overwritten, not
    unlinked).
    """
    pending = pending_path(path)
    with storage_errors(f"cannot write {path.name}"):
        if pending.exists():
            secure_unlink(pending)
        write_new_file(pending, data)
        fsync_dir(path.parent)
    complete_pending(path, data)


def complete_pending(path: Path, data: bytes) -> None:
    """Write `data` (the content of the complete `.pending` copy) over `path`, then drop the copy.

    The pending copy is removed only once `path` durably holds the same bytes, so a crash at any
    point leaves at least one complete copy (the recovery path of `KeyFile.load` relies on it).
    """
    pending = pending_path(path)
    with storage_errors(f"cannot write {path.name}"):
        if path.exists():
            fd = os.open(path, os.O_WRONLY)
            try:
                os.pwrite(fd, data, 0)
                if os.fstat(fd).st_size > len(data):
                    os.ftruncate(fd, len(data))
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            write_new_file(path, data)
            fsync_dir(path.parent)
        if pending.exists():
            # Zeroed durably (it holds wrapped keys), but its removal need not be: should a
            # power cut bring the name back, the copy is all zeros, `KeyFile.load` reads the
            # complete file at `path` and the next write removes it first. One fsync fewer
            # on every key-file write, and the audit anchor writes one per command.
            secure_unlink(pending, durable=False)


def secure_unlink(path: Path, *, durable: bool = True) -> None:
    """Overwrite a file with zeros, fsync, then unlink it and fsync the folder (without
    `durable`, the zeros are fsynced and the unlink is not).

    On ext4 and similar this overwrites the same blocks; on flash and copy-on-write filesystems it
    may not (the README says so), which is why every file we own is encrypted anyway.
    """
    with storage_errors(f"cannot remove {path.name}"):
        try:
            # NOFOLLOW/NONBLOCK: a symbolic link or FIFO (say, planted on a removable drive) is
            # removed itself; whatever a link points at is never overwritten.
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            if e.errno not in (errno.ELOOP, errno.ENXIO):
                raise
            path.unlink()
            fsync_dir(path.parent)
            return
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                fd = -1
                path.unlink()
                fsync_dir(path.parent)
                return
            size = os.fstat(fd).st_size
            chunk = b"\0" * min(size, 1 << 20) if size else b""
            written = 0
            while written < size:
                written += os.pwrite(fd, chunk[: size - written], written)
            os.fsync(fd)
        finally:
            if fd >= 0:
                os.close(fd)
        path.unlink()
        if durable:
            fsync_dir(path.parent)


def mount_of(path: Path) -> tuple[str, str, str]:
    """(device, mount point, filesystem type) holding `path`, from /proc/mounts on Linux."""
    best = ("unknown", "", "unknown")
    with suppress(OSError):
        target = os.path.realpath(path)
        with open("/proc/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if (
                    len(parts) >= 3
                    and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/"))
                    and len(parts[1]) > len(best[1])
                ):
                    best = (parts[0], parts[1], parts[2])
    return best


def filesystem_of(path: Path) -> str:
    """The filesystem type holding `path` (disposal certificates name it)."""
    return mount_of(path)[2]
