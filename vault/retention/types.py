"""The records disposal steps hand each other, and what disposal needs from the backup side.

The disposal log keeps each disposal's certificate body as JSON (`disposals.certificate`), so
the records that go into it have `to_json` / `from_json`, and their JSON is the format of rows
written by every earlier version: it never changes shape.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..crypto.forensics import SearchedPages
from ..crypto.keyslots import KeyName
from ..crypto.secret import SecretBytes

if TYPE_CHECKING:
    from ..vault import Vault

# How a copy on a drive reported lost reads in the queue, on the certificate and in its JSON
# (certificates already in disposal logs spell it so; `HeldCopy.from_json` reads it back).
_LOST_NOTE = "(on a drive reported lost: cannot be purged)"


@dataclass(frozen=True)
class HeldCopy:
    """A backup file that holds a client, as the plan and the certificate name it."""

    location: str
    lost: bool = False  # on a drive reported lost: out of reach, it cannot be purged

    def to_json(self) -> str:
        return f"{self.location} {_LOST_NOTE}" if self.lost else self.location

    @classmethod
    def from_json(cls, text: str) -> HeldCopy:
        if text.endswith(" " + _LOST_NOTE):
            return cls(text.removesuffix(" " + _LOST_NOTE), lost=True)
        return cls(text)

    def __str__(self) -> str:
        return self.to_json()


@dataclass(frozen=True)
class BackupCopy:
    """One catalogued backup file that holds some of the clients being disposed of."""

    backup_id: int
    drive: str
    location: str
    created_at: str
    connected: bool
    writable: bool = True
    lost: bool = False  # its drive was reported lost: never connected again, never purged

    def held(self) -> HeldCopy:
        return HeldCopy(self.location, self.lost)


class BackupSide(Protocol):
    """What disposal needs from the backup package (implemented in `backup/purge.py`)."""

    def copies_holding(self, vault: Vault, client_ids: Collection[int]) -> list[BackupCopy]:
        """Catalogued backups (still on some drive, or on one reported lost: `lost` is then
        set) that hold any of these clients."""
        ...

    def copies_to_replace(self, vault: Vault, *, exact: bool = True) -> list[BackupCopy]:
        """Every catalogued backup still on some drive: each carries a copy of the key file,
        so each must go for the key rotation to be a cryptographic erase. `exact=False` skips
        reading each whole file for its digest (enough to know which drives are connected;
        never before destroying anything)."""
        ...

    def replace_copies(self, vault: Vault, copies: Sequence[BackupCopy]) -> str:
        """Write one fresh backup on the (connected) drive of `copies`, then overwrite and
        unlink each old file. Returns the new backup's location."""
        ...

    def remaining_plaintext(
        self,
        vault: Vault,
        keys: Mapping[KeyName, SecretBytes],
        searched: SearchedPages | None = None,
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Each remaining good backup on a connected drive, decrypted with the vault's current
        keys, as chunks of page plaintext (an archive under any other key is reported). Pages
        that `searched` knows (the same page of the vault, searched already) are left out."""
        ...

    def every_archive(
        self, vault: Vault, passphrase: str, drives: Collection[str]
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Every archive file on these drives (when connected), catalogued or not, opened with
        the passphrase and its own key-file copy, as chunks of page plaintext."""
        ...


@dataclass(frozen=True)
class OutsideCopy:
    """Something that left the vault for a client (a release, an accounting): out of reach of
    the disposal unless its saved file was found unchanged and overwritten (`copy`)."""

    # "release", "accounting", "attachment" (a saved copy of one), "open_export",
    # "custodian_letter" or "custodian_instructions"
    kind: str
    # R-000001 for a release, F-00001 for an attachment; "" for an accounting or an open export
    reference: str
    date: str
    recipient: str  # the recipient's role, never a name ("" for an accounting)
    copy: str  # what became of the file it was saved to: see `exports.COPY_STATES`
    path: str | None = None  # the queue shows it; the certificate never does
    export_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The certificate's form: no path (a file name can carry a client's name)."""
        return {
            "kind": self.kind,
            "reference": self.reference,
            "date": self.date,
            "recipient": self.recipient,
            "copy": self.copy,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutsideCopy:
        return cls(
            str(data["kind"]),
            str(data["reference"]),
            str(data["date"]),
            str(data["recipient"]),
            str(data["copy"]),
        )

    def describe(self) -> str:
        if self.kind == "release":
            what = f"release {self.reference} of {self.date} to {self.recipient}"
        elif self.kind == "attachment":
            what = f"copy of attachment {self.reference} saved {self.date}"
        elif self.kind == "open_export":
            what = f"open export of {self.date}"
        elif self.kind == "custodian_letter":
            what = f"custodian's notification letter of {self.date}"
        elif self.kind == "custodian_instructions":
            what = f"custodian's instructions of {self.date} (they name the client)"
        else:
            what = f"accounting of disclosures of {self.date}"
        return f"{what}: {self.copy}"


@dataclass(frozen=True)
class DestroyedRecord:
    """One client on a certificate: identifiers, counts and date ranges; no name, no content."""

    client_id: int
    policy: str
    disposal_date: str
    notes: int
    first_session: str | None
    last_session: str | None
    joint_notes_kept: int
    pnotes: int | None
    pnotes_first: str | None
    pnotes_last: str | None
    related_rows: Mapping[str, int] = field(default_factory=dict)
    backups: tuple[HeldCopy, ...] = ()
    attachments: int = 0
    outside: tuple[OutsideCopy, ...] = ()  # releases and exports: copies outside the vault

    @property
    def record_id(self) -> str:
        return f"C-{self.client_id:05d}"

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "policy": self.policy,
            "outside": [o.to_json() for o in self.outside],
            "disposal_date": self.disposal_date,
            "notes": self.notes,
            "first_session": self.first_session,
            "last_session": self.last_session,
            "joint_notes_kept": self.joint_notes_kept,
            "pnotes": self.pnotes,
            "pnotes_first": self.pnotes_first,
            "pnotes_last": self.pnotes_last,
            "related_rows": dict(self.related_rows),
            "backups": [b.to_json() for b in self.backups],
            "attachments": self.attachments,
            "record_id": self.record_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DestroyedRecord:
        return cls(
            int(data["client_id"]),
            str(data["policy"]),
            str(data["disposal_date"]),
            int(data["notes"]),
            data.get("first_session"),
            data.get("last_session"),
            int(data.get("joint_notes_kept", 0)),
            data.get("pnotes"),
            data.get("pnotes_first"),
            data.get("pnotes_last"),
            {str(k): int(v) for k, v in data.get("related_rows", {}).items()},
            tuple(HeldCopy.from_json(str(b)) for b in data.get("backups", ())),
            int(data.get("attachments", 0)),
            tuple(OutsideCopy.from_json(o) for o in data.get("outside", ())),
        )


@dataclass(frozen=True)
class PendingPurge:
    """A backup copy a disposal could not replace at once: its drive was not connected."""

    id: int
    disposal_id: int
    drive: str
    location: str
    state: str  # "pending" or "done"
    recorded_at: str
    done_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "disposal_id": self.disposal_id,
            "drive": self.drive,
            "location": self.location,
            "state": self.state,
            "recorded_at": self.recorded_at,
            "done_at": self.done_at,
        }


__all__ = ["BackupCopy", "BackupSide", "DestroyedRecord", "HeldCopy", "OutsideCopy", "PendingPurge"]
