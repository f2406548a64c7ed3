"""`confide import` from the app (issue 16, "Done when"): on first run, ctrl+o makes the new
vault from an open export; a wrong export passphrase is said in one line, nothing is made."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, static_text
from tui.app.screens.lock import CreateVaultScreen, RecoveryKeyScreen
from vault import Vault
from vault.openexport import export_record

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"
NEW_PASSPHRASE = "a brand new passphrase for the import"


async def test_first_run_imports_an_open_export(tmp_path: Path) -> None:
    source = make_practice(tmp_path / "old")
    vault = Vault.unlock(source, PASSPHRASE)
    try:
        out = tmp_path / "record [bold].age"  # a file name is data too
        export_record(vault, out, EXPORT_PASSPHRASE, passphrase=PASSPHRASE)
        clients = vault.clients.ids()
        notes = vault.notes.count()
    finally:
        vault.lock()
    folder = tmp_path / "new"
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CreateVaultScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert "from an open export" in static_text(screen.query_one("#lock-title", Static))
        screen.query_one("#import-file", Input).value = str(out)
        screen.query_one("#import-passphrase", Input).value = "not the export passphrase"
        screen.query_one("#new1", Input).value = NEW_PASSPHRASE
        screen.query_one("#new2", Input).value = NEW_PASSPHRASE
        screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        error = static_text(screen.query_one("#lock-error", Static))
        assert error == "wrong export passphrase (or the export file is damaged)"
        assert app.screen is screen and not (folder / "keys.confide").exists()
        screen.query_one("#import-passphrase", Input).value = EXPORT_PASSPHRASE
        screen.query_one("#new2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryKeyScreen)
        messages = [n.message for n in app._notifications]
        assert any(f"Imported {len(clients)} clients, {notes} notes" in m for m in messages)
        assert any(str(out) in m for m in messages)
    imported = Vault.unlock(folder, NEW_PASSPHRASE)
    try:
        assert imported.clients.ids() == clients and imported.notes.count() == notes
        assert [e.action for e in imported.audit.entries(limit=5)].count("import") == 1
    finally:
        imported.lock()
