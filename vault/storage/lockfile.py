"""One process at a time per vault: an advisory lock on a file in the vault folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from ..errors import VaultBusyError
from .fsutil import FILE_MODE, storage_errors


class ProcessLock:
    """Held from unlock to lock. The kernel drops it if the process dies, so no stale locks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        with storage_errors("cannot create the vault lock"):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise VaultBusyError(
                f"the vault is open in another Confide process{who}; close it there first"
            ) from None
        # The pid only makes the busy message friendlier; a full disk must not leave the flock
        # held by an fd nobody owns (it did: a raw OSError escaped and the vault stayed busy).
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):  # truncating frees space; it cannot fail for lack of it
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None
