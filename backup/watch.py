"""Notice the designated drive being mounted and run the backup that is due.

watchdog reports folders appearing under the mount roots (/media/USER/LABEL, /run/media/USER/
LABEL, /Volumes/LABEL); a mount onto a folder that already existed (/mnt/usb) makes no such event,
so the roots are also rescanned every `rescan_seconds`. A backup is due on a drive when its last
good backup there is older than `interval_hours`.

With `idle_seconds` the watcher locks the vault once it has not used it for that long (issue 10
item 12): while locked it still recognises a designated drive by its marker (vault id and drive id,
both in plain text on the drive, remembered from the last unlocked scan), and only then asks
`reopen` for an unlocked vault, backs up, and starts the idle clock again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from vault import RollbackWarning, Vault
from vault.errors import ConfideError
from vault.storage.lockfile import ProcessLock
from vault.vault import LOCK_FILE

from ._io import ProgressCallback
from .anchors import check_drive_rollback
from .catalog import BackupSettings, Catalog
from .drives import DriveMarker, find_drives
from .write import BackupResult, run_backup


@dataclass(frozen=True)
class WatchEvent:
    """What the watcher did: 'found' a drive, 'not_due', 'started', 'done', 'failed',
    'error' (the scan itself failed; drive_id is empty), 'unlocked' (a designated drive came
    while locked, so the vault was opened again), 'locked' (idle: the keys are dropped) or
    'rollback' (the drive has seen a later audit log than the vault holds; `rollback` says
    what, already audited)."""

    kind: str
    drive_id: str
    path: Path
    message: str = ""
    result: BackupResult | None = None
    rollback: RollbackWarning | None = None


def is_due(
    catalog: Catalog, drive_id: str, interval_hours: float, now: datetime | None = None
) -> bool:
    last = catalog.last_good(drive_id)
    if last is None:
        return True
    made = datetime.fromisoformat(last.created_at)
    if last.skipped_at:
        # A backup since found nothing changed: that check counts as the latest backup.
        made = max(made, datetime.fromisoformat(last.skipped_at))
    return (now or datetime.now(UTC)) - made >= timedelta(hours=interval_hours)


class _Nudge(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._wake.set()


class DriveWatcher:
    """Runs in its own thread (`start`/`stop`) or in the caller's (`run`)."""

    def __init__(
        self,
        vault: Vault,
        *,
        roots: Sequence[Path] | None = None,
        settings: BackupSettings | None = None,
        on_event: Callable[[WatchEvent], None] | None = None,
        progress: ProgressCallback | None = None,
        idle_seconds: float | None = None,
        reopen: Callable[[], Vault] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`idle_seconds`: lock the vault after that long unused (None: never; the app locks
        its watcher with itself). `reopen`: an unlocked vault again (it asks for the
        passphrase), called when a designated drive appears while locked."""
        self.vault = vault
        self.idle_seconds = idle_seconds
        self._reopen = reopen
        self._clock = clock
        self._last_used = clock()
        # What a locked watcher still needs to recognise the drive: no record data, and both
        # are written in plain text in the drive's marker anyway.
        self._vault_id = vault.vault_id
        self._designated = {d.drive_id for d in Catalog(vault).drives()}
        self.settings = settings or Catalog(vault).settings()
        self.roots = [Path(r) for r in (roots if roots is not None else self.settings.watch_roots)]
        self._on_event = on_event or (lambda event: None)
        self._progress = progress
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._present: set[Path] = set()
        self._scan_lock = threading.Lock()

    def _emit(
        self,
        kind: str,
        marker: DriveMarker,
        path: Path,
        message: str = "",
        result: BackupResult | None = None,
    ) -> None:
        self._on_event(WatchEvent(kind, marker.drive_id, path, message, result))

    def scan_once(self) -> list[WatchEvent]:
        """Look for connected designated drives; back up to those newly seen and due."""
        events: list[WatchEvent] = []

        def note(event: WatchEvent) -> None:
            events.append(event)
            self._on_event(event)

        with self._scan_lock:
            if self.vault.is_locked and not self._open_for_new_drive(note):
                return events
            self._scan(note)
            self._lock_if_idle_locked()
        return events

    def _open_for_new_drive(self, note: Callable[[WatchEvent], None]) -> bool:
        """Locked: unlock again only when a designated drive not yet handled is connected."""
        found = {
            path
            for path, marker in find_drives(self.roots, self._vault_id)
            if marker.drive_id in self._designated
        }
        new = found - self._present
        self._present &= found  # a drive unplugged meanwhile counts as new when it comes back
        if not new or self._reopen is None:
            return False
        try:
            # The app (or another command) holding the vault: say so before asking for a
            # passphrase that could not be used anyway. A race with it is still refused below.
            probe = ProcessLock(self.vault.folder / LOCK_FILE)
            probe.acquire()
            probe.release()
            self.vault = self._reopen()
        except ConfideError as e:
            # Not asked again at every rescan (a wrong passphrase file would be tried all
            # day): unplugging and plugging the drive in asks again.
            self._present |= new
            note(
                WatchEvent(
                    "error",
                    "",
                    sorted(new)[0],
                    f"could not unlock for the backup ({e}); plug the drive in again to retry",
                )
            )
            return False
        self._last_used = self._clock()
        note(WatchEvent("unlocked", "", sorted(new)[0], "a backup drive is connected"))
        return True

    def lock_if_idle(self) -> bool:
        """Lock the vault if it has not been used for `idle_seconds`; True if it is locked."""
        with self._scan_lock:
            return self._lock_if_idle_locked()

    def _lock_if_idle_locked(self) -> bool:
        if self.vault.is_locked:
            return True
        if self.idle_seconds is None or self._clock() - self._last_used < self.idle_seconds:
            return False
        self.vault.lock()
        self._on_event(
            WatchEvent(
                "locked",
                "",
                Path(),
                "vault locked after being idle; the passphrase is asked again when the drive "
                "is connected",
            )
        )
        return True

    def _seconds_until_idle(self) -> float | None:
        if self.idle_seconds is None or self.vault.is_locked:
            return None
        return max(0.0, self.idle_seconds - (self._clock() - self._last_used))

    def _scan(self, note: Callable[[WatchEvent], None]) -> None:
        catalog = Catalog(self.vault)
        # Only drives designated here: a marker copying the vault id is not an invitation.
        designated = {d.drive_id for d in catalog.drives()}
        self._designated = designated
        found = [
            (path, marker)
            for path, marker in find_drives(self.roots, self.vault.vault_id)
            if marker.drive_id in designated
        ]
        present = {path for path, _ in found}
        for path, marker in found:
            if self._stop.is_set():
                return
            if path in self._present:
                continue  # already handled while it stays connected
            self._last_used = self._clock()  # the vault is in use: the idle clock restarts
            note(WatchEvent("found", marker.drive_id, path))
            if not is_due(catalog, marker.drive_id, self.settings.interval_hours):
                # No backup to run (which would compare anchors itself): the drive is still
                # asked whether it has seen a later audit log (record.db and keys.confide
                # put back together), every time it is connected.
                self._note_rollback(
                    note, marker.drive_id, path, check_drive_rollback(self.vault, path)
                )
                note(
                    WatchEvent(
                        "not_due", marker.drive_id, path, "backed up recently; nothing to do"
                    )
                )
                continue
            note(WatchEvent("started", marker.drive_id, path))
            try:
                result = run_backup(self.vault, path, progress=self._progress)
            except ConfideError as e:
                note(WatchEvent("failed", marker.drive_id, path, str(e)))
                continue
            self._note_rollback(note, marker.drive_id, path, result.rollback)
            note(
                WatchEvent(
                    "done",
                    marker.drive_id,
                    path,
                    f"backup written and verified: {result.path.name}",
                    result,
                )
            )
            self._last_used = self._clock()  # idle from the end of the backup, not its start
        self._present = present

    @staticmethod
    def _note_rollback(
        note: Callable[[WatchEvent], None],
        drive_id: str,
        path: Path,
        warning: RollbackWarning | None,
    ) -> None:
        if warning is not None:
            note(WatchEvent("rollback", drive_id, path, warning.message, rollback=warning))

    def _schedule(self) -> None:
        observer = Observer()
        handler = _Nudge(self._wake)
        for root in self.roots:
            if not root.is_dir():
                continue
            observer.schedule(handler, str(root), recursive=False)
            # /media/USER and /run/media/USER: one level down is where drives appear.
            for child in root.iterdir():
                if child.is_dir() and not child.is_symlink() and not child.is_mount():
                    observer.schedule(handler, str(child), recursive=False)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def run(self) -> None:
        """Watch until `stop()` (or KeyboardInterrupt in the foreground command)."""
        self._schedule()
        self._loop()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.scan_once()
                except ConfideError as e:  # e.g. locked mid-scan: report, keep watching
                    if not self._stop.is_set():
                        self._on_event(WatchEvent("error", "", Path(), str(e)))
                until_idle = self._seconds_until_idle()
                wait = self.settings.rescan_seconds
                self._wake.wait(wait if until_idle is None else min(wait, until_idle))
                self._wake.clear()
                self.lock_if_idle()
                # Let a mount that raised the event finish before looking.
                if not self._stop.is_set():
                    self._stop.wait(0.5)
        finally:
            observer, self._observer = self._observer, None
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def start(self) -> None:
        """Start watching in a background thread; events are seen from the moment this returns."""
        self._schedule()
        self._thread = threading.Thread(target=self._loop, name="confide-drive-watch", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop watching. From a UI thread use `wait=False`: the watcher may be waiting for
        that very thread to show a notification; it ends on its own once the scan is over."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and wait:
            self._thread.join(timeout=30)
            self._thread = None
