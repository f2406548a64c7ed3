"""Shared helpers for subcommands: unlocking, identifiers, reading note text."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vault import RollbackWarning, Vault
    from vault.disclosures import Document

    from ...workflows.unlock import Tidied
    from ..main import Context

Subparsers = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_command(
    sub: Any,
    name: str,
    help_text: str,
    common: argparse.ArgumentParser,
    handler: Callable[[argparse.Namespace, Context], Any],
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text, parents=[common]
    )
    parser.set_defaults(handler=handler)
    return parser


def add_group(sub: Any, name: str, help_text: str, common: argparse.ArgumentParser) -> Any:
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
    group = parser.add_subparsers(
        dest=f"{name}_command", metavar="ACTION", parser_class=type(parser)
    )
    return group


def show_tidied(ctx: Context, tidied: Tidied) -> None:
    """What finishing an interrupted restore did (and left), on standard error."""
    for line in tidied.done + tuple(f"warning: {p}" for p in tidied.problems):
        ctx.out.info(line)


@contextmanager
def unlocked(ctx: Context) -> Iterator[Vault]:
    from ...workflows.unlock import unlock

    vault = unlock(
        ctx.folder,
        ctx.secrets.passphrase,
        partial(show_tidied, ctx),
        custodian=ctx.custodian,
        upgrading=ctx.out.info,
    )
    if ctx.custodian:
        ctx.out.info("Custodian mode: the record is read-only; every access is audited.")
    warn_rollback(vault)
    warn_incidents(vault)
    try:
        yield vault
    finally:
        vault.lock()


def warn_rollback(vault: Vault, warnings: Sequence[RollbackWarning] | None = None) -> None:
    """An older record.db or key file found at this unlock or on a backup drive (audited
    there): loudly, on stderr even with --json, like the incident clock. `audit verify` exits
    16 from now on, until acknowledged."""
    from ..output import safe_text

    for warning in vault.rollback_warnings if warnings is None else warnings:
        sys.stderr.write(f"confide: WARNING: {safe_text(warning.message)}\n")


def warn_incidents(vault: Vault) -> None:
    """A breach's 60-day clock, on every unlock until the incident is closed. On stderr even
    with --json: stdout stays data, and a script's operator still sees the deadline."""
    from vault import ConfideError

    try:
        if not vault.has_open_incidents():
            return  # the usual case, without importing the incident register
    except ConfideError:
        pass  # unlock_warnings says nothing rather than stop the command
    from ...workflows.incidents import unlock_warnings
    from ..output import safe_text

    for line in unlock_warnings(vault):
        sys.stderr.write(f"confide: warning: {safe_text(line)}\n")


_ID = re.compile(r"^\s*(?:([A-Za-z])-?)?0*(\d+)\s*$")


def parse_id(text: str, prefix: str, what: str) -> int:
    """Accept `C-00012`, `c12` or `12` for a client (prefix C); N for notes; P for pnotes."""
    from vault import UsageError

    match = _ID.match(text)
    if not match or (match.group(1) and match.group(1).upper() != prefix):
        raise UsageError(
            f"{text!r} is not a {what} identifier (for example {prefix}-{'1'.zfill(5)} or 1)"
        )
    return int(match.group(2))


def client_id(text: str) -> int:
    return parse_id(text, "C", "client")


def note_id(text: str) -> int:
    return parse_id(text, "N", "note")


def pnote_id(text: str) -> int:
    return parse_id(text, "P", "psychotherapy note")


def add_body_options(parser: argparse.ArgumentParser, required: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--body",
        metavar="TEXT",
        help="note text; mark withheld passages {{omit:CATEGORY}}...{{/omit}}. "
        "Text given here lands in shell history and is visible in the "
        "process list: for real notes use --body-file - (standard input)",
    )
    group.add_argument(
        "--body-file",
        metavar="FILE",
        help="read the note text from FILE (UTF-8), or - for standard input",
    )


def read_body(args: argparse.Namespace) -> str | None:
    from vault import UsageError
    from vault.records.validate import MAX_BODY_CHARS

    if getattr(args, "body", None) is not None:
        return str(args.body)
    path = getattr(args, "body_file", None)
    if path is None:
        return None
    # Read at most one byte past the largest note a vault accepts, so /dev/zero or a huge file
    # is refused promptly instead of filling memory.
    cap = MAX_BODY_CHARS * 4 + 1
    if path == "-":
        raw = sys.stdin.buffer.read(cap)
        where = "standard input"
    else:
        try:
            with Path(path).expanduser().open("rb") as handle:
                raw = handle.read(cap)
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror}") from None
        where = path
    if len(raw) >= cap:
        raise UsageError(
            f"{where} is more than {cap // 1_000_000} MB, larger than the largest "
            f"note Confide accepts ({MAX_BODY_CHARS:,} characters); nothing was saved"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise UsageError(
            f"{where} is not valid UTF-8 (byte {e.start}, line {line}); "
            "save it as UTF-8 and try again"
        ) from None


def confirm_document(ctx: Context, document: Document, target: str, yes: bool, what: str) -> bool:
    """A document leaves the vault (a letter, a notice): shown and asked in a terminal, else
    written only with --yes."""
    if yes:
        return True
    if ctx.out.json_mode or not sys.stdin.isatty():
        from vault import UsageError

        raise UsageError(
            f"a {what} is written only after confirmation: run it in a terminal to see it and "
            "answer, or add --yes; nothing was written or recorded"
        )
    ctx.out.emit(None, document.text())
    answer = input(f"Write {document.reference} to {target}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")
