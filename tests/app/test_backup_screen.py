"""The backup screen with Pilot: back up with progress, verify, and the restore test."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

from textual.widgets import DataTable, Input, ProgressBar

from backup import Catalog, add_drive
from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, unlock
from tui.app.screens.backup import BackupScreen, watch_drives_in_app
from vault import Vault


def _designate(folder: Path, drive: Path) -> None:
    drive.mkdir()
    v = Vault.unlock(folder, PASSPHRASE)
    try:
        add_drive(v, drive, "stick")
    finally:
        v.lock()


def _column(table: DataTable, index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def test_backup_screen_backs_up_verifies_and_restore_tests(tmp_path: Path) -> None:
    """b writes a verified backup (progress shown), v verifies, t restores into a temp folder."""
    folder = make_practice(tmp_path / "vault")
    _designate(folder, tmp_path / "stick")
    app = app_for(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        drives = screen.query_one("#backup-drives", DataTable)
        assert _column(drives, 1) == ["stick"] and _column(drives, 3) == ["yes"]
        await pilot.press("b")
        await settle(pilot)
        gens = screen.query_one("#backup-generations", DataTable)
        assert _column(gens, 1) == ["good"]
        bar = screen.query_one("#backup-progress", ProgressBar)
        assert bar.total and bar.progress == bar.total  # the read-back reached the end
        assert any("written and verified" in n.message for n in app._notifications)
        await pilot.press("v")
        await settle(pilot)
        assert any("verified" in n.message and "All 1" in n.message for n in app._notifications)
        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one(Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(pilot)
        assert any("Restore test passed: 8 clients" in n.message for n in app._notifications)
    v = Vault.unlock(folder, PASSPHRASE)
    try:
        assert [r.status for r in Catalog(v).backups()] == ["good"]
    finally:
        v.lock()


async def test_backup_screen_without_drive_says_so(tmp_path: Path) -> None:
    """A designated drive that is not connected: a clear error, nothing catalogued."""
    folder = make_practice(tmp_path / "vault")
    _designate(folder, tmp_path / "stick")
    shutil.rmtree(tmp_path / "stick")  # unplugged; having no drive at all: test_tui_polish_backup
    app = app_for(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert any(
            "no designated backup drive is connected" in n.message for n in app._notifications
        )


async def test_drive_watcher_in_app_notifies(tmp_path: Path) -> None:
    """With the app unlocked, a designated drive appearing under a watched root is backed up
    and the user is told."""
    folder = make_practice(tmp_path / "vault")
    media = tmp_path / "media"
    media.mkdir()
    stick = tmp_path / "stick"
    _designate(folder, stick)
    v = Vault.unlock(folder, PASSPHRASE)
    try:
        catalog = Catalog(v)
        catalog.save_settings(
            replace(catalog.settings(), watch_roots=(str(media),), rescan_seconds=300)
        )
    finally:
        v.lock()
    app = app_for(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert app.vault is not None
        watcher = watch_drives_in_app(app, app.vault)
        try:
            stick.rename(media / "STICK")  # the drive appears, as a mount would
            await asyncio.to_thread(watcher.scan_once)
            await settle(pilot)
        finally:
            await asyncio.to_thread(watcher.stop)
        assert any("backup written and verified" in n.message for n in app._notifications)
