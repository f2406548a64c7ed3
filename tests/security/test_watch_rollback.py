"""The drive watcher tells the practitioner when the backup drive has seen a later audit log
than the vault holds (record.db and keys.confide put back together; issue 10 item 8), in the
CLI's `backup watch` and in the app, even when no backup is due."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from backup import Catalog, DriveWatcher
from backup.drives import backup_dir
from tests.security.test_drive_rollback import _rolled_back_vault
from tests.support.cli import PASSPHRASE, Cli
from tests.support.tui import app_for, unlock
from vault import TEST_PRESET, Vault

TITLE = "This vault is older than it should be"
HOSTILE = "[bold red]x[blink]\x1b]0;t\x07"


def test_watcher_warns_even_when_no_backup_is_due(vault_dir: Path, tmp_path: Path) -> None:
    drive, _ = _rolled_back_vault(vault_dir, tmp_path)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.rollback_warnings == []  # the two old files agree: unlock alone sees nothing
        events = DriveWatcher(v, roots=[drive.parent]).scan_once()
        kinds = [e.kind for e in events]
        assert kinds == ["found", "rollback", "not_due"]
        warning = events[1].rollback
        assert warning is not None and warning.kind == "drive_newer"
        assert "older than the backup drive" in events[1].message
        assert v.audit.verify().status == "rolled_back"  # audited: `audit verify` exits 16


def test_cli_watch_says_it_on_stderr_even_with_json(
    vault_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    drive, _ = _rolled_back_vault(vault_dir, tmp_path)
    watched = cli("backup", "watch", "--once", "--json", "--root", str(drive.parent))
    assert watched.code == 0, watched.stderr
    assert "confide: WARNING: record.db is older than the backup drive" in watched.stderr
    assert any(e["kind"] == "rollback" for e in watched.data)


async def test_app_shows_it_once_when_the_drive_is_connected_at_unlock(
    vault_dir: Path, tmp_path: Path
) -> None:
    drive, _ = _rolled_back_vault(vault_dir, tmp_path)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        catalog = Catalog(v)
        catalog.save_settings(
            dataclasses.replace(catalog.settings(), watch_roots=(str(drive.parent),))
        )
        known = {r.file_name for r in catalog.backups()}
    # The archive the rolled-back catalogue does not know, under a hostile name from the drive.
    (newer,) = [p for p in backup_dir(drive).iterdir() if p.name not in known]
    newer.rename(newer.with_name(HOSTILE + newer.name))
    app = app_for(vault_dir, watch_drives=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        deadline = time.monotonic() + 60  # a condition wait with a bound, not a fixed sleep
        while not any(n.title == TITLE for n in app._notifications):
            assert time.monotonic() < deadline, [n.message for n in app._notifications]
            await pilot.pause(0.05)
        while app._drive_watcher is not None and app._drive_watcher._scan_lock.locked():
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.pause()
        shown = [n.message for n in app._notifications if n.title == TITLE]
        await app.lock_vault()
    assert len(shown) == 1 and "the backup drive" in shown[0]
    # Markup shown as typed, the escape sequence made visible, never sent to the terminal.
    assert "[bold red]x[blink]" in str(shown[0]) and "\x1b" not in str(shown[0])


async def test_app_shows_an_unlock_rollback_once(vault_dir: Path) -> None:
    """An older record.db found at unlock: one notification that stays (no watcher here)."""
    from tests.security.test_rollback import _roll_back_record_db

    Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)[0].lock()
    _roll_back_record_db(vault_dir)
    app = app_for(vault_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert app.vault is not None and app.vault.rollback_warnings
        app.show_rollback(app.vault.rollback_warnings[0])  # found again: not shown twice
        await pilot.pause()
        shown = [n.message for n in app._notifications if n.title == TITLE]
        await app.lock_vault()
    assert len(shown) == 1 and "record.db is older than the key file" in shown[0]
