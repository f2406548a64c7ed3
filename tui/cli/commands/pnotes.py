"""pnote add / show / list / search: psychotherapy notes, behind fresh authentication.

Each command asks for the passphrase and uses it twice: once to unlock the vault and once,
separately, to unwrap the psychotherapy-notes key (the same fresh authentication the TUI asks).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..output import table
from ._common import (
    add_body_options,
    add_command,
    add_group,
    client_id,
    pnote_id,
    read_body,
    unlocked,
)

if TYPE_CHECKING:
    from vault import PsychotherapyNote

    from ..main import Context


def _summary(note: PsychotherapyNote) -> dict[str, Any]:
    """A psychotherapy note in a list: no body (a list is for finding; `pnote show` reads)."""
    return {
        "id": note.id,
        "record_id": note.record_id,
        "client_id": note.client_id,
        "session_date": note.session_date,
        "words": len(note.body.split()),
        "created_at": note.created_at,
        "updated_at": note.updated_at,
    }


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(
        sub, "pnote", "psychotherapy notes (kept apart; passphrase each time)", common
    )
    p = add_command(group, "add", "write a psychotherapy note", common, cmd_add)
    p.add_argument("client")
    add_body_options(p, required=True)
    p.add_argument("--date", metavar="YYYY-MM-DD", help="session date")
    p = add_command(group, "show", "show a psychotherapy note", common, cmd_show)
    p.add_argument("pnote", help="psychotherapy note identifier (P-000001 or 1)")
    p.add_argument(
        "--withheld",
        action="store_true",
        help="show flagged passages as [withheld: CATEGORY], as a release would",
    )
    p = add_command(group, "list", "a client's psychotherapy notes", common, cmd_list)
    p.add_argument("client")
    p = add_command(group, "search", "search psychotherapy notes only", common, cmd_search)
    p.add_argument("query")


def cmd_add(args: argparse.Namespace, ctx: Context) -> None:
    body = read_body(args) or ""
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        pnotes = vault.open_psychotherapy_notes(ctx.secrets.passphrase(), on_upgrade=ctx.out.info)
        note = pnotes.add(cid, body, args.date)
    ctx.out.emit(note, lambda: f"Saved psychotherapy note P-{note.id:06d}")


def _shown(note: PsychotherapyNote, withheld: bool) -> str:
    from vault import render_withheld, to_markup

    if withheld:
        return render_withheld(note.body, note.spans)
    return to_markup(note.body, note.spans)


def cmd_show(args: argparse.Namespace, ctx: Context) -> None:
    pid = pnote_id(args.pnote)
    with unlocked(ctx) as vault:
        note = vault.open_psychotherapy_notes(
            ctx.secrets.passphrase(), on_upgrade=ctx.out.info
        ).get(pid)
    data: dict[str, Any] | PsychotherapyNote = note
    if args.withheld:
        data = {"pnote": note, "withheld_text": _shown(note, True)}
    ctx.out.emit(
        data,
        lambda: (
            f"P-{note.id:06d}  PSYCHOTHERAPY NOTE  (C-{note.client_id:05d}, "
            f"{note.session_date or 'no date'})\n\n"
            f"{_shown(note, args.withheld)}"
        ),
    )


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        notes = vault.open_psychotherapy_notes(
            ctx.secrets.passphrase(), on_upgrade=ctx.out.info
        ).list(cid)
    ctx.out.emit(
        [_summary(n) for n in notes],
        lambda: (
            table(
                ["ID", "DATE", "WORDS"],
                [(f"P-{n.id:06d}", n.session_date or "-", len(n.body.split())) for n in notes],
            )
            if notes
            else "No psychotherapy notes."
        ),
    )


def cmd_search(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        hits = vault.open_psychotherapy_notes(
            ctx.secrets.passphrase(), on_upgrade=ctx.out.info
        ).search(args.query)
    ctx.out.emit(
        [{**_summary(note), "snippet": "".join(t for t, _ in snip)} for note, snip in hits],
        lambda: (
            "\n".join(
                f"P-{note.id:06d}  C-{note.client_id:05d}  {''.join(t for t, _ in snip)}"
                for note, snip in hits
            )
            or "No matches."
        ),
    )
