"""export / import: the open export (docs/EXPORT.md), an age-encrypted archive of the whole
record readable without Confide, and a new vault made from one.

`export` asks the vault passphrase (it is used again, as fresh authentication, for sealed legal
names and psychotherapy notes) and the export passphrase twice in a terminal, or reads it from
`--export-passphrase-file`. Without a terminal it writes only with `--yes`, as a release does.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..progress import Progress
from ._choices import KDF_PRESETS
from ._common import add_command, client_id, unlocked

if TYPE_CHECKING:
    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub,
        "export",
        "write the whole record (or chosen clients) to an age-encrypted open export",
        common,
        cmd_export,
    )
    p.add_argument("--out", metavar="FILE", required=True, help="the export file to write")
    p.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="C",
        help="export only this client (repeat for more); default: every client",
    )
    p.add_argument(
        "--include-psychotherapy-notes",
        action="store_true",
        help="also export psychotherapy notes, in their own part (uses the passphrase again)",
    )
    p.add_argument(
        "--export-passphrase-file",
        metavar="FILE",
        help="read the export passphrase from FILE (else asked twice in a terminal)",
    )
    p.add_argument(
        "--paper", choices=["a4", "letter"], help="PDF page size (default: the practice setting)"
    )
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--yes", action="store_true", help="write without asking first")
    p = add_command(
        sub,
        "import",
        "make a new vault (--vault DIR, empty or new) from an open export",
        common,
        cmd_import,
    )
    p.add_argument("file", help="the export file (written by `confide export`)")
    p.add_argument(
        "--export-passphrase-file",
        metavar="FILE",
        help="read the export passphrase from FILE (else asked in a terminal)",
    )
    p.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        help="read the new vault's passphrase from FILE (else asked twice)",
    )
    p.add_argument(
        "--kdf",
        default="calibrated",
        choices=["calibrated", *KDF_PRESETS],
        help="Argon2id parameters of the new vault: calibrated to ~1 s here (default); "
        "'test-insecure' is for automated tests only",
    )


def _interactive(ctx: Context) -> bool:
    return sys.stdin.isatty() and not ctx.out.json_mode


def _export_passphrase(args: argparse.Namespace, ctx: Context, *, twice: bool) -> str:
    import getpass

    from vault import UsageError

    if args.export_passphrase_file:
        return ctx.secrets.read_file(args.export_passphrase_file, "export passphrase")
    if not _interactive(ctx):
        raise UsageError(
            "no export passphrase given: run in a terminal or pass --export-passphrase-file FILE"
        )
    try:
        first = getpass.getpass("Export passphrase: ")
        if not twice:
            return first
        from vault.openexport import check_export_passphrase

        check_export_passphrase(first)  # said before the repeat is asked for
        if first != getpass.getpass("Repeat export passphrase: "):
            raise UsageError("the two export passphrases differ; nothing was written")
    except EOFError:
        raise UsageError("no export passphrase entered") from None
    return first


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from pathlib import Path

    from vault import UsageError
    from vault.disclosures.writer import check_target
    from vault.openexport import check_export_passphrase, export_record

    clients = [client_id(c) for c in args.client] or None
    check_target(Path(args.out), args.force)  # before any passphrase is asked
    if not args.yes and not _interactive(ctx):
        raise UsageError(
            "an export is written only after confirmation: run it in a terminal to answer, "
            "or add --yes; nothing was written or recorded"
        )
    secret = _export_passphrase(args, ctx, twice=True)
    check_export_passphrase(secret)
    with unlocked(ctx) as vault:
        if clients is not None:
            for cid in clients:
                vault.clients.get_unaudited(cid)  # NotFoundError before the confirmation
        count = len(clients) if clients is not None else len(vault.clients.ids())
        if not args.yes:
            what = (
                "psychotherapy notes included"
                if args.include_psychotherapy_notes
                else ("no psychotherapy notes")
            )
            from ..output import safe_text

            answer = input(
                safe_text(
                    f"Write the complete record of {count} client{'s' if count != 1 else ''} "
                    f"({what}) to {args.out}? [y/N] "
                )
            )
            if answer.strip().lower() not in ("y", "yes"):
                ctx.out.info("Nothing was written or recorded.")
                return 1
        line = Progress(ctx.out)
        try:
            summary = export_record(
                vault,
                args.out,
                secret,
                passphrase=ctx.secrets.passphrase(),
                client_ids=clients,
                include_pnotes=args.include_psychotherapy_notes,
                force=args.force,
                paper=args.paper,
                progress=lambda phase, done, total: line.update(phase, done, total, "clients"),
            )
        finally:
            line.done()
    pnotes = (
        "no psychotherapy notes"
        if summary.psychotherapy_notes is None
        else f"{summary.psychotherapy_notes} psychotherapy notes"
    )
    ctx.out.emit(
        summary,
        f"Wrote {args.out}: {len(summary.clients)} clients, {summary.notes} notes, {pnotes}, "
        f"{summary.files} files, {summary.size:,} bytes (age, passphrase). It is a copy "
        "outside the vault: recorded, and listed at disposal.",
    )
    return 0


def cmd_import(args: argparse.Namespace, ctx: Context) -> None:
    from vault import PRESETS, calibrate, check_new_passphrase
    from vault.openexport import import_export, read_export
    from vault.vault import check_free_for_a_vault

    check_free_for_a_vault(ctx.folder)  # before any passphrase or seconds of scrypt
    export = read_export(args.file, _export_passphrase(args, ctx, twice=False))
    passphrase = (
        ctx.secrets.passphrase()
        if ctx.secrets.has_passphrase_file and not args.new_passphrase_file
        else ctx.secrets.new_passphrase(args.new_passphrase_file)
    )
    check_new_passphrase(passphrase)
    if args.kdf == "calibrated":
        ctx.out.info("Calibrating Argon2id on this machine (about 2 seconds)...")
        kdf = calibrate()
    else:
        kdf = PRESETS[args.kdf]
    vault, recovery_key, summary = import_export(export, ctx.folder, passphrase, kdf)
    vault.lock()
    ctx.out.emit(
        {**summary.to_json(), "recovery_key": recovery_key},
        lambda: "\n".join(
            [
                f"Made a new vault at {ctx.folder} from {args.file}: {summary.clients} "
                f"clients, {summary.notes} notes, {summary.pnotes} "
                f"psychotherapy notes, {summary.attachments} attachments.",
                "",
                "Recovery key of the new vault (shown once; write it down and keep it offline):",
                "",
                f"    {recovery_key}",
                "",
            ]
        ),
    )
