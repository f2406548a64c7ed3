"""Hostile text in every field a user can fill, walked through every screen.

Names, pseudonyms, note bodies, addenda, psychotherapy notes, recipients, purposes, drive labels
and policy labels hold markup (`[/]`, links, `[@click=...]`), escapes, NUL, a bidi override, CJK
and a 10,000-character line. On every screen: no crash, the text is drawn literally (read back
from the rendered cells and from the composed screen), no hyperlink or click action appears,
and no control character reaches the terminal. Fields the vault refuses give a plain error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from backup import add_drive
from tests.support.tui import PASSPHRASE, app_for, settle, static_text, unlock
from tui.app.app import ConfideApp
from tui.app.screens.audit import AuditScreen
from tui.app.screens.backup import BackupScreen
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.disposal import DisposalScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.pnotes import PsychotherapyScreen
from tui.app.screens.release import AuthorizationsScreen, ReleaseScreen
from tui.app.screens.search import SearchScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.row_list import RowList
from tui.app.widgets.safe import SafeTextArea, visible
from vault import TEST_PRESET, SessionInfo, Vault
from vault.retention.policies import add_policy, set_client_policy

WORD = "zephyrquill"  # in every note, so one search finds them all
LONG = "L" * 10_000
HOSTILE = {
    "close": "[/] closes nothing",
    "link": "[link=https://x.example]L[/link]",
    "qlink": '[link="https://x.example"]Q[/link]',
    "click": "[@click=app.quit]Q[/]",
    "bold": "[b]bold[/b] [i]it",
    "ansi": "esc \x1b[31mRED\x1b[0m",
    "osc": "osc \x1b]8;;http://x\x07OSC",
    "nul": "nul \x00 byte",
    "rtl": "rtl \u202eevil",
    "cjk": "患者 田中 [u]",
    "long": LONG,
}
# What a one-line field (a name, a recipient) accepts: the vault refuses controls and length.
ONE_LINE = ["close", "link", "qlink", "click", "bold", "cjk"]
# Name-like fields also refuse bidirectional controls (one rule, vault/records/validate.py).
NAMES = ONE_LINE
BODIES = [k for k in HOSTILE if k != "nul"]
CONTROLS = ("\x1b", "\x00", "\x07", "\x9b", "\u202e")
SIZE = (200, 60)


def shown(kind: str, chars: int = 30) -> str:
    """How the hostile text must appear: literally, controls as symbols; a prefix if long."""
    return visible(HOSTILE[kind])[:chars]


@dataclass(frozen=True)
class Practice:
    folder: Path
    drive: Path
    clients: dict[str, int]
    notes: dict[str, int]
    addendum: int
    auth: int


def _build(folder: Path, drive: Path) -> Practice:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        add_policy(vault, "hostile-policy", "[/] policy [red] [@click=app.quit]x[/]", 1)
        clients: dict[str, int] = {}
        notes: dict[str, int] = {}
        for kind in NAMES:
            pseudonym = HOSTILE["bold"] if kind == "bold" else None
            client = vault.clients.add(
                HOSTILE[kind], pseudonym=pseudonym, last_service_date="2010-01-05"
            )
            clients[kind] = client.id
            set_client_policy(vault, client.id, "hostile-policy")
        owner = clients["close"]
        for kind in BODIES:
            note = vault.notes.create(
                owner,
                "free",
                body=f"{HOSTILE[kind]} {WORD}\nsecond line",
                session=SessionInfo(session_date="2009-06-01"),
            )
            notes[kind] = note.id
        for note_id in notes.values():
            vault.notes.sign(note_id)
        addendum = vault.notes.addend(
            notes["bold"], f"{HOSTILE['click']} addendum {WORD}", sign=True
        ).id
        pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
        for kind in BODIES:
            pnotes.add(owner, f"{HOSTILE[kind]}\nmore", "2009-06-01")
        pnotes.lock()
        auth = vault.disclosures.authorizations.add(
            owner,
            kind="general",
            description=HOSTILE["link"],
            discloser=HOSTILE["close"],
            recipient_name=HOSTILE["click"],
            purpose=HOSTILE["bold"],
            signed_on="2009-01-01",
            expires_on="2099-01-01",
        ).id
        drive.mkdir()
        add_drive(vault, drive, "[/]drive [red][@click=app.quit]x[/] " + "D" * 150)
    finally:
        vault.lock()
    return Practice(folder, drive, clients, notes, addendum, auth)


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Practice:
    base = tmp_path_factory.mktemp("hostile")
    return _build(base / "vault", base / "drive")


# -- reading back what is drawn


def screen_lines(app: ConfideApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def assert_safe(app: ConfideApp, *expected: str) -> str:
    """No crash; `expected` drawn literally; no link, action or control character drawn."""
    assert app.is_running and app._exception is None
    text = "\n".join(screen_lines(app))
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            assert not any(c in segment.text for c in CONTROLS), repr(segment.text)
            style = segment.style
            if style is None:
                continue
            assert not style.link, f"a link was drawn: {segment.text!r} -> {style.link}"
            # Scrollbars carry "@mouse.down"; only markup makes "@click" actions.
            assert "@click" not in (style.meta or {}), (
                f"an action was bound: {segment.text!r} {style.meta}"
            )
    for want in expected:
        assert want in text, f"{want!r} is not on screen"
    return text


def cell_texts(table: DataTable[object]) -> Iterator[tuple[str, str]]:
    """(what the cell holds, what it draws) for every cell of `table`."""
    for row in range(table.row_count):
        raw = table.get_row_at(row)
        drawn = table._get_row_renderables(row).cells
        for value, renderable in zip(raw, drawn, strict=True):
            held = value.plain if isinstance(value, Text) else str(value)
            assert isinstance(renderable, Text)
            yield held, renderable.plain


def row_list_lines(rows: RowList) -> Iterator[tuple[str, str]]:
    """(what the cell holds, the line it is drawn on) for every cell of `rows` on screen."""
    for row in range(rows.row_count):
        line = rows.render_line(row + 1 - rows.scroll_offset.y).text
        for held in rows.cells(row):
            yield held, line


def assert_tables_literal(app: ConfideApp) -> list[str]:
    """Every cell of every table on screen draws exactly its text, controls as symbols."""
    cells = []
    for table in app.screen.query(DataTable):
        for held, drawn in cell_texts(table):
            assert drawn == visible(held), f"cell {held!r} drawn as {drawn!r}"
            cells.append(drawn)
    for rows in app.screen.query(RowList):
        for held, line in row_list_lines(rows):
            # A cell wider than its column is cut with an ellipsis: its start is drawn as is.
            assert visible(held)[:15] in line, f"cell {held!r} drawn as {line!r}"
            cells.append(visible(held))
    return cells


async def opened(pilot: Pilot[None], practice: Practice) -> ConfideApp:
    await unlock(pilot)
    app = pilot.app
    assert isinstance(app, ConfideApp) and isinstance(app.screen, ClientListScreen)
    return app


# -- the walk


async def test_client_list_and_filter(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        cells = assert_tables_literal(app)
        for kind in NAMES:
            want = HOSTILE["bold"] if kind == "bold" else HOSTILE[kind]  # pseudonym shown
            assert visible(want) in cells
        assert_safe(app, *(shown(k) for k in ("close", "link", "qlink", "click", "cjk")))
        await pilot.press(*"[/]")  # the filter box: markup typed as a query
        await settle(pilot)
        assert_safe(app, shown("close"))
        await pilot.press("f2")  # privacy mode: initials of hostile names
        await settle(pilot)
        assert_tables_literal(app)
        assert_safe(app)


async def test_timelines_and_titles(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        for kind in NAMES:
            app.open_client(practice.clients[kind])
            await settle(pilot)
            assert isinstance(app.screen, TimelineScreen)
            want = shown("bold" if kind == "bold" else kind)
            header = static_text(app.screen.query_one("#client-header", Static))
            assert header.startswith(visible(app.screen.title or "")[:20])
            assert want in header
            assert_tables_literal(app)
            assert_safe(app, want)
            await pilot.press("escape")
            await settle(pilot)


@pytest.mark.parametrize("kind", BODIES)
async def test_note_editor(practice: Practice, kind: str) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        app.open_note(practice.notes[kind])
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        body = editor.query_one("#body", SafeTextArea)
        assert body.text.startswith(HOSTILE[kind])
        assert visible(HOSTILE[kind])[:100] in body.render_line(0).text
        assert_safe(app, shown("close"))  # the owner's name in the title line
        await pilot.press("f2")
        await settle(pilot)
        view = static_text(editor.query_one("#privacy-view", Static))
        assert visible(HOSTILE[kind])[:100] in view
        assert_safe(app, shown(kind))


async def test_addendum(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        app.open_note(practice.addendum)
        await settle(pilot)
        assert isinstance(app.screen, NoteEditorScreen)
        assert_safe(app, shown("click"))


async def test_psychotherapy_notes(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        assert app.vault is not None
        owner = practice.clients["close"]
        await app.push_screen(
            PsychotherapyScreen(owner, app.vault.open_psychotherapy_notes(PASSPHRASE))
        )
        await settle(pilot)
        assert isinstance(app.screen, PsychotherapyScreen)
        cells = assert_tables_literal(app)
        for kind in BODIES:
            begins = visible(HOSTILE[kind])[:40]
            assert begins in cells or f"{begins}…" in cells  # an ellipsis where it is cut
        assert_safe(app, shown("bold", 20), shown("ansi", 20), shown("osc", 20))  # on screen
        await pilot.press("enter")  # open the highlighted note in the editor
        await settle(pilot)
        assert_safe(app)


async def test_search_and_palette(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        await pilot.press("ctrl+f", *WORD)
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert len(app.screen.hits) == len(BODIES) + 1
        # Every snippet, the 10,000-character one cut to its context around the match.
        assert_safe(app, *(shown(k, 20) for k in BODIES if k != "long"), f"…{'L' * 40}")
        await pilot.press("escape")
        await settle(pilot)
        for query in (WORD, "bold", "closes"):
            app.action_command_palette()
            await settle(pilot)
            await pilot.press(*query)
            await settle(pilot)
            assert_safe(app, "[b]bold[/b]" if query == "bold" else shown("close", 15))
            await pilot.press("escape")
            await settle(pilot)


async def test_disposal_queue(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        app.action_disposal()
        await settle(pilot)
        assert isinstance(app.screen, DisposalScreen)
        cells = assert_tables_literal(app)
        assert "hostile-policy" in cells  # the policy's key; its label is never drawn
        assert_safe(app, *(shown(k) for k in ("close", "link", "qlink", "click", "cjk")))
        await pilot.press("space")
        await pilot.press("d")  # the confirmation names record ids only
        await settle(pilot)
        assert_safe(app)
        await pilot.press("escape")


async def test_backup_screen_and_drive_labels(practice: Practice, tmp_path: Path) -> None:
    app = app_for(practice.folder)
    label = "[@click=app.quit]stick[/] [link=x]L[/]"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await opened(pilot, practice)
        app.action_backup()
        await settle(pilot)
        assert isinstance(app.screen, BackupScreen)
        assert_tables_literal(app)
        assert_safe(app, "[/]drive [red][@click=app.quit]x[/]")
        # A label typed in the app comes back in a notification.
        await pilot.press("a")
        await settle(pilot)
        (tmp_path / "stick").mkdir()
        app.screen.query_one("#drive-path", Input).value = str(tmp_path / "stick")
        app.screen.query_one("#drive-label", Input).value = label
        app.screen.query_one("#drive-label", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BackupScreen)
        assert_tables_literal(app)
        # In the drives table and in the toast "... is now a backup drive".
        text = assert_safe(app, visible(label)[:20])
        assert f"{visible(label)} is now a" in text


async def test_release_and_authorizations(practice: Practice) -> None:
    app = app_for(practice.folder)
    owner = practice.clients["close"]
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        await app.push_screen(AuthorizationsScreen(owner))
        await settle(pilot)
        cells = assert_tables_literal(app)
        assert visible(HOSTILE["click"]) in cells and visible(HOSTILE["bold"]) in cells
        assert_safe(app, shown("click"), shown("bold"))
        # Typed into the form: refused or recorded, the message is drawn plainly.
        screen = app.screen
        for field, kind in (
            ("auth-what", "link"),
            ("auth-discloser", "close"),
            ("auth-to", "qlink"),
            ("auth-purpose", "osc"),
            ("auth-signed", "click"),
            ("auth-event", "cjk"),
        ):
            screen.query_one(f"#{field}", Input).value = HOSTILE[kind]
        await pilot.click("#auth-add")
        await settle(pilot)
        assert "U+001B ESCAPE" in static_text(screen.query_one("#auth-status", Static))
        assert_safe(app)
        await pilot.press("escape")
        await settle(pilot)
        release = ReleaseScreen(owner)
        await app.push_screen(release)
        await settle(pilot)
        release.query_one("#release-recipient", Input).value = HOSTILE["click"]
        release.query_one("#release-purpose", Input).value = HOSTILE["bold"]
        release.query_one("#release-auth", Select).value = practice.auth
        await pilot.press("f5")
        await settle(pilot)
        assert release.plan is not None, static_text(release.query_one("#release-status", Static))
        preview = release.query_one("#release-preview", SafeTextArea)
        assert HOSTILE["link"] in preview.text
        assert_safe(app, shown("close"))
        release.query_one("#release-items", Input).value = "[/] N-x"  # refused: plain error
        await pilot.press("f5")
        await settle(pilot)
        assert_safe(app, "'[/] N-x' is not a note identifier")


async def test_audit_log(practice: Practice) -> None:
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        app.action_audit()
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        assert_tables_literal(app)
        assert_safe(app)


@pytest.mark.parametrize("kind", ["ansi", "nul", "long", "close"])
async def test_client_form(practice: Practice, tmp_path: Path, kind: str) -> None:
    """Typed in the new-client form: refused with a plain one-line error, or added."""
    app = app_for(practice.folder)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, practice)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.query_one("#name", Input).value = HOSTILE[kind]
        form.query_one("#pseudonym", Input).value = HOSTILE["link"]
        await pilot.click("#save")
        await settle(pilot)
        if kind == "close":
            assert isinstance(app.screen, TimelineScreen)
            assert_safe(app, shown("link"))  # the pseudonym is the name shown
        else:
            error = static_text(form.query_one("#client-error", Static))
            assert "\n" not in error and error
            assert_safe(app, error[:40])
