"""The backup catalog's tables are backup's own schema, not the vault's, and vaults whose
catalog the vault's old migration 3 created keep working (and keep their catalogue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backup import Catalog, add_drive, run_backup, verify_catalogued
from backup import catalog as catalog_module
from tests.support.legacy_catalog import make_catalog_the_old_way
from vault import TEST_PRESET, Vault
from vault.errors import UsageError

CATALOG_TABLES = {"backup_drives", "backups", "backup_clients"}


def _tables(vault: Vault) -> set[str]:
    return {
        str(r[0]) for r in vault.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    }


def test_a_new_vault_gets_the_catalog_from_backup_not_from_the_vault_schema(
    vault_dir: Path, passphrase: str
) -> None:
    vault, _ = Vault.create(vault_dir, passphrase, TEST_PRESET)
    try:
        assert not _tables(vault) & CATALOG_TABLES  # the vault's schema knows no backups
        vault_versions = [r[0] for r in vault.db.query("SELECT version FROM schema_migrations")]
        assert Catalog(vault).drives() == []
        assert _tables(vault) >= CATALOG_TABLES
        assert [r[0] for r in vault.db.query("SELECT version FROM backup_schema_migrations")] == [
            1,
            2,
            3,
            4,
            5,
        ]
        assert [
            r[0] for r in vault.db.query("SELECT version FROM schema_migrations")
        ] == vault_versions
    finally:
        vault.lock()


def test_a_vault_catalogued_by_the_old_vault_migration_keeps_its_backups(
    vault_dir: Path, passphrase: str, tmp_path: Path
) -> None:
    """Tables made the old way, backups written into them by code that never ran backup's
    migrations: after the upgrade the catalogue is intact, verifies, and backing up works."""
    vault, _ = Vault.create(vault_dir, passphrase, TEST_PRESET)
    drive = tmp_path / "drive"
    drive.mkdir()
    client = vault.clients.add("Wilhelmina Quarrender")
    make_catalog_the_old_way(vault)
    # The old code used these tables with no record in backup_schema_migrations.
    catalog_module._current.add(vault.db)
    # Today's code writes these backups: it needs what versions 2 to 5 add (idempotent).
    catalog_module._catalog_v2(vault.db)
    catalog_module._catalog_v3(vault.db)
    catalog_module._catalog_v4(vault.db)
    catalog_module._catalog_v5(vault.db)
    add_drive(vault, drive, "OLD")
    first = run_backup(vault, drive)
    vault.lock()

    again = Vault.unlock(vault_dir, passphrase)
    try:
        catalog = Catalog(again)
        assert [d.label for d in catalog.drives()] == ["OLD"]
        assert [b.archive_id for b in catalog.backups_holding(client.id)] == [
            first.record.archive_id
        ]
        assert [o.ok for o in verify_catalogued(again)] == [True]
        second = run_backup(again, drive, rotate=False)
        assert {b.archive_id for b in catalog.backups(statuses=["good"])} == {
            first.record.archive_id,
            second.record.archive_id,
        }
        assert [r[0] for r in again.db.query("SELECT version FROM backup_schema_migrations")] == [
            1,
            2,
            3,
            4,
            5,
        ]
    finally:
        again.lock()


def test_a_catalog_from_a_newer_confide_is_refused_clearly(
    vault_dir: Path, passphrase: str
) -> None:
    vault, _ = Vault.create(vault_dir, passphrase, TEST_PRESET)
    Catalog(vault).drives()
    vault.db.execute("INSERT INTO backup_schema_migrations VALUES (99, 'future', '')")
    vault.lock()
    again = Vault.unlock(vault_dir, passphrase)  # the vault itself still opens
    try:
        with pytest.raises(UsageError, match="newer Confide"):
            Catalog(again).drives()
    finally:
        again.lock()
