"""The records disposal steps hand each other, and what disposal needs from the backup side."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..crypto.keyslots import KeyName
from ..crypto.secret import SecretBytes

if TYPE_CHECKING:
    from ..vault import Vault

# Appended to the location of a copy on a drive reported lost (`BackupSide.copies_holding`):
# it cannot be reached or purged, and the queue and the certificate must say so.
LOST_COPY = "(on a drive reported lost: cannot be purged)"


@dataclass(frozen=True)
class BackupCopy:
    """One catalogued backup file that holds some of the clients being disposed of."""

    backup_id: int
    drive: str
    location: str
    created_at: str
    connected: bool
    writable: bool = True


class BackupSide(Protocol):
    """What disposal needs from the backup package (implemented in `backup/purge.py`)."""

    def copies_holding(self, vault: Vault, client_ids: Collection[int]) -> list[BackupCopy]:
        """Catalogued backups (still on some drive, or on one reported lost: its location
        then ends with `LOST_COPY`) that hold any of these clients."""
        ...

    def copies_to_replace(self, vault: Vault) -> list[BackupCopy]:
        """Every catalogued backup still on some drive: each carries a copy of the key file,
        so each must go for the key rotation to be a cryptographic erase."""
        ...

    def replace_copies(self, vault: Vault, copies: Sequence[BackupCopy]) -> str:
        """Write one fresh backup on the (connected) drive of `copies`, then overwrite and
        unlink each old file. Returns the new backup's location."""
        ...

    def remaining_plaintext(self, vault: Vault, keys: Mapping[KeyName, SecretBytes]
                            ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Each remaining good backup on a connected drive, decrypted with the vault's current
        keys, as chunks of page plaintext (an archive under any other key is reported)."""
        ...



@dataclass(frozen=True)
class ClientDisposal:
    """What disposing of one client destroys. Identifiers, counts and dates only."""

    client_id: int
    display_name: str
    policy: str
    disposal_date: str
    status: str
    notes: int
    first_session: str | None
    last_session: str | None
    joint_notes_kept: int
    pnotes: int | None
    pnotes_first: str | None
    pnotes_last: str | None
    related_rows: dict[str, int]
    backups: tuple[str, ...]
    attachments: int = 0

    @property
    def record_id(self) -> str:
        return f"C-{self.client_id:05d}"

    def certificate_entry(self) -> dict[str, Any]:
        """The certificate's view: no name, no content."""
        entry = {k: v for k, v in asdict(self).items() if k not in ("display_name", "status")}
        entry["record_id"] = self.record_id
        return entry


__all__ = ["LOST_COPY", "BackupCopy", "BackupSide", "ClientDisposal"]
