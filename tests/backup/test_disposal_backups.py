"""Disposal and backups: connected drives rewritten, absent drives pending then purged on mount."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backup import Catalog, add_drive, run_backup
from backup.purge import DisposalBackups, process_pending_purges, purge_on_mount
from backup.watch import DriveWatcher, WatchEvent
from tests.support.cli import PASSPHRASE
from tests.support.disposal import GONE_TEXT, make_practice
from tests.support.fsimage import mounted_image, needs_root, remount
from vault import StorageError, Vault
from vault.crypto.forensics import Fingerprints, scan_chunks
from vault.crypto.keyslots import KeyName, wipe_keys
from vault.retention.certificate import render_text


def _traces(vault: Vault) -> int:
    prints = Fingerprints()
    prints.add_name("Quillon Zabriskie")
    prints.add_word(GONE_TEXT, "marmalade", GONE_TEXT.index("marmalade"))
    found = 0
    keys = vault.key_file.unwrap_with_passphrase(PASSPHRASE, list(KeyName))
    try:
        for _, chunks in DisposalBackups().remaining_plaintext(vault, keys):
            found += len(scan_chunks(chunks, prints))
    finally:
        wipe_keys(keys)
    return found


def test_connected_drive_rewritten_absent_drive_pending_then_purged(
    vault: Vault, tmp_path: Path
) -> None:
    """Old archives on a connected drive are replaced; an absent drive's wait for its mount."""
    ids = make_practice(vault)
    usb_a, usb_b = tmp_path / "usbA", tmp_path / "usbB"
    for usb in (usb_a, usb_b):
        usb.mkdir()
        add_drive(vault, usb, label=usb.name)
    old_a = [run_backup(vault, usb_a, rotate=False, full=True).path for _ in range(2)]
    old_b = run_backup(vault, usb_b).path
    assert _traces(vault) > 0  # the scan finds the client in backups made before disposal
    (rows,) = [r for r in vault.disposal.plan([ids["gone"]], backups=DisposalBackups())]
    assert len(rows.backups) == 3 and rows.related_rows == {}  # backups listed on their own
    away = tmp_path / "usbB-away"
    usb_b.rename(away)  # the drive is unplugged

    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
    )
    assert result.verification.ok and result.verification.result == "PASS, with backups pending"
    assert not any(p.exists() for p in old_a)
    (new_a,) = result.certificate.backups.written
    assert Path(new_a).exists() and Path(new_a).parent == old_a[0].parent
    assert [p.location for p in result.certificate.backups.pending] == [str(old_b)]
    assert "PENDING" in render_text(result.certificate)
    assert _traces(vault) == 0
    statuses = {r.path: r.status for r in Catalog(vault).backups()}
    assert statuses[str(old_a[0])] == "replaced" and statuses[str(old_b)] == "good"

    away.rename(usb_b)  # plugged in again: the drive watcher finds it, the purge runs
    messages: list[str] = []
    events: list[WatchEvent] = []
    on_mount = purge_on_mount(vault, messages.append)

    def on_event(event: WatchEvent) -> None:
        events.append(event)
        on_mount(event)

    DriveWatcher(vault, roots=[tmp_path], on_event=on_event).scan_once()
    assert any(e.kind == "found" and e.path == usb_b for e in events)
    assert not old_b.exists() and messages == [f"purged 1 old backups on {usb_b} (disposal)"]
    assert vault.disposal.pending_purges() == []
    cert = vault.disposal.certificate(result.disposal_id)
    assert cert.backups.pending == ()
    assert cert.backups.completed_later[0].location == str(old_b)
    assert process_pending_purges(vault, usb_b) == []  # nothing left: a no-op
    report = vault.disposal.verify(PASSPHRASE, backups=DisposalBackups())
    assert report.ok and not report.pending
    assert sum(c.name.startswith("backup ") for c in report.checks) == 2


@needs_root
def test_read_only_backup_drive_is_refused_before_anything_changes(
    vault: Vault, tmp_path: Path
) -> None:
    """A connected read-only backup drive: disposal refuses, clients and keys unchanged."""
    ids = make_practice(vault)
    with mounted_image(tmp_path, size_mb=16, name="usb") as mount:
        add_drive(vault, mount, label="USB")
        run_backup(vault, mount)
        os.sync()
        remount(mount, readonly=True)
        epoch = vault.key_file.epoch
        with pytest.raises(StorageError, match="read-only"):
            vault.disposal.dispose(
                PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
            )
        assert vault.clients.exists(ids["gone"]) and vault.key_file.epoch == epoch
        remount(mount, readonly=False)


def test_a_copy_on_a_lost_drive_is_a_typed_lost_copy(vault: Vault, tmp_path: Path) -> None:
    """A backup on a drive reported lost: the plan and the certificate carry it as a lost copy
    (its plain location, flagged), the verification lists it as pending for good."""
    from backup.lost import lost_drive

    ids = make_practice(vault)
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb, label="blue stick")
    archive = run_backup(vault, usb).path
    lost_drive(vault, "blue stick")
    (row,) = vault.disposal.plan([ids["gone"]], backups=DisposalBackups())
    assert [(c.location, c.lost) for c in row.backups] == [(str(archive), True)]
    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
    )
    assert [(r, c.location) for r, c in result.certificate.lost_copies] == [
        ("C-00001", str(archive))
    ]
    again = vault.disposal.certificate(result.disposal_id)
    assert again.lost_copies == result.certificate.lost_copies  # read back from the log
    assert any(
        str(archive) in p and "passphrase of its day" in p for p in result.verification.pending
    )
    assert result.verification.result == "PASS, with backups pending"
    assert f"ON A LOST DRIVE: C-00001 in {archive}" in render_text(result.certificate)
