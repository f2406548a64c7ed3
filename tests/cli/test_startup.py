"""Start-up: each command loads only what it runs (issue 13; timings are in bench/bench_cli.py).

Checked in a fresh interpreter, by what ends up in sys.modules, so nothing here depends on
timing: `confide --help` must not load the core's records, backup, the PDF stack, the drive
watcher or Textual; everyday record commands must not load backup, PDF or the watcher.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Cli

_PROBE = """
import contextlib, io, json, sys
from tui.entry import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _loaded(*argv: str) -> tuple[int, str, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(proc.stdout)
    return report["code"], report["out"], report["modules"]


def _under(modules: list[str], *packages: str) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


HEAVY = ("vault.records", "backup", "fpdf", "watchdog", "textual")


@pytest.mark.parametrize(
    "argv", [["--help"], ["client", "--help"], ["note", "add", "--help"], ["release", "--help"]]
)
def test_help_loads_neither_the_core_nor_backup_pdf_watchdog_or_textual(argv: list[str]) -> None:
    code, out, modules = _loaded(*argv)
    assert code == 0 and "usage: confide" in out
    assert _under(modules, *HEAVY) == []
    assert _under(modules, "vault", "sqlcipher3", "argon2", "cryptography") == []


def test_top_level_help_imports_no_command_module() -> None:
    """The listing comes from the registry: a command's module loads only when it is typed."""
    code, out, modules = _loaded("--help")
    assert code == 0 and "legal-hold" in out
    assert [m for m in modules if m.startswith("tui.cli.commands.")] == []
    # argparse asks shutil for the width; the CLI reads it itself (shutil pulls in bz2, lzma).
    assert _under(modules, "shutil", "typing") == []


def test_a_command_imports_only_its_own_module() -> None:
    code, _, modules = _loaded("client", "--help")
    assert code == 0
    commands = {m for m in modules if m.startswith("tui.cli.commands.")}
    assert commands <= {
        "tui.cli.commands.clients",
        "tui.cli.commands._common",
        "tui.cli.commands._choices",
    }
    assert "tui.cli.commands.clients" in commands


def test_the_registry_lists_what_each_module_registers_in_help_order() -> None:
    """One line in `tui/cli/commands/__init__.py` per command word, with the module's own help."""
    import argparse
    import importlib

    from tui.cli.commands import COMMANDS, module_names

    class Recorder:
        def __init__(self) -> None:
            self.commands: list[tuple[str, str]] = []

        def add_parser(self, name: str, **kwargs: object) -> object:
            self.commands.append((name, str(kwargs.get("help"))))
            return _Absorb()

    registered: list[tuple[str, tuple[str, str]]] = []
    for name in module_names():
        recorder = Recorder()
        importlib.import_module(f"tui.cli.commands.{name}").register(
            recorder, argparse.ArgumentParser(add_help=False)
        )
        registered += [(word, (name, text)) for word, text in recorder.commands]
    assert registered == list(COMMANDS.items())


class _Absorb:
    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: self


def test_width_follows_columns_as_argparse_does() -> None:
    narrow = subprocess.run(
        [sys.executable, "-m", "tui", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "50"},
    ).stdout
    listing = narrow[narrow.index("positional arguments") : narrow.index("options:")]
    assert max(len(line) for line in listing.splitlines()) <= 50
    wide = subprocess.run(
        [sys.executable, "-m", "tui", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    assert "passwd              change the passphrase (re-wraps keys; no re-encryption)" in wide


def test_a_command_the_quick_scan_misses_is_still_parsed_in_full(cli: Cli) -> None:
    """`--vau DIR` (argparse accepts abbreviations) hides the command word from the scan
    that picks which module to build: argparse builds the unlisted command when it reaches it."""
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    code, out, _ = _loaded(
        "--vau",
        str(cli.vault_dir),
        "--passphrase-file",
        str(cli.passphrase_file),
        "client",
        "list",
        "--json",
    )
    assert code == 0 and "Ada Quist" in out


def test_a_usage_error_loads_nothing_heavy() -> None:
    code, _, modules = _loaded("client", "list", "--status", "bogus")
    assert code == 2
    assert _under(modules, *HEAVY) == []


def test_help_lists_every_command_as_the_full_parser_does() -> None:
    """Commands not named on the command line are only listed: the listing is the same."""
    from tui.cli.main import build_parser

    code, out, _ = _loaded("--help")
    assert out == build_parser().format_help()


def test_client_list_loads_no_backup_pdf_watchdog_or_textual(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    code, out, modules = _loaded(*cli.base_args(), "client", "list", "--json")
    assert code == 0 and "Ada Quist" in out
    assert (
        _under(
            modules,
            "backup",
            "fpdf",
            "uharfbuzz",
            "watchdog",
            "textual",
            "rich",
            "vault.disclosures",
            "vault.retention",
            "vault.incidents",
        )
        == []
    )


@pytest.mark.parametrize(
    "argv",
    [["note", "list", "C-1"], ["search", "quist"], ["status"], ["note", "show", "N-1"]],
)
def test_everyday_commands_load_no_backup_pdf_watchdog_or_incident_register(
    cli: Cli, argv: list[str]
) -> None:
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    assert cli("note", "add", "C-1", "--body", "quist session").code == 0
    code, _, modules = _loaded(*cli.base_args(), *argv)
    assert code == 0
    assert _under(modules, "backup", "fpdf", "watchdog", "textual", "vault.incidents") == []


def test_a_wrong_passphrase_reports_without_loading_backup(cli: Cli, tmp_path: Path) -> None:
    """The error's hint is looked up only among the modules already loaded."""
    cli.init()
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    wrong.chmod(0o600)
    code, _, modules = _loaded(
        "--vault", str(cli.vault_dir), "--passphrase-file", str(wrong), "client", "list"
    )
    assert code == 12
    assert _under(modules, "backup", "vault.incidents") == []


def test_an_open_incident_is_still_announced_at_every_unlock(cli: Cli) -> None:
    """The shortcut that skips loading the register when nothing is open still warns."""
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    quiet = cli("client", "list")
    assert quiet.code == 0 and "incident" not in quiet.stderr.lower()
    opened = cli(
        "incident", "add", "--kind", "lost-device", "--description", "laptop left on a train"
    )
    assert opened.code == 0, opened.stderr
    warned = cli("client", "list")
    assert warned.code == 0 and "notices due by" in warned.stderr


def _confide_process(*argv: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """`confide` as a shell runs it: its own process, output into a pipe (`before`: Python
    run first in that process)."""
    # Buffered as usual: with PYTHONUNBUFFERED (set in some shells and CI) nothing waits.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CONFIDE_") and k != "PYTHONUNBUFFERED"
    }
    start = f"{before}\nimport sys\nfrom tui.entry import main\nraise SystemExit(main())"
    return subprocess.run(
        [sys.executable, "-c", start, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_a_command_process_prints_everything_before_it_leaves(cli: Cli, tmp_path: Path) -> None:
    """The process leaves without Python's teardown once the command is done: what it wrote
    is still flushed (into a pipe, output under 8 KiB waits in Python's buffer until then),
    and the exit status and the error line are the command's."""
    cli.init()
    for name in ("Ada Quist", "Bo Sampleton", "山田 花子"):
        assert cli("client", "add", name).code == 0
    listed = _confide_process(*cli.base_args(), "client", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 4 and lines[0].startswith("ID")
    assert {line.split("  ")[1].strip() for line in lines[1:]} == {
        "Ada Quist",
        "Bo Sampleton",
        "山田 花子",
    }
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    wrong.chmod(0o600)
    refused = _confide_process(
        "--vault", str(cli.vault_dir), "--passphrase-file", str(wrong), "client", "list"
    )
    assert refused.returncode == 12 and refused.stdout == ""
    assert refused.stderr.startswith("confide: error: ") and refused.stderr.count("\n") == 1
    # An atexit handler (a library's, a coverage tool's) still runs, and what it prints arrives.
    handled = _confide_process(
        *cli.base_args(),
        "client",
        "list",
        before="import atexit, sys\natexit.register(lambda: sys.stdout.write('handler ran\\n'))",
    )
    assert handled.returncode == 0 and handled.stdout.splitlines()[-1] == "handler ran"


def test_choices_written_out_for_the_parser_match_the_core() -> None:
    from tui.cli.commands import _choices
    from vault import PRESETS, TEMPLATES, ClientStatus
    from vault.disclosures import DocumentKind, RequestType

    assert list(_choices.KDF_PRESETS) == list(PRESETS)
    assert list(_choices.TEMPLATES) == list(TEMPLATES)
    assert list(_choices.CLIENT_STATUSES) == [s.value for s in ClientStatus]
    assert list(_choices.RELEASE_TYPES) == [
        t.value for t in RequestType if t is not RequestType.CLIENT_ACCESS
    ]
    assert [DocumentKind.parse(k) for k in _choices.DOCUMENT_KINDS] == list(DocumentKind)
    from vault.incidents import Conclusion, IncidentKind, KeysCompromised

    assert [k.replace("-", "_") for k in _choices.INCIDENT_KINDS] == [k.value for k in IncidentKind]
    assert list(_choices.KEYS_COMPROMISED) == [k.value for k in KeysCompromised]
    assert [k.replace("-", "_") for k in _choices.CONCLUSIONS] == [k.value for k in Conclusion]


def test_version_is_printed(tmp_path: Path) -> None:
    code, out, _ = _loaded("--version")
    from vault import __version__

    assert code == 0 and out.strip() == f"confide {__version__}"


def test_output_escapes_the_core_output_set() -> None:
    from tui.cli import output
    from vault.records import validate

    assert output.BIDI_CONTROLS == validate.BIDI_CONTROLS
    assert output.LINE_SEPARATORS == validate.LINE_SEPARATORS
