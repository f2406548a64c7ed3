"""Pilot tests: psychotherapy notes, privacy mode, search, idle lock, audit, the palette."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, OptionList, Static

from tests.support.tui import (
    PASSPHRASE,
    FakeClock,
    app_for,
    make_practice,
    settle,
    static_text,
    table_column,
    unlock,
)
from tui.app.app import ConfideApp
from tui.app.screens.audit import AuditScreen
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.lock import LockScreen
from tui.app.screens.modals import ChangePassphraseModal, PassphraseModal
from tui.app.screens.pnotes import PsychotherapyScreen
from tui.app.screens.search import NoteSearchProvider, SearchScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from tui.app.widgets.row_list import RowList
from vault import Vault


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    return make_practice(tmp_path / "vault")


async def open_client(pilot: object, name: str) -> TimelineScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    app = pilot.app
    assert isinstance(app.screen, ClientListScreen)
    app.screen.query_one("#filter", Input).value = name
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, TimelineScreen)
    return app.screen


async def enter_passphrase(pilot: object, passphrase: str) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    assert isinstance(pilot.app.screen, PassphraseModal)
    pilot.app.screen.query_one("#reauth", Input).value = passphrase
    await pilot.press("enter")
    await settle(pilot)


async def test_pnotes_need_passphrase_again_and_relock_when_idle(practice: Path) -> None:
    """p asks for the passphrase (wrong is refused), shows a distinct area, relocks idle."""
    clock = FakeClock()
    app = app_for(practice, clock=clock, pnotes_idle_seconds=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_client(pilot, "Alder")
        await pilot.press("p")
        await pilot.pause()
        await enter_passphrase(pilot, "wrong passphrase")
        assert isinstance(app.screen, PassphraseModal)
        assert "Wrong passphrase" in static_text(app.screen.query_one("#reauth-error", Static))
        await enter_passphrase(pilot, PASSPHRASE)
        screen = app.screen
        assert isinstance(screen, PsychotherapyScreen)
        assert screen.has_class("pnotes")
        assert "PSYCHOTHERAPY NOTES" in static_text(screen.query_one("#pnotes-banner", Static))
        assert screen.query_one("#pnotes-list", DataTable).row_count == 1
        await pilot.press(*"private")
        await pilot.press("ctrl+s")
        assert screen.query_one("#pnotes-list", DataTable).row_count == 2
        clock.advance(59)
        screen.check_relock()
        assert app.screen is screen
        clock.advance(2)
        screen.check_relock()
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        assert screen.pnotes.is_locked
        await pilot.press("p")  # opening again needs the passphrase again
        await pilot.pause()
        assert isinstance(app.screen, PassphraseModal)


async def test_pnotes_never_in_search_or_timeline(practice: Path) -> None:
    """Words only in psychotherapy notes find nothing; the timeline lists general notes only."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+f")
        await pilot.press(*"countertransference")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.hits == []
        assert "No notes match" in static_text(app.screen.query_one("#search-status", Static))
        await pilot.press("escape")
        await pilot.pause()
        timeline = await open_client(pilot, "Alder")
        assert timeline.query_one("#timeline", DataTable).row_count == 3


async def test_search_ranks_highlights_and_opens_the_note(practice: Path) -> None:
    """Search shows ranked hits with the matched word highlighted; enter opens that note."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+f")
        await pilot.press(*"cannabis")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert screen.hits
        scores = [h.score for h in screen.hits]
        assert scores == sorted(scores)  # bm25: lower is better, best first
        prompt = screen.query_one("#results", OptionList).get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        marked = [prompt.plain[s.start : s.end] for s in prompt.spans if "reverse" in str(s.style)]
        assert "cannabis" in [m.lower() for m in marked]
        first = screen.hits[0].note_id
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditorScreen)
        assert app.screen.note_id == first
        assert "cannabis" in app.screen.query_one("#body", FlagTextArea).text


async def test_palette_provider_finds_notes_and_clients(practice: Path) -> None:
    """The command-palette provider lists clients and notes; running a note hit opens it."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        provider = NoteSearchProvider(app.screen)
        hits = [hit async for hit in provider.search("Hazel")]
        assert any("Client: Hazel Fictive" in str(h.match_display) for h in hits)
        hits = [hit async for hit in provider.search("cannabis")]
        notes = [h for h in hits if str(h.match_display).startswith("Note:")]
        assert notes
        notes[0].command()
        await settle(pilot)
        assert isinstance(app.screen, NoteEditorScreen)


async def test_privacy_mode_initials_and_hidden_flags(practice: Path) -> None:
    """F2: initials everywhere, flagged passages withheld, psychotherapy notes refused."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await pilot.press("f2")
        names = app.screen.query_one("#clients", RowList).column(0)
        assert "Hazel Fictive" not in names and "H.F." in names
        vault_hit = None
        await pilot.press("ctrl+f")
        await pilot.press(*"cannabis")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        assert search.hits == []  # "cannabis" is only ever in flagged passages
        await pilot.press("f2")  # privacy off: the flagged word matches again
        await settle(pilot)
        vault_hit = search.hits[0]
        await pilot.press("f2")
        await settle(pilot)
        assert search.hits == []
        search.query_one("#query", Input).value = "weekly"
        await settle(pilot)
        assert search.hits
        prompt = search.query_one("#results", OptionList).get_option_at_index(0).prompt
        assert search.hits[0].client_display_name not in str(prompt)
        app.open_note(vault_hit.note_id)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        shown = static_text(editor.query_one("#privacy-view", Static))
        assert "[withheld: substance use]" in shown and "cannabis" not in shown
        assert not editor.query_one("#body", FlagTextArea).display
        assert vault_hit.client_display_name not in static_text(
            editor.query_one("#note-title", Static)
        )
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        await open_client(pilot, "Alder")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, TimelineScreen)  # no passphrase prompt in privacy mode
        await pilot.press("f2")
        await pilot.pause()
        assert "Alder Sampleton" in static_text(app.screen.query_one("#client-header", Static))


async def test_privacy_mode_hides_open_pnotes(practice: Path) -> None:
    """Turning privacy on inside the psychotherapy area hides its text at once."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_client(pilot, "Alder")
        await pilot.press("p")
        await pilot.pause()
        await enter_passphrase(pilot, PASSPHRASE)
        screen = app.screen
        assert isinstance(screen, PsychotherapyScreen)
        assert "Process note" in table_column(screen.query_one("#pnotes-list", DataTable), 2)[0]
        await pilot.press("f2")
        await pilot.pause()
        assert table_column(screen.query_one("#pnotes-list", DataTable), 2) == ["(hidden)"]
        assert not screen.query_one("#pnote-body").display


async def test_idle_lock_saves_clears_and_resumes(practice: Path) -> None:
    """After the idle time the draft is saved, keys dropped, screens cleared; unlock resumes."""
    clock = FakeClock()
    app = app_for(practice, clock=clock, idle_seconds=300)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_client(pilot, "Hazel")
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        note_id = editor.note_id
        await pilot.press(*"unsaved")
        clock.advance(200)
        await pilot.press("x")  # activity restarts the idle time
        clock.advance(200)
        await app.check_idle_lock()
        assert app.vault is not None
        clock.advance(101)
        await app.check_idle_lock()
        await settle(pilot)
        assert app.vault is None
        assert isinstance(app.screen, LockScreen)
        assert len(app.screen_stack) == 2  # the default screen and the lock screen only
        assert "without activity" in static_text(app.screen.query_one("#lock-message", Static))
        vault = Vault.unlock(practice, PASSPHRASE)  # the process lock was released
        try:
            assert "unsavedx" in vault.notes.get(note_id).body
        finally:
            vault.lock()
        await unlock(pilot)
        assert isinstance(app.screen, NoteEditorScreen) and app.screen.note_id == note_id
        assert [type(s).__name__ for s in app.screen_stack[1:]] == [
            "ClientListScreen",
            "TimelineScreen",
            "NoteEditorScreen",
        ]


async def test_lock_key_locks_from_anywhere(practice: Path) -> None:
    """ctrl+l locks even from a modal, and the footer then offers no vault actions."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+n")  # the new-client modal
        await pilot.pause()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and app.vault is None
        assert app.check_action("search", ()) is False


async def test_audit_view_newest_first_and_verified(practice: Path) -> None:
    """F3 shows the audit log newest first with the chain verified."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        assert "Chain verified" in static_text(screen.query_one("#audit-status", Static))
        seqs = [int(s) for s in table_column(screen.query_one("#audit", DataTable), 0)]
        assert seqs == sorted(seqs, reverse=True) and len(seqs) > 10
        actions = table_column(screen.query_one("#audit", DataTable), 2)
        assert "unlock" in actions[:5]


async def test_palette_commands_and_change_passphrase(practice: Path) -> None:
    """System commands cover lock, new note, search, privacy, passphrase; the change works."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in (
            "Lock",
            "New note",
            "Search notes",
            "Privacy mode",
            "Change passphrase",
            "Audit log",
            "Light/dark",
        ):
            assert title in titles
        app.action_change_passphrase()
        await pilot.pause()
        assert isinstance(app.screen, ChangePassphraseModal)
        app.screen.query_one("#current", Input).value = PASSPHRASE
        app.screen.query_one("#new1", Input).value = "another fine passphrase"
        app.screen.query_one("#new2", Input).value = "another fine passphrase"
        app.screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        await app.lock_vault()
    Vault.unlock(practice, "another fine passphrase").lock()


async def test_light_theme_renders(practice: Path) -> None:
    """The light/dark command switches theme and screens keep rendering."""
    app = app_for(practice)
    async with app.run_test() as pilot:
        await unlock(pilot)
        app.action_toggle_dark()
        await pilot.pause()
        assert not app.current_theme.dark
        assert "Alder" in app.export_screenshot()


def test_app_constructor_matches_cli(tmp_path: Path) -> None:
    """The CLI's call `ConfideApp(folder=..., demo_passphrase=...)` keeps working."""
    app = ConfideApp(folder=tmp_path, demo_passphrase="demo passphrase")
    assert app.folder == tmp_path and app.idle_seconds == 300


async def test_pnotes_hidden_when_they_relock_under_a_modal(practice: Path) -> None:
    """If the area relocks while a dialog covers it, its text is hidden at once."""
    from tui.app.screens.modals import ConfirmModal

    clock = FakeClock()
    app = app_for(practice, clock=clock, pnotes_idle_seconds=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await open_client(pilot, "Alder")
        await pilot.press("p")
        await pilot.pause()
        await enter_passphrase(pilot, PASSPHRASE)
        screen = app.screen
        assert isinstance(screen, PsychotherapyScreen)
        await app.push_screen(ConfirmModal("Anything?"))
        clock.advance(61)
        screen.check_relock()
        assert not screen.query_one("#pnote-body").display
        assert screen.query_one("#pnotes-list", DataTable).row_count == 0
        await pilot.press("escape")
        await pilot.pause()
        screen.check_relock()
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)


async def test_command_palette_runs_lock_and_has_no_screenshot(practice: Path) -> None:
    """ctrl+p, type a command, enter: the palette runs it; 'screenshot' finds nothing."""
    from textual.command import CommandList, CommandPalette

    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"screenshot")
        await settle(pilot)
        commands = app.screen.query_one(CommandList)
        prompts = [
            str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        ]
        assert not any("Screenshot" in p for p in prompts)
        for _ in "screenshot":
            await pilot.press("backspace")
        await pilot.press(*"lock")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and app.vault is None


@pytest.mark.parametrize(
    ("value", "seconds"), [("10", 600.0), ("0.5", 300.0), ("soon", 300.0), ("", 300.0)]
)
def test_idle_minutes_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, seconds: float
) -> None:
    """CONFIDE_IDLE_MINUTES sets the auto-lock (1-60 min); a bad value keeps 5 minutes."""
    monkeypatch.setenv("CONFIDE_IDLE_MINUTES", value)
    app = ConfideApp(folder=tmp_path)
    assert app.idle_seconds == seconds
    assert bool(app._idle_problem) == (value in ("0.5", "soon"))


async def test_palette_reaches_backup_release_and_authorizations(practice: Path) -> None:
    """The other features' screens are reachable: backup anywhere, release for the open client."""
    from tui.app.screens.backup import BackupScreen
    from tui.app.screens.release import AuthorizationsScreen, ReleaseScreen

    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Backup", "Release records", "Authorizations"} <= set(titles)
        app.action_release()  # on the client list: for the highlighted client (polish QA)
        await settle(pilot)
        assert isinstance(app.screen, ReleaseScreen)
        app.pop_screen()
        await pilot.pause()
        assert isinstance(app.screen, ClientListScreen)
        app.action_backup()
        await settle(pilot)
        assert isinstance(app.screen, BackupScreen)
        app.pop_screen()
        await pilot.pause()
        timeline = await open_client(pilot, "Alder")
        app.action_release()
        await settle(pilot)
        assert isinstance(app.screen, ReleaseScreen)
        assert app.screen.client_id == timeline.client_id
        app.pop_screen()
        await pilot.pause()
        app.action_authorizations()
        await settle(pilot)
        assert isinstance(app.screen, AuthorizationsScreen)
