"""Audit-log polish found in hands-on QA: F3 opens it from a note, not only from the list."""

from __future__ import annotations

from pathlib import Path

from tests.support.tui import app_for, make_practice, settle, unlock
from tui.app.screens.audit import AuditScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.widgets.row_list import RowList


async def test_f3_opens_the_audit_log_from_a_note_and_escape_returns(tmp_path: Path) -> None:
    """F3 in the note editor shows the audit log once; escape goes back to the same note."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.screen.query_one("#clients", RowList).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        await pilot.press("f3")  # already there: not stacked twice
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor
