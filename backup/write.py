"""Write a backup to a drive and prove it readable (verifying later is `verify.py`).

Writing: a temporary name on the drive, fsync, rename, fsync the folder; then the file is read
back from the drive itself (its cached pages dropped with posix_fadvise(DONTNEED) after the
fsync) and fully decrypted and checked before the catalog calls it good.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from vault import RollbackWarning, Vault, __version__
from vault.crypto.auditkey import key_material_digest, split_anchor
from vault.crypto.keyslots import KeyFile
from vault.errors import ConfideError, StorageError, UsageError
from vault.records.audit import Action
from vault.storage import fsutil

from . import medium
from ._io import Counter, ProgressCallback, open_uncached
from .anchors import check_drive_rollback
from .archive import (
    CHUNK_SIZE,
    CIPHER,
    FORMAT_VERSION,
    INDEX,
    KEY_DERIVATION,
    ArchiveContents,
    ArchiveHeader,
    ArchiveKeys,
    ArchiveWriter,
    read_archive,
)
from .catalog import BackupRecord, BackupSettings, Catalog
from .chain import (
    DATABASES,
    PAGE_SIZE,
    ArchiveIndex,
    BaseRef,
    DatabaseIndex,
    PagesSource,
    changed_pages,
    index_doc,
    page_tags,
    read_index,
    record_state,
)
from .drives import PARTIAL, SUFFIX, backup_dir, check_drive, read_marker
from .errors import BackupDamagedError
from .generations import RotationPolicy, prune
from .keys import hide_epoch, vault_keys_for
from .removal import finish_removals

SECTIONS = ("record.db", "pnotes.db")
READ_BLOCK = 1 << 20


@dataclass
class BackupResult:
    record: BackupRecord
    path: Path
    drive_id: str
    write_seconds: float
    verify_seconds: float
    pruned: list[BackupRecord] = field(default_factory=list)
    # Nothing had changed since `record` (the newest archive on the drive): nothing written.
    skipped: bool = False
    # Why this archive is a full one rather than an incremental (None for an incremental).
    full_because: str | None = None
    # The drive had seen a later audit log than the vault holds (backup/anchors.py).
    rollback: RollbackWarning | None = None


@dataclass(frozen=True)
class _Plan:
    """An incremental on top of `base` (whose index lists the pages it holds), or a full."""

    base: BackupRecord | None
    base_index: ArchiveIndex | None
    reason: str | None  # why a full archive, when base is None

    @property
    def kind(self) -> str:
        return "full" if self.base is None else "incremental"

    def sections(self) -> tuple[str, ...]:
        suffix = "" if self.base is None else ".pages"
        return (INDEX, *(d + suffix for d in DATABASES))


def encryption_summary(vault_kdf: dict[str, Any]) -> dict[str, Any]:
    """What protects an archive, for the catalog and a lost-drive report."""
    return {
        "archive_cipher": CIPHER,
        "archive_key_bits": 256,
        "archive_key_derivation": KEY_DERIVATION,
        "database_cipher": "SQLCipher 4: AES-256-CBC pages with HMAC-SHA512 per page",
        "database_key_bits": 256,
        "key_slots": {
            "passphrase": "AES-256-GCM under Argon2id(passphrase)",
            "recovery": "X25519 + HKDF-SHA256 + AES-256-GCM, 160-bit recovery key",
            "kdf": vault_kdf,
        },
    }


# One backup at a time per vault in this process (the watcher and the TUI may both ask).
_running: dict[str, threading.Lock] = {}
_running_guard = threading.Lock()


def _vault_lock(vault_id: str) -> threading.Lock:
    with _running_guard:
        return _running.setdefault(vault_id, threading.Lock())


def _drive_gone(root: Path) -> bool:
    try:
        return read_marker(root) is None
    except StorageError:
        return True


def _storage_error(e: OSError, root: Path, what: str) -> StorageError:
    if e.errno in (errno.ENOENT, errno.EIO, errno.ENODEV, errno.ENXIO) and _drive_gone(root):
        reason = f"{what}: the drive at {root} was disconnected during the backup"
    else:
        reason = fsutil.describe_os_error(e, what)
    return StorageError(f"{reason}; the vault and earlier backups are unchanged")


class _WritebackCounter(Counter):
    """Progress, plus: every few MiB, start the drive writing what is done so far.

    posix_fadvise(DONTNEED) on a written range starts writeback without waiting for it (and
    drops the pages once clean), so the drive works while we encrypt the next chunks and the
    final fsync has little left to do; the archive does not crowd the page cache either.
    """

    KICK = 8 << 20

    def __init__(
        self,
        phase: str,
        total: int,
        callback: ProgressCallback | None,
        out: BinaryIO,
        writer: ArchiveWriter,
    ) -> None:
        super().__init__(phase, total, callback)
        self._out, self._writer = out, writer
        self._kicked = 0

    def __call__(self, n: int) -> None:
        super().__call__(n)
        written = self._writer.bytes_written
        if written - self._kicked >= self.KICK and hasattr(os, "posix_fadvise"):
            self._out.flush()
            os.posix_fadvise(
                self._out.fileno(), self._kicked, written - self._kicked, os.POSIX_FADV_DONTNEED
            )
            self._kicked = written


# --------------------------------------------------------------------------- writing


def _file_name(archive_hex: str) -> str:
    # No time in the name (a thief would learn when care happened); the catalog keeps it.
    return f"confide-{archive_hex[:16]}{SUFFIX}"


def _remove_partials(folder: Path) -> None:
    """Half-written archives from an interrupted run: overwrite, then unlink."""
    try:
        leftovers = [p for p in folder.iterdir() if p.name.endswith(PARTIAL)]
    except FileNotFoundError:
        return
    for path in leftovers:
        fsutil.secure_unlink(path)


def _remove_unverified(catalog: Catalog, drive_id: str, folder: Path) -> None:
    """Archives on this drive that never verified (a kill after the rename, a failure whose
    clean-up could not reach the drive): overwrite and remove them now."""
    for record in catalog.backups(drive_id, ["failed"]):
        path = folder / record.file_name
        if path.is_file() or path.is_symlink():
            fsutil.secure_unlink(path)


def run_backup(
    vault: Vault,
    drive_root: Path,
    *,
    progress: ProgressCallback | None = None,
    rotate: bool = True,
    now: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    format_version: int = FORMAT_VERSION,
    full: bool = False,
) -> BackupResult:
    """Write, read back and verify one archive on the designated drive at `drive_root`.

    Format 3 writes an incremental archive (the pages changed since the newest archive on
    that drive) unless the settings call for a full one, `full` is set, or the chain cannot be
    built on; and writes nothing when nothing in the record changed (`skipped`).
    `now` dates the archive (rotation tests); `chunk_size` is the plaintext bytes per chunk;
    `format_version` 1 or 2 writes an older format (tests that older archives still read).
    """
    drive_root = Path(drive_root)
    lock = _vault_lock(vault.vault_id)
    if not lock.acquire(blocking=False):
        raise UsageError("a backup of this vault is already running")
    try:
        return _run_backup(
            vault, drive_root, progress, rotate, now, chunk_size, format_version, full
        )
    finally:
        lock.release()


def _run_backup(
    vault: Vault,
    root: Path,
    progress: ProgressCallback | None,
    rotate: bool,
    now: datetime | None,
    chunk_size: int,
    version: int,
    full: bool = False,
) -> BackupResult:
    catalog = Catalog(vault)
    marker = check_drive(vault, root, register=False)
    # Before this backup becomes the drive's newest: has the drive seen a later log?
    rollback = check_drive_rollback(vault, root)
    folder = backup_dir(root)
    with fsutil.storage_errors(f"cannot prepare the backup folder on {root}"):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            # A drive could point us anywhere on this computer; we write only on the drive.
            raise UsageError(f"{folder} is not a plain folder on the drive; refusing to use it")
        folder.mkdir(mode=fsutil.DIR_MODE, exist_ok=True)
        _remove_partials(folder)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    # The key file copied into the archive carries the audit anchor: advance it first.
    anchor = vault.audit_anchor()
    keyfile = vault.key_file
    plan = _Plan(None, None, "older format") if version < 3 else None
    if plan is None:
        settings = catalog.settings()
        last = catalog.last_good(marker.drive_id)
        if not full and _unchanged(vault, last, folder):
            assert last is not None
            with vault.atomic():
                catalog.register_drive(marker, str(root))
                catalog.mark_skipped(last.id)
            return BackupResult(
                catalog.get(last.id),
                folder / last.file_name,
                marker.drive_id,
                0.0,
                0.0,
                [],
                True,
                rollback=rollback,
            )
        plan = _plan(vault, catalog, settings, last, folder, full)
    if version == 1:
        header = ArchiveHeader.new(
            vault.vault_id, keyfile.epoch, SECTIONS, keyfile.to_bytes(), chunk_size, format=1
        )
        final = folder / (
            f"confide-{created.strftime('%Y%m%dT%H%M%SZ')}-{header.archive_hex[:8]}{SUFFIX}"
        )
    else:
        sections = SECTIONS if version == 2 else plan.sections()
        header = ArchiveHeader.new(
            vault.vault_id, None, sections, hide_epoch(keyfile), chunk_size, format=version
        )
        final = folder / _file_name(header.archive_hex)
    partial = folder / ("." + final.name + PARTIAL)
    client_ids = vault.clients.ids()
    created_text = created.isoformat(timespec="seconds")
    with vault.atomic():  # one commit (one fsync of the vault) for all the bookkeeping
        catalog.register_drive(marker, str(root))
        catalog.sweep_unfinished()
        backup_id = catalog.begin(
            header.archive_hex,
            marker.drive_id,
            final.name,
            str(final),
            keyfile.epoch,
            encryption_summary(keyfile.kdf.to_json()),
            client_ids,
            created_text,
        )
        if anchor is not None:
            catalog.set_audit_anchor(backup_id, anchor.seq, anchor.head)
    written: Path | None = None
    try:
        with fsutil.storage_errors(f"cannot prepare the backup folder on {root}"):
            _remove_unverified(catalog, marker.drive_id, folder)
            finish_removals(vault, marker.drive_id, root)  # what a kill left 'removing'
        t0 = time.perf_counter()
        written = partial
        digest, size, held, index, state = _write(
            vault, header, keyfile, partial, created_text, progress, root, plan
        )
        try:
            os.replace(partial, final)
            written = final
            fsutil.fsync_dir(folder)
            where = medium.identity(final)  # so a copy of this drive completes no purge
        except OSError as e:
            raise _storage_error(e, root, f"cannot finish the backup on {root}") from e
        t1 = time.perf_counter()
        contents = _read_back(vault, final, size, progress, root)
        if contents.digest != digest or contents.size != size:
            raise BackupDamagedError(
                f"{final.name}: what was read back from the drive differs "
                "from what was written; the drive may be failing",
                section="file",
            )
        t2 = time.perf_counter()
    except BaseException as e:
        reason = str(e) if isinstance(e, ConfideError) else type(e).__name__
        with contextlib.suppress(ConfideError):
            catalog.set_status(backup_id, "failed", reason)
        if written is not None:
            # Best effort: the drive may be gone; an unverified file is never catalogued good.
            with contextlib.suppress(StorageError, OSError):
                fsutil.secure_unlink(written)
        raise
    with vault.atomic():
        # The clients actually copied (a client added since `begin` is in the archive too).
        catalog.add_clients(backup_id, held)
        catalog.mark_good(backup_id, size, digest)
        catalog.set_medium(backup_id, where)
        if index is not None and state is not None:
            base_id = plan.base.id if plan.base is not None else None
            catalog.set_link(backup_id, index.kind, base_id, index.pages_carried, state)
        vault.audit.record(
            Action.BACKUP,
            "backup",
            header.archive_hex,
            drive=marker.drive_id,
            size=size,
            clients=len(held),
            verified=True,
            kind=plan.kind,
        )
    pruned: list[BackupRecord] = []
    if rotate:
        settings = catalog.settings()
        pruned = prune(vault, marker.drive_id, root, RotationPolicy.from_settings(settings))
    return BackupResult(
        catalog.get(backup_id),
        final,
        marker.drive_id,
        t1 - t0,
        t2 - t1,
        pruned,
        full_because=plan.reason if plan.base is None else None,
        rollback=rollback,
    )


def _key_file_sha(vault: Vault) -> str:
    # Without the audit anchor, which moves at every unlock and lock: a chain spans one set
    # of keys, not one anchor.
    return key_material_digest(vault.key_file)


def _unchanged(vault: Vault, last: BackupRecord | None, folder: Path) -> bool:
    """Whether the record is as the newest good archive on this drive holds it (format 3
    catalogues a fingerprint; see chain.record_state) and that archive is still there."""
    if last is None or last.state is None or last.key_epoch != vault.key_file.epoch:
        return False
    path = folder / last.file_name
    if path.is_symlink() or not path.is_file() or path.stat().st_size != last.size:
        return False
    with vault.frozen_files() as files:
        return record_state(vault, page_tags(files["pnotes.db"])) == last.state


def _plan(
    vault: Vault,
    catalog: Catalog,
    settings: BackupSettings,
    last: BackupRecord | None,
    folder: Path,
    full: bool,
) -> _Plan:
    """An incremental on the newest good archive of this drive, or a full archive and why."""
    if full:
        return _Plan(None, None, "a full backup was asked for")
    if last is None:
        return _Plan(None, None, "no earlier backup on this drive")
    if last.state is None:
        return _Plan(None, None, "the newest backup on this drive is of an older format")
    if last.key_epoch != vault.key_file.epoch:
        return _Plan(None, None, "the vault's keys changed since the newest backup")
    chain = catalog.chain(last.id)
    if any(r.status != "good" for r in chain) or chain[-1].kind != "full":
        return _Plan(None, None, "the chain of the newest backup is not whole")
    if len(chain) + 1 > settings.full_every:
        return _Plan(None, None, f"a full backup every {settings.full_every} backups")
    full_size = chain[-1].size or 0
    added = sum(r.size or 0 for r in chain[:-1])
    if settings.full_fraction <= 0 or added > settings.full_fraction * full_size:
        return _Plan(None, None, "the incrementals add up to more than the settings allow")
    path = folder / last.file_name
    try:
        contents, index = read_index(path, vault_keys_for(vault, path.name), uncached=True)
    except (ConfideError, OSError):
        return _Plan(None, None, "the newest backup's index could not be read")
    if contents.header.archive_hex != last.archive_id or index.key_file_sha256 != _key_file_sha(
        vault
    ):
        return _Plan(None, None, "the newest backup is not the one catalogued, or under other keys")
    return _Plan(last, index, None)


def _write(
    vault: Vault,
    header: ArchiveHeader,
    key_file: KeyFile,
    partial: Path,
    created: str,
    progress: ProgressCallback | None,
    root: Path,
    plan: _Plan,
) -> tuple[str, int, list[int], ArchiveIndex | None, str | None]:
    """Stream the frozen vault into `partial`; returns digest, size, the clients held, and
    (format 3) the archive's index and the record's fingerprint."""
    keys = ArchiveKeys.derive(
        vault.derive_subkey, header.archive_id, header.vault_id, header.format
    )
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fsutil.FILE_MODE)
    except OSError as e:
        keys.wipe()
        raise _storage_error(e, root, f"cannot write a backup on {root}") from e
    index: ArchiveIndex | None = None
    state: str | None = None
    try:
        with os.fdopen(fd, "wb", buffering=READ_BLOCK) as out:
            writer = ArchiveWriter(out, header, keys)
            keys.wipe()
            with vault.frozen_files() as files:
                client_ids = list(vault.clients.ids())
                if header.format >= 3:
                    index, state = _index(vault, files, plan)
                    _write_indexed(writer, index, files, progress, out)
                else:
                    total = sum(files[s].stat().st_size for s in SECTIONS)
                    counter = _WritebackCounter("write", total, progress, out, writer)
                    for section in SECTIONS:
                        with open(files[section], "rb", buffering=0) as source:
                            writer.write_section(
                                section, source, counter, os.fstat(source.fileno()).st_size
                            )
                notes = vault.notes.count()
            digest = writer.finish(
                {
                    "vault_id": header.vault_id,
                    "archive_id": header.archive_hex,
                    "key_epoch": key_file.epoch,
                    "created_at": created,
                    "key_file_sha256": hashlib.sha256(key_file.to_bytes()).hexdigest(),
                    "key_file_anchor": split_anchor(key_file)[1],
                    "confide_version": __version__,
                    "client_ids": client_ids,
                    "counts": {"clients": len(client_ids), "notes": notes},
                    **(index_doc(index) if index is not None else {}),
                }
            )
            size = writer.bytes_written
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        raise _storage_error(e, root, f"the backup to {root} failed") from e
    finally:
        keys.wipe()
    return digest, size, client_ids, index, state


def _index(vault: Vault, files: dict[str, Path], plan: _Plan) -> tuple[ArchiveIndex, str]:
    """The index of the archive about to be written (the vault frozen): every page's tag and,
    for an incremental, the pages whose tag differs from the base's."""
    tags: dict[str, bytes] = {}
    for name in DATABASES:
        found = page_tags(files[name])
        if found is None:
            raise StorageError(f"{name} is not a whole number of pages; the vault is damaged")
        tags[name] = found
    state = record_state(vault, tags["pnotes.db"])
    key_sha = _key_file_sha(vault)
    if plan.base is None or plan.base_index is None:
        databases = {n: DatabaseIndex(tags[n], None) for n in DATABASES}
        return ArchiveIndex("full", None, 0, key_sha, databases), state
    base = plan.base_index
    databases = {
        n: DatabaseIndex(tags[n], tuple(changed_pages(base.databases[n].tags, tags[n])))
        for n in DATABASES
    }
    ref = BaseRef(plan.base.archive_id, plan.base.digest or "", plan.base.file_name)
    return ArchiveIndex("incremental", ref, base.depth + 1, key_sha, databases), state


def _write_indexed(
    writer: ArchiveWriter,
    index: ArchiveIndex,
    files: dict[str, Path],
    progress: ProgressCallback | None,
    out: BinaryIO,
) -> None:
    body = index.to_bytes()
    writer.write_section(INDEX, BytesIO(body), None, len(body))
    total = index.pages_carried * PAGE_SIZE
    counter = _WritebackCounter("write", total, progress, out, writer)
    for name in DATABASES:
        entry = index.databases[name]
        if entry.changed is None:
            with open(files[name], "rb", buffering=0) as source:
                size = os.fstat(source.fileno()).st_size
                if size != entry.pages * PAGE_SIZE:
                    raise StorageError(f"{name} changed while the vault was held still")
                writer.write_section(name, source, counter, size)
            continue
        pages = PagesSource(files[name], entry.changed)
        try:
            writer.write_section(index.section(name), pages, counter, pages.size)  # type: ignore[arg-type]
        finally:
            pages.close()


def _read_back(
    vault: Vault, path: Path, size: int, progress: ProgressCallback | None, root: Path
) -> ArchiveContents:
    counter = Counter("verify", size, progress)
    try:
        with open_uncached(path) as source:
            return read_archive(
                source, vault_keys_for(vault, path.name), name=path.name, progress=counter
            )
    except OSError as e:
        raise _storage_error(e, root, f"cannot read the backup back from {root}") from e
