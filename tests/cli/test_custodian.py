"""`confide custodian ...` and `--custodian-key-file`: designate with a sheet, work as the
custodian (read-only, exit 17 for every write), letters and instructions, re-issue and revoke."""

from __future__ import annotations

from pathlib import Path

import pypdf

from tests.support.cli import Cli, secret_file


def _designate(cli: Cli, tmp_path: Path, *extra: str) -> str:
    result = cli(
        "--json",
        "custodian",
        "designate",
        "--name",
        "Dr. Kim Birch",
        "--role",
        "Licensed psychologist, PSY 12345",
        "--contact",
        "kim.birch@example.org",
        "--sheet",
        str(tmp_path / "sheet.txt"),
        "--sheet",
        str(tmp_path / "sheet.pdf"),
        *extra,
    )
    assert result.code == 0, result.stderr
    key = str(result.data["custodian_key"])
    assert len(key) == 39
    return key


def test_designate_prints_a_sheet_and_status_names_the_custodian(cli: Cli, tmp_path: Path) -> None:
    """The sheet carries the key in groups, the vault id and who it was issued to; `status`
    says who the custodian is and since when, without the passphrase."""
    cli.init()
    key = _designate(cli, tmp_path)
    sheet = (tmp_path / "sheet.txt").read_text()
    groups = key.split("-")
    assert "  ".join(groups[:4]) in sheet and "  ".join(groups[4:]) in sheet
    assert "Dr. Kim Birch" in sheet and "NOT included" in sheet
    status = cli("--json", "status").data
    assert sheet.count(status["vault_id"]) == 1
    assert (tmp_path / "sheet.txt").stat().st_mode & 0o777 == 0o600
    pdf = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "sheet.pdf").pages)
    assert groups[0] in pdf and "Dr. Kim Birch" in pdf
    assert status["custodian"]["name"] == "Dr. Kim Birch"
    assert status["custodian"]["psychotherapy_notes"] is False
    text = cli("status").stdout
    assert "Custodian:   Dr. Kim Birch (Licensed psychologist, PSY 12345), since" in text
    again = cli("custodian", "designate", "--name", "X", "--role", "Y", "--contact", "Z")
    assert again.code == 2 and "already designated" in again.stderr


def test_custodian_mode_reads_and_writes_letters_but_refuses_every_change(
    cli: Cli, tmp_path: Path
) -> None:
    """With the sheet's key: clients with contacts and retention, a letter PDF and the
    instructions; each write refused with exit 17 and one line; the audit names the custodian."""
    cli.init()
    assert cli("client", "add", "Ada Quist", "--last-service", "2026-01-05").code == 0
    assert cli("note", "add", "C-00001", "--body", "Sleep is poor.").code == 0
    assert cli("custodian", "contact", "C-00001", "--set", "12 Harbor Road").code == 0
    key_file = secret_file(tmp_path / "custodian.key", _designate(cli, tmp_path) + "\n")
    as_custodian = ("--custodian-key-file", str(key_file))

    listed = cli(*as_custodian, "--json", "custodian", "clients").data["clients"]
    assert listed == [
        {
            "client": "C-00001",
            "name": "Ada Quist",
            "status": "active",
            "contact": "12 Harbor Road",
            "last_service_date": "2026-01-05",
            "retained_until": "2033-01-05",
            "policy": "apa",
            "legal_hold": False,
        }
    ]
    shown = cli(*as_custodian, "note", "show", "N-000001")
    assert shown.code == 0 and "Sleep is poor." in shown.stdout
    for attempt in (
        ("note", "add", "C-00001", "--body", "custodian text"),
        ("note", "sign", "N-000001"),
        ("client", "add", "Eve Newcomer"),
        ("client", "edit", "C-00001", "--status", "inactive"),
        ("custodian", "contact", "C-00001", "--clear"),  # set or replace only (below)
        ("custodian", "revoke", "--yes"),
        ("custodian", "reissue"),
        ("passwd",),
        ("practice", "set", "--name", "Mallory & Co"),
    ):
        result = cli(*as_custodian, *attempt)
        assert result.code == 17, (attempt, result.stderr)
        error_lines = [line for line in result.stderr.splitlines() if "error" in line]
        assert len(error_lines) == 1 and "read-only" in error_lines[0], result.stderr
        assert "Traceback" not in result.stderr
    moved = cli(*as_custodian, "custodian", "contact", "C-00001", "--set", "3 New Street")
    assert moved.code == 0, moved.stderr  # the letters need a current address
    refused = cli(*as_custodian, "--json", "note", "add", "C-00001", "--body", "x").json
    assert refused["type"] == "error" and refused["error"] == "custodian_read_only"
    assert cli("note", "list", "C-00001", "--json").data  # the clinician's view: one note

    letter = cli(*as_custodian, "custodian", "letter", "C-00001", "--out", str(tmp_path / "l.pdf"))
    assert letter.code == 2  # no terminal: only with --yes
    letter = cli(
        *as_custodian, "custodian", "letter", "C-00001", "--out", str(tmp_path / "l.pdf"), "--yes"
    )
    assert letter.code == 0, letter.stderr
    text = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "l.pdf").pages)
    assert "Dear Ada Quist" in text and "kim.birch@example.org" in text and "2033-01-05" in text
    guide = cli(
        *as_custodian, "custodian", "instructions", "--out", str(tmp_path / "i.txt"), "--yes"
    )
    assert guide.code == 0, guide.stderr
    instructions = (tmp_path / "i.txt").read_text()
    assert "C-00001  Ada Quist  retained until 2033-01-05" in instructions
    assert "45 CFR 164.524" in instructions and "No backup drive is recorded" in instructions

    entries = cli("--json", "audit", "list", "--limit", "40").data
    actors = [e["detail"].get("actor") for e in entries]
    assert "custodian:1" in actors


def test_reissued_and_revoked_sheets_are_refused(cli: Cli, tmp_path: Path) -> None:
    """The old key after a re-issue, and any key after a revocation: wrong key, exit 12."""
    cli.init()
    old = secret_file(tmp_path / "old.key", _designate(cli, tmp_path) + "\n")
    reissued = cli("--json", "custodian", "reissue")
    assert reissued.code == 0, reissued.stderr
    new = secret_file(tmp_path / "new.key", reissued.data["custodian_key"] + "\n")
    refused = cli("--custodian-key-file", str(old), "custodian", "clients")
    assert refused.code == 12 and "wrong custodian key" in refused.stderr
    assert cli("--custodian-key-file", str(new), "custodian", "clients").code == 0
    assert cli("custodian", "revoke", "--yes").code == 0
    after = cli("--custodian-key-file", str(new), "custodian", "clients")
    assert after.code == 12 and "no custodian is designated" in after.stderr
    assert cli("--json", "status").data["custodian"] is None


def test_instructions_name_the_backup_drive_and_a_restored_vault_opens_with_the_sheet(
    cli: Cli, tmp_path: Path
) -> None:
    """The drive from backup's catalog is in the instructions; the custodian cannot back up
    (exit 17); a vault restored from that backup carries the slot and opens with the sheet."""
    cli.init()
    assert cli("client", "add", "Ada Quist", "--last-service", "2026-01-05").code == 0
    key_file = secret_file(tmp_path / "custodian.key", _designate(cli, tmp_path) + "\n")
    drive = tmp_path / "drive"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive), "--label", "blue stick").code == 0
    assert cli("backup", "run").code == 0
    as_custodian = ("--custodian-key-file", str(key_file))
    refused = cli(*as_custodian, "backup", "run")
    assert refused.code == 17 and "backups cannot be changed" in refused.stderr
    out = tmp_path / "instructions.txt"
    assert cli(*as_custodian, "custodian", "instructions", "--out", str(out), "--yes").code == 0
    assert f"- blue stick: last seen at {drive}" in out.read_text()
    [archive] = drive.rglob("*.cfbk")
    restored = tmp_path / "restored"
    assert cli("--vault", str(restored), "restore", str(archive)).code == 0
    listed = cli("--vault", str(restored), *as_custodian, "--json", "custodian", "clients")
    assert [c["name"] for c in listed.data["clients"]] == ["Ada Quist"]


def _refusals(cli: Cli) -> list[tuple[int, str, str | None]]:
    """The custodian_refused entries (seq, what, actor), oldest first (read as the clinician)."""
    entries = cli("--json", "audit", "list", "--limit", "1000").data
    return sorted(
        (e["seq"], e["detail"]["what"], e["detail"].get("actor"))
        for e in entries
        if e["action"] == "custodian_refused"
    )


def test_each_refused_command_is_audited_once_under_the_custodians_name(
    cli: Cli, tmp_path: Path
) -> None:
    """Every refusal is in the audit log: each refused command adds exactly one
    custodian_refused entry, the custodian's, naming what was refused (no record text),
    whether the database, the vault or the key slot refused it."""
    cli.init()
    assert cli("client", "add", "Ada Quist", "--last-service", "2026-01-05").code == 0
    assert cli("note", "add", "C-00001", "--body", "Sleep is poor.").code == 0
    drive = tmp_path / "drive"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive), "--label", "blue stick").code == 0
    key_file = secret_file(tmp_path / "custodian.key", _designate(cli, tmp_path) + "\n")
    as_custodian = ("--custodian-key-file", str(key_file))
    attempts = {
        ("note", "add", "C-00001", "--body", "zqrefusedbody"): "notes cannot be changed",
        ("note", "sign", "N-000001"): "notes cannot be changed",
        ("client", "add", "Eve Newcomer"): "client records cannot be changed",
        ("client", "edit", "C-00001", "--status", "inactive"): "client records",
        ("custodian", "contact", "C-00001", "--clear"): "removing a client's contact details",
        ("custodian", "revoke", "--yes"): "revoking the custodian is for the clinician",
        ("custodian", "reissue"): "re-issuing the custodian key is for the clinician",
        ("passwd",): "changing the passphrase is for the clinician",
        ("practice", "set", "--name", "Mallory & Co"): "practice settings cannot be changed",
        ("pnote", "list", "C-00001"): "not granted the psychotherapy notes",
        ("backup", "run"): "backups cannot be changed",
        ("dispose", "C-00001", "--confirm", "Ada Quist"): "disposal is for the clinician",
    }
    assert _refusals(cli) == []
    for attempt, words in attempts.items():
        before = _refusals(cli)
        result = cli(*as_custodian, *attempt)
        assert result.code == 17, (attempt, result.stderr)
        after = _refusals(cli)
        assert len(after) == len(before) + 1, (attempt, after[len(before) :])
        _, what, actor = after[-1]
        assert words in what and actor == "custodian:1", (attempt, what)
        assert "zqrefusedbody" not in what and "Ada Quist" not in what
    assert cli("--json", "audit", "verify").code == 0


def test_custodian_dispose_and_backup_lists_say_what_they_mean(cli: Cli, tmp_path: Path) -> None:
    """On a vault never backed up: dispose (named clients or the queue) is refused as the
    clinician's, in one line, before anything is swept or migrated; the backup lists are
    read and empty, not refused for the database schema."""
    cli.init()
    assert cli("client", "add", "Ada Quist", "--last-service", "2001-01-05").code == 0
    key_file = secret_file(tmp_path / "custodian.key", _designate(cli, tmp_path) + "\n")
    as_custodian = ("--custodian-key-file", str(key_file))
    for attempt in (("dispose", "C-00001", "--confirm", "Ada Quist"), ("dispose", "--due")):
        result = cli(*as_custodian, *attempt)
        assert result.code == 17, (attempt, result.stderr)
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        assert errors == [
            "confide: error: custodian mode is read-only: disposal is for the clinician"
        ], attempt
    for listing in (("backup", "list"), ("backup", "drive", "list")):
        result = cli(*as_custodian, "--json", *listing)
        assert result.code == 0, (listing, result.stderr)
        assert result.data == [], listing
        assert "schema" not in result.stderr
    assert cli("--json", "client", "show", "C-00001").code == 0  # nothing was disposed of
