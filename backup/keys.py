"""Which keys open an archive: this vault's own, or the key-file copy the archive carries.

`vault_keys_for` is for an unlocked vault checking its own archives (same vault, same key
epoch); `secret_keys_for` unwraps the copy inside with the passphrase or the recovery key, as a
fresh machine does. Both are `keys_for` callbacks for `archive.read_archive`.
"""

from __future__ import annotations

from collections.abc import Callable

from vault import Vault
from vault.crypto.keyslots import KeyFile, KeyName, derive_subkey, wipe_keys
from vault.crypto.secret import SecretBytes
from vault.errors import AuthenticationError, DamagedFileError, NotAVaultError, UsageError

from .archive import ArchiveHeader, ArchiveKeys
from .errors import BackupDamagedError, ForeignBackupError, OtherVaultBackupError

KeysFor = Callable[[ArchiveHeader], ArchiveKeys]


def vault_keys_for(vault: Vault, name: str) -> KeysFor:
    """Keys for an archive of this vault written under its current keys; else a clear error."""
    def keys_for(header: ArchiveHeader) -> ArchiveKeys:
        if header.vault_id != vault.vault_id:
            try:
                copy = KeyFile.from_bytes(header.key_file)
            except (DamagedFileError, NotAVaultError):
                copy = None
            if copy is None or copy.vault_id != header.vault_id:
                raise BackupDamagedError(f"{name}: the backup header is damaged (vault id)",
                                         section="header")
            raise OtherVaultBackupError(
                f"{name} belongs to another vault ({header.vault_id[:8]}), not this one "
                f"({vault.vault_id[:8]})", header.vault_id)
        epoch = vault.key_file.epoch
        if header.key_epoch != epoch:
            raise ForeignBackupError(
                f"{name} was written under key epoch {header.key_epoch}; this vault's keys are "
                f"now at epoch {epoch}, so the vault cannot vouch for it")
        return ArchiveKeys.derive(vault.derive_subkey, header.archive_id, header.vault_id)

    return keys_for


def secret_keys_for(name: str, passphrase: str | None = None, recovery_key: str | None = None,
                    keep: dict[KeyName, SecretBytes] | None = None,
                    ) -> KeysFor:
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
