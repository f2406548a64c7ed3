"""Restore as a new user would: from the drive, into an empty folder, every record identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backup import add_drive, restore, restore_test, run_backup
from tests.support.cli import Cli
from tests.support.fsimage import mounted_image, needs_root
from tui.workflows.demo import populate
from vault import TEST_PRESET, AuthenticationError, Vault, VaultExistsError


def _everything(folder: Path, passphrase: str) -> dict[str, Any]:
    """Every client, every note (with flags and participants) and every psychotherapy note."""
    v = Vault.unlock(folder, passphrase)
    try:
        clients = sorted(v.clients.list(), key=lambda c: c.id)
        notes = {c.id: [v.notes.get(s.id) for s in v.notes.timeline(c.id)] for c in clients}
        area = v.open_psychotherapy_notes(passphrase)
        pnotes = {c.id: area.list(c.id) for c in clients}
        settings = v.db.query("SELECT key, value FROM settings ORDER BY key")
        audit = v.audit.verify()
        return {
            "clients": clients,
            "notes": notes,
            "pnotes": pnotes,
            "settings": [tuple(r) for r in settings],
            "audit_ok": audit.ok,
            "sealed": [v.clients.sealed_name_blob(c.id) for c in clients],
        }
    finally:
        v.lock()


@needs_root
def test_backup_to_drive_then_restore_into_empty_folder_via_cli(
    cli: Cli, tmp_path: Path, passphrase: str
) -> None:
    """`confide backup run` to a loop-mounted drive, `confide restore` elsewhere: identical."""
    cli.init()
    v = Vault.unlock(cli.vault_dir, passphrase)
    try:
        populate(v, clients=12, notes_per_client=5, pnotes_passphrase=passphrase)
    finally:
        v.lock()
    before = _everything(cli.vault_dir, passphrase)
    assert sum(len(n) for n in before["pnotes"].values()) == 24
    assert len({n.id for ns in before["notes"].values() for n in ns}) == 60
    with mounted_image(tmp_path, size_mb=16, name="usb") as drive:
        assert cli("backup", "drive", "add", str(drive), "--label", "usb", "--json").code == 0
        run = cli("backup", "run", "--to", str(drive), "--json")
        assert run.code == 0, run.stderr
        archive = Path(run.data["path"])  # type: ignore[index]
        assert run.data["status"] == "good"  # type: ignore[index]
        listed = cli("backup", "list", "--json")
        assert [b["status"] for b in listed.data] == ["good"]  # type: ignore[union-attr]
        new_home = tmp_path / "new-laptop" / "vault"
        restored = cli("--vault", str(new_home), "restore", str(archive), "--json")
        assert restored.code == 0, restored.stderr
        assert restored.data["clients"] == 12  # type: ignore[index]
    after = _everything(new_home, passphrase)
    assert after["clients"] == before["clients"]
    assert after["notes"] == before["notes"]
    assert after["pnotes"] == before["pnotes"]
    assert after["settings"] == before["settings"]
    assert after["sealed"] == before["sealed"]
    assert after["audit_ok"]
    status = cli("--vault", str(new_home), "audit", "verify", "--json")
    assert status.code == 0, status.stderr


@pytest.fixture
def backed_up(vault: Vault, passphrase: str, tmp_path: Path) -> Path:
    populate(vault, clients=4, notes_per_client=2, pnotes_passphrase=passphrase)
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive)
    path = run_backup(vault, drive).path
    vault.lock()
    return path


def test_restore_refuses_an_existing_vault_without_force(
    backed_up: Path, vault_dir: Path, passphrase: str
) -> None:
    """Restoring over a vault needs force; without it nothing changes (the CLI's --force hint
    is the face's: test_restore_command_errors_are_one_line)."""
    before = sorted(p.name for p in vault_dir.iterdir())
    with pytest.raises(VaultExistsError, match="a vault already exists at"):
        restore(backed_up, vault_dir, passphrase=passphrase)
    assert sorted(p.name for p in vault_dir.iterdir()) == before


def test_restore_refuses_a_non_empty_folder(
    backed_up: Path, tmp_path: Path, passphrase: str
) -> None:
    """A folder with other files in it is not overwritten."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "letter.txt").write_text("keep me")
    with pytest.raises(VaultExistsError, match="not empty"):
        restore(backed_up, folder, passphrase=passphrase)
    assert (folder / "letter.txt").read_text() == "keep me"


def test_force_replaces_only_after_verifying(
    backed_up: Path, vault_dir: Path, passphrase: str, tmp_path: Path
) -> None:
    """--force with a wrong passphrase leaves the old vault; with the right one replaces it and
    leaves no copy of the old one aside."""
    v = Vault.unlock(vault_dir, passphrase)
    v.clients.add("Added After Backup")
    count_after = v.clients.count()
    v.lock()
    with pytest.raises(AuthenticationError):
        restore(backed_up, vault_dir, passphrase="a wrong passphrase", force=True)
    v = Vault.unlock(vault_dir, passphrase)
    assert v.clients.count() == count_after
    v.lock()
    result = restore(backed_up, vault_dir, passphrase=passphrase, force=True)
    assert result.replaced_existing and result.clients == count_after - 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".vault")) == []
    v = Vault.unlock(vault_dir, passphrase)
    try:
        assert v.clients.count() == count_after - 1
        assert v.audit.verify().ok
    finally:
        v.lock()


def test_restore_refuses_an_open_vault(backed_up: Path, vault_dir: Path, passphrase: str) -> None:
    """A vault open in this or another process is never replaced underneath it."""
    from vault import VaultBusyError

    v = Vault.unlock(vault_dir, passphrase)
    try:
        with pytest.raises(VaultBusyError):
            restore(backed_up, vault_dir, passphrase=passphrase, force=True)
    finally:
        v.lock()


def test_restore_with_recovery_key_sets_new_passphrase(
    new_vault: tuple[Vault, str], backed_up: Path, tmp_path: Path
) -> None:
    """The printed recovery key alone restores; the chosen new passphrase then unlocks."""
    _, recovery_key = new_vault
    result = restore(
        backed_up,
        tmp_path / "fresh",
        recovery_key=recovery_key,
        new_passphrase="brand new passphrase",
    )
    assert result.via == "recovery key"
    v = Vault.unlock(tmp_path / "fresh", "brand new passphrase")
    try:
        assert v.clients.count() == 4
    finally:
        v.lock()


def test_restore_test_checks_and_erases(backed_up: Path, tmp_path: Path, passphrase: str) -> None:
    """The TUI's restore test restores beside the vault, checks the copy and removes it."""
    vault_dir = tmp_path / "vault"
    result = restore_test(backed_up, beside=vault_dir, passphrase=passphrase)
    assert result.clients == 4 and result.audit_entries > 0
    assert not result.folder.exists()
    assert result.folder.parent.parent == vault_dir.parent  # beside the vault, not in /tmp
    assert [p.name for p in tmp_path.iterdir() if "restore-test" in p.name] == []


def test_restored_catalog_marks_its_own_archive_good(
    backed_up: Path, tmp_path: Path, passphrase: str
) -> None:
    """The archive carried its own catalog row as 'writing'; after restore it is 'good'."""
    from backup import Catalog

    restore(backed_up, tmp_path / "r", passphrase=passphrase)
    v = Vault.unlock(tmp_path / "r", passphrase)
    try:
        rows = Catalog(v).backups()
        assert [(r.file_name, r.status) for r in rows] == [(backed_up.name, "good")]
    finally:
        v.lock()


def test_vault_of_another_passphrase_cannot_restore(backed_up: Path, tmp_path: Path) -> None:
    """Another vault's passphrase does not open this archive; nothing is left behind."""
    other, _ = Vault.create(tmp_path / "o", "other vault passphrase", TEST_PRESET)
    other.lock()
    with pytest.raises(AuthenticationError):
        restore(backed_up, tmp_path / "x", passphrase="other vault passphrase")
    assert not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if "restoring" in p.name]


def test_restore_command_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    """Wrong passphrase, existing vault, missing file: exit 1, one line, nothing created."""
    cli.init()
    drive = tmp_path / "stick"
    drive.mkdir()
    cli("backup", "drive", "add", str(drive))
    archive = cli("backup", "run", "--to", str(drive), "--json").data["path"]  # type: ignore[index]
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n")
    wrong.chmod(0o600)
    target = tmp_path / "new"
    result = cli("--vault", str(target), "--passphrase-file", str(wrong), "restore", archive)
    assert result.code == 12 and "wrong passphrase" in result.stderr
    assert result.stderr.count("\n") == 1 and not target.exists()
    exists = cli("restore", archive)
    assert exists.code == 1 and "--force" in exists.stderr
    missing = cli("--vault", str(target), "restore", str(tmp_path / "nope.cfbk"))
    assert missing.code == 2 and "is not a file" in missing.stderr


@needs_root
def test_drive_image_holds_no_plaintext(vault: Vault, passphrase: str, tmp_path: Path) -> None:
    """Every block of the drive, free ones included, after backups and a pruned generation:
    no client name, no note text, no SQLite header."""
    from datetime import UTC, datetime, timedelta

    from backup import BackupSettings, Catalog
    from tests.support.fsimage import mounted_image

    client = vault.clients.add("Zebediah Quillfeather")
    vault.notes.create(client.id, body="marmalade-lighthouse confession in session")
    area = vault.open_psychotherapy_notes(passphrase)
    area.add(client.id, "countertransference-periwinkle noted")
    area.lock()
    Catalog(vault).save_settings(BackupSettings(keep_daily=1, keep_weekly=0, keep_monthly=0))
    with mounted_image(tmp_path, size_mb=16, name="scan") as drive:
        add_drive(vault, drive)
        day = datetime(2026, 2, 1, tzinfo=UTC)
        run_backup(vault, drive, now=day)
        pruned = run_backup(vault, drive, now=day + timedelta(days=1), full=True).pruned
        assert len(pruned) == 1
    raw = (tmp_path / "scan.img").read_bytes()
    for needle in (
        b"Zebediah",
        b"Quillfeather",
        b"marmalade-lighthouse",
        b"countertransference-periwinkle",
        b"SQLite format 3",
    ):
        assert needle not in raw, needle


def test_interrupted_restore_leftovers_are_handled(
    backed_up: Path, vault_dir: Path, passphrase: str
) -> None:
    """A kill mid-restore: the staging folder is erased; a vault left aside is pointed to."""
    staging = vault_dir.parent / f".{vault_dir.name}.restoring-dead"
    staging.mkdir()
    (staging / "record.db").write_bytes(b"half")
    target = vault_dir.parent / "moved"
    aside = vault_dir.parent / f".{target.name}.before-restore-dead"
    vault_dir.rename(aside)
    with pytest.raises(VaultExistsError, match="interrupted restore left the previous vault"):
        restore(backed_up, target, passphrase=passphrase, force=True)
    assert not target.exists() and aside.exists()
    aside.rename(vault_dir)
    restore(backed_up, vault_dir, passphrase=passphrase, force=True)
    assert not staging.exists()
