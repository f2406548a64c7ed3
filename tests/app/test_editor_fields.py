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


async def test_session_fields_and_their_hints_are_whole_at_80_columns(tmp_path: Path) -> None:
    """At 80x24 the Modality hint read `e.g. in` and a typed `individual` showed `ndividual`
    (the field was narrower than its text and the cursor): both are whole now."""
    folder = make_empty(tmp_path / "vault")
    v = Vault.unlock(folder, PASSPHRASE)
    try:
        client = v.clients.add("Pat Example")
        empty = v.notes.create(client.id, "free", body="x", session=SessionInfo("2026-11-20"))
        filled = v.notes.create(
            client.id,
            "free",
            body="x",
            session=SessionInfo("2026-11-20", "10:00", "10:50", "90837", "individual"),
        )
    finally:
        v.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_note(empty.id)
        await settle(pilot)
        row = [s.text for s in app.screen._compositor.render_strips()][3]
        for hint in ("2026-11-20", "HH:MM", "e.g. 90834", "e.g. in person", "e.g. F41.1, F32.0"):
            assert hint in row, row
        await pilot.press("escape")
        await settle(pilot)
        app.open_note(filled.id)
        await settle(pilot)
        field = app.screen.query_one("#meta-modality", Input)
        field.focus()
        await pilot.press("end")  # the cursor after the last letter
        await pilot.pause()
        row = [s.text for s in app.screen._compositor.render_strips()][3]
        assert "individual" in row and "90837" in row and "10:50" in row
