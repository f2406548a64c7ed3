"""The app says when the first opening after an update rebuilds a search index, instead of
"Unlocking..." for what can be a minute: at unlock with the passphrase or the recovery key,
and when the psychotherapy notes (a database of their own) are opened."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.support.legacy_schema import undo_pnotes_prefix_index, undo_prefix_indexes
from tests.support.tui import (
    PASSPHRASE,
    TODAY,
    app_for,
    make_practice,
    settle,
    static_text,
    unlock,
)
from tui.app.app import ConfideApp
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.lock import RecoverScreen
from tui.app.screens.pnotes import PsychotherapyScreen
from tui.workflows.demo import populate
from vault import TEST_PRESET, Vault
from vault.storage.schema import UPGRADING_SEARCH


async def test_lock_screen_says_the_search_index_is_being_upgraded(tmp_path: Path) -> None:
    folder = make_practice(tmp_path / "vault")
    with Vault.unlock(folder, PASSPHRASE) as vault:
        undo_prefix_indexes(vault)
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#lock-error", Static)
        await unlock(pilot)
        assert isinstance(app.screen, ClientListScreen)
        # What the lock screen showed last, under the spinner, while the index was rebuilt.
        assert "Upgrading the search index (once)" in static_text(status)
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#lock-error", Static)
        await unlock(pilot)
        assert static_text(status) == "Unlocking..."  # nothing to upgrade the second time


def _messages(app: ConfideApp) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_opening_psychotherapy_notes_says_their_index_is_being_upgraded(
    tmp_path: Path,
) -> None:
    """The psychotherapy-notes database has its own migrations: the first opening of the
    area after an update rebuilds its index too, and says so instead of looking hung."""
    folder = make_practice(tmp_path / "vault")
    with Vault.unlock(folder, PASSPHRASE) as vault:
        undo_pnotes_prefix_index(vault, PASSPHRASE)
    for upgraded in (True, False):  # once: the second opening has nothing to upgrade
        app = app_for(folder)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            app.screen.query_one("#filter", Input).value = "Hazel"
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            app.screen.query_one("#reauth", Input).value = PASSPHRASE
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, PsychotherapyScreen)
            assert (UPGRADING_SEARCH in _messages(app)) is upgraded


async def test_recovery_key_unlock_says_the_search_index_is_being_upgraded(
    tmp_path: Path,
) -> None:
    """The first opening after an update can be with the recovery key (the passphrase was
    forgotten): the recovery screen says so under the spinner too."""
    folder = tmp_path / "vault"
    vault, recovery_key = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    with vault:
        populate(vault, clients=2, notes_per_client=2, seed=1, today=TODAY)
        undo_prefix_indexes(vault)
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecoverScreen)
        status = screen.query_one("#lock-error", Static)
        screen.query_one("#recovery", Input).value = recovery_key
        screen.query_one("#new1", Input).value = "a new and long passphrase"
        screen.query_one("#new2", Input).value = "a new and long passphrase"
        screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
        assert static_text(status) == UPGRADING_SEARCH
