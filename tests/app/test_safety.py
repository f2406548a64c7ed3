"""No plaintext escape hatches, and note text treated as data (markup, ANSI, NUL, 10 MB)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, Static
from textual.widgets.text_area import Selection

from tests.support import REPO
from tests.support.tui import PASSPHRASE, app_for, make_empty, settle, static_text, unlock
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from tui.app.widgets.row_list import RowList
from tui.app.widgets.safe import visible
from vault import OmitCategory, OmitSpan, Vault

NASTY = {
    "markup": "[bold]not bold[/] and [/] then [link=https://evil.example]click[/link]",
    "ansi": "before \x1b[31mred\x1b[0m after \x1b]52;c;ZXZpbA==\x07 end \x9b2J",
    "tabs": "col1\tcol2\t\tcol3",
    "emoji": "mood 🧠👩‍⚕️🏳️‍🌈 ok",
    "rtl": "שלום עולם مرحبا بالعالم",
}


def seed_note(
    folder: Path, body: str, name: str = "Rowan Notreal", spans: tuple[OmitSpan, ...] = ()
) -> int:
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        client = vault.clients.add(name)
        return vault.notes.create(client.id, "free", body=body, spans=spans).id
    finally:
        vault.lock()


async def open_note(pilot: object, note_id: int) -> NoteEditorScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await unlock(pilot)
    assert isinstance(pilot.app, type(app_for(Path("."))))
    pilot.app.open_note(note_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, NoteEditorScreen)
    return screen


# -- escape hatches


async def test_no_screenshot_command_and_no_file(tmp_path: Path) -> None:
    """The palette has no Screenshot command, and screenshot actions write no file."""
    folder = make_empty(tmp_path / "vault")
    app = app_for(folder)
    shots = tmp_path / "shots"
    shots.mkdir()
    async with app.run_test() as pilot:
        await unlock(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles and "Lock" in titles
        app.deliver_screenshot(path=str(shots))
        app.save_screenshot(path=str(shots))
        app.action_screenshot(path=str(shots))
        await pilot.pause()
    assert list(shots.iterdir()) == []


async def test_copy_stays_inside_the_app(tmp_path: Path) -> None:
    """Copying note text never emits OSC 52, and mouse selection is off."""
    folder = make_empty(tmp_path / "vault")
    note_id = seed_note(folder, "secret words here")
    app = app_for(folder)
    async with app.run_test() as pilot:
        editor = await open_note(pilot, note_id)
        driver = app._driver
        assert driver is not None
        written: list[str] = []
        original = driver.write
        driver.write = lambda data: (written.append(data), original(data))[1]  # type: ignore[method-assign]
        body = editor.query_one("#body", FlagTextArea)
        body.selection = Selection((0, 0), (0, 6))
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard == "secret"  # still usable for paste inside the app
        assert not any("\x1b]52" in chunk for chunk in written)
        assert app.ALLOW_SELECT is False
        await app.lock_vault()
        assert app.clipboard == ""  # dropped with the keys


def test_textual_log_file_is_never_written(tmp_path: Path) -> None:
    """With TEXTUAL_LOG, TEXTUAL=devtools and TEXTUAL_SCREENSHOT set, nothing reaches disk."""
    log_file = tmp_path / "textual.log"
    script = textwrap.dedent(f"""
        import asyncio, os
        from pathlib import Path
        from textual import log
        from tui.app.app import ConfideApp
        assert "TEXTUAL_LOG" not in os.environ and "devtools" not in os.environ.get("TEXTUAL", "")
        assert "TEXTUAL_SCREENSHOT" not in os.environ
        async def main():
            app = ConfideApp(folder=Path({str(tmp_path / "none")!r}))
            async with app.run_test() as pilot:
                app.log("NOTE TEXT dreamt of a flooded house")
                log("NOTE TEXT again")
                for _ in range(5):
                    await pilot.pause()
        asyncio.run(main())
        log("NOTE TEXT after")
    """)
    env = {
        **os.environ,
        "TEXTUAL_LOG": str(log_file),
        "TEXTUAL": "devtools,debug",
        "TEXTUAL_SCREENSHOT": "0",
        "TEXTUAL_SCREENSHOT_LOCATION": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert not log_file.exists()
    assert not list(tmp_path.glob("*.svg"))  # no automatic screenshot either
    assert "NOTE TEXT" not in result.stdout + result.stderr


# -- bad input


@pytest.mark.parametrize("kind", list(NASTY))
async def test_nasty_note_text_displays_literally(tmp_path: Path, kind: str) -> None:
    """Markup, ANSI escapes, tabs, emoji and RTL text show as typed and survive a save."""
    text = NASTY[kind]
    folder = make_empty(tmp_path / "vault")
    note_id = seed_note(folder, text, spans=(OmitSpan(0, 6, OmitCategory.OTHER),))
    app = app_for(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_note(pilot, note_id)
        body = editor.query_one("#body", FlagTextArea)
        assert body.text == text
        shown = body.render_line(0).text
        assert visible(text).split("\t")[0][:20] in shown
        assert "\x1b" not in shown and "\x9b" not in shown
        flags = static_text(editor.query_one("#flags", Static))
        assert visible(text[:6]) in flags
        await pilot.press("f2")
        await pilot.pause()
        privacy = static_text(editor.query_one("#privacy-view", Static))
        assert "[withheld: other]" in privacy and visible(text[6:]) in privacy
        await pilot.press("f2")
        body.move_cursor(body.document.end)
        await pilot.press("!")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientListScreen)  # left the editor: it saved
        svg = app.export_screenshot()
        assert "\x1b" not in svg
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        assert vault.notes.get(note_id).body == text + "!"
    finally:
        vault.lock()


async def test_markup_in_client_name_and_search_is_literal(tmp_path: Path) -> None:
    """A client named like markup and a snippet with markup are shown as plain text."""
    folder = make_empty(tmp_path / "vault")
    seed_note(folder, "the word [bold]zebra[/bold] appears", name="[red]Evil[/red] Name")
    app = app_for(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, ClientListScreen)
        names = [app.screen.query_one("#clients", RowList).cells(0)[0]]
        assert names == ["[red]Evil[/red] Name"]
        await pilot.press("ctrl+f")
        await pilot.press(*"zebra")
        await settle(pilot)
        screen = app.screen
        prompt = screen.query_one("#results").get_option_at_index(0).prompt  # type: ignore[attr-defined]
        assert "[bold]zebra[/bold]" in prompt.plain
        assert "[red]Evil[/red] Name" in prompt.plain


async def test_nul_is_refused_and_text_kept(tmp_path: Path) -> None:
    """A NUL in the body: the save error is shown plainly, the text stays, leaving is refused."""
    folder = make_empty(tmp_path / "vault")
    note_id = seed_note(folder, "start")
    app = app_for(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_note(pilot, note_id)
        body = editor.query_one("#body", FlagTextArea)
        body.move_cursor(body.document.end)
        body.insert(" bad\0byte kept")
        await pilot.press("ctrl+s")
        await pilot.pause()
        status = editor.query_one("#editor-status", Static)
        assert "NOT SAVED" in static_text(status) and "NUL" in static_text(status)
        assert status.has_class("error")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is editor
        assert body.text == "start bad\0byte kept"
        assert "\x00" not in body.render_line(0).text
        body.selection = Selection((0, 9), (0, 10))
        await pilot.press("backspace")
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The 3-second autosave may have stored it first under load ("Nothing to save: ...
        # stored"); either way the fixed text is stored and no error remains.
        assert "Saved" in static_text(status) or "is stored" in static_text(status)
        assert not status.has_class("error") and not editor.dirty
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        assert vault.notes.get(note_id).body == "start badbyte kept"
    finally:
        vault.lock()


async def test_ten_megabyte_paste_is_kept_and_explained(tmp_path: Path) -> None:
    """A 10 MB paste displays, is refused by the vault with a clear error, and is kept."""
    folder = make_empty(tmp_path / "vault")
    note_id = seed_note(folder, "start ")
    big = ("x" * 79 + "\n") * 131_072  # 10.5 MB of text
    app = app_for(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_note(pilot, note_id)
        body = editor.query_one("#body", FlagTextArea)
        body.move_cursor(body.document.end)
        app.post_message(events.Paste(big))  # as the terminal driver delivers it
        await pilot.pause()
        assert len(body.text) == len("start ") + len(big)
        await pilot.press("ctrl+s")
        await pilot.pause()
        status = static_text(editor.query_one("#editor-status", Static))
        assert "NOT SAVED" in status and "limit" in status
        assert len(body.text) == len("start ") + len(big)
        body.load_text("start small")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Saved" in static_text(editor.query_one("#editor-status", Static))


def test_visible_keeps_offsets() -> None:
    """Control characters become one symbol each, so span offsets still line up."""
    text = "a\x1b[0m\tb\x00c\x7f\x9b"
    shown = visible(text)
    assert len(shown) == len(text)
    assert shown == "a␛[0m\tb␀c␡\ufffd"
    assert Input  # imported widgets stay used in this module


async def test_windows_line_breaks_keep_flags_on_their_words(tmp_path: Path) -> None:
    """A note with \\r\\n and \\r line breaks shows its flag on the right words, and a flag
    added to it once signed lands on the right words in the vault."""
    folder = make_empty(tmp_path / "vault")
    text = "Line one\r\nline two\rthe dream itself\r\nand the rest"
    start = text.index("dream")
    note_id = seed_note(folder, text, spans=(OmitSpan(start, start + 5, OmitCategory.OTHER),))
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        vault.notes.sign(note_id)
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_note(pilot, note_id)
        body = editor.query_one("#body", FlagTextArea)
        (span,) = body.spans
        assert body.text[span.start : span.end] == "dream"
        rest = body.text.index("rest")
        body.selection = Selection(
            body.document.get_location_from_index(rest),
            body.document.get_location_from_index(rest + 4),
        )
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        note = vault.notes.get(note_id)
        assert note.body == text  # a signed body is never rewritten
        assert [note.body[s.start : s.end] for s in note.spans] == ["dream", "rest"]
    finally:
        vault.lock()


async def test_quit_is_held_once_for_a_note_that_cannot_be_saved(tmp_path: Path) -> None:
    """ctrl+q with an unsaveable draft warns and stays; a second ctrl+q leaves knowingly."""
    folder = make_empty(tmp_path / "vault")
    note_id = seed_note(folder, "start")
    app = app_for(folder)
    async with app.run_test() as pilot:
        editor = await open_note(pilot, note_id)
        editor.query_one("#body", FlagTextArea).insert("\0")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and app.screen is editor and app.vault is not None
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.vault is None
    vault = Vault.unlock(folder, PASSPHRASE)  # the lock was released on the way out
    try:
        assert vault.notes.get(note_id).body == "start"
    finally:
        vault.lock()


async def test_lock_with_an_unsaveable_draft_says_what_was_discarded(tmp_path: Path) -> None:
    """Locking cannot wait; the lock screen says a refused draft change was discarded."""
    folder = make_empty(tmp_path / "vault")
    note_id = seed_note(folder, "start")
    app = app_for(folder)
    async with app.run_test() as pilot:
        editor = await open_note(pilot, note_id)
        editor.query_one("#body", FlagTextArea).insert("\0")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.vault is None
        assert "discarded" in static_text(app.screen.query_one("#lock-message", Static))
