"""Every field of the everyday forms carries a visible label (issue 12, "Label every field").

A placeholder vanishes once the field is filled: the client form's two notice dates, or the
add-drive form's folder and name, could no longer be told apart. Checked on what the terminal
draws at 80x24, with every field filled."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input

from tests.support.tui import app_for, make_practice, settle, unlock
from tui.app.app import ConfideApp
from tui.app.screens.backup import AddDriveModal, BackupScreen
from tui.app.screens.clients import ClientFormModal
from tui.app.screens.export import ExportModal
from tui.app.screens.incidents import NewIncidentModal
from tui.app.widgets.safe import SafeTextArea


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    return make_practice(tmp_path / "vault")


def lines(app: ConfideApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def labelled(app: ConfideApp, value: str, label: str) -> bool:
    """On the line where `value` is drawn, `label` is drawn to its left."""
    return any(value in line and label in line[: line.index(value)] for line in lines(app))


def button_in_view(app: ConfideApp, button_id: str) -> bool:
    region = app.screen.query_one(f"#{button_id}", Button).region
    return bool(region.area) and region.bottom <= app.size.height


async def test_new_client_form_labels_every_field_and_fits_80x24(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormModal)
        filled = {
            "name": ("Juniper Sampleton", "Name"),
            "pseudonym": ("JS-7", "Pseudonym"),
            "dob": ("1990-01-05", "Born"),
            "notice-date": ("2026-01-10", "Notice given"),
            "notice-signed": ("2026-01-12", "Signed"),
        }
        for widget_id, (value, _) in filled.items():
            form.query_one(f"#{widget_id}", Input).value = value
        await settle(pilot)
        for value, label in filled.values():
            assert labelled(app, value, label), (value, label, lines(app))
        assert labelled(app, "active", "Status")
        assert labelled(app, "Practice default", "Retention")
        assert button_in_view(app, "save")


async def test_edit_client_form_labels_the_dates_and_says_when_disposal_is_due(
    practice: Path,
) -> None:
    """Editing Hazel: her birth date and notice date are labelled, not two bare dates, and
    the form says when her record becomes due for disposal (as her timeline does)."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.screen.query_one("#filter", Input).value = "Hazel"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormModal)
        born = form.query_one("#dob", Input).value
        given = form.query_one("#notice-date", Input).value
        assert born and given and born != given
        assert labelled(app, born, "Born")
        assert labelled(app, given, "Notice given")
        form.query_one("#notice-signed", Input).value = "2026-11-01"
        await settle(pilot)
        assert labelled(app, "2026-11-01", "Signed")
        assert any("Due for disposal on 2033-07-09" in line for line in lines(app))
        assert button_in_view(app, "save")


async def test_add_drive_form_labels_the_folder_and_the_name(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.push_screen(BackupScreen())
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddDriveModal)
        folder = "/media/you/STICK"  # typed, not yet designated (that is Enter)
        app.screen.query_one("#drive-path", Input).value = folder
        app.screen.query_one("#drive-label", Input).value = "Stick A"
        await settle(pilot)
        assert labelled(app, folder, "Folder")
        assert labelled(app, "Stick A", "Name")
        # With no button, the form says how to finish it.
        assert any("Enter on the name designates the drive" in line for line in lines(app))


async def test_new_incident_form_labels_its_two_dates_and_every_field(practice: Path) -> None:
    """The discovery and occurrence dates were two bare dates once filled; and the text box
    for what happened is the four lines its style asks for (the style never reached it)."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_incidents()
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewIncidentModal)
        discovered = app.screen.query_one("#incident-discovered", Input).value
        app.screen.query_one("#incident-occurred", Input).value = "2026-11-30"
        app.screen.query_one("#incident-media", Input).value = "USB stick"
        app.screen.query_one("#incident-clients", Input).value = "C-00003"
        await settle(pilot)
        assert labelled(app, discovered, "Discovered")
        assert labelled(app, "2026-11-30", "Happened")
        assert labelled(app, "USB stick", "Media")
        assert labelled(app, "C-00003", "Clients")
        assert labelled(app, "lost laptop or drive", "Kind")
        assert app.screen.query_one("#incident-description", SafeTextArea).outer_size.height == 4


async def test_notice_screen_labels_the_given_and_signed_dates(practice: Path) -> None:
    """Side by side under one heading, the two dates lost their placeholders once typed (and
    were cut to `2026-11-` at 80 columns): each now has its label and its own row."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_notices()
        await settle(pilot)
        app.screen.query_one("#notice-given", Input).value = "2026-11-01"
        app.screen.query_one("#notice-signed", Input).value = "2026-11-02"
        app.screen.query_one("#notice-signed", Input).focus()  # scrolled into view
        await settle(pilot)
        assert labelled(app, "2026-11-01", "Given")
        assert labelled(app, "2026-11-02", "Signed")


async def test_right_of_access_forms_label_every_field(practice: Path) -> None:
    """The access screen's forms were placeholders only: a received date, a service's from
    and until dates and code, a reviewer's licence were bare once filled."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.screen.query_one("#filter", Input).value = "Hazel"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        app.action_access()
        await settle(pilot)
        screen = app.screen
        filled = {
            "access-received": ("2026-11-01", "Received"),
            "access-reviewer-license": ("PSY-1234", "License"),
            "access-service-from": ("2026-01-01", "From"),
            "access-service-until": ("2026-06-30", "Until"),
            "access-service-code": ("90834", "Code"),
        }
        for widget_id, (value, _) in filled.items():
            screen.query_one(f"#{widget_id}", Input).value = value
        for widget_id, (value, label) in filled.items():
            screen.query_one(f"#{widget_id}", Input).focus()  # scrolled into view
            await settle(pilot)
            assert labelled(app, value, label), (value, label)


async def test_export_form_labels_its_three_hidden_passphrases(practice: Path) -> None:
    """Three masked fields look alike once typed: each has its label beside it. The
    psychotherapy-notes box comes before them, as Enter on the last one exports."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.action_export()
        await settle(pilot)
        assert isinstance(app.screen, ExportModal)
        for widget_id, secret in (("passphrase", "x" * 9), ("export1", "y" * 9)):
            app.screen.query_one(f"#{widget_id}", Input).value = secret
        await settle(pilot)
        shown = lines(app)
        for widget_id, label in (
            ("path", "File"),
            ("passphrase", "Vault"),
            ("export1", "Export"),
            ("export2", "Again"),
        ):
            region = app.screen.query_one(f"#{widget_id}", Input).region
            assert label in shown[region.y + 1][: region.x], (widget_id, label)
        assert app.focused is not None and app.focused.id == "path"
        await pilot.press("tab")
        assert app.focused.id == "pnotes"
        assert any("Enter on Again writes the export" in line for line in shown)


async def test_late_entry_asks_for_a_late_entry_and_labels_its_fields(practice: Path) -> None:
    """`l` on a timeline: the template question says it is for a late entry (it read as a new
    note's), and the session date and the reason are labelled."""
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.screen.query_one("#filter", Input).value = "Hazel"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert any("Late entry" in line for line in lines(app))
        await pilot.press("enter")  # the first template
        await settle(pilot)
        app.screen.query_one("#late-date", Input).value = "2026-11-02"
        app.screen.query_one("#late-reason", Input).value = "power cut"
        await settle(pilot)
        assert labelled(app, "2026-11-02", "Session")
        assert labelled(app, "power cut", "Reason")
