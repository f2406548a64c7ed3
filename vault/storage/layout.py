"""Names beside a vault folder that belong to it: what a restore leaves there while it works.

A restore stages the restored vault in `.NAME.restoring-TOKEN` next to the vault folder NAME
and, when it replaces a vault, keeps the old one aside as `.NAME.before-restore-TOKEN` until the
restored one has verified. A restore test (restore, check, erase) works in
`.NAME.restore-test-TOKEN`, beside the vault and never in /tmp, so a killed test's full copy is
found by the same sweeps. `backup.restore` makes and finishes them; the vault's disposal refuses
while an aside copy exists and its verification fails while a restore test's copy does (either
would keep the disposed records). Both use these names, defined once here because vault/ may not
import backup.
"""

from __future__ import annotations

import glob
from pathlib import Path

# The key file's name, here so that a face can tell a vault folder from an empty one without
# importing the core (the app draws its lock screen before the crypto stack loads, issue 14).
KEY_FILE = "keys.confide"

STAGING = "restoring"
ASIDE = "before-restore"
RESTORE_TEST = "restore-test"


def plainly_a_vault(folder: Path) -> bool:
    """Whether `folder` holds a key file: the usual case, decided without opening it. False
    says nothing (no vault, a half-written key file...): `vault.inspect` decides those."""
    return (Path(folder) / KEY_FILE).is_file()


def _beside(folder: Path, kind: str, token: str) -> Path:
    folder = Path(folder).absolute()
    return folder.parent / f".{folder.name}.{kind}-{token}"


def _all_beside(folder: Path, kind: str) -> list[Path]:
    folder = Path(folder).absolute()
    # Escaped: a vault folder named "vault[1]" must not make the pattern a character class.
    return sorted(folder.parent.glob(f".{glob.escape(folder.name)}.{kind}-*"))


def restore_staging(folder: Path, token: str) -> Path:
    """Where a restore into `folder` stages the restored vault."""
    return _beside(folder, STAGING, token)


def restore_aside(folder: Path, token: str) -> Path:
    """Where a restore replacing the vault at `folder` keeps the old one until it verifies."""
    return _beside(folder, ASIDE, token)


def restore_stagings(folder: Path) -> list[Path]:
    """Staging folders of restores into `folder` that never finished (normally none)."""
    return _all_beside(folder, STAGING)


def restore_asides(folder: Path) -> list[Path]:
    """Previous vaults a replacing restore kept aside beside `folder` (normally none)."""
    return _all_beside(folder, ASIDE)


def restore_test_folder(folder: Path, token: str) -> Path:
    """Where a restore test of the vault at `folder` restores, checks, then erases its copy."""
    return _beside(folder, RESTORE_TEST, token)


def restore_tests(folder: Path) -> list[Path]:
    """Copies a killed restore test of the vault at `folder` left beside it (normally none)."""
    return _all_beside(folder, RESTORE_TEST)
