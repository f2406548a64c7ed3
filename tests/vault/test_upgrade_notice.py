"""A long schema upgrade at unlock says so first (issue 14 leftover): migration 12 rebuilds the
search index over every note, 9-30 s at 50,000 notes, and the unlock looked hung."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import PASSPHRASE
from tests.support.legacy_schema import old_vault
from vault import Vault
from vault.storage.schema import UPGRADING_SEARCH


def prefixed(vault: Vault) -> bool:
    sql = vault.db.scalar("SELECT sql FROM sqlite_master WHERE name = 'notes_fts'")
    return "prefix='2 3'" in str(sql)


def test_unlock_announces_the_index_rebuild_once_before_it_runs(tmp_path: Path) -> None:
    folder = old_vault(tmp_path / "vault")
    said: list[str] = []
    with Vault.unlock(folder, PASSPHRASE, on_upgrade=said.append) as vault:
        assert said == [UPGRADING_SEARCH]
        assert prefixed(vault)  # the rebuild did run after the line
        assert len(vault.search("an*")) == 1
    with Vault.unlock(folder, PASSPHRASE, on_upgrade=said.append):
        pass
    assert said == [UPGRADING_SEARCH]  # once: the next unlock has nothing to upgrade
