"""Opening the app finishes a `restore --force` that was killed part-way, and says so."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import PASSPHRASE
from tests.support.restore import asides as _asides
from tests.support.restore import killed_restore as _killed_restore
from tests.support.tui import app_for, settle
from vault import TEST_PRESET, Vault


async def test_app_start_removes_the_vault_a_killed_restore_kept_aside(tmp_path: Path) -> None:
    """The old vault left aside after the swap is securely removed when the app opens."""
    vault_dir = tmp_path / "vault"
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    _killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    assert _asides(vault_dir)  # what the kill left behind
    app = app_for(vault_dir)
    async with app.run_test() as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert _asides(vault_dir) == []
    assert any("securely removed the previous vault" in m for m in messages), messages
