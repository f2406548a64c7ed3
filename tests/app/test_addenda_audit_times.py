"""Issue 12, everyday screens: addenda beside their notes, audit filters, local times."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, static_text, unlock
from tui.app.app import ConfideApp
from tui.app.screens.audit import AuditScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.search import SearchScreen
from tui.app.screens.timeline import TimelineScreen
from vault import Vault

HOSTILE = "[bold]x[/] \x1b[31mred\x1b[0m \u202eevil\u202c 山田 [@click=app.quit]q[/]"


@pytest.fixture(autouse=True)
def _fixed_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # never the machine's zone; UTC+9, no DST


@pytest.fixture
def amended(tmp_path: Path) -> tuple[Path, int, int, int]:
    """The practice with one signed note that has a signed addendum (hostile text in both).

    Returns (folder, client id, note id, addendum id)."""
    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        client = vault.clients.list()[0]
        note = vault.notes.create(client.id, "free", body=f"Original words {HOSTILE} zebrafinch")
        note = vault.notes.sign(note.id)
        addendum = vault.notes.addend(note.id, f"Corrected later {HOSTILE} quokka")
    finally:
        vault.lock()
    return folder, client.id, note.id, addendum.id


def lines(app: ConfideApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_addendum_editor_shows_the_note_it_amends_read_only(
    amended: tuple[Path, int, int, int],
) -> None:
    folder, _, note_id, _ = amended
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_note(note_id)
        await settle(pilot)
        await pilot.press("ctrl+n")  # a new addendum to the signed note
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        assert editor.note is not None and editor.note.parent_id == note_id
        amends = static_text(editor.query_one("#amends", Static))
        assert f"Amends N-{note_id:06d}" in amends
        assert "[bold]x[/]" in amends and "zebrafinch" in amends  # literal, not markup
        assert "\x1b" not in amends and "\u202e" not in amends
        assert "山田" in amends
        assert any("Amends" in line for line in lines(app))  # on screen at 80x24
        assert editor.query_one("#body").display  # still room to write


async def test_signed_note_shows_its_addenda_and_the_timeline_counts_them(
    amended: tuple[Path, int, int, int],
) -> None:
    folder, client_id, note_id, addendum_id = amended
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_client(client_id)
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        table = app.screen.query_one("#timeline", DataTable)
        parent_row = table.get_row(str(note_id))
        child_row = table.get_row(str(addendum_id))
        assert str(parent_row[3]) == "signed +1 add."
        assert str(child_row[2]).strip() == f"↳ ADDENDUM to N-{note_id:06d}"
        app.open_note(note_id)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        shown = static_text(editor.query_one("#addenda", Static))
        assert shown.startswith("1 addendum")
        assert f"N-{addendum_id:06d}" in shown and "quokka" in shown and "[bold]x[/]" in shown
        assert editor.query_one("#addenda-box").display
        assert not editor.query_one("#amends-box").display
        await pilot.press("f2")  # privacy mode: the addenda follow it like the body does
        await settle(pilot)
        assert "quokka" in static_text(editor.query_one("#addenda", Static))


async def test_search_lists_an_addendum_as_an_addendum_naming_its_parent(
    amended: tuple[Path, int, int, int],
) -> None:
    folder, _, note_id, _ = amended
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_search()
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        app.screen.query_one("#query", Input).value = "quokka"
        await settle(pilot)
        text = "\n".join(lines(app))
        assert f"Addendum to N-{note_id:06d}" in text
        assert "Free-form note" not in text


async def test_signed_line_shows_local_time_with_zone_not_utc(
    amended: tuple[Path, int, int, int],
) -> None:
    folder, _, note_id, _ = amended
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_note(note_id)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen) and editor.note is not None
        title = static_text(editor.query_one("#note-title", Static))
        assert "UTC" not in title
        assert "JST" in title  # Asia/Tokyo, as TZ says
        from vault.timefmt import local_time

        assert f"[SIGNED {local_time(editor.note.signed_at)}]" in title


async def test_audit_filters_by_client_action_and_local_days(
    amended: tuple[Path, int, int, int],
) -> None:
    folder, client_id, _, _ = amended
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_client(client_id)
        await settle(pilot)
        app.action_audit()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit", DataTable)
        everything = table.row_count
        screen.query_one("#audit-action", Select).value = "addendum"
        await settle(pilot)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[2]) == "addendum"
        screen.query_one("#audit-action", Select).clear()
        screen.query_one("#audit-client", Select).value = client_id
        await settle(pilot)
        objects = [
            str(table.get_row_at(i)[3]) + str(table.get_row_at(i)[4])
            for i in range(table.row_count)
        ]
        assert 0 < len(objects) < everything
        assert all(f"C-{client_id:05d}" in o for o in objects)
        # Every time on screen is local with its zone, not stored UTC.
        assert all(str(table.get_row_at(i)[1]).endswith("JST") for i in range(table.row_count))
        # A day range long past matches nothing; a bad date says so and changes nothing.
        screen.query_one("#audit-client", Select).clear()
        await settle(pilot)
        day_from = screen.query_one("#audit-from", Input)
        day_from.value = "2001-01-01"
        screen.query_one("#audit-to", Input).value = "2001-01-02"
        day_from.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == 0
        day_from.value = "2001-13-45"
        await pilot.press("enter")
        await settle(pilot)
        status = static_text(screen.query_one("#audit-status", Static))
        assert "Filter not applied" in status and "not a date" in status
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert table.row_count >= everything
        assert all(len(line) <= 80 for line in lines(app))
        footer = lines(app)[-1]
        assert "Back" in footer and "Clear filters" in footer


async def test_amended_note_beside_an_addendum_keeps_flagged_text_out_in_privacy_mode(
    tmp_path: Path,
) -> None:
    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        client = vault.clients.list()[0]
        note = vault.notes.create(
            client.id, "free", body="Seen today. {{omit:substance}}Drinks nightly{{/omit}} Plan."
        )
        note = vault.notes.sign(note.id)
        addendum = vault.notes.addend(note.id, "", sign=False)
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_note(addendum.id)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        assert "Drinks nightly" in static_text(editor.query_one("#amends", Static))
        await pilot.press("f2")
        await settle(pilot)
        amends = static_text(editor.query_one("#amends", Static))
        assert "Drinks nightly" not in amends and "withheld" in amends
        assert "Drinks nightly" not in "\n".join(lines(app))


async def test_case_summary_screen_shows_a_hostile_client_name_literally(tmp_path: Path) -> None:
    from tui.app.screens.consult import ConsultScreen

    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        client = vault.clients.add("[@click=app.quit]Ann[/] [bold]Lee")
        vault.notes.create(client.id, "free", body=f"{client.display_name} came [red]late[/red].")
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_client(client.id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConsultScreen)
        assert "[@click=app.quit]Ann[/] [bold]Lee" in "\n".join(lines(app))
        await pilot.press("space", "f5")
        await settle(pilot)
        assert screen.summary is not None
        assert app.is_running  # the click markup did not quit the app
        shown = static_text(screen.query_one("#consult-text", Static))
        assert "[1: the client] came [red]late[/red]." in shown
