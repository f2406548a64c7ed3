"""An unexpected error ends the app with one generic line: no traceback, no note text, locked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tui import PASSPHRASE, app_for, make_empty, settle, unlock
from tui.app.screens.editor import NoteEditorScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from tui.app.widgets.row_list import RowList
from vault import Vault

SECRET_NAME = "Perpetua Quinceworth"
SECRET_TEXT = "disclosed SECRET-heliotrope-4411 about [/] her brother"


def _seed(folder: Path) -> int:
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        client = vault.clients.add(SECRET_NAME)
        return vault.notes.create(client.id, "free", body=SECRET_TEXT).id
    finally:
        vault.lock()


async def test_crash_in_a_screen_with_note_text_prints_no_record_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while a note is open: a short message with a reference; the note, the name and
    the error's own message (which quotes the note) reach neither the terminal nor the log."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    folder = make_empty(tmp_path / "vault")
    note_id = _seed(folder)

    def broken_save(self: NoteEditorScreen) -> None:
        body = self.query_one("#body", FlagTextArea).text  # a local holding note text
        raise RuntimeError(f"cannot save {body!r} for {SECRET_NAME}")

    monkeypatch.setattr(NoteEditorScreen, "action_save", broken_save)
    app = app_for(folder)
    with pytest.raises(RuntimeError):  # Pilot re-raises the app's error for the test
        async with app.run_test(size=(100, 30)) as pilot:
            await unlock(pilot)
            app.open_note(note_id)
            await settle(pilot)
            assert isinstance(app.screen, NoteEditorScreen)
            await pilot.press("ctrl+s")
            await settle(pilot)
    out, err = capsys.readouterr()
    shown = out + err
    for secret in (SECRET_NAME, "SECRET-heliotrope", "heliotrope", "Quinceworth"):
        assert secret not in shown
    assert "Traceback" not in shown and "locals" not in shown
    assert "unexpected error (RuntimeError)" in err
    assert app.vault is None and app.return_code == 1
    logs = list((state / "confide").glob("crash-*.log"))
    assert len(logs) == 1
    reference = logs[0].stem.removeprefix("crash-")
    assert f"Reference {reference}" in err
    log = logs[0].read_text()
    assert "RuntimeError" in log and "broken_save" in log
    assert "heliotrope" not in log and "Quinceworth" not in log
    assert logs[0].stat().st_mode & 0o077 == 0
    vault = Vault.unlock(folder, PASSPHRASE)  # locked cleanly: it opens again, note intact
    try:
        assert vault.notes.get(note_id).body == SECRET_TEXT
    finally:
        vault.lock()


async def test_ctrl_c_hint_is_plain_words(tmp_path: Path) -> None:
    """Ctrl+C tells how to quit in plain words, not `Press [b]ctrl+q[/b]`."""
    app = app_for(make_empty(tmp_path / "vault"))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await unlock(pilot)
        app.screen.query_one(RowList).focus()  # Inputs take ctrl+c as copy
        await pilot.press("ctrl+c")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert messages == ["Press ctrl+q to quit the app."]
        drawn = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "Press ctrl+q to quit the app." in drawn and "[b]" not in drawn
