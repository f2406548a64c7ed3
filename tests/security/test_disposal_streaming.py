"""Disposal verification reads in constant memory and still finds what a boundary cuts (issue 14).

The remaining backups are read chunk by chunk as they are authenticated (`archive.iter_archive`),
and every plaintext stream is searched as if whole (`forensics.StreamSearch`): a disposed name cut
by a chunk boundary is found, and one at the end of a chunk is excused only when the kept client's
longer name it belongs to really continues in the next chunk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backup import add_drive, run_backup
from backup.purge import DisposalBackups
from tests.support.attachments import fake_pdf
from tests.support.cli import PASSPHRASE
from vault import Vault
from vault.crypto.forensics import Fingerprints, StreamSearch
from vault.crypto.keyslots import KeyName, wipe_keys

GONE = "Alder Sampleton 1"
KEPT = ("Alder Sampleton 12", "Alder Sampleton 1N")


def _prints() -> Fingerprints:
    prints = Fingerprints()
    prints.add_name(GONE, KEPT)
    prints.fragments.add(b"quarrel at the allotment")
    return prints


def _stream(prints: Fingerprints, pieces: list[bytes]) -> set[bytes]:
    stream = StreamSearch(prints)
    for piece in pieces:
        stream.feed(piece)
    return stream.end()


def test_a_name_cut_by_a_chunk_boundary_is_found_at_every_cut() -> None:
    prints = _prints()
    trace = b"\x00\x17" + GONE.encode() + b"\x00" + b"x" * 300
    fragment = b"\x0dwe spoke of the quarrel at the allotment again"
    for data, needle in ((trace, GONE.encode()), (fragment, b"quarrel at the allotment")):
        at = data.find(needle)
        for cut in range(1, len(data)):
            assert _stream(prints, [data[:cut], data[cut:]]) == {needle}, cut
        # The attack on a search chunk by chunk: cut inside the needle, each half alone is clean.
        middle = at + len(needle) // 2
        assert prints.search(data[:middle]) == set()
        assert prints.search(data[middle:]) == set()
        # Byte by byte, as frames of any size might deliver it.
        assert _stream(prints, [data[i : i + 1] for i in range(len(data))]) == {needle}


def test_a_kept_longer_name_continuing_in_the_next_chunk_still_excuses() -> None:
    """Cut right after "Alder Sampleton 1" of the kept "Alder Sampleton 12": judged alone, the
    first chunk looks like the disposed name; with the next chunk it is the kept one."""
    prints = _prints()
    data = b"\x00" * 50 + b"\x00".join(k.encode() for k in KEPT) + b"\x00" * 50
    assert prints.search(data) == set()
    cut = data.find(b"Alder Sampleton 12") + len(GONE)
    assert prints.search(data[:cut]) == {GONE.encode()}  # what a per-chunk search would say
    for split in range(1, len(data)):
        assert _stream(prints, [data[:split], data[split:]]) == set(), split
    # A real leftover after the kept names is still found, whatever the cut.
    leftover = data + GONE.encode() + b"1970-02-02"
    for split in range(1, len(leftover)):
        assert _stream(prints, [leftover[:split], leftover[split:]]) == {GONE.encode()}, split


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(field)


def test_reading_a_backup_back_takes_memory_of_a_chunk_not_of_the_archive(
    vault: Vault, tmp_path: Path
) -> None:
    """Peak RSS (VmHWM, reset through /proc/self/clear_refs) while every page of a 40 MiB
    archive is decrypted and searched: a few MiB, not the archive (the reader before this held
    the whole record.db section, so its peak grew by the archive's size)."""
    client = vault.clients.add("Wren Fieldfare", last_service_date="2025-06-01")
    for i in range(5):
        form = tmp_path / f"form-{i}.pdf"
        form.write_bytes(fake_pdf(f"form {i}", 8 << 20))  # random filler: incompressible
        vault.attachments.add(form, client.id, "consent")
        form.unlink()
    drive = tmp_path / "usb"
    drive.mkdir()
    add_drive(vault, drive, label="TEST")
    written = run_backup(vault, drive, rotate=False).path
    size = Path(written).stat().st_size
    assert size > 40 << 20
    keys = vault.key_file.unwrap_with_passphrase(PASSPHRASE, list(KeyName))
    prints = _prints()
    try:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
        except OSError:
            pytest.skip("this kernel does not let a process reset its peak RSS")
        before = _vm("VmRSS")
        decrypted = 0
        for _location, chunks in DisposalBackups().remaining_plaintext(vault, keys):
            stream = StreamSearch(prints)
            for chunk in chunks:
                decrypted += len(chunk)
                stream.feed(chunk)
            assert stream.end() == set()
        peak = _vm("VmHWM") - before
    finally:
        wipe_keys(keys)
    assert decrypted > 40 << 20  # every page of the archive went through
    assert peak < 16 << 20, f"peak grew by {peak >> 20} MiB reading a {size >> 20} MiB archive"


def test_backup_pages_identical_to_the_vault_are_skipped_but_changed_ones_are_searched(
    vault: Vault, tmp_path: Path
) -> None:
    """The backup's pages that are the vault's own (same page number, same HMAC) were searched
    with the vault and are not decrypted twice; a page the vault no longer has is decrypted and
    searched. The attack: a name that only the backup still holds (the client was renamed in
    the vault after it), which a skip by page number alone, or of the whole file, would miss."""
    from vault.crypto import forensics

    for i in range(200):  # a vault of many pages, most of them unchanged by the rename
        vault.clients.add(f"Kept Client {i:03d}", last_service_date="2025-06-01")
    renamed = vault.clients.add("Corvin Marchbank", last_service_date="2025-06-01")
    drive = tmp_path / "usb"
    drive.mkdir()
    add_drive(vault, drive, label="TEST")
    run_backup(vault, drive, rotate=False)
    vault.clients.update(renamed.id, display_name="Renamed Person")
    vault.db.checkpoint()
    prints = Fingerprints()
    prints.add_name("Corvin Marchbank")
    keys = vault.key_file.unwrap_with_passphrase(PASSPHRASE, list(KeyName))
    try:
        searched = forensics.SearchedPages()
        scan = forensics.FileScan("record.db")
        vault_stream = StreamSearch(prints)
        tags = searched.record("record.db")
        for plain in forensics.scan_file(
            vault.folder / "record.db", keys[KeyName.RECORD].reveal(), scan, tags
        ):
            vault_stream.feed(plain)
        assert vault_stream.end() == set()  # secure_delete: the old name is gone from the vault
        found: set[bytes] = set()
        decrypted = 0
        for _location, chunks in DisposalBackups().remaining_plaintext(vault, keys, searched):
            stream = StreamSearch(prints)
            for chunk in chunks:
                decrypted += len(chunk)
                stream.feed(chunk)
            found |= stream.end()
    finally:
        wipe_keys(keys)
    assert found == {b"Corvin Marchbank"}  # the backup still holds it: found
    assert searched.matched > 0  # pages identical to the vault's were not decrypted again
    assert decrypted < scan.pages * forensics.PAGE_SIZE


def test_a_damaged_page_of_the_vault_fails_verification(vault: Vault) -> None:
    """Every page's HMAC is checked (by SQLCipher's cipher_integrity_check, beside the
    decryption): a page changed on disk behind SQLite's back is reported by number."""
    from vault.retention.verify import verify

    for i in range(300):
        vault.clients.add(f"Client {i:03d}", last_service_date="2025-06-01")
    vault.db.checkpoint()
    clean = {c.name: c for c in verify(vault, PASSPHRASE).checks}
    assert clean["record.db: pages"].ok, clean["record.db: pages"]
    path = vault.folder / "record.db"
    pages = path.stat().st_size // 4096
    assert pages > 3
    with open(path, "r+b") as f:  # one byte of page 3's ciphertext
        f.seek(2 * 4096 + 100)
        byte = f.read(1)
        f.seek(2 * 4096 + 100)
        f.write(bytes([byte[0] ^ 0x01]))
    damaged = {c.name: c for c in verify(vault, PASSPHRASE).checks}["record.db: pages"]
    assert not damaged.ok
    assert f"{pages - 1} authenticated, 1 did not" in damaged.detail, damaged.detail
