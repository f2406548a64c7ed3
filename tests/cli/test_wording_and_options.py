"""Wording and option gaps a QA pass found: the accounting's closing line, the duty-to-warn
message without --note, `dispose certificate --force`, and zero/negative generation counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backup import BackupSettings, Catalog, add_drive, run_backup
from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from vault import Vault


def _client_with_note(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Quill Sampleton", "--dob", "1990-04-02").code == 0
    note = cli(
        "note",
        "add",
        "1",
        "--template",
        "soap",
        "--date",
        "2026-01-10",
        "--body",
        "Subjective: steady week",
        "--sign",
    )
    assert note.code == 0, note.stderr


def test_accounting_ends_by_counting_disclosures_not_documents(cli: Cli, tmp_path: Path) -> None:
    """`confide disclosures` closes with 'N disclosures listed', never 'N documents'."""
    _client_with_note(cli)
    for n in (1, 2):
        court = cli(
            "release",
            "1",
            "--type",
            "court-order",
            "--court-order",
            f"Order {n}",
            "--to",
            "Clerk",
            "--address",
            "1 Court Sq",
            "--for",
            "order",
            "--out",
            str(tmp_path / f"court{n}.txt"),
            "--yes",
        )
        assert court.code == 0, court.stderr
    shown = cli("disclosures", "1")
    assert shown.code == 0, shown.stderr
    last = shown.stdout.strip().splitlines()[-1]
    assert last.startswith("End of AOD-C-00001-") and last.endswith(": 2 disclosures listed.")
    assert "document" not in last
    out = tmp_path / "aod.md"
    assert cli("disclosures", "1", "--out", str(out)).code == 0
    assert out.read_text().rstrip().endswith("2 disclosures listed.")


def test_duty_to_warn_without_a_note_names_the_missing_option(cli: Cli) -> None:
    """No --note and no date range: the message asks for --note, not about a date range."""
    _client_with_note(cli)
    result = cli(
        "release",
        "1",
        "--type",
        "duty-to-warn",
        "--to",
        "Officer Dane",
        "--address",
        "2 Station Rd",
        "--for",
        "imminent threat",
    )
    assert result.code == 15
    assert "--note" in result.stderr and "none was named" in result.stderr
    assert "date range" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_certificate_pdf_refuses_an_existing_file_unless_force(cli: Cli, tmp_path: Path) -> None:
    """`dispose certificate --pdf PATH`: an existing PATH is kept unless --force replaces it."""
    cli.init()
    with Vault.unlock(cli.vault_dir, PASSPHRASE) as vault:
        make_practice(vault)
    assert cli("dispose", "C-00001", "--confirm", "Quillon Zabriskie").code == 0
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(b"my other file")
    refused = cli("dispose", "certificate", "D-00001", "--pdf", str(pdf))
    assert refused.code == 2 and "--force" in refused.stderr
    assert pdf.read_bytes() == b"my other file"
    forced: Any = cli("dispose", "certificate", "D-00001", "--pdf", str(pdf), "--force", "--json")
    assert forced.code == 0, forced.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    assert list(tmp_path.glob("cert.pdf.partial")) == []
    stray = cli("dispose", "--force")
    assert stray.code == 2 and "go with `confide dispose certificate ID`" in stray.stderr


def test_generation_counts_zero_is_accepted_negative_refused(cli: Cli) -> None:
    """0 keeps none of that kind (explained); a negative count is refused and changes nothing."""
    cli.init()
    zero: Any = cli(
        "backup",
        "settings",
        "--keep-daily",
        "0",
        "--keep-weekly",
        "0",
        "--keep-monthly",
        "0",
        "--json",
    )
    assert zero.code == 0, zero.stderr
    assert (zero.data["keep_daily"], zero.data["keep_weekly"], zero.data["keep_monthly"]) == (
        0,
        0,
        0,
    )
    shown = cli("backup", "settings")
    assert "newest good backup is always kept" in shown.stdout
    bad = cli("backup", "settings", "--keep-weekly", "-2")
    assert bad.code == 2
    assert "weekly generations to keep cannot be negative (-2)" in bad.stderr
    after: Any = cli("backup", "settings", "--json")
    assert after.data["keep_weekly"] == 0


def test_all_counts_zero_still_keeps_the_newest_backup(vault: Vault, tmp_path: Path) -> None:
    """With every count 0, rotation prunes older generations but never the newest good one."""
    Catalog(vault).save_settings(BackupSettings(keep_daily=0, keep_weekly=0, keep_monthly=0))
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive)
    day = datetime(2026, 2, 1, tzinfo=UTC)
    first = run_backup(vault, drive, now=day).path
    # A full archive: an incremental would keep the first alive as its base.
    second = run_backup(vault, drive, now=day + timedelta(days=1), full=True)
    assert [r.file_name for r in second.pruned] == [first.name]
    assert not first.exists() and second.path.exists()
    assert sorted(r.status for r in Catalog(vault).backups(statuses=None)) == ["good", "pruned"]
