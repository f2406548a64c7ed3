"""`confide init` and `confide passwd` hold a new passphrase to the core's rule and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from vault import UsageError, Vault, check_new_passphrase

WITH_NUL = "a long passphrase\0with a NUL"


def _core_message(passphrase: str) -> str:
    with pytest.raises(UsageError) as refused:
        check_new_passphrase(passphrase)
    return refused.value.message


@pytest.mark.parametrize("passphrase", [WITH_NUL, "short", "\nstarts with a line break"])
def test_init_refuses_before_calibrating(cli: Cli, tmp_path: Path, passphrase: str) -> None:
    """Refused with the core's message before the (slow) calibration; no vault is made."""
    new = tmp_path / "new.txt"
    new.write_bytes(passphrase.encode() + b"\n")
    new.chmod(0o600)  # a secret file others can read is refused first
    made = cli("init", "--new-passphrase-file", str(new))  # calibrated: seconds, if reached
    assert made.code != 0
    assert _core_message(passphrase) in made.stderr
    assert "Calibrating" not in made.stderr
    assert not (cli.vault_dir / "keys.confide").exists()


def test_passwd_refuses_a_nul_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    new = tmp_path / "new.txt"
    new.write_bytes(WITH_NUL.encode() + b"\n")
    new.chmod(0o600)
    changed = cli("passwd", "--new-passphrase-file", str(new))
    assert changed.code != 0
    assert _core_message(WITH_NUL) in changed.stderr
    Vault.unlock(cli.vault_dir, PASSPHRASE).lock()  # the old passphrase still opens it


def test_the_core_rule_is_public_and_refuses_what_it_says() -> None:
    check_new_passphrase("a fine long passphrase")  # no error
    for bad in ("short", WITH_NUL, "\nleading break here", "trailing break here\r\n"):
        with pytest.raises(UsageError):
            check_new_passphrase(bad)
