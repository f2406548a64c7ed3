"""The issue's 'done when', as one Pilot journey on a new folder: keyboard only, no sleeps."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static
from textual.widgets.text_area import Selection

from tests.support.tui import PASSPHRASE, FakeClock, app_for, confirm_recovery_key, settle
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.lock import LockScreen, RecoveryKeyScreen
from tui.app.screens.pnotes import PsychotherapyScreen
from tui.app.screens.search import SearchScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from tui.app.widgets.safe import SafeTextArea
from vault import OmitCategory, Vault


async def test_new_user_journey(tmp_path: Path) -> None:
    """Create a vault, add a client, sign a SOAP note with a flagged dream, add a
    psychotherapy note, find the note, toggle privacy, and watch the app lock itself."""
    folder = tmp_path / "vault"
    clock = FakeClock()
    app = app_for(folder, clock=clock, idle_seconds=300)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for field in ("#new1", "#new2"):
            app.screen.query_one(field, Input).value = PASSPHRASE
        app.screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        await confirm_recovery_key(pilot)
        assert isinstance(app.screen, ClientListScreen)

        await pilot.press("ctrl+n")
        await pilot.pause()
        app.screen.query_one("#name", Input).value = "Juniper Pretendson"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)

        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#choices", OptionList).highlighted == 0  # SOAP first
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        body = editor.query_one("#body", FlagTextArea)
        body.move_cursor((0, len("Subjective:")))
        body.insert(" Dreamt of a flooded house; calmer at work.")
        start = body.text.index("Dreamt")
        end = body.text.index(";")
        body.selection = Selection(
            body.document.get_location_from_index(start), body.document.get_location_from_index(end)
        )
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")  # dream/fantasy is the first category
        await pilot.pause()
        assert [s.category for s in body.spans] == [OmitCategory.DREAM_FANTASY]
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert editor.note is not None and editor.note.is_signed
        note_id = editor.note_id
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("p")
        await pilot.pause()
        app.screen.query_one("#reauth", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PsychotherapyScreen)
        pnote = app.screen.query_one("#pnote-body", SafeTextArea)
        pnote.insert("Countertransference: felt protective.")
        await pilot.press("ctrl+s")
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+f")
        app.screen.query_one("#query", Input).value = "calmer"
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert [h.note_id for h in app.screen.hits] == [note_id]
        app.screen.query_one("#query", Input).value = "protective"
        await settle(pilot)
        assert app.screen.hits == []  # psychotherapy notes are never searched
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("f2")
        await pilot.pause()
        assert "J.P." in str(app.screen.query_one("#client-header", Static).render())
        await pilot.press("f2")

        clock.advance(301)
        await app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and app.vault is None

    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        note = vault.notes.get(note_id)
        assert note.is_signed and note.spans[0].category is OmitCategory.DREAM_FANTASY
        pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
        assert [p.body for p in pnotes.list(note.client_id)] == [
            "Countertransference: felt protective."
        ]
    finally:
        vault.lock()
