"""What `confide`'s exit status means: one table, from the error classes to codes and names.

Scripts branch on these as they do on restic's (11 locked, 12 wrong password, 130 interrupted):
the numbers follow restic where the meaning is the same. The name is the `error` field of a
JSON error (docs/CLI-JSON.md). An error maps by its class, the most specific listed class in
its ancestry winning, so a new subclass of a listed error gets its parent's code.
"""

from __future__ import annotations


class ExitCode:
    """An exit status: its number, the name JSON errors carry, what it means."""

    __slots__ = ("code", "meaning", "name")

    def __init__(self, code: int, name: str, meaning: str) -> None:
        self.code, self.name, self.meaning = code, name, meaning

    def __repr__(self) -> str:
        return f"ExitCode({self.code}, {self.name!r})"


OK = ExitCode(0, "ok", "success")
FAILURE = ExitCode(1, "failure", "any other failure (stderr says what)")
USAGE = ExitCode(2, "usage", "a bad option, argument or input")
NO_VAULT = ExitCode(10, "no_vault", "no Confide vault in that folder")
BUSY = ExitCode(11, "vault_busy", "the vault is open in another Confide process")
WRONG_PASSPHRASE = ExitCode(12, "wrong_passphrase", "wrong passphrase or recovery key")
DAMAGED = ExitCode(13, "damaged", "a damaged file, or a failed integrity check")
NOT_FOUND = ExitCode(14, "not_found", "no such client, note, drive or other record")
REFUSED = ExitCode(
    15, "refused", "refused by a rule: legal hold, authorization, signed note, untrusted backup"
)
ROLLED_BACK = ExitCode(
    16,
    "rolled_back",
    "the vault was found older than its key file or a backup drive had seen (audit verify)",
)
READ_ONLY = ExitCode(
    17,
    "custodian_read_only",
    "opened with the custodian key: the record is read-only, or that key was not granted",
)
INTERRUPTED = ExitCode(130, "interrupted", "interrupted (Ctrl-C); nothing further changed")

ALL = (
    OK,
    FAILURE,
    USAGE,
    NO_VAULT,
    BUSY,
    WRONG_PASSPHRASE,
    DAMAGED,
    NOT_FOUND,
    REFUSED,
    ROLLED_BACK,
    READ_ONLY,
    INTERRUPTED,
)


def _table() -> dict[type, ExitCode]:
    # Imported when an error is being reported, never at start-up.
    from vault import errors

    table: dict[type, ExitCode] = {
        errors.UsageError: USAGE,
        errors.NotAVaultError: NO_VAULT,
        errors.VaultBusyError: BUSY,
        errors.AuthenticationError: WRONG_PASSPHRASE,
        errors.DamagedFileError: DAMAGED,
        errors.IntegrityError: DAMAGED,
        errors.NotFoundError: NOT_FOUND,
        errors.DisclosureRefusedError: REFUSED,
        errors.DisposalRefusedError: REFUSED,
        errors.ImmutableRecordError: REFUSED,
        errors.CustodianReadOnlyError: READ_ONLY,
    }
    return table


# Errors of the backup layer, by name: they are moving from vault/errors.py to backup/errors.py
# (still ConfideErrors), and an error being reported must never fail on where its class lives.
_BY_NAME = {"UntrustedBackupError": REFUSED}


def for_error(error: BaseException) -> ExitCode:
    """The exit code for an error a command raised (KeyboardInterrupt included)."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    table = _table()
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
        if cls.__name__ in _BY_NAME:
            return _BY_NAME[cls.__name__]
    return FAILURE


def epilog() -> str:
    """The exit-status section of `confide --help`."""
    lines = ["exit status:"]
    lines += [f"  {c.code:<4} {c.name:<17} {c.meaning}" for c in ALL]
    return "\n".join(lines)
