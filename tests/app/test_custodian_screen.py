"""The records custodian in the app at 80x24: designated from Practice settings by the
clinician; opened from the lock screen with the sheet's key, read-only and marked as such."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from backup.catalog import CATALOG_MIGRATIONS
from tests.support.cli import PASSPHRASE
from tests.support.tui import app_for, make_practice, settle, settle_until, static_text, unlock
from tui.app.app import ConfideApp
from tui.app.screens.custodian import CUSTODIAN_MARK, CustodianScreen, CustodianSettingsScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from vault import Vault

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"


async def open_custodian_settings(pilot: Pilot[None], app: ConfideApp) -> CustodianSettingsScreen:
    """As the clinician: Practice settings (F4), then "Records custodian" (ctrl+o)."""
    await unlock(pilot)
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("ctrl+o")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, CustodianSettingsScreen)
    return screen


async def open_as_custodian(pilot: Pilot[None], app: ConfideApp, key: str) -> None:
    """From the lock screen: "Open as records custodian" (ctrl+o) with the sheet's key."""
    await pilot.pause()
    await pilot.press("ctrl+o")
    await settle(pilot)
    await unlock(pilot, key)
    await settle_until(pilot, lambda: isinstance(app.screen, CustodianScreen))


async def test_clinician_designates_a_custodian_from_practice_settings(tmp_path: Path) -> None:
    """F4, ctrl+o, the custodian's details, Designate, the passphrase: the key is shown once,
    the sheet is written, and the key opens the vault in custodian mode."""
    folder = make_practice(tmp_path / "vault")
    sheet = tmp_path / "sheet.txt"
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_custodian_settings(pilot, app)
        assert "No custodian is designated" in static_text(
            screen.query_one("#custodian-current", Static)
        )
        screen.query_one("#custodian-name", Input).value = "Dr. [b]Kim[/b] Birch"
        screen.query_one("#custodian-role", Input).value = "Licensed psychologist"
        screen.query_one("#custodian-contact", Input).value = "kim@example.org"
        screen.query_one("#custodian-sheet", Input).value = str(sheet)
        await pilot.click("#designate")
        await settle(pilot)
        await pilot.press(*PASSPHRASE, "enter")
        await settle_until(pilot, lambda: sheet.exists())
        shown = static_text(screen.query_one("#custodian-key", Static))
        assert shown.startswith("Custodian key (shown once): ")
        key = shown.removeprefix("Custodian key (shown once): ").split(".")[0]
        assert key in sheet.read_text() or key.split("-")[0] in sheet.read_text()
        assert "Dr. [b]Kim[/b] Birch" in static_text(screen.query_one("#custodian-current", Static))
        assert screen.query_one("#designate", Button).disabled
    opened = Vault.unlock_custodian(folder, key)
    try:
        assert opened.custodian_mode is not None
        assert opened.custodian_mode.name == "Dr. [b]Kim[/b] Birch"
    finally:
        opened.lock()


async def test_custodian_opens_from_the_lock_screen_read_only_and_marked(tmp_path: Path) -> None:
    """'Open as records custodian', the sheet's key: the custodian's client list with the
    marker in the header; a new note is refused with a notice and nothing is written."""
    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        key = vault.custodian.designate(
            PASSPHRASE, name="Dr. Kim Birch", role="Psychologist", contact="kim@example.org"
        ).key
        notes_before = vault.notes.count()
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.screen.query_one("#passphrase", Input).placeholder.startswith("Custodian key")
        await unlock(pilot, key)
        await settle_until(pilot, lambda: isinstance(app.screen, CustodianScreen))
        screen = app.screen
        assert isinstance(screen, CustodianScreen)
        assert CUSTODIAN_MARK in app.sub_title
        assert app.has_class("-custodian")
        table = screen.query_one("#custodian-clients", DataTable)
        assert table.row_count == 8
        await pilot.press("enter")
        await settle_until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        assert CUSTODIAN_MARK in app.sub_title  # every screen's header carries it
        await pilot.press("n")
        await settle(pilot)
        notices = [n.message for n in app._notifications]
        assert any("Custodian mode is read-only: writing notes" in m for m in notices)
        await pilot.press("down", "enter")  # the newest note, in the editor
        await settle_until(pilot, lambda: isinstance(app.screen, NoteEditorScreen))
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        assert editor.query_one("#body", FlagTextArea).read_only  # drafts too
        assert editor.note is not None
        key, what = (
            ("ctrl+n", "writing addenda") if editor.note.is_signed else ("ctrl+g", "signing")
        )
        await pilot.press(key)
        await settle(pilot)
        notices = [n.message for n in app._notifications]
        assert any(f"Custodian mode is read-only: {what}" in m for m in notices)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not app.has_class("-custodian") and CUSTODIAN_MARK not in app.sub_title
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        assert vault.notes.count() == notes_before
        actors = {e.detail.get("actor") for e in vault.audit.entries(limit=30)}
        assert "custodian:1" in actors
    finally:
        vault.lock()


async def test_contact_details_are_set_in_the_client_form_and_by_the_custodian(
    tmp_path: Path,
) -> None:
    """The clinician types a client's contact in the client form (e on the timeline); too long
    a contact is refused with nothing saved. The custodian sees it in their list, replaces it
    with c, and it goes into the letter; markup stays literal."""
    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        first = vault.clients.ids()[0]
        name_before = vault.clients.get_unaudited(first).display_name
        key = vault.custodian.designate(
            PASSPHRASE, name="Dr. Kim Birch", role="Psychologist", contact="kim@example.org"
        ).key
    finally:
        vault.lock()
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.open_client(first)
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#name", Input).value = "Renamed Before Refusal"
        form.query_one("#contact", Input).value = "x" * 600
        form.query_one("#save", Button).press()
        await settle(pilot)
        assert app.screen is form
        assert "contact details" in static_text(form.query_one("#client-error"))
        form.query_one("#name", Input).value = name_before
        form.query_one("#contact", Input).value = "[b]12[/b] Harbor Road, Springfield"
        form.query_one("#save", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        await pilot.press("e")
        await settle(pilot)
        assert app.screen.query_one("#contact", Input).value == (
            "[b]12[/b] Harbor Road, Springfield"
        )
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        assert vault.custodian.contact(first) == "[b]12[/b] Harbor Road, Springfield"
        assert vault.clients.get_unaudited(first).display_name == name_before
    finally:
        vault.lock()

    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_as_custodian(pilot, app, key)
        screen = app.screen
        assert isinstance(screen, CustodianScreen)
        table = screen.query_one("#custodian-clients", DataTable)
        assert "[b]12[/b] Harbor Road" in str(table.get_cell(str(first), "contact"))
        await pilot.press("c")
        await settle(pilot)
        field = app.screen.query_one("#path", Input)
        assert field.value == "[b]12[/b] Harbor Road, Springfield"
        field.value = "3 New Street, Springfield"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert "3 New Street" in str(table.get_cell(str(first), "contact"))
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        assert vault.custodian.contact(first) == "3 New Street, Springfield"
        letter = vault.custodian.letter(first)
        assert ("Contact", "3 New Street, Springfield") in letter.facts
        edits = [e for e in vault.audit.entries(limit=60) if e.object_type == "client_contact"]
        assert [e.detail.get("actor") for e in edits][:1] == ["custodian:1"]
    finally:
        vault.lock()


def _record_counts(folder: Path) -> dict[str, int]:
    """Rows of every table a change would touch (the audit log aside: reading writes it)."""
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        tables = [
            str(r[0])
            for r in vault.db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                "'%fts%' AND name NOT IN ('audit_log', 'meta', 'sqlite_sequence')"
            )
        ]
        counts = {t: int(vault.db.scalar(f'SELECT count(*) FROM "{t}"')) for t in tables}
        counts["signed"] = int(vault.db.scalar("SELECT count(*) FROM notes WHERE signed_at"))
        settings = vault.db.query("SELECT key, value FROM settings ORDER BY key")
        counts["settings digest"] = hash(tuple(tuple(r) for r in settings))
        return counts
    finally:
        vault.lock()


async def test_every_key_that_would_change_the_record_is_refused_with_a_notice(
    tmp_path: Path,
) -> None:
    """In custodian mode, every key that would edit, sign, file, dispose of, back up or
    reconfigure says it is the clinician's, in one line, on each screen that has it; the app
    keeps running (no traceback), no table changes, and each refusal is in the audit log once,
    under the custodian's name."""
    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        key = vault.custodian.designate(
            PASSPHRASE, name="Dr. Kim Birch", role="Psychologist", contact="kim@example.org"
        ).key
        client = vault.clients.ids()[0]
        vault.notes.create(client, body="A draft the custodian must not sign.")
        start = vault.audit.head()
    finally:
        vault.lock()
    assert start is not None
    before = _record_counts(folder)
    shown: list[str] = []  # what each refusal notice named, in order
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_as_custodian(pilot, app, key)

        async def refused(press: str, what: str) -> None:
            app._notifications.clear()
            screen = app.screen
            await pilot.press(press)
            await settle(pilot)
            messages = [n.message for n in app._notifications]
            assert messages == [f"Custodian mode is read-only: {what} is for the clinician."], (
                press,
                messages,
            )
            assert app.screen is screen, press  # no form opened, nothing to fill in
            shown.append(what)

        async def from_home(action: str) -> None:
            while not isinstance(app.screen, CustodianScreen):
                await pilot.press("escape")
                await settle(pilot)
            if action:
                await app.run_action(action)
                await settle(pilot)

        await from_home("")
        for action, what in (
            ("disposal", "disposal"),
            ("backup", "backing up"),
            ("change_passphrase", "changing the passphrase"),
        ):
            app._notifications.clear()
            await app.run_action(action)
            await settle(pilot)
            assert [n.message for n in app._notifications] == [
                f"Custodian mode is read-only: {what} is for the clinician."
            ]
            assert isinstance(app.screen, CustodianScreen)
            shown.append(what)
        await from_home("practice")
        await refused("ctrl+s", "changing practice settings")
        await refused("ctrl+o", "naming the custodian")
        await from_home("incidents")
        await refused("n", "recording incidents")
        await from_home("")
        app.open_client(client)
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        await refused("n", "writing notes")
        await refused("l", "writing late entries")
        await refused("e", "editing clients")
        await pilot.press("a")
        await settle(pilot)
        await refused("a", "adding attachments")
        await refused("i", "filing scanned forms")
        await refused("x", "marking attachments")
        await pilot.press("escape")
        await settle(pilot)
        kinds = set()
        for row in range(4):  # the client's signed notes and the draft
            await pilot.press(*["down"] * row, "enter")
            await settle_until(pilot, lambda: isinstance(app.screen, NoteEditorScreen))
            editor = app.screen
            assert isinstance(editor, NoteEditorScreen) and editor.note is not None
            kinds.add(editor.note.is_signed)
            await refused("ctrl+o", "flagging passages")
            if editor.note.is_signed:  # save and sign are not offered on a signed note
                await refused("ctrl+n", "writing addenda")
            else:
                await refused("ctrl+s", "writing notes")
                await refused("ctrl+g", "signing notes")
            status = static_text(editor.query_one("#editor-status", Static))
            assert status.startswith("Custodian mode: read-only.")
            await pilot.press("escape")
            await settle_until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        assert kinds == {True, False}
        assert app.is_running
    after = _record_counts(folder)
    # Unlocking as the custodian brought the backup catalog's schema up to date (this vault
    # was never backed up): its tables are new and empty; nothing else changed.
    created = {t: after.pop(t) for t in set(after) - set(before)}
    assert created == {
        "backup_clients": 0,
        "backup_drives": 0,
        "backup_removals": 0,
        "backups": 0,
        "backup_schema_migrations": len(CATALOG_MIGRATIONS),
    }
    assert after == before
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        entries = vault.audit.entries(limit=1000, newest_first=False, action="custodian_refused")
    finally:
        vault.lock()
    refused = [e for e in entries if e.seq > start[0]]
    assert [e.detail["what"] for e in refused] == [f"{what} is for the clinician" for what in shown]
    assert {e.detail.get("actor") for e in refused} == {"custodian:1"}
    assert len(shown) > 15


def _designated(folder: Path) -> str:
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        return vault.custodian.designate(
            PASSPHRASE, name="Dr. Kim Birch", role="Psychologist", contact="kim@example.org"
        ).key
    finally:
        vault.lock()


async def test_custodian_writes_export_letter_and_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the custodian's home: e (the open export), l (a client's letter), i (the
    instructions). Each file is 0600, audited as the custodian, and nothing lands in TMPDIR; a
    letter to a client without contact details says so."""
    import tempfile

    from textual.widgets import Checkbox

    from tui.app.screens.export import ExportModal
    from vault.openexport import read_export

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    folder = make_practice(tmp_path / "vault")
    key = _designated(folder)
    out = tmp_path / "out"
    out.mkdir()
    export, letter, instructions = out / "cust.age", out / "letter.pdf", out / "instr.pdf"
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_as_custodian(pilot, app, key)
        home = app.screen
        assert isinstance(home, CustodianScreen)
        first = home.client_id
        assert first is not None

        await pilot.press("e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExportModal)
        modal.query_one("#path", Input).value = str(export)
        modal.query_one("#passphrase", Input).value = key
        modal.query_one("#export1", Input).value = EXPORT_PASSPHRASE
        modal.query_one("#export2", Input).value = EXPORT_PASSPHRASE
        modal.query_one("#pnotes", Checkbox).value = False
        modal.query_one("#export2", Input).focus()
        await pilot.press("enter")
        await settle_until(pilot, lambda: app.screen is home)
        assert export.exists()

        app._notifications.clear()
        await pilot.press("l")
        await settle(pilot)
        app.screen.query_one("#path", Input).value = str(letter)
        await pilot.press("enter")
        await settle_until(pilot, lambda: letter.exists() and bool(app._notifications))
        said = [n.message for n in app._notifications]
        assert any(f"Wrote {letter}." in m and "has no contact details" in m for m in said), said

        await pilot.press("i")
        await settle(pilot)
        app.screen.query_one("#path", Input).value = str(instructions)
        await pilot.press("enter")
        await settle_until(pilot, lambda: instructions.exists())
    for path in (export, letter, instructions):
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert set(out.iterdir()) == {export, letter, instructions}
    assert list(temp.rglob("*")) == []
    assert read_export(export, EXPORT_PASSPHRASE).manifest["exported_by"]["role"] == "custodian"
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        entries = vault.audit.entries(limit=400)
        written = {
            e.object_type: e.detail.get("actor")
            for e in entries
            if e.action == "export"
            and e.object_type in ("vault_export", "custodian_letter", "custodian_instructions")
        }
        assert written == {
            "vault_export": "custodian:1",
            "custodian_letter": "custodian:1",
            "custodian_instructions": "custodian:1",
        }
        kinds = {
            (str(r[0]), str(r[1]))
            for r in vault.db.query("SELECT DISTINCT kind, path FROM exports")
        }
        assert kinds == {
            ("open_export", str(export)),
            ("custodian_letter", str(letter)),
            ("custodian_instructions", str(instructions)),
        }
    finally:
        vault.lock()


async def test_reissue_and_revoke_from_practice_settings_stop_the_old_key(
    tmp_path: Path,
) -> None:
    """Re-issue: a new key shown once, the old one refused. Revoke: the new one refused too,
    and the settings say no custodian is designated."""
    from tui.app.screens.modals import PassphraseModal
    from vault import AuthenticationError
    from vault.crypto.keyslots import KeyFile, KeyName, wipe_keys

    folder = make_practice(tmp_path / "vault")
    old = _designated(folder)
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_custodian_settings(pilot, app)
        sheet = tmp_path / "new-sheet.txt"  # never the default in the home folder
        screen.query_one("#custodian-sheet", Input).value = str(sheet)
        screen.query_one("#reissue", Button).press()
        await settle_until(pilot, lambda: isinstance(app.screen, PassphraseModal))
        await pilot.press(*PASSPHRASE, "enter")
        key_line = screen.query_one("#custodian-key", Static)
        await settle_until(pilot, lambda: static_text(key_line) != "")
        shown = static_text(key_line)
        assert shown.startswith("Custodian key (shown once): "), (
            type(app.screen).__name__,
            [n.message for n in app._notifications],
        )
        new = shown.removeprefix("Custodian key (shown once): ").split(".")[0]
        assert new != old and new.split("-")[0] in sheet.read_text()
        # The app holds the vault open: the key file itself says which key opens the slot.
        keyfile = KeyFile.load(folder / "keys.confide")
        with pytest.raises(AuthenticationError):
            keyfile.unwrap_with_custodian(old, [KeyName.RECORD])
        wipe_keys(keyfile.unwrap_with_custodian(new, [KeyName.RECORD]))
        screen.query_one("#revoke", Button).press()
        await settle(pilot)
        app.screen.query_one("#yes", Button).press()
        await settle(pilot)
        assert "No custodian is designated" in static_text(
            screen.query_one("#custodian-current", Static)
        )
    with pytest.raises(AuthenticationError):
        Vault.unlock_custodian(folder, new)


async def test_a_letter_to_a_sealed_name_asks_the_key_again_and_uses_the_legal_name(
    tmp_path: Path,
) -> None:
    """The highlighted client is kept under a pseudonym: after the path, the custodian key is
    asked again; the letter goes to the legal name, and the reveal is audited as the custodian."""
    from tui.app.screens.modals import PassphraseModal

    folder = make_practice(tmp_path / "vault")
    key = _designated(folder)
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        sealed = [c for c in vault.clients.ids() if vault.custodian.needs_secret(c)][0]
        legal = vault.reveal_legal_names([sealed], PASSPHRASE)[sealed]
        pseudonym = vault.clients.get_unaudited(sealed).display_name
        row = vault.clients.ids().index(sealed)
    finally:
        vault.lock()
    letter = tmp_path / "letter.txt"
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_as_custodian(pilot, app, key)
        home = app.screen
        assert isinstance(home, CustodianScreen)
        await pilot.press(*["down"] * row)
        await settle(pilot)
        assert home.client_id == sealed
        await pilot.press("l")
        await settle(pilot)
        app.screen.query_one("#path", Input).value = str(letter)
        await pilot.press("enter")
        await settle_until(pilot, lambda: isinstance(app.screen, PassphraseModal))
        await pilot.press(*key, "enter")
        await settle_until(pilot, lambda: letter.exists())
    text = letter.read_text()
    assert f"Dear {legal}," in text and pseudonym not in text
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        reveals = [
            e.detail.get("actor")
            for e in vault.audit.entries(limit=100)
            if e.action == "reveal" and e.object_id == str(sealed)
        ]
        assert "custodian:1" in reveals
    finally:
        vault.lock()


async def test_custodians_export_form_asks_for_the_key_and_offers_only_what_was_granted(
    tmp_path: Path,
) -> None:
    """The custodian's export form names the custodian key (not the vault passphrase they
    do not have) and, without the grant, offers no psychotherapy notes; the clinician's form
    is as before."""
    from textual.widgets import Checkbox

    from tui.app.screens.export import ExportModal

    folder = make_practice(tmp_path / "vault")
    key = _designated(folder)  # without --include-psychotherapy-notes
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_as_custodian(pilot, app, key)
        await pilot.press("e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExportModal)
        labels = [static_text(label) for label in modal.query(".field-label").results(Static)]
        assert "Key" in labels and "Vault" not in labels
        assert modal.query_one("#passphrase", Input).placeholder == "your custodian key, again"
        assert modal.query_one("#pnotes", Checkbox).disabled
        modal.query_one("#path", Input).value = str(tmp_path / "x.age")
        modal.query_one("#export2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert static_text(modal.query_one("#export-error", Static)) == (
            "Type the custodian key again."
        )
    clinician = app_for(folder)
    async with clinician.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        clinician.action_export()
        await settle(pilot)
        modal = clinician.screen
        assert isinstance(modal, ExportModal)
        labels = [static_text(label) for label in modal.query(".field-label").results(Static)]
        assert "Vault" in labels and "Key" not in labels
        assert not modal.query_one("#pnotes", Checkbox).disabled


async def test_custodian_edits_the_letter_template_in_the_app(tmp_path: Path) -> None:
    """t on the custodian's home edits the letter's template: a bad placeholder or an escape
    is refused with the core's message and saves nothing; a good text, Rich markup included,
    is saved literally as a new version (the old one kept) and the next letter uses it."""
    from textual.widgets import TextArea

    from tui.app.screens.custodian import LetterTemplateModal

    folder = make_practice(tmp_path / "vault")
    key = _designated(folder)
    letter = tmp_path / "letter.txt"
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_as_custodian(pilot, app, key)
        home = app.screen
        assert isinstance(home, CustodianScreen)
        # At 80 columns the custodian's footer keeps the keys the role needs most.
        footer = [strip.text for strip in home._compositor.render_strips()][-1]
        for shown in ("e Export", "r Release", "a Access", "l Letter", "c Contact", "^q Quit"):
            assert shown in footer, footer
        await pilot.press("t")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, LetterTemplateModal)
        area = modal.query_one("#template-text", TextArea)
        assert area.text.startswith("Dear {legal_name},")
        area.text = "Dear {client:>99},"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert static_text(modal.query_one("#template-error", Static)) == (
            "letter template: write {client} alone, without ':' or '!' after the name"
        )
        area.text = "Dear {legal_name}, \x1b]52;c;x\x07"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert static_text(modal.query_one("#template-error", Static)) == (
            "letter template contains U+001B ESCAPE; remove it"
        )
        area.text = "Dear {legal_name}, [b]your[/b] record {record_id} is safe."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert static_text(modal.query_one("#template-error", Static)) == "Saved as version 2."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert static_text(modal.query_one("#template-error", Static)) == (
            "Nothing changed: version 2 stays."
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        versions = vault.custodian.versions()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].text.startswith("Dear {legal_name},")
        assert versions[1].text == "Dear {legal_name}, [b]your[/b] record {record_id} is safe."
        first = vault.clients.list()[0].id
        vault.custodian.write_letter(first, letter)
    finally:
        vault.lock()
    assert "[b]your[/b] record C-" in letter.read_text()
