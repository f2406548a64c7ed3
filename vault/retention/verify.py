"""Step 6 of a disposal, and `confide dispose verify`: prove the disposed clients are gone.

Every page of every vault file is decrypted by hand (free pages and WAL frames included) and
searched for the fingerprints; no file may decrypt under a retired key; the remaining backups on
connected drives are scanned the same way. The `Verification` says exactly what was checked.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..crypto import forensics
from ..crypto.forensics import Fingerprints
from ..crypto.keyslots import KeyName, wipe_keys
from ..crypto.secret import SecretBytes
from ..errors import ConfideError, RestoreLeftoverError
from ..storage import layout
from ..storage.database import Database
from ._common import client_columns, ids_sql, pnotes_db
from .purges import pending_purges
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
        return {
            "result": self.result,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "pending": list(self.pending),
        }


def _scan_file(
    path: Path, key: SecretBytes, prints: Fingerprints | None
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
    pdb = pnotes_db(vault, current[KeyName.PNOTES])
    try:
        db.checkpoint()
        pdb.checkpoint()
        # 1. every page of both databases, decrypted by hand with the current keys
        for name, key, live in (
            (RECORD_DB, current[KeyName.RECORD], db),
            (PNOTES_DB, current[KeyName.PNOTES], pdb),
        ):
            scan, found = _scan_file(vault.folder / name, key, prints)
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
                    f"{len(prints.fragments)} note-text fragments: {len(found)} found"
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
    return report


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


__all__ = ["Check", "Verification", "disposed_client_ids", "restore_asides", "verify"]
