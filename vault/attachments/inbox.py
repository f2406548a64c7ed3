"""The scanned-forms inbox: a folder the scanner saves into, emptied into the vault.

Each PDF or image found in the folder is pulled in as an unassigned attachment (encrypted in
record.db), and only after that is committed is the plaintext original overwritten with zeros,
synced and unlinked (`fsutil.secure_unlink`, the overwrite disposal uses for saved releases).
A kill between the two leaves the original in place; the next scan finds its digest already in
the vault and removes it without a second copy (a kill during the overwrite too: zeros up to some
point, then the stored bytes).

Not pulled in, and left as they are: hidden files and the names scanners use while writing
(`.part`, `.tmp`, `.crdownload`, `~`), links, folders and other non-regular files, files of
another format (reported), and a PDF, PNG or JPEG that does not end as its format must (a scan
still being written; the next scan takes it). The overwrite has the limits disposal states:
a filesystem that journals data, a copy-on-write filesystem or snapshots, and flash
wear-levelling keep old blocks; `limits` says which applies to the folder.

`InboxWatcher` watches the folder with watchdog and scans when something lands in it (and every
`rescan_seconds`, for filesystems that send no events).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfideError, UsageError
from ..storage.fsutil import secure_unlink
from ..storage.media import examine
from . import content
from .content import HEAD_BYTES

if TYPE_CHECKING:
    from ..vault import Vault
    from . import Attachment

FOLDER_SETTING = "inbox_folder"
_WRITING_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")


@dataclass(frozen=True)
class InboxItem:
    """What a scan did with one file: 'added', 'already' (its content was in the vault: the
    original was only removed), 'waiting' (still being written: left for the next scan),
    'refused' (not a format Confide accepts, or too large: left as it is) or 'failed'."""

    outcome: str
    name: str  # the file name as shown (escaped, like the stored one)
    message: str = ""
    attachment: Attachment | None = None
    removed: bool = False  # the original was overwritten and unlinked

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "name": self.name,
            "message": self.message,
            "attachment": None if self.attachment is None else self.attachment.to_json(),
            "removed": self.removed,
        }


@dataclass(frozen=True)
class ScanResult:
    folder: Path
    items: tuple[InboxItem, ...] = ()
    limits: tuple[str, ...] = field(default_factory=tuple)  # why an overwrite may not erase

    @property
    def added(self) -> list[InboxItem]:
        return [i for i in self.items if i.outcome == "added"]

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "items": [i.to_json() for i in self.items],
            "added": len(self.added),
            "limits": list(self.limits),
        }


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(_WRITING_SUFFIXES)


class Inbox:
    """`vault.attachments.inbox`: the folder (remembered in the vault's settings) and scans."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._lock = threading.Lock()

    def folder(self) -> Path | None:
        value = self._vault.setting(FOLDER_SETTING)
        return None if not value else Path(value)

    def set_folder(self, folder: Path) -> Path:
        """Remember the inbox folder (it must exist; it is never inside the vault folder)."""
        folder = Path(os.path.realpath(Path(folder).expanduser()))
        if not folder.is_dir():
            raise UsageError(f"the inbox folder {folder} does not exist; create it first")
        vault_folder = Path(os.path.realpath(self._vault.folder))
        if folder == vault_folder or vault_folder in folder.parents:
            raise UsageError("the inbox folder must not be inside the vault folder")
        self._vault.save_setting(FOLDER_SETTING, str(folder))
        return folder

    def resolve(self, folder: Path | None) -> Path:
        """The folder given (then remembered), else the remembered one."""
        if folder is not None:
            return self.set_folder(folder)
        saved = self.folder()
        if saved is None:
            raise UsageError(
                "no inbox folder yet: give --folder DIR (the folder your scanner saves into; "
                "it is remembered)"
            )
        if not saved.is_dir():
            raise UsageError(f"the inbox folder {saved} is missing (renamed or unmounted?)")
        return saved

    def limits(self, folder: Path) -> tuple[str, ...]:
        return examine(folder, "inbox folder").limits

    def scan(self, folder: Path | None = None) -> ScanResult:
        """Pull every finished PDF or image in the folder into the vault, unassigned, and
        overwrite and remove each original once it is safely in."""
        where = self.resolve(folder)
        with self._lock:
            items: list[InboxItem] = []
            try:
                entries = sorted(os.scandir(where), key=lambda e: e.name)
            except OSError as e:
                raise UsageError(f"cannot read the inbox folder {where}: {e.strerror}") from None
            for entry in entries:
                if _skipped_name(entry.name):
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                items.append(self._take(Path(entry.path)))
            return ScanResult(where, tuple(items), self.limits(where))

    def _take(self, path: Path) -> InboxItem:
        from . import AttachmentKind, _Incomplete, file_name

        shown = file_name(os.fsdecode(path.name)) if path.name.strip(" ") else "?"
        attachments = self._vault.attachments
        try:
            # No link is followed: a link planted in the folder is skipped above, and one made
            # between the listing and here fails to open.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            return InboxItem("failed", shown, f"cannot open it: {e.strerror}")
        with os.fdopen(fd, "rb") as handle:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                return InboxItem("refused", shown, "not a regular file; left as it is")
            head = handle.read(HEAD_BYTES)
            handle.seek(0)
            known = self._already_in_vault(handle, before.st_size)
            if known is not None:
                return self._remove_original(
                    path, InboxItem("already", shown, f"already in the vault as {known}")
                )

            def still_same() -> bool:
                now = os.stat(path, follow_symlinks=False)
                return (now.st_ino, now.st_size, now.st_mtime_ns) == (
                    before.st_ino,
                    before.st_size,
                    before.st_mtime_ns,
                )

            if content.sniff(head) is None:
                return InboxItem(
                    "refused", shown, f"not a PDF or an image ({content.ACCEPTED}); left as it is"
                )
            try:
                added = attachments._store(  # noqa: SLF001 - same package
                    handle,
                    shown,
                    shown,
                    None,
                    AttachmentKind.OTHER,
                    None,
                    "inbox",
                    complete=content.looks_complete,
                    still_same=still_same,
                )
            except _Incomplete as e:
                return InboxItem("waiting", shown, f"{e}; left for the next scan")
            except UsageError as e:
                return InboxItem("refused", shown, f"{e}; left as it is")
            except OSError as e:
                return InboxItem("failed", shown, f"cannot read it: {e.strerror}")
        return self._remove_original(
            path, InboxItem("added", shown, f"pulled in as {added.record_id}", added)
        )

    def _already_in_vault(self, handle: Any, size: int) -> str | None:
        """The attachment whose content this file has: a scan interrupted after the commit,
        before the overwrite (the same bytes) or during it (zeros, then the same bytes)."""
        import hashlib

        if size <= 0 or size > content.MAX_BYTES:
            return None
        candidates = self._vault.db.query(
            "SELECT id, sha256 FROM attachments WHERE size = ? AND source = 'inbox'", (size,)
        )
        if not candidates:
            return None
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(content.CHUNK_BYTES), b""):
            digest.update(block)
        handle.seek(0)
        for row in candidates:
            if row["sha256"] == digest.hexdigest():
                return f"F-{int(row['id']):05d}"
        for row in candidates:
            if self._overwrite_interrupted(handle, int(row["id"])):
                return f"F-{int(row['id']):05d}"
        return None

    def _overwrite_interrupted(self, handle: Any, attachment_id: int) -> bool:
        """Whether the file is this attachment's original, zeroed from the start up to some
        point (`secure_unlink` writes zeros from offset 0): the next scan finishes the job."""
        zeroing = True
        try:
            for stored in self._vault.attachments.chunks_unaudited(attachment_id):
                block = handle.read(len(stored))
                if len(block) != len(stored):
                    return False
                if zeroing:
                    keep = len(block) - len(block.lstrip(b"\0"))
                    if keep == len(block):
                        continue
                    if block[keep:] != stored[keep:]:
                        return False
                    zeroing = False
                elif block != stored:
                    return False
            return not zeroing and handle.read(1) == b""
        finally:
            handle.seek(0)

    def _remove_original(self, path: Path, item: InboxItem) -> InboxItem:
        try:
            secure_unlink(path)
        except ConfideError as e:
            return InboxItem(
                item.outcome,
                item.name,
                f"{item.message}; the original could not be removed ({e}): delete it by hand",
                item.attachment,
            )
        return InboxItem(item.outcome, item.name, item.message, item.attachment, removed=True)


class InboxWatcher:
    """Scan the inbox whenever a file lands in it. Runs in its own thread (`start`/`stop`) or
    in the caller's (`run`); each scan's result goes to `on_scan` (from the watcher's thread)."""

    def __init__(
        self,
        vault: Vault,
        folder: Path,
        on_scan: Callable[[ScanResult], None] | None = None,
        on_error: Callable[[ConfideError], None] | None = None,
        rescan_seconds: float = 30.0,
    ) -> None:
        self.vault = vault
        self.folder = folder
        self._on_scan = on_scan or (lambda result: None)
        self._on_error = on_error or (lambda error: None)
        self.rescan_seconds = rescan_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Any = None
        self._reported: set[tuple[str, str]] = set()

    def _schedule(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        wake = self._wake

        class _Nudge(FileSystemEventHandler):
            def on_closed(self, event: FileSystemEvent) -> None:
                wake.set()  # a file written and closed (Linux): the usual end of a scan

            def on_moved(self, event: FileSystemEvent) -> None:
                wake.set()  # a scanner that writes a temporary name, then renames

            def on_created(self, event: FileSystemEvent) -> None:
                wake.set()  # platforms without close events; unfinished files wait anyway

        observer = Observer()
        observer.schedule(_Nudge(), str(self.folder), recursive=False)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def scan_once(self) -> ScanResult | None:
        if self.vault.is_locked:
            return None
        result = self.vault.attachments.inbox.scan(self.folder)
        # A file left in place (refused, waiting) is reported once, not at every rescan.
        fresh = tuple(i for i in result.items if (i.name, i.outcome) not in self._reported)
        self._reported = {(i.name, i.outcome) for i in result.items if not i.removed}
        if fresh:
            self._on_scan(ScanResult(result.folder, fresh, result.limits))
        return result

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.scan_once()
                except ConfideError as e:  # locked mid-scan, folder gone: report, keep watching
                    if not self._stop.is_set():
                        self._on_error(e)
                self._wake.wait(self.rescan_seconds)
                self._wake.clear()
        finally:
            observer, self._observer = self._observer, None
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def run(self) -> None:
        """Watch until `stop()` (or KeyboardInterrupt in the foreground command)."""
        self._schedule()
        self._loop()

    def start(self) -> None:
        self._schedule()
        self._thread = threading.Thread(target=self._loop, name="confide-inbox-watch", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and wait:
            self._thread.join(timeout=30)
            self._thread = None


__all__ = ["FOLDER_SETTING", "Inbox", "InboxItem", "InboxWatcher", "ScanResult"]
