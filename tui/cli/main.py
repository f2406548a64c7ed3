"""The `confide` command line. Thin: parse, call the vault/backup API, print.

Every command takes `--json`. Exit codes: 0 ok, 1 failure (one line on stderr), 2 usage.
Feature areas register their own subcommands from `tui/cli/commands/` so this file stays small.
The app is opened through the `open_app` callable the entry point passes in: the command line
never imports Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from vault import ConfideError, default_vault_dir, disable_core_dumps

from .commands import COMMAND_MODULES
from .output import Output

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace, "Context"], Any]
AppOpener = Callable[[Path, "str | None"], None]


class Context:
    """What every command handler needs: where the vault is, how to ask for secrets, output."""

    def __init__(self, args: argparse.Namespace, open_app: AppOpener | None = None) -> None:
        from .secrets_input import SecretSource  # local: keeps `--help` fast

        self.args = args
        self.folder: Path = (Path(args.vault).expanduser() if args.vault
                             else default_vault_dir())
        self.out = Output(json_mode=args.json)
        self.open_app = open_app
        self.secrets = SecretSource(args.passphrase_file
                                    or os.environ.get("CONFIDE_PASSPHRASE_FILE"),
                                    insecure_files=args.insecure_passphrase_file)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"confide: usage error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _version() -> str:
    from vault import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--vault", metavar="DIR", default=argparse.SUPPRESS,
                        help="vault folder (default: $CONFIDE_VAULT or the user data folder)")
    common.add_argument("--passphrase-file", metavar="FILE", default=argparse.SUPPRESS,
                        help="read the passphrase from FILE (or $CONFIDE_PASSPHRASE_FILE)")
    common.add_argument("--insecure-passphrase-file", action="store_true",
                        default=argparse.SUPPRESS,
                        help="accept secret files other users can read or that you do not own "
                             "(a warning instead of a refusal)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON on stdout")
    parser = _Parser(
        prog="confide", parents=[common],
        description="Confide: an encrypted, local-first vault for clinical records. "
                    "Run without a command to open the app.")
    parser.add_argument("--version", action="version", version=f"confide {_version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None, open_app: AppOpener | None = None) -> int:
    disable_core_dumps()
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("vault", None), ("passphrase_file", None), ("json", False),
                          ("insecure_passphrase_file", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        if args.command is None:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                # Without a terminal the app would draw into a pipe and wait forever.
                sys.stderr.write("confide: usage error: the app needs a terminal; give a "
                                 "command (see `confide --help`)\n")
                return EXIT_USAGE
            from .commands.app import cmd_open

            handler = cmd_open
        else:
            # A command group without its action (`confide note`): its help on stderr, exit 2.
            with contextlib.redirect_stdout(sys.stderr), contextlib.suppress(SystemExit):
                parser.parse_args([args.command, "--help"])
            sys.stderr.write(f"confide: usage error: `confide {args.command}` needs an action\n")
            return EXIT_USAGE
    ctx = Context(args, open_app)
    try:
        result = handler(args, ctx)
        return int(result) if isinstance(result, int) else EXIT_OK
    except ConfideError as e:
        ctx.out.error(e)
        return EXIT_FAIL
    except KeyboardInterrupt:
        sys.stderr.write("confide: interrupted; nothing further was changed\n")
        return EXIT_FAIL
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback, no data
        if os.environ.get("CONFIDE_DEBUG"):
            raise
        sys.stderr.write(f"confide: internal error ({type(e).__name__}); no client data is "
                         "shown here. Set CONFIDE_DEBUG=1 to see details.\n")
        return EXIT_FAIL
