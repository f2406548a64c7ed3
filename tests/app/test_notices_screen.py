"""Pilot tests of the confidentiality notice in the app (issue 18 part 1): who needs it, the
notice written after asking, given and signed recorded, the client form's notice date, and the
timeline header. Real temp vaults, no sleeps."""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.widgets import Button, DataTable, Input, Static

from tests.support.disclosures import PASSPHRASE
from tests.support.tui import app_for, settle, static_text, table_column, unlock
from tui.app.screens.notices import NoticesScreen
from tui.app.screens.timeline import TimelineScreen
from vault import TEST_PRESET, Vault


def _practice(folder: Path) -> tuple[int, int]:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        needs = vault.clients.add("[bold]Rae[/bold] Sampleton", date_of_birth="1990-01-02").id
        done = vault.clients.add("Sol Sampleton")
        vault.disclosures.notices.give(done.id, "2026-01-05", acknowledged_on="2026-01-05")
    finally:
        vault.lock()
    return needs, done.id


async def test_notice_screen_lists_writes_after_asking_and_records(tmp_path: Path) -> None:
    needs, _done = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = NoticesScreen()
        await app.push_screen(screen)
        await settle(pilot)
        table = screen.query_one("#notice-clients", DataTable)
        assert table_column(table, 0) == [f"C-{needs:05d}"]  # the signed client is not listed
        assert table_column(table, 1) == ["[bold]Rae[/bold] Sampleton"]  # markup as typed
        assert table_column(table, 2) == ["missing"]
        # At 80x24 the table is as tall as its rows: the write row is in view without scrolling.
        write = screen.query_one("#notice-write", Button)
        assert write.region.height == write.outer_size.height and write.region.bottom <= 23
        await pilot.press("a")
        await settle(pilot)
        assert len(table_column(table, 0)) == 2
        await pilot.press("a")
        await settle(pilot)

        out = tmp_path / "notice.pdf"
        screen.query_one("#notice-out", Input).value = str(out)
        screen.query_one("#notice-write", Button).press()
        await settle(pilot)
        await pilot.press("n")  # the question first: cancelled, nothing written
        await settle(pilot)
        assert not out.exists()
        assert "Nothing was written" in static_text(screen.query_one("#notice-status", Static))
        screen.query_one("#notice-write", Button).press()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "[bold]Rae[/bold] Sampleton" in text and "1990-01-02" in text

        screen.query_one("#notice-given", Input).value = "2026-13-01"
        screen.query_one("#notice-give", Button).press()
        await settle(pilot)
        status = screen.query_one("#notice-status", Static)
        assert "date given" in static_text(status) and status.has_class("error")
        screen.query_one("#notice-given", Input).value = "2026-02-01"
        screen.query_one("#notice-give", Button).press()
        await settle(pilot)
        assert table_column(table, 2) == ["unacknowledged"]
        screen.query_one("#notice-signed", Input).value = "2026-02-02"
        screen.query_one("#notice-ack", Button).press()
        await settle(pilot)
        assert table_column(table, 0) == []
        assert "Recorded: K-00002 signed 2026-02-02." in static_text(status)
        summary = static_text(screen.query_one("#notice-template", Static))
        assert "0 of 2 active clients need the notice" in summary


async def test_client_form_records_the_notice_and_the_timeline_shows_it(tmp_path: Path) -> None:
    needs, _done = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_client(needs)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        header = screen.query_one("#client-header", Static)
        assert "notice: missing" in static_text(header)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#notice-date", Input).value = "2026-03-04"
        # Signed before it was given: refused in the form, and the name change is not saved.
        form.query_one("#name", Input).value = "Rae Renamed"
        form.query_one("#notice-signed", Input).value = "2026-03-03"
        form.query_one("#save", Button).press()
        await settle(pilot)
        assert app.screen is form
        assert "acknowledged before it was given" in static_text(form.query_one("#client-error"))
        form.query_one("#name", Input).value = "[bold]Rae[/bold] Sampleton"
        form.query_one("#notice-signed", Input).value = ""
        form.query_one("#save", Button).press()
        await settle(pilot)
        assert "notice: unacknowledged" in static_text(header)
        await pilot.press("e")  # the form shows the notice given and, once typed, signed
        await settle(pilot)
        form = app.screen
        assert form.query_one("#notice-date", Input).value == "2026-03-04"
        assert form.query_one("#notice-signed", Input).value == ""
        form.query_one("#notice-signed", Input).value = "2026-03-05"
        form.query_one("#save", Button).press()
        await settle(pilot)
        assert "notice: current" in static_text(header)
    vault = Vault.unlock(tmp_path / "vault", PASSPHRASE)
    try:
        (given,) = vault.disclosures.notices.given(needs)
        assert given.given_on == "2026-03-04" and given.template_version == 1
        assert given.acknowledged_on == "2026-03-05"
        assert vault.clients.get_unaudited(needs).display_name == "[bold]Rae[/bold] Sampleton"
    finally:
        vault.lock()
