"""--passphrase-command / $CONFIDE_PASSPHRASE_COMMAND (issue 13): a keychain supplies it.

The command runs without a shell (split like one, as restic's RESTIC_PASSWORD_COMMAND), the
first line it prints is the passphrase, and a failing command is a clear one-line error.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    assert cli("client", "add", "Rowan Keychain").code == 0
    return cli


def _run(
    cli: Cli, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui", "--vault", str(cli.vault_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
        stdin=subprocess.DEVNULL,
    )


def _printer(text: str) -> str:
    """A command printing `text` then a second line that must be ignored."""
    code = f"import sys; sys.stdout.write({text!r} + '\\n' + 'second line\\n')"
    return shlex.join([sys.executable, "-c", code])


def test_passphrase_command_flag_unlocks(ready: Cli) -> None:
    result = _run(ready, "--passphrase-command", _printer(PASSPHRASE), "client", "list")
    assert result.returncode == 0, result.stderr
    assert "Rowan Keychain" in result.stdout


def test_passphrase_command_from_the_environment(ready: Cli) -> None:
    result = _run(ready, "client", "list", env={"CONFIDE_PASSPHRASE_COMMAND": _printer(PASSPHRASE)})
    assert result.returncode == 0, result.stderr
    assert "Rowan Keychain" in result.stdout


def test_runs_without_a_shell(ready: Cli, tmp_path: Path) -> None:
    """Shell syntax is not interpreted: `;` and `$(...)` reach the program as text."""
    marker = tmp_path / "pwned"
    command = f"{shlex.quote(sys.executable)} -c 'print(1)' ; touch {marker}"
    result = _run(ready, "--passphrase-command", command, "client", "list")
    assert not marker.exists()
    assert result.returncode == 12, result.stderr  # printed "1": a wrong passphrase


def test_a_failing_command_is_a_clear_error(ready: Cli) -> None:
    failing = shlex.join([sys.executable, "-c", "import sys; sys.exit(3)"])
    result = _run(ready, "--passphrase-command", failing, "client", "list")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "passphrase command" in result.stderr and "exit status 3" in result.stderr


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("", "is empty"),
        ("/nonexistent/keychain-tool get confide", "cannot run the passphrase command"),
        ("'unbalanced", "cannot be read"),
    ],
)
def test_unusable_commands_are_usage_errors(ready: Cli, command: str, words: str) -> None:
    result = _run(ready, "--passphrase-command", command, "client", "list")
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_a_command_printing_nothing_is_refused(ready: Cli) -> None:
    silent = shlex.join([sys.executable, "-c", "pass"])
    result = _run(ready, "--passphrase-command", silent, "client", "list")
    assert result.returncode == 2 and "printed no passphrase" in result.stderr


def test_file_and_command_together_are_refused(ready: Cli) -> None:
    result = _run(
        ready,
        "--passphrase-file",
        str(ready.passphrase_file),
        "--passphrase-command",
        _printer(PASSPHRASE),
        "client",
        "list",
    )
    assert result.returncode == 2 and "not both" in result.stderr


def test_help_documents_the_environment() -> None:
    from tui.cli.main import build_parser

    text = build_parser().format_help()
    for name in (
        "CONFIDE_VAULT",
        "CONFIDE_PASSPHRASE_FILE",
        "CONFIDE_PASSPHRASE_COMMAND",
        "CONFIDE_RECOVERY_KEY_FILE",
        "CONFIDE_DEBUG",
    ):
        assert name in text
