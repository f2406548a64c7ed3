"""Security review: what the command line tells the user about their protection."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Cli


def test_passwd_warns_that_earlier_backups_keep_the_old_passphrase(
    cli: Cli, tmp_path: Path
) -> None:
    """After a passphrase change, existing backups are named as still opening with the old."""
    cli.init()
    usb = tmp_path / "usb"
    usb.mkdir()
    assert cli("backup", "drive", "add", str(usb)).code == 0
    assert cli("backup", "run", "--to", str(usb)).code == 0
    new = tmp_path / "new.txt"
    new.write_text("second passphrase here\n")
    new.chmod(0o600)
    result = cli("passwd", "--new-passphrase-file", str(new))
    assert result.code == 0, result.stderr
    assert "1 earlier backup(s) still open with the OLD passphrase" in result.stdout
