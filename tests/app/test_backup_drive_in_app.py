"""Backup screen polish found in hands-on QA: a new user can designate a drive inside the app."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, ProgressBar

from tests.support.tui import app_for, make_practice, settle, unlock
from tui.app.screens.backup import AddDriveModal, BackupScreen
from tui.app.screens.modals import PassphraseModal


def _messages(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_new_user_designates_a_drive_in_the_app_and_backs_up(tmp_path: Path) -> None:
    """With no drive, a asks for the folder and label; the drive is listed and b backs up to it."""
    folder = make_practice(tmp_path / "vault")
    stick = tmp_path / "stick"
    stick.mkdir()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddDriveModal)
        app.screen.query_one("#drive-path", Input).value = str(stick)
        await pilot.press("enter")
        app.screen.query_one("#drive-label", Input).value = "stick"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        drives = screen.query_one("#backup-drives", DataTable)
        assert [str(drives.get_row_at(i)[1]) for i in range(drives.row_count)] == ["stick"]
        await pilot.press("b")
        await settle(pilot)
        assert any("written and verified" in m for m in _messages(app))
    assert list((stick / "confide-backups").iterdir())


async def test_designating_a_missing_folder_says_so(tmp_path: Path) -> None:
    """A mistyped folder gives a one-line error and designates nothing."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        screen = app.screen
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#drive-path", Input).value = str(tmp_path / "nope")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert any("is not a folder" in m for m in _messages(app))
        assert screen.query_one("#backup-drives", DataTable).row_count == 0


async def test_without_a_drive_b_and_t_say_what_to_do_first(tmp_path: Path) -> None:
    """b without a drive points to a (not 'plug it in'); t without a backup asks no passphrase."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert any("Press a to designate" in m for m in _messages(app))
        assert not any("plug it in" in m for m in _messages(app))
        await pilot.press("t")
        await settle(pilot)
        assert not isinstance(app.screen, PassphraseModal)
        assert any("no backup to test yet" in m for m in _messages(app))


async def test_progress_bar_appears_only_with_work(tmp_path: Path) -> None:
    """The idle screen shows no pulsing progress bar; a backup shows it running to the end."""
    folder = make_practice(tmp_path / "vault")
    (tmp_path / "stick").mkdir()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        screen = app.screen
        bar = screen.query_one("#backup-progress", ProgressBar)
        assert not bar.display
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#drive-path", Input).value = str(tmp_path / "stick")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert bar.display and bar.total and bar.progress == bar.total


async def test_backup_status_is_visible_at_80_columns(tmp_path: Path) -> None:
    """At 80x24 a backup's row shows its status, verification time and drive label uncut."""
    folder = make_practice(tmp_path / "vault")
    (tmp_path / "stick").mkdir()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#drive-path", Input).value = str(tmp_path / "stick")
        await pilot.press("enter")
        app.screen.query_one("#drive-label", Input).value = "stick"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        gens = app.screen.query_one("#backup-generations", DataTable)
        row = [str(c) for c in gens.get_row_at(0)]
        screen_text = app.export_screenshot()
        assert "good" in row and "stick" in row
        for header in ("Status", "Verified", "Drive"):
            assert header in screen_text
