"""What the command line adds to an error: the command or option that would help.

The core and backup state facts and name no command (the app has buttons, not commands). The
error's type and attributes say which situation it is; this module phrases the remedy for a
command-line user. `Output.error` appends it to the message (and gives it as `hint` in JSON).
"""

from __future__ import annotations

import sys

from vault.errors import (
    AuthorizationNotNamedError,
    ConfideError,
    MissingVaultError,
    RestoreLeftoverError,
)


def hint_for(error: ConfideError) -> str | None:
    """The command-line hint for `error`, or None when the message says all there is."""
    if isinstance(error, MissingVaultError):
        return "create one with `confide init`"
    if isinstance(error, AuthorizationNotNamedError):
        return "see `confide auth list CLIENT`"
    if isinstance(error, RestoreLeftoverError):
        return "run `confide restore` again, or remove that folder"
    # An error of backup's or the incident register's exists only once its module was
    # imported: a wrong passphrase or a usage error does not import the backup package (the
    # whole package loads with it, a third of a second) just to find it is neither.
    if "backup.errors" in sys.modules:
        hint = _backup_hint(error)
        if hint is not None:
            return hint
    if "vault.incidents.models" in sys.modules:
        return _incident_hint(error)
    return None


def _backup_hint(error: ConfideError) -> str | None:
    from backup.errors import (
        DriveNotDesignatedError,
        OtherVaultBackupError,
        RestoreTargetExistsError,
        UnknownDriveError,
    )

    if isinstance(error, DriveNotDesignatedError):
        if error.marked:
            return f"if the drive is yours, run `confide backup drive add {error.root}`"
        return f"run `confide backup drive add {error.root}` first"
    if isinstance(error, UnknownDriveError):
        return "see `confide backup drive list`"
    if isinstance(error, OtherVaultBackupError):
        return "restore it with `confide restore` instead"
    if isinstance(error, RestoreTargetExistsError):
        return "add --force to replace it (it is kept aside until the restored vault verifies)"
    return None


def _incident_hint(error: ConfideError) -> str | None:
    from vault.incidents.models import IncidentStepError

    if isinstance(error, IncidentStepError):
        return {
            "keys": f"answer it with `confide incident assess {error.incident} "
            "--keys-compromised no|yes|unknown`",
            "conclusion": f"conclude it with `confide incident conclude {error.incident} ...`",
            "notices": f"record each with `confide incident notice {error.incident} --sent "
            "C-...`, or pass --unnotified-reason",
        }.get(error.needs)
    return None
