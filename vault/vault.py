"""The vault: create, unlock, lock, and the typed API the TUI, CLI and backup use."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .crypto.auditkey import Anchor, new_audit_key, read_anchor, unwrap_audit_key, with_audit
from .crypto.kdf import KdfParams
from .crypto.keyslots import (
    CustodianSlot,
    KeyFile,
    KeyName,
    derive_subkey,
    key_file_exists,
    new_data_keys,
    new_recovery_key,
    wipe_keys,
)
from .crypto.rekey import finish_rotation
from .crypto.sealing import InvalidTag, open_sealed, public_key_of
from .crypto.secret import SecretBytes
from .errors import (
    AuthenticationError,
    ConfideError,
    CustodianNotGrantedError,
    CustodianReadOnlyError,
    DamagedFileError,
    LockedError,
    MissingVaultError,
    NotFoundError,
    StorageError,
    UsageError,
    VaultExistsError,
)
from .records.audit import Action, AuditLog
from .records.models import SearchHit
from .records.pnotes import DEFAULT_IDLE_SECONDS, Clock, PsychotherapyNotes
from .records.search import search_notes
from .records.store import SEALED_NAME_PURPOSE, ClientRecords, NoteRecords, sealed_name_aad
from .storage import fsutil, layout
from .storage.database import CUSTODIAN_REFUSAL, Database, WritePolicy
from .storage.lockfile import ProcessLock
from .storage.schema import PNOTES_MIGRATIONS, RECORD_MIGRATIONS

if TYPE_CHECKING:
    from . import attachments as _attachments
    from . import custodian as _custodian
    from . import disclosures as _disclosures
    from . import incidents as _incidents
    from .retention import facade as _retention

KEY_FILE = layout.KEY_FILE
RECORD_DB = "record.db"
PNOTES_DB = "pnotes.db"
LOCK_FILE = "confide.lock"
VAULT_FILES = (KEY_FILE, RECORD_DB, PNOTES_DB)
MIN_PASSPHRASE_CHARS = 8


def default_vault_dir() -> Path:
    """`CONFIDE_VAULT`, else the platform's per-user data folder."""
    env = os.environ.get("CONFIDE_VAULT")
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Confide" / "vault"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "confide" / "vault"


# What `check_new_passphrase` asks for, for a face to say before anything is typed.
PASSPHRASE_RULE = (
    f"at least {MIN_PASSPHRASE_CHARS} characters and hard to guess (several unrelated words)"
)


def check_new_passphrase(passphrase: str) -> None:
    """The one rule for a new passphrase (create, change, recover); raises UsageError with a
    message the faces show as it is. Hard to guess means zxcvbn score 3 (crypto.strength)."""
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise UsageError(f"the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")
    # A NUL ends the string at some prompts and a line break at others: it could not be typed.
    if "\0" in passphrase or passphrase != passphrase.strip("\r\n"):
        raise UsageError(
            "the passphrase must not contain a NUL character, nor begin or end with a line break"
        )
    # Here, not at import: only a new passphrase is rated; every other command skips it.
    from .crypto.strength import check_passphrase

    check_passphrase(passphrase)


# Entries that make the key file's anchor advance at once (outside a transaction): the ones whose
# loss to a rolled-back record.db matters most. Every other entry advances it at the latest after
# `ANCHOR_EVERY` entries, at lock, and at each backup.
ANCHOR_NOW = frozenset(
    {
        "sign",
        "addendum",
        "disposal",
        "passphrase_change",
        "backup",
        "restore",
        "export",
        "import",
        # A rollback found (at unlock or on a drive) and its acknowledgement: a later rollback
        # must not be able to take them away unseen.
        "rollback_detected",
        "rollback_acknowledged",
    }
)
ANCHOR_EVERY = 64

# Custodian mode: what a vault opened with the custodian key may still change (docs/
# ARCHITECTURE.md, "Custodian mode"). Reading writes the audit log (and its head in meta);
# answering a records request writes the request and its checklist, the authorization it rests
# on (and a client's written revocation of one), a hold a subpoena places, the disclosure and
# the copy's record, an access request's extension and completion, a denial and its review; the
# letter template is the custodian's to edit (a new version each time), a client's contact
# details theirs to set or replace. Nothing is ever deleted, and every other table (clients,
# notes, retention, disposal, attachments, settings, the notice, backups) refuses, in the
# database.
CUSTODIAN_INSERTS = frozenset(
    {
        "audit_log",
        "meta",
        "records_requests",
        "authorizations",
        "legal_holds",
        "disclosures",
        "exports",
        "attachment_copies",
        "access_requests",
        "access_denials",
        "client_representatives",
        "custodian_letter_templates",
        "client_contacts",
    }
)
# The columns an UPDATE may change, each the one the API changes; the accounting of disclosures,
# the audit log, legal holds (placing is the custodian's, releasing the clinician's) and the
# letter template's versions are append-only.
CUSTODIAN_UPDATES: dict[str, frozenset[str]] = {
    "meta": frozenset({"value"}),
    "authorizations": frozenset({"revoked_on"}),
    "records_requests": frozenset(
        {"client_notified_on", "counsel_consulted_on", "authorization_id", "court_order", "status"}
    ),
    "access_requests": frozenset(
        {"extended", "extension_reason", "due_on", "status", "done_on", "disclosure_id"}
    ),
    "access_denials": frozenset(
        {
            "reviewer",
            "reviewer_license",
            "review_requested_on",
            "reviewed_on",
            "outcome",
            "review_reason",
        }
    ),
    "client_representatives": frozenset({"declined_on", "declined_reason"}),
    # How a letter reaches the client: the custodian's letters need a current address.
    "client_contacts": frozenset({"contact", "updated_at"}),
}


def _guard(name: str, when: str, words: str, event: str = "UPDATE") -> str:
    table = name.split("_custodian")[0]
    return (
        f"CREATE TEMP TRIGGER {name} BEFORE {event} ON main.{table} WHEN {when} BEGIN "
        f"SELECT RAISE(ABORT, 'custodian mode is read-only: {words}'); END"
    )


def custodian_policy(serial: int) -> WritePolicy:
    """The custodian's write policy, its row checks naming the custodian's actor."""
    actor = f"custodian:{int(serial)}"
    head = "(SELECT seq || ':' || hash FROM main.audit_log ORDER BY seq DESC LIMIT 1)"
    top = "(SELECT coalesce(max(seq), 0) FROM main.audit_log)"
    seen = "coalesce((SELECT CAST(value AS INTEGER) FROM main.meta WHERE key = 'keyfile_seq'), 0)"
    # meta: only the audit head (set to the newest entry, as AuditLog.record does) and the key
    # file's sequence (forward, never past the log, as the anchor does). The rest (vault id,
    # sealed-names public key, identifier floors, custodian serial) would let a custodian
    # lock the clinician out, seal new names to a key of their choosing or reuse a disposed
    # client's number.
    meta_ok = (
        f"NOT ((NEW.key = 'audit_head' AND NEW.value = {head}) OR (NEW.key = 'keyfile_seq' "
        f"AND CAST(NEW.value AS INTEGER) BETWEEN {seen} AND {top}))"
    )
    meta_words = "the vault''s own settings cannot be changed with the custodian key"
    # Contact details are set or replaced, never removed (`custodian.set_contact`): blank is
    # removal too. Python's strip() also takes Unicode spaces; these are the common ones.
    blank = "trim(NEW.contact, ' ' || char(9, 10, 11, 12, 13, 160, 12288)) = ''"
    contact_words = "a client''s contact details are set or replaced, never removed"
    guards = (
        _guard("meta_custodian_insert", meta_ok, meta_words, "INSERT"),
        _guard("meta_custodian_update", meta_ok, meta_words),
        # Every entry names the custodian, and follows the last one (its number and hash).
        _guard(
            "audit_log_custodian_insert",
            f"(CASE WHEN json_valid(NEW.detail) THEN json_extract(NEW.detail, '$.actor') END)"
            f" IS NOT '{actor}' OR NEW.seq IS NOT {top} + 1 OR NEW.prev_hash IS NOT "
            "(SELECT hash FROM main.audit_log ORDER BY seq DESC LIMIT 1)",
            "the audit log takes only the custodian''s own entries",
            "INSERT",
        ),
        # A revocation is recorded once and never undone: an authorization's scope and dates
        # are not columns the custodian may change at all.
        _guard(
            "authorizations_custodian_update",
            "OLD.revoked_on IS NOT NULL OR NEW.revoked_on IS NULL",
            "a revocation is recorded once and never undone",
        ),
        # A request rests only on its own client's authorization, and is never reopened.
        _guard(
            "records_requests_custodian_insert",
            "NEW.authorization_id IS NOT NULL AND (SELECT client_id FROM main.authorizations "
            "WHERE id = NEW.authorization_id) IS NOT NEW.client_id",
            "a records request rests only on its own client''s authorization",
            "INSERT",
        ),
        _guard(
            "records_requests_custodian_update",
            "(NEW.authorization_id IS NOT OLD.authorization_id AND NEW.authorization_id IS NOT "
            "NULL AND (SELECT client_id FROM main.authorizations WHERE id = "
            "NEW.authorization_id) IS NOT OLD.client_id) OR (OLD.status != 'open' AND "
            "NEW.status = 'open')",
            "a records request rests only on its own client''s authorization",
        ),
        # The 30-day deadline moves once, with the extension, and by 30 days exactly (as
        # `access.extend` moves it: 164.524(b)(2)(iii) allows no more).
        _guard(
            "access_requests_custodian_update",
            "(NEW.due_on IS NOT OLD.due_on AND NOT (OLD.extended = 0 AND NEW.extended = 1)) "
            "OR (OLD.extended = 0 AND NEW.extended = 1 AND (OLD.status != 'open' OR "
            "NEW.due_on IS NOT date(OLD.due_on, '+30 days'))) "
            "OR NEW.extended NOT IN (0, 1) OR NEW.extended < OLD.extended "
            "OR (OLD.extended = 1 AND NEW.extension_reason IS NOT OLD.extension_reason) "
            "OR (OLD.status = 'done' AND NEW.status = 'open')",
            "an access request''s deadline moves only with its one 30-day extension",
        ),
        # Done only with the copy that answered it (`access.mark_done`): a request closed by
        # hand would vanish from the open requests and their deadlines.
        _guard(
            "access_requests_custodian_done",
            "NEW.status = 'done' AND (NEW.disclosure_id IS NULL OR NOT EXISTS (SELECT 1 FROM "
            "main.disclosures WHERE id = NEW.disclosure_id AND client_id = OLD.client_id))",
            "an access request is done only with the copy that answered it",
        ),
        _guard(
            "access_denials_custodian_update",
            "OLD.reviewed_on IS NOT NULL",
            "a denial''s review is recorded once",
        ),
        _guard(
            "client_representatives_custodian_update",
            "OLD.declined_on IS NOT NULL",
            "a representative is declined once",
        ),
        _guard("client_contacts_custodian_insert", blank, contact_words, "INSERT"),
        _guard("client_contacts_custodian_update", blank, contact_words),
    )
    return WritePolicy(CUSTODIAN_INSERTS, CUSTODIAN_UPDATES, guards)


@dataclass(frozen=True)
class RollbackWarning:
    """Found at unlock: record.db or the key file is older than what the other (or a backup
    drive) has seen. `kind` is one of "record_db_older", "record_db_diverges",
    "key_file_older", "drive_newer"."""

    kind: str
    message: str
    vault_seq: int
    seen_seq: int


@dataclass(frozen=True)
class VaultStatus:
    """What can be said about a vault without unlocking it."""

    folder: Path
    vault_id: str
    key_epoch: int
    kdf: KdfParams
    files: dict[str, int] = field(default_factory=dict)
    # The custodian slot as the key file names it (unverified: its HMAC needs a key).
    custodian: CustodianSlot | None = None

    @property
    def kdf_is_weak(self) -> bool:
        return self.kdf.is_weak


def vault_exists(folder: Path) -> bool:
    """Whether `folder` holds a vault's key file (or one a crash left pending)."""
    return key_file_exists(folder / KEY_FILE)


def check_free_for_a_vault(folder: Path) -> None:
    """Raise unless a new vault can be made at `folder` (cheap: a face checks this before
    asking for a passphrase or spending seconds calibrating Argon2id)."""
    if key_file_exists(folder / KEY_FILE):
        raise VaultExistsError(f"a vault already exists at {folder}")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder; choose a folder for the vault")
    if folder.exists() and any(folder.iterdir()):
        raise VaultExistsError(f"{folder} is not empty; choose an empty or new folder")


def inspect(folder: Path) -> VaultStatus:
    _require_vault(folder)
    keyfile = KeyFile.load(folder / KEY_FILE)
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}
    return VaultStatus(
        folder, keyfile.vault_id, keyfile.epoch, keyfile.kdf, files, keyfile.custodian
    )


@dataclass(frozen=True)
class DatabaseCheck:
    """What `check_database_file` found: integrity problems (none when healthy) and the vault
    id recorded inside the file."""

    problems: list[str]
    vault_id: str | None


def check_database_file(path: Path, key: SecretBytes) -> DatabaseCheck:
    """Check one database file outside an open vault (a restore's staged copy, say) with its
    key: SQLCipher's page HMACs, SQLite's structural check and the vault id it records. The file
    is opened, read and closed; it is not migrated or changed."""
    db = Database.open(path, key)
    try:
        problems = db.integrity_problems()
        stored = db.scalar("SELECT value FROM meta WHERE key = 'vault_id'")
    finally:
        db.close()
    return DatabaseCheck(problems, None if stored is None else str(stored))


def _remove_partial_vault(folder: Path) -> None:
    """Undo a failed `Vault.create` (a full disk, say): remove the files it made."""
    for name in (*VAULT_FILES, LOCK_FILE):
        for suffix in ("", "-wal", "-shm", "-journal", ".pending"):
            (folder / (name + suffix)).unlink(missing_ok=True)


def _require_vault(folder: Path) -> None:
    if not folder.is_dir() or not key_file_exists(folder / KEY_FILE):
        raise MissingVaultError(f"no Confide vault at {folder}", folder)


def _open_db(
    folder: Path,
    name: str,
    key: SecretBytes,
    vault_id: str,
    announce: Callable[[str], None] | None = None,
) -> Database:
    db = Database.open(folder / name, key)
    try:
        db.migrate(RECORD_MIGRATIONS if name == RECORD_DB else PNOTES_MIGRATIONS, announce=announce)
        stored = db.scalar("SELECT value FROM meta WHERE key = 'vault_id'")
    except BaseException:
        db.close()
        raise
    if stored != vault_id:
        db.close()
        raise DamagedFileError(f"{name} does not belong to this vault's key file")
    return db


class Vault:
    """An unlocked vault. Holds only the general-record key; `lock()` drops it."""

    def __init__(
        self,
        folder: Path,
        keyfile: KeyFile,
        record_key: SecretBytes,
        db: Database,
        process_lock: ProcessLock,
    ) -> None:
        self.folder = folder
        self._process_lock = process_lock
        self._pnotes: PsychotherapyNotes | None = None
        self._custodian: CustodianSlot | None = None
        self._guard = threading.RLock()
        self._db: Database | None = None
        self._attach(keyfile, record_key, db)

    def _attach(self, keyfile: KeyFile, record_key: SecretBytes, db: Database) -> None:
        """Bind the open record database, its key and the records APIs built on it: at unlock,
        and again after a key rotation reopened the files under the new keys."""
        self.rollback_warnings: list[RollbackWarning] = []
        self._audit_tagged = 0
        audit_key = unwrap_audit_key(keyfile, record_key)
        if audit_key is None:
            # A key file from before the keyed chain (or a new vault): give it an audit key
            # first, so a crash before the entries are tagged leaves a key to tag them with.
            seen = db.scalar("SELECT value FROM meta WHERE key = 'keyfile_seq'")
            if seen is not None:
                self.rollback_warnings.append(
                    RollbackWarning(
                        "key_file_older",
                        "the key file is older than this vault's records: it has no audit "
                        f"key, but the records show a key file that had seen entry {seen}. An "
                        "older keys.confide was put back (a passphrase retired since may open "
                        "it, and the audit log's tags can no longer be checked); change the "
                        "passphrase now and restore keys.confide from your newest backup",
                        0,
                        int(seen),
                    )
                )
            audit_key = new_audit_key()
            keyfile = with_audit(keyfile, record_key, audit_key, None, rewrap=True)
            keyfile.save(self.folder / KEY_FILE)
        anchor = read_anchor(keyfile, audit_key)
        old_key = getattr(self, "_audit_key", None)
        if old_key is not None and old_key is not audit_key:
            old_key.wipe()
        self._audit_key = audit_key
        self._keyfile = keyfile
        self._record_key = record_key
        self._db = db
        self.audit = AuditLog(db, audit_key, anchor, self._after_audit)
        if anchor is None and not self.rollback_warnings:
            # Never anchored: the chain predates tags (or a crash cut the upgrade short).
            # Once anchored, an untagged entry is one written outside Confide, never tagged.
            self._audit_tagged = self.audit.tag_untagged(audit_key)
        sealed_public = bytes.fromhex(
            str(db.scalar("SELECT value FROM meta WHERE key = 'sealed_public'"))
        )
        self.clients = ClientRecords(db, self.audit, keyfile.vault_id, sealed_public)
        self.notes = NoteRecords(db, self.audit, self.clients)

    # -- the audit anchor and rollback detection (issue 10 item 8)

    def _after_audit(self, seq: int, action: str) -> None:
        anchor = self.audit.anchor
        if action in ANCHOR_NOW or anchor is None or seq - anchor.seq >= ANCHOR_EVERY:
            self._advance_anchor()

    def _advance_anchor(self) -> None:
        """Write the newest entry into the key file (authenticated), then note in record.db
        that the key file has seen it. In that order: a crash between leaves a key file ahead
        of the note, which is never mistaken for an older key file. Not inside a transaction
        (it could still roll back and leave the key file ahead of the log)."""
        with self._guard:
            db = self._db
            if db is None or db.in_transaction:
                return
            head = self.audit.head()
            if head is None or self.audit.anchor == Anchor(*head):
                return
            anchor = Anchor(*head)
            keyfile = with_audit(self._keyfile, self._record_key, self._audit_key, anchor)
            keyfile.save(self.folder / KEY_FILE)
            self._keyfile = keyfile
            self.audit.anchor = anchor
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('keyfile_seq', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(anchor.seq),),
            )

    def audit_anchor(self) -> Anchor | None:
        """Advance the key file's anchor to the newest entry and return it (a backup records
        it in its catalogue entry and inside the archive)."""
        self._advance_anchor()
        return self.audit.anchor

    def compare_seen(self, seq: int, head: str, source: str) -> RollbackWarning | None:
        """Whether this vault's audit log holds entry `seq` with hash `head`, as `source`
        (the key file, a backup drive) has seen it; a warning when it does not."""
        now = self.audit.head()
        vault_seq = 0 if now is None else now[0]
        have = self.audit.hash_at(seq)
        if have is None:
            return RollbackWarning(
                "record_db_older",
                f"record.db is older than {source}: its audit log ends at entry {vault_seq}, "
                f"but {source} has seen entry {seq}. What was written after entry {vault_seq} "
                "(notes, signatures, audit entries) is missing here: this is an older copy (a "
                "restored file, a lost write-ahead log). Restore from your newest backup",
                vault_seq,
                seq,
            )
        if have != head:
            return RollbackWarning(
                "record_db_diverges",
                f"record.db's audit log differs from what {source} has seen at entry {seq}: "
                "this is another copy of the vault's history, or the log was rewritten",
                vault_seq,
                seq,
            )
        return None

    def _check_rollback(self) -> None:
        """At unlock, before any entry: is record.db behind the key file, or the key file
        behind what record.db says it had seen?"""
        anchor = self.audit.anchor
        if anchor is None:
            return
        found = self.compare_seen(anchor.seq, anchor.head, "the key file")
        if found is not None:
            self.rollback_warnings.append(found)
            return
        seen = self.db.scalar("SELECT value FROM meta WHERE key = 'keyfile_seq'")
        if seen is not None and int(seen) > anchor.seq:
            self.rollback_warnings.append(
                RollbackWarning(
                    "key_file_older",
                    f"the key file is older than this vault's records: it has seen audit "
                    f"entry {anchor.seq}, but the records show the key file had seen entry "
                    f"{seen}. An older keys.confide was put back: a passphrase retired since "
                    "may open it. Change the passphrase now",
                    anchor.seq,
                    int(seen),
                )
            )

    def note_rollback(self, warning: RollbackWarning, seen_head: str | None = None) -> None:
        """Keep `warning` for the faces to show, in the audit log too (never silently).
        `seen_head`: the hash the other side (a backup drive) has seen at `seen_seq`, recorded
        so the same finding is audited once."""
        if warning not in self.rollback_warnings:
            self.rollback_warnings.append(warning)
        extra = {} if seen_head is None else {"seen_head": seen_head}
        self.audit.record(
            Action.ROLLBACK_DETECTED,
            "vault",
            None,
            kind=warning.kind,
            vault_seq=warning.vault_seq,
            seen_seq=warning.seen_seq,
            **extra,
        )

    def acknowledge_rollback(self, passphrase: str) -> tuple[int, ...]:
        """Record (passphrase checked again) that the practitioner has seen the rollbacks the
        log holds so far; returns their entries. `audit verify` then reports them as
        acknowledged, still listed; a rollback found later is a new one. Nothing to acknowledge
        writes nothing and returns (); a wrong passphrase raises AuthenticationError."""
        self.verify_passphrase(passphrase)
        report = self.audit.verify()
        if not report.ok:
            raise UsageError(
                f"the audit chain is broken ({report.reason}); a broken chain cannot be "
                "acknowledged, only a rollback the chain records"
            )
        pending = report.unacknowledged
        if not pending:
            return ()
        self.audit.record(
            Action.ROLLBACK_ACKNOWLEDGED,
            "vault",
            None,
            rollbacks=",".join(str(s) for s in pending),
        )
        return pending

    def _settle_audit(self) -> None:
        """After the unlock entry: audit what `_attach` and `_check_rollback` found, and
        anchor the key file at once only then. An ordinary unlock writes no anchor (3-4 fsyncs
        of the key file every read-only command paid): its entry is anchored at lock, by the
        next entry that anchors at once, or after `ANCHOR_EVERY` entries, the window the
        README states. A rollback entry must not wait: a second rollback would erase it."""
        noteworthy = bool(self._audit_tagged or self.rollback_warnings)
        if self._audit_tagged:
            self.audit.record(Action.AUDIT_KEYED, "audit", None, entries=self._audit_tagged)
            self._audit_tagged = 0
        for warning in list(self.rollback_warnings):
            self.note_rollback(warning)
        if noteworthy:
            self._advance_anchor()

    # -- lifecycle

    @classmethod
    def create(cls, folder: Path, passphrase: str, kdf: KdfParams) -> tuple[Vault, str]:
        """Create a vault; returns it unlocked with the recovery key, to be shown once."""
        check_new_passphrase(passphrase)
        check_free_for_a_vault(folder)
        fsutil.ensure_private_dir(folder)
        lock = ProcessLock(folder / LOCK_FILE)
        lock.acquire()
        keys = new_data_keys()
        recovery_key = new_recovery_key()
        try:
            keyfile = KeyFile.create(passphrase, recovery_key, kdf, keys)
            for name, key_name in ((RECORD_DB, KeyName.RECORD), (PNOTES_DB, KeyName.PNOTES)):
                db = Database.open(folder / name, keys[key_name], create=True)
                try:
                    db.migrate(RECORD_MIGRATIONS if name == RECORD_DB else PNOTES_MIGRATIONS)
                    with db.atomic():
                        db.execute("INSERT INTO meta VALUES ('vault_id', ?)", (keyfile.vault_id,))
                        if name == RECORD_DB:
                            db.execute(
                                "INSERT INTO meta VALUES ('sealed_public', ?)",
                                (public_key_of(keys[KeyName.SEALED]).hex(),),
                            )
                finally:
                    db.close()
            # The key file goes last: until it exists the folder is not a vault.
            keyfile.save(folder / KEY_FILE)
            fsutil.fsync_dir(folder)
            record_key = SecretBytes(keys[KeyName.RECORD].reveal())
        except BaseException:
            # The folder was empty and we hold the lock, so every file in it is ours and holds
            # no client data yet; leaving them would make `init` refuse the folder forever.
            _remove_partial_vault(folder)
            lock.release()
            raise
        finally:
            wipe_keys(keys)
        try:
            db = Database.open(folder / RECORD_DB, record_key)
        except BaseException:
            record_key.wipe()
            lock.release()
            raise
        vault = cls(folder, keyfile, record_key, db, lock)
        try:
            vault.audit.record(Action.INIT, "vault", None, kdf=kdf.preset, epoch=keyfile.epoch)
            vault._settle_audit()
        except BaseException:
            vault._abandon()
            raise
        return vault, recovery_key

    @classmethod
    def unlock(
        cls, folder: Path, passphrase: str, on_upgrade: Callable[[str], None] | None = None
    ) -> Vault:
        """Open the vault with the passphrase. `on_upgrade` gets one line before a schema
        upgrade that can take long (a search index rebuilt over every note) starts."""
        _require_vault(folder)
        lock = ProcessLock(folder / LOCK_FILE)
        lock.acquire()
        try:
            keyfile = KeyFile.load(folder / KEY_FILE)
            keys = keyfile.unwrap_with_passphrase(passphrase, [KeyName.RECORD])
            vault = cls._open(folder, keyfile, keys[KeyName.RECORD], lock, on_upgrade)
        except BaseException:
            lock.release()
            raise
        try:
            vault.audit.record(Action.UNLOCK, "vault", None, method="passphrase")
            vault._settle_audit()
        except BaseException:
            vault._abandon()  # e.g. a full disk: no half-open vault keeps the process lock
            raise
        return vault

    @classmethod
    def unlock_custodian(
        cls,
        folder: Path,
        custodian_key: str,
        on_upgrade: Callable[[str], None] | None = None,
        schemas: Sequence[Callable[[Database], None]] = (),
    ) -> Vault:
        """Open in custodian mode with the key on the custodian sheet: read-only for the
        clinical record (`custodian_policy`), every audit entry naming the custodian.
        `on_upgrade` as at `unlock`. `schemas` bring the tables a layer above keeps in the
        record database up to date (the backup catalog's), before the restriction refuses
        every schema change: as the vault's own migrations run at open. Without it, a vault
        never backed up (or upgraded since) had no catalog the custodian could read."""
        _require_vault(folder)
        lock = ProcessLock(folder / LOCK_FILE)
        lock.acquire()
        try:
            keyfile = KeyFile.load(folder / KEY_FILE)
            keys = keyfile.unwrap_with_custodian(custodian_key, [KeyName.RECORD])
            vault = cls._open(folder, keyfile, keys[KeyName.RECORD], lock, on_upgrade)
        except BaseException:
            lock.release()
            raise
        try:
            for ensure in schemas:
                ensure(vault.db)
            slot = vault._keyfile.custodian
            if slot is None:  # _attach re-read nothing else; the slot cannot vanish here
                raise DamagedFileError("the key file's custodian slot is damaged")
            vault._enter_custodian_mode(slot)
            vault.audit.record(Action.CUSTODIAN_UNLOCK, "vault", None, serial=slot.serial)
            vault._settle_audit()
        except BaseException:
            vault._abandon()
            raise
        return vault

    @classmethod
    def recover(cls, folder: Path, recovery_key: str) -> PendingRecovery:
        """Unlock with the recovery key. A new passphrase must be set before anything else."""
        _require_vault(folder)
        lock = ProcessLock(folder / LOCK_FILE)
        lock.acquire()
        try:
            keyfile = KeyFile.load(folder / KEY_FILE)
            keys = keyfile.unwrap_with_recovery(recovery_key, list(KeyName))
        except BaseException:
            lock.release()
            raise
        return PendingRecovery(folder, keyfile, keys, lock)

    @classmethod
    def _open(
        cls,
        folder: Path,
        keyfile: KeyFile,
        record_key: SecretBytes,
        lock: ProcessLock,
        announce: Callable[[str], None] | None = None,
    ) -> Vault:
        finish_rotation(folder, keyfile.epoch)  # a key rotation cut short by a crash
        db = _open_db(folder, RECORD_DB, record_key, keyfile.vault_id, announce)
        fsutil.check_private_dir(folder)
        vault = cls(folder, keyfile, record_key, db, lock)
        try:
            vault._check_rollback()
        except BaseException:
            vault._abandon()
            raise
        return vault

    @property
    def is_locked(self) -> bool:
        return self._db is None

    @property
    def vault_id(self) -> str:
        return self._keyfile.vault_id

    @property
    def key_file(self) -> KeyFile:
        return self._keyfile

    def _replace_storage(self, work: Callable[[Database], SecretBytes]) -> None:
        """Key rotation (disposal only): `work` re-encrypts and saves a new key file, returning
        the new record key; then the databases are closed, swapped in and reopened. If `work`
        fails before its commit point the vault carries on under the old key."""
        self.require_clinician("rotating the keys")
        with self._guard:
            db = self.db
            if self._pnotes is not None:
                self._pnotes.lock()
                self._pnotes = None
            try:
                new_key = work(db)
            except BaseException:
                self._reopen_rotated(db, None)
                raise
            self._reopen_rotated(db, new_key)

    def _reopen_rotated(self, db: Database, new_key: SecretBytes | None) -> None:
        db.close()
        self._db = None
        try:
            keyfile = KeyFile.load(self.folder / KEY_FILE)
            finish_rotation(self.folder, keyfile.epoch)
            key = self._record_key if keyfile.epoch == self._keyfile.epoch else new_key
            if key is None:
                raise DamagedFileError(
                    "the key rotation stopped half-way; unlock again to finish it"
                )
            reopened = _open_db(self.folder, RECORD_DB, key, keyfile.vault_id)
        except BaseException:
            if new_key is not None:
                new_key.wipe()
            self._record_key.wipe()
            self._process_lock.release()
            raise
        if key is not self._record_key:
            self._record_key.wipe()
        elif new_key is not None:
            new_key.wipe()
        # Same process lock, same guard (held by the caller): only the storage is new.
        self._attach(keyfile, key, reopened)

    def lock(self) -> None:
        """Close everything and overwrite the keys we hold. Safe to call twice."""
        with self._guard:
            if self._db is None:
                return
            try:
                if self._pnotes is not None:
                    pnotes, self._pnotes = self._pnotes, None
                    pnotes.lock()
                self.audit.record(Action.LOCK, "vault")
                self._advance_anchor()
            except (StorageError, DamagedFileError):
                # Locking must complete and must not raise: an idle lock that failed would leave
                # records on screen, and a CLI command that saved would report "nothing was
                # saved". On a full or failing disk only the LOCK entry is lost; the audit
                # chain stays valid because nothing was half-written.
                pass
            finally:
                self._db.close()
                self._db = None
                self._record_key.wipe()
                self._audit_key.wipe()
                self._process_lock.release()

    def _abandon(self) -> None:
        """Close and wipe without an audit entry, when opening failed after the files opened."""
        with self._guard:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._record_key.wipe()
            key = getattr(self, "_audit_key", None)
            if key is not None:
                key.wipe()
            self._process_lock.release()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock()

    @property
    def db(self) -> Database:
        """The general-record database, for `vault` modules and `backup` only."""
        if self._db is None:
            raise LockedError("the vault is locked")
        return self._db

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction on the record database (a savepoint when nested): what the facets and
        the layers keeping their own tables there (the backup catalog) change inside commits
        together, or not at all."""
        with self.db.atomic():
            yield

    # -- settings: a small key/value store in the record database for the layers above (backup
    # keeps its rotation and watching settings there). Unaudited: settings are not records.

    def setting(self, key: str) -> str | None:
        """The value saved under `key`, or None if none was."""
        value = self.db.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return None if value is None else str(value)

    def content_fingerprint(
        self, read_only_actions: Collection[str], skip_tables: Collection[str] = ()
    ) -> str:
        """A digest of what the record holds, for a backup deciding whether anything changed:
        the last audit entry whose action is not in `read_only_actions`, the settings (but
        the backup layer's own key), and the row count of every ordinary table except
        `skip_tables` and the backup layer's (named backup*). Cheap: no table is read whole.

        The full-text indexes' shadow tables are not counted: SQLite keeps them from the
        tables they index (counted here), and counting them read most of the file (2.8 s of a
        cold 765 MiB vault at 200k notes, against 0.2 s for the rest)."""
        actions = sorted(read_only_actions)
        marks = ", ".join("?" for _ in actions)
        last_change = self.db.scalar(
            f"SELECT seq FROM audit_log WHERE action NOT IN ({marks}) ORDER BY seq DESC LIMIT 1",
            tuple(actions),
        )
        settings = [
            [str(r[0]), str(r[1])]
            for r in self.db.query(
                "SELECT key, value FROM settings WHERE key != 'backup' ORDER BY key"
            )
        ]
        tables = [
            str(r[0])
            for r in self.db.query(
                "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'backup%' ORDER BY name"
            )
            if str(r[0]) not in skip_tables
        ]
        counts = {t: int(self.db.scalar(f'SELECT count(*) FROM "{t}"')) for t in tables}
        doc = {"last_change": last_change, "settings": settings, "counts": counts}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def save_setting(self, key: str, value: str) -> None:
        """Save `value` under `key`, replacing any earlier value."""
        self.db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
            "UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- keys

    def verify_passphrase(self, passphrase: str) -> None:
        """Fresh authentication for sensitive actions; raises AuthenticationError. In
        custodian mode the custodian key is asked again instead."""
        wipe_keys(self._fresh_keys(passphrase, [KeyName.RECORD]))

    def _fresh_keys(self, secret: str, names: list[KeyName]) -> dict[KeyName, SecretBytes]:
        """Keys unwrapped again from the secret this session was opened with: the passphrase,
        or in custodian mode the custodian key (which holds only the keys granted)."""
        if self._custodian is not None:
            try:
                return self._keyfile.unwrap_with_custodian(secret, names)
            except CustodianNotGrantedError as e:
                self.report_refusal(e)
                raise
        return self._keyfile.unwrap_with_passphrase(secret, names)

    # -- custodian mode (issue 16 part 2)

    @property
    def custodian_mode(self) -> CustodianSlot | None:
        """The custodian's slot when this vault was opened with the custodian key, else None."""
        return self._custodian

    def require_clinician(self, what: str) -> None:
        """Refuse `what` in custodian mode (audited as a refusal); nothing else happens. A
        face refusing before it asks the core (the app, before a form is filled in for
        nothing) calls this too, so its refusal is audited like the core's."""
        if self._custodian is None:
            return
        error = CustodianReadOnlyError(f"custodian mode is read-only: {what} is for the clinician")
        self.report_refusal(error)
        raise error

    def report_refusal(self, error: CustodianReadOnlyError) -> None:
        """A custodian-mode refusal on its way out: audited once, when no transaction of the
        record database is open (inside one, its rollback reports it: `Database.atomic`)."""
        db = self._db
        if self._custodian is not None and db is not None:
            db.report_refusal(error)

    def _audit_refusal(self, error: CustodianReadOnlyError) -> None:
        """The one place a refusal in custodian mode is written in the audit log, whoever
        refused it (the database's authorizer or guards, the vault, a face): what was refused
        in the refusal's own words (never record text), named the custodian like every entry
        of the session."""
        error.audited = True
        what = error.message.removeprefix(CUSTODIAN_REFUSAL).removeprefix(": ")
        # On a full or failing disk (or a vault locked meanwhile) the custodian must still be
        # told what was refused: that error, not the audit's.
        with contextlib.suppress(ConfideError):
            self.audit.record(Action.CUSTODIAN_REFUSED, "vault", None, what=what)

    def _enter_custodian_mode(self, slot: CustodianSlot) -> None:
        self._custodian = slot
        self.db.restrict_writes(custodian_policy(slot.serial), self._audit_refusal)
        self.audit.actor = f"custodian:{slot.serial}"

    def check_custodian_slot(self) -> None:
        """Raise DamagedFileError if the key file's custodian slot was altered."""
        with self._guard:
            if self._db is None:
                raise LockedError("the vault is locked")
            self._keyfile.check_custodian(self._record_key)

    def _save_key_file(self, keyfile: KeyFile) -> None:
        """Write a changed key file (a custodian designated or revoked) and use it from now."""
        with self._guard:
            keyfile.save(self.folder / KEY_FILE)
            self._keyfile = keyfile

    @property
    def custodian(self) -> _custodian.Custodian:
        """The records custodian: designation, sheet, letters, instructions; built on first use."""
        from . import custodian

        current = self.__dict__.get("_custodian_api")
        if not isinstance(current, custodian.Custodian):
            current = custodian.Custodian(self)
            self.__dict__["_custodian_api"] = current
        return current

    def change_passphrase(self, current: str, new: str) -> None:
        """Re-wrap the data keys under a new passphrase; the databases are not re-encrypted."""
        self.require_clinician("changing the passphrase")
        check_new_passphrase(new)
        keys = self._keyfile.unwrap_with_passphrase(current, list(KeyName))
        try:
            rewrapped = self._keyfile.rewrapped(new, keys)
            rewrapped.save(self.folder / KEY_FILE)
            self._keyfile = rewrapped
        finally:
            wipe_keys(keys)
        self.audit.record(Action.PASSPHRASE_CHANGE, "vault")

    def derive_subkey(self, salt: bytes, info: bytes) -> SecretBytes:
        """A purpose-bound key derived from the record key (backups); the record key stays here."""
        with self._guard:
            if self._db is None:
                raise LockedError("the vault is locked")
            return derive_subkey(self._record_key, salt, info)

    @contextlib.contextmanager
    def frozen_files(self) -> Iterator[dict[str, Path]]:
        """Hold the vault still for a consistent byte copy of its databases (backups).

        Both databases are checkpointed and no write can happen in this process until the block
        ends (other processes are kept out by the process lock). The files stay encrypted under
        their own keys, so copying pnotes.db does not need the psychotherapy-notes key.
        """
        with self._guard, self.db.frozen():
            if self._pnotes is not None:
                with self._pnotes.frozen():
                    yield {name: self.folder / name for name in (RECORD_DB, PNOTES_DB)}
            else:
                yield {name: self.folder / name for name in (RECORD_DB, PNOTES_DB)}

    # -- sealed identities and psychotherapy notes (both need the passphrase again)

    def reveal_legal_name(self, client_id: int, passphrase: str) -> str:
        blob = self.clients.sealed_name_blob(client_id)
        if blob is None:
            client = self.clients.get(client_id)
            if client.legal_name is None:
                raise NotFoundError(f"{client.record_id} has no legal name on record")
            return client.legal_name
        keys = self._fresh_keys(passphrase, [KeyName.SEALED])
        try:
            name = open_sealed(
                keys[KeyName.SEALED], blob, sealed_name_aad(self.vault_id), SEALED_NAME_PURPOSE
            ).decode("utf-8")
        except InvalidTag:
            raise DamagedFileError(f"the sealed name of C-{client_id:05d} is damaged") from None
        finally:
            wipe_keys(keys)
        self.audit.record(Action.REVEAL, "client", client_id)
        return name

    def reveal_legal_names(self, client_ids: Collection[int], passphrase: str) -> dict[int, str]:
        """The sealed legal names of the given pseudonymous clients (others are skipped), with
        one unwrap of the sealed-names key (an open export of many clients); each audited."""
        blobs = {cid: self.clients.sealed_name_blob(cid) for cid in client_ids}
        sealed = {cid: blob for cid, blob in blobs.items() if blob is not None}
        if not sealed:
            return {}
        keys = self._fresh_keys(passphrase, [KeyName.SEALED])
        names: dict[int, str] = {}
        try:
            for cid, blob in sealed.items():
                try:
                    names[cid] = open_sealed(
                        keys[KeyName.SEALED],
                        blob,
                        sealed_name_aad(self.vault_id),
                        SEALED_NAME_PURPOSE,
                    ).decode("utf-8")
                except InvalidTag:
                    raise DamagedFileError(f"the sealed name of C-{cid:05d} is damaged") from None
        finally:
            wipe_keys(keys)
        for cid in names:
            self.audit.record(Action.REVEAL, "client", cid)
        return names

    def open_psychotherapy_notes(
        self,
        passphrase: str,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        clock: Clock | None = None,
        on_upgrade: Callable[[str], None] | None = None,
    ) -> PsychotherapyNotes:
        """Fresh authentication, then the psychotherapy-notes area until idle or locked.
        `on_upgrade` gets one line before a long upgrade of that database's schema starts
        (its search index rebuilt once after an update), as at `unlock`."""
        with self._guard:
            if self._db is None:
                raise LockedError("the vault is locked")
            if self._pnotes is not None:
                self._pnotes.lock()
                self._pnotes = None
            keys = self._fresh_keys(passphrase, [KeyName.PNOTES])
            key = keys[KeyName.PNOTES]
            try:
                db = _open_db(self.folder, PNOTES_DB, key, self.vault_id, on_upgrade)
                if self._custodian is not None:
                    # A custodian reads, never writes, them; refusals audited in record.db.
                    db.restrict_writes(WritePolicy(), self.report_refusal)
            except BaseException:
                key.wipe()
                raise
            # SQLCipher has its own copy of the key now; ours is wiped when the area locks.
            extra: dict[str, Callable[[], float]] = {"clock": clock} if clock else {}
            self._pnotes = PsychotherapyNotes(
                db,
                self.audit,
                self.clients.exists,
                idle_seconds=idle_seconds,
                on_close=key.wipe,
                **extra,
            )
            self.audit.record(Action.PNOTES_UNLOCK, "pnotes")
            return self._pnotes

    # -- search

    def search(
        self, query: str, limit: int = 50, *, include_flagged: bool = True, audit: bool = True
    ) -> list[SearchHit]:
        """General-record search. Psychotherapy notes are in another file and never searched.

        `include_flagged=False` (privacy mode) matches nothing inside a flagged passage or a
        note flagged whole, and returns no snippets.
        `audit=False` is for a lookup that is recorded once for a whole session of them (the
        app's command palette searches at every keystroke: `record_lookups`).
        """
        hits = search_notes(self.db, query, limit, include_flagged)
        if audit:
            detail = {} if include_flagged else {"flagged": False}
            self.audit.record(Action.SEARCH, "notes", None, hits=len(hits), **detail)
        return hits

    def record_lookups(self, lookups: int, most_hits: int, *, include_flagged: bool) -> None:
        """One audit entry for a session of unaudited searches (one command-palette use)."""
        detail: dict[str, bool] = {} if include_flagged else {"flagged": False}
        self.audit.record(Action.SEARCH, "palette", None, lookups=lookups, hits=most_hits, **detail)

    # -- disclosures (issue 6): release, access, authorizations, accounting, amendments

    @property
    def disclosures(self) -> _disclosures.Disclosures:
        """Created on first use, so unlocking never loads the release code or fpdf2."""
        from . import disclosures

        current = self.__dict__.get("_disclosures_api")
        if not isinstance(current, disclosures.Disclosures):
            current = disclosures.Disclosures(self)
            self.__dict__["_disclosures_api"] = current
        return current

    # -- retention, legal holds and disposal (issue 8), built on first use like disclosures

    @property
    def retention(self) -> _retention.Retention:
        """Retention policies and each client's disposal date."""
        from .retention import facade

        current = self.__dict__.get("_retention_api")
        if not isinstance(current, facade.Retention):
            current = facade.Retention(self)
            self.__dict__["_retention_api"] = current
        return current

    @property
    def holds(self) -> _retention.Holds:
        """Legal holds (placed by hand or by a subpoena; they block disposal)."""
        from .retention import facade

        current = self.__dict__.get("_holds_api")
        if not isinstance(current, facade.Holds):
            current = facade.Holds(self)
            self.__dict__["_holds_api"] = current
        return current

    @property
    def disposal(self) -> _retention.Disposal:
        """The disposal queue, disposal, verification, pending purges, certificates, log."""
        from .retention import facade

        current = self.__dict__.get("_disposal_api")
        if not isinstance(current, facade.Disposal):
            current = facade.Disposal(self)
            self.__dict__["_disposal_api"] = current
        return current

    # -- attachments and the scanned-forms inbox (issue 18 part 2), built on first use

    @property
    def attachments(self) -> _attachments.Attachments:
        """Scanned forms and other files, encrypted in record.db; the inbox."""
        from . import attachments

        current = self.__dict__.get("_attachments_api")
        if not isinstance(current, attachments.Attachments):
            current = attachments.Attachments(self)
            self.__dict__["_attachments_api"] = current
        return current

    # -- the incident register (issue 17): breaches, their assessment, notices, the HHS log

    def has_open_incidents(self) -> bool:
        """Whether the register holds an open incident: one query, without loading the
        register's code (every unlock asks; issue 13, start-up)."""
        return self.db.one("SELECT 1 FROM incidents WHERE status = 'open' LIMIT 1") is not None

    @property
    def incidents(self) -> _incidents.Incidents:
        """Created on first use, like `disclosures`."""
        from . import incidents

        current = self.__dict__.get("_incidents_api")
        if not isinstance(current, incidents.Incidents):
            current = incidents.Incidents(self)
            self.__dict__["_incidents_api"] = current
        return current


class PendingRecovery:
    """Keys unwrapped with the recovery key, usable only to set a new passphrase."""

    def __init__(
        self, folder: Path, keyfile: KeyFile, keys: dict[KeyName, SecretBytes], lock: ProcessLock
    ) -> None:
        self._folder = folder
        self._keyfile = keyfile
        self._keys = keys
        self._lock = lock

    def set_new_passphrase(
        self, passphrase: str, on_upgrade: Callable[[str], None] | None = None
    ) -> Vault:
        """Re-wrap the keys under `passphrase` and open the vault; `on_upgrade` as at
        `Vault.unlock` (the first opening after an update can be this one)."""
        check_new_passphrase(passphrase)
        if not self._keys:
            raise AuthenticationError("this recovery was already used or abandoned")
        dropped: int | None = None
        try:
            self._keyfile.check_custodian(self._keys[KeyName.RECORD])
        except DamagedFileError:
            # An altered custodian slot must not stop a recovery (the one way back in), and
            # must not be handed the keys: it is dropped, and the audit log says so.
            assert self._keyfile.custodian is not None
            dropped = self._keyfile.custodian.serial
            self._keyfile = self._keyfile.without_custodian()
        try:
            rewrapped = self._keyfile.rewrapped(passphrase, self._keys)
            rewrapped.save(self._folder / KEY_FILE)
            record_key = SecretBytes(self._keys[KeyName.RECORD].reveal())
            vault = Vault._open(self._folder, rewrapped, record_key, self._lock, on_upgrade)
        except BaseException:
            self.abandon()
            raise
        wipe_keys(self._keys)
        self._keys = {}
        try:
            vault.audit.record(Action.RECOVERY_UNLOCK, "vault")
            vault.audit.record(Action.PASSPHRASE_CHANGE, "vault", None, via="recovery key")
            if dropped is not None:
                vault.audit.record(Action.CUSTODIAN, "custodian", dropped, event="altered_dropped")
            vault._settle_audit()
        except BaseException:
            vault._abandon()
            raise
        return vault

    def abandon(self) -> None:
        wipe_keys(self._keys)
        self._keys = {}
        self._lock.release()
