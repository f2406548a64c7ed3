"""Attachments (issue 18 part 2): files kept encrypted inside record.db, in chunks."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from tests.support.attachments import fake_pdf, fake_png, write
from vault import ImmutableRecordError, NotFoundError, UsageError, Vault
from vault.attachments import AttachmentKind, Link
from vault.attachments.content import CHUNK_BYTES, MAX_BYTES
from vault.errors import ConfideError


def _auth(vault: Vault, client: int) -> int:
    return vault.disclosures.authorizations.add(
        client,
        kind="general",
        description="progress notes",
        discloser="the practice",
        recipient_name="Dr Test",
        purpose="continuity of care",
        signed_on="2026-11-01",
        expires_on="2027-11-01",
    ).id


def test_a_large_scan_goes_in_by_chunks_and_comes_out_byte_for_byte(
    vault: Vault, tmp_path: Path
) -> None:
    """3.5 MiB become four chunk rows; the saved copy is identical, recorded and audited."""
    client = vault.clients.add("Ivo Testperson").id
    data = fake_pdf("ivo intake form", size=3 * CHUNK_BYTES + CHUNK_BYTES // 2)
    source = write(tmp_path / "intake.pdf", data)
    added = vault.attachments.add(source, client, "intake")
    assert added.record_id == "F-00001" and added.media_type == "application/pdf"
    assert added.size == len(data) and added.sha256 == hashlib.sha256(data).hexdigest()
    assert added.client_id == client and added.kind is AttachmentKind.INTAKE
    assert source.read_bytes() == data  # `attach` leaves the user's own file alone
    chunks = vault.db.scalar(
        "SELECT count(*) FROM attachment_chunks WHERE attachment_id = ?", (added.id,)
    )
    assert chunks == 4

    out = tmp_path / "out" / "copy.pdf"
    out.parent.mkdir()
    saved = vault.attachments.save_copy(added.id, out)
    assert out.read_bytes() == data and saved.sha256 == added.sha256
    assert (out.stat().st_mode & 0o777) == 0o600
    assert not list(out.parent.glob("*.partial"))
    row = vault.db.one("SELECT client_id, path, size FROM attachment_copies")
    assert row is not None and (row[0], row[1], row[2]) == (client, str(out), len(data))
    actions = [
        (e.action, e.object_type, e.detail.get("client"))
        for e in vault.audit.entries(newest_first=False)
        if e.object_type == "attachment"
    ]
    assert actions == [("create", "attachment", client), ("export", "attachment", client)]
    assert vault.attachments.list(client) == [added]
    vault.db.checkpoint()
    stored = b"".join(p.read_bytes() for p in vault.folder.iterdir() if p.is_file())
    assert b"ivo intake form" not in stored and b"intake.pdf" not in stored


def test_only_pdfs_and_images_by_their_bytes_not_their_names(vault: Vault, tmp_path: Path) -> None:
    """A renamed program, a text file and an empty file are refused, and nothing is stored."""
    client = vault.clients.add("Ivo Testperson").id
    cases = {
        "form.pdf": b"\x7fELF\x02\x01\x01" + bytes(100),
        "notes.pdf": b"plain text pretending\n",
        "blank.pdf": b"",
    }
    for name, data in cases.items():
        with pytest.raises(UsageError, match="not a PDF or an image|is empty"):
            vault.attachments.add(write(tmp_path / name, data), client)
    png = vault.attachments.add(write(tmp_path / "scan.dat", fake_png()), client)
    assert png.media_type == "image/png"
    assert vault.db.scalar("SELECT count(*) FROM attachments") == 1
    with pytest.raises(UsageError, match="is a folder"):
        vault.attachments.add(tmp_path, client)
    with pytest.raises(UsageError, match="cannot read"):
        vault.attachments.add(tmp_path / "missing.pdf", client)
    with pytest.raises(NotFoundError, match="no client C-00099"):
        vault.attachments.add(tmp_path / "scan.dat", 99)


def test_a_file_over_the_limit_is_refused_before_it_is_read(vault: Vault, tmp_path: Path) -> None:
    client = vault.clients.add("Ivo Testperson").id
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as f:
        f.write(b"%PDF-1.7\n")
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(UsageError, match="the limit for an attachment is 64 MiB"):
        vault.attachments.add(big, client)
    assert vault.db.scalar("SELECT count(*) FROM attachment_chunks") == 0


def test_streaming_in_and_out_never_holds_the_whole_file(vault: Vault, tmp_path: Path) -> None:
    """16 MiB in and out with Python's allocations peaking at a few chunks, not the file."""
    client = vault.clients.add("Ivo Testperson").id
    data = fake_pdf("big scan", size=16 * CHUNK_BYTES)
    source = write(tmp_path / "big.pdf", data)
    del data
    tracemalloc.start()
    try:
        added = vault.attachments.add(source, client)
        vault.attachments.save_copy(added.id, tmp_path / "back.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * CHUNK_BYTES, peak
    assert (tmp_path / "back.pdf").read_bytes() == source.read_bytes()


def test_a_filed_attachment_is_part_of_the_record(vault: Vault, tmp_path: Path) -> None:
    """Never deleted or changed (even by SQL on the open database); marked entered in error,
    once, with the reason kept."""
    client = vault.clients.add("Ivo Testperson").id
    other = vault.clients.add("Una Otherperson").id
    added = vault.attachments.add(write(tmp_path / "a.pdf", fake_pdf("a")), client, "consent")
    with pytest.raises(ImmutableRecordError, match="never deleted"):
        vault.attachments.discard(added.id)
    with pytest.raises(ImmutableRecordError, match="already filed"):
        vault.attachments.assign(added.id, other)
    for sql in (
        "UPDATE attachments SET client_id = 2",
        "UPDATE attachments SET sha256 = 'x'",
        "UPDATE attachment_chunks SET data = x'00'",
    ):
        with pytest.raises(ConfideError):
            vault.db.execute(sql)
    marked = vault.attachments.mark_entered_in_error(added.id, "scanned for the wrong client")
    assert marked.entered_in_error and marked.error_reason == "scanned for the wrong client"
    assert marked.sha256 == added.sha256
    with pytest.raises(ImmutableRecordError, match="already marked"):
        vault.attachments.mark_entered_in_error(added.id, "again")
    with pytest.raises(UsageError, match="LINE FEED"):
        vault.attachments.mark_entered_in_error(added.id, "two\nlines")
    assert [a.id for a in vault.attachments.list(client)] == [added.id]


def test_links_name_a_record_of_the_same_client(vault: Vault, tmp_path: Path) -> None:
    client = vault.clients.add("Ivo Testperson").id
    other = vault.clients.add("Una Otherperson").id
    mine, theirs = _auth(vault, client), _auth(vault, other)
    form = write(tmp_path / "auth.pdf", fake_pdf("signed authorization"))
    added = vault.attachments.add(
        form, client, "authorization", Link.parse(f"authorization:{mine}")
    )
    assert added.link == Link("authorization", mine) and added.link.record_id == f"A-{mine:05d}"
    with pytest.raises(UsageError, match="belongs to another client"):
        vault.attachments.add(form, client, "authorization", Link("authorization", theirs))
    with pytest.raises(NotFoundError, match="no amendment M-00007"):
        vault.attachments.add(form, client, "amendment", Link.parse("amendment:M-00007"))
    for bad in ("authorization", "note:3", "authorization:x", "amendment:0"):
        with pytest.raises(UsageError):
            Link.parse(bad)
    with pytest.raises(UsageError, match="unknown attachment kind"):
        vault.attachments.add(form, client, "receipt")
    assert vault.db.scalar("SELECT count(*) FROM attachments") == 1


def test_hostile_file_names_are_kept_as_visible_data(vault: Vault, tmp_path: Path) -> None:
    """Escape sequences and bidi controls in a name become visible escapes; markup and CJK
    are kept as they are."""
    client = vault.clients.add("Ivo Testperson").id
    name = "[bold]scan\x1b]52;c;aGk=\x07\u202egpj.pdf 表格"
    added = vault.attachments.add(write(tmp_path / name, fake_pdf("x")), client)
    assert added.file_name == "[bold]scan\\x1b]52;c;aGk=\\x07\\u202egpj.pdf 表格"
    assert "\x1b" not in added.file_name and "\u202e" not in added.file_name


def test_a_damaged_chunk_is_reported_and_the_partial_copy_removed(
    vault: Vault, tmp_path: Path
) -> None:
    """A chunk that no longer matches the digest (a bug, a bad restore) stops the copy."""
    client = vault.clients.add("Ivo Testperson").id
    added = vault.attachments.add(write(tmp_path / "a.pdf", fake_pdf("a", 3 * CHUNK_BYTES)), client)
    vault.db.execute("DROP TRIGGER attachment_chunks_immutable")
    vault.db.execute("UPDATE attachment_chunks SET data = x'00' WHERE seq = 1")
    out = tmp_path / "copy.pdf"
    with pytest.raises(ConfideError, match="does not match its recorded digest"):
        vault.attachments.save_copy(added.id, out)
    assert not out.exists() and not (tmp_path / "copy.pdf.partial").exists()
    assert vault.db.scalar("SELECT count(*) FROM attachment_copies") == 0


def test_save_copy_refuses_an_existing_file_and_a_missing_folder(
    vault: Vault, tmp_path: Path
) -> None:
    client = vault.clients.add("Ivo Testperson").id
    added = vault.attachments.add(write(tmp_path / "a.pdf", fake_pdf("a")), client)
    existing = write(tmp_path / "exists.pdf", b"mine")
    with pytest.raises(UsageError, match="already exists"):
        vault.attachments.save_copy(added.id, existing)
    assert existing.read_bytes() == b"mine"
    with pytest.raises(UsageError, match="does not exist"):
        vault.attachments.save_copy(added.id, tmp_path / "nope" / "x.pdf")
    with pytest.raises(NotFoundError, match="no attachment F-00042"):
        vault.attachments.save_copy(42, tmp_path / "x.pdf")
    vault.attachments.save_copy(added.id, existing, force=True)
    assert existing.read_bytes() == fake_pdf_bytes(vault, added.id)
    assert os.path.exists(existing)


def fake_pdf_bytes(vault: Vault, attachment_id: int) -> bytes:
    return b"".join(vault.attachments.chunks_unaudited(attachment_id))


def test_for_export_streams_a_clients_files_for_other_features(
    vault: Vault, tmp_path: Path
) -> None:
    """What releases, access copies and the open export call: every filed attachment (those
    entered in error only when asked) with its bytes, and no audit entry of its own."""
    client = vault.clients.add("Ivo Testperson").id
    first = fake_pdf("first", 2 * CHUNK_BYTES + 5)
    a = vault.attachments.add(write(tmp_path / "a.pdf", first), client, "intake")
    b = vault.attachments.add(write(tmp_path / "b.png", fake_png()), client)
    vault.attachments.mark_entered_in_error(b.id, "wrong client")
    before = len(vault.audit.entries(limit=1000))
    taken = [(f.id, b"".join(chunks)) for f, chunks in vault.attachments.for_export(client)]
    assert taken == [(a.id, first)]
    every = [f.id for f, _ in vault.attachments.for_export(client, include_entered_in_error=True)]
    assert every == [a.id, b.id]
    assert len(vault.audit.entries(limit=1000)) == before
