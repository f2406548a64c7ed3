"""Search stays fast on a large practice: a very common word is ranked among its newest matches."""

from __future__ import annotations

import pytest

from vault import Vault
from vault.records import search as search_module


def test_common_word_is_ranked_among_the_newest_matches(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the rank window, the oldest matching notes drop out and the best newer note leads."""
    client = vault.clients.add("Juniper Fakeley").id
    old = [vault.notes.create(client, body="grief grief grief, a heavy week").id for _ in range(3)]
    new = [vault.notes.create(client, body=f"some grief this week, note {i}").id for i in range(3)]
    best_new = vault.notes.create(client, body="grief and more grief about the move").id
    monkeypatch.setattr(search_module, "RANK_WINDOW", 4)
    hits = vault.search("grief")
    assert {h.note_id for h in hits} == {*new, best_new}
    assert hits[0].note_id == best_new
    assert not set(old) & {h.note_id for h in hits}
    assert all(h.snippet_text for h in hits)


def test_under_the_window_every_match_is_ranked_with_snippets(vault: Vault) -> None:
    """With fewer matches than the window, the best match wins wherever it is in the file."""
    client = vault.clients.add("Kestrel Mockridge").id
    best = vault.notes.create(client, body="insomnia, insomnia and more insomnia").id
    for i in range(5):
        vault.notes.create(client, body=f"one mention of insomnia in note {i} among other words")
    hits = vault.search("insom*")
    assert len(hits) == 6 and hits[0].note_id == best
    assert [t for t, match in hits[0].snippet if match][0].lower().startswith("insomnia")


def test_short_prefixes_are_listed_newest_first(vault: Vault) -> None:
    """A query of short prefixes only (`an*`: nearly every note) lists the newest matches first,
    unranked: bm25 would first count every matching note in the vault (issue 14). One more
    letter, or a whole word beside the prefix, ranks again."""
    client = vault.clients.add("Linden Examplar").id
    best = vault.notes.create(client, body="anxious, anxious, anxiety and more anxiety").id
    newer = [vault.notes.create(client, body=f"an early answer, note {i}").id for i in range(3)]
    vault.notes.create(client, body="nothing about it")
    hits = vault.search("an*", limit=2)
    assert [h.note_id for h in hits] == [newer[2], newer[1]]
    assert {h.score for h in hits} == {0.0}
    assert all(h.snippet_text for h in hits)
    # The same in privacy mode, through the two indexes it reads.
    flagged = vault.notes.create(client, body="an answer {{omit:other}}anxious{{/omit}}").id
    open_hits = vault.search("an*", limit=3, include_flagged=False)
    assert [h.note_id for h in open_hits] == [flagged, newer[2], newer[1]]
    # Four letters: ranked (the note that says it most first), as is a word beside a prefix.
    assert vault.search("anxi*")[0].note_id == best
    assert vault.search("an* anxiety")[0].note_id == best
    assert search_module.newest_first("ins* par*")
    assert not search_module.newest_first("insom*") and not search_module.newest_first("an")
