"""The CLI says so on stderr before the first unlock after an update rebuilds the search index
(migration 12: 9-30 s at 50,000 notes, with nothing printed, looked hung)."""

from __future__ import annotations

from tests.support.cli import PASSPHRASE, Cli
from tests.support.legacy_schema import old_vault, undo_pnotes_prefix_index
from vault import TEST_PRESET, Vault


def test_cli_prints_the_line_on_stderr_and_keeps_stdout_data(cli: Cli) -> None:
    old_vault(cli.vault_dir)
    first = cli("client", "list")
    assert first.code == 0, first.stderr
    assert "Upgrading the search index (once)" in first.stderr
    assert "Upgrading" not in first.stdout
    again = cli("client", "list")
    assert again.code == 0 and "Upgrading" not in again.stderr


def test_cli_says_so_when_the_psychotherapy_notes_index_is_upgraded(cli: Cli) -> None:
    vault, _ = Vault.create(cli.vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        client = vault.clients.add("Fern Testwell")
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        area.add(client.id, "parents visited")
        area.lock()
        undo_pnotes_prefix_index(vault, PASSPHRASE)
    first = cli("pnote", "list", "C-00001")
    assert first.code == 0, first.stderr
    assert "Upgrading the search index (once)" in first.stderr
    assert "Upgrading" not in first.stdout
    again = cli("pnote", "list", "C-00001")
    assert again.code == 0 and "Upgrading" not in again.stderr
