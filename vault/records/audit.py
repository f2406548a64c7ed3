"""The audit log: append-only (database triggers refuse UPDATE/DELETE), hash-chained and keyed.

Each entry's hash covers its own fields and the previous entry's hash, so changing, removing or
reordering any entry breaks the chain from that point on; `verify()` names the first broken one.
Each entry also carries `mac`, an HMAC-SHA256 of its hash under the audit key, which lives in the
key file (wrapped under the record key), never in record.db: whoever opens the database with
its key can drop the triggers and recompute the hashes, but not the tags. The newest entry the
key file has seen (its anchor) must still be in the log with the same hash, so cutting entries
off the end, or an older record.db, shows too (up to the anchor; see `Vault`).
The log holds identifiers and counts only, never note text, names or search terms.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..crypto.auditkey import Anchor
from ..crypto.secret import SecretBytes
from ..storage.database import Database, now_utc

GENESIS = "0" * 64


class Action(StrEnum):
    INIT = "init"
    UNLOCK = "unlock"
    UNLOCK_FAILED = "unlock_failed"
    RECOVERY_UNLOCK = "recovery_unlock"
    LOCK = "lock"
    PASSPHRASE_CHANGE = "passphrase_change"  # noqa: S105 - an event name, not a secret
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DISCARD = "discard"
    SIGN = "sign"
    ADDENDUM = "addendum"
    FLAG = "flag"
    SEARCH = "search"
    REVEAL = "reveal"
    PNOTES_UNLOCK = "pnotes_unlock"
    PNOTES_LOCK = "pnotes_lock"
    EXPORT = "export"
    BACKUP = "backup"
    RESTORE = "restore"
    DISPOSAL = "disposal"
    # Disclosures (issue 6): identifiers and counts only, never content.
    EXPORT_PREVIEW = "export_preview"
    EXPORT_REFUSED = "export_refused"
    LEGAL_HOLD = "legal_hold"
    LEGAL_HOLD_RELEASE = "legal_hold_release"
    AUTHORIZATION = "authorization"
    AMENDMENT = "amendment"
    # The incident register (issue 17): record ids and counts only, never names or text.
    INCIDENT_OPEN = "incident_open"
    INCIDENT_EDIT = "incident_edit"
    INCIDENT_ASSESS = "incident_assess"
    INCIDENT_CONCLUDE = "incident_conclude"
    INCIDENT_NOTICE = "incident_notice"
    INCIDENT_CLOSE = "incident_close"
    INCIDENT_HHS_LOG = "incident_hhs_log"
    # De-identified case summaries (issue 15): not a disclosure, counts and choices only.
    CONSULT = "consult"
    PERSON = "person"
    # Keyed chain and rollback detection (issue 10 item 8).
    AUDIT_KEYED = "audit_keyed"
    ROLLBACK_DETECTED = "rollback_detected"
    # The right of access (issue 19): record ids, grounds and outcomes, never text or names.
    ACCESS_REQUEST = "access_request"
    ACCESS_DENIAL = "access_denial"
    REPRESENTATIVE = "representative"
    NOTICE = "notice"
    # The open export (issue 16): an export is EXPORT with object type "vault_export"; a
    # vault made from one records IMPORT (counts and the export's digest only).
    IMPORT = "import"
    # The practitioner, passphrase given again, has seen the rollbacks recorded before it.
    ROLLBACK_ACKNOWLEDGED = "rollback_acknowledged"
    # The records custodian (issue 16 part 2): designated, re-issued, revoked (object type
    # "custodian", the slot's serial); a letter template saved; a refused write in custodian mode.
    CUSTODIAN = "custodian"
    CUSTODIAN_UNLOCK = "custodian_unlock"
    CUSTODIAN_REFUSED = "custodian_refused"


_DetailValue = str | int | float | bool | None


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log, as stored."""

    seq: int
    at: str
    action: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    """What verifying the audit chain found."""

    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str | None = None
    # Entries recording a rollback found at unlock (seq numbers): the chain may be whole while
    # the vault went back in time before each of them.
    rollbacks: tuple[int, ...] = ()
    # Of `rollbacks`, those an acknowledgement entry (a later one) covers; still listed.
    acknowledged: tuple[int, ...] = ()

    @property
    def unacknowledged(self) -> tuple[int, ...]:
        return tuple(s for s in self.rollbacks if s not in self.acknowledged)

    @property
    def status(self) -> str:
        """ "intact", "rolled_back" (whole chain, but a rollback was recorded and not yet
        acknowledged), "acknowledged" (every recorded rollback acknowledged) or "broken"."""
        if not self.ok:
            return "broken"
        if self.unacknowledged:
            return "rolled_back"
        return "acknowledged" if self.rollbacks else "intact"


def _digest(
    prev_hash: str,
    seq: int,
    at: str,
    action: str,
    object_type: str | None,
    object_id: str | None,
    detail: str,
) -> str:
    canonical = json.dumps(
        [prev_hash, seq, at, action, object_type, object_id, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_mac(key: SecretBytes, entry_hash: str) -> str:
    """The entry's tag: its hash chains every earlier entry, so one HMAC of it suffices."""
    return hmac.new(
        key.reveal(), b"confide-audit-entry/v1/" + entry_hash.encode(), hashlib.sha256
    ).hexdigest()


class AuditLog:
    """`key` is the audit key (None only for a raw look at a database outside a vault, which
    then checks the hashes alone). `anchor` is what the key file has seen; `after_record` runs
    after each entry committed outside any transaction (the vault advances the anchor there)."""

    def __init__(
        self,
        db: Database,
        key: SecretBytes | None = None,
        anchor: Anchor | None = None,
        after_record: Callable[[int, str], None] | None = None,
    ) -> None:
        self._db = db
        self._key = key
        self.anchor = anchor
        self._after_record = after_record
        # Who acts, when not the clinician: set for a vault opened with the custodian key, so
        # every entry of that session names the custodian (its detail's "actor").
        self.actor: str | None = None

    def record(
        self,
        action: Action,
        object_type: str | None = None,
        object_id: str | int | None = None,
        **detail: _DetailValue,
    ) -> None:
        """Append one entry. Inside the caller's transaction when there is one."""
        if self.actor is not None:
            detail = {**detail, "actor": self.actor}
        detail_text = json.dumps(detail, sort_keys=True, separators=(",", ":"))
        with self._db.atomic():
            last = self._db.one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            seq = 1 if last is None else int(last["seq"]) + 1
            prev = GENESIS if last is None else str(last["hash"])
            at = now_utc()
            oid = None if object_id is None else str(object_id)
            digest = _digest(prev, seq, at, action.value, object_type, oid, detail_text)
            mac = None if self._key is None else entry_mac(self._key, digest)
            self._db.execute(
                "INSERT INTO audit_log (seq, at, action, object_type, object_id, detail, "
                "prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, action.value, object_type, oid, detail_text, prev, digest, mac),
            )
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"{seq}:{digest}",),
            )
        if self._after_record is not None and not self._db.in_transaction:
            self._after_record(seq, action.value)

    def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry, or None for an empty log."""
        last = self._db.one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        return None if last is None else (int(last["seq"]), str(last["hash"]))

    def hash_at(self, seq: int) -> str | None:
        value = self._db.scalar("SELECT hash FROM audit_log WHERE seq = ?", (seq,))
        return None if value is None else str(value)

    def untagged(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM audit_log WHERE mac IS NULL"))

    def tag_untagged(self, key: SecretBytes) -> int:
        """Give every entry written before tags its tag (the upgrade); returns how many. The
        hashes are not recomputed: an entry altered before the upgrade still fails `verify`."""
        with self._db.atomic():
            rows = self._db.query("SELECT seq, hash FROM audit_log WHERE mac IS NULL")
            for r in rows:
                self._db.execute(
                    "UPDATE audit_log SET mac = ? WHERE seq = ? AND mac IS NULL",
                    (entry_mac(key, str(r["hash"])), int(r["seq"])),
                )
        return len(rows)

    def entries(
        self,
        limit: int = 200,
        newest_first: bool = True,
        *,
        client: int | None = None,
        action: str | None = None,
        since: str | None = None,
        before: str | None = None,
    ) -> list[AuditEntry]:
        """Entries, optionally only those about `client` (the client itself, its timeline or
        psychotherapy notes, or naming it in the detail), of one `action`, and with `at` in
        [`since`, `before`) (stored UTC ISO strings, which sort as times)."""
        order = "DESC" if newest_first else "ASC"
        where: list[str] = []
        params: list[object] = []
        if client is not None:
            where.append(
                "((object_type IN ('client', 'timeline', 'pnotes') AND object_id = ?) "
                "OR json_extract(detail, '$.client') = ?)"
            )
            params += [str(client), client]
        if action is not None:
            where.append("action = ?")
            params.append(action)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if before is not None:
            where.append("at < ?")
            params.append(before)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._db.query(
            f"SELECT * FROM audit_log {clause}ORDER BY seq {order} LIMIT ?",  # noqa: S608 - fixed clauses
            (*params, limit),
        )
        return [
            AuditEntry(
                int(r["seq"]),
                r["at"],
                r["action"],
                r["object_type"],
                r["object_id"],
                json.loads(r["detail"]),
                r["prev_hash"],
                r["hash"],
            )
            for r in rows
        ]

    def verify(self) -> AuditReport:
        prev = GENESIS
        expected_seq = 1
        count = 0
        # query(), not a live cursor: a damaged page must surface as a DamagedFileError.
        for r in self._db.query("SELECT * FROM audit_log ORDER BY seq"):
            seq = int(r["seq"])
            if seq != expected_seq:
                return AuditReport(False, count, expected_seq, f"entry {expected_seq} is missing")
            if r["prev_hash"] != prev:
                return AuditReport(
                    False, count, seq, f"entry {seq} does not follow entry {seq - 1}"
                )
            digest = _digest(
                prev, seq, r["at"], r["action"], r["object_type"], r["object_id"], r["detail"]
            )
            if digest != r["hash"]:
                return AuditReport(False, count, seq, f"entry {seq} was altered")
            if self._key is not None:
                mac = r["mac"]
                if mac is None or not hmac.compare_digest(str(mac), entry_mac(self._key, digest)):
                    return AuditReport(
                        False,
                        count,
                        seq,
                        f"entry {seq} was altered or rewritten (its tag under the audit key "
                        "does not match)",
                    )
            prev = digest
            expected_seq += 1
            count += 1
        head = self._db.scalar("SELECT value FROM meta WHERE key = 'audit_head'")
        if head is not None and head != f"{count}:{prev}":
            return AuditReport(False, count, count + 1, f"entries after {count} were removed")
        anchor = self.anchor
        if anchor is not None and anchor.seq > count:
            return AuditReport(
                False,
                count,
                count + 1,
                f"the log ends at entry {count} but the key file has seen entry {anchor.seq}: "
                "entries were removed or record.db is an older copy",
            )
        if anchor is not None and self.hash_at(anchor.seq) != anchor.head:
            return AuditReport(
                False,
                count,
                anchor.seq,
                f"entry {anchor.seq} is not the one the key file has seen",
            )
        rollbacks = self._seqs(Action.ROLLBACK_DETECTED)
        # An acknowledgement covers the rollbacks recorded before it, never a later one.
        last_ack = max(self._seqs(Action.ROLLBACK_ACKNOWLEDGED), default=0)
        acknowledged = tuple(s for s in rollbacks if s < last_ack)
        return AuditReport(True, count, rollbacks=rollbacks, acknowledged=acknowledged)

    def rollback_recorded(self, seen_seq: int, seen_head: str) -> bool:
        """Whether a rollback entry already records this finding (the other side's entry
        `seen_seq` with hash `seen_head`), so a backup drive's finding is audited once."""
        for r in self._db.query(
            "SELECT detail FROM audit_log WHERE action = ? ORDER BY seq",
            (Action.ROLLBACK_DETECTED.value,),
        ):
            try:
                detail = json.loads(str(r[0]))
            except ValueError:
                continue
            if detail.get("seen_seq") == seen_seq and detail.get("seen_head") == seen_head:
                return True
        return False

    def _seqs(self, action: Action) -> tuple[int, ...]:
        return tuple(
            int(r[0])
            for r in self._db.query(
                "SELECT seq FROM audit_log WHERE action = ? ORDER BY seq", (action.value,)
            )
        )
