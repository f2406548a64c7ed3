"""Where passphrases and recovery keys come from: a file named by the user, or the terminal."""

from __future__ import annotations

import getpass
import os
import stat
import sys
from pathlib import Path

from vault import UsageError, check_new_passphrase

MAX_SECRET_FILE_BYTES = 64 * 1024  # a passphrase or recovery key is a line, not a document


INSECURE_FLAG = "--insecure-passphrase-file"


def _check_private(path: str, what: str, st: os.stat_result, insecure: bool) -> None:
    """As ssh does with private keys: a secret in a file others can read (or one that someone
    else owns, and so can rewrite or re-permit) is no secret. Regular files only: a pipe such
    as `<(pass show confide)` is private to the two processes."""
    if not stat.S_ISREG(st.st_mode):
        return
    problem = None
    if st.st_uid != os.geteuid():
        problem = (
            f"the {what} file {path} is owned by uid {st.st_uid}, not by you "
            f"(uid {os.geteuid()}); keep it in a file of your own with `chmod 600`"
        )
    elif st.st_mode & 0o077:
        problem = (
            f"the {what} file {path} is accessible to other users (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); run `chmod 600 {path}`"
        )
    if problem is None:
        return
    if not insecure:
        raise UsageError(f"{problem}, or pass {INSECURE_FLAG} to use it anyway")
    sys.stderr.write(f"confide: warning: {problem} (used anyway: {INSECURE_FLAG})\n")


def read_secret_file(path: str, what: str, *, secret: bool = True, insecure: bool = False) -> str:
    """A one-line value from a file. With `secret` (a passphrase, key or password) the file
    must be private to the user, unless `insecure` downgrades that to a warning."""
    try:
        # Bounded read: a wrong path such as /dev/zero or a disk image must not hang or eat memory.
        with Path(path).expanduser().open("rb") as f:
            if secret:
                _check_private(path, what, os.fstat(f.fileno()), insecure)
            raw = f.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as e:
        raise UsageError(f"cannot read the {what} file {path}: {e.strerror}") from None
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise UsageError(
            f"the {what} file {path} is far too large to hold a {what}; is it the right file?"
        )
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
    def __init__(self, passphrase_file: str | None, insecure_files: bool = False) -> None:
        self._passphrase_file = passphrase_file
        self._cached: str | None = None
        self.insecure_files = insecure_files

    def read_file(self, path: str, what: str) -> str:
        """A secret from a file named on the command line (checked as `read_secret_file`)."""
        return read_secret_file(path, what, insecure=self.insecure_files)

    def _prompt(self, prompt: str, what: str) -> str:
        if not sys.stdin.isatty():
            raise UsageError(
                f"no {what} given: run in a terminal or pass --{what.replace(' ', '-')}-file FILE"
            )
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
                self._cached = self.read_file(self._passphrase_file, "passphrase")
            else:
                self._cached = self._prompt(prompt, "passphrase")
        return self._cached

    def forget(self) -> None:
        """Drop the passphrase kept for re-authentication: the next `passphrase()` asks (or
        reads the file, runs the command) again. Python cannot overwrite the string itself;
        this only ends this object's hold on it."""
        self._cached = None

    def new_passphrase(self, file: str | None) -> str:
        """A new passphrase, held to the core's rule (and its message) before it is used."""
        if file:
            new = self.read_file(file, "new passphrase")
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
            return self.read_file(file, "recovery key")
        env = os.environ.get("CONFIDE_RECOVERY_KEY_FILE")
        if env:
            return self.read_file(env, "recovery key")
        return self._prompt("Recovery key: ", "recovery key")


PASSPHRASE_COMMAND_ENV = "CONFIDE_PASSPHRASE_COMMAND"  # noqa: S105 - a variable name
CUSTODIAN_KEY_FILE_ENV = "CONFIDE_CUSTODIAN_KEY_FILE"


class CustodianKeySource(SecretSource):
    """`--custodian`: the vault is opened with the key on the custodian sheet, which also
    stands in wherever a command asks for the passphrase again (psychotherapy notes, sealed
    names, the open export). From --custodian-key-file, else $CONFIDE_CUSTODIAN_KEY_FILE,
    else asked at the terminal."""

    def __init__(self, key_file: str | None, insecure_files: bool = False) -> None:
        super().__init__(key_file or os.environ.get(CUSTODIAN_KEY_FILE_ENV), insecure_files)

    def passphrase(self, prompt: str = "Passphrase: ") -> str:
        del prompt
        if self._cached is None:
            if self._passphrase_file:
                self._cached = self.read_file(self._passphrase_file, "custodian key")
            else:
                self._cached = self._prompt("Custodian key: ", "custodian key")
        return self._cached

    def new_passphrase(self, file: str | None) -> str:
        from vault import CustodianReadOnlyError

        raise CustodianReadOnlyError(
            "custodian mode is read-only: setting a passphrase is for the clinician"
        )


def run_passphrase_command(command: str) -> str:
    """The passphrase a command prints (a keychain, `pass`, KeePassXC): the first line of its
    standard output. As restic's RESTIC_PASSWORD_COMMAND: split like a shell would, but run
    without one (no expansion, no injection); its stderr and stdin stay the terminal's so it
    can ask for a master password."""
    import shlex
    import subprocess

    from vault import ConfideError

    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"the passphrase command cannot be read: {e}") from None
    if not argv:
        raise UsageError("the passphrase command is empty")
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE)  # noqa: S603 - the user's own
    except OSError as e:
        raise UsageError(f"cannot run the passphrase command {argv[0]}: {e.strerror}") from None
    assert proc.stdout is not None
    with proc.stdout:
        raw = proc.stdout.read(MAX_SECRET_FILE_BYTES + 1)
    if len(raw) > MAX_SECRET_FILE_BYTES:
        proc.kill()
    status = proc.wait()
    if status != 0:
        raise ConfideError(
            f"the passphrase command {argv[0]} failed (exit status {status}); nothing was done"
        )
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise UsageError(
            f"the passphrase command {argv[0]} printed far too much to be a passphrase"
        )
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise UsageError(
            f"the passphrase command {argv[0]} printed text that is not UTF-8"
        ) from None
    if not lines or not lines[0]:
        raise UsageError(f"the passphrase command {argv[0]} printed no passphrase")
    return lines[0]


class CommandSecretSource(SecretSource):
    """The vault passphrase from --passphrase-command or $CONFIDE_PASSPHRASE_COMMAND (run once
    per invocation, then reused for re-authentication like a passphrase file)."""

    def __init__(self, command: str) -> None:
        super().__init__(None)
        self._command = command

    @property
    def has_passphrase_file(self) -> bool:
        return True

    def passphrase(self, prompt: str = "Passphrase: ") -> str:
        if self._cached is None:
            self._cached = run_passphrase_command(self._command)
        return self._cached
