"""Incidents as both faces run them: a lost drive becomes an incident with the catalog's facts,
and the breach clock is read on every unlock.

The vault keeps the register and never imports backup; this layer reads the backup catalog (via
the lost-drive report) and hands the vault the facts as data.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from vault.errors import ConfideError, UsageError
from vault.incidents import Incident, IncidentKind, MediaCopy
from vault.vault import Vault

if TYPE_CHECKING:
    from backup.lost import LostDriveReport

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _label(text: str, limit: int = 60) -> str:
    """A drive label comes from a file on the drive itself: shown as data, never trusted."""
    shown = _CONTROL.sub("?", " ".join(text.split()))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def lost_drive_source(drive_id: str) -> str:
    return f"backup lost: drive {drive_id}"


def open_for_lost_drive(
    vault: Vault, report: LostDriveReport, today: date | None = None
) -> Incident | None:
    """The incident for a drive just reported lost, opened once (a second report of the same
    drive returns the first incident). None when the catalog records no backup on it."""
    if not report.backups:
        return None
    source = lost_drive_source(report.drive_id)
    for existing in vault.incidents.list():
        if existing.source == source:
            return existing
    copies: list[MediaCopy] = []
    for b in report.backups:
        enc = b.encryption
        slots = enc.get("key_slots")
        kdf = slots.get("kdf") if isinstance(slots, dict) else None
        copies.append(
            MediaCopy(
                label=_label(b.file_name, 120),
                created_at=b.created_at,
                archive_cipher=str(enc.get("archive_cipher", "")),
                archive_key_bits=int(enc.get("archive_key_bits", 0) or 0),
                database_cipher=str(enc.get("database_cipher", "")),
                kdf=dict(kdf) if isinstance(kdf, dict) else {},
                record_ids=tuple(c.record_id for c in b.clients),
                key_epoch=b.key_epoch,
            )
        )
    label = _label(report.label) or "unlabelled"
    try:
        return _open(vault, label, report, copies, source, today)
    except UsageError:
        # A label the register refuses (one that spells a client's name): the drive id says
        # which drive it was just as well.
        return _open(vault, "label not kept", report, copies, source, today)


def _open(
    vault: Vault,
    label: str,
    report: LostDriveReport,
    copies: list[MediaCopy],
    source: str,
    today: date | None,
) -> Incident:
    return vault.incidents.open(
        IncidentKind.LOST_DEVICE,
        today or date.today(),
        f"Backup drive '{label}' ({report.drive_id[:12]}) was reported lost. It held "
        f"{len(copies)} backup file(s) of {len(report.clients)} client(s).",
        media=f"backup drive '{label}'",
        containment="The drive and every backup on it are marked lost in Confide and are "
        "never trusted again.",
        copies=copies,
        source=source,
        today=today,
    )


def unlock_warnings(vault: Vault, today: date | None = None) -> list[str]:
    """The lines every unlock shows while an incident's clock runs. Never stops an unlock."""
    try:
        return vault.incidents.warnings(today)
    except ConfideError:
        return []
