"""note add / show / list / edit / sign / addend / flag."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..output import table
from ._choices import TEMPLATES
from ._common import (
    add_body_options,
    add_command,
    add_group,
    client_id,
    note_id,
    read_body,
    unlocked,
)

if TYPE_CHECKING:
    from vault import Note, NoteSummary, SessionInfo, Vault

    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(sub, "note", "general-record notes: add, show, list, sign, addend", common)
    p = add_command(group, "add", "write a note (a draft unless --sign)", common, cmd_add)
    p.add_argument("client", help="client identifier")
    p.add_argument(
        "--template", default="free", choices=TEMPLATES, help="note template (default free)"
    )
    add_body_options(p)
    _session_options(p)
    p.add_argument(
        "--with",
        dest="participants",
        action="append",
        default=[],
        metavar="CLIENT",
        help="another participant (joint/family/group session)",
    )
    p.add_argument(
        "--omit-whole", metavar="CATEGORY", help="flag the whole note for omission from exports"
    )
    p.add_argument(
        "--late",
        metavar="REASON",
        help="a late entry for the session on --date, with the reason it is late",
    )
    p.add_argument("--sign", action="store_true", help="sign at once (the note becomes final)")
    p = add_command(group, "edit", "change a draft", common, cmd_edit)
    p.add_argument("note", help="note identifier (N-000001 or 1)")
    add_body_options(p)
    _session_options(p)
    p = add_command(group, "show", "show a note", common, cmd_show)
    p.add_argument("note")
    p.add_argument(
        "--withheld",
        action="store_true",
        help="show flagged passages as [withheld: CATEGORY], as an export would",
    )
    p = add_command(group, "list", "a client's notes, newest first", common, cmd_list)
    p.add_argument("client")
    p = add_command(group, "sign", "sign a draft (it can no longer change)", common, cmd_sign)
    p.add_argument("note")
    p = add_command(group, "addend", "add a signed addendum to a signed note", common, cmd_addend)
    p.add_argument("note")
    add_body_options(p, required=True)


def _session_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", metavar="YYYY-MM-DD", help="session date")
    p.add_argument("--start", metavar="HH:MM", help="session start time")
    p.add_argument("--end", metavar="HH:MM", help="session stop time")
    p.add_argument("--service-code", metavar="CODE", help="for example 90834")
    p.add_argument("--modality", help="individual, couple, family, group, telehealth...")
    p.add_argument(
        "--dx",
        action="append",
        default=[],
        metavar="CODE",
        help="diagnosis code (ICD-10-CM); repeat for several",
    )


def _session(args: argparse.Namespace) -> SessionInfo:
    from vault import SessionInfo

    return SessionInfo(
        args.date, args.start, args.end, args.service_code, args.modality, tuple(args.dx)
    )


def _merged_session(args: argparse.Namespace, current: SessionInfo) -> SessionInfo:
    import dataclasses

    given = {
        "session_date": args.date,
        "start_time": args.start,
        "end_time": args.end,
        "service_code": args.service_code,
        "modality": args.modality,
    }
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if args.dx:
        changes["diagnosis_codes"] = tuple(args.dx)
    return dataclasses.replace(current, **changes)


def _has_session(args: argparse.Namespace) -> bool:
    return any([args.date, args.start, args.end, args.service_code, args.modality, args.dx])


def render_note(note: Note, vault: Vault, withheld: bool) -> str:
    from vault import TEMPLATES, render_withheld, to_markup

    names = {cid: vault.clients.get_unaudited(cid).display_name for cid in note.participant_ids}
    s = note.session
    kind = {
        "original": "",
        "addendum": f"  ADDENDUM to N-{note.parent_id or 0:06d}",
        "late_entry": "  LATE ENTRY",
    }[note.entry_type.value]
    head = [
        f"{note.record_id}  {TEMPLATES[note.template].title}{kind}",
        f"Client:     {', '.join(f'{names[c]} (C-{c:05d})' for c in note.participant_ids)}",
        f"Session:    {s.session_date or '-'} {s.start_time or ''}"
        f"{'-' + s.end_time if s.end_time else ''}".rstrip(),
        f"Service:    {s.service_code or '-'}  Modality: {s.modality or '-'}  "
        f"Dx: {', '.join(s.diagnosis_codes) or '-'}",
        f"Status:     {note.status.value}"
        + (f" at {note.signed_at}" if note.signed_at else "")
        + (
            f"  (written {note.created_at}; late because: {note.late_reason})"
            if note.late_reason
            else ""
        ),
    ]
    if note.omit_category:
        head.append(f"Flagged:    whole note ({note.omit_category.label})")
    if withheld:
        body = render_withheld(note.body, note.spans, note.omit_category)
    else:
        body = to_markup(note.body, note.spans)
    return "\n".join(head) + "\n\n" + body


def _summaries(rows: list[NoteSummary]) -> str:
    if not rows:
        return "No notes."
    return table(
        ["ID", "DATE", "TEMPLATE", "STATUS", "ENTRY", "FLAG"],
        [
            (
                ("  +" if r.parent_id else "") + r.record_id,
                r.session_date or "-",
                r.template,
                r.status.value,
                r.entry_type.value.replace("_", " "),
                _flag(r),
            )
            for r in rows
        ],
    )


def _flag(row: NoteSummary) -> str:
    """The FLAG column: a whole-note flag, else how many passages are flagged."""
    if row.omit_category:
        return row.omit_category.value
    if row.flagged_passages:
        return f"{row.flagged_passages} passage{'s' if row.flagged_passages > 1 else ''}"
    return ""


def cmd_add(args: argparse.Namespace, ctx: Context) -> None:
    from vault import OmitCategory, UsageError

    # Omission markers are the vault's to parse (one parser for every kind of text).
    body = read_body(args)
    whole = OmitCategory.parse(args.omit_whole) if args.omit_whole else None
    cid = client_id(args.client)
    others = [client_id(p) for p in args.participants]
    with unlocked(ctx) as vault:
        if args.late:
            if not args.date:
                raise UsageError("a late entry needs --date, the date of the session")
            note = vault.notes.late_entry(
                cid, args.template, args.date, args.late, body=body, session=_session(args)
            )
            if others or whole:
                note = vault.notes.save_draft(
                    note.id, participants=others or None, omit_category=whole
                )
        else:
            note = vault.notes.create(
                cid,
                args.template,
                body=body,
                session=_session(args),
                participants=others,
                omit_category=whole,
            )
        if args.sign:
            note = vault.notes.sign(note.id)
    ctx.out.emit(note, lambda: f"Saved {note.record_id} ({note.status.value})")


def cmd_edit(args: argparse.Namespace, ctx: Context) -> None:
    body = read_body(args)
    # New text carries its flags as markers (as `note show` prints them): none kept from before.
    spans = () if body is not None else None
    nid = note_id(args.note)
    with unlocked(ctx) as vault:
        session = None
        if _has_session(args):
            # Only the options given change: `--date` alone must not erase times, codes, dx.
            session = _merged_session(args, vault.notes.get(nid).session)
        note = vault.notes.save_draft(nid, body=body, spans=spans, session=session)
    ctx.out.emit(note, lambda: f"Saved {note.record_id} (draft)")


def cmd_show(args: argparse.Namespace, ctx: Context) -> None:
    from vault import render_withheld

    nid = note_id(args.note)
    with unlocked(ctx) as vault:
        note = vault.notes.get(nid)
        # Corrections live in their own notes; the original, shown alone, says where they are.
        addenda = [
            r.record_id for r in vault.notes.timeline(note.client_id) if r.parent_id == note.id
        ]
        text = render_note(note, vault, args.withheld)
        if addenda:
            text = text.replace("\n\n", f"\nAddenda:    {', '.join(addenda)}\n\n", 1)
    data: dict[str, Any] = {"note": note, "addenda": addenda}
    if args.withheld:
        data["withheld_text"] = render_withheld(note.body, note.spans, note.omit_category)
    ctx.out.emit(data, text)


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        rows = vault.notes.timeline(cid)
    ctx.out.emit(rows, lambda: _summaries(rows))


def cmd_sign(args: argparse.Namespace, ctx: Context) -> None:
    nid = note_id(args.note)
    with unlocked(ctx) as vault:
        note = vault.notes.sign(nid)
    ctx.out.emit(note, lambda: f"Signed {note.record_id} at {note.signed_at}")


def cmd_addend(args: argparse.Namespace, ctx: Context) -> None:
    body = read_body(args) or ""
    nid = note_id(args.note)
    with unlocked(ctx) as vault:
        note = vault.notes.addend(nid, body)
    ctx.out.emit(note, lambda: f"Added signed addendum {note.record_id} to N-{nid:06d}")
