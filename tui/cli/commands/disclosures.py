"""release / access / auth / disclosures / amend / request / legal-hold / practice.

Thin: every rule lives in `vault.disclosures`. A release shows its preview (the exact text that
will leave) before writing when run in a terminal; `--preview` only shows it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..output import table, to_jsonable
from ._choices import DOCUMENT_KINDS, RELEASE_TYPES
from ._common import add_command, add_group, client_id, note_id, parse_id, unlocked
from .attachments import KINDS as ATTACHMENT_KINDS
from .attachments import attachment_id

if TYPE_CHECKING:
    from vault import OmitCategory, Vault
    from vault.attachments import AttachmentKind
    from vault.disclosures import (
        Authorization,
        DocumentKind,
        RecordsRequest,
        ReleasePlan,
    )

    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub,
        "release",
        "release records to a third party (preview, then write)",
        common,
        cmd_release,
    )
    p.add_argument("client", help="client identifier")
    p.add_argument(
        "--type",
        default="authorization",
        choices=RELEASE_TYPES,
        help="request type (default: authorization)",
    )
    p.add_argument(
        "--to",
        dest="recipient",
        required=True,
        metavar="NAME",
        help="recipient (for a subpoena: who issued it)",
    )
    p.add_argument("--address", metavar="TEXT", help="recipient's address")
    p.add_argument("--for", dest="purpose", metavar="PURPOSE", help="purpose of the disclosure")
    p.add_argument("--authorization", metavar="A", help="the client's authorization (A-00001)")
    p.add_argument(
        "--pnotes-authorization",
        metavar="A",
        help="a psychotherapy-notes authorization: includes psychotherapy notes "
        "(asks the passphrase again)",
    )
    p.add_argument("--court-order", metavar="TEXT", help="the court order (court, case, date)")
    p.add_argument("--request", metavar="Q", help="the recorded subpoena this answers")
    p.add_argument("--reference", metavar="TEXT", help="subpoena: case or reference number")
    p.add_argument("--received", metavar="YYYY-MM-DD", help="subpoena: date received")
    p.add_argument(
        "--note",
        dest="notes",
        action="append",
        default=[],
        metavar="N",
        help="release this note (repeat; required for mandated reports and duty "
        "to warn: minimum necessary, item by item)",
    )
    p.add_argument(
        "--attachment",
        dest="attachments",
        action="append",
        default=[],
        metavar="F",
        help="send this scanned form or file too, inside the PDF (repeat; default: none)",
    )
    p.add_argument(
        "--attachments",
        dest="attachment_kinds",
        action="append",
        default=[],
        metavar="KIND",
        help="send the client's scanned forms filed as KIND (repeat), or all of them: all, "
        + ", ".join(ATTACHMENT_KINDS),
    )
    _scope_options(p, "what --authorization covers, else all")
    _output_options(p)

    p = add_command(
        sub,
        "access",
        "a copy of the client's whole record for the client or their representative (164.524)",
        common,
        cmd_access,
    )
    p.add_argument("client")
    p.add_argument(
        "--request",
        metavar="X",
        help="the access request this answers (X-00001): closes its clock; a "
        "representative's request makes the copy theirs",
    )
    p.add_argument("--address", metavar="TEXT", help="where the copy is sent")
    _scope_options(p, include=False)
    _output_options(p)

    group = add_group(
        sub, "auth", "authorizations to disclose (164.508): add, list, revoke", common
    )
    p = add_command(group, "add", "record a signed authorization", common, cmd_auth_add)
    p.add_argument("client")
    p.add_argument(
        "--kind",
        default="general",
        choices=["general", "psychotherapy-notes"],
        help="a psychotherapy-notes authorization is its own kind",
    )
    p.add_argument("--what", required=True, help="what may be disclosed, as the form says")
    p.add_argument("--discloser", required=True, help="who may disclose")
    p.add_argument("--to", dest="recipient", required=True, help="who may receive")
    p.add_argument("--address", help="recipient's address")
    p.add_argument("--for", dest="purpose", required=True, help="purpose")
    p.add_argument("--signed", required=True, metavar="YYYY-MM-DD", help="date signed")
    p.add_argument("--expires", metavar="YYYY-MM-DD", help="expiry date")
    p.add_argument("--expiry-event", metavar="TEXT", help="expiry event (instead of a date)")
    p.add_argument(
        "--doc-kind",
        dest="kinds",
        action="append",
        default=[],
        metavar="KIND",
        help="document kinds covered (general only; default all): " + ", ".join(DOCUMENT_KINDS),
    )
    p = add_command(
        group, "list", "a client's authorizations and whether each is valid", common, cmd_auth_list
    )
    p.add_argument("client")
    p = add_command(
        group, "revoke", "record the client's written revocation", common, cmd_auth_revoke
    )
    p.add_argument("authorization", help="A-00001 or 1")
    p.add_argument("--on", metavar="YYYY-MM-DD", help="date revoked (default today)")

    p = add_command(
        sub,
        "disclosures",
        "accounting of disclosures, last six years (164.528)",
        common,
        cmd_disclosures,
    )
    p.add_argument("client")
    p.add_argument(
        "--all",
        action="store_true",
        help="also list disclosures the accounting excludes (to the client, under "
        "an authorization)",
    )
    p.add_argument("--out", metavar="PATH", help="also write it as PDF, .txt or .md")
    p.add_argument("--format", choices=["pdf", "txt", "md"], help="instead of the suffix")
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")

    group = add_group(sub, "amend", "amendment requests (164.526): 60 days to act", common)
    p = add_command(
        group, "request", "record a client's request to amend a note", common, cmd_amend_request
    )
    p.add_argument("client")
    p.add_argument("note")
    _text_options(p, "the request, in the client's words")
    p.add_argument("--on", metavar="YYYY-MM-DD", help="date received (default today)")
    p = add_command(
        group, "list", "a client's amendment requests and due dates", common, cmd_amend_list
    )
    p.add_argument("client")
    p = add_command(
        group, "extend", "one 30-day extension, with the reason", common, cmd_amend_extend
    )
    p.add_argument("amendment", help="M-00001 or 1")
    p.add_argument("--reason", required=True, help="why 30 more days are needed")
    p = add_command(
        group, "accept", "accept: a signed addendum linked to the note", common, cmd_amend_accept
    )
    p.add_argument("amendment")
    _text_options(p, "the amendment text")
    p = add_command(group, "deny", "deny, with the reason", common, cmd_amend_deny)
    p.add_argument("amendment")
    _text_options(p, "the reason for the denial")
    p = add_command(
        group, "disagree", "the client's statement of disagreement", common, cmd_amend_disagree
    )
    p.add_argument("amendment")
    _text_options(p, "the statement")
    p = add_command(
        group, "rebut", "your rebuttal to the statement of disagreement", common, cmd_amend_rebut
    )
    p.add_argument("amendment")
    _text_options(p, "the rebuttal")

    group = add_group(sub, "request", "recorded records requests (subpoenas): checklist", common)
    p = add_command(group, "list", "records requests, newest first", common, cmd_request_list)
    p.add_argument("client", nargs="?")
    p = add_command(group, "show", "a request and its checklist", common, cmd_request_show)
    p.add_argument("request", help="Q-00001 or 1")
    p = add_command(group, "update", "tick checklist items", common, cmd_request_update)
    p.add_argument("request")
    p.add_argument("--client-notified", metavar="YYYY-MM-DD", help="date the client was told")
    p.add_argument("--counsel-consulted", metavar="YYYY-MM-DD", help="date counsel was consulted")
    p.add_argument("--authorization", metavar="A", help="the client's authorization")
    p.add_argument("--court-order", metavar="TEXT", help="the court order (court, case, date)")

    group = add_group(sub, "legal-hold", "legal holds (a hold blocks disposal)", common)
    p = add_command(group, "list", "active holds (all holds with a client)", common, cmd_hold_list)
    p.add_argument("client", nargs="?")
    p = add_command(group, "place", "put a client on legal hold", common, cmd_hold_place)
    p.add_argument("client")
    p.add_argument("--reason", required=True, help="why (a case, a records request...)")
    p = add_command(group, "release", "end a hold, saying why", common, cmd_hold_release)
    p.add_argument("hold", help="H-00001 or 1")
    p.add_argument("--note", required=True, help="why the hold ends")

    group = add_group(sub, "practice", "the practice header printed on every release", common)
    add_command(group, "show", "show the practice header", common, cmd_practice_show)
    p = add_command(group, "set", "set the practice header", common, cmd_practice_set)
    p.add_argument("--name", help="practice name (letterhead, running header, PDF author)")
    p.add_argument("--clinician", help="the clinician's name, printed above the signature line")
    p.add_argument("--credentials", help="the clinician's credentials (e.g. PsyD, LMFT)")
    p.add_argument("--address", help="postal address")
    p.add_argument("--phone", help="telephone")
    p.add_argument("--license", help="license type and number")
    p.add_argument("--paper", choices=["a4", "letter"], help="default PDF page size of releases")


def _scope_options(
    p: argparse.ArgumentParser, default_kinds: str = "all", *, include: bool = True
) -> None:
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first session date")
    p.add_argument("--until", dest="date_to", metavar="YYYY-MM-DD", help="last session date")
    p.add_argument(
        "--kind",
        dest="kinds",
        action="append",
        default=[],
        metavar="KIND",
        help=f"document kind (repeat; default {default_kinds}): " + ", ".join(DOCUMENT_KINDS),
    )
    if not include:
        return  # a client's copy has every flagged passage: nothing to include on purpose
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="CATEGORY",
        help="release passages flagged with CATEGORY on purpose (recorded)",
    )


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--legal-name",
        action="store_true",
        help="print a pseudonymous client's sealed legal name on the release",
    )
    p.add_argument("--out", metavar="PATH", help="write the release here (.pdf, .txt, .md)")
    p.add_argument("--format", choices=["pdf", "txt", "md"], help="instead of the suffix")
    p.add_argument(
        "--paper",
        choices=["a4", "letter"],
        help="PDF page size (default: the practice setting, else letter)",
    )
    p.add_argument("--force", action="store_true", help="replace PATH if it exists")
    p.add_argument(
        "--preview",
        action="store_true",
        help="show exactly what would leave; write and record nothing",
    )
    p.add_argument("--yes", action="store_true", help="write without asking after the preview")
    p.add_argument(
        "--pdf-password-file",
        metavar="FILE",
        help="protect the PDF with the password in FILE (AES-256)",
    )
    p.add_argument(
        "--encrypt",
        action="store_true",
        help="protect the PDF with a password asked for now (AES-256); in a "
        "terminal a PDF is offered a password anyway",
    )
    p.add_argument(
        "--no-encrypt", action="store_true", help="write the PDF without a password, without asking"
    )


def _text_options(p: argparse.ArgumentParser, what: str) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--text", help=what)
    group.add_argument("--text-file", metavar="FILE", help=f"read {what} from FILE (UTF-8)")


def _read_text(args: argparse.Namespace) -> str:
    from ..secrets_input import read_secret_file

    if args.text is not None:
        return str(args.text)
    return read_secret_file(args.text_file, "text", secret=False)


def auth_id(text: str) -> int:
    return parse_id(text, "A", "authorization")


def _attachment_kinds(values: list[str]) -> tuple[AttachmentKind, ...]:
    from vault.attachments import AttachmentKind

    if any(v.strip().lower() == "all" for v in values):
        return tuple(AttachmentKind)
    return tuple(AttachmentKind.parse(v) for v in values)


def _kinds(values: list[str]) -> tuple[DocumentKind, ...]:
    from vault.disclosures import ALL_KINDS, DocumentKind

    return tuple(DocumentKind.parse(v) for v in values) if values else ALL_KINDS


def _categories(values: list[str]) -> tuple[OmitCategory, ...]:
    from vault import OmitCategory

    return tuple(OmitCategory.parse(v) for v in values)


def _is_pdf(args: argparse.Namespace) -> bool:
    fmt = (args.format or "").lower()
    return fmt == "pdf" or (not fmt and str(args.out or "").lower().endswith(".pdf"))


def _password(args: argparse.Namespace, ctx: Context | None = None) -> str | None:
    """The PDF password. A release saved to disk outlives the client's disposal (it is outside
    the vault), so a PDF is offered a password by default in a terminal; Enter declines."""
    import getpass

    from vault import UsageError

    from ..secrets_input import read_secret_file

    if args.no_encrypt and (args.pdf_password_file or args.encrypt):
        raise UsageError("--no-encrypt contradicts --encrypt / --pdf-password-file")
    if args.pdf_password_file:
        return read_secret_file(
            args.pdf_password_file,
            "PDF password",
            insecure=bool(getattr(args, "insecure_passphrase_file", False)),
        )
    offer = not args.encrypt and not args.no_encrypt and _is_pdf(args)
    if args.encrypt or offer:
        # JSON mode is for scripts: no prompt there either, as without a terminal.
        if not sys.stdin.isatty() or (ctx is not None and ctx.out.json_mode):
            if args.encrypt:
                raise UsageError(
                    "--encrypt asks for the password in a terminal; use "
                    "--pdf-password-file FILE in scripts"
                )
            if ctx is not None:
                ctx.out.info(
                    "note: the PDF is not encrypted (no terminal to ask for a "
                    "password); use --pdf-password-file FILE, or --no-encrypt to "
                    "say so"
                )
            return None
        prompt = "PDF password (Enter for none): " if offer else "PDF password: "
        first = getpass.getpass(prompt)
        if offer and not first:
            return None
        if first != getpass.getpass("Repeat PDF password: "):
            raise UsageError("the two passwords differ; nothing was written")
        return first
    return None


def _plan_data(plan: ReleasePlan) -> dict[str, Any]:
    return {
        "reference": plan.reference,
        "basis": plan.basis,
        "description": plan.description,
        "note_ids": plan.note_ids,
        "psychotherapy_notes": plan.pnote_count,
        "withheld_categories": plan.withheld_categories,
        "included_categories": plan.included_categories,
        "joint_notes": plan.joint_notes,
        "accountable": plan.accountable,
        "warnings": plan.warnings,
        # Inside the PDF under `export_name`; `file_name` is the scanner's name, kept in the vault.
        "attachments": [
            {
                "id": a.id,
                "record_id": a.record_id,
                "kind": a.kind.value,
                "export_name": a.export_name,
                "file_name": a.file_name,
                "media_type": a.media_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in plan.attachments
        ],
    }


def _confirm(ctx: Context, plan: ReleasePlan, target: str, args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    if ctx.out.json_mode or not sys.stdin.isatty():
        # Records leave the practice: without a person to see the preview and answer, only an
        # explicit --yes (a script that checked --preview) writes.
        from vault import UsageError

        raise UsageError(
            "a release is written only after confirmation: run it in a terminal "
            "to see the preview and answer, or add --yes (check it first with "
            "--preview); nothing was written or recorded"
        )
    ctx.out.emit(None, plan.preview)
    files = len(plan.attachments)
    carried = f" and {files} scanned form{'s' if files != 1 else ''}" if files else ""
    answer = input(
        f"Write {plan.reference} ({len(plan.note_ids)} documents{carried}) to {target}? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def _finish(ctx: Context, vault: Vault, plan: ReleasePlan, args: argparse.Namespace) -> int:
    if args.out and not args.preview:
        from pathlib import Path

        from vault.disclosures.facade import ExportFormat, check_carries

        # Before the warnings and the password question: a .txt cannot carry the forms.
        check_carries(plan.document, ExportFormat.choose(Path(args.out), args.format))
    for warning in plan.warnings:
        ctx.out.info(f"Warning: {warning}.")
    if args.preview or not args.out:
        ctx.out.emit(
            {"preview": plan.preview, "plan": _plan_data(plan), "written": False}, plan.preview
        )
        if not args.preview:
            ctx.out.info(
                "Preview only: nothing was written or recorded. Add --out PATH to "
                "write the release."
            )
        return 0
    password = _password(args, ctx)
    if not _confirm(ctx, plan, args.out, args):
        ctx.out.info("Nothing was written or recorded.")
        return 1
    record = vault.disclosures.write(
        plan, args.out, fmt=args.format, force=args.force, password=password, paper=args.paper
    )
    ctx.out.emit(
        {"disclosure": record, "path": args.out, "plan": _plan_data(plan), "written": True},
        f"Wrote {record.record_id} to {args.out} ({record.format}"
        f"{', AES-256 password' if record.encrypted else ''}); recorded in the "
        "accounting of disclosures.",
    )
    return 0


def cmd_release(args: argparse.Namespace, ctx: Context) -> int:
    from vault import UsageError
    from vault.disclosures import ReleaseSpec, RequestType

    from ...workflows.disclosures import default_document_kinds

    cid = client_id(args.client)
    kind = RequestType.parse(args.type)
    with unlocked(ctx) as vault:
        if kind is RequestType.SUBPOENA and args.request is None:
            request = vault.disclosures.requests.open_subpoena(
                cid, args.recipient, args.address, args.reference, args.received
            )
            ctx.out.emit(
                {"released": False, "request": request, "checklist": request.checklist},
                lambda: "A subpoena alone releases nothing.\n" + _request_text(request),
            )
            return 0
        if not args.purpose:
            raise UsageError("say what the release is for: --for PURPOSE")
        authorization = auth_id(args.authorization) if args.authorization else None
        kinds = _kinds(args.kinds) if args.kinds else default_document_kinds(vault, authorization)
        spec = ReleaseSpec(
            client_id=cid,
            request_type=kind,
            recipient_name=args.recipient,
            purpose=args.purpose,
            recipient_address=args.address,
            date_from=args.date_from,
            date_to=args.date_to,
            document_kinds=kinds,
            include_categories=_categories(args.include),
            authorization_id=authorization,
            pnotes_authorization_id=(
                auth_id(args.pnotes_authorization) if args.pnotes_authorization else None
            ),
            note_ids=tuple(note_id(n) for n in args.notes),
            request_id=parse_id(args.request, "Q", "request") if args.request else None,
            court_order=args.court_order,
            legal_name=args.legal_name,
            attachment_ids=tuple(attachment_id(a) for a in args.attachments),
            attachment_kinds=_attachment_kinds(args.attachment_kinds),
        )
        # Already read once to unlock; needed again for psychotherapy notes and sealed names.
        plan = vault.disclosures.prepare(spec, passphrase=ctx.secrets.passphrase())
        return _finish(ctx, vault, plan, args)


def cmd_access(args: argparse.Namespace, ctx: Context) -> int:
    from dataclasses import replace

    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        spec = vault.disclosures.access_spec(
            cid,
            date_from=args.date_from,
            date_to=args.date_to,
            document_kinds=_kinds(args.kinds),
            recipient_address=args.address,
            request_id=parse_id(args.request, "X", "access request") if args.request else None,
        )
        spec = replace(spec, legal_name=args.legal_name)
        plan = vault.disclosures.prepare(spec, passphrase=ctx.secrets.passphrase())
        return _finish(ctx, vault, plan, args)


# -- authorizations


def _auth_rows(auths: list[Authorization]) -> str:
    if not auths:
        return "No authorizations."
    from datetime import date

    today = date.today()
    return table(
        ["ID", "KIND", "TO", "PURPOSE", "SIGNED", "EXPIRES", "STATUS"],
        [
            (
                a.record_id,
                a.kind.value.replace("_", "-"),
                a.recipient_name,
                a.purpose,
                a.signed_on,
                a.expiry,
                a.status(today),
            )
            for a in auths
        ],
    )


def cmd_auth_add(args: argparse.Namespace, ctx: Context) -> None:
    from vault.disclosures import AuthorizationKind, DocumentKind

    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        auth = vault.disclosures.authorizations.add(
            cid,
            kind=AuthorizationKind.parse(args.kind),
            description=args.what,
            discloser=args.discloser,
            recipient_name=args.recipient,
            recipient_address=args.address,
            purpose=args.purpose,
            signed_on=args.signed,
            expires_on=args.expires,
            expiry_event=args.expiry_event,
            document_kinds=[DocumentKind.parse(k) for k in args.kinds],
        )
    ctx.out.emit(
        auth,
        lambda: (
            f"Recorded {auth.record_id} ({auth.kind.value.replace('_', '-')}"
            f", to {auth.recipient_name}, expires {auth.expiry})"
        ),
    )


def cmd_auth_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        auths = vault.disclosures.authorizations.list(cid)
    from datetime import date

    today = date.today()
    ctx.out.emit(
        [{**to_jsonable(a), "status": a.status(today)} for a in auths], lambda: _auth_rows(auths)
    )


def cmd_auth_revoke(args: argparse.Namespace, ctx: Context) -> None:
    aid = auth_id(args.authorization)
    with unlocked(ctx) as vault:
        auth = vault.disclosures.authorizations.revoke(aid, args.on)
    ctx.out.emit(
        auth,
        lambda: (
            f"{auth.record_id} revoked on {auth.revoked_on}; it no longer authorizes any release"
        ),
    )


# -- accounting


def cmd_disclosures(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        entries = vault.disclosures.accounting(cid, include_all=args.all)
        document = vault.disclosures.accounting_document(cid, entries, include_all=args.all)
        written = None
        if args.out:
            written = vault.disclosures.write_document(
                document, cid, args.out, fmt=args.format, force=args.force
            )
    ctx.out.emit(
        {"entries": entries, "written": str(written) if written else None},
        lambda: document.text() + (f"\nWritten to {written}" if written else ""),
    )


# -- amendments


def amendment_id(text: str) -> int:
    return parse_id(text, "M", "amendment")


def cmd_amend_request(args: argparse.Namespace, ctx: Context) -> None:
    cid, nid = client_id(args.client), note_id(args.note)
    text = _read_text(args)
    with unlocked(ctx) as vault:
        a = vault.disclosures.amendments.request(cid, nid, text, args.on)
    ctx.out.emit(
        a, lambda: f"Recorded {a.record_id} for N-{a.note_id:06d}; respond by {a.due_on} (60 days)"
    )


def cmd_amend_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        items = vault.disclosures.amendments.list(cid)
    from datetime import date

    today = date.today()
    ctx.out.emit(
        [{**to_jsonable(a), "overdue": a.is_overdue(today)} for a in items],
        lambda: (
            table(
                ["ID", "NOTE", "REQUESTED", "DUE", "STATUS"],
                [
                    (
                        a.record_id,
                        f"N-{a.note_id:06d}",
                        a.requested_on,
                        a.due_on + (" (extended)" if a.extended else ""),
                        a.status + (" OVERDUE" if a.is_overdue(today) else ""),
                    )
                    for a in items
                ],
            )
            if items
            else "No amendment requests."
        ),
    )


def _amend_step(args: argparse.Namespace, ctx: Context, step: str) -> None:
    mid = amendment_id(args.amendment)
    with unlocked(ctx) as vault:
        api = vault.disclosures.amendments
        if step == "extend":
            a = api.extend(mid, args.reason)
        elif step == "accept":
            a = api.accept(mid, _read_text(args))
        elif step == "deny":
            a = api.deny(mid, _read_text(args))
        elif step == "disagree":
            a = api.disagree(mid, _read_text(args))
        else:
            a = api.rebut(mid, _read_text(args))
    messages = {
        "extend": f"{a.record_id} extended once; now due {a.due_on}",
        "accept": f"{a.record_id} accepted: addendum N-{a.addendum_note_id or 0:06d} linked "
        f"to N-{a.note_id:06d}",
        "deny": f"{a.record_id} denied; the denial is appended to N-{a.note_id:06d}",
        "disagree": f"Statement of disagreement recorded on {a.record_id}",
        "rebut": f"Rebuttal recorded on {a.record_id}",
    }
    ctx.out.emit(a, messages[step])


def cmd_amend_extend(args: argparse.Namespace, ctx: Context) -> None:
    _amend_step(args, ctx, "extend")


def cmd_amend_accept(args: argparse.Namespace, ctx: Context) -> None:
    _amend_step(args, ctx, "accept")


def cmd_amend_deny(args: argparse.Namespace, ctx: Context) -> None:
    _amend_step(args, ctx, "deny")


def cmd_amend_disagree(args: argparse.Namespace, ctx: Context) -> None:
    _amend_step(args, ctx, "disagree")


def cmd_amend_rebut(args: argparse.Namespace, ctx: Context) -> None:
    _amend_step(args, ctx, "rebut")


# -- records requests


def _request_text(r: RecordsRequest) -> str:
    lines = [
        f"{r.record_id}  subpoena from {r.requester_name}"
        + (f" ({r.reference})" if r.reference else "")
        + f", received {r.received_on}, {r.status}",
        f"Legal hold: H-{r.hold_id:05d} placed" if r.hold_id else "Legal hold: none",
        "Checklist:",
    ]
    lines += [
        f"  [{'x' if item.done else ' '}] {item.text}" + (f": {item.detail}" if item.detail else "")
        for item in r.checklist
    ]
    if r.can_release:
        lines.append(
            f"Release with: confide release C-{r.client_id:05d} --type subpoena "
            f"--request {r.record_id} --to NAME --for PURPOSE --out PATH"
        )
    return "\n".join(lines)


def cmd_request_list(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client) if args.client else None
    with unlocked(ctx) as vault:
        items = vault.disclosures.requests.list(cid)
    ctx.out.emit(
        items,
        lambda: (
            table(
                ["ID", "CLIENT", "TYPE", "FROM", "RECEIVED", "STATUS"],
                [
                    (
                        r.record_id,
                        f"C-{r.client_id:05d}",
                        r.request_type.value,
                        r.requester_name,
                        r.received_on,
                        r.status,
                    )
                    for r in items
                ],
            )
            if items
            else "No records requests."
        ),
    )


def cmd_request_show(args: argparse.Namespace, ctx: Context) -> None:
    rid = parse_id(args.request, "Q", "request")
    with unlocked(ctx) as vault:
        r = vault.disclosures.requests.get(rid)
    ctx.out.emit({"request": r, "checklist": r.checklist}, lambda: _request_text(r))


def cmd_request_update(args: argparse.Namespace, ctx: Context) -> None:
    rid = parse_id(args.request, "Q", "request")
    with unlocked(ctx) as vault:
        r = vault.disclosures.requests.update(
            rid,
            client_notified_on=args.client_notified,
            counsel_consulted_on=args.counsel_consulted,
            authorization_id=auth_id(args.authorization) if args.authorization else None,
            court_order=args.court_order,
        )
    ctx.out.emit({"request": r, "checklist": r.checklist}, lambda: _request_text(r))


# -- legal holds


def cmd_hold_list(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        holds = vault.holds.list(client_id(args.client)) if args.client else vault.holds.active()
    ctx.out.emit(
        holds,
        lambda: (
            table(
                ["ID", "CLIENT", "PLACED", "REASON", "RELEASED"],
                [
                    (
                        h.record_id,
                        f"C-{h.client_id:05d}",
                        h.placed_at[:10],
                        h.reason,
                        h.released_at[:10] if h.released_at else "active",
                    )
                    for h in holds
                ],
            )
            if holds
            else "No legal holds."
        ),
    )


def cmd_hold_place(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        hold = vault.holds.place(cid, args.reason)
    ctx.out.emit(hold, lambda: f"{hold.record_id}: C-{cid:05d} is on legal hold")


def cmd_hold_release(args: argparse.Namespace, ctx: Context) -> None:
    hid = parse_id(args.hold, "H", "legal hold")
    with unlocked(ctx) as vault:
        hold = vault.holds.release(hid, args.note)
    ctx.out.emit(hold, lambda: f"{hold.record_id} released at {hold.released_at}")


# -- practice header


def cmd_practice_show(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        practice = vault.disclosures.practice()
    ctx.out.emit(practice, lambda: "\n".join(practice.lines()))


def cmd_practice_set(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        practice = vault.disclosures.set_practice(
            name=args.name,
            address=args.address,
            phone=args.phone,
            license=args.license,
            paper=args.paper,
            clinician=args.clinician,
            credentials=args.credentials,
        )
    ctx.out.emit(practice, lambda: "\n".join(practice.lines()))
