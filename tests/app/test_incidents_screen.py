"""The incidents screen with Pilot: the deadline on unlock, the assessment form with what
Confide knows, the conclusion, letters, and user text shown as data."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Select, Static

from tests.support.tui import PASSPHRASE, app_for, settle, static_text, unlock
from tui.app.app import ConfideApp
from tui.app.screens.incidents import AssessModal, ConcludeModal, FolderModal, IncidentsScreen
from tui.app.widgets.safe import SafeTextArea
from vault import DEFAULT_PRESET, TEST_PRESET, Vault
from vault.incidents import MediaCopy

HOSTILE = "Stick lost [/] [bold]not bold[/bold] [@click=app.quit]x[/] {steps}"


def _vault(folder: Path, kdf: dict[str, object]) -> Path:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    with vault:
        vault.clients.add("Marigold Testperson")
        vault.clients.add("Tobias Sampleton")
        copy = MediaCopy(
            "confide-2026.cfbk",
            "2026-11-18T09:00:00+00:00",
            "AES-256-GCM",
            256,
            "SQLCipher 4",
            kdf,
            ("C-00001", "C-00002"),
            1,
        )
        vault.incidents.open("lost_device", date.today(), HOSTILE, media="USB drive", copies=[copy])
    return folder


def _messages(app: ConfideApp) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def _open(pilot: Pilot[None]) -> IncidentsScreen:
    await unlock(pilot)
    app = pilot.app
    assert isinstance(app, ConfideApp)
    app.action_incidents()
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, IncidentsScreen)
    return screen


async def test_safe_harbor_from_the_assessment_form(tmp_path: Path) -> None:
    """Unlock warns of the clock; the form shows the copies' encryption; keys not compromised
    and not-a-breach stop the clock."""
    folder = _vault(tmp_path / "vault", DEFAULT_PRESET.to_json())
    app = app_for(folder)
    async with app.run_test() as pilot:
        screen = await _open(pilot)
        deadline = (date.today() + timedelta(days=60)).isoformat()
        assert any(f"notices due by {deadline}" in m for m in _messages(app))
        table = screen.query_one("#incidents", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[5]).startswith(deadline)
        detail = static_text(screen.query_one("#incident-detail", Static))
        assert HOSTILE in detail  # markup-looking text is shown as typed
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AssessModal)
        facts = static_text(modal.query_one("#assess-facts", Static))
        assert "Argon2id t=3, m=256 MiB, p=2 (default)" in facts and "WARNING" not in facts
        assert "2 client(s)" in modal.query_one("#assess-nature", SafeTextArea).text
        modal.query_one("#assess-keys", Select).value = "no"
        modal.query_one("#assess-recipient", SafeTextArea).text = "A stranger [/]"
        modal.query_one("#assess-save", Button).press()
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("c")
        await settle(pilot)
        conclude = app.screen
        assert isinstance(conclude, ConcludeModal)
        conclude.query_one("#conclude-choice", Select).value = "not_breach"
        conclude.query_one("#conclude-reason", Input).value = "AES-256, keys safe"
        conclude.query_one("#conclude-save", Button).press()
        await settle(pilot)
        assert app.screen is screen
        assert str(table.get_row_at(0)[3]) == "open: not breach"
        assert str(table.get_row_at(0)[5]) == ""
        assert "A stranger [/]" in static_text(screen.query_one("#incident-detail", Static))
        assert app.vault is not None and app.vault.incidents.warnings() == []
        # Concluded: the next unlock shows no deadline.
        before = sum("notices due by" in m for m in _messages(app))
        await app.lock_vault()
        await settle(pilot)
        await unlock(pilot)
        assert app.vault is not None
        assert sum("notices due by" in m for m in _messages(app)) == before == 1


async def test_breach_letters_from_the_screen_and_the_weak_preset_warning(tmp_path: Path) -> None:
    """The weak test preset is flagged; the safe harbor is refused on screen (nothing
    changes); a breach writes one PDF letter per client."""
    folder = _vault(tmp_path / "vault", TEST_PRESET.to_json())
    app = app_for(folder)
    async with app.run_test() as pilot:
        screen = await _open(pilot)
        detail = static_text(screen.query_one("#incident-detail", Static))
        assert "WARNING: confide-2026.cfbk was written with the weak test" in detail
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConcludeModal)
        modal.query_one("#conclude-choice", Select).value = "not_breach"
        modal.query_one("#conclude-reason", Input).value = "encrypted"
        modal.query_one("#conclude-save", Button).press()
        await settle(pilot)
        assert any("weak test key-derivation preset" in m for m in _messages(app))
        assert app.vault is not None
        assert app.vault.incidents.get(1).conclusion is None
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConcludeModal)
        modal.query_one("#conclude-reason", Input).value = "weak preset"
        modal.query_one("#conclude-save", Button).press()  # breach is the default choice
        await settle(pilot)
        table = screen.query_one("#incidents", DataTable)
        assert str(table.get_row_at(0)[3]) == "open: breach"
        status = static_text(screen.query_one("#incidents-status", Static))
        assert "BREACH I-000001: notify 2 of 2" in status
        letters = tmp_path / "letters"
        letters.mkdir()
        await pilot.press("l")
        await settle(pilot)
        folder_modal = app.screen
        assert isinstance(folder_modal, FolderModal)
        folder_modal.query_one("#folder-path", Input).value = str(letters)
        folder_modal.query_one("#folder-ok", Button).press()
        await settle(pilot)
        files = sorted(p.name for p in letters.iterdir())
        assert files == ["notice-I-000001-C-00001.pdf", "notice-I-000001-C-00002.pdf"]
        text = subprocess.run(
            ["pdftotext", str(letters / files[1]), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert "Dear Tobias Sampleton" in text
        await pilot.press("x")  # not every client notified yet: refused, stays open
        await settle(pilot)
        assert any("no notice recorded as sent" in m for m in _messages(app))
        assert app.vault.incidents.get(1).is_open
        for client in ("C-00001", "C-2"):
            await pilot.press("s")
            await settle(pilot)
            sent = app.screen
            assert isinstance(sent, FolderModal)
            sent.query_one("#folder-path", Input).value = client
            sent.query_one("#folder-ok", Button).press()
            await settle(pilot)
        assert "(notified)" in static_text(screen.query_one("#incident-detail", Static))
        await pilot.press("x")
        await settle(pilot)
        assert str(table.get_row_at(0)[3]) == "closed: breach"
        assert str(table.get_row_at(0)[5]) == ""
        assert app.vault.incidents.warnings() == []


def _footer(app: ConfideApp) -> str:
    return app.screen._compositor.render_strips()[-1].text.rstrip()


async def test_footer_at_80_columns_keeps_the_keys_the_selected_incident_needs(
    tmp_path: Path,
) -> None:
    """Seven keys do not fit 80 columns beside Search, Help and Quit. The footer follows the
    selected incident: a concluded breach shows Letters, Sent and `x Close` (Close was the
    key cut before); one not yet concluded shows Assess and Conclude."""
    folder = _vault(tmp_path / "vault", TEST_PRESET.to_json())
    with Vault.unlock(folder, PASSPHRASE) as vault:
        breach = vault.incidents.open("lost_device", date.today(), "Laptop bag stolen")
        vault.incidents.conclude(breach.id, "breach", "The laptop was not encrypted")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        table = screen.query_one("#incidents", DataTable)
        rows = {str(table.get_row_at(i)[0]): i for i in range(table.row_count)}
        table.move_cursor(row=rows[breach.record_id])
        await settle(pilot)
        footer = _footer(app)
        for key in ("esc Back", "n New", "l Letters", "s Sent", "x Close", "^q Quit"):
            assert key in footer, (key, footer)
        table.move_cursor(row=rows["I-000001"])
        await settle(pilot)
        footer = _footer(app)
        for key in ("esc Back", "n New", "a Assess", "c Conclude", "^f Search", "^q Quit"):
            assert key in footer, (key, footer)
        assert "x Close" not in footer  # it cannot close before a conclusion
        await pilot.press("x")  # still works (and says why not), as `?` lists it
        await settle(pilot)
        assert any("not concluded yet" in m for m in _messages(app))
