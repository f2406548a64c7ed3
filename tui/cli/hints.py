"""What the command line adds to an error: the command or option that would help.

The core and backup state facts and name no command (the app has buttons, not commands). The
error's type and attributes say which situation it is; this module phrases the remedy for a
command-line user. `Output.error` appends it to the message (and gives it as `hint` in JSON).
"""

from __future__ import annotations

from backup.errors import (
    DriveNotDesignatedError,
    OtherVaultBackupError,
    RestoreTargetExistsError,
    UnknownDriveError,
)
from vault.errors import (
    AuthorizationNotNamedError,
    ConfideError,
    MissingVaultError,
    RestoreLeftoverError,
)
from vault.incidents.models import IncidentStepError


def hint_for(error: ConfideError) -> str | None:
    """The command-line hint for `error`, or None when the message says all there is."""
    if isinstance(error, MissingVaultError):
        return "create one with `confide init`"
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
    if isinstance(error, RestoreLeftoverError):
        return "run `confide restore` again, or remove that folder"
    if isinstance(error, IncidentStepError):
        return {
            "keys": f"answer it with `confide incident assess {error.incident} "
            "--keys-compromised no|yes|unknown`",
            "conclusion": f"conclude it with `confide incident conclude {error.incident} ...`",
            "notices": f"record each with `confide incident notice {error.incident} --sent "
            "C-...`, or pass --unnotified-reason",
        }.get(error.needs)
    if isinstance(error, AuthorizationNotNamedError):
        return "see `confide auth list CLIENT`"
    return None
