"""incident add / list / show / assess / conclude / notice / notices / close / hhs-log / template.

Thin: every rule lives in `vault.incidents` (45 CFR 164.402-408). `backup lost` opens an
incident on its own; these commands carry it through to its conclusion.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import table
from . import _choices
from ._common import add_command, add_group, client_id, parse_id, read_body, unlocked

if TYPE_CHECKING:
    from vault import Vault
    from vault.incidents import Incident

    from ..main import Context

_CONCLUSIONS = list(_choices.CONCLUSIONS)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(
        sub,
        "incident",
        "incidents and breaches (45 CFR 164.402-408): assess, conclude, notify, the HHS log",
        common,
    )
    p = add_command(
        group, "add", "record an incident (a lost drive opens one by itself)", common, cmd_add
    )
    p.add_argument(
        "--kind", required=True, choices=list(_choices.INCIDENT_KINDS), help="what happened"
    )
    p.add_argument("--discovered", metavar="YYYY-MM-DD", help="date discovered (default today)")
    p.add_argument("--occurred", metavar="YYYY-MM-DD", help="date it happened, if known")
    _text_options(p, "what happened")
    p.add_argument("--media", metavar="TEXT", help="what media or channel (laptop, fax, email)")
    p.add_argument("--containment", metavar="TEXT", help="what was done to contain it")
    _client_options(p)
    p.add_argument(
        "--release",
        dest="releases",
        action="append",
        default=[],
        metavar="R",
        help="a release that went to the wrong person (R-000001; repeat): its client is affected",
    )

    p = add_command(
        group, "list", "incidents, newest first, with their deadlines", common, cmd_list
    )
    p.add_argument("--open", action="store_true", help="only open incidents")

    p = add_command(
        group, "show", "one incident: facts, assessment, conclusion, notices", common, cmd_show
    )
    p.add_argument("incident", help="I-000001 or 1")

    p = add_command(
        group, "assess", "record the four-factor risk assessment (164.402(2))", common, cmd_assess
    )
    p.add_argument("incident")
    p.add_argument(
        "--keys-compromised",
        choices=list(_choices.KEYS_COMPROMISED),
        help="may the passphrase or the recovery sheet also be compromised?",
    )
    p.add_argument(
        "--nature",
        metavar="TEXT",
        help="1. nature and extent of the information (identifiers, how easily re-identified)",
    )
    p.add_argument(
        "--recipient",
        metavar="TEXT",
        help="2. the unauthorised person who used it or to whom it went",
    )
    p.add_argument(
        "--acquired", metavar="TEXT", help="3. whether it was actually acquired or viewed"
    )
    p.add_argument("--mitigation", metavar="TEXT", help="4. how far the risk was mitigated")
    p.add_argument("--containment", metavar="TEXT", help="what was done to contain it")
    _client_options(p)

    p = add_command(group, "conclude", "the conclusion, with your reasoning", common, cmd_conclude)
    p.add_argument("incident")
    p.add_argument(
        "conclusion",
        choices=_CONCLUSIONS,
        help="not-breach: encryption safe harbor, keys not compromised; "
        "low-probability: the four factors show it; breach",
    )
    p.add_argument("--reason", required=True, metavar="TEXT", help="why")
    p.add_argument("--on", metavar="YYYY-MM-DD", help="date of the conclusion (default today)")

    p = add_command(
        group,
        "notice",
        "write the notice letters (PDF) or record a notice sent",
        common,
        cmd_notice,
    )
    p.add_argument("incident")
    p.add_argument(
        "--out-dir",
        metavar="DIR",
        help="write one letter per affected client here (notice-I-...-C-....pdf)",
    )
    p.add_argument(
        "--client",
        dest="clients",
        action="append",
        default=[],
        metavar="C",
        help="only this client (repeat; default every affected client)",
    )
    p.add_argument(
        "--format", choices=["pdf", "txt", "md"], default="pdf", help="letter format (default pdf)"
    )
    p.add_argument("--address", metavar="TEXT", help="the client's address, on the letter")
    p.add_argument("--force", action="store_true", help="replace letters that exist")
    p.add_argument(
        "--sent",
        metavar="C",
        action="append",
        default=[],
        help="record that this client's notice was sent (repeat)",
    )
    p.add_argument("--on", metavar="YYYY-MM-DD", help="date sent (default today)")
    p.add_argument(
        "--method",
        default="mail",
        choices=["mail", "email", "hand", "phone", "substitute"],
        help="how it was sent (default first-class mail)",
    )
    for flag, key in (
        ("--what", "what happened"),
        ("--information", "what information"),
        ("--steps", "what the client should do"),
        ("--actions", "what the practice is doing"),
        ("--contact", "how to contact the practice"),
    ):
        p.add_argument(
            flag, metavar="TEXT", help=f"the letter's wording for {key} (kept for this incident)"
        )

    p = add_command(group, "notices", "who was notified, who is still to be", common, cmd_notices)
    p.add_argument("incident")

    p = add_command(group, "close", "close a concluded incident", common, cmd_close)
    p.add_argument("incident")
    p.add_argument("--note", metavar="TEXT", help="a closing note")
    p.add_argument(
        "--unnotified-reason", metavar="TEXT", help="a breach with clients not notified: why"
    )

    p = add_command(
        group,
        "hhs-log",
        "the year's breaches under 500, to copy into HHS's form",
        common,
        cmd_hhs_log,
    )
    p.add_argument("year", type=int, nargs="?", help="calendar year (default last year)")

    p = add_command(
        group, "template", "show or replace the notice letter's template", common, cmd_template
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--file", metavar="FILE", help="replace it with FILE's text (- stdin)")
    source.add_argument("--reset", action="store_true", help="back to the default")


def _text_options(p: argparse.ArgumentParser, what: str) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--description", dest="body", metavar="TEXT", help=what)
    group.add_argument(
        "--description-file",
        dest="body_file",
        metavar="FILE",
        help=f"{what}, from FILE (- for standard input)",
    )


def _client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--client",
        dest="clients",
        action="append",
        default=[],
        metavar="C",
        help="an affected client (C-00001; repeat)",
    )
    p.add_argument(
        "--record-kinds",
        default="identity,notes",
        metavar="LIST",
        help="what of theirs was exposed: identity, notes, psychotherapy_notes, "
        "release (default identity,notes)",
    )


def incident_id(text: str) -> int:
    return parse_id(text, "I", "incident")


def _kinds(args: argparse.Namespace) -> list[str]:
    return [k.strip().replace("-", "_") for k in str(args.record_kinds).split(",") if k.strip()]


def _deadline(incident: Incident) -> str:
    if incident.deadline is None or not incident.is_open:
        return ""
    left = (incident.deadline - date.today()).days
    return f"{incident.deadline} ({left}d)" if left >= 0 else f"{incident.deadline} OVERDUE"


def _state(incident: Incident) -> str:
    if incident.conclusion is None:
        return "open, not concluded"
    return f"{incident.status}, {incident.conclusion.value.replace('_', '-')}"


def _json(vault: Vault, incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident,
        "record_id": incident.record_id,
        "deadline": incident.deadline.isoformat() if incident.deadline else None,
        "known_facts": vault.incidents.known_facts(incident),
        "unnotified": list(incident.unnotified),
    }


def _text(vault: Vault, i: Incident) -> str:
    lines = [
        f"{i.record_id}  {i.kind.label}  ({_state(i)})",
        f"Occurred:    {i.occurred_on or 'unknown'}",
        f"Discovered:  {i.discovered_on}",
    ]
    if i.deadline is not None and i.is_open:
        lines.append(
            f"Deadline:    notices by {_deadline(i)}: 60 days after discovery (164.404(b))"
        )
    lines += [
        f"Media:       {i.media or '-'}",
        f"Source:      {i.source or 'recorded by hand'}",
        "",
        "What happened:",
        f"  {i.description}",
        "",
        f"Containment: {i.containment or '-'}",
        "",
        "What Confide knows:",
    ]
    lines += [f"  - {fact}" for fact in vault.incidents.known_facts(i)]
    keys = i.keys_compromised.value if i.keys_compromised else "not answered"
    lines += [
        "",
        "Risk assessment (45 CFR 164.402(2)):",
        f"  Passphrase or recovery sheet compromised: {keys}",
        f"  1. Nature and extent: {i.nature or '-'}",
        f"  2. Who got it:        {i.recipient or '-'}",
        f"  3. Acquired/viewed:   {i.acquired or '-'}",
        f"  4. Mitigation:        {i.mitigation or '-'}",
        "",
    ]
    if i.conclusion is None:
        lines.append(
            "Conclusion: none yet (a breach is presumed until the assessment shows otherwise)"
        )
    else:
        lines += [
            f"Conclusion ({i.concluded_on}): {i.conclusion.label}",
            f"  Reasoning: {i.conclusion_reason}",
        ]
    if i.clients:
        lines += ["", f"Affected clients ({i.affected}):"]
        sent = i.sent_to
        for c in i.clients:
            where = "" if c.in_vault else "  (no longer in the vault)"
            lines.append(
                f"  {c.record_id}  {', '.join(c.kinds)}; {c.notes} note(s); "
                f"from the {c.source}{'; notified' if c.record_id in sent else ''}"
                f"{where}"
            )
    if i.closed_on:
        lines += ["", f"Closed {i.closed_on}: {i.close_note or ''}".rstrip(": ")]
    return "\n".join(lines)


def cmd_add(args: argparse.Namespace, ctx: Context) -> None:
    description = read_body(args) or ""
    releases = [parse_id(r, "R", "release") for r in args.releases]
    with unlocked(ctx) as vault:
        incident = vault.incidents.open(
            args.kind,
            args.discovered or date.today(),
            description,
            occurred_on=args.occurred,
            media=args.media or "",
            containment=args.containment or "",
            clients=[client_id(c) for c in args.clients],
            kinds=_kinds(args),
            releases=releases,
        )
        ctx.out.emit(
            _json(vault, incident),
            lambda: (
                _text(vault, incident) + "\n\nNext: assess it with `confide "
                f"incident assess {incident.record_id}`."
            ),
        )


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        incidents = vault.incidents.list(include_closed=not args.open)
    rows = [
        (
            i.record_id,
            i.kind.value.replace("_", "-"),
            i.discovered_on,
            _state(i),
            i.affected,
            _deadline(i),
        )
        for i in incidents
    ]
    ctx.out.emit(
        [
            {
                "record_id": i.record_id,
                "kind": i.kind.value,
                "discovered_on": i.discovered_on,
                "status": i.status,
                "conclusion": i.conclusion,
                "affected": i.affected,
                "deadline": i.deadline.isoformat() if i.deadline else None,
                "unnotified": list(i.unnotified),
            }
            for i in incidents
        ],
        lambda: (
            table(["INCIDENT", "KIND", "DISCOVERED", "STATE", "CLIENTS", "DEADLINE"], rows)
            if rows
            else "No incidents recorded."
        ),
    )


def cmd_show(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        incident = vault.incidents.get(incident_id(args.incident))
        ctx.out.emit(_json(vault, incident), lambda: _text(vault, incident))


def cmd_assess(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError

    iid = incident_id(args.incident)
    with unlocked(ctx) as vault:
        if args.clients:
            vault.incidents.add_clients(iid, [client_id(c) for c in args.clients], _kinds(args))
        given = {
            k: getattr(args, k)
            for k in (
                "nature",
                "recipient",
                "acquired",
                "mitigation",
                "containment",
                "keys_compromised",
            )
        }
        if any(v is not None for v in given.values()):
            incident = vault.incidents.assess(iid, **given)
        elif args.clients:
            incident = vault.incidents.get(iid)
        else:
            raise UsageError(
                "nothing to record: give a factor (--nature, --recipient, "
                "--acquired, --mitigation), --keys-compromised or --client"
            )
        ctx.out.emit(_json(vault, incident), lambda: _text(vault, incident))


def cmd_conclude(args: argparse.Namespace, ctx: Context) -> None:
    from vault.incidents import Conclusion

    with unlocked(ctx) as vault:
        incident = vault.incidents.conclude(
            incident_id(args.incident), args.conclusion, args.reason, on=args.on
        )
        after = ""
        if incident.conclusion is Conclusion.BREACH:
            after = (
                f"\n\nNext: write the letters (`confide incident notice "
                f"{incident.record_id} --out-dir DIR`), send them by {incident.deadline}, "
                "and record each one sent (--sent C-00001)."
            )
        ctx.out.emit(_json(vault, incident), lambda: _text(vault, incident) + after)


def cmd_notice(args: argparse.Namespace, ctx: Context) -> None:
    from vault import UsageError

    iid = incident_id(args.incident)
    wording = {
        "what_happened": args.what,
        "information": args.information,
        "steps": args.steps,
        "practice_actions": args.actions,
        "contact": args.contact,
    }
    if not (args.out_dir or args.sent or any(v is not None for v in wording.values())):
        raise UsageError(
            "say what to do: --out-dir DIR writes the letters, --sent C records "
            "a notice sent, --steps/--actions/... set the wording"
        )
    out_dir = Path(args.out_dir).expanduser() if args.out_dir else None
    if out_dir is not None and not out_dir.is_dir():
        raise UsageError(f"the folder {out_dir} does not exist")
    written: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []
    with unlocked(ctx) as vault:
        if any(v is not None for v in wording.values()):
            vault.incidents.set_letter(iid, **wording)
        incident = vault.incidents.get(iid)
        if out_dir is not None:
            chosen = [f"C-{client_id(c):05d}" for c in args.clients] or [
                c.record_id for c in incident.clients if c.in_vault
            ]
            passphrase = ctx.secrets.passphrase()
            for rid in chosen:
                path = out_dir / f"notice-{incident.record_id}-{rid}.{args.format}"
                notice = vault.incidents.write_notice(
                    iid,
                    rid,
                    path,
                    fmt=args.format,
                    force=args.force,
                    passphrase=passphrase,
                    address=args.address,
                )
                written.append({"client": rid, "path": str(path), "sha256": notice.sha256})
        for ref in args.sent:
            notice = vault.incidents.record_sent(
                iid, client_id(ref), sent_on=args.on, method=args.method
            )
            sent.append(
                {"client": notice.record_id, "sent_on": notice.sent_on, "method": notice.method}
            )
        incident = vault.incidents.get(iid)
    lines = [f"Letter for {w['client']}: {w['path']}" for w in written]
    lines += [
        f"Recorded: notice to {s['client']} sent {s['sent_on']} by {s['method']}" for s in sent
    ]
    if written and not sent:
        lines.append(
            f"Send them, then record each: confide incident notice "
            f"{incident.record_id} --sent C-... [--on DATE]"
        )
    if incident.unnotified:
        lines.append(
            f"Still to notify: {', '.join(incident.unnotified)}"
            + (f" (by {incident.deadline})" if incident.deadline else "")
        )
    elif incident.clients:
        lines.append("Every affected client has a notice recorded as sent.")
    ctx.out.emit(
        {
            "incident": incident.record_id,
            "written": written,
            "sent": sent,
            "unnotified": list(incident.unnotified),
        },
        "\n".join(lines),
    )


def cmd_notices(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        incident = vault.incidents.get(incident_id(args.incident))
    rows = []
    for c in incident.clients:
        mine = [n for n in incident.notices if n.record_id == c.record_id]
        letters = sum(1 for n in mine if n.state == "written")
        sent = [n for n in mine if n.state == "sent"]
        rows.append(
            (
                c.record_id,
                letters,
                f"{sent[-1].sent_on} by {sent[-1].method}" if sent else "NOT YET",
                "" if c.in_vault else "no longer in the vault",
            )
        )
    data = {
        "incident": incident.record_id,
        "notices": list(incident.notices),
        "unnotified": list(incident.unnotified),
        "deadline": incident.deadline.isoformat() if incident.deadline else None,
    }
    ctx.out.emit(
        data,
        lambda: (
            table(["CLIENT", "LETTERS", "SENT", ""], rows)
            if rows
            else f"{incident.record_id} names no clients."
        ),
    )


def cmd_close(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        incident = vault.incidents.close(
            incident_id(args.incident), args.note, unnotified_reason=args.unnotified_reason
        )
        ctx.out.emit(_json(vault, incident), f"{incident.record_id} closed.")


def cmd_hhs_log(args: argparse.Namespace, ctx: Context) -> None:
    year = args.year if args.year is not None else date.today().year - 1
    with unlocked(ctx) as vault:
        log = vault.incidents.hhs_log(year)
    ctx.out.emit(log, log.text())


def cmd_template(args: argparse.Namespace, ctx: Context) -> None:
    text: str | None = None
    if args.file:
        text = read_body(argparse.Namespace(body=None, body_file=args.file))
    with unlocked(ctx) as vault:
        if args.reset:
            result = vault.incidents.set_template(None)
        elif text is not None:
            result = vault.incidents.set_template(text)
        else:
            result = vault.incidents.template()
    ctx.out.emit({"template": result}, result)
