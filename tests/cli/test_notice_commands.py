"""`confide notice` end to end (issue 18 part 1): who needs the notice, a PDF ready to sign
(only with --yes without a terminal), given and acknowledged, a template edit that makes every
notice outdated; bad input changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.cli import Cli


def test_notice_from_missing_to_signed_and_outdated_again(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    assert cli("client", "add", "Robin Sampleton", "--dob", "1991-02-03").code == 0
    status = cli("notice", "status", "--json")
    assert status.code == 0 and isinstance(status.data, dict)
    assert status.data["current_version"] == 1
    assert [c["state"] for c in status.data["clients"]] == ["missing"]

    out = tmp_path / "notice.pdf"
    refused = cli("notice", "pdf", "C-1", "--out", str(out))
    assert refused.code == 2 and "--yes" in refused.stderr and not out.exists()
    wrote = cli("notice", "pdf", "C-1", "--out", str(out), "--yes", "--json")
    assert wrote.code == 0, wrote.stderr
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Robin Sampleton" in text and "Limits of confidentiality" in text

    given = cli("notice", "given", "C-1", "--date", "2026-11-02", "--json")
    assert given.code == 0 and isinstance(given.data, dict)
    assert given.data["template_version"] == 1 and given.data["acknowledged_on"] is None
    assert "unacknowledged" in cli("notice", "status").stdout
    assert cli("notice", "acknowledged", "C-1", "--date", "2026-11-03").code == 0
    assert "Every active client has signed" in cli("notice", "status").stdout

    template = cli("notice", "template", "--json")
    assert isinstance(template.data, dict)
    edited = tmp_path / "template.txt"
    edited.write_text(template.data["text"] + "\n\n## Fees\nMissed sessions are charged.\n")
    assert cli("notice", "edit", "--file", str(edited)).code == 0
    status = cli("notice", "status", "--json")
    assert isinstance(status.data, dict) and status.data["current_version"] == 2
    assert [c["state"] for c in status.data["clients"]] == ["outdated"]
    listing = cli("notice", "list", "C-1")
    assert "2026-11-02" in listing.stdout and "2026-11-03" in listing.stdout


def test_bad_input_is_refused_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    assert cli("client", "add", "Robin Sampleton").code == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("no heading here\n")
    result = cli("notice", "edit", "--file", str(bad))
    assert result.code == 2 and "before the first section" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("notice", "given", "C-1", "--date", "2026-13-40").code == 2
    assert cli("notice", "acknowledged", "C-1").code == 2
    assert cli("notice", "given", "C-99").code == 14
    versions = cli("notice", "versions", "--json")
    assert isinstance(versions.data, list) and len(versions.data) == 1
    assert cli("notice", "list", "C-1").stdout.strip() == "No notice recorded for this client."


def test_sections_lists_titles_literally_and_which_are_on(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    hostile = "[bold red]Ley 秘密[/] עברית"
    template = tmp_path / "t.txt"
    template.write_text(
        f"## About\nPlain words.\n\n## {hostile} (optional: off)\nState rules.\n",
        encoding="utf-8",
    )
    assert cli("notice", "edit", "--file", str(template)).code == 0
    shown = cli("notice", "sections")
    assert shown.code == 0
    row = next(line for line in shown.stdout.splitlines() if "Ley" in line)
    assert hostile in row and row.split()[-2:] == ["no", "(off)"]
    data = cli("notice", "sections", "--json").data
    assert data["version"] == 2
    assert data["sections"][1] == {"title": hostile, "optional": True, "included": False}
    assert cli("notice", "switch", hostile, "--on").code == 0
    after = cli("notice", "sections", "--json").data
    assert after["version"] == 3 and after["sections"][1]["included"] is True
    # An earlier version still reads as it was.
    assert (
        cli("notice", "sections", "--version", "2", "--json").data["sections"][1]["included"]
        is False
    )


def test_a_signed_scan_is_filed_with_its_notice(cli: Cli, tmp_path: Path) -> None:
    from tests.support.attachments import fake_pdf, write

    cli.init()
    assert cli("client", "add", "Robin Sampleton").code == 0
    given = cli("notice", "given", "C-1", "--date", "2026-11-02", "--acknowledged", "2026-11-02")
    assert "Recorded K-00001" in given.stdout
    scan = write(tmp_path / "signed.pdf", fake_pdf("signed notice"))
    filed = cli(
        "attach", "C-1", str(scan), "--kind", "consent", "--for", "notice:K-00001", "--json"
    )
    assert filed.code == 0 and filed.data["link"] == "K-00001"
    missing = cli("attach", "C-1", str(scan), "--kind", "consent", "--for", "notice:K-00002")
    assert missing.code == 14 and "no notice K-00002" in missing.stderr
    assert len(cli("attachment", "list", "C-1", "--json").data) == 1
