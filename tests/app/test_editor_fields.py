"""Note editor polish found in hands-on QA: the session fields look like fields to fill."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.support.tui import PASSPHRASE, app_for, make_empty, settle, unlock
from tui.app.screens.editor import NoteEditorScreen
from vault import SessionInfo, Vault


async def test_empty_session_fields_show_what_to_type_until_signed(tmp_path: Path) -> None:
    """A draft's empty Start/End/Code fields show examples; a signed note's show none."""
    folder = make_empty(tmp_path / "vault")
    v = Vault.unlock(folder, PASSPHRASE)
    try:
        client = v.clients.add("Pat Example")
        note = v.notes.create(
            client.id,
            "free",
            body="Slept well this week.",
            session=SessionInfo(session_date="2026-11-20"),
        )
    finally:
        v.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_note(note.id)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NoteEditorScreen)
        assert "HH:MM" in app.export_screenshot()
        assert screen.query_one("#meta-start", Input).placeholder == "HH:MM"
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.note is not None and screen.note.is_signed
        assert "HH:MM" not in app.export_screenshot()
