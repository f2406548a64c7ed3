"""The records custodian's facts from the backup layer, gathered for the vault's instructions
document (the vault never imports backup): each designated drive, where it was last seen and
its newest good backup."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vault import BackupPlace, Vault


def backup_places(vault: Vault) -> list[BackupPlace]:
    """The backup drives the catalog knows. A vault that never made a backup has no catalog
    yet, and in custodian mode none can be created: then there is nothing to name."""
    from backup import Catalog
    from vault import BackupPlace, ConfideError

    catalog = Catalog(vault)
    try:
        drives = catalog.drives()
        places = []
        for drive in drives:
            last = catalog.last_good(drive.drive_id)
            places.append(
                BackupPlace(
                    label=drive.label,
                    last_path=drive.last_path,
                    last_backup=None if last is None else last.created_at,
                    lost=drive.is_lost,
                )
            )
    except ConfideError:
        # A catalog that cannot be read here (custodian mode cannot create its tables) is not
        # a reason to withhold the rest of the instructions; the document says no drive.
        return []
    return places
