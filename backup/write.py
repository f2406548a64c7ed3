"""Write a backup to a drive and prove it readable; verify archives later.

Writing: a temporary name on the drive, fsync, rename, fsync the folder; then the file is read
back from the drive itself (its cached pages dropped with posix_fadvise(DONTNEED) after the
fsync) and fully decrypted and checked before the catalog calls it good.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from vault import Vault, __version__
from vault.crypto.keyslots import KeyFile, KeyName, derive_subkey, wipe_keys
from vault.crypto.secret import SecretBytes
from vault.errors import (
    AuthenticationError,
    BackupDamagedError,
    ConfideError,
    DamagedFileError,
    ForeignBackupError,
    NotAVaultError,
    StorageError,
    UntrustedBackupError,
    UsageError,
)
from vault.records.audit import Action
from vault.storage import fsutil

from .archive import (
    CHUNK_SIZE,
    CIPHER,
    KEY_DERIVATION,
    ArchiveContents,
    ArchiveHeader,
    ArchiveKeys,
    ArchiveWriter,
    read_archive,
)
from .catalog import BackupRecord, Catalog, Drive
from .drives import (
    PARTIAL,
    SUFFIX,
    DriveMarker,
    backup_dir,
    find_drives,
    read_marker,
    write_marker,
)
from .generations import RotationPolicy, prune

SECTIONS = ("record.db", "pnotes.db")
READ_BLOCK = 1 << 20


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


@dataclass
class BackupResult:
    record: BackupRecord
    path: Path
    drive_id: str
    write_seconds: float
    verify_seconds: float
    pruned: list[BackupRecord] = field(default_factory=list)


@dataclass
class VerifyReport:
    path: Path
    archive_id: str
    vault_id: str
    key_epoch: int
    created_at: str
    size: int
    digest: str
    clients: int
    sections: dict[str, int]
    catalog_status: str | None = None
    digest_matches_catalog: bool | None = None
    # Catalogued damaged (e.g. a one-off read error), now read in full with the catalogued
    # digest: marked good again.
    marked_good_again: bool = False


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


def _marker_id(root: Path) -> str | None:
    try:
        marker = read_marker(root)
    except StorageError:
        return None
    return marker.drive_id if marker is not None else None


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


class _Counter:
    def __init__(self, phase: str, total: int, callback: ProgressCallback | None) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self._callback = callback

    def __call__(self, n: int) -> None:
        self.done += n
        if self._callback is not None:
            self._callback(BackupProgress(self.phase, self.done, max(self.total, self.done)))


class _WritebackCounter(_Counter):
    """Progress, plus: every few MiB, start the drive writing what is done so far.

    posix_fadvise(DONTNEED) on a written range starts writeback without waiting for it (and
    drops the pages once clean), so the drive works while we encrypt the next chunks and the
    final fsync has little left to do; the archive does not crowd the page cache either.
    """

    KICK = 8 << 20

    def __init__(self, phase: str, total: int, callback: ProgressCallback | None,
                 out: BinaryIO, writer: ArchiveWriter) -> None:
        super().__init__(phase, total, callback)
        self._out, self._writer = out, writer
        self._kicked = 0

    def __call__(self, n: int) -> None:
        super().__call__(n)
        written = self._writer.bytes_written
        if written - self._kicked >= self.KICK and hasattr(os, "posix_fadvise"):
            self._out.flush()
            os.posix_fadvise(self._out.fileno(), self._kicked, written - self._kicked,
                             os.POSIX_FADV_DONTNEED)
            self._kicked = written


def _open_uncached(path: Path) -> BinaryIO:
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


def _vault_keys_for(vault: Vault, name: str) -> Callable[[ArchiveHeader], ArchiveKeys]:
    def keys_for(header: ArchiveHeader) -> ArchiveKeys:
        if header.vault_id != vault.vault_id:
            try:
                copy = KeyFile.from_bytes(header.key_file)
            except (DamagedFileError, NotAVaultError):
                copy = None
            if copy is None or copy.vault_id != header.vault_id:
                raise BackupDamagedError(f"{name}: the backup header is damaged (vault id)",
                                         section="header")
            raise ForeignBackupError(
                f"{name} belongs to another vault ({header.vault_id[:8]}), not this one "
                f"({vault.vault_id[:8]}); restore it with `confide restore` instead")
        epoch = vault.key_file.epoch
        if header.key_epoch != epoch:
            raise ForeignBackupError(
                f"{name} was written under key epoch {header.key_epoch}; this vault's keys are "
                f"now at epoch {epoch}, so the vault cannot vouch for it")
        return ArchiveKeys.derive(vault.derive_subkey, header.archive_id, header.vault_id)

    return keys_for


def secret_keys_for(name: str, passphrase: str | None = None, recovery_key: str | None = None,
                    keep: dict[KeyName, SecretBytes] | None = None,
                    ) -> Callable[[ArchiveHeader], ArchiveKeys]:
    """Keys from the key-file copy inside the archive: the fresh-machine path.

    With `keep`, every data key unwrapped is also handed back there (restore checks both
    databases); otherwise they are wiped at once.
    """
    if (passphrase is None) == (recovery_key is None):
        raise UsageError("give either the passphrase or the recovery key")

    def keys_for(header: ArchiveHeader) -> ArchiveKeys:
        try:
            copy = KeyFile.from_bytes(header.key_file)
        except (DamagedFileError, NotAVaultError):
            raise BackupDamagedError(f"{name}: the key-file copy in the backup header is "
                                     "damaged", section="header") from None
        if copy.vault_id != header.vault_id or copy.epoch != header.key_epoch:
            raise BackupDamagedError(f"{name}: the backup header is damaged (its key file "
                                     "names another vault or epoch)", section="header")
        names = list(KeyName) if keep is not None else [KeyName.RECORD]
        try:
            if passphrase is not None:
                keys = copy.unwrap_with_passphrase(passphrase, names)
            else:
                assert recovery_key is not None
                keys = copy.unwrap_with_recovery(recovery_key, names)
        except AuthenticationError as e:
            what = "passphrase" if passphrase is not None else "recovery key"
            raise AuthenticationError(f"wrong {what} for this backup ({name}); it is the "
                                      f"{what} that was current when the backup was made"
                                      ) from e
        record = keys[KeyName.RECORD]
        try:
            return ArchiveKeys.derive(lambda salt, info: derive_subkey(record, salt, info),
                                      header.archive_id, header.vault_id)
        finally:
            if keep is not None:
                keep.update(keys)
            else:
                wipe_keys(keys)

    return keys_for


# --------------------------------------------------------------------------- writing


def _file_name(created: datetime, archive_hex: str) -> str:
    return f"confide-{created.strftime('%Y%m%dT%H%M%SZ')}-{archive_hex[:8]}{SUFFIX}"


def check_drive(vault: Vault, root: Path, register: bool = True) -> DriveMarker:
    """The drive's marker, if it is this vault's and not lost; recorded in the catalog."""
    marker = read_marker(root)
    if marker is None:
        if not root.exists():
            raise StorageError(f"{root} does not exist; is the backup drive connected?")
        raise UsageError(f"{root} is not a designated backup drive; run `confide backup drive "
                         f"add {root}` first")
    if marker.vault_id != vault.vault_id:
        raise UsageError(f"{root} is the backup drive of another Confide vault")
    catalog = Catalog(vault)
    known = {d.drive_id: d for d in catalog.drives()}
    drive = known.get(marker.drive_id)
    if drive is None:
        # The marker is plain text naming the vault id, which anyone who saw a drive or an
        # archive header knows: only a drive designated here (`add_drive`) receives backups.
        raise UsageError(f"{root} carries a Confide drive marker for this vault, but this "
                         "vault never designated it; if the drive is yours, run `confide "
                         f"backup drive add {root}`")
    if drive.is_lost:
        raise UntrustedBackupError(
            f"drive {marker.drive_id} ({drive.label}) was reported lost on {drive.lost_at}; it is "
            "never trusted again. Designate a new drive (erase this one first)")
    if register:
        catalog.register_drive(marker, str(root))
    return marker


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


def run_backup(vault: Vault, drive_root: Path, *, progress: ProgressCallback | None = None,
               rotate: bool = True, now: datetime | None = None,
               chunk_size: int = CHUNK_SIZE) -> BackupResult:
    """Write, read back and verify one archive on the designated drive at `drive_root`.

    `now` dates the archive (rotation tests); `chunk_size` is the plaintext bytes per chunk.
    """
    drive_root = Path(drive_root)
    lock = _vault_lock(vault.vault_id)
    if not lock.acquire(blocking=False):
        raise UsageError("a backup of this vault is already running")
    try:
        return _run_backup(vault, drive_root, progress, rotate, now, chunk_size)
    finally:
        lock.release()


def _run_backup(vault: Vault, root: Path, progress: ProgressCallback | None, rotate: bool,
                now: datetime | None, chunk_size: int) -> BackupResult:
    catalog = Catalog(vault)
    marker = check_drive(vault, root, register=False)
    folder = backup_dir(root)
    with fsutil.storage_errors(f"cannot prepare the backup folder on {root}"):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            # A drive could point us anywhere on this computer; we write only on the drive.
            raise UsageError(f"{folder} is not a plain folder on the drive; refusing to use it")
        folder.mkdir(mode=fsutil.DIR_MODE, exist_ok=True)
        _remove_partials(folder)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    keyfile = vault.key_file
    header = ArchiveHeader.new(vault.vault_id, keyfile.epoch, SECTIONS, keyfile.to_bytes(),
                               chunk_size)
    final = folder / _file_name(created, header.archive_hex)
    partial = folder / ("." + final.name + PARTIAL)
    client_ids = [int(r[0]) for r in vault.db.query("SELECT id FROM clients ORDER BY id")]
    created_text = created.isoformat(timespec="seconds")
    with vault.db.atomic():  # one commit (one fsync of the vault) for all the bookkeeping
        catalog.register_drive(marker, str(root))
        catalog.sweep_unfinished()
        backup_id = catalog.begin(header.archive_hex, marker.drive_id, final.name, str(final),
                                  keyfile.epoch, encryption_summary(keyfile.kdf.to_json()),
                                  client_ids, created_text)
    written: Path | None = None
    try:
        with fsutil.storage_errors(f"cannot prepare the backup folder on {root}"):
            _remove_unverified(catalog, marker.drive_id, folder)
        t0 = time.perf_counter()
        written = partial
        digest, size, held = _write(vault, header, partial, created_text, progress, root)
        try:
            os.replace(partial, final)
            written = final
            fsutil.fsync_dir(folder)
        except OSError as e:
            raise _storage_error(e, root, f"cannot finish the backup on {root}") from e
        t1 = time.perf_counter()
        contents = _read_back(vault, final, size, progress, root)
        if contents.digest != digest or contents.size != size:
            raise BackupDamagedError(f"{final.name}: what was read back from the drive differs "
                                     "from what was written; the drive may be failing",
                                     section="file")
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
    with vault.db.atomic():
        # The clients actually copied (a client added since `begin` is in the archive too).
        catalog.add_clients(backup_id, held)
        catalog.mark_good(backup_id, size, digest)
        vault.audit.record(Action.BACKUP, "backup", header.archive_hex, drive=marker.drive_id,
                           size=size, clients=len(held), verified=True)
    pruned: list[BackupRecord] = []
    if rotate:
        settings = catalog.settings()
        pruned = prune(vault, marker.drive_id, root, RotationPolicy.from_settings(settings))
    return BackupResult(catalog.get(backup_id), final, marker.drive_id, t1 - t0, t2 - t1,
                        pruned)


def _write(vault: Vault, header: ArchiveHeader, partial: Path, created: str,
           progress: ProgressCallback | None, root: Path) -> tuple[str, int, list[int]]:
    """Stream the frozen vault into `partial`; returns digest, size and the clients held."""
    keys = ArchiveKeys.derive(vault.derive_subkey, header.archive_id, header.vault_id)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fsutil.FILE_MODE)
    except OSError as e:
        keys.wipe()
        raise _storage_error(e, root, f"cannot write a backup on {root}") from e
    try:
        with os.fdopen(fd, "wb", buffering=READ_BLOCK) as out:
            writer = ArchiveWriter(out, header, keys)
            keys.wipe()
            with vault.frozen_files() as files:
                total = sum(files[s].stat().st_size for s in SECTIONS)
                counter = _WritebackCounter("write", total, progress, out, writer)
                client_ids = [int(r[0]) for r in vault.db.query(
                    "SELECT id FROM clients ORDER BY id")]
                for section in SECTIONS:
                    with open(files[section], "rb", buffering=0) as source:
                        writer.write_section(section, source, counter)
                notes = int(vault.db.scalar("SELECT count(*) FROM notes"))
            digest = writer.finish({
                "vault_id": header.vault_id, "archive_id": header.archive_hex,
                "key_epoch": header.key_epoch, "created_at": created,
                "confide_version": __version__, "client_ids": client_ids,
                "counts": {"clients": len(client_ids), "notes": notes},
            })
            size = writer.bytes_written
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        raise _storage_error(e, root, f"the backup to {root} failed") from e
    finally:
        keys.wipe()
    return digest, size, client_ids


def _read_back(vault: Vault, path: Path, size: int, progress: ProgressCallback | None,
               root: Path) -> ArchiveContents:
    counter = _Counter("verify", size, progress)
    try:
        with _open_uncached(path) as source:
            return read_archive(source, _vault_keys_for(vault, path.name), name=path.name,
                                progress=counter)
    except OSError as e:
        raise _storage_error(e, root, f"cannot read the backup back from {root}") from e


# --------------------------------------------------------------------------- verifying


def _is_catalogued_file(catalog: Catalog, record: BackupRecord, path: Path) -> bool:
    """Whether `path` is the very file the catalog records (its drive may mount elsewhere)."""
    places = [Path(record.path)]
    if record.drive_id is not None:
        with contextlib.suppress(ConfideError):
            last = catalog.drive(record.drive_id).last_path
            if last:
                places.append(backup_dir(Path(last)) / record.file_name)
    try:
        here = path.resolve()
        return any(place.resolve() == here for place in places)
    except OSError:
        return False


def verify_archive(path: Path, *, vault: Vault | None = None, passphrase: str | None = None,
                   recovery_key: str | None = None,
                   progress: ProgressCallback | None = None) -> VerifyReport:
    """Read and authenticate every byte of an archive, from the drive, not the page cache.

    With an unlocked `vault`, the archive must be this vault's; the catalog is updated when `path`
    is the catalogued file itself (a copy elsewhere is checked, not recorded). Without
    one, the passphrase or recovery key opens the key-file copy inside (as on a new machine).
    """
    path = Path(path)
    record: BackupRecord | None = None
    catalog = Catalog(vault) if vault is not None else None
    try:
        size = path.stat().st_size
    except OSError as e:
        raise StorageError(fsutil.describe_os_error(e, f"cannot read {path}")) from e
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    if vault is not None:
        keys_for = _vault_keys_for(vault, path.name)
    else:
        keys_for = secret_keys_for(path.name, passphrase, recovery_key)
    counter = _Counter("verify", size, progress)
    header_seen: list[ArchiveHeader] = []
    here = False  # the catalog's own file, not a copy: only then is its status updated

    def checked_keys(header: ArchiveHeader) -> ArchiveKeys:
        nonlocal record, here
        header_seen.append(header)
        if catalog is not None:
            record = catalog.by_archive(header.archive_hex)
            # A copy elsewhere (damaged or not) says nothing about the drive's own file.
            here = record is not None and _is_catalogued_file(catalog, record, path)
            if record is not None and record.status == "lost":
                raise UntrustedBackupError(f"{path.name} was on a drive reported lost; it is "
                                           "never trusted again")
        return keys_for(header)

    try:
        with _open_uncached(path) as source:
            contents = read_archive(source, checked_keys, name=path.name, progress=counter)
    except OSError as e:
        raise StorageError(fsutil.describe_os_error(e, f"cannot read {path}")) from e
    except (BackupDamagedError, DamagedFileError) as e:
        if catalog is not None and record is not None and record.status == "good" and here:
            catalog.set_status(record.id, "damaged", str(e))
        raise
    manifest = contents.manifest
    report = VerifyReport(
        path, contents.header.archive_hex, contents.header.vault_id, contents.header.key_epoch,
        str(manifest.get("created_at", "")), contents.size, contents.digest,
        int(manifest.get("counts", {}).get("clients", 0)),
        {s.name: s.size for s in contents.sections})
    if catalog is not None and record is not None:
        report.catalog_status = record.status
        report.digest_matches_catalog = record.digest in (None, contents.digest)
        if record.digest not in (None, contents.digest):
            if here:
                catalog.set_status(record.id, "damaged", "digest differs from the catalog")
            raise BackupDamagedError(f"{path.name} decrypts but is not the file the catalog "
                                     "recorded (digest differs)", section="file")
        if here and record.status == "damaged" and record.digest == contents.digest:
            # Every byte authenticated and it is the very file catalogued: the earlier damage
            # was not in the file (a read error, a loose cable), so it is good again.
            catalog.mark_good_again(record.id)
            report.catalog_status = "good"
            report.marked_good_again = True
        elif here:
            catalog.mark_verified(record.id)
    return report


@dataclass
class VerifyOutcome:
    record: BackupRecord
    ok: bool
    message: str
    report: VerifyReport | None = None
    reachable: bool = True  # False: its drive is not connected (not a failure)


def verify_catalogued(vault: Vault, progress: ProgressCallback | None = None,
                      ) -> list[VerifyOutcome]:
    """Verify every catalogued good archive whose drive is connected now."""
    catalog = Catalog(vault)
    outcomes: list[VerifyOutcome] = []
    drives = {d.drive_id: d for d in catalog.drives()}
    for record in catalog.backups(statuses=["good", "damaged"]):
        path = Path(record.path)
        drive = drives.get(record.drive_id or "")
        if drive is not None and drive.last_path:
            path = backup_dir(Path(drive.last_path)) / record.file_name
        if not path.exists():
            connected = drive is not None and drive.last_path is not None and (
                _marker_id(Path(drive.last_path)) == drive.drive_id)
            outcomes.append(VerifyOutcome(record, False, "missing from its drive, which is "
                                          "connected" if connected else
                                          "not reachable (drive not connected)",
                                          reachable=connected))
            continue
        try:
            report = verify_archive(path, vault=vault, progress=progress)
        except ConfideError as e:
            outcomes.append(VerifyOutcome(record, False, str(e)))
            continue
        outcomes.append(VerifyOutcome(catalog.get(record.id), True,
                                      "verified; marked good again (was damaged)"
                                      if report.marked_good_again else "verified", report))
    return outcomes


def add_drive(vault: Vault, root: Path, label: str = "") -> Drive:
    """Designate the drive mounted at `root` (idempotent) and record it in the catalog."""
    root = Path(root)
    marker = write_marker(root, vault.vault_id, label)
    catalog = Catalog(vault)
    known = {d.drive_id for d in catalog.drives()}
    drive = catalog.register_drive(marker, str(root.absolute()))
    if marker.drive_id not in known:
        vault.audit.record(Action.BACKUP, "drive", marker.drive_id, event="drive_added")
    if drive.is_lost:
        raise UntrustedBackupError(f"drive {drive.drive_id} was reported lost on "
                                   f"{drive.lost_at}; erase it before using it again")
    return drive


def connected_drives(vault: Vault) -> list[tuple[Path, DriveMarker]]:
    """This vault's designated, not-lost drives mounted now (last known paths, then roots)."""
    catalog = Catalog(vault)
    drives = catalog.drives()
    lost = {d.drive_id for d in drives if d.is_lost}
    candidates = [Path(d.last_path) for d in drives if d.last_path and not d.is_lost]
    found = find_drives([*candidates, *map(Path, catalog.settings().watch_roots)],
                        vault.vault_id)
    seen: set[str] = set()
    usable: list[tuple[Path, DriveMarker]] = []
    designated = {d.drive_id for d in drives}
    for path, marker in found:
        # A marker whose drive id the catalog does not know was never designated here.
        if (marker.drive_id in designated and marker.drive_id not in lost
                and marker.drive_id not in seen):
            seen.add(marker.drive_id)
            usable.append((path, marker))
    return usable
