"""client add / list / show / edit."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..output import table
from ._choices import CLIENT_STATUSES
from ._common import add_command, add_group, client_id, unlocked

if TYPE_CHECKING:
    from vault import Client

    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(sub, "client", "clients: add, list, show, edit", common)
    p = add_command(group, "add", "add a client", common, cmd_add)
    p.add_argument("name", help="legal name")
    _client_fields(p)
    p.add_argument("--pseudonym", help="name shown everywhere; the legal name is sealed")
    p = add_command(group, "list", "list clients, most recent service first", common, cmd_list)
    p.add_argument("--filter", metavar="TEXT", help="only names containing TEXT")
    p.add_argument("--status", choices=CLIENT_STATUSES, help="only clients with this status")
    p = add_command(group, "show", "show one client", common, cmd_show)
    p.add_argument("client", help="client identifier (C-00001 or 1)")
    p.add_argument(
        "--reveal-name",
        action="store_true",
        help="show a pseudonymous client's sealed legal name (asks the passphrase)",
    )
    p = add_command(group, "edit", "change a client's details", common, cmd_edit)
    p.add_argument("client")
    p.add_argument("--name", help="new display name (the pseudonym, for sealed clients)")
    _client_fields(p)


def _client_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth")
    p.add_argument(
        "--status", choices=CLIENT_STATUSES, help="the client's status (a new client is active)"
    )
    p.add_argument(
        "--last-service",
        metavar="YYYY-MM-DD",
        help="date of the last session (notes move it forward)",
    )
    p.add_argument(
        "--consent-notice",
        metavar="YYYY-MM-DD",
        help="date the limits-of-confidentiality notice was given",
    )


def describe(client: Client, revealed: str | None = None) -> str:
    sealed = (
        f"{revealed} (sealed; revealed now and audited)"
        if revealed
        else "sealed (use --reveal-name)"
    )
    rows = [
        ("Client", f"{client.record_id}  {client.display_name}"),
        ("Legal name", sealed if client.is_pseudonymous else client.legal_name or ""),
        ("Date of birth", client.date_of_birth or "-"),
        ("Status", client.status.value),
        ("Last service", client.last_service_date or "-"),
        ("Consent notice", client.consent_notice_date or "not recorded"),
    ]
    return "\n".join(f"{k + ':':<16}{v}" for k, v in rows)


def cmd_add(args: argparse.Namespace, ctx: Context) -> None:
    from vault import ClientStatus

    with unlocked(ctx) as vault:
        client = vault.clients.add(
            args.name,
            pseudonym=args.pseudonym,
            date_of_birth=args.dob,
            status=args.status or ClientStatus.ACTIVE,
            last_service_date=args.last_service,
            consent_notice_date=args.consent_notice,
        )
    ctx.out.emit(client, lambda: f"Added {client.record_id}  {client.display_name}")


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        clients = vault.clients.list(args.filter, args.status)
    ctx.out.emit(
        clients,
        lambda: (
            table(
                ["ID", "NAME", "STATUS", "LAST SERVICE"],
                [
                    (c.record_id, c.display_name, c.status.value, c.last_service_date or "-")
                    for c in clients
                ],
            )
            if clients
            else "No clients."
        ),
    )


def cmd_show(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    with unlocked(ctx) as vault:
        client = vault.clients.get(cid)
        legal = vault.reveal_legal_name(cid, ctx.secrets.passphrase()) if args.reveal_name else None
    data: dict[str, Any] = {"client": client}
    if legal is not None:
        data["revealed_legal_name"] = legal
    ctx.out.emit(data, lambda: describe(client, legal))


def cmd_edit(args: argparse.Namespace, ctx: Context) -> None:
    cid = client_id(args.client)
    changes: dict[str, Any] = {}
    for arg, field in (
        ("dob", "date_of_birth"),
        ("last_service", "last_service_date"),
        ("consent_notice", "consent_notice_date"),
    ):
        if getattr(args, arg) is not None:
            changes[field] = getattr(args, arg)
    with unlocked(ctx) as vault:
        client = vault.clients.update(cid, display_name=args.name, status=args.status, **changes)
    ctx.out.emit(client, lambda: describe(client))
