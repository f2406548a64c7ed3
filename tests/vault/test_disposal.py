"""Disposal: refusals, what is destroyed, key rotation, verification, certificate and log."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import (
    AuthenticationError,
    DamagedFileError,
    IntegrityError,
    NotFoundError,
    Vault,
)
from vault.crypto.forensics import iter_pages
from vault.crypto.keyslots import KeyName
from vault.errors import DisposalRefusedError
from vault.retention.certificate import (
    render_pdf,
    render_text,
    write_export,
)
from vault.storage.database import Database


def test_plan_lists_what_will_be_destroyed(vault: Vault) -> None:
    """`dispose --due` data: counts, date ranges, psychotherapy notes, joint notes kept."""
    ids = make_practice(vault)
    rows = {r.client_id: r for r in vault.disposal.plan(passphrase=PASSPHRASE)}
    assert set(rows) == {ids["gone"], ids["sealed"]}
    gone = rows[ids["gone"]]
    assert (gone.notes, gone.first_session, gone.last_session) == (12, "2009-01-04", "2009-12-04")
    assert (gone.pnotes, gone.pnotes_first) == (1, "2009-06-06")
    assert gone.joint_notes_kept == 1
    assert "display_name" not in gone.certificate_entry().to_json()


def test_dispose_destroys_records_rotates_keys_and_certifies(vault: Vault, tmp_path: Path) -> None:
    """After disposal the clients, notes and pnotes are gone, keys are new, verification passes."""
    ids = make_practice(vault)
    old_keys = vault.key_file.unwrap_with_passphrase(PASSPHRASE, list(KeyName))
    epoch = vault.key_file.epoch
    result = vault.disposal.dispose(
        PASSPHRASE,
        [ids["gone"], ids["sealed"]],
        ["quillon  zabriskie", "Client Seven"],
        performed_by="Dr. Tester",
    )
    assert result.verification.ok, render_text(result.certificate)
    assert vault.key_file.epoch == epoch + 1
    assert [c.id for c in vault.clients.list()] == [ids["kept"]]
    assert vault.notes.count() == 13  # 12 of the kept client + the joint note, now without Quillon
    assert vault.search("marmalade") == [] and vault.search("Bramblewood")
    pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
    assert pnotes.count() == 1 and pnotes.search("xylophone") == []
    # The old keys open nothing any more: every page authenticates only under the new key.
    for name, key_name in (("record.db", KeyName.RECORD), ("pnotes.db", KeyName.PNOTES)):
        copy = tmp_path / name
        shutil.copyfile(vault.folder / name, copy)
        with pytest.raises(DamagedFileError):
            Database.open(copy, old_keys[key_name])
        assert not any(
            ok for _, ok, _ in iter_pages(vault.folder / name, old_keys[key_name].reveal())
        )
    text = render_text(result.certificate)
    for secret in ("Quillon", "Zabriskie", "Ottoline", "Vexmoor", "Client Seven", "marmalade"):
        assert secret not in text
    assert "C-00001" in text and "2009-01-04 to 2009-12-04" in text and "Purge" in text
    assert "Dr. Tester" in text and "wear-levelling" in text and "PASS" in text
    assert (result.certificate.epoch_before, result.certificate.epoch_after) == (epoch, epoch + 1)


def test_names_and_notes_are_confirmed_before_anything_changes(vault: Vault) -> None:
    """Wrong confirmation, hold, not due, unknown client, wrong passphrase: refused, unchanged."""
    ids = make_practice(vault)
    before = (vault.clients.count(), vault.notes.count(), vault.key_file.epoch)
    with pytest.raises(DisposalRefusedError, match="must name exactly"):
        vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon"])
    with pytest.raises(DisposalRefusedError, match="kept until 2032-06-01"):
        vault.disposal.dispose(PASSPHRASE, [ids["kept"]], ["Bramble Keeper"])
    with pytest.raises(NotFoundError, match="C-00099"):
        vault.disposal.dispose(PASSPHRASE, [99], ["Nobody"])
    with pytest.raises(AuthenticationError):
        vault.disposal.dispose("wrong passphrase", [ids["gone"]], ["Quillon Zabriskie"])
    vault.holds.place(ids["gone"], "records request pending")
    with pytest.raises(DisposalRefusedError, match="legal hold"):
        vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert (vault.clients.count(), vault.notes.count(), vault.key_file.epoch) == before
    assert vault.db.scalar("SELECT count(*) FROM disposals") == 0


def test_policy_change_makes_client_due(vault: Vault) -> None:
    """A shorter policy makes a client due; the certificate names that policy."""
    ids = make_practice(vault)
    vault.clients.update(ids["kept"], last_service_date="2020-06-01")
    with pytest.raises(DisposalRefusedError):
        vault.disposal.dispose(PASSPHRASE, [ids["kept"]], ["Bramble Keeper"])
    vault.retention.set(ids["kept"], "pa")
    result = vault.disposal.dispose(PASSPHRASE, [ids["kept"]], ["Bramble Keeper"])
    assert result.certificate.records[0].policy == "pa"


def test_disposal_log_survives_later_disposals(vault: Vault) -> None:
    """Two disposals: both certificates stay in the log, the first unchanged by the second."""
    ids = make_practice(vault)
    first = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    second = vault.disposal.dispose(PASSPHRASE, [ids["sealed"]], ["Client Seven"])
    log = vault.disposal.log()
    assert [e.certificate_id for e in log] == ["D-00002", "D-00001"]
    assert all(e.result == "PASS" for e in log)
    assert vault.disposal.certificate(first.disposal_id).records == first.certificate.records
    assert second.certificate.epoch_before == first.certificate.epoch_after
    with pytest.raises(IntegrityError, match="permanent"):
        vault.db.execute("DELETE FROM disposals")


def test_verify_on_demand_reports_what_it_checked(vault: Vault) -> None:
    """`dispose verify` later: every page authenticates, no identifiers, nothing pending."""
    ids = make_practice(vault)
    vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    report = vault.disposal.verify(PASSPHRASE)
    assert report.ok and report.result == "PASS"
    names = [c.name for c in report.checks]
    assert "record.db: pages" in names and "identifiers" in names and "vault folder" in names


def test_verify_fails_when_a_trace_is_left(vault: Vault) -> None:
    """Verification can fail: a stray row naming a disposed client is reported."""
    ids = make_practice(vault)
    vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    vault.db.execute("PRAGMA foreign_keys = OFF")
    vault.db.execute("INSERT INTO note_participants VALUES (1, ?)", (ids["gone"],))
    report = vault.disposal.verify(PASSPHRASE)
    assert not report.ok
    assert any(
        c.name == "identifiers" and "note_participants: 1" in c.detail for c in report.checks
    )


def test_certificate_exports_as_text_and_pdf(vault: Vault, tmp_path: Path) -> None:
    """Text and PDF exports carry the certificate, never a name; existing files are not replaced."""
    ids = make_practice(vault)
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    pdf_path = write_export(result.certificate, tmp_path / "cert.pdf", pdf=True)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert len(render_pdf(result.certificate)) > 1000
    txt = write_export(result.certificate, tmp_path / "cert.txt", pdf=False).read_text()
    assert "CERTIFICATE OF DISPOSAL D-00001" in txt and "Quillon" not in txt
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "D-00001" in out and "Quillon" not in out and "Purge" in out
    with pytest.raises(Exception, match="already exists"):
        write_export(result.certificate, pdf_path, pdf=True)


def test_resume_is_a_no_op_when_nothing_is_unfinished(vault: Vault) -> None:
    """Re-running after a complete disposal changes nothing."""
    ids = make_practice(vault)
    vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    epoch = vault.key_file.epoch
    assert vault.disposal.unfinished() == [] and vault.disposal.resume(PASSPHRASE) == []
    assert vault.key_file.epoch == epoch


def test_related_rows_of_other_features_go_too(vault: Vault) -> None:
    """A released legal hold is part of the client's record: listed, then destroyed with it."""
    ids = make_practice(vault)
    hold = vault.holds.place(ids["gone"], "old subpoena")

    vault.holds.release(hold.id, "case closed")
    (row,) = vault.disposal.plan([ids["gone"]])
    assert row.related_rows == {"legal_holds": 1}
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert result.verification.ok
    assert vault.db.scalar("SELECT count(*) FROM legal_holds") == 0
    assert "legal_holds 1" in render_text(result.certificate)


@pytest.mark.parametrize("threshold", [10**9, 0], ids=["row-by-row", "rebuild"])
def test_full_text_index_is_clean_either_way(
    vault: Vault, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    """Per-row FTS secure-delete and the index rebuild both leave no token of the disposed notes."""
    import vault.retention.execute as execute_module

    monkeypatch.setattr(execute_module, "REBUILD_NOTES", threshold)
    ids = make_practice(vault)
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    (tokens,) = [c for c in result.verification.checks if c.name == "full-text tokens"]
    assert tokens.ok and "0 still indexed" in tokens.detail
    assert vault.search("lighthouse") == [] and vault.search("Wrenfield") == []
    assert len(vault.search("Bramblewood")) == 12
    assert vault.db.scalar("SELECT v FROM notes_fts_config WHERE k = 'secure-delete'") == 1


def test_recovery_key_and_passphrase_still_open_the_rotated_vault(
    new_vault: tuple[Vault, str],
) -> None:
    """After rotation the recovery slot holds the new keys too: the printed sheet still works."""
    vault, recovery_key = new_vault
    ids = make_practice(vault)
    vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    folder = vault.folder
    vault.lock()
    keys = vault.key_file.unwrap_with_recovery(recovery_key, list(KeyName))
    assert all(len(k) == 32 for k in keys.values())
    pending = Vault.recover(folder, recovery_key)
    with pending.set_new_passphrase("a brand new passphrase") as again:
        assert again.clients.count() == 2 and again.key_file.epoch == 2
        assert again.open_psychotherapy_notes("a brand new passphrase").count() == 1


def test_unlock_cleans_up_what_an_interrupted_rotation_left(vault: Vault) -> None:
    """Stale re-encrypted copies and their journals from a rotation that never committed are
    overwritten and removed at the next unlock; the vault opens as before."""
    make_practice(vault)
    folder = vault.folder
    vault.lock()
    for name in ("record.db.epoch-9", "record.db.epoch-9-journal", "pnotes.db.epoch-9"):
        (folder / name).write_bytes(b"\x01" * 8192)
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.clients.count() == 3
    assert sorted(p.name for p in folder.iterdir() if ".epoch-" in p.name) == []
