"""The command line adds its own hints (a command or option to use) to the core's facts.

The core and backup name no command; the CLI recognises the error's type and says what to run,
still on one line, and as `hint` in --json output.
"""

from __future__ import annotations

import json
from pathlib import Path

from backup import add_drive, run_backup
from backup.drives import MARKER
from tests.support.cli import PASSPHRASE, Cli
from vault import TEST_PRESET, Vault


def _one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith(("confide: error: ", "confide: usage error: ")), stderr
    return stderr


def test_no_vault_says_to_run_init(cli: Cli, vault_dir: Path) -> None:
    result = cli("client", "list")
    assert result.code == 10  # no vault (tui/cli/exitcodes.py)
    assert _one_line(result.stderr) == (
        f"confide: error: no Confide vault at {vault_dir}; create one with `confide init`\n"
    )
    as_json = cli("client", "list", "--json")
    error = as_json.json
    assert error["type"] == "error" and error["error"] == "no_vault"
    assert error["message"] == f"no Confide vault at {vault_dir}"
    assert error["hint"] == "create one with `confide init`"


def test_undesignated_drive_says_how_to_designate_it(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    plain = tmp_path / "plain"
    plain.mkdir()
    result = cli("backup", "run", "--to", str(plain))
    assert result.code == 2
    assert _one_line(result.stderr).endswith(
        f"{plain} is not a designated backup drive; run `confide backup drive add {plain}` first\n"
    )
    # A marker naming this vault that this vault never wrote: designate it only if it is yours.
    mine = tmp_path / "mine"
    mine.mkdir()
    assert cli("backup", "drive", "add", str(mine)).code == 0
    copied = tmp_path / "copied"
    copied.mkdir()
    marker = json.loads((mine / MARKER).read_text())
    marker["drive_id"] = "0123456789abcdef"
    (copied / MARKER).write_text(json.dumps(marker))
    refused = cli("backup", "run", "--to", str(copied))
    assert refused.code == 2
    assert _one_line(refused.stderr).endswith(
        "but this vault never designated it; if the drive is yours, run `confide backup drive "
        f"add {copied}`\n"
    )


def test_unknown_drive_points_to_the_list(cli: Cli) -> None:
    cli.init()
    result = cli("backup", "lost", "NOSUCHDRIVE")
    assert result.code == 14
    assert _one_line(result.stderr) == (
        "confide: error: no backup drive matches 'NOSUCHDRIVE'; see `confide backup drive list`\n"
    )


def test_another_vaults_archive_says_to_restore_it(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    other, _ = Vault.create(tmp_path / "other", PASSPHRASE, TEST_PRESET)
    stick = tmp_path / "stick"
    stick.mkdir()
    add_drive(other, stick)
    archive = run_backup(other, stick).path
    other.lock()
    result = cli("backup", "verify", str(archive))
    assert result.code == 13
    line = _one_line(result.stderr)
    assert "belongs to another vault" in line
    assert line.endswith("; restore it with `confide restore` instead\n")


def test_release_without_authorization_points_to_the_authorizations(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Quill Sampleton", "--json").code == 0
    result = cli("release", "1", "--to", "Dr. Birch", "--for", "care", "--preview")
    assert result.code == 15
    assert _one_line(result.stderr).endswith(
        "must name the authorization; see `confide auth list CLIENT`\n"
    )


def test_restore_over_a_vault_names_the_force_option(
    cli: Cli, tmp_path: Path, vault_dir: Path
) -> None:
    cli.init()
    stick = tmp_path / "stick"
    stick.mkdir()
    assert cli("backup", "drive", "add", str(stick)).code == 0
    archive = cli("backup", "run", "--to", str(stick), "--json").data["path"]
    result = cli("restore", archive)
    assert result.code == 1
    assert _one_line(result.stderr) == (
        f"confide: error: a vault already exists at {vault_dir}; add --force to replace it (it "
        "is kept aside until the restored vault verifies)\n"
    )
