"""Opening a vault: finish what a killed `restore --force` left beside it, then unlock.

Both faces run this before showing a record: the old vault such a restore kept aside may hold
records disposed of since, and a kill between its two renames leaves no vault in place at all.
A killed restore test's copy beside the vault is overwritten and removed here too.
What was done and what still needs the practitioner come back as lines for the face to show.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault import Vault


@dataclass(frozen=True)
class Tidied:
    """What finishing an interrupted restore did, and what it left to the practitioner."""

    done: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def _restore_left_something(folder: Path) -> bool:
    """Whether a killed restore may have left anything at `folder`: a cheap look first, so
    that every command does not import the backup package to find nothing (a third of
    `confide client list`'s start-up, issue 13). A restore leaves only `.NAME.restoring-*` and
    `.NAME.before-restore-*` beside the vault (vault/storage/layout.py) and its
    `restore-replaced` marker inside; anything else starting `.NAME.` is looked at properly."""
    target = Path(folder).absolute()
    prefix = f".{target.name}."
    try:
        if os.path.lexists(target / "restore-replaced"):
            return True
        with os.scandir(target.parent) as entries:
            return any(e.name.startswith(prefix) for e in entries)
    except OSError:
        return True  # let the real check say what is wrong


def finish_interrupted_restore(folder: Path) -> Tidied:
    """Finish a `restore --force` killed part-way at `folder`; raises ConfideError if it
    cannot (nothing is deleted that is not known to be ours)."""
    if not _restore_left_something(folder):
        return Tidied()
    from backup.restore import finish_interrupted

    left = finish_interrupted(folder)
    return Tidied(tuple(left.done), tuple(left.problems))


def unlock(
    folder: Path,
    passphrase: Callable[[], str],
    report: Callable[[Tidied], None],
    *,
    custodian: bool = False,
    upgrading: Callable[[str], None] | None = None,
) -> Vault:
    """Finish an interrupted restore, hand what was done to `report`, then unlock.

    `report` runs before the passphrase is asked for, so what was done is shown even when
    the passphrase then turns out wrong. With `custodian`, `passphrase` gives the custodian
    key and the vault opens in custodian mode (read-only for the clinical record). `upgrading`
    gets one line before a long schema upgrade (a search index rebuilt once after an update)
    runs, so the face can say so.
    """
    from vault import Vault  # here, not at import: the app draws its lock screen first

    report(finish_interrupted_restore(folder))
    if custodian:
        from backup.catalog import ensure_schema

        # The backup catalog's tables before custodian mode forbids creating them: a vault
        # never backed up must still list its (no) backups, not fail on the schema.
        return Vault.unlock_custodian(
            folder, passphrase(), on_upgrade=upgrading, schemas=(ensure_schema,)
        )
    return Vault.unlock(folder, passphrase(), on_upgrade=upgrading)
