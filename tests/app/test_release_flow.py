"""The guided release flow, authorization labels and retention in the app (issue 12).

Pilot on a real temp vault at 80x24, keys only where a user would press keys; no sleeps.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from tests.app.test_hostile_text import assert_safe, screen_lines
from tests.support.disclosures import PASSPHRASE, VISIBLE, build, pdf_text
from tests.support.tui import app_for, settle, unlock
from tui.app.screens.disposal import DisposalScreen
from tui.app.screens.modals import ConfirmModal
from tui.app.screens.release import AuthorizationsScreen, ReleaseScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.safe import SafeTextArea
from vault import TEST_PRESET, Vault

PDF_PASSWORD = "Tr4vel-kiosk-Lantern"


def _practice(folder: Path) -> tuple[int, int]:
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
            expires_on="2099-01-01",
        )
    finally:
        vault.lock()
    return practice.client, auth.id


def _status(screen: ReleaseScreen) -> str:
    return str(screen.query_one("#release-status", Static).render())


async def _type(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)
    await pilot.pause()


async def _open_release(pilot: Pilot[None], name: str) -> ReleaseScreen:
    """From the client list by keys: filter, enter, command palette, 'release records'."""
    await _type(pilot, name)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TimelineScreen)
    await pilot.press("ctrl+p")
    await pilot.pause()
    await _type(pilot, "release records")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReleaseScreen)
    return screen


async def test_new_user_releases_a_pdf_at_80x24_with_keys_only(tmp_path: Path) -> None:
    """Every step by keys at 80x24: an emptied recipient is refused with the reason, Enter
    moves field to field, two different PDF passwords are refused, then the PDF is written
    after the y/N question and pdftotext reads the recipient and the note from it."""
    client, _ = _practice(tmp_path / "vault")
    out = tmp_path / "birch.pdf"
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = await _open_release(pilot, "Quill")
        assert screen.client_id == client and screen.step == "step-who"
        assert app.focused is not None and app.focused.id == "release-type"
        # Who asks: the recipient taken from the authorization is removed by the user.
        await pilot.press("tab")
        assert app.focused.id == "release-recipient"
        await pilot.press("ctrl+u")
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-who" and app.focused.id == "release-recipient"
        assert "needs a recipient" in _status(screen)
        assert "needs a recipient" in "\n".join(screen_lines(app))  # shown, not only set
        await _type(pilot, "Dr. Birch")
        await pilot.press("enter")  # to the address
        assert app.focused.id == "release-address"
        await pilot.press("enter")  # to the purpose (filled from the authorization)
        assert app.focused.id == "release-purpose"
        await pilot.press("enter")  # last field: Next
        await settle(pilot)
        assert screen.step == "step-basis"
        assert screen.query_one("#release-auth", Select).value is not Select.BLANK
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-what"
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-format"
        assert app.focused.id == "release-format"
        await pilot.press("tab", "tab")  # format, paper -> path
        assert app.focused.id == "release-out"
        await _type(pilot, str(out))
        await pilot.press("tab", "tab")  # the protect box (ticked by default) -> password
        assert app.focused.id == "release-password"
        await _type(pilot, PDF_PASSWORD)
        await pilot.press("tab")
        await _type(pilot, PDF_PASSWORD + "x")  # a stray key in the second copy
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-format" and screen.plan is None
        assert "passwords differ" in _status(screen)
        assert app.focused.id == "release-password-again"
        await pilot.press("backspace")
        await pilot.press("pagedown")  # Next from Format: the preview
        await settle(pilot)
        assert screen.step == "step-preview" and screen.plan is not None
        preview = screen.query_one("#release-preview", SafeTextArea).text
        assert VISIBLE in preview and "Dr. Birch" in preview
        await pilot.press("pagedown")  # Next from the preview: the question
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and not out.exists()
        question = str(app.screen.query_one(".modal-question", Static).render())
        assert str(out) in question.replace("\n", "") and "PDF password set" in question
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert "Wrote R-000001" in _status(screen)
    text = pdf_text(out, PDF_PASSWORD)
    assert "Dr. Birch" in text and VISIBLE in text


async def test_empty_recipient_cannot_reach_the_preview(tmp_path: Path) -> None:
    """F5 from a later step goes back to the step at fault: nothing is prepared."""
    client, _ = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#release-recipient", Input).value = "   "
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-who"
        screen.query_one("#release-recipient", Input).value = "Dr. Birch"
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert screen.step == "step-what"
        screen.query_one("#release-recipient", Input).value = ""
        await pilot.press("f5")
        await settle(pilot)
        assert screen.step == "step-who" and screen.plan is None
        assert "needs a recipient" in _status(screen)
        assert app.focused is not None and app.focused.id == "release-recipient"


async def test_each_basis_asks_for_what_it_needs(tmp_path: Path) -> None:
    """A court order needs the order named; a mandated report needs the notes item by item;
    a bad date is refused on the What step with the field's own message."""
    client, _ = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#release-type", Select).value = "court-order"
        await settle(pilot)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert screen.step == "step-basis" and "Name the court order" in _status(screen)
        assert screen.query_one("#row-court").display
        assert not screen.query_one("#row-auth").display
        screen.query_one("#release-type", Select).value = "mandated-report"
        await settle(pilot)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert screen.step == "step-what" and "item by item" in _status(screen)
        screen.query_one("#release-from", Input).value = "2026-13-01"
        await pilot.press("pagedown")
        await settle(pilot)
        assert "'2026-13-01' is not a date" in _status(screen)
        assert app.focused is not None and app.focused.id == "release-from"


async def test_hostile_recipient_and_purpose_show_literally_in_every_step(tmp_path: Path) -> None:
    """Markup in the recipient and purpose is drawn as typed on the form, in the preview and
    in the question; a control character is refused with its name, drawn plainly."""
    client, _ = _practice(tmp_path / "vault")
    recipient = "[@click=app.quit]Dr[/] [link=https://x.example]Birch[/link]"
    purpose = "[b]care[/b] 患者 [u]"
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(160, 45)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#release-type", Select).value = "court-order"
        screen.query_one("#release-recipient", Input).value = recipient
        screen.query_one("#release-purpose", Input).value = purpose
        screen.query_one("#release-court-order", Input).value = "[red]Court[/red] case 1"
        await settle(pilot)
        assert_safe(app, recipient, purpose)
        await pilot.press("f5")
        await settle(pilot)
        assert screen.plan is not None, _status(screen)
        preview = screen.query_one("#release-preview", SafeTextArea).text
        assert recipient in preview and purpose in preview
        assert_safe(app, recipient)
        screen.query_one("#release-out", Input).value = str(tmp_path / "x.txt")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one(".modal-question", Static).render())
        assert f"for {recipient} to" in question
        assert_safe(app, "[@click=app.quit]Dr[/]")  # drawn as typed; no action, no link
        await pilot.press("n")
        await settle(pilot)
        screen.query_one("#release-recipient", Input).value = "Dr \x1b[31mRed"
        await pilot.press("f5")
        await settle(pilot)
        assert screen.plan is None
        assert_safe(app, "U+001B ESCAPE")
    assert not (tmp_path / "x.txt").exists()


async def test_format_follows_the_file_name_and_text_needs_no_password(tmp_path: Path) -> None:
    """A .txt name picks plain text and hides the password; a name without a suffix gets
    the chosen format's; an existing file is refused unless Replace is ticked."""
    client, _ = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#release-out", Input).value = str(tmp_path / "birch.txt")
        await settle(pilot)
        assert screen.query_one("#release-format", Select).value == "txt"
        assert not screen.query_one("#row-password").display
        assert screen.output().password is None
        screen.query_one("#release-out", Input).value = str(tmp_path / "birch")
        await settle(pilot)
        assert screen.output().target == tmp_path / "birch.txt"
        (tmp_path / "birch.txt").write_text("already here")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert screen.step == "step-format" and "already exists" in _status(screen)
        assert "tick Replace it" in _status(screen)
    assert (tmp_path / "birch.txt").read_text() == "already here"


async def test_authorization_form_is_labelled_and_status_fits_80_columns(tmp_path: Path) -> None:
    """Each field has a label beside it; at 80x24 the Status column and its value are drawn."""
    client, _ = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = AuthorizationsScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        for widget_id, label in (
            ("auth-kind", "Kind"),
            ("auth-signed", "Signed on"),
            ("auth-what", "May disclose"),
            ("auth-discloser", "Discloser"),
            ("auth-to", "Recipient"),
            ("auth-address", "Address"),
            ("auth-purpose", "Purpose"),
            ("auth-expires", "Expires on"),
            ("auth-event", "or on event"),
        ):
            field = screen.query_one(f"#{widget_id}")
            siblings = list(field.parent.children) if field.parent else []
            before = siblings[siblings.index(field) - 1]
            assert isinstance(before, Static) and str(before.render()) == label
        screen.query_one("#auth-signed", Input).value = "2026-05-01"
        screen.query_one("#auth-expires", Input).value = "2027-05-01"
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        header = next(line for line in text.splitlines() if "Status" in line)
        assert header.index("Status") + len("Status") <= 80
        assert "valid" in text  # the row's status, not cut off
        table = screen.query_one("#auths", DataTable)
        assert str(table.get_row_at(0)[1]) == "valid"


async def test_client_form_sets_the_retention_policy_and_timeline_shows_due_date(
    tmp_path: Path,
) -> None:
    """e on the timeline, choose a policy, save: stored, audited, and the timeline says when
    the record becomes due for disposal under it. A hostile custom label is drawn as typed."""
    folder = tmp_path / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        client = vault.clients.add("Quill Sampleton", last_service_date="2020-03-04").id
        vault.retention.add("hostile", "[b]Ten[/b] years [@click=app.quit]x[/]", 10)
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await _type(pilot, "Quill")
        await pilot.press("enter")
        await settle(pilot)
        timeline = app.screen
        assert isinstance(timeline, TimelineScreen)
        line = str(timeline.query_one("#client-retention", Static).render())
        assert line == (
            "Retention: APA Record Keeping Guidelines (default); due for disposal on 2027-03-04"
        )
        await pilot.press("e")
        await settle(pilot)
        select = app.screen.query_one("#retention", Select)
        assert select.value == "-default-"
        select.value = "hostile"
        await settle(pilot)
        assert_safe(app, "[b]Ten[/b] years [@click=app.quit]x[/]")
        app.screen.query_one("#name").focus()
        await pilot.press("enter")  # saves
        await settle(pilot)
        assert app.screen is timeline
        line = str(timeline.query_one("#client-retention", Static).render())
        assert line == (
            "Retention: [b]Ten[/b] years [@click=app.quit]x[/]; due for disposal on 2030-03-04"
        )
        assert_safe(app, "Retention: [b]Ten[/b] years [@click=app.quit]x[/]")
        assert app.vault is not None
        assert app.vault.clients.get(client).retention_policy == "hostile"
        await pilot.press("e")
        await settle(pilot)
        assert app.screen.query_one("#retention", Select).value == "hostile"
        app.screen.query_one("#retention", Select).value = "-default-"
        app.screen.query_one("#name").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.vault.clients.get(client).retention_policy is None


async def test_disposal_screen_lists_when_each_client_becomes_due(tmp_path: Path) -> None:
    """Nobody due yet: the screen names each client's due date, soonest first, and a held
    client as held."""
    folder = tmp_path / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        late = vault.clients.add("Late Client", last_service_date="2025-06-01").id
        soon = vault.clients.add("Soon Client", last_service_date="2021-01-15").id
        held = vault.clients.add("Held Client", last_service_date="2022-02-02").id
        vault.holds.place(held, "subpoena pending")
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = DisposalScreen()
        await app.push_screen(screen)
        await settle(pilot)
        table = screen.query_one("#disposal-upcoming", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == [f"C-{soon:05d}", f"C-{held:05d}", f"C-{late:05d}"]
        assert rows[0][3] == "2028-01-15" and rows[0][5] == "retained"
        assert rows[1][5] == "on legal hold"
        assert rows[2][3] == "2032-06-01"
        status = str(screen.query_one("#disposal-status", Static).render())
        assert f"Next due: C-{soon:05d} on 2028-01-15." in status
        assert "2028-01-15" in "\n".join(screen_lines(app))


async def test_every_step_of_every_basis_fits_80x24_and_the_focused_label_is_lit(
    tmp_path: Path,
) -> None:
    """For each kind of request, each step of the flow fits 80x24: nothing to scroll to,
    every field it asks for drawn above the footer. Tab through a step: the label beside
    the field with the focus is the one lit, and only that one (focus was hard to follow)."""
    from textual.containers import VerticalScroll
    from textual.widget import Widget

    from vault.disclosures.requests import RequestType

    client, _ = _practice(tmp_path / "vault")
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        footer_top = app.size.height - 1
        for kind in RequestType:
            screen.query_one("#release-type", Select).value = kind.value
            await settle(pilot)
            for step, _ in screen._steps():
                screen._show_step(step)
                await settle(pilot)
                box = screen.query_one(f"#{step}", Widget)
                if isinstance(box, VerticalScroll):
                    assert box.max_scroll_y == 0, (kind, step, box.virtual_size, box.size)
                for field in screen._fields(step):
                    region = field.region
                    assert region.area and region.bottom <= footer_top, (kind, step, field.id)
        screen.query_one("#release-type", Select).value = RequestType.CLIENT_AUTHORIZATION.value
        screen._show_step("step-who")
        await settle(pilot)
        for _ in range(3):
            focused = app.focused
            assert focused is not None and focused.parent is not None
            lit = list(screen.query(".current"))
            assert lit == [focused.parent], (focused.id, lit)
            await pilot.press("tab")
            await settle(pilot)
