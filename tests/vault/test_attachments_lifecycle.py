"""Attachments everywhere the record goes (issue 18 part 2): backup and restore, disposal and
its certificate, copies saved out of the vault, key rotation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backup import add_drive, restore, run_backup
from tests.support.attachments import fake_pdf, write
from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import Vault
from vault.retention.certificate import render_text
from vault.retention.exports import OVERWRITTEN, PRESENT

GONE_FORM = "Quillon Zabriskie intake form signed with the heron fountain pen"


def test_attachments_survive_backup_and_restore(vault: Vault, tmp_path: Path) -> None:
    """The archive holds record.db, so the content comes back byte for byte on a new machine;
    the archive file itself holds none of it in the clear."""
    client = vault.clients.add("Ivo Testperson").id
    data = fake_pdf("ivo restore form", size=2_500_000)
    added = vault.attachments.add(write(tmp_path / "form.pdf", data), client, "consent")
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    waiting_data = fake_pdf("unassigned scan", size=5000)
    write(inbox / "waiting.pdf", waiting_data)
    vault.attachments.inbox.scan(inbox)
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive)
    archive = run_backup(vault, drive).path
    vault.lock()
    assert b"ivo restore form" not in archive.read_bytes()
    target = tmp_path / "new-machine"
    restore(archive, target, passphrase=PASSPHRASE)
    with Vault.unlock(target, PASSPHRASE) as restored:
        (back,) = restored.attachments.list(client)
        assert back == added
        assert b"".join(restored.attachments.chunks_unaudited(back.id)) == data
        (still,) = restored.attachments.unassigned()
        assert b"".join(restored.attachments.chunks_unaudited(still.id)) == waiting_data
        assert restored.audit.verify().ok


def test_disposal_destroys_attachments_counts_them_and_overwrites_saved_copies(
    vault: Vault, tmp_path: Path
) -> None:
    ids = make_practice(vault)
    gone, kept = ids["gone"], ids["kept"]
    for i in range(3):
        vault.attachments.add(write(tmp_path / f"g{i}.pdf", fake_pdf(GONE_FORM)), gone, "intake")
    kept_data = fake_pdf("kept form", size=1_500_000)
    kept_form = vault.attachments.add(write(tmp_path / "k.pdf", kept_data), kept)
    for p in tmp_path.glob("*.pdf"):
        p.unlink()
    saved = tmp_path / "Documents"
    saved.mkdir()
    copy = saved / "quillon-intake.pdf"
    vault.attachments.save_copy(1, copy)
    os.link(copy, tmp_path / "inode-view")
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    write(inbox / "someone.pdf", fake_pdf("unassigned scan"))
    vault.attachments.inbox.scan(inbox)

    (queued,) = [p for p in vault.disposal.plan() if p.client_id == gone]
    assert queued.attachments == 3
    assert "attachments" not in queued.related_rows
    assert [(o.kind, o.reference, o.copy) for o in queued.outside if o.kind == "attachment"] == [
        ("attachment", "F-00001", PRESENT)
    ]
    result = vault.disposal.dispose(
        PASSPHRASE, [gone], ["Quillon Zabriskie"], overwrite_exports=True
    )
    assert result.verification.ok
    (record,) = result.certificate.records
    assert record.attachments == 3
    assert ("attachment", "F-00001", OVERWRITTEN) in {
        (o.kind, o.reference, o.copy) for o in record.outside
    }
    text = render_text(result.certificate)
    assert "3 attachments" in text and "copy of attachment F-00001" in text
    assert "quillon-intake" not in text and "Documents" not in text
    assert not copy.exists()
    view = (tmp_path / "inode-view").read_bytes()
    assert view and view == bytes(len(view))
    db = vault.db
    assert db.scalar("SELECT count(*) FROM attachments WHERE client_id = ?", (gone,)) == 0
    assert db.scalar("SELECT count(*) FROM attachment_copies") == 0
    # Only the kept client's form and the unassigned scan remain, chunks and all.
    assert db.scalar("SELECT count(*) FROM attachments") == 2
    assert db.scalar("SELECT count(DISTINCT attachment_id) FROM attachment_chunks") == 2
    # The plaintext of the main file's pages holds no trace of the disposed form.
    raw = b"".join(bytes(r[0]) for r in db.query("SELECT data FROM attachment_chunks"))
    assert GONE_FORM.encode() not in raw
    # The kept client's form reads back whole under the rotated keys.
    assert b"".join(vault.attachments.chunks_unaudited(kept_form.id)) == kept_data
    # A new attachment never takes a disposed one's number (the certificate names F-00001).
    new = vault.attachments.add(write(tmp_path / "n.pdf", fake_pdf("new")), kept)
    assert new.id > 5


@pytest.mark.parametrize("samples", [True, False])
def test_verification_searches_for_the_disposed_attachments_bytes(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: bool
) -> None:
    """The attack a verification must catch: the scan's bytes survive somewhere in record.db
    (here a copy a bug could have left in another table) while every row naming the client is
    gone. With the attachment samples switched off the verification passes: the defence is
    what finds it."""
    if not samples:
        from vault.retention import execute

        monkeypatch.setattr(execute, "_attachment_samples", lambda *a: None)
    ids = make_practice(vault)
    scan = write(tmp_path / "g.pdf", fake_pdf("no name, only scan data", 100_000))
    vault.attachments.add(scan, ids["gone"])
    vault.db.execute("CREATE TABLE leftover (data BLOB)")
    vault.db.execute("INSERT INTO leftover SELECT data FROM attachment_chunks")
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    (traces,) = [c for c in result.verification.checks if c.name == "record.db: traces"]
    assert traces.ok is not samples, traces
    assert traces.detail.endswith("1 found" if samples else "0 found")
    assert result.verification.ok is not samples


def test_a_form_filed_for_two_clients_stays_with_the_one_kept(vault: Vault, tmp_path: Path) -> None:
    """A joint intake form filed for both: disposing of one keeps the other's copy, and its
    bytes are not taken for a trace of the disposed client."""
    ids = make_practice(vault)
    form = write(tmp_path / "joint.pdf", fake_pdf("joint family intake", 100_000))
    vault.attachments.add(form, ids["gone"], "intake")
    kept = vault.attachments.add(form, ids["kept"], "intake")
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert result.verification.ok, [c for c in result.verification.checks if not c.ok]
    assert b"".join(vault.attachments.chunks_unaudited(kept.id)) == form.read_bytes()
