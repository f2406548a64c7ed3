"""Inputs that must be refused promptly, not read forever or opened where nobody can see them."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Cli


def test_body_file_that_never_ends_is_refused(cli: Cli) -> None:
    """`--body-file /dev/zero` stops at the note size limit with one clear line."""
    cli.init()
    cli("client", "add", "Quill Sampleton")
    result = cli.subprocess("note", "add", "1", "--body-file", "/dev/zero", timeout=30)
    assert result.code == 2
    assert "MB, larger than the largest note" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("note", "list", "1", "--json").data == []


def test_empty_psychotherapy_note_is_refused(cli: Cli) -> None:
    """An empty psychotherapy note is an error, and nothing is stored."""
    cli.init()
    cli("client", "add", "Quill Sampleton")
    result = cli("pnote", "add", "1", "--body", "   ")
    assert result.code == 2
    assert "empty" in result.stderr
    assert cli("pnote", "list", "1", "--json").data == []


def test_demo_without_a_terminal_prints_where_it_is(cli: Cli, tmp_path: Path) -> None:
    """`confide demo` in a pipe creates the practice and says where, instead of hanging."""
    folder = tmp_path / "demo"
    result = cli.subprocess("--vault", str(folder), "demo", "--clients", "2", timeout=120)
    assert result.code == 0, result.stderr
    assert str(folder) in result.stdout
    assert (folder / "keys.confide").exists()
