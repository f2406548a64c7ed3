"""Verified secure disposal of clients whose retention has ended, with a certificate: the
steps that change things (`dispose`, `resume`). Reached as `vault.disposal` (`facade.py`).

Steps (each one idempotent, the disposal log row says how far a disposal got, so re-running after
a kill finishes the job; DESIGN 8):

1. refuse (changing nothing) unless every client exists, is past retention, is on no legal hold,
   is named in the confirmation, the passphrase is right and every connected backup drive holding
   a copy is writable; what will go is the plan (`plan.py`);
2. take fingerprints (names, words only their notes have, fragments of note text around
   them), in memory only;
3. one transaction in record.db: log row `records_deleted` + delete the clients, their notes and
   every row that refers to them (`secure_delete` zeroes the freed space, FTS5 'secure-delete'
   removes their tokens); then their psychotherapy notes in pnotes.db;
4. rotate every data key (`crypto.rekey.rotate`): page-by-page re-encryption under new random
   keys, new key epoch, key slots overwritten in place, no WAL or journal left; log row
   `keys_rotated`;
5. backups (through a `BackupSide`, implemented in `backup/purge.py`): on connected drives a
   fresh backup replaces each copy and the old file is overwritten then unlinked; absent drives
   are recorded in `backup_purges` as pending (`purges.py`) and finished when the drive is next
   mounted;
6. verify (`verify.py`): decrypt every page of every vault file by hand, free pages and WAL frames
   included, search for the fingerprints, check no file decrypts under a retired key, scan the
   remaining backups; the certificate (`certificate.py`) records the outcome. Log row `complete`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..crypto.forensics import Fingerprints
from ..crypto.keyslots import KeyName, wipe_keys
from ..crypto.rekey import rotate
from ..crypto.sealing import InvalidTag, open_sealed
from ..crypto.secret import SecretBytes
from ..errors import ConfideError, DisposalRefusedError, StorageError, UsageError
from ..records.audit import Action
from ..records.store import SEALED_NAME_PURPOSE, sealed_name_aad
from ..storage.database import Database, now_utc
from . import policies as retention
from . import traces as _traces
from ._common import client_columns, ids_sql, pnotes_db, referencing
from .exports import overwrite_present
from .plan import plan
from .purges import pending_purges, record_copies
from .types import BackupCopy, BackupSide, DestroyedRecord
from .verify import Verification, refuse_if_aside, verify

if TYPE_CHECKING:
    from ..vault import Vault
    from .certificate import Certificate


@dataclass(frozen=True)
class DisposalResult:
    """A finished disposal: its certificate and the verification it records."""

    disposal_id: int
    certificate: Certificate
    verification: Verification


def _normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def _refuse_unless_allowed(
    vault: Vault, client_ids: Sequence[int], confirm_names: Sequence[str], today: date | None
) -> list[retention.ClientRetention]:
    if not client_ids:
        raise UsageError("name at least one client to dispose of")
    rows = retention.schedule(vault, today, client_ids)  # NotFoundError for an unknown client
    for r in rows:
        if r.holds:
            hold = r.holds[0]
            raise DisposalRefusedError(
                f"{r.record_id} is on legal hold since "
                f"{hold.placed_at[:10]} ({hold.reason}); release the "
                "hold first. Nothing was disposed of"
            )
        if not r.is_due:
            raise DisposalRefusedError(
                f"{r.record_id} is kept until {r.disposal_date} "
                f"({r.policy} policy); nothing was disposed of"
            )
    wanted = sorted(_normalise(r.display_name) for r in rows)
    given = sorted(_normalise(n) for n in confirm_names)
    if wanted != given:
        raise DisposalRefusedError(
            "the confirmation must name exactly the clients being disposed of ("
            + ", ".join(r.record_id for r in rows)
            + "); nothing was disposed of"
        )
    return rows


_DISTINCT = re.compile(r"[^\W\d_]{7,}")
MAX_WORDS = 300
WORDS_PER_NOTE = 3


def _elsewhere(db: Database, pdb: Database, word: str, marks: str, values: list[int]) -> bool:
    """Whether a word occurs in any record that stays (the full-text indexes, names)."""
    phrase = '"' + word.replace('"', '""') + '"'
    if db.scalar(
        f"SELECT 1 FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts "
        f"MATCH ? AND n.client_id NOT IN ({marks}) LIMIT 1",
        (phrase, *values),
    ):
        return True
    if pdb.scalar(
        f"SELECT 1 FROM pnotes_fts f JOIN pnotes p ON p.id = f.rowid WHERE "
        f"pnotes_fts MATCH ? AND p.client_id NOT IN ({marks}) LIMIT 1",
        (phrase, *values),
    ):
        return True
    return bool(
        db.scalar(
            f"SELECT 1 FROM clients WHERE id NOT IN ({marks}) AND "
            "instr(lower(display_name), ?) > 0 LIMIT 1",
            (*values, word.lower()),
        )
    )


def _name_elsewhere(db: Database, pdb: Database, name: str, marks: str, values: list[int]) -> bool:
    if db.scalar(
        f"SELECT 1 FROM clients WHERE id NOT IN ({marks}) AND (display_name = ? OR "
        "legal_name = ?) LIMIT 1",
        (*values, name, name),
    ):
        return True
    words = re.findall(r"\w+", name)
    if not words:
        return False
    phrase = '"' + " ".join(words).replace('"', '""') + '"'
    return bool(
        db.scalar(
            f"SELECT 1 FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE "
            f"notes_fts MATCH ? AND n.client_id NOT IN ({marks}) LIMIT 1",
            (phrase, *values),
        )
        or pdb.scalar(
            f"SELECT 1 FROM pnotes_fts f JOIN pnotes p ON p.id = f.rowid "
            f"WHERE pnotes_fts MATCH ? AND p.client_id NOT IN ({marks}) "
            "LIMIT 1",
            (phrase, *values),
        )
    )


def _names_containing(db: Database, name: str, marks: str, values: list[int]) -> list[str]:
    """Remaining clients' names that contain `name` ("Alder Sampleton 12" for "Alder
    Sampleton 1"): finding it inside one of them is no trace (`Fingerprints.search`)."""
    return [
        str(r[0])
        for r in db.query(
            f"SELECT display_name FROM clients WHERE id NOT IN ({marks}) "
            "AND instr(display_name, ?) > 0 UNION SELECT legal_name FROM clients "
            f"WHERE id NOT IN ({marks}) AND instr(legal_name, ?) > 0",
            (*values, name, *values, name),
        )
    ]


def _fingerprints(
    vault: Vault, pdb: Database, ids: Sequence[int], sealed: SecretBytes
) -> Fingerprints:
    """Names, and words only the disposed clients' notes have (with the note bytes around a
    bounded number of them), taken round-robin across the clients' notes."""
    prints = Fingerprints()
    db = vault.db
    marks, values = ids_sql(ids)
    names: set[str] = set()
    for row in db.query(
        f"SELECT id, display_name, legal_name, legal_name_sealed FROM clients "
        f"WHERE id IN ({marks})",
        values,
    ):
        names.add(row["display_name"])
        if row["legal_name"]:
            names.add(row["legal_name"])
        if row["legal_name_sealed"] is not None:
            with contextlib.suppress(InvalidTag):
                names.add(
                    open_sealed(
                        sealed,
                        bytes(row["legal_name_sealed"]),
                        sealed_name_aad(vault.vault_id),
                        SEALED_NAME_PURPOSE,
                    ).decode("utf-8")
                )
    for name in sorted(names):
        # A name another client shares, or that remaining notes mention, proves nothing when
        # found: such names are counted, not searched.
        if _name_elsewhere(db, pdb, name, marks, values):
            prints.shared_names += 1
        else:
            prints.add_name(name, _names_containing(db, name, marks, values))
    _attachment_samples(db, prints, marks, values)
    texts = [
        str(r[0])
        for r in db.query(
            f"SELECT body FROM notes WHERE client_id IN ({marks}) ORDER BY client_id, id", values
        )
    ]
    texts += [
        str(r[0])
        for r in pdb.query(
            f"SELECT body FROM pnotes WHERE client_id IN ({marks}) ORDER BY client_id, id", values
        )
    ]
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


MAX_ATTACHMENT_SAMPLES = 8  # each is one more pass over the plaintext, like a note fragment
SAMPLE_BYTES = 24


def _attachment_samples(db: Database, prints: Fingerprints, marks: str, values: list[int]) -> None:
    """A few bytes from the middle of each disposed attachment (scan data: unmistakable), so
    verification searches every page for the files too. An attachment whose content another
    remaining attachment has (the same form filed for two clients) proves nothing: skipped."""
    from ..attachments.content import CHUNK_BYTES

    taken = 0
    for row in db.query(
        f"SELECT a.id, a.size FROM attachments a WHERE a.client_id IN ({marks}) "
        f"AND a.size >= 256 AND NOT EXISTS (SELECT 1 FROM attachments o WHERE "
        f"o.sha256 = a.sha256 AND (o.client_id IS NULL OR o.client_id NOT IN ({marks}))) "
        "ORDER BY a.id",
        [*values, *values],
    ):
        if taken >= MAX_ATTACHMENT_SAMPLES:
            return
        seq, offset = divmod(int(row["size"]) // 2, CHUNK_BYTES)
        sample = db.scalar(
            "SELECT substr(data, ?, ?) FROM attachment_chunks WHERE attachment_id = ? AND seq = ?",
            (offset + 1, SAMPLE_BYTES, int(row["id"]), seq),
        )
        if sample is not None and len(bytes(sample)) == SAMPLE_BYTES:
            prints.fragments.add(bytes(sample))
            taken += 1


# Rebuild the index instead of secure-deleting row by row past this many notes. Absolute, not a
# share of the vault: a rebuild re-tokenizes every remaining note (its cost grows with the
# vault), so a relative threshold rebuilt a 200,000-note index to delete 1,400 notes. Measured
# (bench/README.md): secure-delete 15-27 ms a note at 50k-200k notes.
REBUILD_NOTES = 2000


def _delete_records(
    vault: Vault, ids: Sequence[int], entries: Sequence[DestroyedRecord], performed_by: str
) -> int:
    db = vault.db
    marks, values = ids_sql(ids)
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO disposals (state, started_at, performed_by, client_ids, certificate) "
            "VALUES ('records_deleted', ?, ?, ?, ?)",
            (
                now_utc(),
                performed_by,
                json.dumps(values),
                json.dumps({"clients": [e.to_json() for e in entries]}, sort_keys=True),
            ),
        )
        disposal_id = int(cursor.lastrowid or 0)
        # No number the disposed rows held is handed out again (certificates, releases and
        # the audit log keep naming them).
        tables = {
            "notes",
            *(t for t, _ in client_columns(db)),
            *(t for t, _ in referencing(db, "notes")),
        }
        for table in sorted(tables):
            if any(
                col["name"] == "id" and col["pk"] and str(col["type"]).upper() == "INTEGER"
                for col in db.query(f"PRAGMA table_info({table})")
            ):
                db.retire_ids(table)
        # FTS5 'secure-delete' rewrites index segments per deleted row (15-27 ms a note
        # here); past REBUILD_NOTES notes, rebuilding the index from the remaining notes is
        # faster and just as clean (the old segments' pages are freed, zeroed by secure_delete,
        # and the whole file is re-encrypted afterwards anyway). Same transaction either way.
        doomed = int(db.scalar(f"SELECT count(*) FROM notes WHERE client_id IN ({marks})", values))
        rebuild = doomed > REBUILD_NOTES
        if rebuild:
            db.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES('secure-delete', 0)")
        # Rows of other features that point at these notes or clients go first; the records
        # schema cascades the rest (notes -> participants, spans, addenda).
        note_ids = f"SELECT id FROM notes WHERE client_id IN ({marks})"
        for table, column in referencing(db, "notes"):
            if table not in ("note_participants", "omit_spans", "notes"):
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({note_ids})", values)
        db.execute(f"DELETE FROM notes WHERE client_id IN ({marks})", values)
        for table, column in client_columns(db):
            if table != "clients":
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", values)
        db.execute(f"DELETE FROM clients WHERE id IN ({marks})", values)
        if rebuild:
            db.execute("INSERT INTO notes_fts(notes_fts) VALUES('rebuild')")
            db.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES('secure-delete', 1)")
        vault.audit.record(
            Action.DISPOSAL, "disposal", disposal_id, clients=len(values), step="records_deleted"
        )
    return disposal_id


def _delete_pnotes(pdb: Database, ids: Sequence[int]) -> int:
    marks, values = ids_sql(ids)
    with pdb.atomic():
        pdb.retire_ids("pnotes")
        cursor = pdb.execute(f"DELETE FROM pnotes WHERE client_id IN ({marks})", values)
    return int(cursor.rowcount)


def _set_state(
    vault: Vault, disposal_id: int, state: str, update: Mapping[str, Any] | None = None
) -> None:
    db = vault.db
    with db.atomic():
        cert = json.loads(
            str(db.scalar("SELECT certificate FROM disposals WHERE id = ?", (disposal_id,)))
        )
        cert.update(update or {})
        db.execute(
            "UPDATE disposals SET state = ?, certificate = ?, completed_at = "
            "CASE WHEN ? = 'complete' THEN ? ELSE completed_at END WHERE id = ?",
            (state, json.dumps(cert, sort_keys=True), state, now_utc(), disposal_id),
        )
        vault.audit.record(Action.DISPOSAL, "disposal", disposal_id, step=state)


def _rotate_all(
    vault: Vault,
    passphrase: str,
    keys: Mapping[KeyName, SecretBytes],
    new_keys: dict[KeyName, SecretBytes] | None = None,
    kek: SecretBytes | None = None,
) -> int:
    """Rotate both databases' keys; returns the new epoch. `keys` are the current (old) keys;
    copies of the new ones go to `new_keys` when given."""
    from ..vault import KEY_FILE, PNOTES_DB, RECORD_DB

    def work(record_db: Database) -> SecretBytes:
        pdb = pnotes_db(vault, keys[KeyName.PNOTES])
        try:
            _, new_record_key = rotate(
                vault.folder,
                vault.key_file,
                passphrase,
                record_db,
                pdb,
                keys,
                RECORD_DB,
                PNOTES_DB,
                KEY_FILE,
                keep=new_keys,
                kek=kek,
            )
        finally:
            pdb.close()
        return new_record_key

    vault._replace_storage(work)  # noqa: SLF001 - the one caller of the rotation hook
    return vault.key_file.epoch


def _purge_fts(db: Database, table: str) -> None:
    """Make sure deleted rows left no tokens: secure-delete must be on.

    With it on, FTS5 removed each deleted row's entries from the segments as the row went
    (and secure_delete zeroed the bytes freed); no 'optimize' merge is needed, which would
    rewrite the whole index, a cost that grows with the vault rather than with what goes."""
    if db.scalar(f"SELECT v FROM {table}_config WHERE k = 'secure-delete'") != 1:
        # A vault made before the option existed: turn it on and rebuild the index from the
        # remaining rows, which writes fresh segments without the deleted rows' tokens.
        db.execute(f"INSERT INTO {table}({table}, rank) VALUES('secure-delete', 1)")
        db.execute(f"INSERT INTO {table}({table}) VALUES('rebuild')")


def dispose(
    vault: Vault,
    passphrase: str,
    client_ids: Sequence[int],
    confirm_names: Sequence[str],
    *,
    performed_by: str | None = None,
    today: date | None = None,
    backups: BackupSide | None = None,
    overwrite_exports: bool = False,
) -> DisposalResult:
    """Dispose of the named clients for good, verify it, and issue a certificate.

    With `overwrite_exports`, every saved release or accounting of these clients found
    unchanged at its saved path is overwritten and unlinked first; either way the certificate
    lists each as a copy outside the vault."""
    ids = sorted(set(client_ids))
    refuse_if_aside(vault)
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
            raise StorageError(
                f"the backup drive {blocked[0].drive} is read-only, so the copy "
                f"{blocked[0].location} cannot be replaced; make it writable or "
                "disconnect it (it will be purged when next connected). Nothing "
                "was disposed of"
            )
        plans = plan(vault, ids, today=today, backups=backups, keys=keys)
        del rows
        pdb = pnotes_db(vault, keys[KeyName.PNOTES])
        try:
            prints = _fingerprints(vault, pdb, ids, keys[KeyName.SEALED])
            outside = {p.client_id: list(p.outside) for p in plans}
            if overwrite_exports:
                # Before the records go: the rows saying where the files are go with them.
                outside = overwrite_present(vault, outside)
            entries = [
                dataclasses.replace(p.certificate_entry(), outside=tuple(outside[p.client_id]))
                for p in plans
            ]
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


def _finish(
    vault: Vault,
    passphrase: str,
    disposal_id: int,
    ids: Sequence[int],
    copies: Sequence[BackupCopy] | None,
    backups: BackupSide | None,
    prints: Fingerprints | None,
    old_keys: Mapping[KeyName, SecretBytes],
    kek: SecretBytes | None = None,
) -> DisposalResult:
    epoch_before = vault.key_file.epoch
    state = vault.db.scalar("SELECT state FROM disposals WHERE id = ?", (disposal_id,))
    current: dict[KeyName, SecretBytes] = {}
    if state == "records_deleted":
        # Fingerprints an earlier disposal stored are sealed under the record key: read them
        # before the rotation, seal them again under the new key right after it.
        try:
            stored = _traces.load(vault)
        except _traces.TracesUnreadable:
            stored = None
        epoch_after = _rotate_all(vault, passphrase, old_keys, current, kek)
        if stored is not None:
            _traces.save(vault, stored)
            stored.wipe()
        _set_state(
            vault,
            disposal_id,
            "keys_rotated",
            {"epoch_before": epoch_before, "epoch_after": epoch_after},
        )
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
            # Each copy on its own: one that cannot be reached stays pending without keeping
            # the drive's other copies from being replaced now.
            group = [c for c in group if c.connected and c.writable]
            if not group:
                continue
            try:
                new_backups.append(backups.replace_copies(vault, group))
            except ConfideError as e:  # a drive that fails now is finished when next mounted
                failures.append(f"drive {drive}: {e}")
                continue
            done.update(c.location for c in group)
            replaced.extend(c.location for c in group)
        record_copies(vault, disposal_id, copies, done)
    if prints and pending_purges(vault, disposal_id=disposal_id):
        _keep_traces(vault, disposal_id, prints)
    retired = {k: v for k, v in old_keys.items()} if prints is not None else None
    try:
        report = verify(
            vault,
            passphrase,
            disposed_ids=ids,
            prints=prints,
            retired_keys=retired,
            backups=backups,
            keys=current or (None if retired else old_keys),
        )
    finally:
        wipe_keys(current)
    for failure in failures:
        report.pending.append(f"backup replacement failed, retried when next mounted: {failure}")
    # Copies on a drive reported lost are out of reach for good: the result must not read as
    # if every copy were handled.
    body = json.loads(
        str(vault.db.scalar("SELECT certificate FROM disposals WHERE id = ?", (disposal_id,)))
    )
    records = [DestroyedRecord.from_json(e) for e in body.get("clients", [])]
    for loc in sorted({str(b) for r in records for b in r.backups if b.lost}):
        report.pending.append(f"backup {loc}; it still opens with the passphrase of its day")
    if prints is None:
        report.add(
            "fingerprints",
            True,
            "this disposal was resumed after an interruption: "
            "names and note fingerprints were held in memory only and are gone, so the "
            "search covered identifiers, pages and keys",
        )
    pending = [
        {"drive": p.drive, "location": p.location}
        for p in pending_purges(vault, disposal_id=disposal_id)
    ]
    _set_state(
        vault,
        disposal_id,
        "complete",
        {
            "verification": report.to_json(),
            "backups": {"replaced": replaced, "written": new_backups, "pending": pending},
            # The audit log's anchor when the disposal completed: the certificate names it
            # (it must not change each time the certificate is shown).
            "audit_anchor": _anchor_json(vault),
        },
    )
    if prints is not None:
        prints.wipe()
    from .certificate import certificate

    return DisposalResult(disposal_id, certificate(vault, disposal_id), report)


def _keep_traces(vault: Vault, disposal_id: int, prints: Fingerprints) -> None:
    """A purge is pending: keep what its later verification needs, as keyed hashes."""
    try:
        stored = _traces.load(vault) or _traces.StoredTraces()
    except _traces.TracesUnreadable:
        stored = _traces.StoredTraces()  # unreadable anyway: replaced
    try:
        entry = stored.add(disposal_id, prints.names, prints.shingles)
        _traces.save(vault, stored)
    finally:
        stored.wipe()
    _set_state(
        vault,
        disposal_id,
        "keys_rotated",
        {"traces": {"kept": entry.describe(), "recorded_at": entry.recorded_at}},
    )


def _default_performer() -> str:
    with contextlib.suppress(OSError, KeyError):
        return getpass.getuser()
    return "clinician"


def unfinished(vault: Vault) -> list[int]:
    return [
        int(r[0])
        for r in vault.db.query("SELECT id FROM disposals WHERE state != 'complete' ORDER BY id")
    ]


def resume(
    vault: Vault, passphrase: str, backups: BackupSide | None = None
) -> list[DisposalResult]:
    """Finish every disposal a crash or kill interrupted (records already deleted)."""
    results = []
    for disposal_id in unfinished(vault):
        ids = json.loads(
            str(vault.db.scalar("SELECT client_ids FROM disposals WHERE id = ?", (disposal_id,)))
        )
        kek = vault.key_file.passphrase_kek(passphrase)
        keys = vault.key_file.unwrap_with_kek(kek, list(KeyName))
        try:
            pdb = pnotes_db(vault, keys[KeyName.PNOTES])
            try:
                _delete_pnotes(pdb, ids)
                _purge_fts(pdb, "pnotes_fts")
            finally:
                pdb.close()
            _purge_fts(vault.db, "notes_fts")
            results.append(
                _finish(vault, passphrase, disposal_id, ids, None, backups, None, keys, kek)
            )
        finally:
            wipe_keys(keys)
            kek.wipe()
    return results


__all__ = ["DisposalResult", "dispose", "resume", "unfinished"]


def _anchor_json(vault: Vault) -> dict[str, object] | None:
    anchor = vault.audit_anchor()
    return None if anchor is None else {"seq": anchor.seq, "head": anchor.head}
