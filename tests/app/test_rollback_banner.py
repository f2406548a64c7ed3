"""The app says so when the vault it unlocked is older than its key file has seen (issue 10 #8)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import PASSPHRASE
from tests.support.tui import app_for, make_empty, unlock
from vault import Vault
from vault.vault import RECORD_DB


async def test_an_older_record_db_shows_a_lasting_error(tmp_path: Path) -> None:
    folder = make_empty(tmp_path / "vault")
    old = tmp_path / "old-record.db"
    shutil.copy2(folder / RECORD_DB, old)
    with Vault.unlock(folder, PASSPHRASE) as v:
        v.clients.add("Vesper Imaginary")
    shutil.copy2(old, folder / RECORD_DB)
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        shown = [n for n in app._notifications if n.severity == "error"]  # noqa: SLF001
        assert any("record.db is older than the key file" in n.message for n in shown)
        assert all(n.timeout >= 3600 for n in shown if "older" in n.message)
