"""The new-passphrase rule is the core's: every app form refuses what the core refuses, at once,
with the core's own message (so a stronger rule in the core needs no change in the app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import Worker

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, static_text, unlock
from tui.app.screens.lock import CreateVaultScreen, RecoverScreen
from tui.app.screens.modals import ChangePassphraseModal
from vault import UsageError, Vault, check_new_passphrase

WITH_NUL = "a long passphrase\0with a NUL"


def _core_message(passphrase: str) -> str:
    with pytest.raises(UsageError) as refused:
        check_new_passphrase(passphrase)
    return refused.value.message


def _workers(seen: list[Message], group: str) -> list[Message]:
    return [m for m in seen if isinstance(m, Worker.StateChanged) and m.worker.group == group]


@pytest.mark.parametrize("passphrase", [WITH_NUL, "short"])
async def test_create_form_refuses_with_the_core_message(tmp_path: Path, passphrase: str) -> None:
    """Refused in the form, before any key is derived; no vault is made."""
    folder = tmp_path / "new-vault"
    seen: list[Message] = []
    app = app_for(folder)
    async with app.run_test(message_hook=seen.append) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CreateVaultScreen)
        screen.query_one("#new1", Input).value = passphrase
        screen.query_one("#new2", Input).value = passphrase
        screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert static_text(screen.query_one("#lock-error", Static)) == _core_message(passphrase)
    assert _workers(seen, "create") == []  # nothing was started
    assert not (folder / "keys.confide").exists()


async def test_change_passphrase_form_refuses_a_nul_with_the_core_message(tmp_path: Path) -> None:
    """The form stays open with what was typed; the passphrase is unchanged."""
    folder = make_practice(tmp_path / "vault")
    seen: list[Message] = []
    app = app_for(folder)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await unlock(pilot)
        app.action_change_passphrase()
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChangePassphraseModal)
        modal.query_one("#current", Input).value = PASSPHRASE
        modal.query_one("#new1", Input).value = WITH_NUL
        modal.query_one("#new2", Input).value = WITH_NUL
        modal.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal
        error = static_text(modal.query_one("#change-error", Static))
        assert error == _core_message(WITH_NUL)
        assert modal.query_one("#current", Input).value == PASSPHRASE
        await app.lock_vault()
    assert _workers(seen, "passphrase") == []
    Vault.unlock(folder, PASSPHRASE).lock()  # nothing changed


async def test_recover_form_refuses_a_nul_with_the_core_message(tmp_path: Path) -> None:
    folder = make_practice(tmp_path / "vault")
    seen: list[Message] = []
    app = app_for(folder)
    async with app.run_test(message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecoverScreen)
        screen.query_one("#recovery", Input).value = "any recovery key"
        screen.query_one("#new1", Input).value = WITH_NUL
        screen.query_one("#new2", Input).value = WITH_NUL
        screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert static_text(screen.query_one("#lock-error", Static)) == _core_message(WITH_NUL)
    assert _workers(seen, "recover") == []
