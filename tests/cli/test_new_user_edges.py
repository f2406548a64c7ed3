"""Rough edges found in acceptance QA of issues 2, 4, 5 and 6, walking the CLI as a new user."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.support.cli import Cli


def _client_with_two_kinds(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Quill Sampleton", "--dob", "1990-04-02").code == 0
    day = (date.today() - timedelta(days=30)).isoformat()
    for template, text in (("dap", "Data: qaprogressword"), ("intake", "Intake: qaintakeword")):
        made = cli(
            "note", "add", "1", "--template", template, "--date", day, "--body", text, "--sign"
        )
        assert made.code == 0, made.stderr


def test_release_defaults_to_the_kinds_the_authorization_covers(cli: Cli) -> None:
    """As in the README: an authorization for progress notes and treatment plans, a release
    without --kind sends what it covers instead of failing on assessments."""
    _client_with_two_kinds(cli)
    signed = (date.today() - timedelta(days=1)).isoformat()
    expires = (date.today() + timedelta(days=365)).isoformat()
    auth = cli(
        "auth",
        "add",
        "C-00001",
        "--what",
        "progress notes and treatment plan",
        "--discloser",
        "Dr. Able",
        "--to",
        "Dr. Birch",
        "--address",
        "1 Elm St",
        "--for",
        "continuity of care",
        "--signed",
        signed,
        "--expires",
        expires,
        "--doc-kind",
        "progress-note",
        "--doc-kind",
        "treatment-plan",
    )
    assert auth.code == 0, auth.stderr
    preview = cli(
        "release",
        "C-00001",
        "--authorization",
        "A-00001",
        "--to",
        "Dr. Birch",
        "--for",
        "continuity of care",
        "--preview",
        "--json",
    )
    assert preview.code == 0, preview.stderr
    data = preview.data
    assert isinstance(data, dict)
    assert "qaprogressword" in data["preview"] and "qaintakeword" not in data["preview"]
    # Asking for a kind the form does not cover is still refused with the reason.
    refused = cli(
        "release",
        "C-00001",
        "--authorization",
        "A-00001",
        "--to",
        "Dr. Birch",
        "--for",
        "continuity of care",
        "--kind",
        "assessment",
        "--preview",
    )
    assert refused.code == 15 and "does not cover" in refused.stderr


def test_verifying_a_damaged_copy_leaves_the_catalogued_backup_good(
    cli: Cli, tmp_path: Path
) -> None:
    """A damaged copy of a backup, somewhere else, is reported damaged; the file on the drive
    that the catalog lists is not condemned by it (it still verifies and stays good)."""
    cli.init()
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive)).code == 0
    ran = cli("backup", "run", "--json")
    assert ran.code == 0, ran.stderr
    original = next((drive / "confide-backups").glob("*.cfbk"))
    copy = tmp_path / "copy.cfbk"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 1
    copy.write_bytes(bytes(data))
    damaged = cli("backup", "verify", str(copy))
    assert damaged.code == 13 and "damaged" in damaged.stderr
    listed = cli("backup", "list", "--json").data
    assert isinstance(listed, list) and [b["status"] for b in listed] == ["good"]
    assert cli("backup", "verify", str(original)).code == 0


def test_identifiers_of_disposed_records_are_never_given_again(cli: Cli) -> None:
    """After disposing of the newest client, a new client, note, psychotherapy note and hold get
    fresh numbers: the certificate's C-00002 never names someone else, and verify still passes."""
    cli.init()
    assert cli("client", "add", "Quill Sampleton").code == 0
    assert cli("client", "add", "Rowan Oldfield", "--dob", "1950-01-01").code == 0
    for client, day in (("C-00001", date.today().isoformat()), ("C-00002", "2010-03-01")):
        made = cli("note", "add", client, "--date", day, "--body", "session text", "--sign")
        assert made.code == 0, made.stderr
    assert cli("pnote", "add", "C-00002", "--body", "impression").code == 0
    assert cli("legal-hold", "place", "C-00002", "--reason", "records review").code == 0
    assert cli("legal-hold", "release", "H-00001", "--note", "review done").code == 0
    disposed = cli("dispose", "C-00002", "--confirm", "Rowan Oldfield", "--json")
    assert disposed.code == 0, disposed.stderr
    client = cli("client", "add", "Sage Newcomer", "--json").data
    note = cli("note", "add", "C-00003", "--body", "first session", "--json").data
    pnote = cli("pnote", "add", "C-00003", "--body", "first impression", "--json").data
    hold = cli("legal-hold", "place", "C-00003", "--reason", "subpoena expected", "--json").data
    assert isinstance(client, dict) and client["record_id"] == "C-00003"
    assert isinstance(note, dict) and note["record_id"] == "N-000003"
    assert isinstance(pnote, dict) and pnote["id"] == 2
    assert isinstance(hold, dict) and hold["record_id"] == "H-00002"
    verified = cli("dispose", "verify")
    assert verified.code == 0, verified.stdout + verified.stderr


def test_psychotherapy_note_json_carries_its_identifier(cli: Cli) -> None:
    """Like every other record, a psychotherapy note's JSON names it as the text output does."""
    cli.init()
    assert cli("client", "add", "Quill Sampleton").code == 0
    added = cli("pnote", "add", "C-00001", "--body", "impression", "--json").data
    listed = cli("pnote", "list", "C-00001", "--json").data
    assert isinstance(added, dict) and added["record_id"] == "P-000001"
    assert isinstance(listed, list) and [p["record_id"] for p in listed] == ["P-000001"]


def test_note_show_names_its_addenda(cli: Cli) -> None:
    """A signed note shown on its own points to the addenda that correct it."""
    cli.init()
    assert cli("client", "add", "Quill Sampleton").code == 0
    assert cli("note", "add", "C-00001", "--body", "Goal: sleep 7 hours", "--sign").code == 0
    assert cli("note", "addend", "N-000001", "--body", "Goal is 8 hours").code == 0
    shown = cli("note", "show", "N-000001")
    assert shown.code == 0 and "Addenda:    N-000002" in shown.stdout
    data = cli("note", "show", "N-000001", "--json").data
    assert isinstance(data, dict) and data["addenda"] == ["N-000002"]


def test_a_copy_on_a_lost_drive_is_named_in_the_queue_and_on_the_certificate(
    cli: Cli, tmp_path: Path
) -> None:
    """A backup on a drive reported lost still holds the client and cannot be purged: the
    disposal queue and the certificate say so instead of certifying as if it did not exist."""
    cli.init()
    assert cli("client", "add", "Rowan Oldfield", "--dob", "1950-01-01").code == 0
    assert (
        cli(
            "note", "add", "C-00001", "--date", "2010-03-01", "--body", "old session", "--sign"
        ).code
        == 0
    )
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive), "--label", "blue stick").code == 0
    assert cli("backup", "run").code == 0
    assert cli("backup", "lost", "blue stick").code == 0
    queue = cli("dispose", "--due")
    assert queue.code == 0 and "reported lost" in queue.stdout
    disposed = cli("dispose", "C-00001", "--confirm", "Rowan Oldfield")
    assert disposed.code == 0, disposed.stdout
    assert "ON A LOST DRIVE" in disposed.stdout and "cannot be purged" in disposed.stdout
    assert "PASS, with backups pending" in disposed.stdout
    again = cli("dispose", "certificate", "D-00001")
    assert "ON A LOST DRIVE" in again.stdout


def test_a_note_ending_in_a_word_confide_itself_stores_still_verifies(cli: Cli) -> None:
    """A disposed note that ends in a word of Confide's own schema ('session') is not taken
    for a trace of the client: the disposal verifies and exits 0."""
    cli.init()
    assert cli("client", "add", "Rowan Oldfield", "--dob", "1950-01-01").code == 0
    assert (
        cli(
            "note",
            "add",
            "C-00001",
            "--date",
            "2010-03-01",
            "--body",
            "Plan: one more session",
            "--sign",
        ).code
        == 0
    )
    disposed = cli("dispose", "C-00001", "--confirm", "Rowan Oldfield")
    assert disposed.code == 0, disposed.stdout
    assert "): PASS" in disposed.stdout


def test_watch_once_reports_each_event_once(cli: Cli, tmp_path: Path) -> None:
    """`backup watch --once` prints each event one time, in full, with no trailing blanks."""
    cli.init()
    media = tmp_path / "media"
    (media / "stick").mkdir(parents=True)
    assert cli("backup", "drive", "add", str(media / "stick")).code == 0
    watched = cli("backup", "watch", "--once", "--root", str(media))
    assert watched.code == 0, watched.stderr
    both = watched.stdout + watched.stderr
    assert both.count("found:") == 1 and both.count("done:") == 1
    assert "done: drive" in watched.stdout and str(media / "stick") in watched.stdout
    assert all(line == line.rstrip() for line in watched.stdout.splitlines())


def test_revealed_legal_name_replaces_the_sealed_line(cli: Cli) -> None:
    """`client show --reveal-name` shows the name on the Legal name line, not "sealed" above it."""
    cli.init()
    assert cli("client", "add", "Kim Example", "--pseudonym", "K.E.").code == 0
    shown = cli("client", "show", "C-00001", "--reveal-name")
    assert shown.code == 0, shown.stderr
    assert "sealed (use --reveal-name)" not in shown.stdout
    assert "Legal name:     Kim Example (sealed; revealed now and audited)" in shown.stdout
    assert "Legal name:     sealed (use --reveal-name)" in cli("client", "show", "C-00001").stdout


def test_every_option_of_every_command_explains_itself() -> None:
    """No option in `confide ... --help` is listed without a line saying what it does."""
    import argparse

    from tui.cli.main import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        bare = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    bare += walk(sub, f"{path} {name}")
            elif action.option_strings and not action.help:
                bare.append(f"{path} {action.option_strings[-1]}")
        return bare

    assert walk(build_parser(), "confide") == []
