"""Record databases as an older Confide left them, for the migration tests."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import PASSPHRASE
from vault import TEST_PRESET, SessionInfo, Vault

_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def undo_prefix_indexes(vault: Vault) -> None:
    """Put back the full-text index as it was before migration 12 (no prefix option), and
    forget that 12 ran: the next unlock rebuilds the index, as after a real upgrade."""
    db = vault.db
    db.execute("DROP TABLE notes_fts")  # its triggers live on `notes` and keep working
    db.execute(
        f"CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', "
        f"content_rowid='id', {_TOKENIZE})"
    )
    db.execute("INSERT INTO notes_fts(notes_fts) VALUES('rebuild')")
    db.execute("DELETE FROM schema_migrations WHERE version = 12")


def undo_pnotes_prefix_index(vault: Vault, passphrase: str) -> None:
    """The psychotherapy-notes index as it was before that database's migration 3 (no prefix
    option), and that migration forgotten: the next opening of the area rebuilds it."""
    area = vault.open_psychotherapy_notes(passphrase)
    try:
        db = area._db  # noqa: SLF001 - the schema is what is put back
        assert db is not None
        db.execute("DROP TABLE pnotes_fts")
        db.execute(
            f"CREATE VIRTUAL TABLE pnotes_fts USING fts5(body, content='pnotes', "
            f"content_rowid='id', {_TOKENIZE})"
        )
        db.execute("INSERT INTO pnotes_fts(pnotes_fts) VALUES('rebuild')")
        db.execute("DELETE FROM schema_migrations WHERE version = 3")
    finally:
        area.lock()


def old_vault(folder: Path) -> Path:
    """A vault with two notes whose search index is from before migration 12, locked."""
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        client = vault.clients.add("Fern Testwell")
        for body in ("anxious before the panel", "parents visited"):
            vault.notes.create(client.id, body=body, session=SessionInfo(session_date="2025-01-02"))
        undo_prefix_indexes(vault)
    finally:
        vault.lock()
    return folder
