"""Short prefixes have an index of their own (issue 14: `an*` cost 150 ms CPU at 50k notes)."""

from __future__ import annotations

from tests.support.cli import PASSPHRASE
from vault import SessionInfo, Vault


def test_every_full_text_index_keeps_short_prefixes(vault: Vault) -> None:
    pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
    try:
        tables = {
            "notes_fts": vault.db,
            "notes_open_fts": vault.db,
            "pnotes_fts": pnotes._db,  # noqa: SLF001 - the schema is what is checked
        }
        for table, db in tables.items():
            sql = str(db.scalar("SELECT sql FROM sqlite_master WHERE name = ?", (table,)))
            assert "prefix='2 3'" in sql, table
            assert db.scalar(f"SELECT v FROM {table}_config WHERE k = 'secure-delete'") == 1
    finally:
        pnotes.lock()


def test_short_prefix_search_finds_what_it_did(vault: Vault) -> None:
    client = vault.clients.add("Fern Testwell")
    for body in ("anxious before the panel", "answered calmly", "parents visited"):
        vault.notes.create(client.id, body=body, session=SessionInfo(session_date="2025-01-02"))
    vault.notes.create(
        client.id,
        body="healed {{omit:other}}ankle sprain{{/omit}} well",
        session=SessionInfo(session_date="2025-01-03"),
    )
    assert len(vault.search("an*")) == 3
    assert len(vault.search("an*", include_flagged=False)) == 2
    assert len(vault.search("par*")) == 1
