"""attach, attachment list/get/remove, inbox scan/watch/list/assign: scanned forms and other
files kept encrypted in the vault (issue 18 part 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import table
from ._common import add_command, add_group, client_id, parse_id, unlocked

if TYPE_CHECKING:
    from vault.attachments import Attachment, Link
    from vault.attachments.inbox import ScanResult

    from ..main import Context

KINDS = ("intake", "consent", "authorization", "amendment", "other")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub, "attach", "add a scanned form or other file to a client's record", common, cmd_attach
    )
    p.add_argument("client", help="client identifier (C-00001 or 1)")
    p.add_argument("file", help="a PDF or image (PNG, JPEG, TIFF, GIF, WebP, HEIC), up to 64 MiB")
    _filing_options(p)

    group = add_group(sub, "attachment", "attachments: list, get, remove", common)
    p = add_command(group, "list", "a client's attachments", common, cmd_list)
    p.add_argument("client")
    p = add_command(
        group, "get", "write a copy of an attachment to a file you name", common, cmd_get
    )
    p.add_argument("attachment", help="attachment identifier (F-00001 or 1)")
    p.add_argument("--out", metavar="FILE", required=True, help="the file to write")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument(
        "--yes", action="store_true", help="write without asking (needed without a terminal)"
    )
    p = add_command(
        group,
        "remove",
        "mark a filed attachment entered in error (it is kept), or discard an inbox item",
        common,
        cmd_remove,
    )
    p.add_argument("attachment")
    p.add_argument("--reason", metavar="TEXT", help="why (required for a filed attachment)")

    group = add_group(sub, "inbox", "the scanned-forms inbox: scan, watch, list, assign", common)
    p = add_command(
        group, "scan", "pull the files in the inbox folder into the vault once", common, cmd_scan
    )
    _folder_option(p)
    p = add_command(
        group,
        "watch",
        "watch the inbox folder and pull in each file saved there",
        common,
        cmd_watch,
    )
    _folder_option(p)
    p.add_argument("--once", action="store_true", help="scan once and exit (as inbox scan)")
    add_command(group, "list", "inbox items waiting for a client", common, cmd_inbox_list)
    p = add_command(group, "assign", "file an inbox item in a client's record", common, cmd_assign)
    p.add_argument("attachment", help="attachment identifier (F-00001 or 1)")
    p.add_argument("client")
    _filing_options(p)


def _filing_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=KINDS, help="what the document is (default: other)")
    p.add_argument(
        "--for",
        dest="link",
        metavar="authorization:ID|amendment:ID|notice:ID",
        help="the authorization, amendment request or given notice (K-00001) this form belongs to",
    )


def _folder_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--folder",
        metavar="DIR",
        help="the folder your scanner saves into (remembered; default: the last one given)",
    )


def attachment_id(text: str) -> int:
    return parse_id(text, "F", "file attachment")


def _link(args: argparse.Namespace) -> Link | None:
    from vault.attachments import Link

    return None if args.link is None else Link.parse(args.link)


def _row(a: Attachment) -> tuple[str, ...]:
    from vault.attachments import human_size

    state = "entered in error" if a.entered_in_error else (a.link.record_id if a.link else "")
    return (a.record_id, a.added_at[:10], a.kind.value, human_size(a.size), a.file_name, state)


_HEADERS = ["ID", "ADDED", "KIND", "SIZE", "FILE NAME", "NOTE"]


def _describe(a: Attachment, verb: str) -> str:
    from vault.attachments import human_size

    whose = f" for C-{a.client_id:05d}" if a.client_id is not None else " (unassigned)"
    link = f", for {a.link.record_id}" if a.link else ""
    return (
        f"{verb} {a.record_id}{whose}: {a.file_name} ({a.kind.value}, {human_size(a.size)}{link})"
    )


def cmd_attach(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    link = _link(args)
    with unlocked(ctx) as vault:
        added = vault.attachments.add(Path(args.file), cid, args.kind or "other", link)
    ctx.out.emit(added.to_json(), lambda: _describe(added, "Added"))
    ctx.out.info(
        f"{args.file} itself was left as it is; delete it if it should not stay in the clear."
    )


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        found = vault.attachments.list(cid)
    ctx.out.emit(
        [a.to_json() for a in found],
        lambda: table(_HEADERS, [_row(a) for a in found]) if found else "No attachments.",
    )


def _confirm(ctx: Context, a: Attachment, target: str, yes: bool) -> bool:
    if yes:
        return True
    if ctx.out.json_mode or not sys.stdin.isatty():
        # A file leaving the vault: without a person to answer, only an explicit --yes writes.
        from vault import UsageError

        raise UsageError(
            "a copy is written out of the vault only after confirmation: run it in a terminal "
            "to answer, or add --yes; nothing was written or recorded"
        )
    from ..output import safe_text

    answer = input(
        safe_text(f"Write {a.record_id} ({a.file_name}) to {target} in the clear? [y/N] ")
    )
    return answer.strip().lower() in ("y", "yes")


def cmd_get(args: argparse.Namespace, ctx: Context) -> int:
    aid = attachment_id(args.attachment)
    with unlocked(ctx) as vault:
        found = vault.attachments.get_unaudited(aid)
        if not _confirm(ctx, found, args.out, args.yes):
            ctx.out.info("Nothing was written.")
            return 1
        saved = vault.attachments.save_copy(aid, Path(args.out), force=args.force)
    ctx.out.emit(
        {
            "attachment": saved.attachment.to_json(),
            "path": str(saved.path),
            "size": saved.size,
            "sha256": saved.sha256,
        },
        lambda: (
            f"Wrote {saved.attachment.record_id} to {saved.path} ({saved.size} bytes); "
            "the copy is recorded, and disposal can find it while it stays there unchanged"
        ),
    )
    return 0


def cmd_remove(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError

    aid = attachment_id(args.attachment)
    with unlocked(ctx) as vault:
        found = vault.attachments.get_unaudited(aid)
        if found.is_assigned:
            if not args.reason:
                raise UsageError(
                    f"{found.record_id} is part of a client's record and is kept; give --reason "
                    "to mark it entered in error"
                )
            marked = vault.attachments.mark_entered_in_error(aid, args.reason)
            ctx.out.emit(
                {"attachment": marked.to_json(), "outcome": "entered_in_error"},
                lambda: f"Marked {marked.record_id} entered in error (kept in the record)",
            )
            return
        gone = vault.attachments.discard(aid)
    ctx.out.emit(
        {"attachment": gone.to_json(), "outcome": "discarded"},
        lambda: f"Discarded {gone.record_id} from the inbox",
    )


def _scan_text(result: ScanResult) -> str:
    lines = [f"{item.outcome}: {item.name}: {item.message}" for item in result.items] or [
        f"Nothing to pull in from {result.folder}."
    ]
    if result.added:
        lines.append(
            f"{len(result.added)} pulled in and waiting for a client: confide inbox list, "
            "then confide inbox assign ID CLIENT"
        )
    lines += [f"Warning: the originals may survive on disk: {limit}" for limit in result.limits]
    return "\n".join(lines)


def cmd_scan(args: argparse.Namespace, ctx: Context) -> None:
    folder = Path(args.folder) if args.folder else None
    with unlocked(ctx) as vault:
        result = vault.attachments.inbox.scan(folder)
    ctx.out.emit(result.to_json(), lambda: _scan_text(result))


def cmd_watch(args: argparse.Namespace, ctx: Context) -> None:
    from vault.attachments.inbox import InboxWatcher

    if args.once:
        cmd_scan(args, ctx)
        return
    folder = Path(args.folder) if args.folder else None

    def show(result: ScanResult) -> None:
        if ctx.out.json_mode:
            # One progress line per scan that found something; the items as `inbox scan` has them.
            added, total = len(result.added), len(result.items)
            ctx.out.message(
                "progress",
                phase="inbox",
                done=added,
                total=total,
                fraction=round(added / total, 4) if total else None,
                unit="files",
                scan=result.to_json(),
            )
        else:
            ctx.out.info(_scan_text(result))

    def failed(error: Exception) -> None:
        ctx.out.info(f"warning: {error}")

    with unlocked(ctx) as vault:
        where = vault.attachments.inbox.resolve(folder)
        watcher = InboxWatcher(vault, where, on_scan=show, on_error=failed)
        ctx.out.info(f"Watching {where} for scanned forms. Ctrl-C stops.")
        for limit in vault.attachments.inbox.limits(where):
            ctx.out.info(f"Warning: the originals may survive on disk: {limit}")
        try:
            watcher.run()
        except KeyboardInterrupt:
            ctx.out.info("Stopped watching.")


def cmd_inbox_list(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        found = vault.attachments.unassigned()
    ctx.out.emit(
        [a.to_json() for a in found],
        lambda: table(_HEADERS, [_row(a) for a in found]) if found else "The inbox is empty.",
    )


def cmd_assign(args: argparse.Namespace, ctx: Context) -> None:
    aid = attachment_id(args.attachment)
    cid = client_id(args.client)
    link = _link(args)
    with unlocked(ctx) as vault:
        filed = vault.attachments.assign(aid, cid, args.kind, link)
    ctx.out.emit(filed.to_json(), lambda: _describe(filed, "Filed"))
