"""Opening a vault: finish what a killed `restore --force` left beside it, then unlock.

Both faces run this before showing a record: the old vault such a restore kept aside may hold
records disposed of since, and a kill between its two renames leaves no vault in place at all.
What was done and what still needs the practitioner come back as lines for the face to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from backup.restore import finish_interrupted
from vault import Vault


@dataclass(frozen=True)
class Tidied:
    """What finishing an interrupted restore did, and what it left to the practitioner."""

    done: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def finish_interrupted_restore(folder: Path) -> Tidied:
    """Finish a `restore --force` killed part-way at `folder`; raises ConfideError if it
    cannot (nothing is deleted that is not known to be ours)."""
    left = finish_interrupted(folder)
    return Tidied(tuple(left.done), tuple(left.problems))


def unlock(folder: Path, passphrase: Callable[[], str],
           report: Callable[[Tidied], None]) -> Vault:
    """Finish an interrupted restore, hand what was done to `report`, then unlock.

    `report` runs before the passphrase is asked for, so what was done is shown even when
    the passphrase then turns out wrong.
    """
    report(finish_interrupted_restore(folder))
    return Vault.unlock(folder, passphrase())
