"""access-request / access-denial / representative / minor-service: the right of access.

Thin: every rule lives in `vault.disclosures.access` (45 CFR 164.524, 164.502(g)). The copy
itself is `confide access CLIENT [--request X-00001]` (disclosures.py); these commands record
what the copy depends on: the request and its clock, the denials and their review, who may act
for the client.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from ..output import table, to_jsonable
from . import _choices
from ._common import (
    add_command,
    add_group,
    client_id,
    confirm_document,
    note_id,
    parse_id,
    unlocked,
)

if TYPE_CHECKING:
    from vault.disclosures import AccessRequest, Denial

    from ..main import Context

GROUNDS, RELATIONS, BASES = _choices.DENIAL_GROUNDS, _choices.RELATIONS, _choices.SERVICE_BASES


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(
        sub, "access-request", "requests for a copy (164.524): the 30-day clock", common
    )
    p = add_command(group, "add", "record a request for a copy; due in 30 days", common, cmd_add)
    p.add_argument("client")
    p.add_argument(
        "--representative", metavar="G", help="made by this personal representative (G-00001)"
    )
    p.add_argument("--received", metavar="YYYY-MM-DD", help="date received (default today)")
    p = add_command(
        group, "list", "open requests, soonest due first (--all: done too)", common, cmd_list
    )
    p.add_argument("client", nargs="?")
    p.add_argument("--all", action="store_true", help="also the requests already answered")
    p = add_command(group, "show", "a request and its clock", common, cmd_show)
    p.add_argument("request", help="X-00001 or 1")
    p = add_command(
        group, "extend", "the one 30-day extension, with its written notice", common, cmd_extend
    )
    p.add_argument("request")
    p.add_argument("--reason", required=True, help="why 30 more days are needed")
    _out_options(p, "the notice")

    group = add_group(
        sub, "access-denial", "withhold part of a copy on a recorded ground (164.524)", common
    )
    add_command(
        group, "grounds", "the grounds, their citations and plain words", common, cmd_grounds
    )
    p = add_command(
        group, "add", "deny access to a passage or a whole note, on a ground", common, cmd_deny
    )
    p.add_argument("client")
    p.add_argument("note")
    p.add_argument("--ground", required=True, choices=GROUNDS, help="the ground (see grounds)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--passage", metavar="TEXT", help="the exact passage, as it occurs once")
    which.add_argument(
        "--passage-file", metavar="FILE", help="read the exact passage from FILE (UTF-8)"
    )
    which.add_argument("--whole", action="store_true", help="deny the whole note")
    _text_options(p, "the clinician's explanation (printed in the written denial)")
    p.add_argument("--request", metavar="X", help="the request this denial answers")
    p.add_argument("--by", metavar="NAME", help="who denied (default: the practice clinician)")
    p = add_command(group, "list", "a client's denials and their reviews", common, cmd_denials)
    p.add_argument("client")
    p = add_command(
        group, "review", "record the review by another licensed professional", common, cmd_review
    )
    p.add_argument("denial", help="W-00001 or 1")
    p.add_argument("--reviewer", required=True, metavar="NAME", help="who reviewed")
    p.add_argument("--license", required=True, metavar="TEXT", help="the reviewer's license")
    p.add_argument(
        "--outcome",
        required=True,
        choices=["upheld", "overturned"],
        help="overturned: the passage is provided in every copy from now on",
    )
    p.add_argument("--requested", metavar="YYYY-MM-DD", help="date the review was asked for")
    _text_options(p, "the reviewer's reasons")
    p = add_command(
        group,
        "letter",
        "the written denial (164.524(d)(2)) as PDF, .txt or .md",
        common,
        cmd_letter,
    )
    p.add_argument("client")
    p.add_argument("--request", metavar="X", help="the request it answers (names the requester)")
    _out_options(p, "the letter")

    group = add_group(
        sub, "representative", "personal representatives of a client (164.502(g))", common
    )
    p = add_command(group, "add", "record someone who may act for the client", common, cmd_rep_add)
    p.add_argument("client")
    p.add_argument("--name", required=True, help="the representative's name")
    p.add_argument(
        "--relation",
        required=True,
        choices=RELATIONS,
        help="parent (of a minor: the representative by default), guardian, agent "
        "(health care power of attorney) or other legal authority",
    )
    p.add_argument(
        "--authority", required=True, metavar="TEXT", help="what they act under (a court order...)"
    )
    p.add_argument("--documents", metavar="TEXT", help="the documents seen, as text")
    p = add_command(
        group, "list", "a client's representatives and whether each may act", common, cmd_rep_list
    )
    p.add_argument("client")
    p = add_command(
        group,
        "decline",
        "record that treating them as representative could endanger the client",
        common,
        cmd_rep_decline,
    )
    p.add_argument("representative", help="G-00001 or 1")
    _text_options(p, "the clinician's reasons")

    group = add_group(
        sub, "minor-service", "services a parent is not the minor's representative for", common
    )
    p = add_command(
        group,
        "add",
        "a service the minor consented to alone (or court, or agreement)",
        common,
        cmd_service_add,
    )
    p.add_argument("client")
    p.add_argument("--service", required=True, metavar="TEXT", help="what service")
    p.add_argument(
        "--basis",
        required=True,
        choices=BASES,
        help="the minor consented alone, a court authorized it, or the parent agreed to "
        "confidentiality",
    )
    p.add_argument(
        "--from",
        dest="date_from",
        required=True,
        metavar="YYYY-MM-DD",
        help="first session date of the service",
    )
    p.add_argument(
        "--until", dest="date_to", metavar="YYYY-MM-DD", help="last session date (default: open)"
    )
    p.add_argument("--service-code", metavar="CODE", help="only sessions with this code")
    p = add_command(group, "list", "a client's minor-consented services", common, cmd_service_list)
    p.add_argument("client")


def _text_options(p: argparse.ArgumentParser, what: str) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--text", help=what)
    group.add_argument("--text-file", metavar="FILE", help=f"read {what} from FILE (UTF-8)")


def _out_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--out", required=True, metavar="PATH", help=f"write {what} here")
    p.add_argument("--format", choices=["pdf", "txt", "md"], help="instead of the suffix")
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.add_argument("--yes", action="store_true", help="write without asking after the preview")


def _read(args: argparse.Namespace, name: str = "text") -> str:
    from ..secrets_input import read_secret_file

    value = getattr(args, name)
    if value is not None:
        return str(value)
    return read_secret_file(getattr(args, f"{name}_file"), name, secret=False)


def request_id(text: str) -> int:
    return parse_id(text, "X", "access request")


def denial_id(text: str) -> int:
    return parse_id(text, "W", "denial")


def rep_id(text: str) -> int:
    return parse_id(text, "G", "representative")


def _request_row(r: AccessRequest, today: date) -> tuple[str, ...]:
    if r.status == "done":
        clock = f"done {r.done_on}" + (f" (R-{r.disclosure_id:06d})" if r.disclosure_id else "")
    elif r.is_overdue(today):
        clock = f"OVERDUE by {-r.days_left(today)} days"
    else:
        clock = f"{r.days_left(today)} days left"
    return (
        r.record_id,
        f"C-{r.client_id:05d}",
        r.requester_name,
        r.received_on,
        r.due_on + (" (extended)" if r.extended else ""),
        clock,
    )


def _request_json(r: AccessRequest, today: date) -> dict[str, Any]:
    return {**to_jsonable(r), "days_left": r.days_left(today), "overdue": r.is_overdue(today)}


def _request_text(r: AccessRequest, today: date) -> str:
    lines = [
        f"{r.record_id}  copy of C-{r.client_id:05d}'s record for {r.requester_name}",
        f"Received {r.received_on}; due {r.due_on}"
        + (f" (extended once: {r.extension_reason})" if r.extended else ""),
        f"Status: {_request_row(r, today)[5]}",
    ]
    if r.status == "open":
        lines.append(
            f"Answer with: confide access C-{r.client_id:05d} --request {r.record_id} --out PATH"
        )
    return "\n".join(lines)


def cmd_add(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    rep = rep_id(args.representative) if args.representative else None
    with unlocked(ctx) as vault:
        r = vault.disclosures.access.request(cid, representative_id=rep, received_on=args.received)
    today = date.today()
    ctx.out.emit(
        _request_json(r, today),
        lambda: f"Recorded {r.record_id} for {r.requester_name}; act by {r.due_on} (30 days)",
    )


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client) if args.client else None
    with unlocked(ctx) as vault:
        items = vault.disclosures.access.requests(cid, open_only=not args.all)
    today = date.today()
    ctx.out.emit(
        [_request_json(r, today) for r in items],
        lambda: (
            table(
                ["ID", "CLIENT", "FOR", "RECEIVED", "DUE", "CLOCK"],
                [_request_row(r, today) for r in items],
            )
            if items
            else ("No access requests." if args.all else "No open access requests.")
        ),
    )


def cmd_show(args: argparse.Namespace, ctx: Context) -> None:
    rid = request_id(args.request)
    with unlocked(ctx) as vault:
        r = vault.disclosures.access.get_request(rid)
    today = date.today()
    ctx.out.emit(_request_json(r, today), lambda: _request_text(r, today))


def cmd_extend(args: argparse.Namespace, ctx: Context) -> int:
    rid = request_id(args.request)
    with unlocked(ctx) as vault:
        access = vault.disclosures.access
        _, document = access.extension_notice(rid, args.reason)
        if not confirm_document(ctx, document, args.out, args.yes, "letter"):
            ctx.out.info("Nothing was written or recorded.")
            return 1
        r = access.extend(rid, args.reason, args.out, fmt=args.format, force=args.force)
    today = date.today()
    ctx.out.emit(
        {"request": _request_json(r, today), "path": args.out},
        f"{r.record_id} extended once; now due {r.due_on}. Notice written to {args.out}.",
    )
    return 0


def cmd_grounds(args: argparse.Namespace, ctx: Context) -> None:
    from vault.disclosures import DenialGround

    rows = [
        {
            "ground": g.value,
            "citation": g.citation,
            "reviewable": g.reviewable,
            "words": g.words,
        }
        for g in DenialGround
    ]
    ctx.out.emit(
        rows,
        lambda: "\n\n".join(
            f"{r['ground']}  {r['citation']}  "
            f"({'reviewable' if r['reviewable'] else 'not reviewable'})\n  {r['words']}"
            for r in rows
        ),
    )


def _denial_text(d: Denial) -> str:
    what = "whole note" if d.start is None else f"passage {d.start}-{d.end}"
    state = (
        f"reviewed {d.reviewed_on} by {d.reviewer}: {d.outcome}"
        if d.reviewed_on
        else ("not yet reviewed" if d.ground.reviewable else "not reviewable")
    )
    return f"{d.record_id}  N-{d.note_id:06d} {what}  {d.ground.value}  {state}"


def cmd_deny(args: argparse.Namespace, ctx: Context) -> None:
    cid, nid = client_id(args.client), note_id(args.note)
    passage = None if args.whole else _read(args, "passage")
    explanation = _read(args)
    with unlocked(ctx) as vault:
        d = vault.disclosures.access.deny(
            cid,
            nid,
            args.ground,
            explanation,
            passage=passage,
            request_id=request_id(args.request) if args.request else None,
            denied_by=args.by,
        )
    ctx.out.emit(
        d,
        lambda: (
            f"Recorded {d.record_id}: copies now show {d.marker} in its place. Write the "
            f"written denial with: confide access-denial letter C-{cid:05d} --out PATH"
        ),
    )


def cmd_denials(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        items = vault.disclosures.access.denials(cid)
    ctx.out.emit(
        items, lambda: "\n".join(_denial_text(d) for d in items) if items else "No denials."
    )


def cmd_review(args: argparse.Namespace, ctx: Context) -> None:
    did = denial_id(args.denial)
    reason = _read(args)
    with unlocked(ctx) as vault:
        d = vault.disclosures.access.review(
            did,
            reviewer=args.reviewer,
            reviewer_license=args.license,
            outcome=args.outcome,
            reason=reason,
            requested_on=args.requested,
        )
    ctx.out.emit(
        d,
        lambda: (
            f"{d.record_id} {d.outcome} by {d.reviewer}"
            + (
                "; the passage is provided in every copy from now on"
                if d.outcome == "overturned"
                else "; it stays withheld"
            )
        ),
    )


def cmd_letter(args: argparse.Namespace, ctx: Context) -> int:
    cid = client_id(args.client)
    rid = request_id(args.request) if args.request else None
    with unlocked(ctx) as vault:
        access = vault.disclosures.access
        document = access.denial_letter(cid, rid)
        if not confirm_document(ctx, document, args.out, args.yes, "letter"):
            ctx.out.info("Nothing was written or recorded.")
            return 1
        path = access.write_denial_letter(
            cid, args.out, request_id=rid, fmt=args.format, force=args.force
        )
    ctx.out.emit(
        {"path": str(path), "denials": len(document.sections), "reference": document.reference},
        f"Wrote the written denial ({len(document.sections)} denial"
        f"{'s' if len(document.sections) != 1 else ''}) to {path}.",
    )
    return 0


def cmd_rep_add(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        rep = vault.disclosures.access.add_representative(
            cid, args.name, args.relation, args.authority, args.documents
        )
        problem = vault.disclosures.access.standing(rep)
    ctx.out.emit(
        {**to_jsonable(rep), "may_act": problem is None, "why_not": problem},
        lambda: (
            f"Recorded {rep.record_id} ({rep.relation.value})"
            + ("" if problem is None else f"; cannot act today: {problem}")
        ),
    )


def cmd_rep_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        access = vault.disclosures.access
        reps = [(r, access.standing(r)) for r in access.representatives(cid)]
    ctx.out.emit(
        [{**to_jsonable(r), "may_act": p is None, "why_not": p} for r, p in reps],
        lambda: (
            table(
                ["ID", "NAME", "RELATION", "AUTHORITY", "MAY ACT"],
                [
                    (r.record_id, r.name, r.relation.value, r.authority, "yes" if p is None else p)
                    for r, p in reps
                ],
            )
            if reps
            else "No personal representatives."
        ),
    )


def cmd_rep_decline(args: argparse.Namespace, ctx: Context) -> None:
    gid = rep_id(args.representative)
    reason = _read(args)
    with unlocked(ctx) as vault:
        rep = vault.disclosures.access.decline_representative(gid, reason)
    ctx.out.emit(
        rep,
        lambda: (
            f"{rep.record_id} is no longer treated as the client's personal representative "
            "(45 CFR 164.502(g)(5)); their requests are refused"
        ),
    )


def cmd_service_add(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        s = vault.disclosures.access.add_minor_service(
            cid, args.service, args.basis, args.date_from, args.date_to, args.service_code
        )
    ctx.out.emit(
        s,
        lambda: (
            f"Recorded {s.record_id}: notes of sessions from {s.date_from}"
            + (f" to {s.date_to}" if s.date_to else "")
            + (f" with code {s.service_code}" if s.service_code else "")
            + " are not part of a parent's or guardian's copy"
        ),
    )


def cmd_service_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        items = vault.disclosures.access.minor_services(cid)
    ctx.out.emit(
        items,
        lambda: (
            table(
                ["ID", "SERVICE", "BASIS", "FROM", "UNTIL", "CODE"],
                [
                    (s.record_id, s.service, s.basis.value, s.date_from, s.date_to, s.service_code)
                    for s in items
                ],
            )
            if items
            else "No minor-consented services recorded."
        ),
    )
