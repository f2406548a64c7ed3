"""Verified secure disposal of clients whose retention has ended, with a certificate.

Steps (each one idempotent, the disposal log row says how far a disposal got, so re-running after
a kill finishes the job; DESIGN 8):

1. refuse (changing nothing) unless every client exists, is past retention, is on no legal hold,
   is named in the confirmation, the passphrase is right and every connected backup drive holding
   a copy is writable;
2. take fingerprints (names, words only their notes have, fragments of note text around
   them), in memory only;
3. one transaction in record.db: log row `records_deleted` + delete the clients, their notes and
   every row that refers to them (`secure_delete` zeroes the freed space, FTS5 'secure-delete'
   removes their tokens); then their psychotherapy notes in pnotes.db;
4. rotate every data key (`rotation.rotate`): compacting re-encryption under new random keys, new
   key epoch, key slots overwritten in place, no WAL or journal left; log row `keys_rotated`;
5. backups (through a `BackupSide`, implemented in `backup/purge.py`): on connected drives a
   fresh backup replaces each copy and the old file is overwritten then unlinked; absent drives
   are recorded in `backup_purges` as pending and finished when the drive is next mounted;
6. verify (`verify`): decrypt every page of every vault file by hand, free pages and WAL frames
   included, search for the fingerprints, check no file decrypts under a retired key, scan the
   remaining backups; the certificate (`certificate.py`) records the outcome. Log row `complete`.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..crypto import forensics
from ..crypto.forensics import Fingerprints
from ..crypto.keyslots import KeyName, wipe_keys
from ..crypto.rekey import rotate
from ..crypto.sealing import InvalidTag, open_sealed
from ..crypto.secret import SecretBytes
from ..errors import (
    ConfideError,
    DisposalRefusedError,
    NotFoundError,
    StorageError,
    UsageError,
)
from ..records.audit import Action
from ..records.store import SEALED_NAME_PURPOSE, sealed_name_aad
from ..storage.database import Database, now_utc
from . import policies as retention

if TYPE_CHECKING:
    from ..vault import Vault

METHOD_TYPE = "Purge"
METHOD = ("cryptographic erase (every data key replaced by a new random 256-bit key, the key "
          "slots overwritten in place) plus logical deletion (SQLite secure_delete, FTS5 "
          "secure-delete, compacting re-encryption leaving no free pages, WAL or journal)")
LIMITS = ("Flash wear-levelling and copy-on-write filesystems can keep old blocks that no "
          "overwrite reaches. Only the destruction of the old keys protects those blocks, and "
          "only if every wrapped copy of the old keys is gone: backups pending below still hold "
          "one until they are purged. NIST SP 800-88 advises encryption from the first write, "
          "cryptographic erase, and physical destruction of media that cannot be verified.")
# Tables that keep identifiers on purpose: the audit chain (append-only by law and design) and
# the disposal log itself (the proof of destruction).
_KEEP_TABLES = {"audit_log", "disposals", "backup_purges", "schema_migrations", "meta",
                "settings"}


# ---------------------------------------------------------------------------- backups (protocol)


# Appended to the location of a copy on a drive reported lost (`BackupSide.copies_holding`):
# it cannot be reached or purged, and the queue and the certificate must say so.
LOST_COPY = "(on a drive reported lost: cannot be purged)"


@dataclass(frozen=True)
class BackupCopy:
    """One catalogued backup file that holds some of the clients being disposed of."""

    backup_id: int
    drive: str
    location: str
    created_at: str
    connected: bool
    writable: bool = True


class BackupSide(Protocol):
    """What disposal needs from the backup package (implemented in `backup/purge.py`)."""

    def copies_holding(self, vault: Vault, client_ids: Collection[int]) -> list[BackupCopy]:
        """Catalogued backups (still on some drive, or on one reported lost: its location
        then ends with `LOST_COPY`) that hold any of these clients."""
        ...

    def copies_to_replace(self, vault: Vault) -> list[BackupCopy]:
        """Every catalogued backup still on some drive: each carries a copy of the key file,
        so each must go for the key rotation to be a cryptographic erase."""
        ...

    def replace_copies(self, vault: Vault, copies: Sequence[BackupCopy]) -> str:
        """Write one fresh backup on the (connected) drive of `copies`, then overwrite and
        unlink each old file. Returns the new backup's location."""
        ...

    def remaining_plaintext(self, vault: Vault, keys: Mapping[KeyName, SecretBytes]
                            ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Each remaining good backup on a connected drive, decrypted with the vault's current
        keys, as chunks of page plaintext (an archive under any other key is reported)."""
        ...


# ---------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class ClientDisposal:
    """What disposing of one client destroys. Identifiers, counts and dates only."""

    client_id: int
    display_name: str
    policy: str
    disposal_date: str
    status: str
    notes: int
    first_session: str | None
    last_session: str | None
    joint_notes_kept: int
    pnotes: int | None
    pnotes_first: str | None
    pnotes_last: str | None
    related_rows: dict[str, int]
    backups: tuple[str, ...]
    attachments: int = 0

    @property
    def record_id(self) -> str:
        return f"C-{self.client_id:05d}"

    def certificate_entry(self) -> dict[str, Any]:
        """The certificate's view: no name, no content."""
        entry = {k: v for k, v in asdict(self).items() if k not in ("display_name", "status")}
        entry["record_id"] = self.record_id
        return entry


def _pnotes_db(vault: Vault, key: SecretBytes) -> Database:
    from ..vault import PNOTES_DB, _open_db

    # The vault's own psychotherapy-notes area holds the file in EXCLUSIVE mode: close it first.
    area = vault._pnotes  # noqa: SLF001 - same package; disposal must own the file
    if area is not None:
        area.lock()
        vault._pnotes = None  # noqa: SLF001
    return _open_db(vault.folder, PNOTES_DB, key, vault.vault_id)


def _ids_sql(ids: Collection[int]) -> tuple[str, list[int]]:
    values = sorted(set(ids))
    return ",".join("?" * len(values)), values


def _referencing(db: Database, target: str) -> list[tuple[str, str]]:
    """(table, column) pairs with a foreign key to `target` (outside the kept tables)."""
    found: list[tuple[str, str]] = []
    for (table,) in db.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                             "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"):
        if table in _KEEP_TABLES or table == target:
            continue
        for fk in db.query(f"PRAGMA foreign_key_list({table})"):
            if fk["table"] == target:
                found.append((table, fk["from"]))
    return found


def _client_columns(db: Database) -> list[tuple[str, str]]:
    """Every (table, column) that names a client, by foreign key or by a `client_id` column."""
    pairs = set(_referencing(db, "clients"))
    for (table,) in db.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                             "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'"):
        if table in _KEEP_TABLES:
            continue
        for col in db.query(f"PRAGMA table_info({table})"):
            if col["name"] == "client_id":
                pairs.add((table, "client_id"))
    pairs.add(("clients", "id"))
    return sorted(pairs)


def plan(vault: Vault, client_ids: Collection[int] | None = None, *, today: date | None = None,
         passphrase: str | None = None, backups: BackupSide | None = None,
         keys: Mapping[KeyName, SecretBytes] | None = None) -> list[ClientDisposal]:
    """What disposing of these clients (default: all due) would destroy. Changes nothing.

    With the passphrase the psychotherapy notes are counted too (they are in their own file).
    """
    db = vault.db
    if client_ids is None:
        rows = retention.due_clients(vault, today)
    else:
        rows = retention.schedule(vault, today, client_ids)
    if not rows:
        return []
    ids = [r.client_id for r in rows]
    pcounts: dict[int, tuple[int, str | None, str | None]] = {}
    if passphrase is not None or keys is not None:
        owned = keys is None
        if keys is None:
            assert passphrase is not None
            keys = vault.key_file.unwrap_with_passphrase(passphrase, [KeyName.PNOTES])
        try:
            pdb = _pnotes_db(vault, keys[KeyName.PNOTES])
            try:
                marks, values = _ids_sql(ids)
                for r in pdb.query("SELECT client_id, count(*), min(session_date), "
                                   f"max(session_date) FROM pnotes WHERE client_id IN ({marks}) "
                                   "GROUP BY client_id", values):
                    pcounts[int(r[0])] = (int(r[1]), r[2], r[3])
            finally:
                pdb.close()
        finally:
            if owned:
                wipe_keys(keys)
    copies: dict[int, list[str]] = {}
    if backups is not None:
        for cid in ids:
            copies[cid] = [c.location for c in backups.copies_holding(vault, [cid])]
    related_cols = [pair for pair in _client_columns(db)
                    if pair[0] not in ("clients", "notes", "note_participants", "backup_clients")]
    result = []
    for r in rows:
        cid = r.client_id
        notes = db.one("SELECT count(*), min(session_date), max(session_date) FROM notes "
                       "WHERE client_id = ?", (cid,))
        assert notes is not None
        joint = int(db.scalar("SELECT count(*) FROM note_participants p JOIN notes n "
                              "ON n.id = p.note_id WHERE p.client_id = ? AND n.client_id != ?",
                              (cid, cid)))
        related = {f"{t}": int(db.scalar(f"SELECT count(*) FROM {t} WHERE {c} = ?", (cid,)))
                   for t, c in related_cols}
        pcount = (pcounts.get(cid, (0, None, None))
                  if passphrase is not None or keys is not None else None)
        result.append(ClientDisposal(
            cid, r.display_name, r.policy, r.disposal_date, r.status, int(notes[0]), notes[1],
            notes[2], joint, None if pcount is None else pcount[0],
            None if pcount is None else pcount[1], None if pcount is None else pcount[2],
            {k: v for k, v in related.items() if v}, tuple(copies.get(cid, ()))))
    return result


# ---------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Verification:
    """Exactly what was checked, what it found, and what is still pending."""

    checks: list[Check] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def result(self) -> str:
        if not self.ok:
            return "FAIL"
        return "PASS, with backups pending" if self.pending else "PASS"

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_json(self) -> dict[str, Any]:
        return {"result": self.result, "ok": self.ok,
                "checks": [asdict(c) for c in self.checks], "pending": list(self.pending)}


def _scan_file(path: Path, key: SecretBytes, prints: Fingerprints | None
               ) -> tuple[forensics.FileScan, set[bytes]]:
    scan = forensics.FileScan(path.name)
    found: set[bytes] = set()
    for plain in forensics.scan_file(path, key.reveal(), scan):
        if prints:
            found |= prints.search(plain)
    return scan, found


def restore_asides(folder: Path) -> list[Path]:
    """Previous vaults a `restore --force` kept aside beside `folder` and a kill left there.

    Such a copy holds records (disposed clients' included) under keys the passphrase unwraps,
    so disposal cannot vouch for anything while one exists. The name pattern is the one
    `backup.restore` uses (vault/ may not import backup).
    """
    folder = Path(folder).absolute()
    return sorted(folder.parent.glob(f".{folder.name}.before-restore-*"))


def _refuse_if_aside(vault: Vault) -> None:
    asides = restore_asides(vault.folder)
    if asides:
        raise DisposalRefusedError(
            f"an interrupted restore left a previous copy of this vault at {asides[0]}; it would "
            "keep the disposed records, so nothing was disposed of (run `confide restore` "
            "again, or remove that folder)")


def verify(vault: Vault, passphrase: str, *, disposed_ids: Collection[int] | None = None,
           prints: Fingerprints | None = None,
           retired_keys: Mapping[KeyName, SecretBytes] | None = None,
           backups: BackupSide | None = None,
           keys: Mapping[KeyName, SecretBytes] | None = None) -> Verification:
    """Prove the disposed clients are gone, saying exactly what was checked."""
    from ..vault import PNOTES_DB, RECORD_DB

    report = Verification()
    db = vault.db
    ids = set(disposed_ids if disposed_ids is not None else disposed_client_ids(vault))
    owned = keys is None
    current = keys or vault.key_file.unwrap_with_passphrase(passphrase, list(KeyName))
    pdb = _pnotes_db(vault, current[KeyName.PNOTES])
    try:
        db.checkpoint()
        pdb.checkpoint()
        # 1. every page of both databases, decrypted by hand with the current keys
        for name, key, live in ((RECORD_DB, current[KeyName.RECORD], db),
                                (PNOTES_DB, current[KeyName.PNOTES], pdb)):
            scan, found = _scan_file(vault.folder / name, key, prints)
            report.add(f"{name}: pages", not scan.failed_pages,
                       f"{scan.pages} pages and {scan.wal_frames} WAL frames decrypted with the "
                       f"current key (epoch {vault.key_file.epoch}); {scan.verified} "
                       f"authenticated, {len(scan.failed_pages)} did not")
            if prints:
                report.add(f"{name}: traces", not found,
                           f"searched every page for {len(prints.names)} names and "
                           f"{len(prints.fragments)} note-text fragments: {len(found)} found"
                           + (f" ({prints.shared_names} names shared with remaining records "
                              "not searched)" if prints.shared_names else ""))
            # The re-encryption leaves none; later writes (this log, the backup catalog) may
            # free a few, which secure_delete zero-fills and which were searched above.
            free = int(live.scalar("PRAGMA freelist_count"))
            report.add(f"{name}: free pages", True,
                       f"{free} free pages" + (" (zero-filled by secure_delete, decrypted and "
                                               "searched with the others)" if free else ""))
            fts = "notes_fts" if name == RECORD_DB else "pnotes_fts"
            secure = live.scalar(f"SELECT v FROM {fts}_config WHERE k = 'secure-delete'")
            report.add(f"{name}: full-text index", secure == 1,
                       f"{fts} 'secure-delete' is {'on' if secure == 1 else 'OFF'}")
        # 2. the full-text index no longer knows the disposed notes' distinctive words
        if prints and prints.words:
            words = sorted(prints.words)[:500]
            hits = [w for w in words if _fts_has(db, "notes_fts", w) or
                    _fts_has(pdb, "pnotes_fts", w)]
            report.add("full-text tokens", not hits,
                       f"{len(words)} words only the disposed notes had: "
                       f"{len(hits)} still indexed")
        # 3. identifiers: no live row names a disposed client
        left = _rows_naming(db, ids) + [
            f"pnotes: {n}" for n in [int(pdb.scalar(
                f"SELECT count(*) FROM pnotes WHERE client_id IN ({_ids_sql(ids)[0]})",
                _ids_sql(ids)[1]))] if ids and n]
        report.add("identifiers", not left,
                   f"{len(ids)} disposed client identifiers looked up in every table except the "
                   "audit log and the disposal log: "
                   + ("none found" if not left else ", ".join(left)))
        # 4. every remaining backup on a connected drive, decrypted the same way
        if backups is not None:
            for location, chunks in backups.remaining_plaintext(vault, current):
                found_b: set[bytes] = set()
                size = 0
                batch: list[bytes] = []
                try:
                    for chunk in chunks:
                        size += len(chunk)
                        batch.append(chunk)
                        if prints and sum(map(len, batch)) >= 1 << 22:
                            found_b |= prints.search(b"".join(batch))
                            batch.clear()
                except ConfideError as e:
                    report.add(f"backup {location}", False, f"could not be checked: {e}")
                    continue
                if prints and batch:
                    found_b |= prints.search(b"".join(batch))
                detail = f"{size} bytes decrypted"
                if prints:
                    detail += f", {len(found_b)} traces found"
                report.add(f"backup {location}", not found_b, detail)
    finally:
        pdb.close()
        if owned:
            wipe_keys(current)
    # A previous vault a killed restore left aside holds every record it had, disposed or not.
    asides = restore_asides(vault.folder)
    report.add("copies kept aside by a restore", not asides,
               "none beside the vault folder" if not asides else
               "an interrupted restore left a previous copy of this vault (it may hold the "
               "disposed records) at " + ", ".join(str(a) for a in asides))
    # 5. the vault folder: no journal, no stale copy, nothing under a retired key
    leftovers = [p.name for p in sorted(vault.folder.iterdir())
                 if p.name.endswith(("-journal", ".pending")) or ".epoch-" in p.name]
    report.add("vault folder", not leftovers,
               "no rollback journal, pending key file or stale copy" if not leftovers
               else "left over: " + ", ".join(leftovers))
    if retired_keys:
        files = [p for p in sorted(vault.folder.iterdir()) if p.is_file()]
        bad = [f"{p.name}" for p in files for k in retired_keys.values()
               if forensics.decrypts_under(p, k.reveal())]
        report.add("retired keys", not bad,
                   f"{len(files)} files tried with {len(retired_keys)} retired keys: "
                   + ("none decrypts" if not bad else "decrypts: " + ", ".join(bad)))
    for row in db.query("SELECT drive, location FROM backup_purges WHERE state = 'pending'"):
        report.pending.append(f"backup {row['location']} on drive {row['drive']} (not connected)")
    return report


def _fts_has(db: Database, table: str, word: str) -> bool:
    phrase = '"' + word.replace('"', '""') + '"'
    return bool(db.scalar(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (phrase,)))


def _rows_naming(db: Database, ids: Collection[int]) -> list[str]:
    if not ids:
        return []
    marks, values = _ids_sql(ids)
    found = []
    for table, column in _client_columns(db):
        n = int(db.scalar(f"SELECT count(*) FROM {table} WHERE {column} IN ({marks})", values))
        if n:
            found.append(f"{table}: {n}")
    return found


def disposed_client_ids(vault: Vault) -> list[int]:
    ids: set[int] = set()
    for row in vault.db.query("SELECT client_ids FROM disposals"):
        ids.update(int(i) for i in json.loads(row[0]))
    return sorted(ids)


# ---------------------------------------------------------------------------- disposal


@dataclass
class DisposalResult:
    disposal_id: int
    certificate: dict[str, Any]
    verification: Verification


def _normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def _refuse_unless_allowed(vault: Vault, client_ids: Sequence[int], confirm_names: Sequence[str],
                           today: date | None) -> list[retention.ClientRetention]:
    if not client_ids:
        raise UsageError("name at least one client to dispose of")
    rows = retention.schedule(vault, today, client_ids)  # NotFoundError for an unknown client
    for r in rows:
        if r.holds:
            hold = r.holds[0]
            raise DisposalRefusedError(f"{r.record_id} is on legal hold since "
                                       f"{hold.placed_at[:10]} ({hold.reason}); release the "
                                       "hold first. Nothing was disposed of")
        if not r.is_due:
            raise DisposalRefusedError(f"{r.record_id} is kept until {r.disposal_date} "
                                       f"({r.policy} policy); nothing was disposed of")
    wanted = sorted(_normalise(r.display_name) for r in rows)
    given = sorted(_normalise(n) for n in confirm_names)
    if wanted != given:
        raise DisposalRefusedError(
            "the confirmation must name exactly the clients being disposed of ("
            + ", ".join(r.record_id for r in rows) + "); nothing was disposed of")
    return rows


_DISTINCT = re.compile(r"[^\W\d_]{7,}")
MAX_WORDS = 300
WORDS_PER_NOTE = 3


def _elsewhere(db: Database, pdb: Database, word: str, marks: str, values: list[int]) -> bool:
    """Whether a word occurs in any record that stays (the full-text indexes, names)."""
    phrase = '"' + word.replace('"', '""') + '"'
    if db.scalar(f"SELECT 1 FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts "
                 f"MATCH ? AND n.client_id NOT IN ({marks}) LIMIT 1", (phrase, *values)):
        return True
    if pdb.scalar(f"SELECT 1 FROM pnotes_fts f JOIN pnotes p ON p.id = f.rowid WHERE "
                  f"pnotes_fts MATCH ? AND p.client_id NOT IN ({marks}) LIMIT 1",
                  (phrase, *values)):
        return True
    return bool(db.scalar(f"SELECT 1 FROM clients WHERE id NOT IN ({marks}) AND "
                          "instr(lower(display_name), ?) > 0 LIMIT 1",
                          (*values, word.lower())))


def _name_elsewhere(db: Database, pdb: Database, name: str, marks: str,
                    values: list[int]) -> bool:
    if db.scalar(f"SELECT 1 FROM clients WHERE id NOT IN ({marks}) AND (display_name = ? OR "
                 "legal_name = ?) LIMIT 1", (*values, name, name)):
        return True
    words = re.findall(r"\w+", name)
    if not words:
        return False
    phrase = '"' + " ".join(words).replace('"', '""') + '"'
    return bool(db.scalar(f"SELECT 1 FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE "
                          f"notes_fts MATCH ? AND n.client_id NOT IN ({marks}) LIMIT 1",
                          (phrase, *values))
                or pdb.scalar(f"SELECT 1 FROM pnotes_fts f JOIN pnotes p ON p.id = f.rowid "
                              f"WHERE pnotes_fts MATCH ? AND p.client_id NOT IN ({marks}) "
                              "LIMIT 1", (phrase, *values)))


def _fingerprints(vault: Vault, pdb: Database, ids: Sequence[int],
                  sealed: SecretBytes) -> Fingerprints:
    """Names, and words only the disposed clients' notes have (with the note bytes around a
    bounded number of them), taken round-robin across the clients' notes."""
    prints = Fingerprints()
    db = vault.db
    marks, values = _ids_sql(ids)
    names: set[str] = set()
    for row in db.query(f"SELECT id, display_name, legal_name, legal_name_sealed FROM clients "
                        f"WHERE id IN ({marks})", values):
        names.add(row["display_name"])
        if row["legal_name"]:
            names.add(row["legal_name"])
        if row["legal_name_sealed"] is not None:
            with contextlib.suppress(InvalidTag):
                names.add(open_sealed(sealed, bytes(row["legal_name_sealed"]),
                                      sealed_name_aad(vault.vault_id),
                                      SEALED_NAME_PURPOSE).decode("utf-8"))
    for name in sorted(names):
        # A name another client shares, or that remaining notes mention, proves nothing when
        # found: such names are counted, not searched.
        if _name_elsewhere(db, pdb, name, marks, values):
            prints.shared_names += 1
        else:
            prints.add_name(name)
    texts = [str(r[0]) for r in db.query(
        f"SELECT body FROM notes WHERE client_id IN ({marks}) ORDER BY client_id, id", values)]
    texts += [str(r[0]) for r in pdb.query(
        f"SELECT body FROM pnotes WHERE client_id IN ({marks}) ORDER BY client_id, id", values)]
    checked: set[str] = set()
    for text in texts:
        if len(prints.words) >= MAX_WORDS:
            break
        taken = 0
        for match in sorted(_DISTINCT.finditer(text), key=lambda m: -len(m.group())):
            word = match.group().lower()
            if word in checked:
                continue
            checked.add(word)
            if not _elsewhere(db, pdb, word, marks, values):
                prints.add_word(text, match.group(), match.start())
                taken += 1
                if taken >= WORDS_PER_NOTE:
                    break
    return prints


REBUILD_RATIO = 150  # rebuild the index when deleting more than 1/150 of the notes


def _delete_records(vault: Vault, ids: Sequence[int], entries: list[dict[str, Any]],
                    performed_by: str) -> int:
    db = vault.db
    marks, values = _ids_sql(ids)
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO disposals (state, started_at, performed_by, client_ids, certificate) "
            "VALUES ('records_deleted', ?, ?, ?, ?)",
            (now_utc(), performed_by, json.dumps(values),
             json.dumps({"clients": entries}, sort_keys=True)))
        disposal_id = int(cursor.lastrowid or 0)
        # No number the disposed rows held is handed out again (certificates, releases and
        # the audit log keep naming them).
        tables = {"notes", *(t for t, _ in _client_columns(db)),
                  *(t for t, _ in _referencing(db, "notes"))}
        for table in sorted(tables):
            if any(col["name"] == "id" and col["pk"] and str(col["type"]).upper() == "INTEGER"
                   for col in db.query(f"PRAGMA table_info({table})")):
                db.retire_ids(table)
        # FTS5 'secure-delete' rewrites index segments per deleted row (about 15 ms a note
        # here); past a share of the vault, rebuilding the index from the remaining notes is
        # faster and just as clean (the old segments' pages are freed, zeroed by secure_delete,
        # and the whole file is re-encrypted afterwards anyway). Same transaction either way.
        doomed = int(db.scalar(f"SELECT count(*) FROM notes WHERE client_id IN ({marks})",
                               values))
        rebuild = doomed * REBUILD_RATIO > int(db.scalar("SELECT count(*) FROM notes"))
        if rebuild:
            db.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES('secure-delete', 0)")
        # Rows of other features that point at these notes or clients go first; the records
        # schema cascades the rest (notes -> participants, spans, addenda).
        note_ids = f"SELECT id FROM notes WHERE client_id IN ({marks})"
        for table, column in _referencing(db, "notes"):
            if table not in ("note_participants", "omit_spans", "notes"):
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({note_ids})", values)
        db.execute(f"DELETE FROM notes WHERE client_id IN ({marks})", values)
        for table, column in _client_columns(db):
            if table != "clients":
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", values)
        db.execute(f"DELETE FROM clients WHERE id IN ({marks})", values)
        if rebuild:
            db.execute("INSERT INTO notes_fts(notes_fts) VALUES('rebuild')")
            db.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES('secure-delete', 1)")
        vault.audit.record(Action.DISPOSAL, "disposal", disposal_id, clients=len(values),
                           step="records_deleted")
    return disposal_id


def _delete_pnotes(pdb: Database, ids: Sequence[int]) -> int:
    marks, values = _ids_sql(ids)
    with pdb.atomic():
        pdb.retire_ids("pnotes")
        cursor = pdb.execute(f"DELETE FROM pnotes WHERE client_id IN ({marks})", values)
    return int(cursor.rowcount)


def _set_state(vault: Vault, disposal_id: int, state: str,
               update: Mapping[str, Any] | None = None) -> None:
    db = vault.db
    with db.atomic():
        cert = json.loads(str(db.scalar("SELECT certificate FROM disposals WHERE id = ?",
                                        (disposal_id,))))
        cert.update(update or {})
        db.execute("UPDATE disposals SET state = ?, certificate = ?, completed_at = "
                   "CASE WHEN ? = 'complete' THEN ? ELSE completed_at END WHERE id = ?",
                   (state, json.dumps(cert, sort_keys=True), state, now_utc(), disposal_id))
        vault.audit.record(Action.DISPOSAL, "disposal", disposal_id, step=state)


def _rotate_all(vault: Vault, passphrase: str, keys: Mapping[KeyName, SecretBytes],
                new_keys: dict[KeyName, SecretBytes] | None = None,
                kek: SecretBytes | None = None) -> int:
    """Rotate both databases' keys; returns the new epoch. `keys` are the current (old) keys;
    copies of the new ones go to `new_keys` when given."""
    from ..vault import KEY_FILE, PNOTES_DB, RECORD_DB

    def work(record_db: Database) -> SecretBytes:
        pdb = _pnotes_db(vault, keys[KeyName.PNOTES])
        try:
            _, new_record_key = rotate(vault.folder, vault.key_file, passphrase, record_db, pdb,
                                       keys, RECORD_DB, PNOTES_DB, KEY_FILE, keep=new_keys,
                                       kek=kek)
        finally:
            pdb.close()
        return new_record_key

    vault._replace_storage(work)  # noqa: SLF001 - the one caller of the rotation hook
    return vault.key_file.epoch


def _purge_fts(db: Database, table: str) -> None:
    """Make sure deleted rows left no tokens: secure-delete must be on; merge the segments."""
    if db.scalar(f"SELECT v FROM {table}_config WHERE k = 'secure-delete'") != 1:
        # A vault made before the option existed: turn it on and rebuild the index from the
        # remaining rows, which writes fresh segments without the deleted rows' tokens.
        db.execute(f"INSERT INTO {table}({table}, rank) VALUES('secure-delete', 1)")
        db.execute(f"INSERT INTO {table}({table}) VALUES('rebuild')")
    db.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")


def dispose(vault: Vault, passphrase: str, client_ids: Sequence[int],
            confirm_names: Sequence[str], *, performed_by: str | None = None,
            today: date | None = None, backups: BackupSide | None = None) -> DisposalResult:
    """Dispose of the named clients for good, verify it, and issue a certificate."""
    ids = sorted(set(client_ids))
    _refuse_if_aside(vault)
    rows = _refuse_unless_allowed(vault, ids, confirm_names, today)
    # Who performed it: as given, else the practice name set for releases, else the OS user.
    practice = vault.db.scalar("SELECT value FROM settings WHERE key = 'practice.name'")
    who = " ".join((performed_by or practice or _default_performer()).split())[:200]
    who = who or "clinician"
    # Fresh authentication; the same Argon2id result wraps the new keys later.
    kek = vault.key_file.passphrase_kek(passphrase)
    keys = vault.key_file.unwrap_with_kek(kek, list(KeyName))
    prints: Fingerprints | None = None
    try:
        copies = backups.copies_to_replace(vault) if backups is not None else []
        blocked = [c for c in copies if c.connected and not c.writable]
        if blocked:
            raise StorageError(f"the backup drive {blocked[0].drive} is read-only, so the copy "
                               f"{blocked[0].location} cannot be replaced; make it writable or "
                               "disconnect it (it will be purged when next connected). Nothing "
                               "was disposed of")
        entries = [c.certificate_entry() for c in plan(vault, ids, today=today,
                                                        backups=backups, keys=keys)]
        del rows
        pdb = _pnotes_db(vault, keys[KeyName.PNOTES])
        try:
            prints = _fingerprints(vault, pdb, ids, keys[KeyName.SEALED])
            disposal_id = _delete_records(vault, ids, entries, who)
            _delete_pnotes(pdb, ids)
            _purge_fts(pdb, "pnotes_fts")
            pdb.checkpoint()
        finally:
            pdb.close()
        _purge_fts(vault.db, "notes_fts")
        return _finish(vault, passphrase, disposal_id, ids, copies, backups, prints, keys, kek)
    finally:
        wipe_keys(keys)
        kek.wipe()
        if prints is not None:
            prints.wipe()  # names and note fragments: memory only, and only for this call


def _finish(vault: Vault, passphrase: str, disposal_id: int, ids: Sequence[int],
            copies: Sequence[BackupCopy] | None, backups: BackupSide | None,
            prints: Fingerprints | None, old_keys: Mapping[KeyName, SecretBytes],
            kek: SecretBytes | None = None) -> DisposalResult:
    epoch_before = vault.key_file.epoch
    state = vault.db.scalar("SELECT state FROM disposals WHERE id = ?", (disposal_id,))
    current: dict[KeyName, SecretBytes] = {}
    if state == "records_deleted":
        epoch_after = _rotate_all(vault, passphrase, old_keys, current, kek)
        _set_state(vault, disposal_id, "keys_rotated",
                   {"epoch_before": epoch_before, "epoch_after": epoch_after})
    # Backups: connected copies are replaced now, absent ones are recorded as pending.
    if backups is not None and copies is None:
        copies = backups.copies_to_replace(vault)
    replaced: list[str] = []
    new_backups: list[str] = []
    failures: list[str] = []
    if backups is not None and copies:
        by_drive: dict[str, list[BackupCopy]] = {}
        for c in copies:
            by_drive.setdefault(c.drive, []).append(c)
        done: set[str] = set()
        for drive, group in sorted(by_drive.items()):
            if not all(c.connected and c.writable for c in group):
                continue
            try:
                new_backups.append(backups.replace_copies(vault, group))
            except ConfideError as e:  # a drive that fails now is finished when next mounted
                failures.append(f"drive {drive}: {e}")
                continue
            done.update(c.location for c in group)
            replaced.extend(c.location for c in group)
        with vault.db.atomic():
            for c in copies:
                exists = vault.db.scalar("SELECT 1 FROM backup_purges WHERE disposal_id = ? "
                                         "AND location = ?", (disposal_id, c.location))
                if exists:
                    continue
                ok = c.location in done
                vault.db.execute(
                    "INSERT INTO backup_purges (disposal_id, drive, location, state, "
                    "recorded_at, done_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (disposal_id, c.drive, c.location, "done" if ok else "pending",
                     now_utc(), now_utc() if ok else None))
    retired = {k: v for k, v in old_keys.items()} if prints is not None else None
    try:
        report = verify(vault, passphrase, disposed_ids=ids, prints=prints,
                        retired_keys=retired, backups=backups,
                        keys=current or (None if retired else old_keys))
    finally:
        wipe_keys(current)
    for failure in failures:
        report.pending.append(f"backup replacement failed, retried when next mounted: {failure}")
    # Copies on a drive reported lost are out of reach for good: the result must not read as
    # if every copy were handled.
    body = json.loads(str(vault.db.scalar("SELECT certificate FROM disposals WHERE id = ?",
                                          (disposal_id,))))
    for loc in sorted({str(b) for e in body.get("clients", []) for b in e.get("backups", ())
                       if str(b).endswith(LOST_COPY)}):
        report.pending.append(f"backup {loc}; it still opens with the passphrase of its day")
    if prints is None:
        report.add("fingerprints", True, "this disposal was resumed after an interruption: "
                   "names and note fingerprints were held in memory only and are gone, so the "
                   "search covered identifiers, pages and keys")
    pending = [dict(r) for r in vault.db.query(
        "SELECT drive, location FROM backup_purges WHERE disposal_id = ? AND state = 'pending'",
        (disposal_id,))]
    _set_state(vault, disposal_id, "complete", {
        "verification": report.to_json(),
        "backups": {"replaced": replaced, "written": new_backups, "pending": pending},
    })
    if prints is not None:
        prints.wipe()
    from .certificate import certificate

    return DisposalResult(disposal_id, certificate(vault, disposal_id), report)


def _default_performer() -> str:
    with contextlib.suppress(OSError, KeyError):
        return getpass.getuser()
    return "clinician"


def unfinished(vault: Vault) -> list[int]:
    return [int(r[0]) for r in vault.db.query(
        "SELECT id FROM disposals WHERE state != 'complete' ORDER BY id")]


def resume(vault: Vault, passphrase: str, backups: BackupSide | None = None
           ) -> list[DisposalResult]:
    """Finish every disposal a crash or kill interrupted (records already deleted)."""
    results = []
    for disposal_id in unfinished(vault):
        ids = json.loads(str(vault.db.scalar("SELECT client_ids FROM disposals WHERE id = ?",
                                             (disposal_id,))))
        kek = vault.key_file.passphrase_kek(passphrase)
        keys = vault.key_file.unwrap_with_kek(kek, list(KeyName))
        try:
            pdb = _pnotes_db(vault, keys[KeyName.PNOTES])
            try:
                _delete_pnotes(pdb, ids)
                _purge_fts(pdb, "pnotes_fts")
            finally:
                pdb.close()
            _purge_fts(vault.db, "notes_fts")
            results.append(_finish(vault, passphrase, disposal_id, ids, None, backups, None,
                                   keys, kek))
        finally:
            wipe_keys(keys)
            kek.wipe()
    return results


def pending_purges(vault: Vault, drive: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM backup_purges WHERE state = 'pending'"
    rows = (vault.db.query(sql + " AND drive = ? ORDER BY id", (drive,)) if drive
            else vault.db.query(sql + " ORDER BY id"))
    return [dict(r) for r in rows]


def mark_purged(vault: Vault, purge_id: int, new_location: str | None) -> None:
    """A pending backup copy was replaced (drive mounted again): note it on the certificate."""
    db = vault.db
    row = db.one("SELECT * FROM backup_purges WHERE id = ?", (purge_id,))
    if row is None:
        raise NotFoundError(f"no pending backup purge {purge_id}")
    with db.atomic():
        db.execute("UPDATE backup_purges SET state = 'done', done_at = ? WHERE id = ?",
                   (now_utc(), purge_id))
        cert = json.loads(str(db.scalar("SELECT certificate FROM disposals WHERE id = ?",
                                        (row["disposal_id"],))))
        section = cert.setdefault("backups", {})
        section["pending"] = [p for p in section.get("pending", [])
                              if p.get("location") != row["location"]]
        section.setdefault("completed_later", []).append(
            {"location": row["location"], "drive": row["drive"], "done_at": now_utc(),
             "replaced_by": new_location})
        db.execute("UPDATE disposals SET certificate = ? WHERE id = ?",
                   (json.dumps(cert, sort_keys=True), row["disposal_id"]))
        vault.audit.record(Action.DISPOSAL, "disposal", int(row["disposal_id"]),
                           step="backup_purged")


def sqlcipher_version(db: Database) -> str:
    return str(db.scalar("PRAGMA cipher_version"))


def mount_of(path: Path) -> tuple[str, str, str]:
    """(device, mount point, filesystem type) holding `path`, from /proc/mounts on Linux."""
    best = ("unknown", "", "unknown")
    with contextlib.suppress(OSError):
        target = os.path.realpath(path)
        with open("/proc/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and (target == parts[1] or target.startswith(
                        parts[1].rstrip("/") + "/")) and len(parts[1]) > len(best[1]):
                    best = (parts[0], parts[1], parts[2])
    return best


def filesystem_of(path: Path) -> str:
    """The filesystem type holding `path`, for the certificate."""
    return mount_of(path)[2]


__all__ = [
    "LIMITS", "METHOD", "METHOD_TYPE", "BackupCopy", "BackupSide", "Check",
    "ClientDisposal", "DisposalResult", "Verification", "dispose", "disposed_client_ids",
    "filesystem_of", "mark_purged", "mount_of", "pending_purges", "plan", "resume", "unfinished",
    "verify",
]
