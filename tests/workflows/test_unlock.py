"""Opening a vault, for both faces: an interrupted restore is finished first, then unlock."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from tests.support.restore import asides, killed_restore
from tests.support.tui import app_for, settle, unlock
from tui.workflows.unlock import Tidied, finish_interrupted_restore
from tui.workflows.unlock import unlock as open_vault
from vault import AuthenticationError, Vault


def test_unlock_reports_the_removal_before_asking_for_the_passphrase(
    vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    """What was finished is reported first, so it is told even when the passphrase is wrong."""
    killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    told: list[Tidied] = []

    def wrong() -> str:
        assert told, "the passphrase was asked for before the leftovers were reported"
        return "not the passphrase"

    with pytest.raises(AuthenticationError):
        open_vault(vault_dir, wrong, told.append)
    assert asides(vault_dir) == []
    assert any("securely removed the previous vault" in line for line in told[0].done)
    assert told[0].problems == ()
    assert finish_interrupted_restore(vault_dir) == Tidied()  # nothing left to finish


def test_cli_tells_what_it_finished_even_when_the_passphrase_is_wrong(
    vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    cli.passphrase_file.write_text("not the passphrase\n")
    listed = cli("client", "list")
    assert listed.code != 0
    assert "securely removed the previous vault kept aside" in listed.stderr


async def test_app_finishes_a_restore_interrupted_while_its_lock_screen_was_up(
    vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    """The lock screen unlocks through the same workflow, so leftovers that appeared after
    the app started are finished (and told) too."""
    vault.lock()
    app = app_for(vault_dir)
    async with app.run_test() as pilot:
        await settle(pilot)
        again = Vault.unlock(vault_dir, PASSPHRASE)
        killed_restore(again, vault_dir, tmp_path, "before-wipe")
        assert asides(vault_dir)
        await unlock(pilot)
        messages = [n.message for n in app._notifications]
        assert app.vault is not None
    assert asides(vault_dir) == []
    assert any("securely removed the previous vault" in m for m in messages), messages
