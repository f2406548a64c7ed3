"""An unsigned draft started by mistake can be discarded; signed notes never can."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, unlock
from tui.app.screens.editor import NoteEditorScreen
from vault import ImmutableRecordError, NotFoundError, Vault


def test_discarded_draft_is_gone_from_timeline_search_and_numbering(vault: Vault) -> None:
    """The draft disappears everywhere, the discard is audited, and its number is not reused."""
    cid = vault.clients.add("Rowan Placeholder").id
    signed = vault.notes.sign(vault.notes.create(cid, body="kept zeppelin").id)
    draft = vault.notes.create(cid, body="mistaken quokka")
    vault.notes.discard_draft(draft.id)
    assert [n.id for n in vault.notes.timeline(cid)] == [signed.id]
    assert vault.search("quokka") == []
    with pytest.raises(NotFoundError):
        vault.notes.get(draft.id)
    assert any(
        e.action == "discard" and e.object_id == str(draft.id)
        for e in vault.audit.entries(limit=10)
    )
    assert vault.notes.create(cid, body="next").id > draft.id
    with pytest.raises(ImmutableRecordError):
        vault.notes.discard_draft(signed.id)
    assert vault.audit.verify().ok


async def test_discard_from_the_editor_after_confirmation(tmp_path: Path) -> None:
    """From the palette's Discard draft: the editor closes and the timeline no longer lists it."""
    folder = make_practice(tmp_path / "vault")
    with Vault.unlock(folder, PASSPHRASE) as vault:
        client = vault.clients.list()[0]
        draft = [n for n in vault.notes.timeline(client.id) if n.status.value == "draft"][0]
    app = app_for(folder)
    async with app.run_test() as pilot:
        await unlock(pilot)
        app.open_client(client.id)
        await settle(pilot)
        app.open_note(draft.id)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen)
        editor.action_discard()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, NoteEditorScreen)
        assert app.vault is not None
        ids = [n.id for n in app.vault.notes.timeline(client.id)]
        assert draft.id not in ids
