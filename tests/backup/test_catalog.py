"""Catalog, rotation, lost drives, the drive watcher and the backup commands' --json output."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backup import (
    BackupRecord,
    Catalog,
    DriveWatcher,
    RotationPolicy,
    WatchEvent,
    add_drive,
    find_drives,
    lost_drive,
    run_backup,
    select_keep,
    verify_archive,
    verify_catalogued,
)
from backup.drives import BACKUP_DIR, MARKER
from backup.errors import DriveNotDesignatedError, UntrustedBackupError
from tests.support.cli import Cli
from tests.support.fsimage import make_image, mount_image, needs_root, unmount
from tui.workflows.demo import populate
from vault import TEST_PRESET, Vault
from vault.errors import UsageError


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    root = tmp_path / "drive"
    root.mkdir()
    return root


def _record(i: int, when: datetime) -> BackupRecord:
    return BackupRecord(
        i,
        f"a{i}",
        "d",
        f"f{i}",
        f"/x/f{i}",
        when.isoformat(),
        1,
        "x",
        1,
        {},
        (),
        "good",
        None,
        None,
    )


def test_generations_keep_newest_per_day_week_month() -> None:
    """90 daily backups with 7/4/12: 7 days, plus the older weeks and months, nothing else."""
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    records = [_record(i, start + timedelta(days=i)) for i in range(90)]
    keep = select_keep(records, RotationPolicy(7, 4, 12))
    kept = sorted(datetime.fromisoformat(r.created_at).date() for r in records if r.id in keep)
    assert kept[-7:] == [(start + timedelta(days=i)).date() for i in range(83, 90)]
    assert len(kept) == len(set(kept)) and 7 < len(kept) <= 7 + 4 + 12
    months = {d.strftime("%Y-%m") for d in kept}
    assert months == {"2026-01", "2026-02", "2026-03"}


def test_the_last_good_backup_is_always_kept() -> None:
    """Even a policy that keeps no dailies keeps the newest backup."""
    records = [_record(i, datetime(2026, 5, 1, tzinfo=UTC) + timedelta(hours=i)) for i in range(5)]
    assert select_keep(records, RotationPolicy(0, 0, 0)) == {4}
    assert select_keep(records, RotationPolicy(1, 0, 0)) == {4}


def test_rotation_overwrites_then_unlinks_pruned_archives(vault: Vault, drive: Path) -> None:
    """Pruned archives are gone from the drive and their blocks were zeroed first."""
    add_drive(vault, drive)
    catalog = Catalog(vault)
    catalog.save_settings(catalog.settings().__class__(keep_daily=2, keep_weekly=0, keep_monthly=0))
    day = datetime(2026, 3, 2, 9, tzinfo=UTC)
    first = run_backup(vault, drive, now=day, full=True)
    witness = drive / "hardlink-to-first"
    witness.hardlink_to(first.path)  # shares the inode: shows what happened to its blocks
    run_backup(vault, drive, now=day + timedelta(days=1), full=True)
    third = run_backup(vault, drive, now=day + timedelta(days=2), full=True)
    assert [p.file_name for p in third.pruned] == [first.path.name]
    assert not first.path.exists()
    assert set(witness.read_bytes()) == {0}
    statuses = {r.file_name: r.status for r in catalog.backups()}
    assert sorted(statuses.values()) == ["good", "good", "pruned"]
    assert len(list((drive / BACKUP_DIR).iterdir())) == 2


def test_catalog_records_clients_epoch_and_encryption(
    vault: Vault, drive: Path, passphrase: str
) -> None:
    """Disposal can find every copy holding a client, with its key epoch and KDF."""
    populate(vault, clients=3, notes_per_client=1)
    add_drive(vault, drive)
    result = run_backup(vault, drive)
    ids = [c.id for c in vault.clients.list()]
    catalog = Catalog(vault)
    for cid in ids:
        assert [r.archive_id for r in catalog.backups_holding(cid)] == [result.record.archive_id]
    rec = result.record
    assert rec.key_epoch == vault.key_file.epoch and rec.digest and rec.size
    assert rec.encryption["key_slots"]["kdf"]["algorithm"] == "argon2id"
    assert rec.drive_id == catalog.drives()[0].drive_id
    new_client = vault.clients.add("Joined Later")
    assert catalog.backups_holding(new_client.id) == []


def test_lost_drive_report_and_never_trusted_again(
    vault: Vault, drive: Path, tmp_path: Path
) -> None:
    """The report names each backup's clients and encryption; the drive is refused after."""
    populate(vault, clients=3, notes_per_client=1)
    added = add_drive(vault, drive, "blue stick")
    path = run_backup(vault, drive).path
    report = lost_drive(vault, "blue stick")
    assert report.drive_id == added.drive_id
    assert [b.file_name for b in report.backups] == [path.name]
    names = sorted(c.display_name for c in report.clients)
    assert names == sorted(c.display_name for c in vault.clients.list())
    enc = report.backups[0].encryption
    assert enc["archive_cipher"] == "AES-256-GCM" and enc["archive_key_bits"] == 256
    assert enc["key_slots"]["kdf"]["memory_kib"] == vault.key_file.kdf.memory_kib
    assert any("safe harbor" in line for line in report.assessment)
    with pytest.raises(UntrustedBackupError):
        verify_archive(path, vault=vault)
    with pytest.raises(UntrustedBackupError):
        run_backup(vault, drive)
    assert [r.status for r in Catalog(vault).backups()] == ["lost"]


def test_unfinished_rows_are_swept_to_failed(vault: Vault, drive: Path) -> None:
    """A 'writing' row left by a crash becomes 'failed' at the next backup, never 'good'."""
    add_drive(vault, drive)
    catalog = Catalog(vault)
    catalog.begin(
        "deadbeef" * 4,
        None,
        "ghost.cfbk",
        "/nowhere/ghost.cfbk",
        1,
        {},
        [1],
        "2026-01-01T00:00:00+00:00",
    )
    run_backup(vault, drive)
    statuses = {r.file_name: r.status for r in catalog.backups()}
    assert statuses["ghost.cfbk"] == "failed"


def test_archive_renamed_but_never_verified_is_removed(vault: Vault, drive: Path) -> None:
    """A kill between the rename and the catalog update leaves a complete but unverified file:
    the next backup to that drive marks it failed and overwrites and removes it."""
    add_drive(vault, drive)
    catalog = Catalog(vault)
    first = run_backup(vault, drive, rotate=False)
    catalog.set_status(first.record.id, "writing")  # as a kill before mark_good leaves it
    second = run_backup(vault, drive, rotate=False)
    assert not first.path.exists() and second.path.exists()
    statuses = {r.id: r.status for r in catalog.backups()}
    assert statuses == {first.record.id: "failed", second.record.id: "good"}


def test_drive_of_another_vault_and_plain_folders_are_refused(
    vault: Vault, drive: Path, tmp_path: Path
) -> None:
    """`run --to` a folder that was never designated is refused, naming the folder (the core
    states the fact; how to designate it is the face's hint, see tests/cli/test_hints.py)."""
    with pytest.raises(DriveNotDesignatedError, match="is not a designated backup drive") as e:
        run_backup(vault, drive)
    assert e.value.root == drive and "confide" not in str(e.value)
    (drive / MARKER).write_text('{"drive_id": "x", "vault_id": "someone-else"}')
    with pytest.raises(UsageError, match="another Confide vault"):
        run_backup(vault, drive)


def test_watcher_backs_up_a_newly_seen_drive_once(vault: Vault, tmp_path: Path) -> None:
    """scan_once finds a designated drive under the roots, backs up if due, then waits."""
    media = tmp_path / "media"
    stick = media / "user" / "STICK"
    stick.mkdir(parents=True)
    add_drive(vault, stick)
    events: list[WatchEvent] = []
    watcher = DriveWatcher(vault, roots=[media], on_event=events.append)
    kinds = [e.kind for e in watcher.scan_once()]
    assert kinds == ["found", "started", "done"]
    assert watcher.scan_once() == []  # still connected: nothing new
    again = DriveWatcher(vault, roots=[media])
    assert [e.kind for e in again.scan_once()] == ["found", "not_due"]
    assert len(Catalog(vault).backups(statuses=["good"])) == 1


@needs_root
def test_watchdog_notices_a_mounted_drive(vault: Vault, tmp_path: Path) -> None:
    """A designated drive mounted under a watched root triggers a verified backup."""
    image = make_image(tmp_path / "usb.img", 16)
    staging = tmp_path / "prep"
    mount_image(image, staging)
    add_drive(vault, staging, "usb")
    unmount(staging)
    media = tmp_path / "media"
    media.mkdir()
    done = threading.Event()
    seen: list[WatchEvent] = []

    def on_event(event: WatchEvent) -> None:
        seen.append(event)
        if event.kind in ("done", "failed"):
            done.set()

    settings = Catalog(vault).settings().__class__(rescan_seconds=300)
    watcher = DriveWatcher(vault, roots=[media], settings=settings, on_event=on_event)
    watcher.start()
    mount = media / "USB"
    try:
        watcher.scan_once()  # nothing there yet
        mount_image(image, mount)  # mkdir (a watchdog event), then mount
        assert done.wait(timeout=60), [e.kind for e in seen]
    finally:
        watcher.stop()
        unmount(mount)
    assert [e.kind for e in seen][-1] == "done", seen[-1].message
    assert Catalog(vault).backups()[0].status == "good"


def test_backup_commands_speak_json(cli: Cli, tmp_path: Path) -> None:
    """drive add/list, run, list, verify, settings, watch --once and lost all emit JSON."""
    cli.init()
    drive = tmp_path / "stick"
    drive.mkdir()
    added = cli("backup", "drive", "add", str(drive), "--json")
    assert added.code == 0, added.stderr
    drive_id = added.data["drive_id"]  # type: ignore[index]
    assert cli("backup", "drive", "list", "--json").data[0]["drive_id"] == drive_id  # type: ignore[index]
    run = cli("backup", "run", "--to", str(drive), "--json")
    assert run.code == 0 and run.data["status"] == "good"  # type: ignore[index]
    verified = cli("backup", "verify", run.data["path"], "--json")  # type: ignore[index]
    assert verified.code == 0 and verified.data["ok"] is True  # type: ignore[index]
    every = cli("backup", "verify", "--all", "--json")
    assert every.code == 0 and every.data[0]["ok"] is True  # type: ignore[index]
    settings = cli("backup", "settings", "--keep-daily", "3", "--json")
    assert settings.data["keep_daily"] == 3  # type: ignore[index]
    bad = cli("backup", "settings", "--keep-daily", "-1", "--json")
    assert bad.code == 2 and "negative" in bad.stderr
    watched = cli("backup", "watch", "--once", "--root", str(tmp_path), "--json")
    assert watched.code == 0
    assert [e["kind"] for e in watched.data] == ["found", "not_due"]  # type: ignore[union-attr]
    lost = cli("backup", "lost", drive_id, "--json")
    assert lost.code == 0 and len(lost.data["backups"]) == 1  # type: ignore[index]
    listed = cli("backup", "list", "--all", "--json")
    assert [b["status"] for b in listed.data] == ["lost"]  # type: ignore[union-attr]


def test_damaged_backup_exits_13_with_one_line(cli: Cli, tmp_path: Path) -> None:
    """`backup verify` of a damaged file: exit 13, one line naming the section and chunk."""
    cli.init()
    drive = tmp_path / "stick"
    drive.mkdir()
    cli("backup", "drive", "add", str(drive))
    path = Path(cli("backup", "run", "--to", str(drive), "--json").data["path"])  # type: ignore[index]
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x04
    path.write_bytes(bytes(data))
    result = cli("backup", "verify", str(path))
    assert result.code == 13
    assert result.stderr.count("\n") == 1 and "section manifest, chunk 0" in result.stderr
    assert "Traceback" not in result.stderr
    missing = cli("backup", "verify", str(tmp_path / "nope.cfbk"))
    assert missing.code == 1 and "no such file" in missing.stderr
    usage = cli("backup", "verify")
    assert usage.code == 2


def test_catalog_migration_applies_even_after_a_later_version(
    vault_dir: Path, passphrase: str
) -> None:
    """A vault that got migration 4 before 3 existed gets 3 recorded, and the backup catalog
    (backup's own schema since) works in it."""
    created, _ = Vault.create(vault_dir, passphrase, TEST_PRESET)
    with created.db.atomic():
        created.db.execute("DELETE FROM schema_migrations WHERE version = 3")
    created.lock()
    again = Vault.unlock(vault_dir, passphrase)
    try:
        assert Catalog(again).drives() == []
        versions = [r[0] for r in again.db.query("SELECT version FROM schema_migrations")]
        assert 3 in versions and max(versions) > 3
    finally:
        again.lock()


def test_hostile_drive_cannot_make_us_overwrite_local_files(
    vault: Vault, drive: Path, tmp_path: Path
) -> None:
    """Links and FIFOs planted on a drive are removed or refused, never followed."""
    add_drive(vault, drive)
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own file")
    folder = drive / BACKUP_DIR
    (folder / ".confide-old.cfbk.partial").symlink_to(precious)
    os.mkfifo(folder / ".fifo.cfbk.partial")
    run_backup(vault, drive)
    assert precious.read_text() == "the user's own file"
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere)
    with pytest.raises(UsageError, match="not a plain folder"):
        run_backup(vault, drive)
    assert list(elsewhere.iterdir()) == []


def test_fifo_or_link_as_marker_is_not_a_drive(vault: Vault, tmp_path: Path) -> None:
    """A marker that is a FIFO or a symbolic link is ignored at once (no hang, no follow)."""
    media = tmp_path / "media"
    (media / "a").mkdir(parents=True)
    (media / "b").mkdir()
    os.mkfifo(media / "a" / MARKER)
    real = tmp_path / "real"
    real.mkdir()
    add_drive(vault, real)
    (media / "b" / MARKER).symlink_to(real / MARKER)
    assert find_drives([media], vault.vault_id) == []


def test_verify_all_tells_missing_from_unplugged(vault: Vault, drive: Path, tmp_path: Path) -> None:
    """A file gone from a connected drive is a failure; an unplugged drive is not."""
    add_drive(vault, drive)
    first = run_backup(vault, drive, rotate=False).path
    other = tmp_path / "other"
    other.mkdir()
    add_drive(vault, other)
    run_backup(vault, other, rotate=False)
    first.unlink()
    shutil.rmtree(other)
    outcomes = {o.record.drive_id: o for o in verify_catalogued(vault)}
    assert len(outcomes) == 2
    missing = [o for o in outcomes.values() if o.reachable]
    unplugged = [o for o in outcomes.values() if not o.reachable]
    assert len(missing) == 1 and not missing[0].ok and "missing" in missing[0].message
    assert len(unplugged) == 1 and "not connected" in unplugged[0].message
