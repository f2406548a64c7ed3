"""Every `confide` command has --help and is documented in README.md."""

from __future__ import annotations

import argparse
import re

import pytest

from tests.support import REPO
from tests.support.cli import Cli
from tui.cli.main import build_parser

README = REPO / "README.md"


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every command path, groups and their actions, by walking the real parser."""
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = _commands(build_parser())


def test_the_parser_has_the_issue_2_commands() -> None:
    """The command line has every command issue 2 asks for (the walk below is not empty)."""
    wanted = {
        ("init",),
        ("status",),
        ("passwd",),
        ("recover",),
        ("client", "add"),
        ("client", "list"),
        ("client", "show"),
        ("note", "add"),
        ("note", "show"),
        ("note", "list"),
        ("note", "sign"),
        ("note", "addend"),
        ("pnote", "add"),
        ("pnote", "show"),
        ("pnote", "list"),
        ("search",),
        ("audit", "verify"),
        ("demo",),
    }
    assert wanted <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(cli: Cli, command: tuple[str, ...]) -> None:
    """`confide ... --help` exits 0 and describes the command, including --json."""
    result = cli(*command, "--help")
    assert result.code == 0
    assert result.stdout.startswith(f"usage: confide {' '.join(command)}")
    assert "--json" in result.stdout


def _documented(readme: str, command: tuple[str, ...]) -> bool:
    """`confide a b` appears literally, or as `confide a x/b/y` (a list of actions)."""
    if len(command) == 1:
        return re.search(rf"`confide {re.escape(command[0])}\b", readme) is not None
    group, action = command[0], " ".join(command[1:])
    if re.search(rf"confide {re.escape(group)} {re.escape(action)}\b", readme):
        return True
    for listed in re.findall(rf"confide {re.escape(group)} ([\w-]+(?:/[\w-]+)+)", readme):
        if action in listed.split("/"):
            return True
    return False


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_is_in_the_readme(command: tuple[str, ...]) -> None:
    """README.md mentions every command (the command reference lists them all)."""
    readme = README.read_text(encoding="utf-8")
    assert _documented(readme, command), f"README.md does not mention `confide {' '.join(command)}`"
