"""Shell completion and the manual page, both made from the parser (issue 13)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tui.cli.main import build_parser


def _top_commands() -> list[str]:
    import argparse

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def _confide(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_bash_completion_is_valid_bash_and_knows_every_command(tmp_path: Path) -> None:
    result = _confide("completion", "bash")
    assert result.returncode == 0, result.stderr
    script = tmp_path / "confide.bash"
    script.write_text(result.stdout)
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    for command in _top_commands():
        assert command in result.stdout, command
    for action in ("drive", "verify", "revoke", "place"):  # second-level actions too
        assert action in result.stdout


def test_bash_completion_completes_commands(tmp_path: Path) -> None:
    """Sourced in bash, completing `confide cl` offers `client`."""
    script = tmp_path / "confide.bash"
    script.write_text(_confide("completion", "bash").stdout)
    probe = (
        f"source {script}; COMP_WORDS=(confide cl); COMP_CWORD=1; "
        "COMP_LINE='confide cl'; COMP_POINT=${#COMP_LINE}; "
        "_shtab_confide confide cl confide; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert "client" in done.stdout.split(), (done.stdout, done.stderr)


@pytest.mark.parametrize("shell", ["zsh", "tcsh", "fish"])
def test_other_shells_get_a_script(shell: str) -> None:
    result = _confide("completion", shell)
    assert result.returncode == 0, result.stderr
    assert "confide" in result.stdout and "backup" in result.stdout


def test_unknown_shell_is_a_usage_error() -> None:
    result = _confide("completion", "powershell-ish")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_manual_page_renders_and_lists_commands_exit_codes_and_environment() -> None:
    result = _confide("man")
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.startswith(".TH CONFIDE 1")
    for command in ("client list", "backup drive add", "legal-hold place", "completion"):
        assert f'.SS "confide {command}"' in page
    assert '.SH "EXIT STATUS"' in page and "wrong_passphrase" in page
    assert "CONFIDE_PASSPHRASE_COMMAND" in page
    if shutil.which("groff"):
        rendered = subprocess.run(
            ["groff", "-man", "-Tutf8", "-ww"],
            input=page,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
        assert "confide client list" in rendered.stdout.replace("\b", "")


def test_completion_in_json(cli: Cli) -> None:
    data = cli("completion", "bash", "--json").data
    assert data["shell"] == "bash" and "_shtab_confide" in data["script"]
