"""Debian's `age` tool on a test export: the export must open with a standard tool, not only
with Confide's own binding (issue 16). Used by the vault and CLI export tests."""

from __future__ import annotations

import fcntl
import io
import os
import select
import shutil
import subprocess
import tarfile
import termios
from pathlib import Path

import pytest

AGE = shutil.which("age")


def require_age() -> str:
    """The age binary. Missing on a developer's machine the test skips; in CI (CI set) it fails,
    so the Done-when test cannot pass by skipping (scripts/test installs age)."""
    if AGE is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's age is not installed, and CI must run this test")
        pytest.skip("Debian's age is not installed (scripts/test installs it)")
    return AGE


def age_decrypt(source: Path, target: Path, passphrase: str) -> tuple[int, bytes]:
    """Debian's age reads the passphrase from its controlling terminal: give it a pty, answer
    its prompt when it appears (no sleeps), read until it closes."""
    age = require_age()
    master, slave = os.openpty()

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(  # noqa: S603 - a fixed tool on a test file
        [age, "-d", "-o", str(target), str(source)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=controlling_terminal,  # noqa: PLW1509 - no threads hold locks here
    )
    os.close(slave)
    seen, answered = b"", False
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        assert ready, f"age said nothing for 120 s: {seen!r}"
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"passphrase" in seen.lower():
            os.write(master, passphrase.encode() + b"\r")
            answered = True
    os.close(master)
    return proc.wait(timeout=120), seen


def members(tar_bytes: bytes) -> dict[str, bytes]:
    """Every regular file of a tar, by its name in the archive."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar
            if m.isfile()
        }


def scrypt_log_n(export: bytes) -> int:
    """The scrypt work factor (log2 N) of an age passphrase file, from its header stanza."""
    header = export.split(b"\n", 2)[1]  # "-> scrypt SALT LOGN"
    parts = header.split()
    assert parts[:2] == [b"->", b"scrypt"], header
    return int(parts[3])
