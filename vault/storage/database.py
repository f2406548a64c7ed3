"""SQLCipher storage: keyed connections, durable settings, transactions and migrations.

This is the one module that imports the database driver; everything else goes through `Database`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import sqlcipher3

from ..crypto.secret import SecretBytes, wipe_buffer
from ..errors import (
    CustodianReadOnlyError,
    DamagedFileError,
    IntegrityError,
    LockedError,
    StorageError,
    UsageError,
)
from .fsutil import FILE_MODE

# The driver ships no type hints; rows are sqlcipher3.Row, indexed by column name.
Row: TypeAlias = Any
DriverError = sqlcipher3.Error


@dataclass(frozen=True)
class Migration:
    """One schema step: applied in order, each in its own transaction."""

    version: int
    name: str
    apply: Callable[[Database], None]
    # One line for the user before a migration that can take long (rebuilding an index over
    # every note): without it, the first unlock after an upgrade looked hung for 9-30 s.
    notice: str = ""


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Custodian mode (Database.restrict_writes): what a refused statement would have changed, for
# the one error the refusal becomes (per thread: each worker sees its own refusal).
_refused = threading.local()
CUSTODIAN_REFUSAL = "custodian mode is read-only"

# What a refused table is, in a custodian's words.
_TABLE_WORDS = {
    "clients": "client records",
    "client_people": "client records",
    "client_contacts": "client contact details",
    "minor_services": "client records",
    "notes": "notes",
    "note_participants": "notes",
    "omit_spans": "notes",
    "amendments": "amendments",
    "pnotes": "psychotherapy notes",
    "pnote_spans": "psychotherapy notes",
    "retention_policies": "retention policies",
    "disposals": "disposals",
    "backup_purges": "disposals",
    "attachments": "attachments",
    "attachment_chunks": "attachments",
    "settings": "practice settings",
    "notice_templates": "the confidentiality notice",
    "consent_notices": "the confidentiality notice",
    "incidents": "the incident register",
    "meta": "the vault's own settings",
    "sqlite_master": "the database schema",
    "sqlite_temp_master": "the database schema",
    "audit_log": "the audit log",
    "disclosures": "the accounting of disclosures",
    "exports": "the accounting of disclosures",
    "attachment_copies": "the accounting of disclosures",
    "legal_holds": "legal holds",
    "authorizations": "authorizations",
    "records_requests": "records requests",
    "access_requests": "records requests",
    "access_denials": "records requests",
    "client_representatives": "client records",
    "custodian_letter_templates": "the letter template's saved versions",
}


def _refusal_text(words: str) -> str:
    return f"custodian mode is read-only: {words} cannot be changed with the custodian key"


def _table_refusal(table: str | None) -> str:
    name = table or "the record"
    return _refusal_text(_TABLE_WORDS.get(name, "backups" if name.startswith("backup") else name))


def _refusal() -> CustodianReadOnlyError:
    return CustodianReadOnlyError(
        str(getattr(_refused, "message", None) or _refusal_text("the record"))
    )


def _translate(e: Exception, what: str) -> Exception:
    text = str(e).lower()
    if "not authorized" in text or "authorization denied" in text:
        return _refusal()
    if "closed database" in text:
        # A record API used after lock() (an idle lock firing under a worker, say).
        return LockedError("the vault is locked; unlock it again")
    if "disk is full" in text or "database or disk is full" in text:
        return StorageError(f"{what}: the disk is full; nothing was saved")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"{what}: the vault is on a read-only drive; nothing was saved")
    if "disk i/o error" in text:
        return StorageError(f"{what}: input/output error; nothing was saved")
    if "not a database" in text or "malformed" in text:
        return DamagedFileError(f"{what}: the database file is damaged or not a Confide vault")
    return StorageError(f"{what}: {e}")


@contextlib.contextmanager
def _driver_errors() -> Iterator[None]:
    """Driver and binding errors as one-line ConfideErrors."""
    try:
        yield
    except sqlcipher3.IntegrityError as e:
        if str(e).startswith(CUSTODIAN_REFUSAL):  # a custodian-mode guard's RAISE(ABORT)
            raise CustodianReadOnlyError(str(e)) from None
        raise IntegrityError(f"the change was refused: {e}") from None
    except DriverError as e:
        raise _translate(e, "database error") from None
    except UnicodeEncodeError:
        # Lone surrogates: bytes that were not UTF-8 reached us as text.
        raise UsageError(
            "the request contains text that is not valid Unicode (not UTF-8)"
        ) from None
    except OverflowError:
        # An identifier like N-99999999999999999999 cannot exist; say so, not crash.
        raise UsageError("a number in the request is too large to be a record identifier") from None


# SQLCipher's memory security zeroes every allocation SQLite frees (decrypted pages, query text,
# results), so they would not linger in freed memory after a lock. It is process-wide and, as
# measured (bench/bench_memory_security.py: unlock 3x, search 5x, note open 4x slower), it
# would break the speed goals of issue 2 (search p95 < 20 ms), so it stays off. The keys never
# depend on it: SQLCipher wipes its own key memory either way, and no key text is built.
MEMORY_SECURITY = False
_memory_security_set = False


def _apply_memory_security(conn: sqlcipher3.Connection) -> None:
    global _memory_security_set
    if not _memory_security_set:
        conn.execute(f"PRAGMA cipher_memory_security = {'ON' if MEMORY_SECURITY else 'OFF'}")
        _memory_security_set = True


def _check_identifier(name: str) -> None:
    # Table names are our own constants; refuse anything else rather than quote it into SQL.
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise UsageError(f"internal: {name!r} is not a table name")


# Custodian mode: PRAGMAs that only read (or checkpoint the WAL, which changes no content); the
# code's own integrity checks, table lists and closing need them. Any other PRAGMA could change
# the file or the connection: `rekey` (the clinician locked out), `foreign_keys`,
# `secure_delete`, `writable_schema`, `journal_mode`...
READ_PRAGMAS = frozenset(
    {
        "cipher_integrity_check",
        "cipher_version",
        "data_version",
        "foreign_key_list",
        "freelist_count",
        "index_info",
        "index_list",
        "integrity_check",
        "page_count",
        "quick_check",
        "table_info",
        "table_list",
        "table_xinfo",
        "wal_checkpoint",
    }
)
# Settings a PRAGMA may read (with no argument), never set.
READABLE_SETTINGS = frozenset(
    {
        "application_id",
        "cache_size",
        "foreign_keys",
        "journal_mode",
        "locking_mode",
        "page_size",
        "secure_delete",
        "synchronous",
        "temp_store",
        "user_version",
    }
)
# Functions that write files or load code: `sqlcipher_export` copies the whole database into
# another (decrypted, into an attached plaintext file).
REFUSED_FUNCTIONS = frozenset({"sqlcipher_export", "load_extension", "fts3_tokenizer"})


@dataclass(frozen=True)
class WritePolicy:
    """What a restricted connection may still change (`Database.restrict_writes`): rows added
    to `inserts`, the columns `updates` names changed; nothing deleted. `guards` are
    `CREATE TEMP TRIGGER` statements checking the rows themselves (which key of a key/value
    table, which value), raising ABORT with a message starting "custodian mode is read-only"."""

    inserts: frozenset[str] = frozenset()
    updates: Mapping[str, frozenset[str]] = field(default_factory=dict)
    guards: tuple[str, ...] = ()

    def authorizer(
        self,
    ) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
        deny, ok = int(sqlcipher3.SQLITE_DENY), int(sqlcipher3.SQLITE_OK)
        schema = {
            code
            for name, code in vars(sqlcipher3).items()
            if isinstance(code, int)
            and name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_", "SQLITE_ALTER_"))
        }
        schema |= {
            sqlcipher3.SQLITE_ANALYZE,
            sqlcipher3.SQLITE_REINDEX,
            sqlcipher3.SQLITE_ATTACH,  # VACUUM and VACUUM INTO attach too
            sqlcipher3.SQLITE_DETACH,
        }
        inserts, updates = self.inserts, self.updates

        def refused(action: int, arg1: str | None, arg2: str | None) -> str | None:
            """Why the statement is refused, or None."""
            if action == sqlcipher3.SQLITE_INSERT:
                return None if arg1 in inserts else _table_refusal(arg1)
            if action == sqlcipher3.SQLITE_UPDATE:
                allowed = arg1 is not None and arg2 in updates.get(arg1, ())
                return None if allowed else _table_refusal(arg1)
            if action == sqlcipher3.SQLITE_DELETE:
                return _table_refusal(arg1)
            if action in schema:
                return _refusal_text("the database schema and its files")
            if action == sqlcipher3.SQLITE_PRAGMA:
                pragma = (arg1 or "").lower()
                if pragma in READ_PRAGMAS or (arg2 is None and pragma in READABLE_SETTINGS):
                    return None
                return _refusal_text(f"PRAGMA {arg1}")
            if action == sqlcipher3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
                return _refusal_text(f"the function {arg2}")
            return None

        def authorize(
            action: int, arg1: str | None, arg2: str | None, dbname: str | None, source: str | None
        ) -> int:
            del dbname, source
            message = refused(action, arg1, arg2)
            if message is None:
                return ok
            _refused.message = message
            return deny

        return authorize


class Database:
    """One SQLCipher file, opened with a raw 256-bit key.

    Durability choice: WAL with synchronous=FULL. FULL makes every commit fsync the WAL before
    returning, so a committed note survives a kill -9 or a power cut (NORMAL may lose the last
    commits on power loss, which we never accept). WAL also means an interrupted write can never
    corrupt the main file, and checkpoint(TRUNCATE) on close leaves no WAL holding old pages.
    EXCLUSIVE locking mode keeps the WAL index in process memory: no -shm file on disk.
    """

    def __init__(self, conn: sqlcipher3.Connection, path: Path | None) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        # Custodian mode: told of each refusal once it has left every transaction
        # (`report_refusal`); the vault writes it in the audit log.
        self._on_refusal: Callable[[CustodianReadOnlyError], None] | None = None
        self._reporting: set[int] = set()  # threads whose refusal the hook is recording

    @classmethod
    def open(cls, path: Path, key: SecretBytes | None, *, create: bool = False) -> Database:
        """Open (or create) `path`. `key=None` opens plain SQLite (benchmarks only)."""
        if not create and not path.exists():
            raise DamagedFileError(f"{path.name} is missing from the vault folder")
        if create and path.exists():
            raise UsageError(f"{path.name} already exists")
        try:
            conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
        except DriverError as e:
            raise _translate(e, f"cannot open {path.name}") from None
        db = cls(conn, path)
        try:
            _apply_memory_security(conn)
            if key is not None:
                # Before any statement touches the file. sqlite3_key takes the raw-key literal
                # as bytes, copied into SQLCipher's memory (wiped when the connection closes):
                # `PRAGMA key = "x'...'"` would leave the key as hex text in a Python str, in
                # the driver's statement cache and in SQLite's parsed statement.
                literal = key.key_literal()
                try:
                    conn.set_key(literal)
                finally:
                    wipe_buffer(literal)
            # SQLCipher logs failed page HMACs to stderr itself (3+ lines per damaged page),
            # which breaks the one-line error rule; we report damage through our own errors.
            conn.execute("PRAGMA cipher_log_level = NONE")
            # Before the first read, so the WAL index lives in heap memory (no -shm file).
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            # A wrong key only shows at the first read: probe now.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA temp_store = MEMORY")  # a file temp store would be plaintext
            conn.execute("PRAGMA cache_size = -32000")
            conn.row_factory = sqlcipher3.Row
        except DriverError as e:
            conn.close()
            raise _translate(e, f"cannot open {path.name}") from None
        if create:
            path.chmod(FILE_MODE)
        return db

    # -- queries

    @contextlib.contextmanager
    def _statement(self) -> Iterator[None]:
        """One statement under the lock, its driver errors translated; a custodian-mode
        refusal is reported (`report_refusal`) once the lock is let go."""
        try:
            with self._lock, _driver_errors():
                yield
        except CustodianReadOnlyError as e:
            self.report_refusal(e)
            raise

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlcipher3.Cursor:
        """Run one statement. Rows fetched later from the cursor are not translated: prefer
        `query`/`one`/`scalar`, which fetch inside the translation."""
        with self._statement():
            return self._conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        # Fetching steps the statement: a damaged page or an I/O error can surface here.
        with self._statement():
            return list(self._conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        with self._statement():
            row: Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    # -- custodian mode

    def restrict_writes(
        self,
        policy: WritePolicy,
        on_refusal: Callable[[CustodianReadOnlyError], None] | None = None,
    ) -> None:
        """From now on, refuse (CustodianReadOnlyError) any statement `policy` does not allow:
        an INSERT into a table not in `policy.inserts`, an UPDATE of a column not in
        `policy.updates`, every DELETE, the schema, ATTACH and DETACH (and so VACUUM), a PRAGMA
        outside `READ_PRAGMAS`, a function in `REFUSED_FUNCTIONS`. `policy.guards` (TEMP
        triggers, in memory only) check the rows themselves. SQLite's authorizer runs when each
        statement is prepared (setting it expires those prepared before), so no API of the
        vault, present or future, writes past it: custodian mode is enforced here, below every
        facet. Set once: the guards are created before the authorizer that forbids dropping
        them. `on_refusal` is given each refusal once it has left every transaction
        (`report_refusal`)."""
        with self._lock, _driver_errors():
            for guard in policy.guards:
                self._conn.execute(guard)
            self._conn.set_authorizer(policy.authorizer())
            self._on_refusal = on_refusal

    def report_refusal(self, error: CustodianReadOnlyError) -> None:
        """A custodian-mode refusal on its way out, from this database or from the code above
        it: handed to the `restrict_writes` hook (which sets `error.audited` once it has
        recorded it) only when no transaction is open here, so that what the hook writes (the
        audit entry) is not rolled back with the refused change. Inside a transaction,
        `atomic` reports it after its rollback."""
        me = threading.get_ident()
        # The lock waits out another thread's transaction; ours, if open, shows in the depth.
        with self._lock:
            hook = self._on_refusal
            if hook is None or error.audited or self._depth or me in self._reporting:
                return
            self._reporting.add(me)  # the hook's own writes never report again
        try:
            # Outside the lock: the hook audits, and the audit anchor takes the vault's lock
            # (which is taken before this one everywhere else).
            hook(error)
        finally:
            self._reporting.discard(me)

    # -- identifiers: a number once given is never given again (disposal deletes the newest
    # rows too, and SQLite would hand their rowids out anew: a certificate's C-00012, a
    # release's R-000040 or the audit log's "note 7" would then name a different record).

    def next_id(self, table: str) -> int:
        """The id for a new row of `table`: past every id it ever held (see `retire_ids`)."""
        _check_identifier(table)
        floor = self.scalar("SELECT value FROM meta WHERE key = ?", (f"id_floor.{table}",))
        top = int(self.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))
        return max(top, int(floor or 0)) + 1

    def retire_ids(self, table: str) -> None:
        """Before deleting rows of `table`: no id up to its current highest is reused."""
        _check_identifier(table)
        self.execute(
            "INSERT INTO meta (key, value) SELECT ?, coalesce(max(id), 0) FROM "
            + table
            + " WHERE true ON CONFLICT(key) DO UPDATE SET value = "
            "max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (f"id_floor.{table}",),
        )

    def execute_all(self, statements: Sequence[str]) -> None:
        """Run DDL statements one by one (executescript would COMMIT our transaction)."""
        for statement in statements:
            self.execute(statement)

    # -- transactions

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction (outermost) or savepoint (nested); rolls back on any exception. A
        custodian-mode refusal is reported (`report_refusal`) once the outermost has rolled
        back and let go of the lock."""
        try:
            with self._transaction():
                yield self
        except CustodianReadOnlyError as e:
            self.report_refusal(e)
            raise

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            name = f"sp{self._depth}"
            self.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                try:
                    if outer:
                        self._conn.execute("ROLLBACK")
                    else:
                        self._conn.execute(f"ROLLBACK TO {name}")
                        self._conn.execute(f"RELEASE {name}")
                except DriverError:
                    # The original error matters more; SQLite already rolled back on I/O errors.
                    pass
                raise
            else:
                self._depth -= 1
                try:
                    self._conn.execute("COMMIT" if outer else f"RELEASE {name}")
                except DriverError as e:
                    if outer:
                        with contextlib.suppress(DriverError):
                            self._conn.execute("ROLLBACK")
                    raise _translate(e, "could not save") from None

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    # -- maintenance

    def checkpoint(self) -> None:
        """Move everything from the WAL into the main file and truncate the WAL to zero."""
        with self._lock:
            self.query("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextlib.contextmanager
    def frozen(self) -> Iterator[Path | None]:
        """Checkpoint, then hold off every other writer in this process until the block ends.

        While frozen the main file is the whole committed state (the WAL is empty), so it can
        be copied byte for byte; its pages stay SQLCipher-encrypted. Other processes are kept
        out by the vault's process lock. Yields the file's path.
        """
        with self._lock:
            if self._depth:
                raise UsageError("cannot snapshot the database inside a transaction")
            self.checkpoint()
            yield self.path

    def copy_pages_into(self, target: Database) -> None:
        """Copy every page into `target`, a database just created under another key: SQLite's
        backup API, SQLCipher authenticating each page under this key and encrypting it under
        the target's (key rotation; measured the fastest way, bench/bench_rekey.py)."""
        if self._depth or target._depth:
            raise UsageError("cannot copy a database inside a transaction")
        with self._lock, target._lock, _driver_errors():
            self._conn.backup(target._conn)

    def integrity_problems(self) -> list[str]:
        """SQLCipher page HMACs plus SQLite's structural check; empty when healthy."""
        problems = [str(r[0]) for r in self.query("PRAGMA cipher_integrity_check")]
        try:
            quick = [str(r[0]) for r in self.query("PRAGMA quick_check")]
        except DamagedFileError as e:
            # A page too damaged to decrypt can stop quick_check itself: report, do not raise.
            quick = [f"quick_check stopped: {e.message}"]
        return problems + [q for q in quick if q != "ok"]

    def close(self) -> None:
        with self._lock:
            try:
                if self._depth == 0:
                    self.checkpoint()
            except (StorageError, DamagedFileError, LockedError):
                pass  # closing must still happen; the WAL replays on next open
            finally:
                self._conn.close()

    # -- migrations

    def migrate(
        self,
        migrations: Sequence[Migration],
        table: str = "schema_migrations",
        announce: Callable[[str], None] | None = None,
    ) -> int:
        """Apply pending migrations in order, each in its own transaction. Returns the version.

        `table` records which were applied: the vault's schema uses `schema_migrations`; a layer
        keeping its own tables in this database (the backup catalog) passes its own, so its
        version numbers never mix with the vault's. `announce` is given a pending migration's
        `notice` (each one once) before it runs."""
        _check_identifier(table)
        # Looked up first: even `CREATE TABLE IF NOT EXISTS` is a schema change to SQLite's
        # authorizer, which custodian mode refuses (restrict_writes), with nothing to migrate.
        if (
            self.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
            is None
        ):
            self.execute(
                f"CREATE TABLE {table} ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        current = int(self.scalar(f"SELECT coalesce(max(version), 0) FROM {table}"))
        known = max((m.version for m in migrations), default=0)
        if current > known:
            raise UsageError(
                f"this vault was written by a newer Confide (schema {current}, this "
                f"version knows {known}); upgrade Confide"
            )
        # Versions are reserved per feature and may land out of order: apply every migration
        # not yet recorded, not only those above the highest applied one.
        applied = {int(r[0]) for r in self.query(f"SELECT version FROM {table}")}
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in applied:
                continue
            if migration.notice and announce is not None:
                announce(migration.notice)
            with self.atomic():
                migration.apply(self)
                self.execute(
                    f"INSERT INTO {table} VALUES (?, ?, ?)",
                    (migration.version, migration.name, now_utc()),
                )
            current = max(current, migration.version)
        return current


def sqlcipher_version(db: Database) -> str:
    """The SQLCipher library version behind `db` (disposal certificates name the tool)."""
    return str(db.scalar("PRAGMA cipher_version"))
