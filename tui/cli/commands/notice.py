"""notice: the limits-of-confidentiality and informed-consent notice.

Thin: the template, its versions and each client's notice live in `vault.disclosures.notices`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..output import table
from ._common import add_command, add_group, client_id, confirm_document, read_body, unlocked

if TYPE_CHECKING:
    from vault.disclosures.notice import GivenNotice, NoticeStatus, NoticeTemplate

    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(
        sub, "notice", "the confidentiality and consent notice: template, PDFs, who has it", common
    )
    p = add_command(
        group, "template", "show the current template (or --version N)", common, cmd_show
    )
    p.add_argument("--version", type=int, metavar="N", help="an earlier version")
    p = add_command(
        group,
        "edit",
        "save a new template version from FILE (- for standard input)",
        common,
        cmd_edit,
    )
    p.add_argument(
        "--file",
        dest="body_file",
        required=True,
        metavar="FILE",
        help="the whole template: sections start with '## Title'",
    )
    add_command(group, "versions", "every template version and its date", common, cmd_versions)
    p = add_command(
        group,
        "sections",
        "the template's sections: which are optional, which a notice carries",
        common,
        cmd_sections,
    )
    p.add_argument("--version", type=int, metavar="N", help="an earlier version")
    p = add_command(
        group, "switch", "switch an optional section on or off (a new version)", common, cmd_switch
    )
    p.add_argument("section", help="the section title")
    state = p.add_mutually_exclusive_group(required=True)
    state.add_argument("--on", action="store_true", help="include it in notices")
    state.add_argument("--off", action="store_true", help="leave it out of notices")
    p = add_command(group, "pdf", "write a client's notice, ready to sign", common, cmd_pdf)
    p.add_argument("client")
    p.add_argument("--out", required=True, metavar="PATH", help="write the notice here")
    p.add_argument("--format", choices=["pdf", "txt", "md"], help="instead of the suffix")
    p.add_argument("--paper", choices=["letter", "a4"], help="paper size (default: practice)")
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.add_argument("--yes", action="store_true", help="write without asking after the preview")
    p = add_command(
        group, "given", "record that the client was given the notice", common, cmd_given
    )
    p.add_argument("client")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day given (default today)")
    p.add_argument("--acknowledged", metavar="YYYY-MM-DD", help="the day the client signed it")
    p.add_argument("--version", type=int, metavar="N", help="the version given (default current)")
    p = add_command(
        group, "acknowledged", "record the client's signature on the latest notice", common, cmd_ack
    )
    p.add_argument("client")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day signed (default today)")
    p = add_command(group, "list", "the notices a client was given", common, cmd_list)
    p.add_argument("client")
    p = add_command(
        group,
        "status",
        "active clients whose notice is missing, outdated or unsigned",
        common,
        cmd_status,
    )
    p.add_argument("--all", action="store_true", help="also the clients whose notice is current")


def _template_json(t: NoticeTemplate) -> dict[str, Any]:
    return {
        "version": t.version,
        "created_at": t.created_at,
        "sections": [
            {"title": s.title, "optional": s.optional, "included": s.enabled} for s in t.sections
        ],
        "text": t.text,
    }


def _given_json(g: GivenNotice) -> dict[str, Any]:
    return {
        "notice_id": g.record_id,
        "client_id": f"C-{g.client_id:05d}",
        "template_version": g.template_version,
        "given_on": g.given_on,
        "acknowledged_on": g.acknowledged_on,
    }


def cmd_show(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        t = vault.disclosures.notices.template(args.version)
    ctx.out.emit(
        _template_json(t),
        lambda: f"Notice template version {t.version} ({t.created_at})\n\n{t.text}",
    )


def cmd_edit(args: argparse.Namespace, ctx: Context) -> None:
    text = read_body(args) or ""
    with unlocked(ctx) as vault:
        before = vault.disclosures.notices.template().version
        t = vault.disclosures.notices.save_template(text)
    ctx.out.emit(
        _template_json(t),
        f"Saved template version {t.version}."
        if t.version != before
        else f"The template is unchanged (version {t.version}); nothing was saved.",
    )


def cmd_versions(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        versions = vault.disclosures.notices.versions()
    ctx.out.emit(
        [{"version": t.version, "created_at": t.created_at} for t in versions],
        lambda: table(
            ["VERSION", "SAVED", "SECTIONS"],
            [(t.version, t.created_at, len(t.included)) for t in versions],
        ),
    )


def cmd_sections(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        t = vault.disclosures.notices.template(args.version)
    sections = _template_json(t)["sections"]
    ctx.out.emit(
        {"version": t.version, "created_at": t.created_at, "sections": sections},
        lambda: (
            f"Notice template version {t.version} ({t.created_at})\n"
            + table(
                ["SECTION", "OPTIONAL", "IN THE NOTICE"],
                [
                    (s.title, "yes" if s.optional else "no", "yes" if s.enabled else "no (off)")
                    for s in t.sections
                ],
            )
        ),
    )


def cmd_switch(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        t = vault.disclosures.notices.switch_section(args.section, on=bool(args.on))
    ctx.out.emit(_template_json(t), f"Saved template version {t.version}.")


def cmd_pdf(args: argparse.Namespace, ctx: Context) -> int:

    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        notices = vault.disclosures.notices
        document = notices.document(cid)
        if not confirm_document(ctx, document, args.out, args.yes, "notice"):
            ctx.out.info("Nothing was written.")
            return 1
        path = notices.write(cid, args.out, fmt=args.format, force=args.force, paper=args.paper)
        version = notices.template().version
    ctx.out.emit(
        {"path": str(path), "client_id": f"C-{cid:05d}", "template_version": version},
        f"Wrote the notice (template version {version}) to {path}. When the client has signed "
        f"it: confide notice given C-{cid:05d} --acknowledged YYYY-MM-DD",
    )
    return 0


def cmd_given(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        g = vault.disclosures.notices.give(cid, args.date, args.acknowledged, args.version)
    ctx.out.emit(
        _given_json(g),
        f"Recorded {g.record_id}: template version {g.template_version} given {g.given_on}"
        + (f", acknowledged {g.acknowledged_on}." if g.acknowledged_on else "."),
    )


def cmd_ack(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        g = vault.disclosures.notices.acknowledge(cid, args.date)
    ctx.out.emit(_given_json(g), f"Recorded: {g.record_id} acknowledged {g.acknowledged_on}.")


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        vault.clients.get_unaudited(cid)
        given = vault.disclosures.notices.given(cid)
    ctx.out.emit(
        [_given_json(g) for g in given],
        lambda: (
            table(
                ["NOTICE", "VERSION", "GIVEN", "ACKNOWLEDGED"],
                [
                    (
                        g.record_id,
                        "not recorded" if g.template_version is None else g.template_version,
                        g.given_on,
                        g.acknowledged_on or "-",
                    )
                    for g in given
                ],
            )
            if given
            else "No notice recorded for this client."
        ),
    )


def cmd_status(args: argparse.Namespace, ctx: Context) -> None:
    from vault.disclosures.notice import NoticeState

    with unlocked(ctx) as vault:
        statuses = vault.disclosures.notices.statuses()
        current = vault.disclosures.notices.template().version
        if not args.all:
            statuses = [s for s in statuses if s.state is not NoticeState.CURRENT]
        names = {
            s.client_id: vault.clients.get_unaudited(s.client_id).display_name for s in statuses
        }

    def row(s: NoticeStatus) -> dict[str, Any]:
        return {
            "client_id": f"C-{s.client_id:05d}",
            "state": s.state.value,
            "latest": None if s.latest is None else _given_json(s.latest),
        }

    ctx.out.emit(
        {"current_version": current, "clients": [row(s) for s in statuses]},
        lambda: (
            table(
                ["CLIENT", "NAME", "NOTICE", "DETAIL"],
                [
                    (f"C-{s.client_id:05d}", names[s.client_id], s.state.value, s.describe())
                    for s in statuses
                ],
            )
            if statuses
            else f"Every active client has signed the current notice (version {current})."
        ),
    )
