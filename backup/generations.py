"""Generations: keep the newest backup of each of the last N days, weeks and months.

Pruned archives are overwritten before they are unlinked, after the catalog records the intent.
The newest good backup is never pruned, and nothing is pruned on a drive that is not connected
(it stays in the catalog as it was).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vault import Vault
from vault.records.audit import Action

from .catalog import BackupRecord, BackupSettings, Catalog
from .drives import backup_dir
from .removal import destroy


@dataclass(frozen=True)
class RotationPolicy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    @classmethod
    def from_settings(cls, settings: BackupSettings) -> RotationPolicy:
        return cls(settings.keep_daily, settings.keep_weekly, settings.keep_monthly)


def _when(record: BackupRecord) -> datetime:
    return datetime.fromisoformat(record.created_at)


def select_keep(records: Sequence[BackupRecord], policy: RotationPolicy) -> set[int]:
    """Ids to keep among good backups: the newest in each of the last N days/weeks/months."""
    ordered = sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)
    keep: set[int] = set()
    if ordered:
        keep.add(ordered[0].id)  # never the last good one
    buckets: tuple[tuple[int, Callable[[datetime], str]], ...] = (
        (policy.daily, lambda d: d.date().isoformat()),
        (policy.weekly, lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"),
        (policy.monthly, lambda d: d.strftime("%Y-%m")),
    )
    for count, bucket in buckets:
        seen: set[str] = set()
        for record in ordered:
            if len(seen) >= count:
                break
            key = bucket(_when(record))
            if key not in seen:
                seen.add(key)
                keep.add(record.id)
    return keep


def prune(vault: Vault, drive_id: str, root: Path, policy: RotationPolicy) -> list[BackupRecord]:
    """Remove the good backups on this (connected) drive that fall outside the policy."""
    catalog = Catalog(vault)
    good = catalog.backups(drive_id, ["good"])
    keep = select_keep(good, policy)
    # An incremental is restorable only with every base down to its full archive: a kept
    # generation keeps its whole chain.
    for kept in list(keep):
        keep.update(r.id for r in catalog.chain(kept))
    pruned: list[BackupRecord] = []
    for record in good:  # newest first: a link goes before the base it was built on
        if record.id in keep:
            continue
        # The drive may be mounted elsewhere than when the archive was written. The row reads
        # 'removing' before a byte is overwritten (removal.py), so no kill leaves it 'good'.
        destroy(catalog, record.id, backup_dir(root) / record.file_name, "pruned")
        vault.audit.record(
            Action.BACKUP, "backup", record.archive_id, event="pruned", drive=drive_id
        )
        pruned.append(catalog.get(record.id))
    return pruned
