"""A long schema upgrade at unlock says so first (issue 14 leftover): migration 12 rebuilds the
search index over every note, 9-30 s at 50,000 notes, and the unlock looked hung."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import PASSPHRASE
from tests.support.legacy_schema import old_vault, undo_pnotes_prefix_index, undo_prefix_indexes
from vault import TEST_PRESET, Vault
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


def test_psychotherapy_notes_and_recovery_announce_their_upgrades(tmp_path: Path) -> None:
    """The psychotherapy-notes database migrates when the area is opened, and a recovery-key
    unlock opens the record database: both say so before a long upgrade, as unlock does."""
    folder = tmp_path / "vault"
    vault, recovery_key = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    with vault:
        client = vault.clients.add("Fern Testwell")
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        area.add(client.id, "parents visited")
        area.lock()
        undo_pnotes_prefix_index(vault, PASSPHRASE)
        undo_prefix_indexes(vault)
    said: list[str] = []
    with Vault.recover(folder, recovery_key).set_new_passphrase(
        "a new and long passphrase", on_upgrade=said.append
    ) as vault:
        assert said == [UPGRADING_SEARCH] and prefixed(vault)
        area = vault.open_psychotherapy_notes("a new and long passphrase", on_upgrade=said.append)
        assert said == [UPGRADING_SEARCH] * 2
        assert len(area.search("par*")) == 1  # the rebuilt index answers
        area.lock()
        vault.open_psychotherapy_notes("a new and long passphrase", on_upgrade=said.append).lock()
    assert said == [UPGRADING_SEARCH] * 2  # once each
