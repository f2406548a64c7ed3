"""Issue 10 item 11: a secret in a file other users can read, or that someone else owns, is
refused (as ssh refuses such private keys), unless --insecure-passphrase-file makes it a warning.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli, secret_file


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    assert cli("client", "add", "Ada Example").code == 0
    return cli


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620], ids=oct)
def test_passphrase_file_others_can_access_is_refused(ready: Cli, mode: int) -> None:
    """A passphrase file readable (or writable) by group or others is refused, naming the fix."""
    ready.passphrase_file.chmod(mode)
    result = ready("client", "list")
    assert result.code == 2
    assert f"mode {mode:04o}" in result.stderr
    assert f"chmod 600 {ready.passphrase_file}" in result.stderr
    assert "--insecure-passphrase-file" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Ada Example" not in result.stdout


def test_passphrase_file_of_another_owner_is_refused(ready: Cli) -> None:
    """A 0600 file owned by someone else (who could rewrite it) is refused too."""
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(ready.passphrase_file, nobody, -1)
    result = ready("client", "list")
    assert result.code == 2
    assert f"owned by uid {nobody}, not by you" in result.stderr


def test_insecure_flag_downgrades_the_refusal_to_a_warning(ready: Cli) -> None:
    """With --insecure-passphrase-file the command runs and stderr says why it is unsafe."""
    ready.passphrase_file.chmod(0o644)
    result = ready("--insecure-passphrase-file", "client", "list")
    assert result.code == 0, result.stderr
    assert "Ada Example" in result.stdout
    assert "warning:" in result.stderr and "mode 0644" in result.stderr


def test_private_file_is_accepted_silently(ready: Cli) -> None:
    result = ready("client", "list")
    assert result.code == 0 and result.stderr == ""


def test_new_passphrase_file_is_checked_too(ready: Cli, tmp_path: Path) -> None:
    """`passwd --new-passphrase-file` refuses a world-readable file and changes nothing."""
    new = tmp_path / "new.txt"
    new.write_text("another strong gravel tundra\n")
    new.chmod(0o644)
    result = ready("passwd", "--new-passphrase-file", str(new))
    assert result.code == 2 and "chmod 600" in result.stderr
    assert ready("client", "list").code == 0  # the old passphrase still opens it


def test_recovery_key_file_from_the_environment_is_checked(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CONFIDE_RECOVERY_KEY_FILE naming a group-readable file is refused."""
    key = str(cli.init().data["recovery_key"])
    key_file = tmp_path / "recovery.txt"
    key_file.write_text(key + "\n")
    key_file.chmod(0o640)
    new = secret_file(tmp_path / "new.txt", "another strong gravel tundra\n")
    monkeypatch.setenv("CONFIDE_RECOVERY_KEY_FILE", str(key_file))
    result = cli("recover", "--new-passphrase-file", str(new))
    assert result.code == 2 and "recovery key file" in result.stderr
    assert "mode 0640" in result.stderr
    key_file.chmod(0o600)
    assert cli("recover", "--new-passphrase-file", str(new)).code == 0


def test_pipe_is_not_a_file_to_check(ready: Cli) -> None:
    """A pipe (`--passphrase-file <(pass show confide)`) is private to the two processes."""
    read, write = os.pipe()
    os.write(write, (PASSPHRASE + "\n").encode())
    os.close(write)
    try:
        result = ready("--passphrase-file", f"/dev/fd/{read}", "client", "list")
    finally:
        os.close(read)
    assert result.code == 0, result.stderr
