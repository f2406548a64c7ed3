"""A backup marked damaged after a one-off read problem is good again once the very same file
(catalogued digest) verifies in full; a file whose digest differs stays damaged."""

from __future__ import annotations

from pathlib import Path

import pytest

from backup import Catalog, add_drive, run_backup, verify_archive, verify_catalogued
from backup.errors import BackupDamagedError
from tests.support.cli import Cli
from vault import Vault


def _flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 1]))


def _damaged_then_healed(vault: Vault, tmp_path: Path) -> Path:
    """A catalogued archive whose read once failed (a flipped byte, since put right)."""
    vault.clients.add("Perpetua Wimbleford")
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive)
    path = run_backup(vault, drive).path
    offset = path.stat().st_size - 40
    _flip(path, offset)
    with pytest.raises(BackupDamagedError):
        verify_archive(path, vault=vault)
    assert Catalog(vault).backups()[0].status == "damaged"
    _flip(path, offset)  # the bytes as written: the failure was a one-off
    return path


def test_full_verify_of_the_same_file_marks_it_good_again(vault: Vault, tmp_path: Path) -> None:
    """verify_archive of the unchanged file: status good, error cleared, report says so."""
    path = _damaged_then_healed(vault, tmp_path)
    report = verify_archive(path, vault=vault)
    assert report.marked_good_again and report.catalog_status == "good"
    (record,) = Catalog(vault).backups()
    assert record.status == "good" and record.error is None
    assert Catalog(vault).last_good() is not None


def test_verify_all_says_marked_good_again(vault: Vault, tmp_path: Path) -> None:
    """`verify --all` (verify_catalogued) re-checks damaged files and reports the recovery."""
    _damaged_then_healed(vault, tmp_path)
    (outcome,) = verify_catalogued(vault)
    assert outcome.ok and outcome.message == "verified; marked good again (was damaged)"
    assert outcome.record.status == "good"


def test_cli_backup_verify_says_it_is_good_again(vault: Vault, tmp_path: Path, cli: Cli) -> None:
    """`confide backup verify FILE` tells the practitioner it is marked good again."""
    path = _damaged_then_healed(vault, tmp_path)
    vault.lock()
    result = cli("backup", "verify", str(path))
    assert result.code == 0, result.stderr
    assert "marked good again" in result.stdout
    listed = cli("backup", "list", "--json")
    assert [b["status"] for b in listed.data] == ["good"]  # type: ignore[union-attr]


def test_a_file_whose_digest_differs_stays_damaged(vault: Vault, tmp_path: Path) -> None:
    """Authenticates in full but is not the catalogued file (digest differs): still damaged."""
    path = _damaged_then_healed(vault, tmp_path)
    (record,) = Catalog(vault).backups()
    # The catalog recorded another file's digest (as if the drive now held a different copy).
    vault.db.execute("UPDATE backups SET digest = ? WHERE id = ?", ("0" * 64, record.id))
    with pytest.raises(BackupDamagedError, match="digest differs"):
        verify_archive(path, vault=vault)
    (after,) = Catalog(vault).backups()
    assert after.status == "damaged"
