"""Pilot tests: flags in the psychotherapy-note editor, and privacy mode matching nothing
flagged in search or the command palette (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList
from textual.widgets.text_area import Selection

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, unlock
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.modals import ChoiceModal, PassphraseModal
from tui.app.screens.pnotes import PsychotherapyScreen
from tui.app.screens.search import NoteSearchProvider, SearchScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from vault import OmitCategory, OmitSpan, Vault
from vault.disclosures import ReleaseSpec, RequestType

SECRET = "zqpalettesecret"
OPEN_WORD = "zqpaletteopen"


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    folder = make_practice(tmp_path / "vault")
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        client = vault.clients.list("Alder")[0].id
        vault.notes.create(
            client, body=f"Mood fine {OPEN_WORD}. {{{{omit:hiv}}}}{SECRET} result{{{{/omit}}}}"
        )
    finally:
        vault.lock()
    return folder


async def _palette_notes(provider: NoteSearchProvider, query: str) -> list[str]:
    return [
        str(h.match_display)
        for h in [hit async for hit in provider.search(query)]
        if str(h.match_display).startswith("Note:")
    ]


async def test_privacy_mode_palette_and_search_match_nothing_flagged(practice: Path) -> None:
    """With privacy mode on, a word typed from a flagged passage lists no note in the palette
    or the search screen; the note's unflagged words still find it; privacy off, both do."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        provider = NoteSearchProvider(app.screen)
        assert await _palette_notes(provider, SECRET)  # privacy off: the clinician's search
        await pilot.press("f2")
        await pilot.pause()
        assert app.privacy
        assert await _palette_notes(provider, SECRET) == []
        assert await _palette_notes(provider, "cannabis") == []  # flagged in the demo notes
        assert len(await _palette_notes(provider, OPEN_WORD)) == 1
        await pilot.press("ctrl+f")
        await pilot.press(*SECRET)
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        assert search.hits == []
        assert search.query_one("#results", OptionList).option_count == 0
        search.query_one("#query", Input).value = OPEN_WORD
        await pilot.pause()  # the Changed message starts the search worker
        await settle(pilot)
        assert len(search.hits) == 1
        search.query_one("#query", Input).value = SECRET
        await pilot.pause()
        await settle(pilot)
        assert search.hits == []
        await pilot.press("f2")  # privacy off again: the same query now finds the note
        await settle(pilot)
        assert [h.note_id for h in search.hits] == [search.hits[0].note_id]
        assert search.query_one("#results", OptionList).option_count == 1


async def _open_pnotes(pilot: Pilot[None]) -> PsychotherapyScreen:
    app = pilot.app
    assert isinstance(app.screen, ClientListScreen)
    app.screen.query_one("#filter", Input).value = "Alder"
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, TimelineScreen)
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(app.screen, PassphraseModal)
    app.screen.query_one("#reauth", Input).value = PASSPHRASE
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, PsychotherapyScreen)
    return app.screen


def _select(body: FlagTextArea, needle: str) -> tuple[int, int]:
    start = body.text.index(needle)
    end = start + len(needle)
    body.selection = Selection(
        body.document.get_location_from_index(start), body.document.get_location_from_index(end)
    )
    return start, end


async def test_flag_a_passage_in_the_psychotherapy_note_editor(practice: Path) -> None:
    """Select, ctrl+o, pick a category: the passage is flagged, highlighted and saved; ctrl+o
    inside it unflags; markers typed in the text become flags too."""
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        screen = await _open_pnotes(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        body = screen.query_one("#pnote-body", FlagTextArea)
        body.insert("Felt protective. Brother Bob details came up. Then quiet.")
        await pilot.press("ctrl+s")
        await pilot.pause()
        start, end = _select(body, "Brother Bob details")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        options = app.screen.query_one("#choices", OptionList)
        options.highlighted = [o.id for o in options.options].index("third-party")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        flag = OmitSpan(start, end, OmitCategory.THIRD_PARTY)
        assert body.spans == (flag,)
        assert [s for s in body.get_line(0).spans if s.start == start], "highlighted"
        current = screen.current
        assert current is not None
        assert screen.pnotes.get(current.id).spans == (flag,)
        body.selection = Selection.cursor(body.document.get_location_from_index(start + 2))
        await pilot.press("ctrl+o")  # no selection, cursor inside: unflag
        await settle(pilot)
        assert body.spans == ()
        assert screen.pnotes.get(current.id).spans == ()
        body.insert(" {{omit:dream}}flying again{{/omit}}", body.document.end)
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = screen.pnotes.get(current.id)
        assert stored.body.endswith("Then quiet. flying again")
        assert [stored.body[s.start : s.end] for s in stored.spans] == ["flying again"]
        assert body.text == stored.body and body.spans == stored.spans
        await pilot.press("escape")
        await settle(pilot)
    vault = Vault.unlock(practice, PASSPHRASE)
    try:
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        again = area.get(current.id)
        assert [(again.body[s.start : s.end], s.category) for s in again.spans] == [
            ("flying again", OmitCategory.DREAM_FANTASY)
        ]
    finally:
        vault.lock()


async def test_flag_in_a_joint_note_names_whose_passage_it_is(practice: Path) -> None:
    """In a joint note, flagging asks whose passage it is; the other participant's passage is
    kept as theirs through edits and never leaves in the first client's release."""
    vault = Vault.unlock(practice, PASSPHRASE)
    try:
        alder = vault.clients.list("Alder")[0].id
        other = vault.clients.add("Wren Otherside").id
        joint = vault.notes.create(
            alder, body="Couple session. zqwrendisclosure came up.", participants=(other,)
        ).id
    finally:
        vault.lock()
    app = app_for(practice)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot)
        app.open_note(joint)
        await settle(pilot)
        editor = app.screen
        body = editor.query_one("#body", FlagTextArea)
        start, end = _select(body, "zqwrendisclosure")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        options = app.screen.query_one("#choices", OptionList)
        options.highlighted = [o.id for o in options.options].index("substance-use")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)  # whose passage?
        options = app.screen.query_one("#choices", OptionList)
        assert [o.id for o in options.options] == [str(alder), str(other)]
        options.highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        assert body.spans == (OmitSpan(start, end, OmitCategory.SUBSTANCE_USE, other),)
        body.insert("Note: ", body.document.start)  # an edit before it moves it, keeps whose
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert body.spans == (OmitSpan(start + 6, end + 6, OmitCategory.SUBSTANCE_USE, other),)
        await pilot.press("escape")
        await settle(pilot)
    vault = Vault.unlock(practice, PASSPHRASE)
    try:
        note = vault.notes.get(joint)
        assert [s.about for s in note.spans] == [other]
        vault.notes.sign(joint)
        spec = ReleaseSpec(
            client_id=alder,
            request_type=RequestType.COURT_ORDER,
            recipient_name="Clerk",
            purpose="order",
            court_order="Order 1",
            include_categories=(OmitCategory.SUBSTANCE_USE,),
            note_ids=(joint,),
        )
        assert "zqwrendisclosure" not in vault.disclosures.prepare(spec).preview
    finally:
        vault.lock()
