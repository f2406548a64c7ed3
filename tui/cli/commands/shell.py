"""completion and man: the shell completion script and the manual page, made from the parser.

Both come from the same argparse tree as `--help`, so they cannot drift from the commands.
Completion is shtab's (bash, zsh, tcsh, fish); the manual page is written here as roff, which
needs no further tool at run time (argparse-manpage is a build-time tool for setup.py and
would add a dependency for ~60 lines).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import add_command

if TYPE_CHECKING:
    from ..main import Context

SHELLS = ("bash", "zsh", "tcsh", "fish")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub,
        "completion",
        "print the shell completion script (e.g. "
        "`confide completion bash > ~/.local/share/"
        "bash-completion/completions/confide`)",
        common,
        cmd_completion,
    )
    p.add_argument("shell", choices=SHELLS, help="the shell")
    add_command(
        sub, "man", "print the manual page as roff (`confide man | man -l -`)", common, cmd_man
    )


def _full_parser() -> argparse.ArgumentParser:
    from ..main import build_parser

    return build_parser()


def cmd_completion(args: argparse.Namespace, ctx: Context) -> None:
    import shtab

    script = shtab.complete(_full_parser(), shell=args.shell)
    ctx.out.emit({"shell": args.shell, "script": script}, script)


def cmd_man(args: argparse.Namespace, ctx: Context) -> None:
    page = manual_page(_full_parser())
    ctx.out.emit({"roff": page}, page)


def _roff(text: str) -> str:
    """Text safe inside roff: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        ("\\&" + line) if line.startswith((".", "'")) else line for line in text.split("\n")
    )


def _options(parser: argparse.ArgumentParser) -> list[str]:
    lines: list[str] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        names = ", ".join(action.option_strings)
        if action.nargs != 0:
            names += f" {action.metavar or action.dest.upper()}"
        lines += [".TP", f"\\fB{_roff(names)}\\fR", _roff(action.help or "")]
    return lines


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    found: list[tuple[tuple[str, ...], argparse.ArgumentParser]] = []
    for name, child in subs[0].choices.items():
        found += _leaves(child, (*path, name))
    return found


def manual_page(parser: argparse.ArgumentParser) -> str:
    from importlib.metadata import PackageNotFoundError, version

    from .. import exitcodes
    from ..main import ENVIRONMENT

    try:
        release = version("confide")
    except PackageNotFoundError:
        release = "unknown"
    lines = [
        f'.TH CONFIDE 1 "" "confide {release}" "User Commands"',
        ".SH NAME",
        "confide \\- an encrypted, local\\-first vault for clinical records",
        ".SH SYNOPSIS",
        ".B confide",
        "[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR ...]",
        ".SH DESCRIPTION",
        _roff(parser.description or ""),
        ".SH OPTIONS",
        *_options(parser),
        ".SH COMMANDS",
    ]
    for path, leaf in _leaves(parser):
        if not path:
            continue
        lines += [
            f'.SS "confide {" ".join(path)}"',
            _roff(leaf.description or ""),
            ".PP",
            ".nf",
            _roff(leaf.format_usage().strip()),
            ".fi",
        ]
        lines += _options(leaf)
    lines += ['.SH "EXIT STATUS"']
    for code in exitcodes.ALL:
        lines += [".TP", f"\\fB{code.code}\\fR ({_roff(code.name)})", _roff(code.meaning)]
    env = [line.strip() for line in ENVIRONMENT.split("\n\n")[0].splitlines()[1:]]
    lines += [
        ".SH ENVIRONMENT",
        ".nf",
        *(_roff(line) for line in env),
        ".fi",
        '.SH "SEE ALSO"',
        "docs/CLI\\-JSON.md (the \\-\\-json envelope), README.md",
    ]
    return "\n".join(lines) + "\n"
