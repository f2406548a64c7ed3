"""The app's launch loads only what the lock screen needs (issue 14; timings: bench/bench_tui.py).

Checked in a fresh interpreter by what is in sys.modules, never by time: the screens shown after
unlock, the backup stack, the drive watcher and the PDF stack load where they are first used.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from textual.widgets import Static

from tests.support.tui import app_for, make_empty, settle, static_text, unlock
from tui.app.screens.lock import LockScreen

_LAUNCH = """
import asyncio, json, sys
from pathlib import Path
from tui.app.app import ConfideApp
from tui.app.screens.lock import LockScreen
imported = sorted(sys.modules)

async def main() -> None:
    app = ConfideApp(folder=Path(sys.argv[1]), watch_drives=True)
    async with app.run_test() as pilot:
        while not isinstance(app.screen, LockScreen):
            await pilot.pause()
        await app.workers.wait_for_complete()  # the key file read behind the lock screen
        await pilot.pause()
        shown = sorted(sys.modules)
    print(json.dumps({"imported": imported, "shown": shown}))

asyncio.run(main())
"""

AFTER_UNLOCK = (
    "tui.app.screens.clients",
    "tui.app.screens.editor",
    "tui.app.screens.search",
    "tui.app.screens.timeline",
    "tui.app.screens.modals",
    "tui.app.screens.backup",
    "tui.app.screens.release",
    "tui.app.screens.disposal",
    "tui.app.widgets.flag_text_area",
)
NEVER_AT_LAUNCH = (
    "backup",
    "watchdog",
    "fpdf",
    "uharfbuzz",
    "vault.disclosures",
    "vault.retention",
    "vault.incidents",
)


def _under(modules: list[str], *packages: str) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


def _launch(folder: Path) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    report: dict[str, list[str]] = json.loads(out.strip().splitlines()[-1])
    return report


def test_launch_loads_no_later_screen_backup_watchdog_or_pdf(tmp_path: Path) -> None:
    report = _launch(make_empty(tmp_path / "vault"))
    # Importing the app loads none of the core's keys, SQLCipher or records either: the lock
    # screen is drawn first, the key file is read behind it.
    assert (
        _under(
            report["imported"],
            "sqlcipher3",
            "cryptography",
            "argon2",
            "vault.records",
            "vault.crypto",
            "vault.vault",
            # Widgets only later screens have, and hashlib (secrets: recovery key, crashes).
            "textual.widgets._text_area",
            "textual.widgets._data_table",
            "secrets",
        )
        == []
    )
    assert _under(report["shown"], *AFTER_UNLOCK, *NEVER_AT_LAUNCH) == []


async def test_a_damaged_key_file_is_reported_on_the_lock_screen(tmp_path: Path) -> None:
    """The key file is read after the lock screen is up; what is wrong with it still shows."""
    folder = make_empty(tmp_path / "vault")
    (folder / "keys.confide").write_bytes(b"\x00" * 64)
    app = app_for(folder)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        message = static_text(app.screen.query_one("#lock-message", Static))
        assert message.strip()


async def test_a_folder_without_a_vault_offers_to_create_one(tmp_path: Path) -> None:
    from tui.app.screens.lock import CreateVaultScreen

    app = app_for(tmp_path / "nothing here")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CreateVaultScreen)


async def test_typing_before_the_key_file_is_read_still_unlocks(tmp_path: Path) -> None:
    """The read behind the lock screen never replaces a lock screen the user is using."""
    from tui.app.screens.clients import ClientListScreen

    app = app_for(make_empty(tmp_path / "vault"))
    async with app.run_test() as pilot:
        await unlock(pilot)
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)
