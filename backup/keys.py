"""Which keys open an archive: this vault's own, or the key-file copy the archive carries.

`vault_keys_for` is for an unlocked vault checking its own archives (same vault, same key
epoch); `secret_keys_for` unwraps the copy inside with the passphrase or the recovery key, as a
fresh machine does. Both are `keys_for` callbacks for `archive.read_archive`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from vault import Vault
from vault.crypto.auditkey import join_anchor, split_anchor
from vault.crypto.kdf import derive
from vault.crypto.keyslots import KeyFile, KeyName, derive_subkey, wipe_keys
from vault.crypto.secret import SecretBytes
from vault.errors import AuthenticationError, DamagedFileError, NotAVaultError, UsageError

from .archive import ArchiveHeader, ArchiveKeys
from .errors import BackupDamagedError, ForeignBackupError, OtherVaultBackupError

KeysFor = Callable[[ArchiveHeader], ArchiveKeys]


def check_epoch(vault: Vault, name: str, key_epoch: int) -> None:
    """Refuse an archive of this vault written under an earlier key epoch (format 1 names it
    in its header; format 2 in its manifest and the catalog)."""
    epoch = vault.key_file.epoch
    if key_epoch != epoch:
        raise ForeignBackupError(
            f"{name} was written under key epoch {key_epoch}; this vault's keys are "
            f"now at epoch {epoch}, so the vault cannot vouch for it"
        )


def vault_keys_for(vault: Vault, name: str) -> KeysFor:
    """Keys for an archive of this vault written under its current keys; else a clear error."""

    def keys_for(header: ArchiveHeader) -> ArchiveKeys:
        if header.vault_id != vault.vault_id:
            try:
                copy = KeyFile.from_bytes(header.key_file)
            except (DamagedFileError, NotAVaultError):
                copy = None
            if copy is None or copy.vault_id != header.vault_id:
                raise BackupDamagedError(
                    f"{name}: the backup header is damaged (vault id)", section="header"
                )
            raise OtherVaultBackupError(
                f"{name} belongs to another vault ({header.vault_id[:8]}), not this one "
                f"({vault.vault_id[:8]})",
                header.vault_id,
            )
        if header.key_epoch is not None:
            check_epoch(vault, name, header.key_epoch)
        # Format 2 names no epoch: its header's key check tells an older epoch (read_archive).
        return ArchiveKeys.derive(
            vault.derive_subkey, header.archive_id, header.vault_id, header.format
        )

    return keys_for


HIDDEN_EPOCH = 0
"""The epoch field of a format-2 archive's key-file copy: the real epoch is in the manifest."""

MAX_EPOCH = 4096
"""Format 2 finds the epoch by trying each: the wrapped keys bind it, the plain header does not
name it. One Argon2id derivation, then one AES-GCM (or X25519) attempt per epoch; a vault
reaches epoch 4096 only after 4095 key rotations (disposals)."""


def hide_epoch(key_file: KeyFile) -> bytes:
    """The key file as a format-2 header carries it: the epoch field zeroed."""
    if key_file.epoch > MAX_EPOCH:
        raise UsageError(
            f"key epoch {key_file.epoch} is beyond what a backup can carry ({MAX_EPOCH})"
        )
    # The audit anchor (how many entries the log holds) travels in the encrypted manifest.
    return replace(split_anchor(key_file)[0], epoch=HIDDEN_EPOCH).to_bytes()


def archive_key_file(header: ArchiveHeader, manifest: Mapping[str, Any]) -> bytes:
    """The vault's real key file, as it was when the archive was written (restore writes it)."""
    if header.key_epoch is not None:
        return header.key_file
    try:
        epoch = int(manifest["key_epoch"])
        anchor = manifest.get("key_file_anchor")
        copy = replace(KeyFile.from_bytes(header.key_file), epoch=epoch)
        data = join_anchor(copy, dict(anchor) if isinstance(anchor, dict) else None).to_bytes()
        matches = hashlib.sha256(data).hexdigest() == manifest["key_file_sha256"]
    except (KeyError, TypeError, ValueError, DamagedFileError, NotAVaultError):
        matches = False
    if not matches:
        raise BackupDamagedError(
            "the backup's key file does not match its manifest", section="manifest"
        )
    return data


def unwrap_hidden_epoch(
    copy: KeyFile, names: list[KeyName], passphrase: str | None, recovery_key: str | None
) -> dict[KeyName, SecretBytes]:
    """Unwrap a format-2 key-file copy (epoch field zeroed) with the passphrase or recovery
    key, finding the epoch its wraps bind."""
    if passphrase is None:
        return copy.unwrap_any_epoch(names, MAX_EPOCH, recovery_key=recovery_key)[1]
    kek = derive(passphrase, copy.salt, copy.kdf)
    try:
        return copy.unwrap_any_epoch(names, MAX_EPOCH, kek=kek)[1]
    finally:
        kek.wipe()


def secret_keys_for(
    name: str,
    passphrase: str | None = None,
    recovery_key: str | None = None,
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
            raise BackupDamagedError(
                f"{name}: the key-file copy in the backup header is damaged", section="header"
            ) from None
        expected_epoch = header.key_epoch if header.key_epoch is not None else HIDDEN_EPOCH
        if copy.vault_id != header.vault_id or copy.epoch != expected_epoch:
            raise BackupDamagedError(
                f"{name}: the backup header is damaged (its key file names another vault or epoch)",
                section="header",
            )
        names = list(KeyName) if keep is not None else [KeyName.RECORD]
        try:
            if header.key_epoch is None:
                keys = unwrap_hidden_epoch(copy, names, passphrase, recovery_key)
            elif passphrase is not None:
                keys = copy.unwrap_with_passphrase(passphrase, names)
            else:
                assert recovery_key is not None
                keys = copy.unwrap_with_recovery(recovery_key, names)
        except AuthenticationError as e:
            what = "passphrase" if passphrase is not None else "recovery key"
            raise AuthenticationError(
                f"wrong {what} for this backup ({name}); it is the "
                f"{what} that was current when the backup was made"
            ) from e
        record = keys[KeyName.RECORD]
        try:
            return ArchiveKeys.derive(
                lambda salt, info: derive_subkey(record, salt, info),
                header.archive_id,
                header.vault_id,
                header.format,
            )
        finally:
            if keep is not None:
                keep.update(keys)
            else:
                wipe_keys(keys)

    return keys_for
