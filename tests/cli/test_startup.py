"""Start-up: each command loads only what it runs (issue 13; timings are in bench/bench_cli.py).

Checked in a fresh interpreter, by what ends up in sys.modules, so nothing here depends on
timing: `confide --help` must not load the core's records, backup, the PDF stack, the drive
watcher or Textual; everyday record commands must not load backup, PDF or the watcher.
"""

from __future__ import annotations

import json
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
            modules, "backup", "fpdf", "watchdog", "textual", "vault.disclosures", "vault.retention"
        )
        == []
    )


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
