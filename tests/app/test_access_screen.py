"""Pilot tests of the right of access in the app (issue 19): requests and their due dates,
denials and reviews, representatives, the written denial, and the copy from the release screen.
Real temp vaults, no sleeps."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from textual.widgets import Button, DataTable, Input, Select, Static

from tests.support.disclosures import PASSPHRASE, output_text, signed
from tests.support.tui import app_for, settle, static_text, table_column, unlock
from tui.app.screens.access import AccessScreen
from tui.app.screens.release import ReleaseScreen
from tui.app.widgets.safe import SafeTextArea
from vault import TEST_PRESET, Vault
from vault.disclosures import RequestType

SECRET = "zqappdeniedmark"
SHOWN = "[bold]Pat[/bold] Youngling"


def _minor_practice(folder: Path) -> tuple[int, int]:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        minor = vault.clients.add("Robin Youngling", date_of_birth="2012-05-01").id
        note = signed(
            vault,
            minor,
            "soap",
            f"Slept well. {SECRET} said at school. {{{{omit:dream}}}}zqappdreammark{{{{/omit}}}}",
            "2026-03-01",
        )
        received = (date.today() - timedelta(days=3)).isoformat()
        vault.disclosures.access.request(minor, received_on=received)
    finally:
        vault.lock()
    return minor, note


def _button(screen: AccessScreen, button_id: str) -> None:
    screen.query_one(f"#{button_id}", Button).press()


def _set(screen: AccessScreen, widget_id: str, value: str) -> None:
    screen.query_one(f"#{widget_id}", Input).value = value


async def test_access_screen_records_requests_denials_reviews_and_representatives(
    tmp_path: Path,
) -> None:
    """Open requests with their due dates; a parent's request; a denial and its review; a
    representative declined; the written denial written by a worker."""
    minor, note = _minor_practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 60)) as pilot:
        await unlock(pilot)
        messages = [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]
        assert any("X-00001 for C-00001: due" in m and "27 days left" in m for m in messages)
        screen = AccessScreen(minor)
        await app.push_screen(screen)
        await settle(pilot)
        requests = screen.query_one("#access-requests", DataTable)
        assert table_column(requests, 2) == ["27 days left"]
        _set(screen, "access-rep-name", SHOWN)
        _set(screen, "access-rep-authority", "parent of a minor")
        _button(screen, "access-rep-add")
        await settle(pilot)
        reps = screen.query_one("#access-reps", DataTable)
        assert table_column(reps, 1) == [SHOWN]  # markup shown as typed, never interpreted
        assert table_column(reps, 3) == ["yes"]
        screen.query_one("#access-requester", Select).value = 1
        _button(screen, "access-request-add")
        await settle(pilot)
        assert "Recorded X-00002" in static_text(screen.query_one("#access-status", Static))
        assert len(table_column(requests, 0)) == 2
        _set(screen, "access-deny-note", f"N-{note:06d}")
        screen.query_one("#access-deny-ground", Select).value = "endangerment"
        _set(screen, "access-deny-passage", SECRET)
        _set(screen, "access-deny-why", "Risk to a classmate.")
        _button(screen, "access-deny")
        await settle(pilot)
        denials = screen.query_one("#access-denials", DataTable)
        assert table_column(denials, 3) == ["endangerment"]
        assert table_column(denials, 4) == ["not reviewed"]
        out = tmp_path / "denial.txt"
        _set(screen, "access-letter-out", str(out))
        _button(screen, "access-letter")
        await settle(pilot)
        letter = output_text(out)
        assert "1-800-368-1019" in letter and SECRET not in letter
        # A review by no one is refused with the core's reason; nothing recorded.
        screen.query_one("#access-outcome", Select).value = "upheld"
        _button(screen, "access-review")
        await settle(pilot)
        assert "reviewer is empty" in static_text(screen.query_one("#access-status", Static))
        _set(screen, "access-reviewer", "Dr. Kim Birch")
        _set(screen, "access-reviewer-license", "PSY 12345")
        _set(screen, "access-review-why", "The risk is current.")
        _button(screen, "access-review")
        await settle(pilot)
        assert table_column(denials, 4)[0].startswith("upheld")
        reps.move_cursor(row=0)
        _set(screen, "access-decline-why", "Safety plan: the parent must not see the record.")
        _button(screen, "access-rep-decline")
        await settle(pilot)
        assert table_column(reps, 3)[0].startswith("no: G-00001 is not treated")


async def test_release_screen_writes_the_copy_for_the_request(tmp_path: Path) -> None:
    """The copy is previewed and written on the release screen: flagged passages in, the
    denied passage marked and never shown, the request's clock closed."""
    minor, note = _minor_practice(tmp_path / "vault")
    vault = Vault.unlock(tmp_path / "vault", PASSPHRASE)
    try:
        vault.disclosures.access.deny(minor, note, "harm-to-other", "x", passage=SECRET)
    finally:
        vault.lock()
    out = tmp_path / "copy.txt"
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(minor)
        await app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#release-type", Select).value = RequestType.CLIENT_ACCESS.value
        screen.query_one("#release-access-request", Select).value = 1
        await pilot.press("f5")
        await settle(pilot)
        preview = screen.query_one("#release-preview", SafeTextArea).text
        assert "zqappdreammark" in preview and SECRET not in preview
        assert "[withheld: ground harm-to-other]" in preview
        screen.query_one("#release-out", Input).value = str(out)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert out.read_text() == preview
        assert app.vault is not None
        assert app.vault.disclosures.access.get_request(1).status == "done"
