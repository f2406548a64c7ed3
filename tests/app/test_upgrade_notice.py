"""The app's lock screen says when the first unlock after an update rebuilds the search index,
instead of "Unlocking..." for what can be a minute."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tests.support.legacy_schema import undo_prefix_indexes
from tests.support.tui import PASSPHRASE, app_for, make_practice, static_text, unlock
from tui.app.screens.clients import ClientListScreen
from vault import Vault


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
