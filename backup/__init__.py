"""Encrypted, verified backups (built on `vault`; never imports `tui`).

The API the CLI, the TUI and disposal use:

* `run_backup(vault, drive_root, progress=cb)`: write, read back, verify, catalogue, rotate.
* `verify_archive(path, vault=...)` or `(path, passphrase=...)`; `verify_catalogued(vault)`.
* `restore(archive, target, passphrase=... | recovery_key=..., force=...)`; `restore_test(...)`.
* `Catalog(vault)`: drives, archives, `backups_holding(client_id)`, statuses, settings.
* `add_drive(vault, path)`, `lost_drive(vault, ref)`, `DriveWatcher`.
"""

from ._io import BackupProgress, ProgressCallback
from .anchors import DriveAnchor, check_connected_drives, check_drive_rollback, drive_anchor
from .archive import CHUNK_SIZE, CIPHER, FORMAT_VERSION, ArchiveHeader, read_header
from .catalog import DEFAULT_WATCH_ROOTS, BackupRecord, BackupSettings, Catalog, Drive
from .drives import DriveMarker, add_drive, check_drive, connected_drives, find_drives, read_marker
from .generations import RotationPolicy, prune, select_keep
from .lost import LostBackup, LostClient, LostDriveReport, lost_drive
from .removal import finish_removals
from .restore import RestoreResult, restore, restore_test
from .verify import VerifyOutcome, VerifyReport, verify_archive, verify_catalogued
from .watch import DriveWatcher, WatchEvent, is_due
from .write import BackupResult, run_backup

__all__ = [
    "CHUNK_SIZE",
    "CIPHER",
    "DEFAULT_WATCH_ROOTS",
    "FORMAT_VERSION",
    "ArchiveHeader",
    "BackupProgress",
    "BackupRecord",
    "BackupResult",
    "BackupSettings",
    "Catalog",
    "Drive",
    "DriveAnchor",
    "DriveMarker",
    "DriveWatcher",
    "LostBackup",
    "LostClient",
    "LostDriveReport",
    "ProgressCallback",
    "RestoreResult",
    "RotationPolicy",
    "VerifyOutcome",
    "VerifyReport",
    "WatchEvent",
    "add_drive",
    "check_connected_drives",
    "check_drive",
    "check_drive_rollback",
    "connected_drives",
    "drive_anchor",
    "find_drives",
    "finish_removals",
    "is_due",
    "lost_drive",
    "prune",
    "read_header",
    "read_marker",
    "restore",
    "restore_test",
    "run_backup",
    "select_keep",
    "verify_archive",
    "verify_catalogued",
]
