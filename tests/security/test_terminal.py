"""What reaches the terminal, in a real pty: no echo of type-ahead, no crash report with data,
and the terminal's settings restored on every way out."""

from __future__ import annotations

import os
import termios
import textwrap
import tty
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from tests.support.pty import PtyApp, after_app, queued_input, vault_args, wait_until
from tui.entry import discard_typeahead, opens_app, quiet_terminal
from vault import TEST_PRESET, Vault

SECRET = b"typeahead-SECRET-7731"
NAME = "Perpetua Quinceworth"
CTRL_Q, CTRL_N = b"\x11", b"\x0e"


def _vault(folder: Path, name: str | None = None) -> Path:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        if name:
            client = vault.clients.add(name)
            vault.notes.create(client.id, "free", body=f"{name} spoke of heliotrope")
    finally:
        vault.lock()
    return folder


def _unlock(app: PtyApp) -> None:
    app.wait_for_text(b"Unlock")  # the lock screen is drawn
    app.write(PASSPHRASE.encode() + b"\r")


def test_typeahead_passphrase_is_never_echoed(tmp_path: Path) -> None:
    """Typed while the app loads: never shown, not even in scrollback; echo back after quit."""
    folder = _vault(tmp_path / "vault")
    app = PtyApp(vault_args(folder), env={"XDG_STATE_HOME": str(tmp_path / "state")})
    try:
        assert app.echo_is_on()
        # The instant the child has silenced the terminal, while it still loads: long before
        # the lock screen exists. Discarded, so the passphrase typed next is not appended to it.
        app.wait_for(lambda: not app.echo_is_on(), "echo to be turned off")
        app.write(SECRET)
        _unlock(app)
        app.wait_for_text(b"No clients yet")
        app.write(CTRL_Q)
        assert app.wait_exit() == 0
        assert SECRET not in app.output
        assert app.attrs() == app.initial  # echo, line editing: as before the app
    finally:
        app.close()


def test_crash_prints_no_record_text_and_restores_the_terminal(tmp_path: Path) -> None:
    """A bug on a screen showing a client's name: one generic line with a reference stays on
    the terminal, never the name, the note or a traceback with local variables."""
    folder = _vault(tmp_path / "vault", NAME)
    script = textwrap.dedent(f"""
        import sys
        from tui.app.screens.clients import ClientListScreen

        def broken(self):
            names = [c.display_name for c in self.vault.clients.list("")]
            notes = [self.vault.notes.get(1).body]
            raise RuntimeError(f"broken for {{names}} {{notes}}")

        ClientListScreen.action_add_client = broken
        from tui.entry import main
        sys.exit(main(["--vault", {str(folder)!r}]))
    """)
    app = PtyApp([], env={"XDG_STATE_HOME": str(tmp_path / "state")}, python_args=("-c", script))
    try:
        _unlock(app)
        app.wait_for_text(NAME.encode())  # the name is on screen, in the app
        app.write(CTRL_N)
        assert app.wait_exit() == 1
        left = after_app(app.output)
        assert b"unexpected error (RuntimeError)" in left
        for secret in (NAME.encode(), b"Quinceworth", b"heliotrope"):
            assert secret not in left
        assert b"Traceback" not in left and b"locals" not in left
        assert app.attrs() == app.initial
        logs = list((tmp_path / "state" / "confide").glob("crash-*.log"))
        assert len(logs) == 1 and b"Quinceworth" not in logs[0].read_bytes()
    finally:
        app.close()


def test_discard_typeahead_drops_what_is_queued() -> None:
    """Keys typed before the lock screen are dropped, not fed to its passphrase field."""
    master, slave = os.openpty()
    try:
        tty.setraw(slave)  # every byte is readable at once, none waits for a newline
        os.write(master, SECRET)
        wait_until(lambda: queued_input(slave) == len(SECRET), "the typed bytes to arrive")
        discard_typeahead(slave)
        assert queued_input(slave) == 0
    finally:
        os.close(master)
        os.close(slave)


def test_quiet_terminal_restores_settings() -> None:
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        with quiet_terminal(slave):
            assert not termios.tcgetattr(slave)[3] & (termios.ECHO | termios.ICANON)
        assert termios.tcgetattr(slave) == before
        with pytest.raises(RuntimeError), quiet_terminal(slave):
            raise RuntimeError("restored on errors too")
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(
    ("argv", "opens"),
    [
        ([], True),
        (["--vault", "DIR"], True),
        (["--vault", "note"], True),
        (["demo"], True),
        (["note", "add"], False),
        (["--vault", "DIR", "list"], False),
        (["--json", "search"], False),
    ],
)
def test_which_invocations_open_the_app(argv: list[str], opens: bool) -> None:
    assert opens_app(argv) is opens
