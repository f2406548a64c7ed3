"""retention list/policies/add/set/default, and dispose (queue, clients, verify, certificate, log).

`confide dispose` takes its action as the first word so the issue's forms read naturally:

    confide dispose --due                         what is past retention, and what would go
    confide dispose C-00012 C-00015 --confirm "Ann Lee" "Bo Chen"
    confide dispose verify                        prove again that disposed clients are gone
    confide dispose certificate D-00001 --pdf cert.pdf
    confide dispose log                           every disposal ever made
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import table
from ..progress import Progress
from ._common import add_command, add_group, client_id, unlocked

if TYPE_CHECKING:
    from datetime import date

    from vault import Vault

    from ...workflows import disposal as flows
    from ..main import Context

ACTIONS = ("verify", "certificate", "log")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(
        sub, "retention", "retention policies and each client's disposal date", common
    )
    p = add_command(
        group,
        "list",
        "every client's policy and disposal date, soonest first",
        common,
        cmd_retention_list,
    )
    p.add_argument("--due", action="store_true", help="only clients past retention")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="compute as of this date")
    add_command(
        group, "policies", "presets (with sources) and custom policies", common, cmd_policies
    )
    p = add_command(
        group,
        "add",
        "a custom policy: years after last service, and for minors "
        "years after the age of majority (the later wins)",
        common,
        cmd_policy_add,
    )
    p.add_argument("key", help="short key, e.g. de-psych")
    p.add_argument("--label", required=True, help="what the policy is (and its source)")
    p.add_argument(
        "--years", type=int, required=True, metavar="N", help="years after the last service"
    )
    p.add_argument(
        "--minor-years",
        type=int,
        metavar="N",
        help="for a client who was a minor: years after the age of majority",
    )
    p.add_argument(
        "--majority", type=int, default=18, metavar="AGE", help="age of majority (default 18)"
    )
    p = add_command(
        group, "set", "give a client a policy (or 'default')", common, cmd_retention_set
    )
    p.add_argument("client")
    p.add_argument("policy")
    p = add_command(group, "default", "the vault's default policy", common, cmd_default)
    p.add_argument("policy")

    p = add_command(
        sub,
        "dispose",
        "the disposal queue, disposal of named clients, verification, certificates",
        common,
        cmd_dispose,
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="CLIENT|ACTION",
        help="clients to dispose of; or verify, certificate ID, log",
    )
    p.add_argument(
        "--due",
        action="store_true",
        help="list clients past retention and not on hold, with what would go",
    )
    p.add_argument(
        "--confirm",
        nargs="+",
        metavar="NAME",
        default=[],
        help="the names of exactly the clients being disposed of",
    )
    p.add_argument("--by", metavar="NAME", help="who performs the disposal (certificate)")
    p.add_argument(
        "--overwrite-exports",
        action="store_true",
        help="also overwrite and remove the clients' saved releases and accountings "
        "still unchanged at the path they were saved to",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--pdf", metavar="FILE", help="certificate: write it as PDF to FILE")
    out.add_argument("--text", metavar="FILE", help="certificate: write it as text to FILE")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="queue: compute as of this date")
    p.add_argument("--force", action="store_true", help="certificate: replace FILE if it exists")


def _day(text: str | None) -> date | None:
    from datetime import date

    from vault import UsageError

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date (YYYY-MM-DD)") from None


# ---------------------------------------------------------------------------- retention


def cmd_retention_list(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        rows = vault.retention.schedule(_day(args.as_of))
    if args.due:
        rows = [r for r in rows if r.is_due]
    ctx.out.emit(
        rows,
        lambda: (
            table(
                ["CLIENT", "NAME", "POLICY", "LAST SERVICE", "DISPOSE ON", "STATUS"],
                [
                    (
                        r.record_id,
                        r.display_name,
                        r.policy + (" (minor)" if r.minor_rule else ""),
                        r.last_service_date,
                        r.disposal_date,
                        r.status + (f": {r.holds[0].reason}" if r.holds else ""),
                    )
                    for r in rows
                ],
            )
            if rows
            else "No clients."
        ),
    )


def cmd_policies(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        policies = vault.retention.policies()
        default = vault.retention.default().key
    ctx.out.emit(
        {"default": default, "policies": policies},
        lambda: (
            table(
                ["KEY", "RULE", "SOURCE"],
                [
                    (p.key + (" *" if p.key == default else ""), p.describe(), p.source)
                    for p in policies
                ],
            )
            + "\n* the vault default"
        ),
    )


def cmd_policy_add(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        policy = vault.retention.add(
            args.key, args.label, args.years, args.minor_years, args.majority
        )
    ctx.out.emit(policy, lambda: f"Added policy {policy.key}: {policy.describe()}")


def cmd_retention_set(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    key = None if args.policy.strip().lower() == "default" else args.policy
    with unlocked(ctx) as vault:
        vault.retention.set(cid, key)
        (row,) = vault.retention.schedule(None, [cid])
    ctx.out.emit(
        row, lambda: f"{row.record_id}: policy {row.policy}, disposal date {row.disposal_date}"
    )


def cmd_default(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        policy = vault.retention.set_default(args.policy)
    ctx.out.emit(policy, lambda: f"Default policy: {policy.key} ({policy.describe()})")


# ---------------------------------------------------------------------------- dispose


def cmd_dispose(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError

    targets: list[str] = list(args.targets)
    action = targets[0].lower() if targets and targets[0].lower() in ACTIONS else None
    if action == "log":
        return _log(ctx)
    if action == "certificate":
        return _certificate(args, ctx, targets[1:])
    if action == "verify":
        return _verify(ctx)
    if args.pdf or args.text or args.force:
        raise UsageError("--pdf, --text and --force go with `confide dispose certificate ID`")
    if args.due or not targets:
        return _queue(args, ctx)
    return _dispose(args, ctx, targets)


def _show(ctx: Context, resumed: flows.Resumed) -> None:
    """What finishing an earlier disposal did, on standard error."""
    for line in resumed.lines():
        ctx.out.info(line)


def _queue(args: argparse.Namespace, ctx: Context) -> None:
    from vault.retention.exports import PRESENT

    from ...workflows import disposal as flows

    passphrase = ctx.secrets.passphrase()
    with unlocked(ctx) as vault:
        rows = flows.queue(
            vault, passphrase, partial(_show, ctx), today=_day(args.as_of), authenticated=True
        )
        media = flows.media(vault)
    warnings = [f"WARNING: {m.summary()}" for m in media if m.limited]

    def text() -> str:
        if not rows:
            return "\n".join(
                warnings + ["No client is past retention (clients on legal hold are never listed)."]
            )
        lines = [
            table(
                ["CLIENT", "NAME", "POLICY", "DUE SINCE", "NOTES", "SESSIONS", "PNOTES", "BACKUPS"],
                [
                    (
                        r.record_id,
                        r.display_name,
                        r.policy,
                        r.disposal_date,
                        r.notes,
                        f"{r.first_session or '-'}..{r.last_session or '-'}",
                        f"{r.pnotes}"
                        + (f" ({r.pnotes_first}..{r.pnotes_last})" if r.pnotes else ""),
                        len(r.backups),
                    )
                    for r in rows
                ],
            )
        ]
        for r in rows:
            extra = []
            if r.joint_notes_kept:
                extra.append(
                    f"named in {r.joint_notes_kept} joint notes of other clients "
                    "(kept, without this client)"
                )
            if r.related_rows:
                extra.append(
                    "also: " + ", ".join(f"{k} {v}" for k, v in sorted(r.related_rows.items()))
                )
            extra += [f"backup copy: {b}" for b in r.backups]
            extra += [
                f"outside the vault: {o.describe()}"
                + (f" [{o.path}]" if o.copy == PRESENT and o.path else "")
                for o in r.outside
            ]
            lines += [f"  {r.record_id}: {e}" for e in extra]
        names = " ".join(f'"{r.display_name}"' for r in rows)
        if any(o.copy == PRESENT for r in rows for o in r.outside):
            lines.append(
                "\nSaved releases are still at their saved paths: add "
                "--overwrite-exports to overwrite them with the disposal."
            )
        if warnings:
            lines += [
                "",
                *warnings,
                "  Overwriting cannot be relied on there: old copies of "
                "the key file and vault files may survive and open with today's "
                "passphrase.",
            ]
        lines.append(
            "\nNothing has been destroyed. To dispose of these clients:\n  confide "
            f"dispose {' '.join(r.record_id for r in rows)} --confirm {names}"
        )
        return "\n".join(lines)

    ctx.out.emit([r.to_json() for r in rows], text)


def _dispose(args: argparse.Namespace, ctx: Context, targets: list[str]) -> None:
    from backup.purge import DisposalBackups
    from vault import UsageError
    from vault.retention.certificate import render_text

    from ...workflows import disposal as flows

    ids = [client_id(t) for t in targets]
    if not args.confirm:
        raise UsageError(
            "disposal destroys records for good: add --confirm with the name of "
            "each client (see `confide dispose --due`)"
        )
    passphrase = ctx.secrets.passphrase()
    progress = Progress(ctx.out)

    class ReportingBackups(DisposalBackups):
        """Tells the progress display when the backups are being rewritten, drive by drive."""

        replaced = 0

        def replace_copies(self, vault: Any, copies: Any) -> str:
            progress.update("backups", self.replaced, self.replaced + len(copies), unit="files")
            done = super().replace_copies(vault, copies)
            self.replaced += len(copies)
            progress.update("backups", self.replaced, self.replaced, unit="files")
            return done

    with unlocked(ctx) as vault:
        for m in flows.media(vault):
            if m.limited:
                ctx.out.info(f"warning: {m.summary()}")
        overwrite = args.overwrite_exports or _ask_overwrite(vault, ctx, ids)
        # Re-encryption reports no fraction: a spinner, so seconds of silence read as work.
        progress.update("dispose", unit="steps")
        try:
            result = flows.dispose(
                vault,
                passphrase,
                ids,
                args.confirm,
                partial(_show, ctx),
                performed_by=args.by,
                authenticated=True,
                backups=ReportingBackups(),
                overwrite_exports=overwrite,
            )
        finally:
            progress.done()
    ctx.out.emit(result.certificate.to_json(), lambda: render_text(result.certificate))
    if not result.verification.ok:
        raise_failed(result.certificate.certificate_id)


def _ask_overwrite(vault: Vault, ctx: Context, ids: list[int]) -> bool:
    """Offer to overwrite saved copies still at their path (asked only in a terminal)."""
    import sys

    from vault import ConfideError
    from vault.retention.exports import PRESENT

    try:
        present = [
            o for r in vault.disposal.plan(ids) for o in r.outside if o.copy == PRESENT and o.path
        ]
    except ConfideError:
        return False  # the disposal itself refuses, with its own message

    if not present:
        return False
    for o in present:
        ctx.out.info(f"saved copy still present: {o.path} ({o.describe().split(':')[0]})")
    if ctx.out.json_mode or not sys.stdin.isatty():
        ctx.out.info("not overwritten (pass --overwrite-exports to overwrite them)")
        return False
    answer = input(f"Overwrite and remove these {len(present)} file(s) too? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def raise_failed(cert_id: str) -> None:
    from vault import IntegrityError

    raise IntegrityError(
        f"verification of disposal {cert_id} FAILED; see the certificate "
        "above and run `confide dispose verify`"
    )


def _verify(ctx: Context) -> None:
    from ...workflows import disposal as flows

    passphrase = ctx.secrets.passphrase()
    with unlocked(ctx) as vault:
        verified = flows.verify(vault, passphrase, partial(_show, ctx), authenticated=True)
    report, disposed = verified.verification, verified.disposed_clients
    ctx.out.emit(
        report.to_json(),
        lambda: "\n".join(
            [f"Disposal verification: {report.result} ({disposed} disposed clients)"]
            + [f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in report.checks]
            + [f"  PENDING: {p}" for p in report.pending]
        ),
    )
    if not report.ok:
        from vault import IntegrityError

        raise IntegrityError("disposal verification FAILED (see the checks above)")


def _certificate(args: argparse.Namespace, ctx: Context, rest: list[str]) -> None:
    from vault import UsageError
    from vault.retention.certificate import parse_certificate_id, render_text, write_export

    if len(rest) != 1:
        raise UsageError("name one certificate: confide dispose certificate D-00001")
    disposal_id = parse_certificate_id(rest[0])
    with unlocked(ctx) as vault:
        cert = vault.disposal.certificate(disposal_id)
        if args.pdf or args.text:
            path = write_export(
                cert, Path(args.pdf or args.text), pdf=bool(args.pdf), force=args.force, vault=vault
            )
    if args.pdf or args.text:
        ctx.out.emit(
            {"certificate_id": cert.certificate_id, "written": str(path)},
            f"Wrote {cert.certificate_id} to {path}",
        )
        return
    ctx.out.emit(cert.to_json(), lambda: render_text(cert))


def _log(ctx: Context) -> None:
    with unlocked(ctx) as vault:
        log = vault.disposal.log()
    ctx.out.emit(
        [e.to_json() for e in log],
        lambda: (
            table(
                ["CERTIFICATE", "COMPLETED", "CLIENTS", "RESULT", "PENDING BACKUPS"],
                [
                    (
                        e.certificate_id,
                        e.completed_at or e.state,
                        " ".join(e.clients),
                        e.result,
                        e.backups_pending,
                    )
                    for e in log
                ],
            )
            if log
            else "No disposals yet."
        ),
    )
