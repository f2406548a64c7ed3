"""What the disposal steps share: the SQL walk over the tables that name a client, and the
psychotherapy-notes file opened for disposal (private to `vault.retention`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from ..crypto.secret import SecretBytes
from ..storage.database import Database

if TYPE_CHECKING:
    from ..vault import Vault


# Tables that keep identifiers on purpose: the audit chain (append-only by law and design) and
# the disposal log itself (the proof of destruction).
KEEP_TABLES = {"audit_log", "disposals", "backup_purges", "schema_migrations", "meta", "settings"}


def pnotes_db(vault: Vault, key: SecretBytes) -> Database:
    from ..vault import PNOTES_DB, _open_db

    # The vault's own psychotherapy-notes area holds the file in EXCLUSIVE mode: close it first.
    area = vault._pnotes  # noqa: SLF001 - same package; disposal must own the file
    if area is not None:
        area.lock()
        vault._pnotes = None  # noqa: SLF001
    return _open_db(vault.folder, PNOTES_DB, key, vault.vault_id)


def ids_sql(ids: Collection[int]) -> tuple[str, list[int]]:
    values = sorted(set(ids))
    return ",".join("?" * len(values)), values


def referencing(db: Database, target: str) -> list[tuple[str, str]]:
    """(table, column) pairs with a foreign key to `target` (outside the kept tables)."""
    found: list[tuple[str, str]] = []
    for (table,) in db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"
    ):
        if table in KEEP_TABLES or table == target:
            continue
        for fk in db.query(f"PRAGMA foreign_key_list({table})"):
            if fk["table"] == target:
                found.append((table, fk["from"]))
    return found


def client_columns(db: Database) -> list[tuple[str, str]]:
    """Every (table, column) that names a client, by foreign key or by a `client_id` column."""
    pairs = set(referencing(db, "clients"))
    for (table,) in db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"
    ):
        if table in KEEP_TABLES:
            continue
        for col in db.query(f"PRAGMA table_info({table})"):
            if col["name"] == "client_id":
                pairs.add((table, "client_id"))
    pairs.add(("clients", "id"))
    return sorted(pairs)
