"""Step 6 of a disposal, and `confide dispose verify`: prove the disposed clients are gone.

Every page of every vault file is decrypted by hand (free pages and WAL frames included) and
searched for the fingerprints; no file may decrypt under a retired key; the remaining backups on
connected drives are scanned the same way. The `Verification` says exactly what was checked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..crypto import forensics, reencrypt, rekey
from ..crypto.forensics import Fingerprints
from ..crypto.keyslots import KeyName, wipe_keys
from ..crypto.secret import SecretBytes
from ..errors import ConfideError, DamagedFileError, RestoreLeftoverError, StorageError
from ..storage import layout
from ..storage.database import Database, now_utc
from ..storage.media import MediaFinding, examine, limits_line
from . import traces as _traces
from ._common import client_columns, ids_sql, pnotes_db
from .purges import pending_purges
from .traces import TraceScanner
from .types import BackupSide

if TYPE_CHECKING:
    from ..vault import Vault


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
    # What the media do to an overwrite (`storage.media`): a limit qualifies every PASS.
    media: list[MediaFinding] = field(default_factory=list)

    @property
    def limits(self) -> str:
        return limits_line(self.media)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def result(self) -> str:
        if not self.ok:
            return "FAIL"
        result = f"PASS with limits: {self.limits}" if self.limits else "PASS"
        return result + (", with backups pending" if self.pending else "")

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "pending": list(self.pending),
            "media": [m.to_json() for m in self.media],
        }


_HMAC_FAILED = re.compile(r"HMAC verification failed for page (\d+)")


def _scan_file(
    path: Path,
    key: SecretBytes,
    prints: Fingerprints | None,
    scanner: TraceScanner | None = None,
    searched: forensics.SearchedPages | None = None,
    live: Database | None = None,
) -> tuple[forensics.FileScan, set[bytes]]:
    """Decrypt and search every page of `path`. With `live` (its open connection, idle
    meanwhile), the pages' HMACs are checked beside the decryption and search here: for a
    large file, two thirds by a worker process on the other core and the first third
    here (SQLCipher's `cipher_integrity_check`, one thread in C, took 2.5 s at 200,000 notes
    against 1.5 s of HMAC-SHA512 on one core); for a small one, by `cipher_integrity_check`
    in a second thread. Either way, the same check of every page under the current key."""
    scan = forensics.FileScan(path.name)
    stream = forensics.StreamSearch(prints) if prints else None
    tags = searched.record(path.name) if searched is not None else None
    problems: list[str] = []
    failure: list[Exception] = []
    size = path.stat().st_size if path.is_file() else 0
    pages = size // forensics.PAGE_SIZE
    split = live is not None and size >= rekey.PARALLEL_BYTES
    # The worker only MACs; this process also decrypts and searches every page: it MACs a
    # third (measured: HMAC-SHA512 about 6.6 us a page here, decryption and search about 2).
    mine = max(1, pages // 3) if split else None

    def integrity() -> None:
        assert live is not None
        try:
            problems.extend(str(r[0]) for r in live.query("PRAGMA cipher_integrity_check"))
        except Exception as e:  # noqa: BLE001 - re-raised below, in the caller's thread
            failure.append(e)

    checker = (
        threading.Thread(target=integrity, name="integrity")
        if live is not None and not split
        else None
    )
    worker = None
    if mine is not None:
        request = bytearray(reencrypt.CHECK.pack(mine + 1, pages, key.reveal()))
        try:
            worker = rekey.start_worker(["check"], request, path)
        except StorageError:
            mine = None  # no second process here: every page is checked in this one
    if checker is not None:
        checker.start()
    try:
        for plain in forensics.scan_file(
            path,
            key.reveal(),
            scan,
            tags,
            authenticate=checker is None,
            until=mine,
        ):
            if stream is not None:
                stream.feed(plain)
            if scanner is not None:
                scanner.feed(plain)
        if worker is not None:
            answer = rekey.worker_answer(worker)
            worker = None
            if answer[0] != "failed" or not all(a.isdigit() for a in answer[1:]):
                raise DamagedFileError(f"the check of {path.name} gave no answer")
            problems.extend(f"HMAC verification failed for page {a}" for a in answer[1:])
    finally:
        if checker is not None:
            checker.join()
        if worker is not None:  # the scan here failed: its other half is not needed
            worker.kill()
            worker.wait()
    if checker is not None or mine is not None:  # some pages were checked elsewhere
        if failure:
            raise failure[0]
        file_pages = scan.pages
        checked_here = 0 if mine is None else min(mine, file_pages)
        for problem in problems:
            match = _HMAC_FAILED.search(problem)
            # Anything else it reports (a page of the wrong size) fails the file as a whole.
            pgno = int(match[1]) if match else file_pages + 1
            scan.failed_pages.append(pgno)
            if tags is not None and 0 < pgno <= file_pages:
                start = forensics.TAG_LEN * (pgno - 1)
                tags[start : start + forensics.TAG_LEN] = bytes(forensics.TAG_LEN)
        elsewhere = file_pages - checked_here
        scan.verified += elsewhere - min(elsewhere, len(problems))
    return scan, (stream.end() if stream is not None else set())


def media_findings(vault: Vault, backups: BackupSide | None) -> list[MediaFinding]:
    """What the vault's filesystem, and each connected backup drive's, does to an overwrite."""
    found = [examine(vault.folder, "vault")]
    if backups is not None:
        seen: set[str] = set()
        # Which drives are connected, not which file is which: no archive is read whole for
        # its digest here (a disposal's verification already read each one).
        for copy in backups.copies_to_replace(vault, exact=False):
            if copy.connected and copy.drive not in seen:
                seen.add(copy.drive)
                found.append(examine(Path(copy.location).parent, f"backup drive {copy.drive}"))
    return found


def restore_asides(folder: Path) -> list[Path]:
    """Previous vaults a `restore --force` kept aside beside `folder` and a kill left there.

    Such a copy holds records (disposed clients' included) under keys the passphrase unwraps,
    so disposal cannot vouch for anything while one exists. Named in storage/layout.py, which
    `backup.restore` uses too (vault/ may not import backup).
    """
    return layout.restore_asides(folder)


def refuse_if_aside(vault: Vault) -> None:
    asides = restore_asides(vault.folder)
    if asides:
        raise RestoreLeftoverError(
            f"an interrupted restore left a previous copy of this vault at {asides[0]}; it would "
            "keep the disposed records, so nothing was disposed of",
            asides[0],
        )


def verify(
    vault: Vault,
    passphrase: str,
    *,
    disposed_ids: Collection[int] | None = None,
    prints: Fingerprints | None = None,
    retired_keys: Mapping[KeyName, SecretBytes] | None = None,
    backups: BackupSide | None = None,
    keys: Mapping[KeyName, SecretBytes] | None = None,
) -> Verification:
    """Prove the disposed clients are gone, saying exactly what was checked."""
    from ..vault import PNOTES_DB, RECORD_DB

    report = Verification()
    db = vault.db
    ids = set(disposed_ids if disposed_ids is not None else disposed_client_ids(vault))
    owned = keys is None
    current = keys or vault.key_file.unwrap_with_passphrase(passphrase, list(KeyName))
    # The fingerprints kept for disposals whose purge was pending (`traces.py`): what lets a
    # verification after a late purge search for content, not only for identifiers.
    stored: _traces.StoredTraces | None = None
    unreadable = False
    try:
        stored = _traces.load(vault)
    except _traces.TracesUnreadable:
        unreadable = True
    scanner = stored.scanner() if stored else None
    pdb = pnotes_db(vault, current[KeyName.PNOTES])
    # The vault's pages searched below: a backup's identical pages are not decrypted again.
    searched = forensics.SearchedPages()
    try:
        db.checkpoint()
        pdb.checkpoint()
        # 1. every page of both databases, decrypted by hand with the current keys
        for name, key, live in (
            (RECORD_DB, current[KeyName.RECORD], db),
            (PNOTES_DB, current[KeyName.PNOTES], pdb),
        ):
            scan, found = _scan_file(vault.folder / name, key, prints, scanner, searched, live)
            report.add(
                f"{name}: pages",
                not scan.failed_pages,
                f"{scan.pages} pages and {scan.wal_frames} WAL frames decrypted with the "
                f"current key (epoch {vault.key_file.epoch}); {scan.verified} "
                f"authenticated, {len(scan.failed_pages)} did not",
            )
            if prints:
                report.add(
                    f"{name}: traces",
                    not found,
                    f"searched every page for {len(prints.names)} names and "
                    f"{len(prints.fragments)} note-text and attachment fragments: "
                    f"{len(found)} found"
                    + (
                        f" ({prints.shared_names} names shared with remaining records not searched)"
                        if prints.shared_names
                        else ""
                    ),
                )
            # The page-by-page re-encryption copies free pages as they are: secure_delete
            # zero-filled them when they were freed, and they were decrypted and searched above.
            free = int(live.scalar("PRAGMA freelist_count"))
            report.add(
                f"{name}: free pages",
                True,
                f"{free} free pages"
                + (
                    " (zero-filled by secure_delete, decrypted and searched with the others)"
                    if free
                    else ""
                ),
            )
            fts = "notes_fts" if name == RECORD_DB else "pnotes_fts"
            secure = live.scalar(f"SELECT v FROM {fts}_config WHERE k = 'secure-delete'")
            report.add(
                f"{name}: full-text index",
                secure == 1,
                f"{fts} 'secure-delete' is {'on' if secure == 1 else 'OFF'}",
            )
        # 2. the full-text index no longer knows the disposed notes' distinctive words
        if prints and prints.words:
            words = sorted(prints.words)[:500]
            hits = [
                w for w in words if _fts_has(db, "notes_fts", w) or _fts_has(pdb, "pnotes_fts", w)
            ]
            report.add(
                "full-text tokens",
                not hits,
                f"{len(words)} words only the disposed notes had: {len(hits)} still indexed",
            )
        # 3. identifiers: no live row names a disposed client
        left = _rows_naming(db, ids) + [
            f"pnotes: {n}"
            for n in [
                int(
                    pdb.scalar(
                        f"SELECT count(*) FROM pnotes WHERE client_id IN ({ids_sql(ids)[0]})",
                        ids_sql(ids)[1],
                    )
                )
            ]
            if ids and n
        ]
        report.add(
            "identifiers",
            not left,
            f"{len(ids)} disposed client identifiers looked up in every table except the "
            "audit log and the disposal log: " + ("none found" if not left else ", ".join(left)),
        )
        # 4. every remaining backup on a connected drive, decrypted the same way
        if backups is not None:
            for location, chunks in backups.remaining_plaintext(vault, current, searched):
                matched = searched.matched
                # Chunk by chunk as the archive is read (constant memory); a name cut by a
                # chunk boundary is still found (`StreamSearch`).
                stream = forensics.StreamSearch(prints) if prints else None
                size = 0
                try:
                    for chunk in chunks:
                        size += len(chunk)
                        if stream is not None:
                            stream.feed(chunk)
                        if scanner is not None:
                            scanner.feed(chunk)
                except ConfideError as e:
                    report.add(f"backup {location}", False, f"could not be checked: {e}")
                    continue
                found_b = stream.end() if stream is not None else set()
                detail = f"{size} bytes decrypted"
                same = searched.matched - matched
                if same:
                    detail += (
                        f" and {same} bytes of pages identical to the vault's own (same page, "
                        "same HMAC), searched with them"
                    )
                if prints:
                    detail += f", {len(found_b)} traces found"
                report.add(f"backup {location}", not found_b, detail)
        if stored and scanner is not None:
            _content_check(vault, passphrase, stored, scanner, backups, report)
    finally:
        pdb.close()
        if owned:
            wipe_keys(current)
        if stored is not None:
            stored.wipe()
    _destroyed_traces(vault, report, unreadable)
    if prints is None and not any(c.name.startswith("content") for c in report.checks):
        report.add(
            "content",
            True,
            "no fingerprints are stored (a disposal keeps them only "
            "while a backup purge is pending; its content was searched for when it ran): "
            "identifiers, pages and keys were checked",
        )
    # A previous vault a killed restore left aside holds every record it had, disposed or not.
    asides = restore_asides(vault.folder)
    report.add(
        "copies kept aside by a restore",
        not asides,
        "none beside the vault folder"
        if not asides
        else "an interrupted restore left a previous copy of this vault (it may hold the "
        "disposed records) at " + ", ".join(str(a) for a in asides),
    )
    # A killed restore test's copy beside the vault: a whole vault the passphrase opens.
    tests = layout.restore_tests(vault.folder)
    report.add(
        "copies left by a restore test",
        not tests,
        "none beside the vault folder"
        if not tests
        else "an interrupted restore test left a full copy of this vault (it may hold the "
        "disposed records) at " + ", ".join(str(t) for t in tests),
    )
    # 5. the vault folder: no journal, no stale copy, nothing under a retired key
    leftovers = [
        p.name
        for p in sorted(vault.folder.iterdir())
        if p.name.endswith(("-journal", ".pending")) or ".epoch-" in p.name
    ]
    report.add(
        "vault folder",
        not leftovers,
        "no rollback journal, pending key file or stale copy"
        if not leftovers
        else "left over: " + ", ".join(leftovers),
    )
    if retired_keys:
        files = [p for p in sorted(vault.folder.iterdir()) if p.is_file()]
        bad = [
            f"{p.name}"
            for p in files
            for k in retired_keys.values()
            if forensics.decrypts_under(p, k.reveal())
        ]
        report.add(
            "retired keys",
            not bad,
            f"{len(files)} files tried with {len(retired_keys)} retired keys: "
            + ("none decrypts" if not bad else "decrypts: " + ", ".join(bad)),
        )
    for purge in pending_purges(vault):
        report.pending.append(f"backup {purge.location} on drive {purge.drive} (not connected)")
    report.media = media_findings(vault, backups)
    for finding in report.media:
        # Not a failure (nothing Confide can do about it), but never hidden behind a bare PASS.
        report.add(f"media: {finding.what}", True, finding.summary())
    return report


def _cert_id(disposal_id: int) -> str:
    return f"D-{disposal_id:05d}"  # certificate.certificate_id (which imports this module)


def _content_check(
    vault: Vault,
    passphrase: str,
    stored: _traces.StoredTraces,
    scanner: TraceScanner,
    backups: BackupSide | None,
    report: Verification,
) -> None:
    """Search with each stored disposal's fingerprints (the vault's pages and its good backups
    were fed to `scanner` already), plus every archive on the drives of its purges, opened
    with the passphrase as an examiner would; then drop the fingerprints of each disposal whose
    last purge is done and whose content was not found: with the last, their key is gone."""
    ids = sorted(stored.entries)
    archives: list[str] = []
    if backups is not None:
        marks, values = ids_sql(ids)
        drives = {
            str(r[0])
            for r in vault.db.query(
                f"SELECT DISTINCT drive FROM backup_purges WHERE disposal_id IN ({marks})", values
            )
        }
        for location, chunks in backups.every_archive(vault, passphrase, drives):
            try:
                for chunk in chunks:
                    scanner.feed(chunk)
            except ConfideError as e:
                report.add(
                    f"content: {location}",
                    False,
                    f"could not be opened with the passphrase to search it: {e}",
                )
                continue
            archives.append(Path(location).name)
    where = f"{scanner.bytes} bytes of vault pages and backups" + (
        f", including {len(archives)} archive(s) on the drives of its purges opened "
        "with the passphrase"
        if archives
        else ""
    )
    done: list[int] = []
    for disposal_id in ids:
        entry = stored.entries[disposal_id]
        found = scanner.found.get(disposal_id, 0)
        report.add(
            f"content of {_cert_id(disposal_id)} (stored fingerprints)",
            not found,
            f"searched {where} for {entry.describe()}: {found} found",
        )
        if not found and not pending_purges(vault, disposal_id=disposal_id):
            done.append(disposal_id)
    for disposal_id in done:
        _note_content_check(vault, disposal_id, stored.entries.pop(disposal_id), where)
    if done:
        _traces.save(vault, stored)  # with no entry left: the file is overwritten and unlinked
        for disposal_id in done:
            report.add(
                f"content of {_cert_id(disposal_id)}: fingerprints destroyed",
                True,
                "its last pending purge is done and its content was not found: its "
                "stored fingerprints were destroyed"
                + ("" if stored.entries else " with their key")
                + "; no later verification can search for its content",
            )


def _note_content_check(
    vault: Vault, disposal_id: int, entry: _traces.DisposalTraces, where: str
) -> None:
    db = vault.db
    with db.atomic():
        cert = json.loads(
            str(db.scalar("SELECT certificate FROM disposals WHERE id = ?", (disposal_id,)))
        )
        check = (
            f"content check {now_utc()}: searched {where} for {entry.describe()}: none "
            "found; the fingerprints were then destroyed"
        )
        for later in cert.setdefault("backups", {}).setdefault("completed_later", []):
            later.setdefault("content_check", check)
        cert["traces"] = {
            **cert.get("traces", {}),
            "destroyed_at": now_utc(),
            "content_check": check,
        }
        db.execute(
            "UPDATE disposals SET certificate = ? WHERE id = ?",
            (json.dumps(cert, sort_keys=True), disposal_id),
        )


def _destroyed_traces(vault: Vault, report: Verification, unreadable: bool) -> None:
    """Say, for each disposal that once kept fingerprints, that its content can no longer be
    searched for (their key is gone); and when the stored ones could not be opened."""
    if unreadable:
        report.add(
            "stored fingerprints",
            True,
            f"{_traces.TRACES_FILE} does not open under the current key (a disposal was "
            "interrupted between its key rotation and re-sealing it): no content check",
        )
    for row in vault.db.query("SELECT id, certificate FROM disposals ORDER BY id"):
        traces = json.loads(row["certificate"]).get("traces", {})
        if traces.get("destroyed_at") and not any(
            c.name.startswith(f"content of {_cert_id(int(row['id']))}") for c in report.checks
        ):
            report.add(
                f"content of {_cert_id(int(row['id']))}",
                True,
                f"its stored fingerprints were destroyed on {traces['destroyed_at'][:10]} "
                "after its last pending purge was verified; its content cannot be "
                "checked any more (identifiers, pages and keys were)",
            )


def _fts_has(db: Database, table: str, word: str) -> bool:
    phrase = '"' + word.replace('"', '""') + '"'
    return bool(db.scalar(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (phrase,)))


def _rows_naming(db: Database, ids: Collection[int]) -> list[str]:
    if not ids:
        return []
    marks, values = ids_sql(ids)
    found = []
    for table, column in client_columns(db):
        n = int(db.scalar(f"SELECT count(*) FROM {table} WHERE {column} IN ({marks})", values))
        if n:
            found.append(f"{table}: {n}")
    return found


def disposed_client_ids(vault: Vault) -> list[int]:
    ids: set[int] = set()
    for row in vault.db.query("SELECT client_ids FROM disposals"):
        ids.update(int(i) for i in json.loads(row[0]))
    return sorted(ids)


__all__ = [
    "Check",
    "Verification",
    "disposed_client_ids",
    "media_findings",
    "restore_asides",
    "verify",
]
