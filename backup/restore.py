"""Restore an archive into a vault folder, as on a new machine, and prove the result.

The archive is decrypted into a staging folder beside the target (the bytes written are the
SQLCipher pages and the key file: still encrypted). The staged vault must pass SQLCipher's page
HMAC check and SQLite's structural check for both databases, unlock, and verify its audit chain
before it takes the target's place. An existing vault is replaced only when asked, and is kept
aside until the restored one has verified; then it is overwritten and removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vault import Vault
from vault.crypto.keyslots import KeyName, derive_subkey, key_file_exists, wipe_keys
from vault.crypto.secret import SecretBytes
from vault.errors import (
    ConfideError,
    DamagedFileError,
    IntegrityError,
    StorageError,
    UsageError,
    VaultBusyError,
    VaultExistsError,
)
from vault.records.audit import Action
from vault.storage import fsutil
from vault.storage.layout import (
    restore_aside,
    restore_asides,
    restore_staging,
    restore_stagings,
    restore_test_folder,
    restore_tests,
)
from vault.storage.lockfile import ProcessLock
from vault.vault import KEY_FILE, LOCK_FILE, PNOTES_DB, RECORD_DB, check_database_file

from ._io import Counter, ProgressCallback, open_uncached
from .archive import ArchiveContents, ArchiveHeader, ArchiveKeys, KeysFor, read_archive, read_header
from .catalog import Catalog
from .chain import ChainSink, check_base_digest, check_restored, link_position, resolve_chain
from .errors import BackupDamagedError, BrokenChainError, RestoreTargetExistsError
from .keys import archive_key_file, secret_keys_for
from .verify import check_binding

RESTORABLE = (RECORD_DB, PNOTES_DB)


@dataclass(frozen=True)
class RestoreResult:
    folder: Path
    archive_id: str
    vault_id: str
    created_at: str
    clients: int
    notes: int
    audit_entries: int
    replaced_existing: bool
    via: str


def _wipe_folder(folder: Path) -> None:
    """Overwrite and remove every file in a folder we made, then the folder.

    Links are removed, never followed: a link planted in (or as) a leftover staging folder
    must not make us overwrite whatever it points at, such as the vault itself.
    """
    if folder.is_symlink():
        folder.unlink()
        return
    if not folder.exists():
        return
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            path.unlink()
        elif path.is_file():
            fsutil.secure_unlink(path)
        elif path.is_dir():
            _wipe_folder(path)
        else:
            path.unlink()
    folder.rmdir()


class _Sinks:
    """Section name -> an O_EXCL file in the staging folder."""

    def __init__(self, staging: Path) -> None:
        self._staging = staging
        self._files: dict[str, int] = {}

    def __call__(self, section: str) -> Callable[[bytes], None] | None:
        if section not in RESTORABLE:
            return None  # a newer Confide's extra section; nothing of ours
        fd = os.open(
            self._staging / section, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fsutil.FILE_MODE
        )
        self._files[section] = fd

        def write(data: bytes) -> None:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]

        return write

    def close(self, sync: bool) -> None:
        for fd in self._files.values():
            try:
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        self._files.clear()


def _check_database(path: Path, key: SecretBytes, vault_id: str) -> None:
    found = check_database_file(path, key)
    if found.problems:
        raise IntegrityError(
            f"the restored {path.name} fails its integrity check: {found.problems[0]}"
        )
    if found.vault_id != vault_id:
        raise IntegrityError(f"the restored {path.name} belongs to another vault")


@contextlib.contextmanager
def _target_lock(target: Path) -> Iterator[bool]:
    """Hold the existing vault's lock (refusing if it is open); yields whether one exists."""
    if not key_file_exists(target / KEY_FILE):
        yield False
        return
    lock = ProcessLock(target / LOCK_FILE)
    lock.acquire()
    try:
        yield True
    finally:
        lock.release()


# Written into the staging folder before the swap, so it arrives with the restored vault: it
# names the old vault kept aside, proving that copy was replaced by a verified restore (and is
# not, say, the only copy of a vault someone moved). Removed once the aside copy is wiped.
REPLACED_MARKER = "restore-replaced"


@dataclass(frozen=True)
class Leftovers:
    """What `finish_interrupted` did, and what it could not decide (one line each)."""

    done: list[str]
    problems: list[str]


def _drop_marker(target: Path) -> None:
    marker = target / REPLACED_MARKER
    if marker.is_file() and not marker.is_symlink():
        marker.unlink()
        fsutil.fsync_dir(target)


def _open_elsewhere(target: Path) -> bool:
    """Whether another process has the vault open (its restore test may be running now)."""
    if not key_file_exists(target / KEY_FILE):
        return False
    lock = ProcessLock(target / LOCK_FILE)
    try:
        lock.acquire()
    except VaultBusyError:
        return True
    lock.release()
    return False


def finish_interrupted(target: Path, *, put_back: bool = True) -> Leftovers:
    """Finish what a kill during an earlier restore left beside `target`.

    A staging folder was never verified nor in use: erased, and so is a killed restore test's
    copy (unless another process has the vault open: its test may be running). An old vault
    kept aside after the restored one took its place (the marker names it): overwritten and
    removed, as the restore would have done. An old vault kept aside while no vault is at
    `target` (killed between the two renames): put back when `put_back`, else reported.
    Anything else is reported, never deleted.
    """
    target = Path(target).absolute()
    done: list[str] = []
    problems: list[str] = []
    if restore_tests(target) and not _open_elsewhere(target):
        done += sweep_restore_tests(target)
    with fsutil.storage_errors(f"cannot finish the interrupted restore of {target}"):
        for stale in restore_stagings(target):
            _wipe_folder(stale)  # never verified, never in use: ours to remove
            done.append(f"erased the unfinished restore {stale.name}")
        asides = restore_asides(target)
        marker = target / REPLACED_MARKER
        named = (
            marker.read_text(encoding="utf-8").strip()
            if marker.is_file() and not marker.is_symlink()
            else None
        )
        if key_file_exists(target / KEY_FILE):
            for aside in asides:
                if aside.name == named:
                    _wipe_folder(aside)
                    fsutil.fsync_dir(target.parent)
                    done.append(
                        f"securely removed the previous vault kept aside at {aside} "
                        "(the restored vault had verified)"
                    )
            if named is not None:
                _drop_marker(target)
            problems += [
                f"a previous vault is kept aside at {a} beside the vault at {target}; "
                "remove it (it may hold disposed records) or rename it back"
                for a in asides
                if a.exists()
            ]
        elif asides:
            empty = not target.exists() or (
                target.is_dir() and not target.is_symlink() and not any(target.iterdir())
            )
            if put_back and len(asides) == 1 and empty:
                if target.exists():
                    target.rmdir()
                os.replace(asides[0], target)
                fsutil.fsync_dir(target.parent)
                _drop_marker(target)
                done.append(
                    f"put the previous vault back at {target} from {asides[0]} (the "
                    "interrupted restore had not completed)"
                )
            else:
                problems.append(
                    f"an interrupted restore left the previous vault at "
                    f"{asides[0]}; rename it back to {target} (or remove it) and "
                    "try again"
                )
    return Leftovers(done, problems)


def _leftovers(target: Path) -> None:
    """What a kill during an earlier restore may have left beside the target."""
    left = finish_interrupted(target, put_back=False)
    if left.problems:
        raise VaultExistsError(left.problems[0])


def _check_catalogued(archive: Path, target: Path, passphrase: str) -> None:
    """Before replacing a vault: refuse a file that is not the archive its catalog records
    under that name (an older backup copied over a newer one's name would silently lose
    everything since). Only the vault being replaced knows; if its passphrase is not this one
    (or it cannot open), nothing can be checked, as on a new machine."""
    try:
        with open(archive, "rb") as source:
            header, _, _ = read_header(source, archive.name)
    except OSError:
        return  # the restore itself reports an unreadable file
    try:
        current = Vault.unlock(target, passphrase)
    except ConfideError:
        return
    try:
        check_binding(Catalog(current), archive, header.archive_hex)
    finally:
        current.lock()


def restore(
    archive: Path,
    target: Path,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    new_passphrase: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> RestoreResult:
    """Restore `archive` into the folder `target` with the passphrase or the recovery key.

    With the recovery key a new passphrase must be given (as when recovering a vault). With
    `force` an existing vault is replaced: kept aside until the restored one verifies.
    """
    archive, target = Path(archive), Path(target).absolute()
    if (passphrase is None) == (recovery_key is None):
        raise UsageError("give either the passphrase or the recovery key")
    if recovery_key is not None and new_passphrase is None:
        raise UsageError("restoring with the recovery key needs a new passphrase")
    if not archive.is_file():
        raise UsageError(f"{archive} is not a file")
    exists = key_file_exists(target / KEY_FILE)
    if exists and not force:
        raise RestoreTargetExistsError(f"a vault already exists at {target}", target)
    if not exists and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise VaultExistsError(
            f"{target} is not empty and is not a vault; choose an empty or new folder"
        )
    if exists and passphrase is not None:
        _check_catalogued(archive, target, passphrase)
    parent = target.parent
    if not parent.exists():
        fsutil.ensure_private_dir(parent)
    _leftovers(target)
    staging = restore_staging(target, secrets.token_hex(4))
    with _target_lock(target) as replacing:
        fsutil.ensure_private_dir(staging)
        try:
            result = _restore_into(
                archive, staging, passphrase, recovery_key, new_passphrase, progress
            )
        except BaseException:
            with contextlib.suppress(StorageError, OSError):
                _wipe_folder(staging)
            raise
        aside = restore_aside(target, secrets.token_hex(4))
        with fsutil.storage_errors(f"cannot move the restored vault into {target}"):
            if replacing:
                fsutil.write_new_file(staging / REPLACED_MARKER, aside.name.encode())
                fsutil.fsync_dir(staging)
            if replacing:
                os.replace(target, aside)
            elif target.exists():
                target.rmdir()  # an empty folder the user made for the restore
            os.replace(staging, target)
            fsutil.fsync_dir(parent)
    if replacing:
        # The restored vault verified and is in place: the old one can go now. A kill before
        # the marker goes is finished by `finish_interrupted` (next open, restore or dispose).
        with fsutil.storage_errors(f"cannot remove the previous vault kept aside at {aside}"):
            _wipe_folder(aside)
            fsutil.fsync_dir(parent)
            _drop_marker(target)
    return dataclasses.replace(result, folder=target, replaced_existing=replacing)


def _restore_into(
    archive: Path,
    staging: Path,
    passphrase: str | None,
    recovery_key: str | None,
    new_passphrase: str | None,
    progress: ProgressCallback | None,
) -> RestoreResult:
    keys: dict[KeyName, SecretBytes] = {}
    sinks = _Sinks(staging)
    size = archive.stat().st_size
    try:
        try:
            with open(archive, "rb") as source:
                chained = read_header(source, archive.name)[0].format >= 3
            if chained:
                contents = _restore_chain(
                    archive,
                    staging,
                    _chain_keys(archive.name, passphrase, recovery_key, keys),
                    progress,
                )
            else:
                with open_uncached(archive) as source:
                    contents = read_archive(
                        source,
                        secret_keys_for(archive.name, passphrase, recovery_key, keep=keys),
                        name=archive.name,
                        sink=sinks,
                        progress=Counter("restore", size, progress),
                    )
        except OSError as e:
            raise StorageError(fsutil.describe_os_error(e, f"cannot restore into {staging}")) from e
        finally:
            sinks.close(sync=True)
        header = contents.header
        missing = [s for s in RESTORABLE if not (staging / s).exists()]
        if missing:
            raise DamagedFileError(f"{archive.name} holds no {missing[0]}")
        with fsutil.storage_errors(f"cannot restore into {staging}"):
            fsutil.write_new_file(staging / KEY_FILE, archive_key_file(header, contents.manifest))
            fsutil.fsync_dir(staging)
        _check_database(staging / RECORD_DB, keys[KeyName.RECORD], header.vault_id)
        _check_database(staging / PNOTES_DB, keys[KeyName.PNOTES], header.vault_id)
    finally:
        wipe_keys(keys)
    if passphrase is not None:
        vault = Vault.unlock(staging, passphrase)
        via = "passphrase"
    else:
        assert recovery_key is not None and new_passphrase is not None
        vault = Vault.recover(staging, recovery_key).set_new_passphrase(new_passphrase)
        via = "recovery key"
    try:
        report = vault.audit.verify()
        if not report.ok:
            raise IntegrityError(f"the restored audit log does not verify: {report.reason}")
        catalog = Catalog(vault)
        record = catalog.by_archive(header.archive_hex)
        if record is not None and record.status in ("writing", "failed"):
            # The archive carries its own catalog row from before it was verified.
            catalog.mark_good(record.id, contents.size, contents.digest)
        clients = vault.clients.count()
        notes = vault.notes.count()
        vault.audit.record(
            Action.RESTORE,
            "backup",
            header.archive_hex,
            via=via,
            created=str(contents.manifest.get("created_at", "")),
        )
        entries = vault.audit.verify().entries
    finally:
        vault.lock()
    return RestoreResult(
        staging,
        header.archive_hex,
        header.vault_id,
        str(contents.manifest.get("created_at", "")),
        clients,
        notes,
        entries,
        False,
        via,
    )


def _chain_keys(
    name: str, passphrase: str | None, recovery_key: str | None, keep: dict[KeyName, SecretBytes]
) -> KeysFor:
    """Keys for every link of a chain: the key-file copy is unwrapped once (one Argon2id
    derivation), and each link's own keys derived from the record key it holds."""
    secret = secret_keys_for(name, passphrase, recovery_key, keep=keep)
    seen: list[bytes] = []

    def keys_for(header: ArchiveHeader) -> ArchiveKeys:
        if seen and header.key_file == seen[0] and KeyName.RECORD in keep:
            record = keep[KeyName.RECORD]
            return ArchiveKeys.derive(
                lambda salt, info: derive_subkey(record, salt, info),
                header.archive_id,
                header.vault_id,
                header.format,
            )
        if seen:
            raise BrokenChainError(
                f"the links of the chain of {name} carry different key files", section="chain"
            )
        seen.append(header.key_file)
        return secret(header)

    return keys_for


def _restore_chain(
    archive: Path, staging: Path, keys_for: KeysFor, progress: ProgressCallback | None
) -> ArchiveContents:
    """Rebuild the databases from the full archive and every incremental up to `archive`,
    each link read in full and authenticated; the result checked page by page against the
    newest link's index. Damage anywhere names the link and the section."""
    links = resolve_chain(archive, keys_for)
    total = sum(link.path.stat().st_size for link in links)
    counter = Counter("restore", total, progress)
    contents: ArchiveContents | None = None
    for i, link in enumerate(links):
        position = link_position(i, len(links))
        sink = ChainSink(staging, link.index, link.path.name)
        try:
            with open_uncached(link.path) as source:
                contents = read_archive(
                    source, keys_for, name=link.path.name, sink=sink, progress=counter
                )
            sink.finish()
        except BackupDamagedError as e:
            raise type(e)(
                f"{e} ({position} of the chain restoring {archive.name})",
                section=e.section,
                chunk=e.chunk,
                offset=e.offset,
            ) from e
        finally:
            sink.close()
        if contents.header.archive_hex != link.archive_id:
            raise BrokenChainError(f"{link.path.name} changed during the restore", section="file")
        if i + 1 < len(links):
            check_base_digest(links[i + 1], contents.digest, link_position(i + 1, len(links)))
    assert contents is not None
    check_restored(staging, links[-1].index, archive.name)
    return contents


def sweep_restore_tests(folder: Path) -> list[str]:
    """Overwrite and remove the copies killed restore tests left beside the vault at `folder`.

    Such a copy is a whole vault under keys the passphrase unwraps (disposed clients included),
    never in use once its test died: ours to remove. One line per copy removed.
    """
    done: list[str] = []
    with fsutil.storage_errors(f"cannot remove a restore test's copy beside {folder}"):
        for stale in restore_tests(Path(folder)):
            _wipe_folder(stale)
            fsutil.fsync_dir(stale.parent)
            done.append(f"securely removed the copy an interrupted restore test left at {stale}")
    return done


def restore_test(
    archive: Path,
    *,
    beside: Path,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    progress: ProgressCallback | None = None,
) -> RestoreResult:
    """Restore beside the vault at `beside`, check everything, then erase it (the TUI's button).

    The test copy is encrypted like the real one and overwritten before removal. It lives
    beside the vault (storage/layout.py), never in /tmp: if the test is killed, the next
    unlock, restore or disposal finds the copy and erases it, and `dispose verify` fails while
    it exists.
    """
    base = restore_test_folder(Path(beside), secrets.token_hex(4))
    with fsutil.storage_errors(f"cannot make a folder for the restore test beside {beside}"):
        fsutil.ensure_private_dir(base)
    try:
        target = base / "vault"
        new = None if recovery_key is None else secrets.token_urlsafe(24)
        return restore(
            archive,
            target,
            passphrase=passphrase,
            recovery_key=recovery_key,
            new_passphrase=new,
            progress=progress,
        )
    finally:
        with contextlib.suppress(ConfideError, OSError):
            _wipe_folder(base)
        if base.exists():
            shutil.rmtree(base, ignore_errors=True)
