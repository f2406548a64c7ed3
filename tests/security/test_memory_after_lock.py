"""Issue 10 item 9: what is left in memory after `lock()`, and that no other process may read it.

Guaranteed and tested here: after lock, no copy of either data key as hex text (the form
SQLCipher's `PRAGMA key` used to leave twice) and no UTF-8 copy of the passphrase made by Confide
is anywhere in the process's readable memory; the process is non-dumpable, so neither a core
file nor `gcore`/ptrace by another process of the user can read it while it runs. Not
guaranteed (Python cannot): the caller's own passphrase `str`, transient `bytes` of raw keys
handed to the AEAD/HKDF calls, and freed SQLite pages holding decrypted records.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem")


def test_no_key_text_or_passphrase_copy_survives_lock(tmp_path: Path) -> None:
    """A child process uses a vault (search, note, psychotherapy notes), locks it, and then
    searches all of its own memory for the keys' hex text and the passphrase's UTF-8 bytes."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.memscan", str(tmp_path / "vault")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found.pop("canary (alive)") >= 1  # the scan does see live memory
    assert found == {
        "record key hex": 0,
        "pnotes key hex": 0,
        "record key HEX": 0,
        "passphrase utf-8": 0,
    }


def test_the_confide_process_is_not_dumpable(tmp_path: Path) -> None:
    """`confide` makes its process non-dumpable (PR_GET_DUMPABLE is 0); Python alone is not."""
    code = (
        "import contextlib, sys\n"
        "from vault.crypto.secret import is_dumpable\n"
        "before = is_dumpable()\n"
        "from tui.cli.main import main\n"
        "with contextlib.redirect_stdout(sys.stderr), contextlib.suppress(SystemExit):\n"
        "    main(['--vault', sys.argv[1], 'status'])\n"
        "print(before, is_dumpable())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "none")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.split() == ["True", "False"], proc.stderr
