"""The palette's "Export the record" (issue 16): a modal asks the path and the passphrases, keeps
what was typed on a mistake, and the export it writes opens with the export passphrase."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Checkbox, Input, Static

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, unlock
from tui.app.screens.export import ExportModal
from vault.openexport import read_export

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"


def _fill(app: object, path: str, passphrase: str, first: str, second: str) -> None:
    screen = app.screen  # type: ignore[attr-defined]
    screen.query_one("#path", Input).value = path
    screen.query_one("#passphrase", Input).value = passphrase
    screen.query_one("#export1", Input).value = first
    screen.query_one("#export2", Input).value = second
    screen.query_one("#export2", Input).focus()


def _error(app: object) -> str:
    return str(app.screen.query_one("#export-error", Static).render())  # type: ignore[attr-defined]


async def test_export_from_the_palette(tmp_path: Path) -> None:
    folder = make_practice(tmp_path / "vault")
    out = tmp_path / "record [bold].age"  # a file name is data too
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"export the record")
        await settle(pilot)
        commands = app.screen.query_one(CommandList)
        assert "Export the record" in str(commands.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportModal)
        # Every field fits at 80x24 (reachable without scrolling).
        for wid in ("#path", "#passphrase", "#export1", "#export2", "#pnotes"):
            region = app.screen.query_one(wid).region
            assert region.height and app.screen.region.contains_region(region), wid
        # A mistake keeps the modal open, with what was typed and why.
        _fill(app, str(out), PASSPHRASE, EXPORT_PASSPHRASE, "something else")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportModal)
        assert "differ" in _error(app)
        _fill(app, str(out), PASSPHRASE, "password123", "password123")
        await pilot.press("enter")
        await settle(pilot)
        assert "too easy to guess" in _error(app)
        # A wrong vault passphrase: asked again, the path kept, nothing written.
        _fill(app, str(out), "not my passphrase", EXPORT_PASSPHRASE, EXPORT_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportModal)
        assert "nothing was written" in _error(app) and not out.exists()
        assert app.screen.query_one("#path", Input).value == str(out)
        _fill(app, str(out), PASSPHRASE, EXPORT_PASSPHRASE, EXPORT_PASSPHRASE)
        app.screen.query_one("#pnotes", Checkbox).value = True
        app.screen.query_one("#export2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportModal)
        assert any("Export written" in n.title for n in app._notifications)
        await app.lock_vault()
    export = read_export(out, EXPORT_PASSPHRASE)
    assert len(export.clients) == 8 and export.manifest["psychotherapy_notes"] is True
    assert sum(len(d["pnotes"]) for d in export.pnotes) > 0
