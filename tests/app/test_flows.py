"""Pilot tests of the app's flows on real temp vaults (cheap KDF preset, no sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, Static

from tests.support.tui import (
    PASSPHRASE,
    app_for,
    confirm_recovery_key,
    make_empty,
    make_practice,
    settle,
    static_text,
    table_column,
    unlock,
)
from tui.app.screens.clients import ClientFormModal, ClientListScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.lock import CreateVaultScreen, LockScreen, RecoveryKeyScreen
from tui.app.screens.modals import ChoiceModal, ConfirmModal
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from tui.app.widgets.row_list import RowList
from vault import TEST_PRESET, EntryType, OmitCategory, OmitSpan, Vault


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    return make_practice(tmp_path / "vault")


def with_vault(folder: Path) -> Vault:
    return Vault.unlock(folder, PASSPHRASE)


async def test_unlock_opens_client_list_sorted_by_last_service(practice: Path) -> None:
    """The right passphrase opens the client list, most recent service first."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LockScreen)
        await unlock(pilot)
        assert isinstance(app.screen, ClientListScreen)
        dates = app.screen.query_one("#clients", RowList).column(2)
        assert len(dates) == 8
        assert dates == sorted(dates, reverse=True)


async def test_wrong_passphrase_is_said_plainly(practice: Path) -> None:
    """A wrong passphrase keeps the lock screen and says so in plain words."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot, "not the passphrase")
        assert isinstance(app.screen, LockScreen)
        assert app.vault is None
        assert "Wrong passphrase" in static_text(app.screen.query_one("#lock-error", Static))
        assert app.screen.query_one("#passphrase", Input).value == ""


async def test_demo_passphrase_hint_is_shown(practice: Path) -> None:
    """`confide demo` passes its passphrase, which the lock screen shows as a hint."""
    app = app_for(practice, demo_passphrase="demo passphrase")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "demo passphrase" in static_text(app.screen.query_one("#demo-hint", Static))


async def test_first_run_creates_vault_and_shows_recovery_key_once(tmp_path: Path) -> None:
    """An empty folder offers creation; the recovery key needs an explicit 'saved'."""
    folder = tmp_path / "new"
    app = app_for(folder)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CreateVaultScreen)
        app.screen.query_one("#new1", Input).value = PASSPHRASE
        app.screen.query_one("#new2", Input).value = "something else"
        app.screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "differ" in static_text(app.screen.query_one("#lock-error", Static))
        app.screen.query_one("#new2", Input).value = PASSPHRASE
        app.screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        key = static_text(app.screen.query_one("#recovery-key", Static))
        assert len(key) > 20
        assert await confirm_recovery_key(pilot) == key
        assert isinstance(app.screen, ClientListScreen)
    Vault.recover(folder, key).abandon()  # the key shown really opens this vault


async def test_recovery_key_unlock_sets_new_passphrase(tmp_path: Path) -> None:
    """ctrl+r on the lock screen unlocks with the recovery key and sets a new passphrase."""
    folder = tmp_path / "vault"
    vault, recovery_key = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    vault.lock()
    app = app_for(folder)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        app.screen.query_one("#recovery", Input).value = recovery_key
        app.screen.query_one("#new1", Input).value = "a brand new passphrase"
        app.screen.query_one("#new2", Input).value = "a brand new passphrase"
        app.screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
    Vault.unlock(folder, "a brand new passphrase").lock()


async def test_filter_as_you_type(practice: Path) -> None:
    """Typing in the filter narrows the list at each keystroke."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        table = app.screen.query_one("#clients", RowList)
        await pilot.press("h", "a", "z")
        assert table.column(0) == ["Hazel Fictive"]
        await pilot.press("q")
        assert table.row_count == 0
        assert "No client matches" in static_text(app.screen.query_one("#client-count", Static))


async def test_add_client_then_bad_date_is_explained(tmp_path: Path) -> None:
    """ctrl+n adds a client; a bad date shows the vault's message and keeps the form."""
    folder = make_empty(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test() as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ClientFormModal)
        app.screen.query_one("#name", Input).value = "Quill Testwell"
        app.screen.query_one("#dob", Input).value = "1990-13-45"
        await pilot.click("#save")
        await pilot.pause()
        assert isinstance(app.screen, ClientFormModal)
        assert "not a date" in static_text(app.screen.query_one("#client-error", Static))
        app.screen.query_one("#dob", Input).value = "1990-01-05"
        app.screen.query_one("#dob", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        assert "Quill Testwell" in static_text(app.screen.query_one("#client-header", Static))


async def open_first_client(pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("enter")
    await settle(pilot)


async def write_new_note(pilot: object, template: str = "soap") -> NoteEditorScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    app = pilot.app
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(app.screen, ChoiceModal)
    options = app.screen.query_one("#choices", OptionList)
    options.highlighted = [o.id for o in options.options].index(template)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, NoteEditorScreen)
    return app.screen


async def test_create_autosave_sign_and_addendum(practice: Path) -> None:
    """A new SOAP note saves on screen change, signs after confirmation, then takes addenda."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        editor = await write_new_note(pilot)
        body = editor.query_one("#body", FlagTextArea)
        assert body.text.startswith("Subjective:")
        body.move_cursor((0, len("Subjective:")))
        await pilot.press(*" slept well")
        note_id = editor.note_id
        await pilot.press("ctrl+g")  # sign asks first, after saving
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.click("#no")
        await pilot.pause()
        assert editor.note is not None and not editor.note.is_signed
        assert "slept well" in editor.note.body  # saved before the question
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert editor.note.is_signed
        assert body.read_only
        assert "SIGNED" in static_text(editor.query_one("#note-title", Static))
        await pilot.press("ctrl+n")
        await settle(pilot)
        addendum = app.screen
        assert isinstance(addendum, NoteEditorScreen) and addendum.note is not None
        assert addendum.note.entry_type is EntryType.ADDENDUM
        assert addendum.note.parent_id == note_id
        addendum.query_one("#body", FlagTextArea).insert("Correction: slept badly")
        await pilot.press("escape")  # leaving the editor saves
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        kinds = table_column(app.screen.query_one("#timeline", DataTable), 2)
        assert any("ADDENDUM" in k for k in kinds)
    vault = with_vault(practice)
    try:
        assert vault.notes.get(addendum.note_id).body == "Correction: slept badly"
        assert vault.notes.get(note_id).is_signed
    finally:
        vault.lock()


async def test_autosave_timer_saves_draft(practice: Path) -> None:
    """The periodic autosave writes a changed draft to the vault without any key."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        editor = await write_new_note(pilot, "free")
        await pilot.press(*"autosaved")
        # The 3-second timer may already have run on a loaded machine; either way the
        # autosave (timer or this call) leaves nothing unsaved.
        editor.autosave()
        assert not editor.dirty
        note_id = editor.note_id
    vault = with_vault(practice)
    try:
        assert vault.notes.get(note_id).body == "autosaved"
    finally:
        vault.lock()


async def test_late_entry_is_marked(practice: Path) -> None:
    """A late entry asks for date and reason and is marked LATE ENTRY in the timeline."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("enter")  # first template
        await pilot.pause()
        app.screen.query_one("#late-date", Input).value = "2026-11-01"
        app.screen.query_one("#late-reason", Input).value = "power cut"
        app.screen.query_one("#late-reason", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditorScreen)
        assert "LATE ENTRY" in static_text(app.screen.query_one("#note-title", Static))
        await pilot.press("escape")
        await settle(pilot)
        kinds = table_column(app.screen.query_one("#timeline", DataTable), 2)
        assert any("LATE ENTRY" in k for k in kinds)


async def select_text(editor: NoteEditorScreen, needle: str) -> tuple[int, int]:
    body = editor.query_one("#body", FlagTextArea)
    start = body.text.index(needle)
    end = start + len(needle)
    from textual.widgets.text_area import Selection

    body.selection = Selection(
        body.document.get_location_from_index(start), body.document.get_location_from_index(end)
    )
    return start, end


async def test_flag_and_unflag_survive_reopen(practice: Path) -> None:
    """Select, ctrl+o, pick a category: the span is highlighted, saved, and unflag works."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        editor = await write_new_note(pilot, "free")
        editor.query_one("#body", FlagTextArea).insert(
            "Client dreamt of a flooded house. Otherwise fine."
        )
        start, end = await select_text(editor, "dreamt of a flooded house")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        options = app.screen.query_one("#choices", OptionList)
        options.highlighted = [o.id for o in options.options].index("dream-fantasy")
        await pilot.press("enter")
        await pilot.pause()
        body = editor.query_one("#body", FlagTextArea)
        assert body.spans == (OmitSpan(start, end, OmitCategory.DREAM_FANTASY),)
        line = body.get_line(0)
        styled = [s for s in line.spans if s.start == start]
        assert styled, "the flagged passage is highlighted"
        assert "dream/fantasy" in static_text(editor.query_one("#flags", Static))
        note_id = editor.note_id
        await pilot.press("escape")
        await settle(pilot)
        app.open_note(note_id)
        await settle(pilot)
        reopened = app.screen
        assert isinstance(reopened, NoteEditorScreen)
        body = reopened.query_one("#body", FlagTextArea)
        assert body.spans == (OmitSpan(start, end, OmitCategory.DREAM_FANTASY),)
        body.move_cursor(body.document.get_location_from_index(start + 3))
        await pilot.pause()
        assert "flagged passage (dream/fantasy)" in static_text(
            reopened.query_one("#editor-status", Static)
        )
        await pilot.press("ctrl+o")  # no selection, cursor inside: unflag
        await pilot.pause()
        assert body.spans == ()
        await pilot.press("escape")
        await settle(pilot)
    vault = with_vault(practice)
    try:
        assert vault.notes.get(note_id).spans == ()
    finally:
        vault.lock()


async def test_flags_on_signed_note_are_allowed(practice: Path) -> None:
    """A signed note stays read-only but its passages can still be flagged."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        table = app.screen.query_one("#timeline", DataTable)
        statuses = table_column(table, 3)
        table.move_cursor(row=next(i for i, s in enumerate(statuses) if s.startswith("signed")))
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen) and editor.note is not None
        before = len(editor.note.spans)
        await select_text(editor, "oriented")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert len(editor.note.spans) == before + 1
        assert editor.note.is_signed


async def test_spans_follow_typing_and_disappear_when_deleted(practice: Path) -> None:
    """Typing before a flag moves it; deleting its text removes it; undo restores it."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        editor = await write_new_note(pilot, "free")
        editor.query_one("#body", FlagTextArea).insert("AB secret CD")
        await select_text(editor, "secret")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        body = editor.query_one("#body", FlagTextArea)
        body.move_cursor((0, 0))
        await pilot.press("x", "y")
        (span,) = body.spans
        assert body.text[span.start : span.end] == "secret"
        body.move_cursor((0, span.end))
        await pilot.press(*"!!")  # typed at the span's edge: stays outside it
        (span,) = body.spans
        assert body.text[span.start : span.end] == "secret"
        await select_text(editor, "secret")
        await pilot.press("backspace")
        assert body.spans == ()
        await pilot.press("ctrl+z")
        (span,) = body.spans
        assert body.text[span.start : span.end] == "secret"


async def test_quitting_saves_the_open_draft(practice: Path) -> None:
    """ctrl+q with unsaved typing: the draft is in the vault afterwards."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        editor = await write_new_note(pilot, "free")
        await pilot.press(*"last words")
        note_id = editor.note_id
        await pilot.press("ctrl+q")
        await pilot.pause()
    vault = with_vault(practice)
    try:
        assert vault.notes.get(note_id).body == "last words"
    finally:
        vault.lock()


async def test_closing_a_client_as_it_opens_does_not_crash(practice: Path) -> None:
    """Opening a timeline and leaving it at once, repeatedly, leaves the app running.

    Guards the header race seen once in the bench (Textual's title watcher after unmount)."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        for _ in range(5):
            app.open_client(1)
            while not (
                isinstance(app.screen, TimelineScreen)
                and app.screen.query("#timeline")
                and app.screen.query_one("#timeline", DataTable).row_count
            ):
                await pilot.pause()
            app.pop_screen()
            await pilot.pause()
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
        assert app.return_code is None  # still running, no exception


async def test_big_practice_list_is_capped_and_filter_finds_the_rest(tmp_path: Path) -> None:
    """Beyond 60 clients the list shows the most recent and says so; the filter finds others."""
    folder = make_empty(tmp_path / "vault")
    vault = with_vault(folder)
    try:
        for i in range(65):
            vault.clients.add(
                f"Pepper Fakeley {i:02d}", last_service_date=f"2026-01-{1 + i % 28:02d}"
            )
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test() as pilot:
        await unlock(pilot)
        table = app.screen.query_one("#clients", RowList)
        assert table.row_count == 60
        assert "60 most recent of 65" in static_text(app.screen.query_one("#client-count", Static))
        app.screen.query_one("#filter", Input).value = "Fakeley 64"
        await pilot.pause()
        assert table.column(0) == ["Pepper Fakeley 64"]


async def test_sign_confirmation_answers_to_y_and_n(practice: Path) -> None:
    """In the sign question, n cancels and y signs, without reaching for the buttons."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        await open_first_client(pilot)
        editor = await write_new_note(pilot, "free")
        await pilot.press("o", "k", "ctrl+g")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is editor and editor.note is not None and not editor.note.is_signed
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert editor.note.is_signed and editor.note.body == "ok"


async def test_vault_open_elsewhere_is_explained(practice: Path) -> None:
    """If another Confide holds the vault, unlocking says so in one sentence."""
    other = with_vault(practice)
    try:
        app = app_for(practice)
        async with app.run_test() as pilot:
            await unlock(pilot)
            assert isinstance(app.screen, LockScreen)
            error = static_text(app.screen.query_one("#lock-error", Static))
            assert "open in another Confide process" in error
    finally:
        other.lock()


async def test_non_empty_folder_without_vault_is_refused_plainly(tmp_path: Path) -> None:
    """Creating a vault in a folder with other files explains why and creates nothing."""
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"not a vault")
    app = app_for(folder)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CreateVaultScreen)
        for field in ("#new1", "#new2"):
            app.screen.query_one(field, Input).value = PASSPHRASE
        app.screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "not empty" in static_text(app.screen.query_one("#lock-error", Static))
    assert sorted(p.name for p in folder.iterdir()) == ["holiday.jpg"]
