"""Pilot tests of the release and authorization screens on a real temp vault (no sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input, Select, Static

from tests.support.disclosures import CATEGORY_MARKERS, PASSPHRASE, VISIBLE, build
from tests.support.tui import app_for, settle, unlock
from tui.app.screens.release import AuthorizationsScreen, ReleaseScreen
from tui.app.widgets.safe import SafeTextArea
from vault import TEST_PRESET, OmitCategory, Vault


def _practice(folder: Path, expires: str = "2099-01-01") -> tuple[int, int]:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        practice = build(vault)
        auth = vault.disclosures.authorizations.add(
            practice.client,
            kind="general",
            description="all records",
            discloser="Dr. Able",
            recipient_name="Dr. Birch",
            purpose="continuity of care",
            signed_on="2026-01-01",
            expires_on=expires,
        )
    finally:
        vault.lock()
    return practice.client, auth.id


async def _fill(screen: ReleaseScreen, auth_id: int) -> None:
    screen.query_one("#release-recipient", Input).value = "Dr. Birch"
    screen.query_one("#release-purpose", Input).value = "continuity of care"
    screen.query_one("#release-auth", Select).value = auth_id


def _status(screen: ReleaseScreen) -> str:
    return str(screen.query_one("#release-status", Static).render())


async def test_release_screen_previews_then_writes(tmp_path: Path) -> None:
    """Preview shows exactly what leaves; a changed form needs a new preview; F6 writes."""
    client, auth_id = _practice(tmp_path / "vault")
    out = tmp_path / "birch.txt"
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        await pilot.press("f5")
        await settle(pilot)
        preview = screen.query_one("#release-preview", SafeTextArea).text
        assert VISIBLE in preview and "[withheld: legal]" in preview
        assert CATEGORY_MARKERS[OmitCategory.LEGAL] not in preview
        write = screen.query_one("#release-write-button", Button)
        assert not write.disabled
        screen.query_one("#release-purpose", Input).value = "something else"
        await settle(pilot)
        assert write.disabled and "preview again" in _status(screen)
        await pilot.press("f6")
        await settle(pilot)
        assert not out.exists()
        screen.query_one("#release-purpose", Input).value = "continuity of care"
        await pilot.press("f5")
        await settle(pilot)
        screen.query_one("#release-out", Input).value = str(out)
        await pilot.press("f6")
        await settle(pilot)
        assert not out.exists()  # asked first (y/N), as the CLI asks
        await pilot.press("y")
        await settle(pilot)
        assert "Wrote R-000001" in _status(screen)
        assert out.read_text() == preview
        assert app.vault is not None
        assert app.vault.disclosures.get(1).recipient_name == "Dr. Birch"


async def test_expired_authorization_is_refused_on_screen(tmp_path: Path) -> None:
    """An expired authorization gives the reason in the status line; nothing is prepared."""
    client, auth_id = _practice(tmp_path / "vault", expires="2026-02-01")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        await pilot.press("f5")
        await settle(pilot)
        assert "expired on 2026-02-01" in _status(screen)
        assert screen.query_one("#release-write-button", Button).disabled
        assert screen.query_one("#release-preview", SafeTextArea).text == ""


async def test_privacy_mode_hides_the_preview(tmp_path: Path) -> None:
    """F2 hides the previewed text; the release can still be reviewed after leaving it."""
    client, auth_id = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert not screen.query_one("#release-preview", SafeTextArea).display
        assert screen.query_one("#release-hidden", Static).display


async def test_authorizations_screen_records_and_revokes(tmp_path: Path) -> None:
    """A signed form is recorded from the form; r then confirms and revokes it."""
    client, _ = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = AuthorizationsScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        table = screen.query_one("#auths", DataTable)
        assert table.row_count == 1
        for widget_id, value in (
            ("auth-what", "psychotherapy notes 2026"),
            ("auth-discloser", "Dr. Able"),
            ("auth-to", "Dr. [b]Cedar"),
            ("auth-purpose", "court"),
            ("auth-signed", "2026-05-01"),
            ("auth-expires", "2027-05-01"),
        ):
            screen.query_one(f"#{widget_id}", Input).value = value
        screen.query_one("#auth-kind", Select).value = "psychotherapy_notes"
        screen.query_one("#auth-add", Button).press()
        await settle(pilot)
        assert table.row_count == 2
        assert "Dr. [b]Cedar" in [str(table.get_row_at(i)[3]) for i in range(2)]
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("r")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        assert "valid" not in str(table.get_row_at(0)[1])
        assert "revoked" in str(screen.query_one("#auth-status", Static).render())


async def test_psychotherapy_notes_need_the_passphrase_again(tmp_path: Path) -> None:
    """Naming a psychotherapy-notes authorization asks the passphrase before the preview."""
    from tests.support.disclosures import PNOTE_MARKER
    from tui.app.screens.modals import PassphraseModal

    folder = tmp_path / "vault"
    client, auth_id = _practice(folder)
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        pauth = vault.disclosures.authorizations.add(
            client,
            kind="psychotherapy-notes",
            description="pnotes",
            discloser="Dr. Able",
            recipient_name="Dr. Birch",
            purpose="continuity of care",
            signed_on="2026-01-01",
            expires_on="2099-01-01",
        ).id
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        screen.query_one("#release-pnotes-auth", Select).value = pauth
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        app.screen.query_one("#reauth", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert PNOTE_MARKER in screen.query_one("#release-preview", SafeTextArea).text


async def test_f6_asks_first_showing_where_the_file_goes(tmp_path: Path) -> None:
    """F6 opens a y/N question naming the full path; n (or escape) writes nothing."""
    from tui.app.screens.modals import ConfirmModal

    client, auth_id = _practice(tmp_path / "vault")
    out = tmp_path / "out dir" / "birch.pdf"
    out.parent.mkdir()
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        await pilot.press("f5")
        await settle(pilot)
        screen.query_one("#release-out", Input).value = str(out)
        screen.query_one("#release-password", Input).value = "Tr4vel-kiosk-Lantern"
        screen.query_one("#release-password-again", Input).value = "Tr4vel-kiosk-Lantern"
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one(".modal-question", Static).render())
        assert str(out) in question.replace("\n", "") and "PDF password set" in question
        assert "Dr. Birch" in question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and not out.exists()
        assert "Not written" in _status(screen)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert out.exists() and "Wrote R-000001" in _status(screen)
        from tests.support.disclosures import pdf_text

        assert "Dr. Birch" in pdf_text(out, "Tr4vel-kiosk-Lantern")


async def test_purpose_unlike_the_authorization_warns_on_screen(tmp_path: Path) -> None:
    """The preview's status line warns when the purpose typed is not the authorized one."""
    client, auth_id = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        screen.query_one("#release-purpose", Input).value = "[b]life insurance[/b]"
        await pilot.press("f5")
        await settle(pilot)
        status = _status(screen)
        assert screen.plan is not None
        assert "Warning: the purpose typed ('[b]life insurance[/b]') differs" in status
        assert "continuity of care" in status


async def test_release_status_shows_local_time_in_a_fixed_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The written line and the preview's Signed: lines are in the clinician's zone."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    client, auth_id = _practice(tmp_path / "vault")
    out = tmp_path / "birch.txt"
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        await _fill(screen, auth_id)
        await pilot.press("f5")
        await settle(pilot)
        preview = screen.query_one("#release-preview", SafeTextArea).text
        assert "Signed: " in preview and " JST\n" in preview and "+00:00" not in preview
        screen.query_one("#release-out", Input).value = str(out)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert " JST; recorded" in _status(screen)


async def test_valid_authorization_is_preselected_and_fills_empty_fields(tmp_path: Path) -> None:
    """With a valid authorization on file it is chosen already, and the empty recipient and
    purpose take its wording: keys alone reach a preview without an empty recipient."""
    client, auth_id = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.query_one("#release-auth", Select).value == auth_id
        assert screen.query_one("#release-recipient", Input).value == "Dr. Birch"
        assert screen.query_one("#release-purpose", Input).value == "continuity of care"
        await pilot.press("f5")
        await settle(pilot)
        assert screen.plan is not None and screen.plan.spec.recipient_name == "Dr. Birch"
