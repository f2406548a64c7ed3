"""custodian: the records custodian who takes the records over if the clinician cannot continue.

Thin: designation, the sheet, letters and instructions live in `vault.custodian`; custodian mode
itself is the global `--custodian` option (any command, read-only).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import table
from ._common import add_command, add_group, client_id, confirm_document, read_body, unlocked

if TYPE_CHECKING:
    from vault import CustodianInfo, Designation
    from vault.custodian import Custodian

    from ..main import Context

HELP = "the records custodian: designate, re-issue, revoke; clients, letters, instructions"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(sub, "custodian", HELP, common)
    p = add_command(
        group,
        "designate",
        "name the records custodian and issue their key (shown once; print the sheet)",
        common,
        cmd_designate,
    )
    p.add_argument("--name", required=True, help="the custodian's full name")
    p.add_argument(
        "--role", required=True, help="licence or role, e.g. 'Licensed psychologist, PSY 12345'"
    )
    p.add_argument("--contact", required=True, help="how clients reach them (phone, e-mail)")
    p.add_argument(
        "--include-psychotherapy-notes",
        action="store_true",
        help="grant the psychotherapy notes too (without it their key is not in the slot)",
    )
    _sheet_option(p)
    p = add_command(
        group,
        "reissue",
        "a new custodian key for the same custodian: the old sheet stops working",
        common,
        cmd_reissue,
    )
    _sheet_option(p)
    p = add_command(
        group,
        "revoke",
        "remove the custodian slot from the key file (overwritten in place)",
        common,
        cmd_revoke,
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_command(
        group, "status", "who the custodian is, since when, what was granted", common, cmd_status
    )
    add_command(
        group,
        "clients",
        "every client with contact details and retention date",
        common,
        cmd_clients,
    )
    p = add_command(
        group,
        "contact",
        "show or set how a letter reaches a client (address, phone, e-mail)",
        common,
        cmd_contact,
    )
    p.add_argument("client")
    p.add_argument("--set", dest="contact", metavar="TEXT", help="the contact details")
    p.add_argument("--clear", action="store_true", help="remove the contact details")
    p = add_command(
        group,
        "letter",
        "write the notification letter to a client (or --all into a folder)",
        common,
        cmd_letter,
    )
    p.add_argument("client", nargs="?", help="the client (omit with --all)")
    p.add_argument("--out", required=True, metavar="PATH", help="the file (a folder with --all)")
    p.add_argument("--all", action="store_true", help="one letter per client into --out DIR")
    _write_options(p)
    p = add_command(
        group,
        "template",
        "show the letter template (or --version N), or save a new version with --file",
        common,
        cmd_template,
    )
    p.add_argument("--version", type=int, metavar="N", help="an earlier version")
    p.add_argument(
        "--file", dest="body_file", metavar="FILE", help="save FILE as a new version (- stdin)"
    )
    p = add_command(
        group,
        "instructions",
        "write the instructions for the custodian (where, how, the law, retention dates)",
        common,
        cmd_instructions,
    )
    p.add_argument("--out", required=True, metavar="PATH", help="write the document here")
    _write_options(p)


def _sheet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sheet",
        action="append",
        metavar="FILE",
        default=[],
        help="write the custodian sheet to FILE (.pdf, .txt or .md; may be given twice)",
    )


def _write_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["pdf", "txt", "md"], help="else from the file name")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--yes", action="store_true", help="write without showing and asking")


def _info_json(info: CustodianInfo) -> dict[str, Any]:
    return info.to_json()


def _issued(ctx: Context, designation: Designation, sheets: list[Path], verb: str) -> None:
    info = designation.info
    ctx.out.emit(
        {
            "custodian": _info_json(info),
            "custodian_key": designation.key,
            "sheets": [str(p) for p in sheets],
        },
        lambda: "\n".join(
            [
                f"{verb} {info.describe()}.",
                *[f"Wrote the custodian sheet to {p} (keep it locked away)." for p in sheets],
                "",
                "Custodian key (shown once; it is on the sheet):",
                "",
                f"    {designation.key}",
                "",
            ]
        ),
    )


def _write_sheets(
    ctx: Context, vault: Any, designation: Designation, paths: list[str]
) -> list[Path]:
    from vault import ConfideError

    written = []
    for path in paths:
        try:
            written.append(vault.custodian.write_sheet(designation, path))
        except ConfideError as e:
            # The key is issued already: say so and show it, rather than lose it.
            ctx.out.info(f"Could not write the sheet to {path} ({e}); copy the key below by hand.")
    return written


def _check_sheet_paths(paths: list[str]) -> None:
    from vault import UsageError
    from vault.disclosures.facade import ExportFormat
    from vault.disclosures.writer import check_target

    for path in paths:
        target = check_target(Path(path), force=False)
        ExportFormat.choose(target, None)
    if len(set(paths)) != len(paths):
        raise UsageError("the same sheet file is named twice")


def cmd_designate(args: argparse.Namespace, ctx: Context) -> None:
    _check_sheet_paths(args.sheet)  # before anything is issued
    with unlocked(ctx) as vault:
        designation = vault.custodian.designate(
            ctx.secrets.passphrase(),
            name=args.name,
            role=args.role,
            contact=args.contact,
            pnotes=args.include_psychotherapy_notes,
        )
        sheets = _write_sheets(ctx, vault, designation, args.sheet)
    _issued(ctx, designation, sheets, "Designated")


def cmd_reissue(args: argparse.Namespace, ctx: Context) -> None:
    _check_sheet_paths(args.sheet)
    with unlocked(ctx) as vault:
        designation = vault.custodian.reissue(ctx.secrets.passphrase())
        sheets = _write_sheets(ctx, vault, designation, args.sheet)
    _issued(ctx, designation, sheets, "Re-issued the key of")


def cmd_revoke(args: argparse.Namespace, ctx: Context) -> int:
    import sys

    from vault import UsageError

    with unlocked(ctx) as vault:
        vault.require_clinician("revoking the custodian")
        current = vault.custodian.info()
        if current is None:
            from vault import NotFoundError

            raise NotFoundError("no custodian is designated")
        if not args.yes:
            if ctx.out.json_mode or not sys.stdin.isatty():
                raise UsageError(
                    "revoking asks for confirmation: run it in a terminal or add --yes"
                )
            answer = input(f"Revoke {current.describe()}? Their sheet stops working. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                ctx.out.info("Nothing was changed.")
                return 1
        info = vault.custodian.revoke()
    ctx.out.emit(
        {"revoked": _info_json(info)},
        f"Revoked {info.name}'s custodian key (number {info.serial}); the slot was overwritten "
        "in the key file and their sheet opens nothing now. Backups made before keep the "
        "old key file: they still open with that sheet.",
    )
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        info = vault.custodian.info()
        mode = vault.custodian_mode
    data = {
        "designated": info is not None,
        "custodian": None if info is None else _info_json(info),
        "custodian_mode": mode is not None,
    }
    if info is None:
        text = "No custodian is designated (confide custodian designate)."
    else:
        granted = "general record, sealed legal names" + (
            ", psychotherapy notes" if info.pnotes else " (not the psychotherapy notes)"
        )
        text = "\n".join(
            [
                f"Custodian:  {info.name}",
                f"Role:       {info.role}",
                f"Contact:    {info.contact}",
                f"Since:      {info.issued_at} (key number {info.serial})",
                f"Granted:    {granted}",
            ]
        )
    ctx.out.emit(data, text)


def cmd_clients(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        clients = vault.custodian.clients()
    ctx.out.emit(
        {"clients": [c.to_json() for c in clients]},
        lambda: (
            table(
                ["client", "name", "status", "contact", "retained until", "hold"],
                [
                    [
                        c.record_id,
                        c.display_name,
                        c.status,
                        (c.contact or "-").replace("\n", ", "),
                        c.retained_until,
                        "HOLD" if c.held else "",
                    ]
                    for c in clients
                ],
            )
            if clients
            else "No clients."
        ),
    )


def cmd_contact(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError

    cid = client_id(args.client)
    if args.contact is not None and args.clear:
        raise UsageError("give --set TEXT or --clear, not both")
    with unlocked(ctx) as vault:
        if args.contact is not None or args.clear:
            vault.custodian.set_contact(cid, None if args.clear else args.contact)
        contact = vault.custodian.contact(cid)
    ctx.out.emit(
        {"client": f"C-{cid:05d}", "contact": contact},
        f"C-{cid:05d}: {contact}" if contact else f"C-{cid:05d}: no contact details recorded",
    )


def _no_address(custodian: Custodian, cid: int) -> str | None:
    missing = custodian.missing_contact(cid)
    if missing is None:
        return None
    return f"{missing} Set them with `confide custodian contact C-{cid:05d} --set ...`."


def cmd_letter(args: argparse.Namespace, ctx: Context) -> int:
    from vault import UsageError

    if args.all == (args.client is not None):
        raise UsageError("name one client, or give --all (not both)")
    with unlocked(ctx) as vault:
        custodian = vault.custodian

        def secret(cid: int) -> str | None:
            # A sealed legal name (the letter's addressee) opens with the key again.
            return ctx.secrets.passphrase() if custodian.needs_secret(cid) else None

        warnings: list[str] = []
        if not args.all:
            cid = client_id(args.client)
            document = custodian.letter(cid, secret=secret(cid))
            missing = _no_address(custodian, cid)
            if missing:
                ctx.out.info(f"Warning: {missing}")
            if not confirm_document(ctx, document, args.out, args.yes, "letter"):
                ctx.out.info("Nothing was written.")
                return 1
            paths = [
                custodian.write_letter(
                    cid, args.out, fmt=args.format, force=args.force, document=document
                )
            ]
            warnings = [missing] if missing else []
        else:
            folder = Path(args.out).expanduser()
            if not folder.is_dir():
                raise UsageError(f"{folder} is not a folder; with --all, --out names a folder")
            if not args.yes:
                raise UsageError("--all writes every client's letter: add --yes to confirm")
            suffix = args.format or "pdf"
            paths = []
            for c in custodian.clients():
                paths.append(
                    custodian.write_letter(
                        c.client_id,
                        folder / f"letter-{c.record_id}.{suffix}",
                        fmt=args.format,
                        force=args.force,
                        secret=secret(c.client_id),
                    )
                )
                missing = _no_address(custodian, c.client_id)
                if missing:
                    warnings.append(missing)
        version = custodian.template().version
    for warning in warnings if args.all else ():
        ctx.out.info(f"Warning: {warning}")
    ctx.out.emit(
        {"paths": [str(p) for p in paths], "template_version": version, "warnings": warnings},
        "\n".join(f"Wrote the letter to {p}" for p in paths) or "No clients: no letter written.",
    )
    return 0


def cmd_template(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError

    if args.body_file is not None and args.version is not None:
        raise UsageError("give --file to save or --version to show, not both")
    text = read_body(args) if args.body_file is not None else None
    with unlocked(ctx) as vault:
        if text is not None:
            before = vault.custodian.template().version
            t = vault.custodian.save_template(text)
            message = (
                f"Saved letter template version {t.version}."
                if t.version != before
                else f"The template is unchanged (version {t.version}); nothing was saved."
            )
        else:
            t = vault.custodian.template(args.version)
            message = f"Letter template version {t.version} ({t.created_at}):\n\n{t.text}"
    ctx.out.emit({"version": t.version, "created_at": t.created_at, "text": t.text}, message)


def cmd_instructions(args: argparse.Namespace, ctx: Context) -> int:
    from ...workflows.custodian import backup_places

    with unlocked(ctx) as vault:
        places = backup_places(vault)
        document = vault.custodian.instructions(places)
        if not confirm_document(ctx, document, args.out, args.yes, "document"):
            ctx.out.info("Nothing was written.")
            return 1
        path = vault.custodian.write_instructions(
            args.out, places, fmt=args.format, force=args.force
        )
    ctx.out.emit(
        {"path": str(path), "backup_drives": len(places)},
        f"Wrote the custodian's instructions to {path}. Give it to the custodian with the "
        "sheet, or keep it with your professional will.",
    )
    return 0
