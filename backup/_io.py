"""I/O shared by writing, verifying and restoring: progress counting and reads from the drive.

Private to `backup` (hence the leading underscore of the module); the names inside are public so
its sibling modules can use them without reaching for another module's private helpers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class BackupProgress:
    """Reported while working: `phase` is 'write' or 'verify'; bytes done of total."""

    phase: str
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


ProgressCallback = Callable[[BackupProgress], None]


class Counter:
    """Counts bytes done in one phase and reports each step to the callback (if any)."""

    def __init__(self, phase: str, total: int, callback: ProgressCallback | None) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self._callback = callback

    def __call__(self, n: int) -> None:
        self.done += n
        if self._callback is not None:
            self._callback(BackupProgress(self.phase, self.done, max(self.total, self.done)))


def open_uncached(path: Path) -> BinaryIO:
    """Open for reading with the file's cached pages dropped, so reads come from the drive."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        return os.fdopen(fd, "rb", buffering=0)  # see archive._Reader
    except BaseException:
        os.close(fd)
        raise
