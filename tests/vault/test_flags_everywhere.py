"""Flags hold in every kind of text (issue 11): one parser, psychotherapy-note flags, privacy
search, and vaults written before either existed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from vault import MarkupError, OmitCategory, OmitSpan, Vault, flagged_text, render_withheld
from vault.records import search as search_module

HIV = OmitCategory.HIV_STI


def test_flagged_text_moves_editor_spans_past_typed_markers() -> None:
    """Spans given as offsets into text that also holds typed markers land on the same words."""
    raw = "ab {{omit:hiv}}cd{{/omit}} ef gh"
    spans = (OmitSpan(raw.index("gh"), raw.index("gh") + 2, OmitCategory.LEGAL),)
    body, flags = flagged_text(raw, spans)
    assert body == "ab cd ef gh"
    assert [(body[s.start : s.end], s.category) for s in flags] == [
        ("cd", HIV),
        ("gh", OmitCategory.LEGAL),
    ]
    with pytest.raises(MarkupError, match="overlap"):
        flagged_text(raw, (OmitSpan(0, 20, OmitCategory.LEGAL),))
    assert flagged_text("plain {{ braces }}", ()) == ("plain {{ braces }}", ())


def test_psychotherapy_note_markers_become_flags(vault: Vault) -> None:
    """Markers in a psychotherapy note are parsed and kept as spans; editing keeps them."""
    client = vault.clients.add("Pia Notewell").id
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    note = area.add(client, "Talked about {{omit:third-party}}brother Bob details{{/omit}}.")
    assert note.body == "Talked about brother Bob details."
    assert note.spans == (OmitSpan(13, 32, OmitCategory.THIRD_PARTY),)
    assert (
        render_withheld(note.body, note.spans)
        == "Talked about [withheld: third-party information]."
    )
    edited = area.update(note.id, "Talked about brother Bob details. More later.")
    assert edited.spans == note.spans  # no spans given: the flags stay
    cleared = area.set_flags(note.id, ())
    assert cleared.spans == () and area.list(client)[0].spans == ()
    with pytest.raises(MarkupError):
        area.add(client, "{{omit:hiv}}never closed")
    with pytest.raises(Exception, match="no other participants"):
        area.add(client, "{{omit:hiv@C-00001}}x{{/omit}}")
    assert len(area.list(client)) == 1


def test_privacy_search_matches_nothing_flagged(vault: Vault) -> None:
    """include_flagged=False finds words outside flags, never inside one or in a note flagged
    whole; unflagging makes the word findable again."""
    client = vault.clients.add("Quinn Searchley").id
    flagged = vault.notes.create(
        client, body="Mood steady. {{omit:hiv}}zqserostatus result{{/omit}} Sleep fine."
    )
    plain = vault.notes.create(client, body="Sleep fine, zqplainword noted.")
    whole = vault.notes.create(
        client, body="Sleep fine, zqwholeword.", omit_category=OmitCategory.LEGAL
    )
    assert {h.note_id for h in vault.search("zqserostatus")} == {flagged.id}
    assert vault.search("zqserostatus", include_flagged=False) == []
    assert [h.note_id for h in vault.search("zqwholeword")] == [whole.id]
    assert vault.search("zqwholeword", include_flagged=False) == []
    assert {h.note_id for h in vault.search("sleep", include_flagged=False)} == {
        flagged.id,
        plain.id,
    }
    hits = vault.search("sleep", include_flagged=False)
    assert all(h.snippet == () for h in hits)  # no snippet is made from flagged text
    vault.notes.set_flags(flagged.id, ())
    assert {h.note_id for h in vault.search("zqserostatus", include_flagged=False)} == {flagged.id}
    vault.notes.save_draft(flagged.id, body="{{omit:legal}}zqplainword{{/omit}} only")
    assert {h.note_id for h in vault.search("zqplainword", include_flagged=False)} == {plain.id}
    vault.notes.discard_draft(flagged.id)
    assert (
        vault.db.scalar("SELECT count(*) FROM notes_open_fts WHERE rowid = ?", (flagged.id,)) == 0
    )


def test_privacy_search_keeps_the_rank_window(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The privacy-mode query ranks the newest half-window of each index (unflagged notes,
    flagged notes' open text), so it costs what one window does."""
    client = vault.clients.add("Rory Windowe").id
    for i in range(4):
        vault.notes.create(client, body=f"grief note {i}")
    for i in range(4):
        vault.notes.create(client, body=f"grief note {{{{omit:dream}}}}dream {i}{{{{/omit}}}}")
    monkeypatch.setattr(search_module, "RANK_WINDOW", 4)
    hits = vault.search("grief", include_flagged=False)
    assert len(hits) == 4  # the newest 2 of each kind, of 8 matching notes
    newest = sorted(h.note_id for h in hits)
    assert newest == [3, 4, 7, 8]


def test_vault_from_before_the_fix_is_migrated(
    vault_dir: Path, vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A psychotherapy note stored with literal markers (the bug) gets real flags when the area
    opens; a signed addendum stored with its markers (an accepted amendment) has each marked
    passage flagged, markers and all; flagged notes are in the privacy index after unlock."""
    import vault.records.markup as markup

    client = vault.clients.add("Sol Oldvault").id
    note = vault.notes.create(client, body="Fine. {{omit:hiv}}zqoldsecret{{/omit}} ok")
    signed = vault.notes.sign(vault.notes.create(client, body="Session.").id)
    with monkeypatch.context() as patch:  # the old accept path: markers stored as typed
        patch.setattr(markup, "flagged_text", lambda text, spans=(): (text, tuple(spans)))
        literal = vault.notes.addend(signed.id, "Added. {{omit:hiv}}zqoldamend{{/omit}} end")
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    db = area._use()  # noqa: SLF001 - rewinding the file to the old schema
    with db.atomic():
        db.execute("DROP TABLE pnote_spans")
        db.execute("DELETE FROM schema_migrations WHERE version = 2")
        db.execute(
            "INSERT INTO pnotes (id, client_id, session_date, body, created_at, "
            "updated_at) VALUES (7, ?, NULL, ?, 'x', 'x')",
            (client, "{{omit:third-party}}brother Bob details{{/omit}} today"),
        )
    area.lock()
    with vault.db.atomic():
        vault.db.execute("DROP TRIGGER notes_open_fts_delete")
        vault.db.execute("DROP TABLE notes_open_fts")
        vault.db.execute("ALTER TABLE omit_spans DROP COLUMN about")
        vault.db.execute("DELETE FROM schema_migrations WHERE version = 5")
    vault.lock()
    again = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        assert again.search("zqoldsecret", include_flagged=False) == []
        assert again.search("zqoldamend", include_flagged=False) == []
        old_amend = again.notes.get(literal.id)
        assert render_withheld(old_amend.body, old_amend.spans) == "Added. [withheld: HIV/STI] end"
        assert again.search("fine", include_flagged=False)[0].note_id == note.id
        old = again.open_psychotherapy_notes(PASSPHRASE).get(7)
        assert old.body == "brother Bob details today"
        assert old.spans == (OmitSpan(0, 19, OmitCategory.THIRD_PARTY),)
    finally:
        again.lock()
