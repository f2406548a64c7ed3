"""Exit codes that mean something (issue 13), each from a real failure in a real process.

The table is tui/cli/exitcodes.py; `confide --help` prints it. With --json the same code and
its name come as a JSON error on stdout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli, CliResult
from tests.support.disposal import make_practice
from tui.cli import exitcodes
from vault import Vault


def _fails(result: CliResult, code: exitcodes.ExitCode, words: str) -> None:
    assert result.code == code.code, (result.stdout, result.stderr)
    assert words in result.stderr and "Traceback" not in result.stderr


def _json_error(cli: Cli, code: exitcodes.ExitCode, *args: str) -> None:
    result = cli.subprocess(*args, "--json")
    assert result.code == code.code, result.stderr
    final = result.json
    assert final["type"] == "error" and final["code"] == code.code
    assert final["error"] == code.name and final["message"]


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    assert cli("client", "add", "Ilse Quarrender").code == 0
    return cli


def test_wrong_passphrase_file_is_12(ready: Cli, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    wrong.chmod(0o600)
    result = ready.subprocess("--passphrase-file", str(wrong), "client", "list")
    _fails(result, exitcodes.WRONG_PASSPHRASE, "wrong passphrase")
    _json_error(
        ready, exitcodes.WRONG_PASSPHRASE, "--passphrase-file", str(wrong), "client", "list"
    )


_HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from vault import Vault
    vault = Vault.unlock(Path(sys.argv[1]), sys.argv[2])
    print("ready", flush=True)
    sys.stdin.readline()
    vault.lock()
""")


def test_vault_held_by_another_process_is_11(ready: Cli) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(ready.vault_dir), PASSPHRASE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "ready"
        _fails(ready.subprocess("client", "list"), exitcodes.BUSY, "another Confide process")
        _json_error(ready, exitcodes.BUSY, "client", "list")
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert ready.subprocess("client", "list").code == 0


def test_damaged_key_file_is_13(ready: Cli) -> None:
    key_file = ready.vault_dir / "keys.confide"
    data = bytearray(key_file.read_bytes())
    data[100] ^= 0xFF
    key_file.write_bytes(bytes(data))
    _fails(ready.subprocess("client", "list"), exitcodes.DAMAGED, "damaged")
    _json_error(ready, exitcodes.DAMAGED, "client", "list")


def test_missing_client_is_14_and_missing_vault_is_10(ready: Cli, tmp_path: Path) -> None:
    _fails(ready.subprocess("client", "show", "C-00042"), exitcodes.NOT_FOUND, "no client")
    _json_error(ready, exitcodes.NOT_FOUND, "client", "show", "C-00042")
    _fails(
        ready.subprocess("--vault", str(tmp_path / "nowhere"), "status"),
        exitcodes.NO_VAULT,
        "no Confide vault",
    )


def test_legal_hold_refusing_disposal_is_15(cli: Cli) -> None:
    cli.init()
    with Vault.unlock(cli.vault_dir, PASSPHRASE) as vault:
        make_practice(vault)
    assert cli("legal-hold", "place", "C-00001", "--reason", "subpoena expected").code == 0
    refused = cli.subprocess("dispose", "C-00001", "--confirm", "Quillon Zabriskie")
    _fails(refused, exitcodes.REFUSED, "legal hold")
    _json_error(cli, exitcodes.REFUSED, "dispose", "C-00001", "--confirm", "Quillon Zabriskie")
    assert sorted(c["id"] for c in cli("client", "list", "--json").data) == [1, 2, 3]


def test_release_without_an_authorization_is_15(ready: Cli, tmp_path: Path) -> None:
    assert ready("note", "add", "1", "--body", "session notes", "--sign").code == 0
    refused = ready.subprocess(
        "release",
        "1",
        "--to",
        "Dr. Birch",
        "--for",
        "care",
        "--out",
        str(tmp_path / "r.pdf"),
        "--yes",
    )
    _fails(refused, exitcodes.REFUSED, "authorization")
    assert not (tmp_path / "r.pdf").exists()


def test_usage_is_2_other_failure_is_1(ready: Cli) -> None:
    _fails(
        ready.subprocess("client", "list", "--status", "asleep"), exitcodes.USAGE, "invalid choice"
    )
    _json_error(ready, exitcodes.USAGE, "client", "list", "--status", "asleep")
    _fails(ready.subprocess("init", "--kdf", "test-insecure"), exitcodes.FAILURE, "already")


def _blocked_reading_stdin(pid: int) -> bool:
    """Whether the process sits in read(0, ...) (Linux x86_64: syscall 0, first argument 0)."""
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return fields[:2] == ["0", "0x0"]


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="reads /proc/PID/syscall to know the process waits on its input",
)
def test_ctrl_c_is_130_and_saves_nothing(ready: Cli) -> None:
    """SIGINT while `note add --body-file -` waits for the text: exit 130, no note saved."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *ready.base_args(), "note", "add", "1", "--body-file", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        # Wait for a state, not a duration: the signal must land while it reads the note.
        while not _blocked_reading_stdin(proc.pid):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == exitcodes.INTERRUPTED.code, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert ready("note", "list", "1", "--json").data == []


def test_help_documents_every_exit_code() -> None:
    from tui.cli.main import build_parser

    text = build_parser().format_help()
    for code in exitcodes.ALL:
        assert f"  {code.code:<4} {code.name}" in text


def test_error_classes_map_by_their_ancestry() -> None:
    """A subclass gets its parent's code; backup errors map wherever their module is."""
    from vault import errors

    class Sub(errors.DisclosureRefusedError):
        pass

    class ArchiveDamaged(errors.DamagedFileError):
        pass

    class UntrustedBackupError(errors.ConfideError):  # as in backup/errors.py
        pass

    assert exitcodes.for_error(Sub("x")) is exitcodes.REFUSED
    assert exitcodes.for_error(errors.MarkupError("x")) is exitcodes.USAGE
    assert exitcodes.for_error(ArchiveDamaged("x")) is exitcodes.DAMAGED
    assert exitcodes.for_error(UntrustedBackupError("x")) is exitcodes.REFUSED
    assert exitcodes.for_error(errors.StorageError("x")) is exitcodes.FAILURE
    assert exitcodes.for_error(KeyboardInterrupt()) is exitcodes.INTERRUPTED
