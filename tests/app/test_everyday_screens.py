"""Everyday screens at 80x24 (issue 12): keys that fit, help, first run, audit ids, small things."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from tests.support.tui import (
    PASSPHRASE,
    FakeClock,
    app_for,
    burst,
    confirm_recovery_key,
    make_practice,
    settle,
    settle_until,
    static_text,
    unlock,
)
from tui.app.app import ConfideApp, idle_words
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.lock import LockScreen, RecoveryKeyScreen, key_groups
from tui.app.screens.search import SearchScreen
from vault import Vault


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    return make_practice(tmp_path / "vault")


def screen_lines(app: ConfideApp) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def footer_line(app: ConfideApp) -> str:
    return screen_lines(app)[-1]


async def to_timeline(pilot: Pilot[Any], name: str = "Hazel") -> None:
    await unlock(pilot)
    pilot.app.screen.query_one("#filter", Input).value = name
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


# -- keys that fit 80 columns


async def test_timeline_footer_fits_80_columns_with_search_help_and_quit(practice: Path) -> None:
    """At 80 columns every timeline key is in the footer, in short words, and none is cut."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_timeline(pilot)
        line = footer_line(app)
        shown = ("esc Back", "n New", "l Late", "e Edit", "p Psych", "a Files", "c Summary")
        for key in (*shown, "^f Search", "f1 Help", "^q Quit"):
            assert key in line, line
        assert line.rstrip().endswith("^q Quit")  # the last one whole, not cut at the edge
        assert "f2 Pr" not in line or "f2 Privacy" in line  # never a cut label
        # The keys do what the footer says: a opens the attachments, c the case summary.
        await pilot.press("a")
        await settle(pilot)
        assert type(app.screen).__name__ == "AttachmentsScreen"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConsultScreen"


async def test_every_everyday_screen_keeps_search_help_and_quit_at_80(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_timeline(pilot)
        screens = []
        await pilot.press("enter")  # the draft in the editor
        await settle(pilot)
        screens.append(("editor", footer_line(app)))
        await pilot.press("escape", "escape")
        await settle(pilot)
        screens.append(("clients", footer_line(app)))
        for action in (app.action_audit, app.action_backup, app.action_disposal):
            action()
            await settle(pilot)
            screens.append((type(app.screen).__name__, footer_line(app)))
            await pilot.press("escape")
            await settle(pilot)
        for name, line in screens:
            for shown in ("esc Back" if name != "clients" else "^n New client", "^f Search"):
                assert shown in line, (name, line)
            assert "f1 Help" in line and "^q Quit" in line, (name, line)
        assert "^s Save" in dict(screens)["editor"] and "^g Sign" in dict(screens)["editor"]


async def test_wide_terminal_shows_every_key(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(160, 45)) as pilot:
        await to_timeline(pilot)
        line = footer_line(app)
        for shown in ("^l Lock", "f2 Privacy", "^p Commands", "^q Quit", "l Late", "e Edit"):
            assert shown in line
        # With room, the full words: the short ones are for narrow terminals only.
        for shown in ("n New note", "p Psych notes", "a Attachments", "c Case summary"):
            assert shown in line


async def test_help_lists_this_screens_keys_and_global_ones(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_timeline(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app.screen.query_one("#help-keys", Static))
        for shown in ("Late entry", "Edit", "Psych notes", "Attachments", "Case summary", "^p"):
            assert shown in text
        for shown in ("Privacy", "Search", "Lock", "Quit"):
            assert shown in text
        # Each key once: Help's row read `f1 / ? / f1 / ?`; and no row for Textual's copy key,
        # which does nothing here (the app allows no screen selection).
        lines = text.splitlines()
        assert [line.split()[:3] for line in lines if line.endswith("Help")] == [["f1", "/", "?"]]
        assert "Copy selected text" not in text
        await pilot.press("escape")
        await pilot.pause()
        # From inside a text field (where ? is typed) F1 opens it.
        await pilot.press("ctrl+f")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Back" in static_text(app.screen.query_one("#help-keys", Static))


# -- first run


async def test_recovery_key_is_confirmed_by_two_groups_typed_back(tmp_path: Path) -> None:
    app = app_for(tmp_path / "new")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*PASSPHRASE, "tab", *PASSPHRASE, "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecoveryKeyScreen)
        key = static_text(screen.query_one("#recovery-key", Static))
        groups = key_groups(key)
        await pilot.press("enter")  # I have written it down
        await pilot.pause()
        assert not screen.query_one("#recovery-key").display  # typed from paper, not copied
        first, second = screen.asked
        why = screen.query_one("#continue-why", Static)
        assert screen.query_one("#continue", Button).disabled
        assert f"type group {first + 1}" in static_text(why)
        wrong = "ZZZZ" if groups[second] != "ZZZZ" else "YYYY"
        await pilot.press(*groups[first], "enter", *wrong, "enter")
        await pilot.pause()
        assert isinstance(app.screen, RecoveryKeyScreen)  # Continue still disabled
        assert f"group {second + 1} does not match" in static_text(why)
        for _ in wrong:
            await pilot.press("backspace")
        await pilot.press(*groups[second].lower())
        await pilot.pause()
        assert not screen.query_one("#continue", Button).disabled
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
    Vault.recover(tmp_path / "new", key).abandon()


async def test_passphrase_fields_keep_the_tab_in_a_burst_of_keys(tmp_path: Path) -> None:
    """Every key queued at once (a paste, a fast typist): the Tab still separates the fields."""
    app = app_for(tmp_path / "new")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        burst(app, [*PASSPHRASE, "tab", *PASSPHRASE])
        await settle_until(pilot, lambda: app.screen.query_one("#new2", Input).value == PASSPHRASE)
        assert app.screen.query_one("#new1", Input).value == PASSPHRASE
        assert app.screen.query_one("#new2", Input).value == PASSPHRASE
        burst(app, ["enter"])
        await settle_until(pilot, lambda: isinstance(app.screen, RecoveryKeyScreen))
        assert isinstance(app.screen, RecoveryKeyScreen)
        await confirm_recovery_key(pilot)
        assert isinstance(app.screen, ClientListScreen)


# -- audit log


async def test_audit_shows_record_ids_and_one_entry_per_palette_session(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_timeline(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"cannabis")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#audit", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    objects = [row[3] for row in rows]
    assert "C-00008" in objects
    assert any(o.startswith("N-0000") for o in objects)
    assert not any(o.startswith("client ") or o.startswith("note ") for o in objects)
    searches = [row for row in rows if row[2] == "search"]
    assert len(searches) == 1  # one palette session, however many keystrokes
    assert searches[0][3] == "palette" and "lookups=" in searches[0][4]


# -- small things


def test_idle_lock_message_grammar() -> None:
    assert idle_words(60) == "1 minute"
    assert idle_words(300) == "5 minutes"
    assert idle_words(30) == "30 seconds"
    assert idle_words(1) == "1 second"


async def test_locked_after_one_minute_reads_well(practice: Path) -> None:
    clock = FakeClock()
    app = app_for(practice, clock=clock, idle_seconds=60)
    async with app.run_test() as pilot:
        await unlock(pilot)
        clock.advance(61)
        await app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        message = static_text(app.screen.query_one("#lock-message", Static))
        assert "Locked after 1 minute without activity." in message


async def test_ctrl_s_with_nothing_changed_says_so(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_timeline(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditorScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        status = static_text(app.screen.query_one("#editor-status", Static))
        assert "Nothing to save" in status


async def test_typing_reaches_the_query_after_returning_from_a_result(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+f", *"cannabis")
        await settle(pilot)
        await pilot.press("down", "enter")  # into the results, open the first
        await settle(pilot)
        assert isinstance(app.screen, NoteEditorScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*" use")
        await settle(pilot)
        assert app.screen.query_one("#query", Input).value == "cannabis use"


def test_a_group_typed_back_is_read_as_the_key_is() -> None:
    from tui.app.screens.lock import same_group

    assert key_groups("ABCD-EFGH") == ["ABCD", "EFGH"]
    assert same_group(" abcd ", "ABCD")
    assert same_group("b0i8", "BOIB")
    assert not same_group("ABCE", "ABCD")


async def test_audit_names_attachments_and_authorizations_by_record_id(practice: Path) -> None:
    """The attachments list and an authorization were logged as `attachments 8` and
    `authorization 1`: internal numbers. Now as everywhere else: C-00008, A-00001."""
    with Vault.unlock(practice, PASSPHRASE) as vault:
        hazel = next(c for c in vault.clients.list() if c.display_name == "Hazel Fictive")
        auth = vault.disclosures.authorizations.add(
            hazel.id,
            kind="general",
            description="all records",
            discloser="Dr. Able",
            recipient_name="Dr. Birch",
            purpose="continuity of care",
            signed_on="2026-01-05",
            expiry_event="the end of treatment",
        )
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_timeline(pilot)
        await pilot.press("a")  # the attachments list: a view of C-00008's attachments
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#audit", DataTable)
        objects = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
    assert f"attachments {hazel.record_id}" in objects
    assert auth.record_id in objects
    assert not any(o.startswith(("attachments 8", "authorization ")) for o in objects)
