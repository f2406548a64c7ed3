"""Progress of long work (backup, verify, restore, dispose): a live bar for a person at a
terminal (phase, bytes, speed, time left), JSON `progress` messages with --json, and nothing
at all on a pipe, where a bar would only be noise in a log.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .output import Output


class Progress:
    """Called with BackupProgress-like values (`phase`, `done`, `total`), or `update()`."""

    def __init__(self, out: Output, terminal: bool | None = None) -> None:
        self._out = out
        self._tty = (not out.json_mode and sys.stderr.isatty()) if terminal is None else terminal
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._last: tuple[str | None, int] = (None, -1)

    def __call__(self, progress: Any) -> None:
        self.update(progress.phase, progress.done, progress.total)

    def update(self, phase: str, done: int = 0, total: int = 0, unit: str = "bytes") -> None:
        """`total` 0 means not known yet (a spinner on a terminal)."""
        if self._out.json_mode:
            percent = int(100 * done / total) if total else -1
            if (phase, percent) != self._last:  # a message per percent, not per chunk
                self._last = (phase, percent)
                self._out.message(
                    "progress",
                    phase=phase,
                    done=done,
                    total=total,
                    fraction=round(min(1.0, done / total), 4) if total else None,
                    unit=unit,
                )
            return
        if not self._tty:
            return
        if self._bar is None:
            self._bar = self._start(unit)
        task = self._tasks.get(phase)
        if task is None:
            task = self._tasks[phase] = self._bar.add_task(phase, total=total or None)
        self._bar.update(task, completed=done, total=total or None)

    @staticmethod
    def _start(unit: str) -> Any:
        # Rich only here, only on a terminal: a script's pipe never pays for importing it.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bar

        amount = (
            [DownloadColumn(), TransferSpeedColumn()] if unit == "bytes" else [MofNCompleteColumn()]
        )
        bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description:<8}"),
            BarColumn(),
            *amount,
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=True,
        )
        bar.start()
        return bar

    def done(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
