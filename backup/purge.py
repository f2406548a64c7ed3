"""The backup side of disposal, on the backup package's public API (catalog, run_backup, archive).

Every archive carries a copy of the key file that was current when it was written (FORMAT.md), so
after disposal rotates the keys every older archive still opens with the passphrase, and with it
the disposed clients. So disposal replaces *every* catalogued archive still on a drive, not only
those that list the clients: on a connected drive one fresh backup is written and verified, then
each old file is overwritten with zeros and unlinked; an absent drive is recorded as pending and
finished by `process_pending_purges` when it is next mounted (`purge_on_mount` plugs that into
`DriveWatcher(on_event=...)`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from vault import Vault
from vault.crypto.forensics import PAGE_SIZE, SearchedPages, cbc_stream
from vault.crypto.keyslots import KeyName, derive_subkey, wipe_keys
from vault.crypto.secret import SecretBytes
from vault.errors import ConfideError, StorageError, UsageError
from vault.retention.types import BackupCopy
from vault.storage import fsutil

from . import medium
from .archive import (
    CHUNK_SIZE,
    ArchiveHeader,
    ArchiveKeys,
    iter_archive,
    read_header,
    skeleton_digest,
)
from .catalog import BackupRecord, Catalog
from .drives import PARTIAL, SUFFIX, backup_dir, marker_authentic, read_marker
from .errors import ForeignBackupError, UntrustedBackupError
from .keys import secret_keys_for
from .removal import destroy, finish_removals
from .removal import drive_root as _drive_root
from .watch import WatchEvent
from .write import run_backup

# Archives in these states may still exist on a drive; the others were already removed.
# 'removing': its destruction was interrupted, so the file may still be whole.
LIVE = ("writing", "good", "failed", "damaged", "removing")
_SECTION_KEYS = {"record.db": KeyName.RECORD, "pnotes.db": KeyName.PNOTES}


def _is_read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY) or not os.access(path, os.W_OK)
    except OSError:
        return True


def _never_written(vault: Vault, record: BackupRecord) -> bool:
    """A failed (or interrupted) archive whose file, final or half-written, is not on its
    connected drive: removed by design (`write.py`), so no copy at all, not a pending one."""
    if record.status not in ("failed", "writing"):
        return False
    root = _drive_root(vault, record.drive_id)
    if root is None:
        return False  # the drive is away: the file may still be there
    folder = backup_dir(root)
    names = (record.file_name, "." + record.file_name + PARTIAL)
    return not any((folder / n).exists() or (folder / n).is_symlink() for n in names)


class DisposalBackups:
    """`vault.retention.types.BackupSide` for the catalogued backups of this vault."""

    def _copy(self, vault: Vault, record: BackupRecord, *, exact: bool = False) -> BackupCopy:
        root = _drive_root(vault, record.drive_id)
        path = backup_dir(root) / record.file_name if root is not None else Path(record.path)
        # Only the catalogued archive found there can be destroyed there: one missing, or a
        # copy of it (a cloned drive: another inode or device), stays pending, never
        # "replaced" on the word of a marker alone, without holding up the drive's others.
        # `exact` also checks the digest (reads the file): before anything is destroyed.
        connected = (
            root is not None
            and (path.exists() or path.is_symlink())
            and (
                # A link, FIFO or device in its place stays in view: reading it is refused.
                path.is_symlink()
                or not path.is_file()
                or _is_catalogued_archive(path, record, Catalog(vault), digest=exact)
                if record.status == "good"
                else medium.matches(Catalog(vault).medium(record.id), path)
            )
        )
        writable = connected and not _is_read_only(path.parent)
        return BackupCopy(
            record.id,
            record.drive_id or "unknown",
            str(path),
            record.created_at,
            connected,
            writable,
        )

    def copies_holding(self, vault: Vault, client_ids: Collection[int]) -> list[BackupCopy]:
        catalog = Catalog(vault)
        seen: dict[int, BackupRecord] = {}
        for cid in client_ids:
            for record in catalog.backups_holding(cid):
                if record.status in (*LIVE, "lost"):
                    seen[record.id] = record
        copies = []
        for r in sorted(seen.values(), key=lambda r: r.id):
            if r.status == "lost":
                # Still a copy, out of reach: the queue and the certificate must name it.
                copies.append(
                    BackupCopy(
                        r.id, r.drive_id or "unknown", r.path, r.created_at, False, False, lost=True
                    )
                )
            else:
                copies.append(self._copy(vault, r))
        return copies

    def copies_to_replace(self, vault: Vault, *, exact: bool = True) -> list[BackupCopy]:
        finish_removals(vault)  # removals a kill interrupted: ours to finish first
        records = Catalog(vault).backups(statuses=list(LIVE))
        return [
            self._copy(vault, r, exact=exact)
            for r in sorted(records, key=lambda r: r.id)
            if not _never_written(vault, r)
        ]

    def replace_copies(self, vault: Vault, copies: Sequence[BackupCopy]) -> str:
        drives = {c.drive for c in copies}
        if len(drives) != 1:
            raise StorageError("internal: replace one drive at a time")
        root = _drive_root(vault, copies[0].drive)
        if root is None:
            raise StorageError(f"backup drive {copies[0].drive} is not connected")
        if _is_read_only(backup_dir(root)):
            raise StorageError(f"the backup drive {copies[0].drive} at {root} is read-only")
        # Rotation off: the old generations are destroyed below, all of them.
        result = run_backup(vault, root, rotate=False, full=True)
        catalog = Catalog(vault)
        for c in copies:
            # Recorded as 'removing' before its blocks are zeroed (removal.py).
            destroy(catalog, c.backup_id, Path(c.location), "replaced")
        return str(result.path)

    def remaining_plaintext(
        self,
        vault: Vault,
        keys: Mapping[KeyName, SecretBytes],
        searched: SearchedPages | None = None,
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Each good archive on a connected drive, its database pages decrypted with the vault's
        current keys (an archive from another key epoch cannot be, and says so); pages that
        `searched` knows as the vault's own, searched already, are not decrypted again."""
        for record in Catalog(vault).backups(statuses=["good"]):
            copy = self._copy(vault, record)
            if not copy.connected:
                continue
            yield copy.location, self._decrypted(vault, Path(copy.location), keys, searched)

    @staticmethod
    def _decrypted(
        vault: Vault,
        path: Path,
        keys: Mapping[KeyName, SecretBytes],
        searched: SearchedPages | None = None,
    ) -> Iterator[bytes]:
        def keys_for(header: ArchiveHeader) -> ArchiveKeys:
            if header.vault_id != vault.vault_id or header.key_epoch not in (
                None,
                vault.key_file.epoch,
            ):  # format 2: read_archive's key check
                raise ForeignBackupError(
                    f"{path.name} is under key epoch {header.key_epoch}, "
                    f"not the current {vault.key_file.epoch}: it still "
                    "holds retired keys"
                )
            return ArchiveKeys.derive(
                vault.derive_subkey, header.archive_id, header.vault_id, header.format
            )

        yield from DisposalBackups._sections(path, keys_for, keys, searched)

    def every_archive(
        self, vault: Vault, passphrase: str, drives: Collection[str]
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Every archive file on these drives (connected ones), catalogued or not, under any
        key epoch: each opened as an examiner would, with the passphrase and its own key-file
        copy, its database pages decrypted (for the content check after a late purge)."""
        cache: dict[bytes, dict[KeyName, SecretBytes]] = {}
        try:
            for drive in sorted(drives):
                root = _drive_root(vault, drive)
                if root is None:
                    continue
                for path in sorted(backup_dir(root).glob(f"*{SUFFIX}")):
                    yield str(path), self._decrypted_with(path, passphrase, cache)
        finally:
            for keys in cache.values():
                wipe_keys(keys)

    @staticmethod
    def _decrypted_with(
        path: Path, passphrase: str, cache: dict[bytes, dict[KeyName, SecretBytes]]
    ) -> Iterator[bytes]:
        found: dict[KeyName, SecretBytes] = {}

        def keys_for(header: ArchiveHeader) -> ArchiveKeys:
            known = cache.get(header.key_file)
            if known is None:
                known = {}
                keys = secret_keys_for(path.name, passphrase, keep=known)(header)
                cache[header.key_file] = known
                found.update(known)
                return keys
            found.update(known)
            record = known[KeyName.RECORD]
            return ArchiveKeys.derive(
                lambda salt, info: derive_subkey(record, salt, info),
                header.archive_id,
                header.vault_id,
                header.format,
            )

        yield from DisposalBackups._sections(path, keys_for, found)

    @staticmethod
    def _sections(
        path: Path,
        keys_for: Callable[[ArchiveHeader], ArchiveKeys],
        keys: Mapping[KeyName, SecretBytes],
        searched: SearchedPages | None = None,
    ) -> Iterator[bytes]:
        """The archive's database pages, decrypted as its chunks arrive (`iter_archive`): one
        chunk and one slice of pages in memory, whatever the archive's size. Each chunk was
        authenticated by AES-GCM before it is decrypted; the manifest is checked after the
        last one, so a damaged or cut archive still raises (`ConfideError`) at its end."""
        # A FIFO or device planted in place of an archive would block open() forever.
        if path.is_symlink() or not path.is_file():
            raise UsageError(
                f"{path} is not a backup file (a link, folder or device is in its "
                "place); verification cannot read it"
            )
        step = CHUNK_SIZE  # a whole number of pages: one chunk's worth decrypted at a time
        with fsutil.storage_errors(f"cannot read {path}"), open(path, "rb") as source:
            pages: _SectionPages | None = None
            current: str | None = None
            for name, plain in iter_archive(source, keys_for, name=path.name):
                if name != current:
                    # A new section: the last one's whole pages first (a trailing partial
                    # page is no page).
                    if pages is not None:
                        yield from pages.take(PAGE_SIZE)
                    current = name
                    # Format 3: an incremental's pages, page-aligned like a whole database
                    # (but not at their page numbers: never matched against the vault's).
                    key_name = _SECTION_KEYS.get(name.removesuffix(".pages"))
                    secret = None if key_name is None else keys.get(key_name)
                    pages = None
                    if secret is not None:
                        whole = searched if name in _SECTION_KEYS else None
                        pages = _SectionPages(name, secret.reveal(), whole)
                if pages is None or not plain:
                    continue
                pages.pending += plain
                if len(pages.pending) >= step:
                    yield from pages.take(step)
            if pages is not None:
                yield from pages.take(PAGE_SIZE)


class _SectionPages:
    """A database section's bytes not yet decrypted (under two chunks), page-aligned from the
    section's start, so every page but its first 16 bytes decrypts as one CBC stream."""

    def __init__(self, name: str, key: bytes, searched: SearchedPages | None) -> None:
        self.name, self.key, self.searched = name, key, searched
        self.pending = bytearray()
        self.first = 1  # the page number of pending's first page

    def take(self, unit: int) -> Iterator[bytes]:
        """Decrypt and drop the leading whole `unit`s of pending; pages known to `searched`
        (the vault's own, searched already) are dropped without being decrypted."""
        cut = len(self.pending) - len(self.pending) % unit
        if cut < PAGE_SIZE:
            return
        view = memoryview(self.pending)
        try:
            run = view[:cut]
            ranges = (
                [(0, cut)]
                if self.searched is None
                else self.searched.unsearched(self.name, self.first, run)
            )
            plains = [cbc_stream(run[a:b], self.key) for a, b in ranges]
            del run
        finally:
            view.release()
        del self.pending[:cut]
        self.first += cut // PAGE_SIZE
        yield from plains


def _is_catalogued_archive(
    path: Path, record: BackupRecord, catalog: Catalog, *, digest: bool = True
) -> bool:
    """Whether `path` is the very archive `record` catalogues, in the very place it was
    written: a plain file of its name and size, whose header carries its archive id, whose
    digest (frames and tags, computed without a key: a pending purge's epoch is retired) is
    the catalogued one, and whose inode and device are those recorded when it was written
    (backup/medium.py), so a copy of the drive, however exact, is not it. `digest=False`
    skips reading the whole file (the queue's quick look; destroying always checks it)."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        if record.size is not None and path.stat().st_size != record.size:
            return False
        if not medium.matches(catalog.medium(record.id), path):
            return False
        with open(path, "rb") as source:
            header = read_header(source, path.name)[0]
            if header.archive_hex != record.archive_id:
                return False
            # A damaged archive's frames may no longer hash to its digest: id, size and place.
            if digest and record.digest is not None and record.status != "damaged":
                source.seek(0)
                return skeleton_digest(source, path.name) == record.digest
    except (ConfideError, OSError):
        return False
    return True


def process_pending_purges(vault: Vault, drive_root: Path) -> list[str]:
    """Finish the purges recorded for the drive now mounted at `drive_root`.

    A purge is done only where the exact catalogued archive (its name, size and archive id) is
    found on this drive and overwritten, or the catalog already records it destroyed: a copied
    drive marker or a clone lacking the file completes nothing. Writes one fresh backup there
    first, then overwrites and unlinks each archive found, and notes each on its certificate.
    Returns the locations purged (empty if none were).
    """
    root = Path(drive_root)
    marker = read_marker(root)
    if marker is None:
        return []
    pending = vault.disposal.pending_purges(marker.drive_id)
    if not pending:
        return []
    if marker_authentic(vault, marker) is False:
        raise UntrustedBackupError(
            f"the drive marker at {root} does not carry the tag this "
            "vault gave its drive: it was forged or altered; the "
            "pending purge waits for the real drive"
        )
    catalog = Catalog(vault)
    rows = catalog.backups(marker.drive_id)
    found: list[tuple[int, Path, list[BackupRecord]]] = []
    already: list[tuple[int, Path]] = []
    for purge in pending:
        # The drive may be mounted elsewhere now: find the file by name on this mount.
        old = backup_dir(root) / Path(purge.location).name
        named = [r for r in rows if r.file_name == old.name]
        exact = [r for r in named if r.status in LIVE and _is_catalogued_archive(old, r, catalog)]
        if exact:
            found.append((purge.id, old, exact))
        elif named and all(r.status == "replaced" for r in named) and not old.exists():
            already.append((purge.id, old))  # destroyed by us before a kill: recorded so
    if not found and not already:
        return []
    if found and _is_read_only(backup_dir(root)):
        raise StorageError(
            f"the backup drive at {drive_root} is read-only; the pending purge "
            "of old backups waits until it is writable"
        )
    new = str(run_backup(vault, root, rotate=False, full=True).path) if found else None
    purged: list[str] = []
    for purge_id, old, records in found:
        for record in records:
            destroy(catalog, record.id, old, "replaced")
        vault.disposal.mark_purged(purge_id, new)
        purged.append(str(old))
    for purge_id, old in already:
        vault.disposal.mark_purged(purge_id, new)
        purged.append(str(old))
    return purged


def process_connected_pending(vault: Vault) -> list[str]:
    """Finish the pending purges of every drive that is connected right now (and first any
    removal a kill interrupted there)."""
    finish_removals(vault)
    purged: list[str] = []
    for drive in sorted({purge.drive for purge in vault.disposal.pending_purges()}):
        root = _drive_root(vault, drive)
        if root is not None:
            purged += process_pending_purges(vault, root)
    return purged


def purge_on_mount(
    vault: Vault, report: Callable[[str], None] | None = None
) -> Callable[[WatchEvent], None]:
    """An `on_event` for `DriveWatcher`: when a drive is found, finish its pending purges."""

    def on_event(event: WatchEvent) -> None:
        if event.kind != "found":
            return
        try:
            done = process_pending_purges(vault, event.path)
        except ConfideError as e:
            if report is not None:
                report(f"pending disposal purge on {event.path} failed: {e}")
            return
        if done and report is not None:
            report(f"purged {len(done)} old backups on {event.path} (disposal)")

    return on_event


__all__ = [
    "DisposalBackups",
    "process_connected_pending",
    "process_pending_purges",
    "purge_on_mount",
]
