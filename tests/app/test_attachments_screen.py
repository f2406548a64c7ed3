"""The attachments screen (issue 18 part 2): from a client's timeline, list, add by path, save a
copy by path, file a scan from the inbox, mark entered in error; file names are data and
privacy mode hides them. At 80x24."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static

from tests.support.attachments import fake_pdf, fake_png, write
from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, static_text, unlock
from tui.app.screens.attachments import HIDDEN, AttachmentsScreen
from tui.app.screens.timeline import TimelineScreen
from vault import Vault

HAZEL = 8  # Hazel Fictive in the fixed practice
HOSTILE = "[bold]intake\x1b[31m\u202eFDP.pdf 表格"
SHOWN = "[bold]intake\\x1b[31m\\u202eFDP.pdf 表格"


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    folder = make_practice(tmp_path / "vault")
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    with Vault.unlock(folder, PASSPHRASE) as vault:
        vault.attachments.add(write(tmp_path / HOSTILE, fake_pdf("hazel intake")), HAZEL, "intake")
        write(inbox / "scan-0001.png", fake_png())
        vault.attachments.inbox.scan(inbox)
    return folder


def lines(pilot: Pilot[Any]) -> list[str]:
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]


async def to_attachments(pilot: Pilot[Any]) -> AttachmentsScreen:
    await unlock(pilot)
    pilot.app.screen.query_one("#filter", Input).value = "Hazel"
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TimelineScreen)
    await pilot.press("a")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AttachmentsScreen)
    return screen


def names(screen: AttachmentsScreen) -> list[str]:
    table = screen.query_one("#attachments", DataTable)
    return [str(table.get_row_at(i)[5]) for i in range(table.row_count)]


async def answer(pilot: Pilot[Any], text: str) -> None:
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def pick(pilot: Pilot[Any], option_id: str) -> None:
    options = pilot.app.screen.query_one(OptionList)
    index = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == option_id
    )
    options.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


async def test_list_shows_hostile_names_literally_and_privacy_hides_them(practice: Path) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await to_attachments(pilot)
        assert names(screen) == [SHOWN]
        shown = "\n".join(lines(pilot))
        assert "F-00001" in shown and "intake" in shown and "\x1b" not in shown
        assert "1 in the inbox" in static_text(screen.query_one("#attachments-hint", Static))
        footer = lines(pilot)[-1]
        assert "esc Back" in footer and "a Add" in footer and "f1 Help" in footer
        assert len(footer.rstrip()) <= 80
        await pilot.press("f2")
        await settle(pilot)
        assert names(screen) == [HIDDEN]
        assert "intake\\x1b" not in "\n".join(lines(pilot))


async def test_file_from_inbox_save_a_copy_and_mark_in_error(
    practice: Path, tmp_path: Path
) -> None:
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await to_attachments(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pick(pilot, "2")  # F-00002, the scan waiting in the inbox
        await pick(pilot, "consent")
        assert pilot.app.screen is screen
        assert [a.record_id for a in screen.attachments] == ["F-00001", "F-00002"]
        assert screen.attachments[1].kind.value == "consent"

        target = tmp_path / "copy.png"
        screen.query_one("#attachments", DataTable).move_cursor(row=1)
        await pilot.press("g")
        await settle(pilot)
        await answer(pilot, str(target))
        assert not target.exists()  # asks first
        await pilot.press("y")
        await settle(pilot)
        assert target.read_bytes().startswith(b"\x89PNG")

        await pilot.press("x")
        await settle(pilot)
        await answer(pilot, "scanned for the wrong client")
        assert screen.attachments[1].entered_in_error
        assert "IN ERROR" in "\n".join(lines(pilot))
    with Vault.unlock(practice, PASSPHRASE) as vault:
        assert vault.attachments.unassigned() == []
        steps = [
            (e.action, e.detail.get("step"))
            for e in vault.audit.entries(newest_first=False)
            if e.object_type == "attachment"
        ]
        assert ("edit", "assign") in steps and ("export", None) in steps
        assert ("edit", "error") in steps


async def test_add_by_path_and_a_refused_file_shows_why(practice: Path, tmp_path: Path) -> None:
    form = write(tmp_path / "consent.pdf", fake_pdf("hazel consent"))
    text = write(tmp_path / "notes.pdf", b"not a pdf")
    app = app_for(practice)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await to_attachments(pilot)
        await pilot.press("a")
        await settle(pilot)
        await answer(pilot, str(text))
        await pick(pilot, "other")
        assert len(screen.attachments) == 1
        assert any("not a PDF or an image" in n.message for n in app._notifications)
        await pilot.press("a")
        await settle(pilot)
        await answer(pilot, str(form))
        await pick(pilot, "consent")
        assert [a.file_name for a in screen.attachments] == [SHOWN, "consent.pdf"]
        assert form.exists()  # the user's own file is left where it was


async def test_while_unlocked_the_app_empties_the_inbox_folder(
    practice: Path, tmp_path: Path
) -> None:
    """The app's inbox watcher (started at unlock, stopped at lock) pulls a dropped scan in and
    says so by record id, never by file name."""
    inbox = tmp_path / "Scans"
    app = app_for(practice, watch_inbox=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        watcher = app._inbox_watcher
        assert watcher is not None and watcher.folder == inbox
        # Its own thread stopped (it found the folder empty or not yet looked), so the scan
        # below is the only one: nothing depends on which thread gets there first.
        await asyncio.to_thread(watcher.stop)
        write(inbox / "Hazel Fictive consent.pdf", fake_pdf("hazel consent"))
        # One scan on a thread of its own, as the watcher's thread runs it (no waiting).
        await asyncio.to_thread(watcher.scan_once)
        await settle(pilot)
        (note,) = [n for n in app._notifications if n.title == "Inbox"]
        assert "F-00003" in note.message and "Hazel" not in note.message
        assert list(inbox.iterdir()) == []
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app._inbox_watcher is None
