"""The drive-side rollback check (issue 10 item 8): record.db and keys.confide put back TOGETHER.

One old copy of the whole vault folder (a snapshot, a Time Machine restore of both files) agrees
with itself, so the key file's anchor sees nothing. The backup drive has seen the later log: each
archive carries the audit anchor inside its encrypted manifest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backup import add_drive, check_drive_rollback, drive_anchor, run_backup
from tests.support.cli import PASSPHRASE, Cli
from vault import TEST_PRESET, NotFoundError, Vault
from vault.vault import KEY_FILE, PNOTES_DB, RECORD_DB

FILES = (RECORD_DB, KEY_FILE, PNOTES_DB)


def _snapshot(folder: Path, to: Path) -> None:
    to.mkdir()
    for name in FILES:
        shutil.copy2(folder / name, to / name)


def _put_back(snapshot: Path, folder: Path) -> None:
    for name in FILES:
        for suffix in ("-wal", "-shm"):
            (folder / (name + suffix)).unlink(missing_ok=True)
        shutil.copy2(snapshot / name, folder / name)


def _rolled_back_vault(vault_dir: Path, tmp_path: Path) -> tuple[Path, int]:
    """Back up, snapshot both files, add a signed note, back up again, put the snapshot back.
    Returns the drive and the id of the note the rollback lost."""
    drive = tmp_path / "drive"
    drive.mkdir()
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    add_drive(vault, drive, "stick")
    vault.clients.add("Wren Imaginary")
    run_backup(vault, drive)
    vault.lock()
    _snapshot(vault_dir, tmp_path / "snapshot")
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        client = v.clients.add("Yarrow Notreal")
        note = v.notes.create(client.id, body="signed after the snapshot")
        v.notes.sign(note.id)
        second = run_backup(v, drive)
        assert second.rollback is None  # an ordinary backup raises no alarm
    _put_back(tmp_path / "snapshot", vault_dir)
    return drive, note.id


def test_both_files_rolled_back_together_are_caught_by_the_drive(
    vault_dir: Path, tmp_path: Path
) -> None:
    drive, lost_note = _rolled_back_vault(vault_dir, tmp_path)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        # The gap the drive closes: the two old files agree, so unlock sees nothing.
        assert v.rollback_warnings == []
        assert v.audit.verify().status == "intact"
        seen = drive_anchor(v, drive)
        head = v.audit.head()
        assert seen is not None and head is not None and seen.seq > head[0]

        result = run_backup(v, drive)  # plugging the drive in for the next backup
        assert result.rollback is not None
        assert result.rollback.kind == "drive_newer"
        assert "record.db is older than the backup drive" in result.rollback.message
        assert "passphrase" in result.rollback.message
        actions = [e.action for e in v.audit.entries(limit=10_000)]
        assert actions.count("rollback_detected") == 1
        assert v.audit.verify().status == "rolled_back"
        with pytest.raises(NotFoundError):  # the signed note is gone from the vault...
            v.notes.get(lost_note)
        # ...but the archive holding it stays on the drive: the rolled-back catalogue does not
        # know it, so rotation never prunes it, and it is still the drive's highest anchor.
        assert drive_anchor(v, drive) == seen

        # Found again at the next backup, but audited once.
        again = run_backup(v, drive, full=True)
        assert again.rollback is not None and again.rollback.kind == "drive_newer"
        actions = [e.action for e in v.audit.entries(limit=10_000)]
        assert actions.count("rollback_detected") == 1


def test_an_acknowledged_drive_rollback_is_not_exit_16_again(
    vault_dir: Path, tmp_path: Path
) -> None:
    drive, _ = _rolled_back_vault(vault_dir, tmp_path)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert check_drive_rollback(v, drive) is not None
        v.acknowledge_rollback(PASSPHRASE)
        # The same drive archive is still there and still named, but not a new rollback.
        assert check_drive_rollback(v, drive) is not None
        assert v.audit.verify().status == "acknowledged"


def test_backup_verify_warns_and_exits_16(cli: Cli, tmp_path: Path) -> None:
    drive, _ = _rolled_back_vault(cli.vault_dir, tmp_path)
    # Whoever holds the drive can rename a genuine archive: its name is shown as data.
    folder = drive / "confide-backups"
    newest = max(folder.glob("*.cfbk"), key=lambda p: p.stat().st_mtime_ns)
    newest.rename(folder / "confide-\x1b]0;owned\x07[bold]x.cfbk")
    result = cli("backup", "verify", "--all", "--json")
    assert result.code == 16
    assert "WARNING" in result.stderr and "backup drive" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert cli("audit", "verify").code == 16


def test_no_warning_without_a_rollback(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive)).code == 0
    assert cli("client", "add", "Zinnia Madeup").code == 0
    assert cli("backup", "run").code == 0
    assert cli("client", "add", "Aster Unreal").code == 0
    run = cli("backup", "run", "--json")
    assert run.code == 0 and run.data["rollback"] is None
    verify = cli("backup", "verify", "--all")
    assert verify.code == 0 and "WARNING" not in verify.stderr


def test_an_altered_manifest_on_the_drive_is_not_believed(vault: Vault, tmp_path: Path) -> None:
    """Whoever holds the drive but not the keys cannot plant a later anchor: a manifest whose
    bytes changed fails authentication and the archive is skipped."""
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "stick")
    result = run_backup(vault, drive)
    assert drive_anchor(vault, drive) is not None
    data = bytearray(result.path.read_bytes())
    data[-1] ^= 0x01  # the manifest is the last section: its final tag
    result.path.write_bytes(bytes(data))
    assert drive_anchor(vault, drive) is None
    assert check_drive_rollback(vault, drive) is None
