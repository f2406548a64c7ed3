"""`confide incident ...` and `backup lost`: a lost drive flows to an assessed incident; a breach
gives letters, the deadline on every unlock until closed, and the HHS log."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

from backup import add_drive, run_backup
from tests.support.cli import PASSPHRASE, Cli
from vault import KdfParams, Vault

# The weakest parameters `confide status` does not call weak: a real lost drive, cheaply.
STRONG = KdfParams(time_cost=2, memory_kib=256 * 1024, parallelism=1, preset="calibrated")


def _pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


def _deadline_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("confide: warning:")]


def test_lost_drive_with_strong_kdf_concludes_not_a_breach(cli: Cli, tmp_path: Path) -> None:
    """Safe-harbor path: `backup lost` opens the incident with the drive's facts; keys not
    compromised -> not a breach; no letters, and unlocking no longer warns."""
    vault, _ = Vault.create(cli.vault_dir, PASSPHRASE, STRONG)
    with vault:
        vault.clients.add("Marigold Testperson")
        vault.clients.add("Tobias Sampleton")
        drive = tmp_path / "stick"
        drive.mkdir()
        add_drive(vault, drive, "blue stick")
        run_backup(vault, drive)
    lost = cli("backup", "lost", "blue stick", "--json")
    assert lost.code == 0, lost.stderr
    assert lost.data["incident"] == "I-000001"  # type: ignore[index]
    assert lost.data["backups"]  # type: ignore[index]  # the report's shape is kept
    again = cli("backup", "lost", "blue stick", "--json")  # reported twice: one incident
    assert again.data["incident"] == "I-000001"  # type: ignore[index]
    assert len(cli("incident", "list", "--json").data) == 1  # type: ignore[arg-type]
    shown = cli("incident", "show", "I-000001", "--json")
    data = shown.data
    assert isinstance(data, dict)
    assert [c["record_id"] for c in data["incident"]["clients"]] == ["C-00001", "C-00002"]
    copy = data["incident"]["copies"][0]
    assert copy["archive_cipher"] == "AES-256-GCM" and copy["kdf"]["memory_kib"] == 262144
    assert not any("WARNING" in f for f in data["known_facts"])
    assert data["deadline"] == (date.today() + timedelta(days=60)).isoformat()
    assert "presumed a breach" in _deadline_lines(shown.stderr)[0]
    refused = cli("incident", "conclude", "I-1", "not-breach", "--reason", "encrypted")
    assert refused.code == 2 and "keys uncompromised" in refused.stderr
    assert "confide incident assess I-000001 --keys-compromised" in refused.stderr  # the hint
    assert (
        cli(
            "incident", "assess", "I-1", "--keys-compromised", "no", "--recipient", "Unknown finder"
        ).code
        == 0
    )
    done = cli(
        "incident",
        "conclude",
        "I-1",
        "not-breach",
        "--reason",
        "AES-256 and a strong passphrase never written down",
    )
    assert done.code == 0 and "encryption safe harbor" in done.stdout
    letters = tmp_path / "letters"
    letters.mkdir()
    none = cli("incident", "notice", "I-1", "--out-dir", str(letters))
    assert none.code == 2 and "not concluded a breach" in none.stderr
    assert list(letters.iterdir()) == []
    after = cli("client", "list")
    assert after.code == 0 and _deadline_lines(after.stderr) == []
    assert cli("incident", "close", "I-1").code == 0


def test_breach_letters_deadline_on_unlock_and_hhs_log(cli: Cli, tmp_path: Path) -> None:
    """Breach path: one PDF letter per client, read back; the deadline on stderr of every
    command that unlocks until the incident is closed; the HHS log lists it."""
    cli.init()
    assert cli("practice", "set", "--name", "Harbor Counseling", "--phone", "555-0100").code == 0
    assert cli("client", "add", "Marigold Testperson").code == 0
    assert cli("client", "add", "Tobias Sampleton").code == 0
    today = date.today()
    added = cli(
        "incident",
        "add",
        "--kind",
        "misdirected-release",
        "--description",
        "Your records were emailed to the wrong address.",
        "--client",
        "C-00001",
        "--client",
        "C-2",
        "--occurred",
        today.isoformat(),
        "--json",
    )
    assert added.code == 0, added.stderr
    assert added.data["record_id"] == "I-000001"  # type: ignore[index]
    assert (
        cli(
            "incident",
            "assess",
            "I-1",
            "--nature",
            "names and one note",
            "--recipient",
            "a stranger",
            "--acquired",
            "opened and read",
            "--mitigation",
            "none possible",
        ).code
        == 0
    )
    concluded = cli("incident", "conclude", "I-1", "breach", "--reason", "it was read")
    assert concluded.code == 0 and "Next: write the letters" in concluded.stdout
    deadline = (today + timedelta(days=60)).isoformat()
    listing = cli("client", "list")  # any command that unlocks
    assert _deadline_lines(listing.stderr) == [
        f"confide: warning: BREACH I-000001: notify 2 of 2 affected client(s) by {deadline} "
        "(60 days left); then close it"
    ]
    assert "Marigold" in listing.stdout and "BREACH" not in listing.stdout  # stdout is data
    letters = tmp_path / "letters"
    letters.mkdir()
    wrote = cli(
        "incident",
        "notice",
        "I-1",
        "--out-dir",
        str(letters),
        "--steps",
        "Call us; we will explain.",
        "--json",
    )
    assert wrote.code == 0, wrote.stderr
    files = sorted(p.name for p in letters.iterdir())
    assert files == ["notice-I-000001-C-00001.pdf", "notice-I-000001-C-00002.pdf"]
    first = _pdf_text(letters / files[0])
    assert "Dear Marigold Testperson" in first and "Tobias" not in first
    assert "emailed to the wrong address" in first and "Call us; we will explain." in first
    assert f"We discovered it on {today.isoformat()}" in first and "555-0100" in first
    early = cli("incident", "close", "I-1")
    assert early.code == 2 and "no notice recorded as sent" in early.stderr
    errors = [x for x in early.stderr.splitlines() if x.startswith("confide: usage error:")]
    assert len(errors) == 1 and "--sent C-..." in errors[0]
    assert cli("incident", "notice", "I-1", "--sent", "C-00001", "--sent", "C-00002").code == 0
    notices = cli("incident", "notices", "I-1")
    assert notices.code == 0 and "NOT YET" not in notices.stdout
    assert cli("incident", "close", "I-1", "--note", "all told").code == 0
    quiet = cli("client", "list")
    assert _deadline_lines(quiet.stderr) == []
    log = cli("incident", "hhs-log", str(today.year))
    assert log.code == 0 and "## I-000001" in log.stdout
    assert "Approximate number of individuals affected: 2" in log.stdout
    assert "Marigold" not in log.stdout
    listed = cli("incident", "list", "--json").data
    assert isinstance(listed, list) and listed[0]["status"] == "closed"


def test_bad_input_is_one_line_and_changes_nothing(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Marigold Testperson").code == 0
    for args, message, code in (
        (("--kind", "other", "--description", "x", "--client", "C-9"), "no client C-00009", 14),
        (
            ("--kind", "other", "--description", "x", "--discovered", "2999-01-01"),
            "in the future",
            2,
        ),
        (
            ("--kind", "other", "--description", "x", "--discovered", "yesterday"),
            "is not a date",
            2,
        ),
        (
            ("--kind", "other", "--description", "x", "--release", "R-7"),
            "no disclosure R-000007",
            14,
        ),
    ):
        result = cli("incident", "add", *args)
        assert result.code == code and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert cli("incident", "list", "--json").data == []
    assert cli("incident", "show", "I-5").code == 14


def test_hostile_description_is_shown_as_data(cli: Cli) -> None:
    cli.init()
    text = "[/] [bold red]x[/] {steps} \u009b31m"
    added = cli("incident", "add", "--kind", "other", "--description", text)
    assert added.code == 2 and "U+009B CONTROL CHARACTER" in added.stderr
    added = cli("incident", "add", "--kind", "other", "--description", text[:-4])
    assert added.code == 0
    shown = cli("incident", "show", "I-1")
    assert "[/] [bold red]x[/] {steps}" in shown.stdout


def test_the_template_can_be_shown_replaced_and_reset(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    shown = cli("incident", "template")
    assert shown.code == 0 and "{steps}" in shown.stdout
    bad = tmp_path / "bad.txt"
    bad.write_text(shown.stdout.replace("{contact}", ""))
    refused = cli("incident", "template", "--file", str(bad))
    assert refused.code == 2 and "contact procedures" in refused.stderr
    good = tmp_path / "good.txt"
    good.write_text(shown.stdout.replace("Dear", "Hello"))
    assert "Hello {client_name}" in cli("incident", "template", "--file", str(good)).stdout
    assert "Dear {client_name}" in cli("incident", "template", "--reset").stdout


def test_a_drive_labelled_with_a_client_name_still_opens_an_incident(
    cli: Cli, tmp_path: Path
) -> None:
    """The label comes from the drive; the register keeps no client name, so it is left out."""
    cli.init()
    assert cli("client", "add", "Marigold Testperson").code == 0
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive), "--label", "Marigold Testperson").code == 0
    assert cli("backup", "run").code == 0
    lost = cli("backup", "lost", "Marigold Testperson", "--json")
    assert lost.code == 0 and lost.data["incident"] == "I-000001"  # type: ignore[index]
    shown = cli("incident", "show", "I-1")
    assert "label not kept" in shown.stdout and "Marigold" not in shown.stdout
    assert "WARNING" in shown.stdout and "weak test" in shown.stdout  # test-insecure vault
