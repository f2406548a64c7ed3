"""The `confide` command line. Thin: parse, call the vault/backup API, print.

Every command takes `--json` (docs/CLI-JSON.md). Exit codes: tui/cli/exitcodes.py, one table.
Feature areas register their own subcommands from `tui/cli/commands/` so this file stays small.
The app is opened through the `open_app` callable the entry point passes in: the command line
never imports Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from . import exitcodes
from .commands import COMMANDS, module_names, words_of

# Not `from typing import TYPE_CHECKING`: importing typing is 6% of `confide --help`, and mypy
# treats any constant of this name as typing's.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from .output import Output
    from .secrets_input import SecretSource

    Handler = Callable[[argparse.Namespace, "Context"], Any]
    AppOpener = Callable[[Path, "str | None"], None]


class Context:
    """What every command handler needs: where the vault is, how to ask for secrets, output."""

    def __init__(
        self, args: argparse.Namespace, open_app: AppOpener | None = None, out: Output | None = None
    ) -> None:
        # Local imports keep `--help` and usage errors as fast as Python starts (issue 13).
        from vault import default_vault_dir

        from .output import Output

        self.args = args
        self.folder: Path = Path(args.vault).expanduser() if args.vault else default_vault_dir()
        self.out = out or Output(json_mode=args.json, command=command_name(args))
        self.open_app = open_app
        self.secrets = _secret_source(args)
        # Opened with the custodian sheet's key: every unlock of this command is custodian mode.
        self.custodian: bool = bool(args.custodian or args.custodian_key_file)


def _secret_source(args: argparse.Namespace) -> SecretSource:
    """A flag wins over the environment; a file over a command at the same level."""
    from .secrets_input import PASSPHRASE_COMMAND_ENV, CommandSecretSource, SecretSource

    if args.passphrase_file is not None and args.passphrase_command is not None:
        from vault import UsageError

        raise UsageError("give --passphrase-file or --passphrase-command, not both")
    insecure = bool(args.insecure_passphrase_file)
    if args.custodian or args.custodian_key_file:
        from .secrets_input import CustodianKeySource

        return CustodianKeySource(args.custodian_key_file, insecure_files=insecure)
    if args.passphrase_file:
        return SecretSource(args.passphrase_file, insecure_files=insecure)
    if args.passphrase_command is not None:
        return CommandSecretSource(args.passphrase_command)
    if os.environ.get("CONFIDE_PASSPHRASE_FILE"):
        return SecretSource(os.environ["CONFIDE_PASSPHRASE_FILE"], insecure_files=insecure)
    if os.environ.get(PASSPHRASE_COMMAND_ENV):
        return CommandSecretSource(os.environ[PASSPHRASE_COMMAND_ENV])
    return SecretSource(None)


def command_name(args: argparse.Namespace) -> str | None:
    """The command as typed, without options: `backup drive add`, `client list`."""
    words: list[str] = []
    word = getattr(args, "command", None)
    while word:
        words.append(word)
        word = getattr(args, f"{word}_command", None)
    return " ".join(words) or None


class UsageExit(SystemExit):
    """A usage error found while parsing (exit status 2), reported by `main`."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(exitcodes.USAGE.code)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageExit(self, message)


ENVIRONMENT = """environment:
  CONFIDE_VAULT               the vault folder when --vault is not given
  CONFIDE_PASSPHRASE_FILE     as --passphrase-file
  CONFIDE_PASSPHRASE_COMMAND  as --passphrase-command, e.g. "pass show confide"
  CONFIDE_RECOVERY_KEY_FILE   `confide recover`: as --recovery-key-file
  CONFIDE_CUSTODIAN_KEY_FILE  with --custodian: the file holding the custodian key
  CONFIDE_DEBUG=1             an internal error shows its traceback instead of one line
                              (for bug reports on a demo vault: it may show record text)

JSON output (--json): one envelope per line, documented in docs/CLI-JSON.md."""


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked (reading package metadata is slow to import)."""

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str = argparse.SUPPRESS,
        default: str = argparse.SUPPRESS,
        help: str | None = None,
    ) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> NoReturn:
        from vault import __version__

        sys.stdout.write(f"confide {__version__}\n")
        parser.exit()


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own layout, with the terminal width read without importing shutil.

    argparse imports shutil (and with it bz2, lzma and zlib) only to ask for the width, and asks
    at every `add_argument`: 7% of `confide --help`. The same rule as
    shutil.get_terminal_size: $COLUMNS, else the terminal's, else 80.
    """

    def __init__(self, prog: str, **kwargs: Any) -> None:
        if kwargs.get("width") is None:
            kwargs["width"] = _terminal_columns() - 2
        super().__init__(prog, **kwargs)


class _RawDescriptionFormatter(_HelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _terminal_columns() -> int:
    with contextlib.suppress(ValueError):
        columns = int(os.environ.get("COLUMNS", "0"))
        if columns > 0:
            return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


# Top-level options that take a value: the command word is the first token that is not one
# of these nor an option.
_VALUE_OPTIONS = ("--vault", "--passphrase-file", "--passphrase-command", "--custodian-key-file")


def _command_word(argv: Sequence[str]) -> str | None:
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return next(args, None)
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


class _Unbuilt:
    """A command not typed on this command line: listed in help, its parser never built.

    A full ArgumentParser per listed command cost `client list` 17 ms (argparse looks up
    translations for every one). Should argparse reach one anyway (if `_command_word` and
    argparse ever disagree about which word is the command), it is built then, so parsing
    never depends on that guess.
    """

    def __init__(self, build: Callable[[], argparse.ArgumentParser]) -> None:
        self._build = build

    def parse_known_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        return self._build().parse_known_args(args, namespace)


def _list_only(sub: Any, name: str, build: Callable[[], argparse.ArgumentParser]) -> None:
    # What `add_parser` does for help and choices, without the parser (argparse's own
    # structures, stable since Python 3.2).
    sub._choices_actions.append(sub._ChoicesPseudoAction(name, (), COMMANDS[name][1]))
    sub._name_parser_map[name] = _Unbuilt(build)


def _build_alone(module_name: str, name: str, common: argparse.ArgumentParser) -> Any:
    sub = _Parser(prog="confide").add_subparsers(parser_class=_Parser)
    importlib.import_module(f"{__package__}.commands.{module_name}").register(sub, common)
    return sub.choices[name]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; or, given the command line, only what that command line needs.

    Building every subcommand's parser cost `confide --help` as much as Python's own start, so
    with `argv` the commands not named there are only listed from the registry
    (`commands.COMMANDS`: name and help), and their modules are not even imported.
    """
    word = None if argv is None else _command_word(argv)
    common = argparse.ArgumentParser(add_help=False, formatter_class=_HelpFormatter)
    common.add_argument(
        "--vault",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="vault folder (default: $CONFIDE_VAULT or the user data folder)",
    )
    common.add_argument(
        "--passphrase-file",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="read the passphrase from FILE (or $CONFIDE_PASSPHRASE_FILE)",
    )
    common.add_argument(
        "--insecure-passphrase-file",
        action="store_true",
        default=argparse.SUPPRESS,
        help="accept secret files other users can read or that you do not own "
        "(a warning instead of a refusal)",
    )
    common.add_argument(
        "--passphrase-command",
        metavar="CMD",
        default=argparse.SUPPRESS,
        help="run CMD (no shell) and use the first line it prints as the "
        "passphrase (or $CONFIDE_PASSPHRASE_COMMAND)",
    )
    common.add_argument(
        "--custodian",
        action="store_true",
        default=argparse.SUPPRESS,
        help="open the vault as its records custodian, read-only, with the key on the "
        "custodian sheet (asked for, or from $CONFIDE_CUSTODIAN_KEY_FILE)",
    )
    common.add_argument(
        "--custodian-key-file",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="as --custodian, the custodian key read from FILE",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print machine-readable JSON on stdout",
    )
    parser = _Parser(
        prog="confide",
        parents=[common],
        description="Confide: an encrypted, local-first vault for clinical records.\n"
        "Run without a command to open the app.",
        epilog=exitcodes.epilog() + "\n\n" + ENVIRONMENT,
        formatter_class=_RawDescriptionFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in module_names():
        words = words_of(module_name)
        if argv is None or word in words:
            # Only the command typed imports its module (and builds its whole parser).
            module = importlib.import_module(f"{__package__}.commands.{module_name}")
            module.register(sub, common)
        else:
            for name in words:
                _list_only(sub, name, partial(_build_alone, module_name, name, common))
    return parser


def _usage_error(
    argv: Sequence[str], message: str, parser: argparse.ArgumentParser | None = None
) -> int:
    options = argv[: argv.index("--")] if "--" in argv else argv
    if "--json" in options:  # a script asked for JSON: the usage error comes as JSON too
        from .output import Output

        command = (
            parser.prog.removeprefix("confide").strip() or None
            if parser is not None
            else _command_word(argv)
        )
        Output(json_mode=True, command=command).failure(exitcodes.USAGE, "Usage error", message)
        return exitcodes.USAGE.code
    if parser is not None:
        parser.print_usage(sys.stderr)
    sys.stderr.write(f"confide: usage error: {message}\n")
    return exitcodes.USAGE.code


def main(argv: Sequence[str] | None = None, open_app: AppOpener | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv, open_app)
    except KeyboardInterrupt:
        # Ctrl-C before a command started or while it reported: nothing of ours was half-done.
        sys.stderr.write("confide: interrupted; nothing further was changed\n")
        return exitcodes.INTERRUPTED.code


def _main(argv: list[str], open_app: AppOpener | None) -> int:
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except UsageExit as e:
        return _usage_error(argv, e.message, e.parser)
    # After parsing, which reads no secret: the import costs `--help` its start-up budget.
    from vault import ConfideError, disable_core_dumps

    disable_core_dumps()
    for name, default in (
        ("vault", None),
        ("passphrase_file", None),
        ("passphrase_command", None),
        ("json", False),
        ("insecure_passphrase_file", False),
        ("custodian", False),
        ("custodian_key_file", None),
    ):
        if not hasattr(args, name):
            setattr(args, name, default)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        if args.command is None:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                # Without a terminal the app would draw into a pipe and wait forever.
                return _usage_error(
                    argv, "the app needs a terminal; give a command (see `confide --help`)"
                )
            from .commands.app import cmd_open

            handler = cmd_open
        else:
            # A command group without its action (`confide note`): its help on stderr, exit 2.
            if not args.json:
                with contextlib.redirect_stdout(sys.stderr), contextlib.suppress(SystemExit):
                    parser.parse_args([args.command, "--help"])
            return _usage_error(argv, f"`confide {command_name(args)}` needs an action")
    from .output import Output

    out = Output(json_mode=args.json, command=command_name(args))
    try:
        ctx = Context(args, open_app, out)
        result = handler(args, ctx)
        return int(result) if isinstance(result, int) else exitcodes.OK.code
    except ConfideError as e:
        code = exitcodes.for_error(e)
        out.error(e, code)
        return code.code
    except KeyboardInterrupt:
        out.failure(
            exitcodes.INTERRUPTED, "Interrupted", "interrupted; nothing further was changed"
        )
        return exitcodes.INTERRUPTED.code
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback, no data
        if os.environ.get("CONFIDE_DEBUG"):
            raise
        out.failure(
            exitcodes.FAILURE,
            "Internal error",
            f"internal error ({type(e).__name__}); no client data is shown here. "
            "Set CONFIDE_DEBUG=1 to see details.",
        )
        return exitcodes.FAILURE.code
