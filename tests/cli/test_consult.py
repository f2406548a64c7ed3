"""confide consult / person: a reviewed, de-identified case summary from the command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import Cli
from vault import Vault

NOTE_1 = (
    "Maya Sampleton (born 02/14/1988, C-00001) came with her sister June. Maya's phone is "
    "(555) 010-2222; she lives at 42 Maple Street, Springfield, IL 62704. PHQ-9 14, F41.1, "
    "sertraline 50 mg."
)
NOTE_2 = (
    "Second session. June called Maya on May 3rd. {{omit:substance}}Drinks at the Rusty Anchor"
    "{{/omit}} Week 3 of CBT. Dr. Okonkwo at Mercy General Hospital adjusted dose."
)


def _setup(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Maya Sampleton", "--dob", "1988-02-14").code == 0
    assert cli("person", "add", "C-00001", "June Sampleton", "--role", "sister").code == 0
    for body, day in ((NOTE_1, "2024-04-26"), (NOTE_2, "2024-05-03")):
        assert cli("note", "add", "C-00001", "--body", body, "--date", day).code == 0
    assert (
        cli(
            "pnote",
            "add",
            "C-00001",
            "--body",
            "Maya felt Okonkwo dismissed her.",
            "--date",
            "2024-05-03",
        ).code
        == 0
    )


def _pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


LEAKS = (
    "Maya",
    "Sampleton",
    "June",
    "1988",
    "02/14",
    "C-00001",
    "N-00000",
    "010-2222",
    "Maple",
    "62704",
    "Okonkwo",
    "Mercy",
    "Rusty Anchor",
    "May 3",
)


def test_no_known_name_birth_date_or_record_id_in_any_output(cli: Cli, tmp_path: Path) -> None:
    _setup(cli)
    for fmt in ("txt", "md", "pdf"):
        out = tmp_path / fmt
        out.mkdir()
        r = cli(
            "consult",
            "C-00001",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--pnotes",
            "--format",
            fmt,
            "--out",
            str(out),
            "--yes",
            "--json",
        )
        assert r.code == 0, r.stderr
        path = Path(r.data["path"])
        assert path.parent == out and path.name.startswith("case-summary-")
        text = _pdf_text(path) if fmt == "pdf" else path.read_text()
        for leak in LEAKS:
            assert leak not in text, (fmt, leak)
        assert "the client's sister" in text.replace("The client's", "the client's")
        for kept in ("PHQ-9 14", "F41.1", "50 mg", "Week 3"):
            assert kept in text, (fmt, kept)
        assert "[withheld: substance use]" in text
        assert "session 2" in text
        assert r.data["pnotes"] == 1


def test_json_without_yes_gives_the_replacements_and_writes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    _setup(cli)
    r = cli("consult", "C-00001", "--note", "N-000001", "--out", str(_out(tmp_path)), "--json")
    assert r.code == 0, r.stderr
    assert r.data["written"] is False
    originals = {i["original"]: i for i in r.data["replacements"]}
    assert originals["Maya Sampleton"]["replacement"] == "the client"
    assert originals["Maya Sampleton"]["restorable"] is False
    assert originals["(555) 010-2222"]["kind"] == "phone"
    assert "Maya" not in r.data["text"]
    assert not list(_out(tmp_path).iterdir())


def test_without_a_terminal_it_refuses_unless_yes(cli: Cli, tmp_path: Path) -> None:
    _setup(cli)
    r = cli("consult", "C-00001", "--note", "N-000001", "--out", str(_out(tmp_path)))
    assert r.code == 2
    assert "reviewed before it is written" in r.stderr
    assert not list(_out(tmp_path).iterdir())


def test_a_file_name_that_identifies_the_client_is_refused(cli: Cli, tmp_path: Path) -> None:
    _setup(cli)
    for name in ("maya-summary.txt", "C-00001.txt", "sampleton_notes.md"):
        r = cli("consult", "C-00001", "--note", "1", "--out", str(_out(tmp_path) / name), "--yes")
        assert r.code == 2, name
        assert "identifies the client" in r.stderr
    assert not list(_out(tmp_path).iterdir())


def test_restore_and_redact_more_change_the_output(cli: Cli, tmp_path: Path) -> None:
    _setup(cli)
    r = cli("consult", "C-00001", "--note", "2", "--json")
    items = r.data["replacements"]
    doctor = next(i for i in items if i["original"] == "Dr. Okonkwo")
    r = cli(
        "consult",
        "C-00001",
        "--note",
        "2",
        "--restore",
        str(doctor["number"]),
        "--redact",
        "CBT",
        "--out",
        str(_out(tmp_path)),
        "--yes",
        "--json",
    )
    assert r.code == 0, r.stderr
    text = Path(r.data["path"]).read_text()
    assert "Dr. Okonkwo" in text
    assert "CBT" not in text and "[redacted]" in text
    known = next(i for i in items if i["original"] == "June")
    r = cli("consult", "C-00001", "--note", "2", "--restore", str(known["number"]), "--yes")
    assert r.code == 2 and "cannot be restored" in r.stderr


def test_audit_has_the_choices_and_the_accounting_nothing(
    cli: Cli, tmp_path: Path, vault_dir: Path
) -> None:
    _setup(cli)
    r = cli(
        "consult",
        "C-00001",
        "--note",
        "1",
        "--note",
        "2",
        "--format",
        "md",
        "--out",
        str(_out(tmp_path)),
        "--yes",
        "--json",
    )
    assert r.code == 0, r.stderr
    with Vault.unlock(vault_dir, _passphrase(cli)) as vault:
        entries = [e for e in vault.audit.entries() if e.action == "consult"]
        assert len(entries) == 1
        detail = entries[0].detail
        assert detail["notes"] == 2 and detail["format"] == "md" and detail["pnotes"] == 0
        assert detail["note_ids"] == "N-000001,N-000002"
        assert "Maya" not in json.dumps(detail)
        assert vault.db.scalar("SELECT count(*) FROM disclosures") == 0


def test_psychotherapy_notes_only_when_chosen(cli: Cli, tmp_path: Path) -> None:
    _setup(cli)
    r = cli("consult", "C-00001", "--from", "2024-01-01", "--json")
    assert r.code == 0
    assert "Psychotherapy note," not in r.data["text"]
    r = cli("consult", "C-00001", "--pnote", "P-000001", "--json")
    assert r.code == 0
    assert "Psychotherapy note, session 2" in r.data["text"]


def test_people_list_and_remove(cli: Cli) -> None:
    _setup(cli)
    r = cli("person", "list", "C-00001", "--json")
    assert [(p["name"], p["role"]) for p in r.data] == [("June Sampleton", "sister")]
    assert cli("person", "remove", str(r.data[0]["id"])).code == 0
    assert cli("person", "list", "C-00001", "--json").data == []


def _passphrase(cli: Cli) -> str:
    return cli.passphrase_file.read_text().strip()


def _out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return out
