"""Issue 10 item 15: an older archive copied over a newer one's name is noticed.

It is a valid archive of the same vault, so every byte authenticates; only the catalogue entry
for that file name (archive id, digest) tells it is not the backup recorded there. `backup
verify` (API and command line), `backup verify --all` and a restore over the vault refuse it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backup import add_drive, restore, run_backup, verify_archive, verify_catalogued
from backup.catalog import Catalog
from backup.errors import SwappedBackupError
from vault import Vault

from ..support.cli import PASSPHRASE, Cli

OLD = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NEW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _swap(vault: Vault, drive: Path) -> tuple[Path, Path]:
    """Two backups; the older one copied over the newer one's file. Returns (older, newer)."""
    older = run_backup(vault, drive, now=OLD, rotate=False).path
    vault.clients.add("Ansel Newcomer")  # what only the newer backup holds
    newer = run_backup(vault, drive, now=NEW, rotate=False).path
    shutil.copyfile(older, newer)
    return older, newer


def test_verify_and_verify_all_report_the_swap(vault: Vault, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "stick")
    older, newer = _swap(vault, drive)
    with pytest.raises(SwappedBackupError) as caught:
        verify_archive(newer, vault=vault)
    message = str(caught.value)
    assert message.startswith(
        f"{newer.name} is the backup of 2026-11-01T09:00:00+00:00, not "
        "the one catalogued under this name (of 2026-11-20T09:00:00"
    )
    assert f"its own name is {older.name}" in message
    catalog = Catalog(vault)
    assert catalog.by_file_name(newer.name)[0].status == "damaged"
    outcomes = {o.record.file_name: o for o in verify_catalogued(vault)}
    assert outcomes[older.name].ok
    assert not outcomes[newer.name].ok and outcomes[newer.name].reachable
    assert "not the one catalogued under this name" in outcomes[newer.name].message
    # The older archive under its own name is still fine.
    assert (
        verify_archive(older, vault=vault).archive_id
        == catalog.by_file_name(older.name)[0].archive_id
    )


def test_restore_over_the_vault_refuses_the_swapped_file(vault: Vault, tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "stick")
    older, newer = _swap(vault, drive)
    folder = vault.folder
    vault.lock()
    with pytest.raises(SwappedBackupError, match="restoring it would lose everything"):
        restore(newer, folder, passphrase=PASSPHRASE, force=True)
    vault = Vault.unlock(folder, PASSPHRASE)  # untouched: the newer client is still there
    try:
        assert "Ansel Newcomer" in [c.display_name for c in vault.clients.list()]
    finally:
        vault.lock()
    # On a new machine there is no catalogue to check against: the restore proceeds.
    assert restore(newer, tmp_path / "elsewhere", passphrase=PASSPHRASE).clients == 0


def test_cli_backup_verify_and_verify_all_report_the_swap(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    stick = tmp_path / "stick"
    stick.mkdir()
    assert cli("backup", "drive", "add", str(stick)).code == 0
    older = Path(cli("backup", "run", "--to", str(stick), "--json").data["path"])
    kept = tmp_path / "kept.cfbk"  # rotation prunes the same day's older backup: keep a copy
    shutil.copyfile(older, kept)
    assert cli("client", "add", "Ansel Newcomer", "--json").code == 0
    newer = Path(cli("backup", "run", "--to", str(stick), "--json").data["path"])
    shutil.copyfile(kept, newer)
    one = cli("backup", "verify", str(newer))
    assert one.code == 13  # damaged
    assert "is the backup of" in one.stderr and "not the one catalogued" in one.stderr
    every = cli("backup", "verify", "--all", "--json")
    assert every.code == 13
    rows = {row["file"]: row for row in every.data}
    assert not rows[newer.name]["ok"] and "not the one catalogued" in rows[newer.name]["message"]
    restored = cli("restore", str(newer), "--force")
    assert restored.code == 13 and "not the one catalogued" in restored.stderr
