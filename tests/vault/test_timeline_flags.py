"""The timeline says which notes carry flagged passages, without reading any note body."""

from __future__ import annotations

from vault import Vault, parse_omissions


def test_timeline_counts_flagged_passages(vault: Vault) -> None:
    """A note with two flagged spans shows 2; an unflagged note shows 0."""
    cid = vault.clients.add("Juniper Testwell").id
    body, spans = parse_omissions(
        "Dreamt {{omit:dream}}of wolves{{/omit}}; friend {{omit:third-party}}is in debt{{/omit}}."
    )
    flagged = vault.notes.create(cid, "free", body=body, spans=spans)
    plain = vault.notes.create(cid, "free", body="Slept well.")
    counts = {row.id: row.flagged_passages for row in vault.notes.timeline(cid)}
    assert counts == {flagged.id: 2, plain.id: 0}
