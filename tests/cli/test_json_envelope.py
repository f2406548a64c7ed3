"""Every command's --json output follows the one envelope of docs/CLI-JSON.md (issue 13).

The parser is walked, so a new command without an example in tests/support/cli_examples.py
fails here; each example runs on a prepared vault and every line it prints is checked.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tests.support.cli import Cli
from tests.support.cli_examples import EXAMPLES, command_of, run_examples
from tui.cli.main import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "CLI-JSON.md"


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[str]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [" ".join(path)]
    found: list[str] = []
    for name, sub in subs[0].choices.items():
        found += leaf_commands(sub, (*path, name))
    return found


def check_envelope(message: dict[str, Any], command: str) -> None:
    assert message["type"] in ("result", "error", "progress"), message
    assert message["command"] == command, message
    if message["type"] == "result":
        assert set(message) == {"type", "command", "data"}, message
    elif message["type"] == "error":
        assert set(message) - {"hint"} == {"type", "command", "code", "error", "title", "message"}
        assert isinstance(message["code"], int) and message["code"] > 0
    else:
        assert {"phase", "done", "total"} <= set(message), message


def _ids_have_record_ids(value: Any) -> None:
    """Wherever a numeric client/note reference is printed, its record id is beside it."""
    if isinstance(value, dict):
        for key in ("client_id", "note_id"):
            if isinstance(value.get(key), int):
                assert key.replace("_id", "_record_id") in value or "record_id" in value, value
        for v in value.values():
            _ids_have_record_ids(v)
    elif isinstance(value, list):
        for v in value:
            _ids_have_record_ids(v)


def test_every_command_has_an_example() -> None:
    leaves = set(leaf_commands(build_parser()))
    covered = {command_of(e) for e in EXAMPLES}
    assert leaves - covered == set(), "add an example to tests/support/cli_examples.py"


def test_every_command_prints_the_envelope(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    runs = run_examples(lambda args: cli(*args), tmp_path / "work")
    assert len(runs) == len(EXAMPLES), runs[-1][1].stderr
    for args, result in runs:
        command = command_of(tuple(args))
        assert result.code == 0, (args, result.stderr)
        messages = result.messages
        assert len(result.stdout.splitlines()) == len(messages)  # one JSON message a line
        for message in messages:
            check_envelope(message, command)
        assert messages[-1]["type"] == "result", (args, messages)
        assert all(m["type"] == "progress" for m in messages[:-1]), (args, messages)
        _ids_have_record_ids(messages[-1]["data"])


def test_errors_and_usage_errors_print_the_envelope(cli: Cli) -> None:
    cli.init()
    for args, command, code in (
        (("client", "show", "C-00042"), "client show", 14),
        (("client", "list", "--status", "sleepy"), "client list", 2),
        (("note",), "note", 2),
    ):
        result = cli(*args, "--json")
        assert result.code == code and len(result.messages) == 1
        check_envelope(result.json, command)
        assert result.json["type"] == "error" and result.json["code"] == code


def test_the_document_shows_every_command() -> None:
    text = DOC.read_text()
    for command in leaf_commands(build_parser()):
        assert f"### `{command}`" in text, command
