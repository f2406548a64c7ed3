"""Watching for the backup drive, as both faces run it.

A designated drive that shows up gets a backup when one is due, and a drive that missed a
disposal gets its old backups purged: the second is easy to forget in one face, so it lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from backup import DriveWatcher, WatchEvent
from backup.purge import purge_on_mount
from vault import Vault


def drive_watcher(
    vault: Vault,
    on_event: Callable[[WatchEvent], None],
    report: Callable[[str], None],
    *,
    roots: Sequence[Path] | None = None,
    idle_seconds: float | None = None,
    reopen: Callable[[], Vault] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> DriveWatcher:
    """A watcher (not started) that hands every event to `on_event` and, when a drive is
    found, finishes its pending disposal purges, telling `report` (one line each).
    `idle_seconds`/`reopen` as `DriveWatcher`'s: the vault it purges with is the watcher's
    current one, which `reopen` replaces after an idle lock."""

    def both(event: WatchEvent) -> None:
        on_event(event)
        purge_on_mount(watcher.vault, report=report)(event)

    watcher = DriveWatcher(
        vault, roots=roots, on_event=both, idle_seconds=idle_seconds, reopen=reopen, clock=clock
    )
    return watcher
