"""consult / person: de-identified case summaries for supervision (issue 15).

`confide consult CLIENT` proposes a summary of the chosen notes with every identifier replaced,
shows it for review on a terminal (restore a guess, redact more, then write), and writes it as
text, Markdown or PDF under a name that does not identify the client. Without a terminal it
refuses unless `--yes`; `--json` without `--yes` gives the replacements and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._choices import SUMMARY_FORMATS
from ._common import add_command, add_group, client_id, note_id, pnote_id, unlocked

if TYPE_CHECKING:
    from vault.consult import CaseSummary

    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub, "consult", "a de-identified case summary for supervision", common, cmd_consult
    )
    p.add_argument("client")
    p.add_argument("--note", action="append", default=[], metavar="N-000001", help="a note")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first session date")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last session date")
    p.add_argument(
        "--pnotes",
        action="store_true",
        help="include psychotherapy notes in the date range (passphrase again)",
    )
    p.add_argument(
        "--pnote",
        action="append",
        default=[],
        metavar="P-000001",
        help="a psychotherapy note (passphrase again)",
    )
    p.add_argument(
        "--format", choices=SUMMARY_FORMATS, default="txt", help="txt, md or pdf (default txt)"
    )
    p.add_argument(
        "--out", metavar="PATH", help="a folder (a name is made) or a file name; default here"
    )
    p.add_argument("--redact", action="append", default=[], metavar="TEXT", help="redact more")
    p.add_argument(
        "--restore",
        action="append",
        default=[],
        type=int,
        metavar="N",
        help="put back the words of replacement N (as numbered by --json)",
    )
    p.add_argument("--yes", action="store_true", help="write without the interactive review")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    group = add_group(sub, "person", "people in a client's life (for case summaries)", common)
    p = add_command(group, "add", "name a person in a client's life", common, cmd_person_add)
    p.add_argument("client")
    p.add_argument("name")
    p.add_argument("--role", required=True, help='e.g. "sister", "a co-worker"')
    p = add_command(group, "list", "the people listed for a client", common, cmd_person_list)
    p.add_argument("client")
    p = add_command(group, "remove", "remove a listed person", common, cmd_person_remove)
    p.add_argument("person", type=int)


def cmd_person_add(args: argparse.Namespace, ctx: Context) -> None:
    from vault.consult import Consult

    with unlocked(ctx) as vault:
        person = Consult(vault).add_person(client_id(args.client), args.name, args.role)
    ctx.out.emit(person, f"Listed person {person.id} ({person.role})")


def cmd_person_list(args: argparse.Namespace, ctx: Context) -> None:
    from vault.consult import Consult

    from ..output import table

    with unlocked(ctx) as vault:
        people = Consult(vault).people(client_id(args.client))
    ctx.out.emit(
        people,
        lambda: (
            table(["ID", "NAME", "ROLE"], [(p.id, p.name, p.role) for p in people])
            if people
            else "No people listed."
        ),
    )


def cmd_person_remove(args: argparse.Namespace, ctx: Context) -> None:
    from vault.consult import Consult

    with unlocked(ctx) as vault:
        Consult(vault).remove_person(args.person)
    ctx.out.emit({"removed": args.person}, f"Removed person {args.person}")


def cmd_consult(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError
    from vault.consult import Consult

    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not ctx.out.json_mode
    if not (args.yes or ctx.out.json_mode or interactive):
        raise UsageError(
            "a case summary is reviewed before it is written: run this in a terminal, or "
            "check the replacements with --json and then pass --yes"
        )
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        consult = Consult(vault)
        client = vault.clients.get_unaudited(cid)
        needs = bool(args.pnotes or args.pnote) or client.is_pseudonymous
        summary = consult.prepare(
            cid,
            note_ids=[note_id(n) for n in args.note],
            date_from=args.date_from,
            date_to=args.date_to,
            pnote_ids=[pnote_id(p) for p in args.pnote],
            pnotes_in_range=args.pnotes,
            passphrase=ctx.secrets.passphrase() if needs else None,
        )
        # Numbers are those --json showed, before any redaction added its own.
        for number in sorted(set(args.restore), reverse=True):
            summary.restore(number)
        for phrase in args.redact:
            summary.redact(phrase)
        out = Path(args.out) if args.out else None
        if not args.yes and ctx.out.json_mode:
            ctx.out.emit(
                {
                    "written": False,
                    "replacements": summary.replacements(),
                    "text": summary.text(),
                }
            )
            return
        if not args.yes and not _review(summary):
            ctx.out.emit({"written": False}, "Nothing was written.")
            return
        path = consult.write(summary, args.format, out, args.force)
    ctx.out.emit(
        {
            "written": True,
            "path": str(path),
            "format": args.format,
            "replacements": len(summary.findings),
            "notes": len(summary.note_ids),
            "pnotes": len(summary.pnote_ids),
        },
        f"Wrote {path} ({len(summary.findings)} replacements). Read it through before "
        "sharing it: you remain responsible for what identifies in context.",
    )


_ON, _OFF = "\x1b[7m", "\x1b[0m"


def review_text(summary: CaseSummary, colour: bool = True) -> str:
    """The summary with each replacement highlighted and numbered, note text made safe."""
    from ..output import safe_text

    on, off = (_ON, _OFF) if colour else ("", "")
    out: list[str] = []
    number = 0
    for part in summary.parts:
        out.append(f"\n== {safe_text(part.heading)} ==\n")
        position = 0
        for f in part.findings:
            number += 1
            out.append(safe_text(part.text[position : f.start]))
            out.append(f"{on}[{number}: {f.replacement}]{off}")
            position = f.end
        out.append(safe_text(part.text[position:]) + "\n")
    out.append("\nReplacements:\n")
    for item in summary.replacements():
        lock = "" if item["restorable"] else "  (known to the vault)"
        out.append(
            f"{item['number']:>4}. {safe_text(repr(item['original']))} -> "
            f"{item['replacement']}  ({item['reason']}){lock}\n"
        )
    return "".join(out)


def _review(summary: CaseSummary) -> bool:
    from vault import ConfideError

    from ..output import safe_text

    while True:
        sys.stdout.write(review_text(summary))
        sys.stdout.write(
            "\n[w] write  [r N] restore replacement N  [x TEXT] redact TEXT too  [q] quit: "
        )
        sys.stdout.flush()
        try:
            answer = input().strip()
        except EOFError:
            return False
        if answer in ("w", "write", "y", "yes"):
            return True
        if answer in ("q", "quit", ""):
            return False
        try:
            if answer.startswith("r "):
                summary.restore(int(answer[2:].strip()))
            elif answer.startswith("x "):
                summary.redact(answer[2:].strip())
            else:
                sys.stdout.write("Type w, q, r N or x TEXT.\n")
        except ValueError:
            sys.stdout.write("r needs a replacement number.\n")
        except ConfideError as e:
            sys.stdout.write(safe_text(str(e)) + "\n")
