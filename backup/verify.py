"""Verify archives later: every byte read from the drive and authenticated, the catalog updated.

`verify_archive` checks one file (with the unlocked vault, or as a fresh machine would with the
passphrase or the recovery key); `verify_catalogued` checks every catalogued archive whose drive
is connected now.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from vault import Vault
from vault.errors import ConfideError, DamagedFileError, StorageError, UsageError
from vault.storage import fsutil

from ._io import Counter, ProgressCallback, open_uncached
from .archive import INDEX, ArchiveHeader, ArchiveKeys, read_archive, read_header
from .catalog import BackupRecord, Catalog
from .chain import ArchiveIndex, BaseRef
from .drives import backup_dir, read_marker
from .errors import (
    BackupDamagedError,
    BrokenChainError,
    SwappedBackupError,
    UntrustedBackupError,
)
from .keys import check_epoch, secret_keys_for, vault_keys_for


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


def _marker_id(root: Path) -> str | None:
    try:
        marker = read_marker(root)
    except StorageError:
        return None
    return marker.drive_id if marker is not None else None


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


def catalogued_under(catalog: Catalog, path: Path) -> BackupRecord | None:
    """The catalog row whose file `path` is (by name and place), whatever archive it holds."""
    for record in catalog.by_file_name(path.name):
        if _is_catalogued_file(catalog, record, path):
            return record
    return None


def check_binding(
    catalog: Catalog, path: Path, archive_hex: str, created_at: str | None = None
) -> None:
    """Refuse a file that is not the archive the catalog records under its name: a valid but
    older archive copied over a newer one's name would otherwise pass every check."""
    named = catalogued_under(catalog, path)
    if named is None or named.archive_id == archive_hex:
        return
    own = catalog.by_archive(archive_hex)
    found = created_at or (own.created_at if own is not None else "") or "another time"
    again = f"; its own name is {own.file_name}" if own is not None else ""
    raise SwappedBackupError(
        f"{path.name} is the backup of {found}, not the one catalogued under this name (of "
        f"{named.created_at}); restoring it would lose everything added since{again}",
        found,
        named.created_at,
        own.file_name if own is not None else None,
    )


def verify_archive(
    path: Path,
    *,
    vault: Vault | None = None,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    progress: ProgressCallback | None = None,
) -> VerifyReport:
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
        keys_for = vault_keys_for(vault, path.name)
    else:
        keys_for = secret_keys_for(path.name, passphrase, recovery_key)
    counter = Counter("verify", size, progress)
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
                raise UntrustedBackupError(
                    f"{path.name} was on a drive reported lost; it is never trusted again"
                )
            if record is not None and vault is not None:
                check_epoch(vault, path.name, record.key_epoch)
        return keys_for(header)

    index_parts: list[bytes] = []
    try:
        with open_uncached(path) as source:
            contents = read_archive(
                source,
                checked_keys,
                name=path.name,
                progress=counter,
                sink=lambda s: index_parts.append if s == INDEX else None,
            )
        if contents.header.format >= 3:
            index = ArchiveIndex.from_bytes(b"".join(index_parts), path.name)
            if index.base is not None:
                _check_base(path, index.base, catalog, passphrase, recovery_key)
    except OSError as e:
        raise StorageError(fsutil.describe_os_error(e, f"cannot read {path}")) from e
    except (BackupDamagedError, DamagedFileError) as e:
        if catalog is not None and record is not None and record.status == "good" and here:
            catalog.set_status(record.id, "damaged", str(e))
        raise
    manifest = contents.manifest
    if catalog is not None:
        try:
            check_binding(
                catalog,
                path,
                contents.header.archive_hex,
                str(manifest.get("created_at", "")) or None,
            )
        except SwappedBackupError as e:
            named = catalogued_under(catalog, path)
            if named is not None and named.status == "good":
                catalog.set_status(named.id, "damaged", str(e))
            raise
    if vault is not None and contents.header.key_epoch is None:
        check_epoch(vault, path.name, int(manifest.get("key_epoch", 0)))
    report = VerifyReport(
        path,
        contents.header.archive_hex,
        contents.header.vault_id,
        contents.header.key_epoch
        if contents.header.key_epoch is not None
        else int(manifest.get("key_epoch", 0)),
        str(manifest.get("created_at", "")),
        contents.size,
        contents.digest,
        int(manifest.get("counts", {}).get("clients", 0)),
        {s.name: s.size for s in contents.sections if s.name != INDEX},
    )
    if catalog is not None and record is not None:
        report.catalog_status = record.status
        report.digest_matches_catalog = record.digest in (None, contents.digest)
        if record.digest not in (None, contents.digest):
            if here:
                catalog.set_status(record.id, "damaged", "digest differs from the catalog")
            raise BackupDamagedError(
                f"{path.name} decrypts but is not the file the catalog recorded (digest differs)",
                section="file",
            )
        if here and record.status == "damaged" and record.digest == contents.digest:
            # Every byte authenticated and it is the very file catalogued: the earlier damage
            # was not in the file (a read error, a loose cable), so it is good again.
            catalog.mark_good_again(record.id)
            report.catalog_status = "good"
            report.marked_good_again = True
        elif here:
            catalog.mark_verified(record.id)
    return report


def _check_base(
    path: Path,
    base: BaseRef,
    catalog: Catalog | None,
    passphrase: str | None,
    recovery_key: str | None,
) -> None:
    """An incremental verifies only if its base is beside it and is the very archive it was
    built on: with the vault, the base's catalogue row (good, same digest) and its file's
    header; on a new machine, the base (and so its whole chain) read and authenticated."""
    base_path = path.parent / Path(base.file).name
    if base_path.is_symlink() or not base_path.is_file():
        raise BrokenChainError(
            f"{path.name} is an incremental backup whose base {base.file} is not beside it; "
            "it cannot be restored",
            section="chain",
        )
    if catalog is not None:
        row = catalog.by_archive(base.archive_id)
        if row is None or row.status != "good" or row.digest != base.digest:
            what = "not catalogued" if row is None else f"catalogued {row.status}"
            if row is not None and row.status == "good":
                what = "catalogued with another digest"
            raise BrokenChainError(
                f"{path.name}: its base {base.file} is {what}; the chain is broken there",
                section="chain",
            )
        with open(base_path, "rb") as source:
            header = read_header(source, base_path.name)[0]
        if header.archive_hex != base.archive_id or base_path.stat().st_size != row.size:
            raise BrokenChainError(
                f"{path.name}: {base.file} is not the archive it was built on; the chain is "
                "broken there",
                section="chain",
            )
        return
    report = verify_archive(base_path, passphrase=passphrase, recovery_key=recovery_key)
    if report.archive_id != base.archive_id or report.digest != base.digest:
        raise BrokenChainError(
            f"{path.name}: {base.file} is not the archive it was built on (another archive or "
            "another version of it); the chain is broken there",
            section="chain",
        )


@dataclass
class VerifyOutcome:
    record: BackupRecord
    ok: bool
    message: str
    report: VerifyReport | None = None
    reachable: bool = True  # False: its drive is not connected (not a failure)


def verify_catalogued(
    vault: Vault,
    progress: ProgressCallback | None = None,
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
            connected = (
                drive is not None
                and drive.last_path is not None
                and (_marker_id(Path(drive.last_path)) == drive.drive_id)
            )
            outcomes.append(
                VerifyOutcome(
                    record,
                    False,
                    "missing from its drive, which is connected"
                    if connected
                    else "not reachable (drive not connected)",
                    reachable=connected,
                )
            )
            continue
        try:
            report = verify_archive(path, vault=vault, progress=progress)
        except ConfideError as e:
            outcomes.append(VerifyOutcome(record, False, str(e)))
            continue
        outcomes.append(
            VerifyOutcome(
                catalog.get(record.id),
                True,
                "verified; marked good again (was damaged)"
                if report.marked_good_again
                else "verified",
                report,
            )
        )
    return outcomes
