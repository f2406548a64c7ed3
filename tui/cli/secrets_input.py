"""Where passphrases and recovery keys come from: a file named by the user, or the terminal."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from vault import UsageError, check_new_passphrase

MAX_SECRET_FILE_BYTES = 64 * 1024  # a passphrase or recovery key is a line, not a document


def read_secret_file(path: str, what: str) -> str:
    try:
        # Bounded read: a wrong path such as /dev/zero or a disk image must not hang or eat memory.
        with Path(path).expanduser().open("rb") as f:
            raw = f.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as e:
        raise UsageError(f"cannot read the {what} file {path}: {e.strerror}") from None
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise UsageError(f"the {what} file {path} is far too large to hold a {what}; "
                         "is it the right file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"the {what} file {path} is not valid UTF-8") from None
    # One trailing newline is what editors add; anything else is part of the secret.
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise UsageError(f"the {what} file {path} is empty")
    return text


class SecretSource:
    def __init__(self, passphrase_file: str | None) -> None:
        self._passphrase_file = passphrase_file
        self._cached: str | None = None

    def _prompt(self, prompt: str, what: str) -> str:
        if not sys.stdin.isatty():
            raise UsageError(f"no {what} given: run in a terminal or pass "
                             f"--{what.replace(' ', '-')}-file FILE")
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise UsageError(f"no {what} entered") from None

    @property
    def has_passphrase_file(self) -> bool:
        """True when the passphrase comes from --passphrase-file or $CONFIDE_PASSPHRASE_FILE."""
        return bool(self._passphrase_file)

    def passphrase(self, prompt: str = "Passphrase: ") -> str:
        """The vault passphrase (asked once per command, then reused for re-authentication)."""
        if self._cached is None:
            if self._passphrase_file:
                self._cached = read_secret_file(self._passphrase_file, "passphrase")
            else:
                self._cached = self._prompt(prompt, "passphrase")
        return self._cached

    def new_passphrase(self, file: str | None) -> str:
        """A new passphrase, held to the core's rule (and its message) before it is used."""
        if file:
            new = read_secret_file(file, "new passphrase")
            check_new_passphrase(new)
            return new
        first = self._prompt("New passphrase: ", "new passphrase")
        check_new_passphrase(first)  # said before the repeat is asked for
        second = self._prompt("Repeat new passphrase: ", "new passphrase")
        if first != second:
            raise UsageError("the two passphrases differ; nothing was changed")
        return first

    def recovery_key(self, file: str | None) -> str:
        if file:
            return read_secret_file(file, "recovery key")
        env = os.environ.get("CONFIDE_RECOVERY_KEY_FILE")
        if env:
            return read_secret_file(env, "recovery key")
        return self._prompt("Recovery key: ", "recovery key")
