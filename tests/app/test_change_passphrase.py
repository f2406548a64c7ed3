"""Change passphrase polish found in hands-on QA: a mistake keeps the form open and says why."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, unlock
from tui.app.screens.modals import ChangePassphraseModal
from vault import Vault


def _fill(app: object, current: str, new: str) -> None:
    screen = app.screen  # type: ignore[attr-defined]
    screen.query_one("#current", Input).value = current
    screen.query_one("#new1", Input).value = new
    screen.query_one("#new2", Input).value = new
    screen.query_one("#new2", Input).focus()


def _error(app: object) -> str:
    return str(app.screen.query_one("#change-error", Static).render())  # type: ignore[attr-defined]


async def test_short_new_passphrase_keeps_the_form_open(tmp_path: Path) -> None:
    """A too-short new passphrase is said inside the form, which stays open with what was typed."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_change_passphrase()
        await pilot.pause()
        _fill(app, PASSPHRASE, "short")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChangePassphraseModal)
        assert "at least 8 characters" in _error(app)
        assert app.screen.query_one("#current", Input).value == PASSPHRASE
        await app.lock_vault()
    Vault.unlock(folder, PASSPHRASE).lock()  # nothing changed


async def test_wrong_current_passphrase_asks_again(tmp_path: Path) -> None:
    """A wrong current passphrase reopens the form with the reason; a retry then works."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_change_passphrase()
        await pilot.pause()
        _fill(app, "not my passphrase", "another fine passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChangePassphraseModal)
        assert "current passphrase is wrong" in _error(app)
        _fill(app, PASSPHRASE, "another fine passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ChangePassphraseModal)
        await app.lock_vault()
    Vault.unlock(folder, "another fine passphrase").lock()
