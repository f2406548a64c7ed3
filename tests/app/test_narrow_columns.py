"""At 80 columns no table runs past the right edge: the long columns wrap (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select

from tests.support.tui import app_for, make_practice, settle, unlock
from tui.app.app import ConfideApp
from tui.app.screens.audit import AuditScreen
from tui.app.screens.backup import BackupScreen


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    return make_practice(tmp_path / "vault")


def screen_text(app: ConfideApp) -> str:
    """What the terminal shows, lines joined by spaces (a wrapped cell reads on)."""
    return " ".join(strip.text for strip in app.screen._compositor.render_strips())


def fits(table: DataTable[object]) -> bool:
    """The whole table is in view sideways: nothing to scroll to, nothing cut."""
    return table.virtual_size.width <= table.size.width


async def test_audit_detail_of_a_create_entry_is_whole_at_80_columns(practice: Path) -> None:
    """A note's 'create' entry (client, entry type, participants) reads whole at 80x24."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        app.screen.query_one("#audit-action", Select).value = "create"
        await settle(pilot)
        table = app.screen.query_one("#audit", DataTable)
        detail = str(table.get_row_at(0)[4])
        assert "participants=" in detail  # the entry whose end was cut before
        assert fits(table)
        # Every word of the newest entry's detail is on the screen.
        for word in detail.split():
            assert word in screen_text(app).replace(" ", "")
        # Wider again, one line per entry (the wrap is only for narrow terminals).
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        assert fits(table)
        assert detail in screen_text(app)


async def test_backup_file_column_is_in_view_at_80_columns(practice: Path, tmp_path: Path) -> None:
    """After a backup at 80x24 its file name is on screen (it ran off the edge before)."""
    (tmp_path / "stick").mkdir()
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#drive-path", Input).value = str(tmp_path / "stick")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        table = app.screen.query_one("#backup-generations", DataTable)
        name = str(table.get_row_at(0)[6])
        assert name.endswith(".cfbk")
        assert fits(table)
        shown = screen_text(app)
        assert "File" in shown and ".cfbk" in shown.replace(" ", "")
