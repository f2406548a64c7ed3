"""The backup catalog as the vault's own migration 3 created it before backup owned its schema.

A frozen copy of that shipped migration (vault/storage/schema.py, RECORD_V3, until the catalog
moved to backup/catalog.py), so tests can make a vault exactly as the earlier code left it.
"""

from __future__ import annotations

from vault import Vault

OLD_VAULT_MIGRATION_3 = [
    """CREATE TABLE backup_drives (
        drive_id TEXT PRIMARY KEY,
        label TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL,
        last_path TEXT,
        last_seen_at TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lost')),
        lost_at TEXT
    )""",
    """CREATE TABLE backups (
        id INTEGER PRIMARY KEY,
        archive_id TEXT NOT NULL UNIQUE,
        drive_id TEXT REFERENCES backup_drives(drive_id),
        file_name TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        size INTEGER,
        digest TEXT,
        key_epoch INTEGER NOT NULL,
        encryption TEXT NOT NULL DEFAULT '{}',
        client_count INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('writing', 'good', 'failed', 'damaged', 'pruned',
                                               'lost', 'replaced', 'destroyed')),
        verified_at TEXT,
        error TEXT
    )""",
    """CREATE INDEX backups_drive ON backups(drive_id, status, created_at)""",
    """CREATE TABLE backup_clients (
        backup_id INTEGER NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
        client_id INTEGER NOT NULL,
        PRIMARY KEY (backup_id, client_id)
    ) WITHOUT ROWID""",
    """CREATE INDEX backup_clients_client ON backup_clients(client_id, backup_id)""",
]


def make_catalog_the_old_way(vault: Vault) -> None:
    """Give `vault` the catalog tables the old vault migration made, and no record of backup's
    own catalog migrations (a vault made and used before the change)."""
    with vault.db.atomic():
        vault.db.execute_all(OLD_VAULT_MIGRATION_3)
        vault.db.execute("DROP TABLE IF EXISTS backup_schema_migrations")
