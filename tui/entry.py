"""The `confide` entry point: the command line, which hands over to the app when asked to open it.

The command line never imports Textual; it receives a way to open the app from here.

What is typed before the lock screen is drawn must never reach the terminal: the kernel echoes
keys as they arrive, so a passphrase typed ahead while Python and Textual load would stay in
scrollback. Echo is turned off before anything heavy is imported when the invocation opens the
app, the type-ahead is discarded just before the app starts reading keys, and the terminal's
own settings come back on every way out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

try:
    import termios
except ImportError:  # not a POSIX terminal: nothing to silence
    termios = None  # type: ignore[assignment]

# Global options that take a value (so the word after them is not a command).
_VALUE_OPTIONS = ("--vault", "--passphrase-file")


@contextmanager
def quiet_terminal(fd: int) -> Iterator[None]:
    """No echo and no line editing on `fd` (when it is a terminal) until the block ends, then
    its settings exactly as they were. Keys typed meanwhile stay queued, unseen."""
    if termios is None or not _isatty(fd):
        yield
        return
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield
        return
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        with suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def discard_typeahead(fd: int) -> None:
    """Drop whatever was typed and not yet read: it was typed before any prompt was shown."""
    if termios is not None and _isatty(fd):
        with suppress(termios.error):
            termios.tcflush(fd, termios.TCIFLUSH)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def opens_app(argv: Sequence[str]) -> bool:
    """Whether these arguments open the app (no command word), judged before the parser loads."""
    words = iter(argv)
    for word in words:
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif word == "demo":
            return True
        elif not word.startswith("-"):
            return False
    return True


def open_app(folder: Path, demo_passphrase: str | None = None) -> None:
    stdin = sys.stdin.fileno()
    with quiet_terminal(stdin):  # `confide demo` reaches here without the early silence
        from .app.app import ConfideApp  # Textual loads only when the app opens

        app = ConfideApp(
            folder=folder, demo_passphrase=demo_passphrase, watch_drives=True, watch_inbox=True
        )
        discard_typeahead(stdin)
        app.run()
    if app.return_code:  # a crash or a failed lock: the shell sees it (the CLI returns None)
        raise SystemExit(app.return_code)


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not opens_app(args):
        code = _cli(argv)
        if argv is None:
            _exit_now(code)
        return code
    with quiet_terminal(_stdin_fd()):
        return _cli(argv)


def _exit_now(code: int) -> None:
    """A command of the `confide` process is done: leave without the interpreter's teardown.

    The teardown frees every object of every module the command loaded (the records, crypto
    and SQLCipher modules) and runs OpenSSL's and the extensions' C exit handlers: 4-7 ms of
    the CPU of `confide client list` (bench/bench_cli.py). Nothing is skipped that matters:
    the vault is locked and its keys wiped before this, its files are closed; what Python's
    exit would still do for us is done here (stdout and stderr flushed, the atexit handlers,
    which clear themselves as they run). Only for the real process (`argv` None), never for
    in-process callers such as the tests; and only when no other thread runs. A flush that
    fails (a closed pipe) is left to Python's own exit to report, as before.
    """
    import atexit
    import threading

    if threading.active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        atexit._run_exitfuncs()
        sys.stdout.flush()  # what a handler printed
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - Python's own exit reports it, as it did before
        return
    os._exit(code)


def _stdin_fd() -> int:
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return -1


def _cli(argv: Sequence[str] | None) -> int:
    from .cli.main import main as cli_main  # after the terminal is silenced: imports take time

    return cli_main(argv, open_app=open_app)
