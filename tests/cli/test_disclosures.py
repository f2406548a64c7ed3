"""The disclosure commands end to end, as a practitioner answering requests would use them."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from tests.support.cli import Cli, secret_file


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    assert (
        cli(
            "practice", "set", "--name", "Harbor Counseling", "--address", "4 Pier St", "--json"
        ).code
        == 0
    )
    assert cli("client", "add", "Quill Sampleton", "--dob", "1990-04-02", "--json").code == 0
    note = cli(
        "note",
        "add",
        "1",
        "--template",
        "soap",
        "--date",
        "2026-01-10",
        "--body",
        "Subjective: steady {{omit:legal}}zqcourtmark{{/omit}} week",
        "--sign",
        "--json",
    )
    assert note.code == 0, note.stderr
    return cli


def _auth(cli: Cli, *extra: str) -> dict[str, object]:
    result = cli(
        "auth",
        "add",
        "C-00001",
        "--what",
        "progress notes 2026",
        "--discloser",
        "Dr. Able",
        "--to",
        "Dr. Birch",
        "--address",
        "1 Elm St",
        "--for",
        "continuity of care",
        "--signed",
        "2026-01-01",
        "--expires",
        "2099-01-01",
        *extra,
        "--json",
    )
    assert result.code == 0, result.stderr
    data = result.data
    assert isinstance(data, dict)
    return data


def test_release_preview_then_write_then_accounting(ready: Cli, tmp_path: Path) -> None:
    """Preview records nothing; --out writes the PDF; the authorization case is not accountable,
    a court order is."""
    auth = _auth(ready)
    base = [
        "release",
        "1",
        "--to",
        "Dr. Birch",
        "--for",
        "continuity of care",
        "--authorization",
        str(auth["record_id"]),
    ]
    preview = ready(*base, "--preview", "--json")
    assert preview.code == 0, preview.stderr
    data = preview.data
    assert isinstance(data, dict) and data["written"] is False
    assert "[withheld: legal]" in data["preview"] and "zqcourtmark" not in data["preview"]
    assert "Harbor Counseling" in data["preview"]
    out = tmp_path / "birch.pdf"
    written = ready(*base, "--out", str(out), "--json", "--yes")
    assert written.code == 0, written.stderr
    assert "zqcourtmark" not in " ".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    court = ready(
        "release",
        "1",
        "--type",
        "court-order",
        "--court-order",
        "Order 7",
        "--to",
        "Clerk",
        "--address",
        "1 Court Sq",
        "--for",
        "order",
        "--out",
        str(tmp_path / "court.txt"),
        "--json",
        "--yes",
    )
    assert court.code == 0, court.stderr
    accounting = ready("disclosures", "1", "--json").data
    assert isinstance(accounting, dict)
    assert [e["recipient_name"] for e in accounting["entries"]] == ["Clerk"]
    everything = ready("disclosures", "C-00001", "--all", "--out", str(tmp_path / "aod.pdf"))
    assert everything.code == 0 and "Dr. Birch" in everything.stdout
    assert "Clerk" in pypdf.PdfReader(tmp_path / "aod.pdf").pages[0].extract_text()


def test_release_refusals_are_one_line_with_exit_1(ready: Cli, tmp_path: Path) -> None:
    """An existing file and a revoked authorization fail with one line on stderr."""
    auth = _auth(ready)
    assert ready("auth", "revoke", str(auth["record_id"]), "--on", "2026-02-01").code == 0
    out = tmp_path / "exists.txt"
    out.write_text("keep me")
    result = ready(
        "release",
        "1",
        "--to",
        "Dr. Birch",
        "--for",
        "care",
        "--authorization",
        "A-00001",
        "--out",
        str(out),
        "--yes",
    )
    assert result.code == 15
    assert result.stderr.count("\n") == 1 and "revoked on 2026-02-01" in result.stderr
    court = [
        "release",
        "1",
        "--type",
        "court-order",
        "--court-order",
        "Order 7",
        "--to",
        "Clerk",
        "--for",
        "order",
        "--out",
        str(out),
        "--yes",
    ]
    exists = ready(*court)
    assert exists.code == 2 and "already exists" in exists.stderr
    assert out.read_text() == "keep me"
    assert ready(*court, "--force").code == 0 and "Clerk" in out.read_text()
    listed = ready("auth", "list", "1").stdout
    assert "revoked" in listed


def test_subpoena_flow_from_the_command_line(ready: Cli, tmp_path: Path) -> None:
    """A subpoena prints the checklist and places a hold; a court order then allows release."""
    first = ready(
        "release",
        "1",
        "--type",
        "subpoena",
        "--to",
        "Harbor Law LLP",
        "--reference",
        "Case 7",
        "--json",
    )
    assert first.code == 0
    data = first.data
    assert isinstance(data, dict) and data["released"] is False
    assert len(data["checklist"]) == 3
    holds = ready("legal-hold", "list", "--json").data
    assert isinstance(holds, list) and len(holds) == 1
    refused = ready(
        "release",
        "1",
        "--type",
        "subpoena",
        "--request",
        "Q-00001",
        "--to",
        "Harbor Law LLP",
        "--for",
        "litigation",
    )
    assert refused.code == 15 and "a subpoena alone releases nothing" in refused.stderr
    assert ready("request", "update", "Q-1", "--court-order", "Order of 2026-11-20").code == 0
    done = ready(
        "release",
        "1",
        "--type",
        "subpoena",
        "--request",
        "Q-00001",
        "--to",
        "Harbor Law LLP",
        "--for",
        "litigation",
        "--out",
        str(tmp_path / "s.md"),
        "--yes",
    )
    assert done.code == 0, done.stderr
    assert "fulfilled" in ready("request", "show", "Q-00001").stdout


def test_access_and_password_protected_pdf(ready: Cli, tmp_path: Path) -> None:
    """The client's copy can be AES-256 protected with a password read from a file."""
    password_file = secret_file(tmp_path / "pdfpass", "harbor lantern tidal quartz\n")
    out = tmp_path / "copy.pdf"
    result = ready(
        "access",
        "1",
        "--out",
        str(out),
        "--pdf-password-file",
        str(password_file),
        "--json",
        "--yes",
    )
    assert result.code == 0, result.stderr
    reader = pypdf.PdfReader(out)
    assert reader.is_encrypted and reader.decrypt("harbor lantern tidal quartz")
    assert "Copy of records" in reader.pages[0].extract_text()


def test_amendment_commands(ready: Cli) -> None:
    """Request, deny, disagree and rebut from the command line, each in JSON."""
    req = ready("amend", "request", "1", "N-1", "--text", "Fix the date.", "--json")
    assert req.code == 0, req.stderr
    data = req.data
    assert isinstance(data, dict) and data["status"] == "pending"
    assert ready("amend", "deny", "M-1", "--text", "Accurate and complete.").code == 0
    assert ready("amend", "disagree", "M-1", "--text", "I disagree.").code == 0
    assert ready("amend", "rebut", "M-1", "--text", "Dated by the calendar.").code == 0
    listed = ready("amend", "list", "1", "--json").data
    assert isinstance(listed, list) and listed[0]["rebuttal"]
    assert listed[0]["record_id"] == "M-00001"
    assert ready("amend", "accept", "M-1", "--text", "x").code == 2


def test_usage_errors_exit_2_and_every_command_has_help(ready: Cli) -> None:
    """Missing arguments are usage errors; each new command answers --help."""
    assert ready("release", "1").code == 2
    assert ready("release", "1", "--to", "X", "--for", "y", "--type", "gossip").code == 2
    for command in (
        ["release"],
        ["access"],
        ["auth", "add"],
        ["auth", "list"],
        ["auth", "revoke"],
        ["disclosures"],
        ["amend", "request"],
        ["request", "update"],
        ["legal-hold", "place"],
        ["practice", "set"],
    ):
        result = ready(*command, "--help")
        assert result.code == 0 and "usage:" in result.stdout


def test_markers_hold_in_pnotes_and_accepted_amendments(ready: Cli, tmp_path: Path) -> None:
    """`pnote add` and `amend accept --text` parse omission markers: `pnote show` prints them
    back as markers (or withheld), and a release withholds the flagged words."""
    added = ready(
        "pnote",
        "add",
        "1",
        "--body",
        "Spoke of {{omit:third-party}}brother Bob details{{/omit}}.",
        "--json",
    )
    assert added.code == 0, added.stderr
    shown = ready("pnote", "show", "P-1")
    assert "Spoke of {{omit:third-party}}brother Bob details{{/omit}}." in shown.stdout
    held = ready("pnote", "show", "P-1", "--withheld")
    assert "Spoke of [withheld: third-party information]." in held.stdout
    assert "Bob" not in held.stdout
    assert ready("amend", "request", "1", "N-1", "--text", "Add the lab result.").code == 0
    accepted = ready(
        "amend", "accept", "M-1", "--text", "Result added. {{omit:hiv}}zqamendhivword{{/omit}}"
    )
    assert accepted.code == 0, accepted.stderr
    out = tmp_path / "court.txt"
    court = ready(
        "release",
        "1",
        "--type",
        "court-order",
        "--court-order",
        "Order 7",
        "--to",
        "Clerk",
        "--for",
        "order",
        "--out",
        str(out),
        "--yes",
    )
    assert court.code == 0, court.stderr
    text = out.read_text()
    assert "Result added. [withheld: HIV/STI]" in text
    assert "zqamendhivword" not in text and "{{" not in text


def test_release_without_a_terminal_needs_yes(ready: Cli, tmp_path: Path) -> None:
    """No terminal to show the preview and ask: refused unless --yes; nothing written or
    recorded (issue 13: it used to write without asking)."""
    out = tmp_path / "court.txt"
    args = [
        "release",
        "1",
        "--type",
        "court-order",
        "--court-order",
        "Order 9",
        "--to",
        "Clerk",
        "--for",
        "order",
        "--out",
        str(out),
    ]
    for extra in ([], ["--json"]):
        refused = ready.subprocess(*args, *extra, input=b"y\n")
        assert refused.code == 2 and "--yes" in refused.stderr, refused.stderr
        assert not out.exists()
    assert ready("disclosures", "1", "--all", "--json").data["entries"] == []
    written = ready.subprocess(*args, "--yes")
    assert written.code == 0, written.stderr
    assert out.exists() and len(ready("disclosures", "1", "--json").data["entries"]) == 1


def _page_points(path: Path) -> tuple[int, int]:
    box = pypdf.PdfReader(path).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_paper_size_from_option_and_practice_setting(ready: Cli, tmp_path: Path) -> None:
    """US Letter by default; `practice set --paper a4` makes A4 the default; --paper wins."""
    letter, a4, again = tmp_path / "l.pdf", tmp_path / "a.pdf", tmp_path / "g.pdf"
    assert ready("access", "1", "--out", str(letter), "--yes", "--json").code == 0
    assert _page_points(letter) == (612, 792)
    set_paper = ready("practice", "set", "--paper", "a4", "--json")
    assert set_paper.code == 0, set_paper.stderr
    assert set_paper.data["paper"] == "a4"  # type: ignore[index]
    assert ready("access", "1", "--out", str(a4), "--yes", "--json").code == 0
    assert _page_points(a4) == (595, 842)
    chosen = ready("access", "1", "--out", str(again), "--paper", "letter", "--yes", "--json")
    assert chosen.code == 0, chosen.stderr
    assert _page_points(again) == (612, 792)


def test_unknown_paper_size_is_a_usage_error(ready: Cli, tmp_path: Path) -> None:
    result = ready("practice", "set", "--paper", "legal", "--json")
    assert result.code == 2
    assert not (tmp_path / "x.pdf").exists()


def test_practice_clinician_and_purpose_warning_from_the_cli(ready: Cli, tmp_path: Path) -> None:
    """`practice set` takes the clinician and credentials the app's settings screen has; a
    release whose purpose is not the authorization's warns (text and JSON), and still works."""
    result = ready("practice", "set", "--clinician", "Jane Able", "--credentials", "PsyD", "--json")
    assert result.code == 0, result.stderr
    assert result.data["clinician"] == "Jane Able" and result.data["credentials"] == "PsyD"
    assert result.data["name"] == "Harbor Counseling"  # fields not given are kept
    auth = _auth(ready)
    base = ["release", "1", "--to", "Dr. Birch", "--authorization", str(auth["record_id"])]
    text = ready(*base, "--for", "a disability claim", "--preview")
    assert text.code == 0, text.stderr
    assert "Warning: the purpose typed ('a disability claim') differs" in text.stderr
    assert "Released by: Jane Able, PsyD" in text.stdout
    same = ready(*base, "--for", "Continuity of care", "--preview", "--json")
    assert same.data["plan"]["warnings"] == []
    other = ready(*base, "--for", "a disability claim", "--preview", "--json")
    assert "continuity of care" in other.data["plan"]["warnings"][0]
