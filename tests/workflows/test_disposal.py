"""Disposal for both faces: what an earlier disposal left is finished before anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import killed_disposal, make_practice
from tui.workflows import disposal as flows
from vault import TEST_PRESET, AuthenticationError, Vault


def _interrupted(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        make_practice(vault)
    killed_disposal(vault_dir, "after-delete")


def test_a_wrong_passphrase_finishes_nothing(vault_dir: Path) -> None:
    _interrupted(vault_dir)
    with Vault.unlock(vault_dir, PASSPHRASE) as vault:
        told: list[flows.Resumed] = []
        with pytest.raises(AuthenticationError):
            flows.verify(vault, "not the passphrase", told.append)
        assert told == [] and len(vault.disposal.unfinished()) == 1


def test_what_was_finished_is_told_even_when_the_action_is_then_refused(vault_dir: Path) -> None:
    """The interrupted disposal is finished and reported before the new one is refused."""
    _interrupted(vault_dir)
    with Vault.unlock(vault_dir, PASSPHRASE) as vault:
        told: list[flows.Resumed] = []
        with pytest.raises(Exception, match="must name exactly"):
            flows.dispose(vault, PASSPHRASE, [2], ["Somebody Else"], told.append)
        assert vault.disposal.unfinished() == []
        assert told[0].lines() == ["finished the interrupted disposal D-00001: PASS"]
        assert vault.clients.exists(2)


def test_cli_reports_the_finished_disposal(vault_dir: Path, cli: Cli) -> None:
    _interrupted(vault_dir)
    queued = cli("dispose", "--due")
    assert queued.code == 0, queued.stderr
    assert "finished the interrupted disposal D-00001: PASS" in queued.stderr
    assert "C-00001" not in queued.stdout and "C-00002" in queued.stdout
