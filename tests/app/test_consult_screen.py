"""The app screen for de-identified case summaries (issue 15), at 80x24, with Pilot.

The same vault calls as `confide consult`; these tests drive the screen by keys: pick, review
(restore, redact more), confirm and write, and read back the written file for leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input, Static

from tests.support.tui import PASSPHRASE, app_for, make_empty, settle, static_text, unlock
from tui.app.app import ConfideApp
from tui.app.screens.consult import ConsultScreen
from tui.app.screens.modals import ConfirmModal, PassphraseModal
from vault import SessionInfo, Vault

HOSTILE = "[bold]x[/] \x1b]8;;http://evil\x1b\\link \u202eevil\u202c 山田 [@click=app.quit]q[/]"
NOTE_1 = (
    "Maya Sampleton (born 02/14/1988, C-00001) came with her sister June. Maya's phone is "
    "(555) 010-2222; she lives at 42 Maple Street, Springfield, IL 62704. PHQ-9 14, F41.1, "
    f"sertraline 50 mg. {HOSTILE}"
)
NOTE_2 = (
    "Second session. June called Maya on May 3rd. {{omit:substance}}Drinks at the Rusty Anchor"
    "{{/omit}} Week 3 of CBT. Dr. Okonkwo at Mercy General Hospital adjusted dose."
)
LEAKS = (
    "Maya",
    "Sampleton",
    "June",
    "1988",
    "02/14",
    "C-00001",
    "N-00000",
    "010-2222",
    "Maple",
    "62704",
    "Okonkwo",
    "Mercy",
    "Rusty Anchor",
    "May 3",
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = make_empty(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        from vault.consult import Consult

        client = vault.clients.add("Maya Sampleton", date_of_birth="1988-02-14")
        Consult(vault).add_person(client.id, "June Sampleton", "sister")
        for body, day in ((NOTE_1, "2024-04-26"), (NOTE_2, "2024-05-03")):
            note = vault.notes.create(
                client.id, "free", body=body, session=SessionInfo(session_date=day)
            )
            vault.notes.sign(note.id)
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        try:
            area.add(client.id, "Maya felt Okonkwo dismissed her.", "2024-05-03")
        finally:
            area.lock()
    finally:
        vault.lock()
    return folder


def lines(app: ConfideApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def open_consult(app: ConfideApp, pilot: object) -> ConsultScreen:
    await unlock(pilot)  # type: ignore[arg-type]
    app.open_client(1)
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("c")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, ConsultScreen)
    return screen


def review(screen: ConsultScreen) -> str:
    return static_text(screen.query_one("#consult-text", Static))


async def test_pick_review_confirm_and_write_leaks_nothing_the_vault_knows(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_consult(app, pilot)
        assert all(len(line) <= 80 for line in lines(app))
        await pilot.press("space", "down", "space", "f5")  # tick both notes one by one
        await settle(pilot)
        assert screen.summary is not None and len(screen.summary.note_ids) == 2
        shown = review(screen)
        assert "the client" in shown and "the client's sister" in shown
        assert "[withheld: substance use]" in shown
        assert "Maya" not in shown and "010-2222" not in shown
        # Hostile note text is shown literally: no markup, no escape reaching the terminal.
        assert "[bold]x[/]" in shown and "=app.quit]q[/]" in shown and "山田" in shown
        assert "\x1b" not in shown and "\u202e" not in shown
        table = screen.query_one("#consult-replacements", DataTable)
        numbers = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert table.row_count == len(screen.summary.findings) > 5
        assert numbers[0] == "1*"  # what the vault knows is marked: the client's name
        screen_text = "\n".join(lines(app))
        assert "Step 2 of 2" in screen_text and "F6" in screen_text
        assert all(len(line) <= 80 for line in lines(app))
        screen.query_one("#consult-path", Input).value = str(out)
        await pilot.press("f6")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert str(out) in modal.question and "case-summary-" in modal.question
        assert list(out.iterdir()) == []  # asked first: nothing yet
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        written = list(out.iterdir())
        assert len(written) == 1 and written[0].name.startswith("case-summary-")
        text = written[0].read_text()
        for leak in LEAKS:
            assert leak not in text, leak
        for kept in ("PHQ-9 14", "F41.1", "50 mg", "Week 3"):
            assert kept in text, kept
        assert screen.written == written[0]
        entries = app.vault.audit.entries(action="consult")  # type: ignore[union-attr]
        assert len(entries) == 1 and entries[0].detail["notes"] == 2


async def test_cancelled_write_writes_nothing_and_identifying_names_are_refused(
    folder: Path, tmp_path: Path
) -> None:
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_consult(app, pilot)
        screen.query_one("#consult-from", Input).value = "2024-01-01"
        screen.query_one("#consult-to", Input).value = "2024-12-31"
        await pilot.press("f5")
        await settle(pilot)
        assert screen.summary is not None and len(screen.summary.note_ids) == 2
        path = screen.query_one("#consult-path", Input)
        path.value = str(tmp_path / "maya-sampleton.txt")
        screen.query_one("#consult-replacements", DataTable).focus()
        await pilot.press("f6")
        await settle(pilot)
        assert app.screen is screen  # refused before asking
        status = static_text(screen.query_one("#consult-status", Static))
        assert "identifies the client" in status
        path.value = str(tmp_path / "for-group.txt")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert not (tmp_path / "for-group.txt").exists()
        assert app.vault is not None and not app.vault.audit.entries(action="consult")
        # An existing file is never replaced from the app, even after "yes".
        (tmp_path / "for-group.txt").write_text("keep me")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert (tmp_path / "for-group.txt").read_text() == "keep me"
        assert "Not written" in static_text(screen.query_one("#consult-status", Static))
        assert not app.vault.audit.entries(action="consult")


async def test_restore_a_guess_redact_more_and_known_names_stay(folder: Path) -> None:
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_consult(app, pilot)
        await pilot.press("space", "f5")
        await settle(pilot)
        summary = screen.summary
        assert summary is not None
        items = summary.replacements()
        known = next(i for i in items if not i["restorable"])
        guess = next(i for i in items if i["restorable"] and i["kind"] == "organisation")
        table = screen.query_one("#consult-replacements", DataTable)
        table.move_cursor(row=int(str(known["number"])) - 1)
        await pilot.press("r")
        await settle(pilot)
        assert "cannot be restored" in static_text(screen.query_one("#consult-status", Static))
        assert "Maya" not in review(screen)
        table.move_cursor(row=int(str(guess["number"])) - 1)
        await pilot.press("r")
        await settle(pilot)
        assert str(guess["original"]) in review(screen)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"sertraline", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert "sertraline" not in review(screen)
        # Hostile words to redact: shown literally in the status, and redacted.
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#redact-text", Input).value = "[bold]x[/]"
        await pilot.press("enter")
        await settle(pilot)
        assert "[bold]x[/]" not in review(screen)
        assert "[bold]x[/]" in static_text(screen.query_one("#consult-status", Static))
        await pilot.press("f2")  # privacy mode: the originals leave the table
        await settle(pilot)
        originals = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert originals == {"(privacy mode)"}
        assert "Maya" not in "\n".join(lines(app))
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("escape")  # back to picking: the summary is dropped
        await settle(pilot)
        assert screen.summary is None and screen.query_one("#consult-notes").display


async def test_psychotherapy_notes_only_when_ticked_and_with_the_passphrase(
    folder: Path,
) -> None:
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_consult(app, pilot)
        screen.query_one("#consult-from", Input).value = "2024-01-01"
        await pilot.press("f5")
        await settle(pilot)
        assert screen.summary is not None and screen.summary.pnote_ids == ()
        await pilot.press("escape")
        await settle(pilot)
        screen.query_one("#consult-pnotes", Checkbox).value = True
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        await pilot.press(*"wrong passphrase", "enter")
        await settle(pilot)
        assert screen.summary is None
        assert "Not prepared" in static_text(screen.query_one("#consult-status", Static))
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        assert screen.summary is not None and len(screen.summary.pnote_ids) == 1
        shown = review(screen)
        assert "Psychotherapy note" in shown and "Okonkwo" not in shown


async def test_the_palette_opens_the_case_summary_for_the_open_client(folder: Path) -> None:
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_client(1)
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Case summary" in titles
        next(c for c in app.get_system_commands(app.screen) if c.title == "Case summary").callback()
        await settle(pilot)
        assert isinstance(app.screen, ConsultScreen) and app.screen.client_id == 1


async def test_one_psychotherapy_note_picked_by_hand_with_the_passphrase_twice(
    folder: Path,
) -> None:
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_consult(app, pilot)
        table = screen.query_one("#consult-notes", DataTable)
        before = table.row_count
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        await pilot.press(*"wrong passphrase", "enter")
        await settle(pilot)
        assert table.row_count == before  # nothing listed without the passphrase
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        assert table.row_count == before + 1
        assert "Psychotherapy note" in "\n".join(lines(app))
        assert "Okonkwo" not in "\n".join(lines(app))  # dates only, no text, in the list
        table.move_cursor(row=before)
        await pilot.press("space", "f5")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)  # asked again: not kept in between
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        assert screen.summary is not None
        assert screen.summary.note_ids == () and len(screen.summary.pnote_ids) == 1
        assert "Psychotherapy note" in review(screen)
