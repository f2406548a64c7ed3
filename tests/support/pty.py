"""Running `python -m tui` in a real pseudo-terminal and reading everything it writes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import REPO

TIMEOUT = 60.0  # generous: a loaded machine is slow, and only failures wait this long


class PtyApp:
    """A child process on a fresh pty; `output` accumulates all bytes it wrote."""

    def __init__(
        self,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        size: tuple[int, int] = (100, 30),
        python_args: Sequence[str] = ("-m", "tui"),
    ) -> None:
        self.master, self.slave = os.openpty()
        columns, rows = size
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.initial = termios.tcgetattr(self.slave)
        full_env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(columns),
            "LINES": str(rows),
            **(env or {}),
        }
        full_env.pop("TEXTUAL", None)
        self.output = b""
        self.process = subprocess.Popen(
            [sys.executable, *python_args, *args],
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=full_env,
            cwd=REPO,
            start_new_session=True,
        )

    def attrs(self) -> list[object]:
        """The terminal settings as the child left them (the parent shares the pty)."""
        return termios.tcgetattr(self.slave)

    def echo_is_on(self) -> bool:
        return bool(int(self.attrs()[3]) & termios.ECHO)  # type: ignore[call-overload]

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed its side
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, done: Callable[[], bool], what: str) -> None:
        """Read output until `done()` holds; fails after TIMEOUT (never a fixed sleep)."""
        wait_until(
            done,
            what,
            step=lambda: self._read(0.05),
            context=lambda: f"output so far: {self.output[-2000:]!r}",
        )

    def wait_for_text(self, text: bytes) -> None:
        self.wait_for(lambda: text in self.output, repr(text))

    def wait_exit(self) -> int:
        self.wait_for(lambda: self.process.poll() is not None, "the process to exit")
        while self._read(0.05):  # what it wrote last
            pass
        return int(self.process.returncode)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def wait_until(
    done: Callable[[], bool],
    what: str,
    step: Callable[[], object] | None = None,
    context: Callable[[], str] = str,
) -> None:
    """Poll `done()` (calling `step` between polls) until it holds, or fail after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; {context()}")
        if step is not None:
            step()
        else:
            select.select([], [], [], 0.01)


def queued_input(fd: int) -> int:
    """Bytes typed on terminal `fd` and not yet read."""
    return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0])


def vault_args(folder: Path) -> list[str]:
    return ["--vault", str(folder)]


def after_app(output: bytes) -> bytes:
    """What stays on the terminal once the app's alternate screen is gone (scrollback)."""
    return output.rpartition(LEAVE_ALT_SCREEN)[2]


LEAVE_ALT_SCREEN = b"\x1b[?1049l"
