"""Inside the app, plugging in the designated backup drive writes a backup and says so."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from backup import Catalog, add_drive
from backup.drives import backup_dir
from tests.support.tui import PASSPHRASE, app_for, settle, unlock
from vault import TEST_PRESET, Vault


async def test_app_backs_up_to_the_drive_when_it_appears(tmp_path: Path) -> None:
    """Unlocked with drive watching on, a designated drive under a watched root gets a backup."""
    media = tmp_path / "media"
    usb = media / "USBSTICK"
    usb.mkdir(parents=True)
    folder = tmp_path / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        vault.clients.add("Alder Sampleton")
        add_drive(vault, usb, label="usb")
        catalog = Catalog(vault)
        catalog.save_settings(dataclasses.replace(catalog.settings(), watch_roots=(str(media),)))
    finally:
        vault.lock()
    app = app_for(folder, watch_drives=True)
    async with app.run_test() as pilot:
        await unlock(pilot)
        deadline = time.monotonic() + 60  # a condition wait with a bound, not a fixed sleep
        while not any("verified" in n.message for n in app._notifications):
            assert time.monotonic() < deadline, [n.message for n in app._notifications]
            await pilot.pause(0.05)
        await app.lock_vault()
        await settle(pilot)
        assert app._drive_watcher is None
    with Vault.unlock(folder, PASSPHRASE) as again:
        (good,) = Catalog(again).backups(statuses=["good"])
        assert (backup_dir(usb) / good.file_name).is_file()
