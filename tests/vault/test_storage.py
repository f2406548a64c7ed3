"""Storage: permissions, durable SQLCipher settings, transactions, migrations, the process lock."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from vault import (
    IntegrityError,
    LockedError,
    NotFoundError,
    StorageError,
    UsageError,
    Vault,
    VaultBusyError,
)
from vault.storage.database import Database, Migration
from vault.storage.schema import RECORD_MIGRATIONS


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folder_is_private_and_every_file_is_0600(vault: Vault) -> None:
    """The vault folder is 0700 and every file in it (WAL and lock included) is 0600."""
    vault.notes.create(vault.clients.add("Hazel Testwell").id, body="a first note")
    assert _mode(vault.folder) == 0o700
    files = list(vault.folder.iterdir())
    assert {p.name for p in files} >= {"keys.confide", "record.db", "pnotes.db", "confide.lock"}
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_loosened_folder_permissions_are_tightened_on_unlock(new_vault: tuple[Vault, str]) -> None:
    """If something made the folder group-readable, the next unlock makes it 0700 again."""
    vault, _ = new_vault
    vault.lock()
    vault.folder.chmod(0o755)
    Vault.unlock(vault.folder, PASSPHRASE).lock()
    assert _mode(vault.folder) == 0o700


def test_durable_sqlcipher_settings(vault: Vault) -> None:
    """WAL, synchronous FULL, secure_delete, foreign keys and an in-memory temp store are on."""
    db = vault.db
    assert db.scalar("PRAGMA journal_mode") == "wal"
    assert db.scalar("PRAGMA synchronous") == 2  # FULL
    assert db.scalar("PRAGMA secure_delete") == 1
    assert db.scalar("PRAGMA foreign_keys") == 1
    assert db.scalar("PRAGMA temp_store") == 2  # MEMORY


def test_foreign_keys_are_enforced(vault: Vault) -> None:
    """A note for a client that does not exist is refused by the API and by the database."""
    with pytest.raises(NotFoundError):
        vault.notes.create(999, body="orphan")
    with pytest.raises(IntegrityError, match="refused"):
        vault.db.execute("INSERT INTO note_participants VALUES (123, 456)")


def test_atomic_nested_rollback_keeps_the_outer_work(vault: Vault) -> None:
    """An error inside a nested atomic() undoes only the inner block; the outer commits."""
    db = vault.db
    with db.atomic():
        db.execute("INSERT INTO settings VALUES ('outer', '1')")
        with pytest.raises(RuntimeError), db.atomic():
            db.execute("INSERT INTO settings VALUES ('inner', '1')")
            raise RuntimeError("inner fails")
        assert db.in_transaction
    assert db.scalar("SELECT group_concat(key) FROM settings") == "outer"
    assert not db.in_transaction


def test_atomic_outer_rollback_undoes_everything(vault: Vault) -> None:
    """An error in the outer block rolls back the inner, already released, savepoint too."""
    db = vault.db
    with pytest.raises(ValueError), db.atomic():
        with db.atomic():
            db.execute("INSERT INTO settings VALUES ('inner', '1')")
        db.execute("INSERT INTO settings VALUES ('outer', '1')")
        raise ValueError("outer fails")
    assert db.scalar("SELECT count(*) FROM settings") == 0
    # The connection is usable afterwards.
    with db.atomic():
        db.execute("INSERT INTO settings VALUES ('after', '1')")
    assert db.scalar("SELECT count(*) FROM settings") == 1


def test_migration_registry_applies_a_new_migration_once(vault: Vault) -> None:
    """A new migration is applied once, recorded with its name, and skipped the next time."""
    calls: list[int] = []

    def add_table(db: Database) -> None:
        calls.append(1)
        db.execute("CREATE TABLE extra_things (id INTEGER PRIMARY KEY)")

    latest = max(m.version for m in RECORD_MIGRATIONS)
    extra = [*RECORD_MIGRATIONS, Migration(latest + 100, "extra things", add_table)]
    assert vault.db.migrate(extra) == latest + 100
    assert vault.db.migrate(extra) == latest + 100
    assert calls == [1]
    row = vault.db.one("SELECT name FROM schema_migrations WHERE version = ?", (latest + 100,))
    assert row is not None and row["name"] == "extra things"
    assert vault.db.scalar("SELECT count(*) FROM extra_things") == 0


def test_failed_migration_changes_nothing(vault: Vault) -> None:
    """A migration that fails half-way is rolled back whole and not recorded."""

    def broken(db: Database) -> None:
        db.execute("CREATE TABLE half_done (id INTEGER)")
        db.execute("THIS IS NOT SQL")

    latest = max(m.version for m in RECORD_MIGRATIONS)
    with pytest.raises(StorageError):
        vault.db.migrate([*RECORD_MIGRATIONS, Migration(latest + 1, "broken", broken)])
    assert vault.db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == 0
    assert vault.db.scalar("SELECT max(version) FROM schema_migrations") == latest


def test_vault_from_a_newer_version_is_refused(new_vault: tuple[Vault, str]) -> None:
    """A record.db with a schema version this Confide does not know is refused, clearly."""
    vault, _ = new_vault
    vault.db.execute("INSERT INTO schema_migrations VALUES (9999, 'from the future', 'x')")
    vault.lock()
    with pytest.raises(UsageError, match="newer Confide") as info:
        Vault.unlock(vault.folder, PASSPHRASE)
    assert "\n" not in str(info.value)
    # The refusal released the process lock.
    with pytest.raises(UsageError):
        Vault.unlock(vault.folder, PASSPHRASE)


_HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from vault import Vault
    vault = Vault.unlock(Path(sys.argv[1]), sys.argv[2])
    print("ready", flush=True)
    sys.stdin.readline()
    vault.lock()
""")


def test_second_process_gets_vault_busy(new_vault: tuple[Vault, str], cli: Cli) -> None:
    """Another process holding the vault: unlock and the CLI say so clearly, in one line."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder), PASSPHRASE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(VaultBusyError) as info:
            Vault.unlock(folder, PASSPHRASE)
        message = str(info.value)
        assert "another Confide process" in message and str(holder.pid) in message
        busy = cli("client", "list")
        assert busy.code == 11  # vault busy (tui/cli/exitcodes.py)
        assert busy.stderr == f"confide: error: {message}\n"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    Vault.unlock(folder, PASSPHRASE).lock()


def test_lock_of_a_killed_process_is_not_stale(new_vault: tuple[Vault, str]) -> None:
    """A process killed while holding the vault leaves no stale lock behind."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder), PASSPHRASE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "ready"
    holder.kill()
    holder.wait()
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.audit.verify().ok


def test_record_apis_after_lock_say_locked(new_vault: tuple[Vault, str]) -> None:
    """After lock(), every record API (held by a screen or worker) raises LockedError."""
    vault, _ = new_vault
    cid = vault.clients.add("Hazel Afterlock").id
    vault.lock()
    calls = [
        lambda: vault.clients.list(),
        lambda: vault.clients.get(cid),
        lambda: vault.notes.create(cid, body="too late"),
        lambda: vault.notes.timeline(cid),
        lambda: vault.search("late"),
        lambda: vault.audit.verify(),
        lambda: vault.audit.entries(),
    ]
    for call in calls:
        with pytest.raises(LockedError, match="locked"):
            call()
    vault.lock()  # twice is fine
