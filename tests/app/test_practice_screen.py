"""Practice settings in the app (F4 from the client list), keys only at 80x24, reaching the
letterhead, signature line and PDF author of a release (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pypdf
from textual.widgets import Input, Static

from tests.support.disclosures import pdf_text
from tests.support.tui import app_for, make_practice, settle, unlock
from tui.app.screens.practice import PracticeScreen
from vault import Vault
from vault.disclosures import ReleaseSpec, RequestType

HOSTILE = "[b]Harbor[/b] [@click=app.quit]Counseling[/]"


async def test_practice_settings_saved_with_keys_reach_the_pdf(tmp_path: Path) -> None:
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        assert screen.focused is screen.query_one("#practice-name", Input)
        await pilot.press(*HOSTILE)
        await pilot.press("tab", *"Jane Able", "tab", *"PsyD", "tab", *"4 Pier St")
        await pilot.press("tab", *"555-0100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = str(screen.query_one("#practice-status", Static).render())
        assert f"Saved. Releases now say: {HOSTILE}." == status
        assert app.vault is not None
        saved = app.vault.disclosures.practice()
        assert (saved.name, saved.clinician, saved.credentials) == (HOSTILE, "Jane Able", "PsyD")
        assert (saved.address, saved.phone) == ("4 Pier St", "555-0100")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.query_one("#practice-clinician", Input).value == "Jane Able"
    vault = Vault.unlock(folder, "correct horse battery")
    try:
        plan = vault.disclosures.prepare(
            ReleaseSpec(
                client_id=1,
                request_type=RequestType.COURT_ORDER,
                recipient_name="County Court Clerk",
                purpose="order",
                court_order="Order 26-CV-101",
            )
        )
        vault.disclosures.write(plan, tmp_path / "r.pdf")
    finally:
        vault.lock()
    text = pdf_text(tmp_path / "r.pdf")
    assert "[b]Harbor[/b]" in text and "Released by: Jane Able, PsyD" in text
    assert "Signature: ___" in text
    assert pypdf.PdfReader(tmp_path / "r.pdf").metadata.author == HOSTILE


async def test_bad_practice_text_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#practice-name", Input).value = "Harbor"
        screen.query_one("#practice-phone", Input).value = "555\u202e0100"
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = str(screen.query_one("#practice-status", Static).render())
        assert status.startswith("Not saved: practice phone contains U+202E")
        assert app.vault is not None and app.vault.disclosures.practice().name is None
