"""Shared fixtures: real SQLCipher vaults in temp folders, with the explicit cheap KDF preset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from vault import TEST_PRESET, Vault


@pytest.fixture(autouse=True)
def _state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crash references from tests that break the app on purpose go to a temp folder, not to
    the user's ~/.local/state/confide."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def new_vault(vault_dir: Path) -> Iterator[tuple[Vault, str]]:
    """A freshly created, unlocked vault and its recovery key."""
    vault, recovery_key = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    try:
        yield vault, recovery_key
    finally:
        vault.lock()


@pytest.fixture
def vault(new_vault: tuple[Vault, str]) -> Vault:
    return new_vault[0]


@pytest.fixture
def cli(vault_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(vault_dir, tmp_path, capsys)


def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests.support.fsimage import CAN_MOUNT, NO_ROOT_REASON

    if item.get_closest_marker("root") is not None and not CAN_MOUNT:
        pytest.skip(NO_ROOT_REASON)
