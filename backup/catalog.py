"""The backup catalog, kept inside the (encrypted) record database: drives, archives, clients.

Disposal uses it to find every copy holding a client (`backups_holding`), the key epoch each was
written under, and to mark copies it has rewritten or destroyed (`set_status`).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vault import Vault
from vault.errors import NotFoundError, UsageError
from vault.storage.database import Database, Migration, Row, now_utc

from .errors import UnknownDriveError

if TYPE_CHECKING:  # drives.py builds on the catalog, not the other way round
    from .drives import DriveMarker

STATUSES = ("writing", "good", "failed", "damaged", "pruned", "lost", "replaced", "destroyed")
SETTINGS_KEY = "backup"
# Where designated drives are looked for unless the settings say otherwise.
DEFAULT_WATCH_ROOTS: tuple[str, ...] = ("/media", "/run/media", "/mnt", "/Volumes")


@dataclass(frozen=True)
class Drive:
    drive_id: str
    label: str
    added_at: str
    last_path: str | None
    last_seen_at: str | None
    status: str
    lost_at: str | None
    marker_tag: str | None = None

    @property
    def is_lost(self) -> bool:
        return self.status == "lost"


@dataclass(frozen=True)
class BackupRecord:
    id: int
    archive_id: str
    drive_id: str | None
    file_name: str
    path: str
    created_at: str
    size: int | None
    digest: str | None
    key_epoch: int
    encryption: dict[str, Any]
    client_ids: tuple[int, ...]
    status: str
    verified_at: str | None
    error: str | None
    # Format 3 (catalogue version 4): 'full' or 'incremental'; an incremental's base row; the
    # pages it carries; the fingerprint of the record it holds (to skip an unchanged backup).
    kind: str = "full"
    base_id: int | None = None
    pages: int | None = None
    state: str | None = None
    skipped_at: str | None = None  # the last backup skipped because nothing had changed

    @property
    def is_good(self) -> bool:
        return self.status == "good"

    @property
    def is_incremental(self) -> bool:
        return self.kind == "incremental"


@dataclass(frozen=True)
class BackupSettings:
    """Rotation and watching, stored in the vault's settings table."""

    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12
    interval_hours: float = 20.0
    watch_roots: tuple[str, ...] = DEFAULT_WATCH_ROOTS
    rescan_seconds: float = 15.0
    # Incremental backups: a full archive at least every `full_every` backups on a drive (1:
    # always full), and as soon as the chain's incrementals add up to more than `full_fraction`
    # of its full archive.
    full_every: int = 8
    full_fraction: float = 0.5

    def to_json(self) -> dict[str, Any]:
        return {
            "keep_daily": self.keep_daily,
            "keep_weekly": self.keep_weekly,
            "keep_monthly": self.keep_monthly,
            "interval_hours": self.interval_hours,
            "watch_roots": list(self.watch_roots),
            "rescan_seconds": self.rescan_seconds,
            "full_every": self.full_every,
            "full_fraction": self.full_fraction,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> BackupSettings:
        base = cls()
        try:
            made = cls(
                int(doc.get("keep_daily", base.keep_daily)),
                int(doc.get("keep_weekly", base.keep_weekly)),
                int(doc.get("keep_monthly", base.keep_monthly)),
                float(doc.get("interval_hours", base.interval_hours)),
                tuple(str(r) for r in doc.get("watch_roots", base.watch_roots)),
                float(doc.get("rescan_seconds", base.rescan_seconds)),
                int(doc.get("full_every", base.full_every)),
                float(doc.get("full_fraction", base.full_fraction)),
            )
        except (TypeError, ValueError):
            return base
        return made

    def checked(self) -> BackupSettings:
        # 0 means "keep no generations of that kind"; all three 0 keeps only the newest good
        # backup, which rotation never deletes. Only a negative count is meaningless.
        for what, count in (
            ("daily", self.keep_daily),
            ("weekly", self.keep_weekly),
            ("monthly", self.keep_monthly),
        ):
            if count < 0:
                raise UsageError(
                    f"the number of {what} generations to keep cannot be negative "
                    f"({count}); 0 keeps none (the newest good backup is always "
                    "kept)"
                )
        if self.interval_hours < 0 or self.rescan_seconds <= 0:
            raise UsageError("intervals must be positive")
        if self.full_every < 1:
            raise UsageError(
                f"full_every must be 1 or more ({self.full_every}); 1 makes every backup full"
            )
        if not 0 <= self.full_fraction <= 10:
            raise UsageError(
                f"full_fraction must be between 0 and 10 ({self.full_fraction}); 0 makes every "
                "backup full"
            )
        return self


# -- the catalog's schema: backup's own, applied by backup into the record database.
#
# Its versions are recorded in a table of its own, never in the vault's `schema_migrations`, so
# the vault's migrations and these cannot collide or block each other. Until this change the
# vault's migration 3 created these very tables (now a no-op there): in a vault that ran it they
# already exist, so version 1 here uses CREATE ... IF NOT EXISTS with the same columns and adopts
# them, rows and all, rather than failing or copying. Add a version by appending; never edit one.
# backup_clients has no foreign key to clients: it must outlive the clients it names, so
# disposal can find every copy that still holds a disposed client.
MIGRATION_TABLE = "backup_schema_migrations"
CATALOG_V1 = [
    """CREATE TABLE IF NOT EXISTS backup_drives (
        drive_id TEXT PRIMARY KEY,
        label TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL,
        last_path TEXT,
        last_seen_at TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lost')),
        lost_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS backups (
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
    """CREATE INDEX IF NOT EXISTS backups_drive ON backups(drive_id, status, created_at)""",
    """CREATE TABLE IF NOT EXISTS backup_clients (
        backup_id INTEGER NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
        client_id INTEGER NOT NULL,
        PRIMARY KEY (backup_id, client_id)
    ) WITHOUT ROWID""",
    """CREATE INDEX IF NOT EXISTS backup_clients_client
       ON backup_clients(client_id, backup_id)""",
]
# An archive about to be destroyed (pruned, replaced by disposal): the intent is committed here
# before a byte of the file is touched, and removed with the row's final status once the file
# is gone. While it is here the row reads 'removing', never 'good' (DESIGN 12).
CATALOG_V2 = [
    """CREATE TABLE IF NOT EXISTS backup_removals (
        backup_id INTEGER PRIMARY KEY REFERENCES backups(id) ON DELETE CASCADE,
        final TEXT NOT NULL CHECK (final IN ('pruned', 'replaced', 'destroyed')),
        recorded_at TEXT NOT NULL
    )""",
]


def _catalog_v2(db: Database) -> None:
    db.execute_all(CATALOG_V2)
    # The drive marker's authentication tag, kept in the (encrypted) vault: a marker must carry
    # it to be this drive's (drives.py). Old drives have none until designated again. Added
    # only if missing, like version 1's IF NOT EXISTS.
    columns = {str(r[1]) for r in db.query("PRAGMA table_info(backup_drives)")}
    if "marker_tag" not in columns:
        db.execute("ALTER TABLE backup_drives ADD COLUMN marker_tag TEXT")


def _catalog_v3(db: Database) -> None:
    # Where each archive's bytes live (backup/medium.py: inode, device), recorded when it is
    # written, so a copy of the drive completes no purge (issue 10 item 4). NULL for archives
    # written before: for them the id and the digest are all there is to compare.
    columns = {str(r[1]) for r in db.query("PRAGMA table_info(backups)")}
    if "medium" not in columns:
        db.execute("ALTER TABLE backups ADD COLUMN medium TEXT")


def _catalog_v4(db: Database) -> None:
    # Incremental backups (format 3): each row says whether it is a full archive or an
    # incremental on top of `base_id`, how many pages it carries, and the fingerprint of the
    # record it holds. Old rows are full archives. Added only if missing, like version 2.
    columns = {str(r[1]) for r in db.query("PRAGMA table_info(backups)")}
    for name, decl in (
        ("kind", "TEXT NOT NULL DEFAULT 'full'"),
        ("base_id", "INTEGER REFERENCES backups(id)"),
        ("pages", "INTEGER"),
        ("state", "TEXT"),
        ("skipped_at", "TEXT"),
    ):
        if name not in columns:
            db.execute(f"ALTER TABLE backups ADD COLUMN {name} {decl}")
    db.execute("CREATE INDEX IF NOT EXISTS backups_base ON backups(base_id)")


def _catalog_v5(db: Database) -> None:
    # Issue 10 item 8: each archive's entry records the audit anchor (newest entry seq and its
    # hash) the vault's key file held when it was written; the same anchor travels inside the
    # archive, in its copy of the key file (authenticated under the audit key).
    columns = {str(r[1]) for r in db.query("PRAGMA table_info(backups)")}
    if "audit_seq" not in columns:
        db.execute("ALTER TABLE backups ADD COLUMN audit_seq INTEGER")
    if "audit_head" not in columns:
        db.execute("ALTER TABLE backups ADD COLUMN audit_head TEXT")


CATALOG_MIGRATIONS = [
    Migration(1, "backup catalog", lambda db: db.execute_all(CATALOG_V1)),
    Migration(2, "backup removals, marker tags", _catalog_v2),
    Migration(3, "where each archive lives (inode, device)", _catalog_v3),
    Migration(4, "incremental backups", _catalog_v4),
    Migration(5, "audit anchor per archive", _catalog_v5),
]
# The status a row reads as: 'removing' while its destruction is recorded but not finished.
_SHOWN = "(CASE WHEN id IN (SELECT backup_id FROM backup_removals) THEN 'removing' ELSE status END)"
REMOVING = "removing"

# Databases whose catalog schema is known to be current (one check per opened database).
_current: weakref.WeakSet[Database] = weakref.WeakSet()


def ensure_schema(db: Database) -> None:
    """Apply the catalog's pending migrations to the record database (once per open database).

    The database's own transaction lock serialises a first use from two threads (the drive
    watcher and the app): the second finds the version recorded and applies nothing. Inside a
    caller's transaction it is a savepoint that commits (or rolls back) with it, so it is
    remembered only when applied on its own.
    """
    if db in _current:
        return
    nested = db.in_transaction
    with db.atomic():
        db.migrate(CATALOG_MIGRATIONS, table=MIGRATION_TABLE)
    if not nested:
        _current.add(db)


def _drive(row: Row) -> Drive:
    return Drive(
        row["drive_id"],
        row["label"],
        row["added_at"],
        row["last_path"],
        row["last_seen_at"],
        row["status"],
        row["lost_at"],
        row["marker_tag"],
    )


@dataclass
class Catalog:
    vault: Vault

    @property
    def _db(self) -> Database:
        db = self.vault.db
        ensure_schema(db)
        return db

    # -- drives

    def register_drive(self, marker: DriveMarker, path: str) -> Drive:
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO backup_drives (drive_id, label, added_at, last_path, last_seen_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(drive_id) DO UPDATE SET "
                "last_path = excluded.last_path, last_seen_at = excluded.last_seen_at",
                (marker.drive_id, marker.label, now_utc(), path, now_utc()),
            )
        return self.drive(marker.drive_id)

    def set_marker_tag(self, drive_id: str, tag: str) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE backup_drives SET marker_tag = ? WHERE drive_id = ?", (tag, drive_id)
            )

    def drive(self, drive_id: str) -> Drive:
        row = self._db.one("SELECT * FROM backup_drives WHERE drive_id = ?", (drive_id,))
        if row is None:
            raise NotFoundError(f"no backup drive {drive_id} in the catalog")
        return _drive(row)

    def find_drive(self, ref: str) -> Drive:
        """By id, id prefix, label or last mount path."""
        ref = ref.strip()
        rows = self._db.query(
            "SELECT * FROM backup_drives WHERE drive_id = ? OR label = ? OR last_path = ? "
            "OR (length(?) >= 4 AND drive_id LIKE ? || '%')",
            (ref, ref, ref.rstrip("/") or ref, ref, ref),
        )
        if not rows:
            raise UnknownDriveError(f"no backup drive matches {ref!r}", ref)
        if len(rows) > 1:
            raise UsageError(f"{ref!r} matches {len(rows)} drives; give the drive id")
        return _drive(rows[0])

    def drives(self) -> list[Drive]:
        return [
            _drive(r)
            for r in self._db.query("SELECT * FROM backup_drives ORDER BY added_at, drive_id")
        ]

    def mark_drive_lost(self, drive_id: str) -> int:
        """The drive and every archive on it are never trusted again. Returns archives marked."""
        with self._db.atomic():
            # A removal that cannot finish now: the copy is out of reach, so it is lost.
            self._db.execute(
                "DELETE FROM backup_removals WHERE backup_id IN "
                "(SELECT id FROM backups WHERE drive_id = ?)",
                (drive_id,),
            )
            self._db.execute(
                "UPDATE backup_drives SET status = 'lost', lost_at = "
                "coalesce(lost_at, ?) WHERE drive_id = ?",
                (now_utc(), drive_id),
            )
            cur = self._db.execute(
                "UPDATE backups SET status = 'lost' WHERE drive_id = ? AND status IN "
                "('writing', 'good', 'failed', 'damaged')",
                (drive_id,),
            )
            return int(cur.rowcount)

    # -- archives

    def begin(
        self,
        archive_id: str,
        drive_id: str | None,
        file_name: str,
        path: str,
        key_epoch: int,
        encryption: dict[str, Any],
        client_ids: Sequence[int],
        created_at: str,
    ) -> int:
        """Record an archive about to be written; status 'writing' until verified."""
        with self._db.atomic():
            cur = self._db.execute(
                "INSERT INTO backups (archive_id, drive_id, file_name, path, created_at, "
                "key_epoch, encryption, client_count, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'writing')",
                (
                    archive_id,
                    drive_id,
                    file_name,
                    path,
                    created_at,
                    key_epoch,
                    json.dumps(encryption, sort_keys=True),
                    len(client_ids),
                ),
            )
            backup_id = int(cur.lastrowid)
            self._insert_clients(backup_id, client_ids)
        return backup_id

    def _insert_clients(self, backup_id: int, client_ids: Iterable[int]) -> None:
        # Many rows per statement, not one statement per client: 8,000 clients took 0.1 s per
        # call as single INSERTs, twice per backup.
        ids = [int(c) for c in client_ids]
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            self._db.execute(
                "INSERT OR IGNORE INTO backup_clients VALUES " + ", ".join("(?, ?)" for _ in part),
                [v for c in part for v in (backup_id, c)],
            )

    def add_clients(self, backup_id: int, client_ids: Iterable[int]) -> None:
        """Add clients an archive holds (never removes: over-listing is the safe side)."""
        with self._db.atomic():
            self._insert_clients(backup_id, client_ids)
            self._db.execute(
                "UPDATE backups SET client_count = (SELECT count(*) FROM "
                "backup_clients WHERE backup_id = ?) WHERE id = ?",
                (backup_id, backup_id),
            )

    def set_audit_anchor(self, backup_id: int, seq: int, head: str) -> None:
        self._db.execute(
            "UPDATE backups SET audit_seq = ?, audit_head = ? WHERE id = ?",
            (seq, head, backup_id),
        )

    def audit_anchor(self, backup_id: int) -> tuple[int, str] | None:
        row = self._db.one("SELECT audit_seq, audit_head FROM backups WHERE id = ?", (backup_id,))
        if row is None or row[0] is None:
            return None
        return int(row[0]), str(row[1])

    def mark_good(self, backup_id: int, size: int, digest: str) -> None:
        with self._db.atomic():
            self._db.execute(
                "UPDATE backups SET status = 'good', size = ?, digest = ?, "
                "verified_at = ?, error = NULL WHERE id = ?",
                (size, digest, now_utc(), backup_id),
            )

    def set_medium(self, backup_id: int, medium: Mapping[str, Any]) -> None:
        """Record where the archive's bytes live (backup/medium.py)."""
        self._db.execute(
            "UPDATE backups SET medium = ? WHERE id = ?",
            (json.dumps(dict(medium), sort_keys=True), backup_id),
        )

    def medium(self, backup_id: int) -> dict[str, Any] | None:
        """Where the archive was written (None: written before this was recorded)."""
        raw = self._db.scalar("SELECT medium FROM backups WHERE id = ?", (backup_id,))
        if not raw:
            return None
        try:
            doc = json.loads(str(raw))
        except ValueError:
            return {"unreadable": True}  # matches no file: the purge waits
        return doc if isinstance(doc, dict) else {"unreadable": True}

    def set_link(
        self, backup_id: int, kind: str, base_id: int | None, pages: int, state: str
    ) -> None:
        """What kind of archive the row is (format 3), its base, pages and record fingerprint."""
        if kind not in ("full", "incremental") or (kind == "full") != (base_id is None):
            raise UsageError(f"internal: a {kind} archive with base {base_id}")
        with self._db.atomic():
            self._db.execute(
                "UPDATE backups SET kind = ?, base_id = ?, pages = ?, state = ? WHERE id = ?",
                (kind, base_id, pages, state, backup_id),
            )

    def mark_skipped(self, backup_id: int) -> None:
        """A backup found nothing changed since this archive: it still stands for today."""
        self._db.execute("UPDATE backups SET skipped_at = ? WHERE id = ?", (now_utc(), backup_id))

    def chain(self, backup_id: int) -> list[BackupRecord]:
        """The archive and every base it needs, newest first, down to its full archive."""
        out: list[BackupRecord] = []
        seen: set[int] = set()
        current: int | None = backup_id
        while current is not None and current not in seen:
            seen.add(current)
            record = self.get(current)
            out.append(record)
            current = record.base_id
        return out

    def dependents(self, backup_id: int) -> list[BackupRecord]:
        """The incrementals built directly on this archive."""
        return self._rows_to_records(
            self._db.query("SELECT * FROM backups WHERE base_id = ? ORDER BY id", (backup_id,))
        )

    def mark_verified(self, backup_id: int) -> None:
        self._db.execute("UPDATE backups SET verified_at = ? WHERE id = ?", (now_utc(), backup_id))

    def mark_good_again(self, backup_id: int) -> None:
        """A damaged archive that has since verified in full, digest as catalogued."""
        self._db.execute(
            "UPDATE backups SET status = 'good', verified_at = ?, error = NULL "
            "WHERE id = ? AND status = 'damaged'",
            (now_utc(), backup_id),
        )

    def set_status(self, backup_id: int, status: str, error: str | None = None) -> None:
        if status not in STATUSES:
            raise UsageError(f"unknown backup status {status!r}")
        with self._db.atomic():
            self._db.execute(
                "UPDATE backups SET status = ?, error = coalesce(?, error) WHERE id = ?",
                (status, error, backup_id),
            )
            # A status decided now supersedes a removal still recorded for the row.
            self._db.execute("DELETE FROM backup_removals WHERE backup_id = ?", (backup_id,))

    def begin_removal(self, backup_id: int, final: str) -> None:
        """Commit the intent to destroy this archive's file (it reads 'removing' from now on);
        call before touching the file, and `finish_removal` once it is gone."""
        with self._db.atomic():
            self._db.execute(
                "INSERT OR REPLACE INTO backup_removals VALUES (?, ?, ?)",
                (backup_id, final, now_utc()),
            )

    def finish_removal(self, backup_id: int) -> None:
        """The file is gone: the row takes the final status its removal recorded."""
        with self._db.atomic():
            final = self._db.scalar(
                "SELECT final FROM backup_removals WHERE backup_id = ?", (backup_id,)
            )
            if final is None:
                return
            self._db.execute("UPDATE backups SET status = ? WHERE id = ?", (final, backup_id))
            self._db.execute("DELETE FROM backup_removals WHERE backup_id = ?", (backup_id,))

    def removal_final(self, backup_id: int) -> str | None:
        """The final status a recorded removal gives the row (None if none is recorded)."""
        found = self._db.scalar(
            "SELECT final FROM backup_removals WHERE backup_id = ?", (backup_id,)
        )
        return None if found is None else str(found)

    def removing(self, drive_id: str | None = None) -> list[BackupRecord]:
        """Archives whose destruction was recorded but not finished (a kill in between)."""
        return self.backups(drive_id, [REMOVING])

    def sweep_unfinished(self) -> int:
        """Archives left 'writing' by a crash or kill: never good. Returns how many."""
        cur = self._db.execute(
            "UPDATE backups SET status = 'failed', error = coalesce(error, "
            "'interrupted before it was verified') WHERE status = 'writing'"
        )
        return int(cur.rowcount)

    def _client_lists(self, backup_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        """Each archive's client ids, sorted: one query and one string per archive (a row per
        client cost 0.1 s a backup at 8,000 clients, and grew with the archives on a drive)."""
        out: dict[int, tuple[int, ...]] = {}
        for start in range(0, len(backup_ids), 500):
            part = backup_ids[start : start + 500]
            for r in self._db.query(
                "SELECT backup_id, group_concat(client_id, ',' ORDER BY client_id) "
                f"FROM backup_clients WHERE backup_id IN ({', '.join('?' for _ in part)}) "
                "GROUP BY backup_id",
                part,
            ):
                out[int(r[0])] = tuple(map(int, str(r[1]).split(",")))
        return out

    def _rows_to_records(self, rows: Iterable[Row]) -> list[BackupRecord]:
        records: list[BackupRecord] = []
        removing = {int(r[0]) for r in self._db.query("SELECT backup_id FROM backup_removals")}
        rows = list(rows)
        lists = self._client_lists([int(r["id"]) for r in rows])
        for r in rows:
            bid = int(r["id"])
            clients = lists.get(bid, ())
            records.append(
                BackupRecord(
                    bid,
                    r["archive_id"],
                    r["drive_id"],
                    r["file_name"],
                    r["path"],
                    r["created_at"],
                    r["size"],
                    r["digest"],
                    int(r["key_epoch"]),
                    json.loads(r["encryption"]),
                    clients,
                    REMOVING if bid in removing else r["status"],
                    r["verified_at"],
                    r["error"],
                    r["kind"],
                    r["base_id"],
                    r["pages"],
                    r["state"],
                    r["skipped_at"],
                )
            )
        return records

    def backups(
        self,
        drive_id: str | None = None,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[BackupRecord]:
        """Newest first (the newest `limit` only, when given)."""
        where, params = [], []
        if drive_id is not None:
            where.append("drive_id = ?")
            params.append(drive_id)
        if statuses:
            where.append(f"{_SHOWN} IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self._rows_to_records(
            self._db.query(
                f"SELECT * FROM backups {clause} ORDER BY created_at DESC, id DESC"
                + ("" if limit is None else f" LIMIT {int(limit)}"),
                params,
            )
        )

    def get(self, backup_id: int) -> BackupRecord:
        rows = self._db.query("SELECT * FROM backups WHERE id = ?", (backup_id,))
        if not rows:
            raise NotFoundError(f"no backup {backup_id} in the catalog")
        return self._rows_to_records(rows)[0]

    def by_archive(self, archive_id: str) -> BackupRecord | None:
        rows = self._db.query("SELECT * FROM backups WHERE archive_id = ?", (archive_id,))
        return self._rows_to_records(rows)[0] if rows else None

    def by_file_name(self, file_name: str) -> list[BackupRecord]:
        """The rows catalogued under this file name (one, as names carry the archive id)."""
        return self._rows_to_records(
            self._db.query(
                "SELECT * FROM backups WHERE file_name = ? ORDER BY id DESC", (file_name,)
            )
        )

    def backups_holding(self, client_id: int) -> list[BackupRecord]:
        """Every catalogued archive that holds the client, whatever its status."""
        return self._rows_to_records(
            self._db.query(
                "SELECT b.* FROM backups b JOIN backup_clients c ON c.backup_id = b.id "
                "WHERE c.client_id = ? ORDER BY b.created_at DESC",
                (client_id,),
            )
        )

    def last_good(self, drive_id: str | None = None) -> BackupRecord | None:
        found = self.backups(drive_id, ["good"], limit=1)
        return found[0] if found else None

    # -- settings

    def settings(self) -> BackupSettings:
        raw = self.vault.setting(SETTINGS_KEY)
        if raw is None:
            return BackupSettings()
        try:
            doc = json.loads(raw)
        except ValueError:
            return BackupSettings()
        return BackupSettings.from_json(doc) if isinstance(doc, dict) else BackupSettings()

    def save_settings(self, settings: BackupSettings) -> BackupSettings:
        settings.checked()
        self.vault.save_setting(SETTINGS_KEY, json.dumps(settings.to_json(), sort_keys=True))
        return settings
