"""Release/authorizations polish found in hands-on QA: from the client list they need no detour."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input

from tests.support.tui import app_for, make_empty, make_practice, settle, unlock
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.release import AuthorizationsScreen, ReleaseScreen
from tui.app.widgets.row_list import RowList


async def test_release_from_client_list_uses_highlighted_client(tmp_path: Path) -> None:
    """Release records / Authorizations on the client list open for the highlighted client."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        home = app.screen
        assert isinstance(home, ClientListScreen)
        table = home.query_one("#clients", RowList)
        table.move_cursor(row=2)
        wanted = table.cells(2)[0]
        app.action_release()
        await settle(pilot)
        assert isinstance(app.screen, ReleaseScreen)
        assert wanted in str(app.screen.title)
        app.pop_screen()
        await settle(pilot)
        app.action_authorizations()
        await settle(pilot)
        assert isinstance(app.screen, AuthorizationsScreen)
        assert wanted in str(app.screen.title)


async def test_release_with_no_client_in_list_says_pick_one(tmp_path: Path) -> None:
    """With no client to highlight (filter matches none) the command says what to do."""
    folder = make_empty(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.screen.query_one("#filter", Input).value = "nobody"
        await settle(pilot)
        app.action_release()
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
        assert any("Pick a client" in str(n.message) for n in app._notifications)


async def test_back_from_a_client_and_a_note_keeps_the_cursor(tmp_path: Path) -> None:
    """Escape from a client (or from a note) returns to the same row, not the top of the list."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        home = app.screen
        clients = home.query_one("#clients", RowList)
        clients.focus()
        await pilot.press("down", "down", "down")
        await pilot.press("enter")
        await settle(pilot)
        timeline = app.screen
        notes = timeline.query_one("#timeline", DataTable)
        await pilot.press("down", "down")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is timeline and notes.cursor_row == 2
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home and clients.cursor == 3


@pytest.mark.parametrize("action", ["action_release", "action_authorizations"])
async def test_release_screens_open_on_a_field_and_close_at_once(
    tmp_path: Path, action: str
) -> None:
    """The first field has the cursor (typing lands in it); escape right away closes cleanly."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        getattr(app, action)()
        await settle(pilot)
        assert not isinstance(app.focused, VerticalScroll)
        assert app.focused is not None and app.focused.id in ("release-type", "auths")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
        for _ in range(3):  # open and close at once: the header must not crash the app
            getattr(app, action)()
            await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen) and app.is_running


@pytest.mark.parametrize("action", ["action_release", "action_authorizations"])
async def test_release_screens_closed_before_they_mount_do_not_crash(
    tmp_path: Path, action: str
) -> None:
    """Closed before its mount is handled (a quick escape on a loaded machine), a screen does
    not look for widgets that are already going away."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        for _ in range(3):
            getattr(app, action)()
            app.pop_screen()  # in the same step: the screen's mount has not run yet
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen) and app.is_running


async def test_release_without_authorization_guides_and_picks_up_a_new_one(tmp_path: Path) -> None:
    """No authorization on file: the app says how to record one; back from it, it is offered."""
    from textual.widgets import Select, Static

    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_release()
        await settle(pilot)
        release = app.screen
        assert isinstance(release, ReleaseScreen)
        release.query_one("#release-recipient", Input).value = "Dr Test"
        release.query_one("#release-purpose", Input).value = "continuity of care"
        await pilot.press("f5")
        await settle(pilot)
        status = str(release.query_one("#release-status", Static).render())
        assert "no authorization on file" in status and "confide auth" not in status
        app.action_authorizations()
        await settle(pilot)
        assert isinstance(app.screen, AuthorizationsScreen)
        assert app.vault is not None
        auth = app.vault.disclosures.authorizations.add(
            release.client_id,
            kind="general",
            description="progress notes",
            discloser="the practice",
            recipient_name="Dr Test",
            purpose="continuity of care",
            signed_on="2026-11-01",
            expires_on="2027-11-01",
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is release
        select = release.query_one("#release-auth", Select)
        select.value = auth.id
        await pilot.press("f5")
        await settle(pilot)
        assert release.plan is not None
