"""`confide release --attachment F / --attachments KIND|all` (issue 18): the preview and the JSON
name the forms that go, the PDF carries them byte for byte, the accounting lists them; another
client's form and a text release are refused in one line, with nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.attachments import fake_pdf, write
from tests.support.cli import Cli

RELEASE = (
    "release",
    "C-00001",
    "--authorization",
    "A-00001",
    "--to",
    "Dr. Birch",
    "--for",
    "continuity of care",
)


@pytest.fixture
def ready(cli: Cli, tmp_path: Path) -> tuple[Cli, bytes]:
    cli.init()
    for name in ("Quill Sampleton", "Ivo Unrelated"):
        assert cli("client", "add", name, "--json").code == 0
    note = cli(
        "note", "add", "1", "--template", "soap", "--date", "2026-01-10",
        "--body", "Subjective: steady week", "--sign", "--json",
    )  # fmt: skip
    assert note.code == 0, note.stderr
    auth = cli(
        "auth", "add", "C-00001", "--what", "progress notes and the intake form",
        "--discloser", "Dr. Able", "--to", "Dr. Birch", "--for", "continuity of care",
        "--signed", "2026-01-01", "--expires", "2099-01-01", "--json",
    )  # fmt: skip
    assert auth.code == 0, auth.stderr
    scan = fake_pdf("zqcliintakemarker")
    # A hostile scanner name: shown literally (escaped), never interpreted.
    hostile = write(tmp_path / "[red]intake\x1b]8;;x\x07.pdf", scan)
    assert cli("attach", "C-00001", str(hostile), "--kind", "intake", "--json").code == 0
    other = write(tmp_path / "other.pdf", fake_pdf("zqotherclient"))
    assert cli("attach", "C-00002", str(other), "--kind", "intake", "--json").code == 0
    return cli, scan


def test_release_with_a_form_by_id(ready: tuple[Cli, bytes], tmp_path: Path) -> None:
    cli, scan = ready
    preview = cli(*RELEASE, "--attachment", "F-00001", "--preview", "--json")
    data = preview.data
    assert data["written"] is False
    assert "F-00001: intake form (scanned)" in data["preview"]
    [listed] = data["plan"]["attachments"]
    assert listed["record_id"] == "F-00001" and listed["export_name"] == "F-00001.pdf"
    assert listed["file_name"] == "[red]intake\\x1b]8;;x\\x07.pdf"  # kept as data, escaped
    out = tmp_path / "birch.pdf"
    written = cli(*RELEASE, "--attachment", "F-00001", "--out", str(out), "--yes", "--json")
    assert written.code == 0, written.stderr
    assert written.data["disclosure"]["attachment_ids"] == [1]
    folder = tmp_path / "files"
    folder.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(folder), str(out)], check=True)
    assert (folder / "F-00001.pdf").read_bytes() == scan
    accounting = cli("disclosures", "C-00001", "--all")
    assert accounting.code == 0 and "F-00001 (intake)" in accounting.stdout


def test_release_by_kind_all(ready: tuple[Cli, bytes]) -> None:
    cli, _ = ready
    result = cli(*RELEASE, "--attachments", "all", "--preview", "--json")
    assert [a["record_id"] for a in result.data["plan"]["attachments"]] == ["F-00001"]
    bad = cli(*RELEASE, "--attachments", "receipts", "--preview")
    assert bad.code != 0 and bad.stderr.count("\n") == 1
    assert "unknown attachment kind 'receipts'" in bad.stderr


def test_another_clients_form_is_refused(ready: tuple[Cli, bytes], tmp_path: Path) -> None:
    cli, _ = ready
    out = tmp_path / "birch.pdf"
    result = cli(*RELEASE, "--attachment", "F-00002", "--out", str(out), "--yes")
    assert result.code != 0
    assert result.stderr.count("\n") == 1 and "F-00002 is not in C-00001's record" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    assert "R-000001" not in cli("disclosures", "C-00001", "--all").stdout


def test_text_release_with_a_form_is_refused(ready: tuple[Cli, bytes], tmp_path: Path) -> None:
    cli, _ = ready
    out = tmp_path / "birch.txt"
    result = cli(*RELEASE, "--attachment", "F-00001", "--out", str(out), "--yes")
    assert result.code != 0 and "travel inside a PDF" in result.stderr
    assert result.stderr.count("\n") == 1 and not out.exists()
