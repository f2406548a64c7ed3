"""The CLI says so on stderr before the first unlock after an update rebuilds the search index
(migration 12: 9-30 s at 50,000 notes, with nothing printed, looked hung)."""

from __future__ import annotations

from tests.support.cli import Cli
from tests.support.legacy_schema import old_vault


def test_cli_prints_the_line_on_stderr_and_keeps_stdout_data(cli: Cli) -> None:
    old_vault(cli.vault_dir)
    first = cli("client", "list")
    assert first.code == 0, first.stderr
    assert "Upgrading the search index (once)" in first.stderr
    assert "Upgrading" not in first.stdout
    again = cli("client", "list")
    assert again.code == 0 and "Upgrading" not in again.stderr
