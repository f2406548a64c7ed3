"""audit verify / list / acknowledge-rollback."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..exitcodes import DAMAGED, ROLLED_BACK
from ..output import table, to_jsonable
from ._common import add_command, add_group, unlocked

if TYPE_CHECKING:
    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(sub, "audit", "the audit log: verify the chain, list entries", common)
    add_command(group, "verify", "prove the audit chain is unbroken", common, cmd_verify)
    p = add_command(group, "list", "recent audit entries, newest first", common, cmd_list)
    p.add_argument("--limit", type=int, default=50, help="newest N entries (default 50)")
    add_command(
        group,
        "acknowledge-rollback",
        "record (passphrase again) that you have seen the rollbacks the log holds",
        common,
        cmd_acknowledge_rollback,
    )


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    with unlocked(ctx) as vault:
        report = vault.audit.verify()

    def text() -> str:
        if not report.ok:
            return (
                f"AUDIT CHAIN BROKEN at entry {report.first_broken_seq}: {report.reason} "
                f"({report.entries} entries verified before it)"
            )
        line = f"Audit chain intact: {report.entries} entries verified."
        pending = report.unacknowledged
        if pending:
            seqs = ", ".join(str(s) for s in pending)
            which = "entry" if len(pending) == 1 else "entries"
            line += (
                f"\nBUT THE VAULT WAS ROLLED BACK: {which} {seqs} record an unlock or a backup "
                "drive that found record.db or the key file older than what had been seen "
                "before; what was written between is not in this log (see `audit list`). Once "
                "you have dealt with it: confide audit acknowledge-rollback"
            )
        if report.acknowledged:
            seqs = ", ".join(str(s) for s in report.acknowledged)
            which = "entry" if len(report.acknowledged) == 1 else "entries"
            line += (
                f"\nEarlier rollbacks, acknowledged: {which} {seqs} (what was written before "
                "each is still missing from this log)."
            )
        return line

    ctx.out.emit(
        {**to_jsonable(report), "status": report.status, "unacknowledged": report.unacknowledged},
        text,
    )
    if not report.ok:
        return DAMAGED.code
    return ROLLED_BACK.code if report.unacknowledged else 0


def cmd_acknowledge_rollback(args: argparse.Namespace, ctx: Context) -> None:
    # Checked again by the vault (a fresh Argon2id derivation, as disposal does): whoever
    # finds a session left open cannot silence exit 16 without the passphrase.
    passphrase = ctx.secrets.passphrase()
    with unlocked(ctx) as vault:
        acknowledged = vault.acknowledge_rollback(passphrase)
    seqs = ", ".join(str(s) for s in acknowledged)
    which = "entry" if len(acknowledged) == 1 else "entries"
    ctx.out.emit(
        {"acknowledged": list(acknowledged)},
        lambda: (
            f"Rollback acknowledged (audit {which} {seqs}); `audit verify` still lists it, and "
            "reports any later rollback again."
            if acknowledged
            else "Nothing to acknowledge: no rollback is on record that is not acknowledged."
        ),
    )


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        entries = vault.audit.entries(limit=max(1, args.limit))
    ctx.out.emit(
        entries,
        lambda: table(
            ["SEQ", "WHEN", "ACTION", "OBJECT"],
            [
                (e.seq, e.at, e.action, f"{e.object_type or ''} {e.object_id or ''}".strip())
                for e in entries
            ],
        ),
    )
