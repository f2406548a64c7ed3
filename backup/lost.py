"""A drive reported lost: mark it (and every archive on it) untrusted, and say what was on it.

The report is what a practitioner needs for a breach risk assessment: which backups, which
clients each held, when they were made, and how they were encrypted (cipher, key size, KDF and
its parameters). Whether the HIPAA encryption safe harbor applies is the practitioner's call;
the report gives the facts it turns on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vault import Vault
from vault.errors import NotFoundError
from vault.records.audit import Action
from vault.storage.database import now_utc

from .catalog import Catalog, Drive


@dataclass(frozen=True)
class LostClient:
    client_id: int
    record_id: str
    display_name: str


@dataclass(frozen=True)
class LostBackup:
    archive_id: str
    file_name: str
    created_at: str
    status_before: str
    key_epoch: int
    size: int | None
    clients: tuple[LostClient, ...]
    encryption: dict[str, Any]


@dataclass(frozen=True)
class LostDriveReport:
    drive_id: str
    label: str
    reported_at: str
    backups: tuple[LostBackup, ...]
    clients: tuple[LostClient, ...]
    assessment: tuple[str, ...] = field(default=())


def _client(vault: Vault, client_id: int) -> LostClient:
    try:
        client = vault.clients.get(client_id)
    except NotFoundError:
        return LostClient(client_id, f"C-{client_id:05d}", "(no longer in the vault)")
    return LostClient(client_id, client.record_id, client.display_name)


def lost_drive(vault: Vault, ref: str) -> LostDriveReport:
    """Mark the drive `ref` (id, label or mount path) lost and report what it carried."""
    catalog = Catalog(vault)
    drive: Drive = catalog.find_drive(ref)
    before = catalog.backups(drive.drive_id)
    # Written-and-verified copies plus any half-written ones: a partial file may hold data too.
    exposed = [
        b
        for b in before
        if b.status in ("good", "writing", "failed", "damaged", "removing", "lost")
    ]
    catalog.mark_drive_lost(drive.drive_id)
    drive = catalog.drive(drive.drive_id)
    cache: dict[int, LostClient] = {}

    def person(cid: int) -> LostClient:
        if cid not in cache:
            cache[cid] = _client(vault, cid)
        return cache[cid]

    backups = tuple(
        LostBackup(
            b.archive_id,
            b.file_name,
            b.created_at,
            b.status,
            b.key_epoch,
            b.size,
            tuple(person(c) for c in b.client_ids),
            b.encryption,
        )
        for b in exposed
    )
    everyone = tuple(person(c) for c in sorted({c for b in exposed for c in b.client_ids}))
    kdfs = {str(b.encryption.get("key_slots", {}).get("kdf")) for b in exposed}
    assessment = (
        "Every byte of each backup file was encrypted before it was written: archive chunks "
        "with AES-256-GCM under a key derived from a random 256-bit data key; inside them the "
        "database pages are SQLCipher-encrypted under 256-bit keys.",
        "The data keys travel in the archive only wrapped: under Argon2id(passphrase) with the "
        "parameters listed, and sealed to the recovery key (160 bits). The files are readable "
        "only with the passphrase or the recovery key of the time.",
        "If neither the passphrase nor the recovery key was kept with the drive or otherwise "
        "compromised, this is the situation the HIPAA breach-notification encryption safe "
        "harbor (45 CFR 164.402, HHS guidance) describes; document your assessment.",
        "Consider changing the passphrase now (old backups keep the old one) and rotating keys "
        "at the next disposal. These backups are never trusted again.",
        *(
            ["Different backups used different key-derivation settings; see each backup."]
            if len(kdfs) > 1
            else []
        ),
    )
    vault.audit.record(
        Action.BACKUP,
        "drive",
        drive.drive_id,
        event="drive_lost",
        backups=len(backups),
        clients=len(everyone),
    )
    return LostDriveReport(
        drive.drive_id, drive.label, drive.lost_at or now_utc(), backups, everyone, assessment
    )
