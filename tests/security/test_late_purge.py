"""Issue 10 item 7: `dispose verify` after a late purge searched for nothing.

The disposal's fingerprints lived in memory only, so the verification after a pending purge
(drive absent at disposal, connected later) rested on overwrite-then-unlink alone: an old
archive that survived the purge (an overwrite that did not happen, a copy put back) went
unnoticed although it opens with the passphrase. Now keyed hashes of what verification needs
are kept while a purge is pending, and the verification after it searches every archive on
that drive for the client's content; once it passed, the fingerprints and their key are gone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from backup import add_drive, run_backup
from backup.purge import DisposalBackups, process_connected_pending
from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from vault import SessionInfo, Vault
from vault.retention.certificate import render_text
from vault.retention.traces import TRACES_FILE


def _pending_disposal(vault: Vault, tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A disposal while the drive is unplugged: (drive, old archive, its bytes)."""
    ids = make_practice(vault)
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb, label="usb")
    old = run_backup(vault, usb, rotate=False).path
    saved = old.read_bytes()
    usb.rename(tmp_path / "usb-away")  # unplugged
    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
    )
    assert result.verification.ok and result.certificate.backups.pending
    traces = vault.folder / TRACES_FILE
    assert traces.exists() and b"Quillon" not in traces.read_bytes()
    (tmp_path / "usb-away").rename(usb)  # plugged in again
    return usb, old, saved


def _content_checks(report_checks: list, name: str) -> list:  # type: ignore[type-arg]
    return [c for c in report_checks if c.name.startswith(name)]


def test_verify_after_a_late_purge_searches_for_content_and_bites(
    vault: Vault, tmp_path: Path
) -> None:
    usb, old, saved = _pending_disposal(vault, tmp_path)
    assert process_connected_pending(vault)  # the purge: new backup, old file overwritten
    assert not old.exists()
    # The old archive survives the purge (say the overwrite never reached it): it still opens
    # with the passphrase and holds the disposed client.
    old.write_bytes(saved)
    report = vault.disposal.verify(PASSPHRASE, backups=DisposalBackups())
    assert not report.ok and report.result == "FAIL"
    (check,) = _content_checks(report.checks, "content of D-00001 (stored fingerprints)")
    assert not check.ok and "opened with the passphrase" in check.detail
    assert " 0 found" not in check.detail
    assert (vault.folder / TRACES_FILE).exists()  # kept: the check failed

    old.unlink()
    report = vault.disposal.verify(PASSPHRASE, backups=DisposalBackups())
    assert report.ok, [c for c in report.checks if not c.ok]
    (check,) = _content_checks(report.checks, "content of D-00001 (stored fingerprints)")
    assert check.ok and "names" in check.detail and "shingles" in check.detail
    assert ": 0 found" in check.detail
    assert _content_checks(report.checks, "content of D-00001: fingerprints destroyed")
    assert not (vault.folder / TRACES_FILE).exists()  # the key is gone with the file
    cert = vault.disposal.certificate(1)
    (later,) = cert.backups.completed_later
    assert later.content_check and "content check" in later.content_check
    assert "content check" in render_text(cert)

    # From now on the stored hashes cannot be checked, and verify says so.
    report = vault.disposal.verify(PASSPHRASE, backups=DisposalBackups())
    assert report.ok
    (check,) = _content_checks(report.checks, "content of D-00001")
    assert "destroyed" in check.detail and "cannot be checked any more" in check.detail
    del usb


def test_cli_dispose_verify_purges_then_names_the_content_check(
    vault: Vault, tmp_path: Path, cli: Cli
) -> None:
    _pending_disposal(vault, tmp_path)
    vault.lock()
    shutil.rmtree(tmp_path / "usb-away", ignore_errors=True)
    cli.vault_dir = vault.folder
    out = cli("dispose", "verify")
    assert out.code == 0, out.stdout + out.stderr
    assert "purged 1 old backup" in out.stderr
    assert "content of D-00001 (stored fingerprints)" in out.stdout
    assert "fingerprints destroyed" in out.stdout
    again = cli("dispose", "verify")
    assert again.code == 0 and "cannot be checked any more" in again.stdout


def test_a_surviving_incremental_link_is_found_by_the_late_content_check(
    vault: Vault, tmp_path: Path
) -> None:
    # What the disposed client said after the full backup lives only in the incremental
    # archive's changed pages: the late check must read those pages, not only full archives.
    ids = make_practice(vault)
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb, label="usb")
    run_backup(vault, usb, rotate=False, full=True)
    vault.notes.create(
        ids["gone"],
        body="Quillon described the saffron funicular and the glass orchard at length",
        session=SessionInfo(session_date="2009-12-20"),
    )
    link = run_backup(vault, usb, rotate=False)
    assert not link.skipped and link.full_because is None  # an incremental link
    saved = link.path.read_bytes()
    usb.rename(tmp_path / "usb-away")
    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
    )
    assert result.verification.ok and result.certificate.backups.pending
    (tmp_path / "usb-away").rename(usb)
    assert process_connected_pending(vault)
    assert not link.path.exists()

    link.path.write_bytes(saved)  # only the incremental link survives the purge
    report = vault.disposal.verify(PASSPHRASE, backups=DisposalBackups())
    assert not report.ok and report.result == "FAIL"
    (check,) = _content_checks(report.checks, "content of D-00001 (stored fingerprints)")
    assert not check.ok and " 0 found" not in check.detail
