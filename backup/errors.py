"""The errors only backups raise. Still one hierarchy: each is a `vault.errors.ConfideError`.

Messages state facts. Some situations have a remedy that depends on the face (a command to run
on the command line, a button in the app): those errors carry what a face needs to phrase it
(`DriveNotDesignatedError.root`, `UnknownDriveError.ref`, ...), and the face adds the hint.
"""

from __future__ import annotations

from pathlib import Path

from vault.errors import (
    ConfideError,
    DamagedFileError,
    NotFoundError,
    UsageError,
    VaultExistsError,
)


class NotABackupError(DamagedFileError):
    """The file is not a Confide backup archive at all (empty, or another kind of file)."""

    title = "Not a backup"


class BackupDamagedError(DamagedFileError):
    """A backup archive failed verification; the message says where (section, chunk, offset)."""

    title = "Damaged backup"

    def __init__(
        self,
        message: str,
        section: str | None = None,
        chunk: int | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.section = section
        self.chunk = chunk
        self.offset = offset


class BrokenChainError(BackupDamagedError):
    """An incremental archive whose base is missing, another archive, or damaged: the chain
    it belongs to cannot be restored from this link."""


class SwappedBackupError(BackupDamagedError):
    """A valid archive of this vault, but not the one the catalog records under its file name
    (an older backup copied over a newer one's name): restoring it would lose what came since."""

    title = "Not the catalogued backup"

    def __init__(
        self, message: str, found_created: str, catalogued_created: str, own_name: str | None
    ) -> None:
        super().__init__(message, section="file")
        self.found_created = found_created
        self.catalogued_created = catalogued_created
        self.own_name = own_name


class ForeignBackupError(DamagedFileError):
    """A backup archive made by another vault (or under keys this vault no longer has)."""

    title = "Backup from another vault"


class OtherVaultBackupError(ForeignBackupError):
    """The archive is another vault's: it can be restored as that vault, not checked by this one."""

    def __init__(self, message: str, vault_id: str) -> None:
        super().__init__(message)
        self.vault_id = vault_id


class UntrustedBackupError(ConfideError):
    """A backup on a drive reported lost: never trusted again."""

    title = "Untrusted backup"


class DriveNotDesignatedError(UsageError):
    """The folder is not a backup drive this vault designated (`marked`: it carries a marker
    naming this vault, which anyone who saw the vault id can write)."""

    def __init__(self, message: str, root: Path, marked: bool = False) -> None:
        super().__init__(message)
        self.root = root
        self.marked = marked


class UnknownDriveError(NotFoundError):
    """No catalogued drive matches the id, label or mount path given."""

    def __init__(self, message: str, ref: str) -> None:
        super().__init__(message)
        self.ref = ref


class RestoreTargetExistsError(VaultExistsError):
    """A restore was asked to write where a vault already is, without leave to replace it."""

    def __init__(self, message: str, target: Path) -> None:
        super().__init__(message)
        self.target = target


__all__ = [
    "BackupDamagedError",
    "DriveNotDesignatedError",
    "ForeignBackupError",
    "NotABackupError",
    "OtherVaultBackupError",
    "RestoreTargetExistsError",
    "SwappedBackupError",
    "UnknownDriveError",
    "UntrustedBackupError",
]
