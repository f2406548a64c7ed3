"""The archive format on a real vault: round trip, and every kind of damage found and located."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from backup import add_drive, restore, run_backup, verify_archive
from backup.archive import FRAME, MAGIC, PREFIX, read_header
from backup.errors import BackupDamagedError, ForeignBackupError, NotABackupError
from tests.support import REPO
from tui.workflows.demo import populate
from vault import TEST_PRESET, AuthenticationError, Vault
from vault.errors import UsageError

SMALL_CHUNK = 4096


@pytest.fixture
def archive(vault: Vault, passphrase: str, tmp_path: Path) -> Path:
    """A verified backup of a small practice, in chunks small enough to span many."""
    populate(vault, clients=5, notes_per_client=3, pnotes_passphrase=passphrase)
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "test")
    return run_backup(vault, drive, chunk_size=SMALL_CHUNK).path


def _chunks(path: Path) -> list[tuple[int, int, int, int]]:
    """(offset, section, chunk, length) of every chunk frame, parsed independently."""
    data = path.read_bytes()
    _, length = PREFIX.unpack_from(data)
    offset = PREFIX.size + length + 32
    frames = []
    while offset < len(data):
        sec, num, _flags, ct_len = FRAME.unpack_from(data, offset)
        frames.append((offset, sec, num, ct_len))
        offset += FRAME.size + ct_len
    return frames


def _flip(path: Path, offset: int, bit: int = 0) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ (1 << bit)]))


def test_archive_verifies_and_header_shows_no_client_data(archive: Path, vault: Vault) -> None:
    """A fresh archive verifies; its only plaintext is the magic, ids and the wrapped key file."""
    report = verify_archive(archive, vault=vault)
    assert report.clients == 5
    assert set(report.sections) == {"record.db", "pnotes.db"}
    header, _, _ = read_header(open(archive, "rb"))  # noqa: SIM115 - closed by GC in a test
    assert header.vault_id == vault.vault_id
    raw = archive.read_bytes()
    assert raw.startswith(MAGIC)
    for client in vault.clients.list():
        assert client.display_name.encode() not in raw
    assert b"SQLite format 3" not in raw


def test_every_flipped_bit_position_is_found_and_located(
    archive: Path, vault: Vault, tmp_path: Path
) -> None:
    """A bit flipped in the header, any chunk, or the manifest fails verification, naming where."""
    frames = _chunks(archive)
    original = archive.read_bytes()
    targets = [("header", 40), ("header", PREFIX.size + 5)]
    names = {0: "index", 1: "record.db", 2: "pnotes.db", 3: "manifest"}
    for offset, sec, num, ct_len in (frames[0], frames[len(frames) // 2], frames[-1]):
        targets.append((f"section {names[sec]}, chunk {num}", offset + FRAME.size + ct_len // 2))
    targets.append(("chunk frame", frames[3][0] + 2))  # the chunk index field
    for expected, offset in targets:
        copy = tmp_path / f"flip-{offset}.cfbk"
        copy.write_bytes(original)
        _flip(copy, offset, bit=3)
        with pytest.raises(BackupDamagedError) as info:
            verify_archive(copy, vault=vault)
        assert expected in str(info.value) or info.value.section == expected, str(info.value)


def test_truncation_anywhere_is_detected(archive: Path, vault: Vault, tmp_path: Path) -> None:
    """Cut at a chunk boundary (where only the final flag can tell) or mid-chunk: truncated."""
    frames = _chunks(archive)
    original = archive.read_bytes()
    for cut in (frames[1][0], frames[-1][0], frames[5][0] + 100, len(original) - 1, 20):
        copy = tmp_path / f"cut-{cut}.cfbk"
        copy.write_bytes(original[:cut])
        with pytest.raises(BackupDamagedError, match="truncated"):
            verify_archive(copy, vault=vault)


def test_swapped_chunks_and_appended_data_are_detected(
    archive: Path, vault: Vault, tmp_path: Path
) -> None:
    """Reordering two chunks, or appending bytes, fails: order and end are authenticated."""
    frames = _chunks(archive)
    data = archive.read_bytes()
    (a, _, _, la), (b, _, _, lb) = frames[1], frames[2]
    assert la == lb
    first, second = data[a : a + FRAME.size + la], data[b : b + FRAME.size + lb]
    # Swap the ciphertexts but keep the frames in order: authentication must fail.
    swapped = (
        data[:a]
        + first[: FRAME.size]
        + second[FRAME.size :]
        + second[: FRAME.size]
        + first[FRAME.size :]
        + data[b + FRAME.size + lb :]
    )
    copy = tmp_path / "swapped.cfbk"
    copy.write_bytes(swapped)
    with pytest.raises(BackupDamagedError, match="chunk 1"):
        verify_archive(copy, vault=vault)
    copy.write_bytes(data + b"\0")
    with pytest.raises(BackupDamagedError, match="after its end"):
        verify_archive(copy, vault=vault)


def test_sections_swapped_between_archives_fail(
    archive: Path, vault: Vault, tmp_path: Path
) -> None:
    """A chunk from another archive of the same vault does not authenticate here."""
    drive = archive.parent.parent
    other = run_backup(vault, drive, chunk_size=SMALL_CHUNK, rotate=False, full=True).path
    mine, theirs = _chunks(archive), _chunks(other)
    data, foreign = archive.read_bytes(), other.read_bytes()
    off, _, _, length = mine[2]
    off2, _, _, length2 = theirs[2]
    assert length == length2
    copy = tmp_path / "mixed.cfbk"
    copy.write_bytes(
        data[:off] + foreign[off2 : off2 + FRAME.size + length2] + data[off + FRAME.size + length :]
    )
    with pytest.raises(BackupDamagedError, match="section index, chunk 2"):
        verify_archive(copy, vault=vault)


def test_zero_byte_and_other_files_are_not_backups(vault: Vault, tmp_path: Path) -> None:
    """An empty file and a random file each get their own clear error."""
    empty = tmp_path / "empty.cfbk"
    empty.write_bytes(b"")
    with pytest.raises(NotABackupError, match="empty"):
        verify_archive(empty, vault=vault)
    other = tmp_path / "photo.jpg"
    other.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(500))
    with pytest.raises(NotABackupError, match="not a Confide backup"):
        verify_archive(other, vault=vault)


def test_archive_of_another_vault_is_named_as_such(
    archive: Path, tmp_path: Path, passphrase: str
) -> None:
    """Verifying vault A's archive in vault B says it belongs to another vault."""
    other, _ = Vault.create(tmp_path / "other", passphrase, TEST_PRESET)
    try:
        with pytest.raises(ForeignBackupError, match="another vault"):
            verify_archive(archive, vault=other)
    finally:
        other.lock()


def test_passphrase_and_recovery_key_open_the_archive_alone(
    new_vault: tuple[Vault, str], archive: Path, passphrase: str
) -> None:
    """Without the vault, the passphrase or the recovery key verifies; a wrong one is refused."""
    _, recovery_key = new_vault
    assert verify_archive(archive, passphrase=passphrase).clients == 5
    assert verify_archive(archive, recovery_key=recovery_key).clients == 5
    with pytest.raises(AuthenticationError, match="wrong passphrase"):
        verify_archive(archive, passphrase="not the passphrase at all")
    with pytest.raises(UsageError):
        verify_archive(archive)


def test_manifest_binds_counts_and_clients(archive: Path, passphrase: str) -> None:
    """The decrypted manifest lists sections with digests and the clients held."""
    from backup.archive import read_archive
    from backup.keys import secret_keys_for

    with open(archive, "rb") as f:
        contents = read_archive(f, secret_keys_for("a", passphrase))
    assert contents.manifest["counts"]["clients"] == 5
    assert len(contents.manifest["client_ids"]) == 5
    # Format 3: the index (kind, base, page tags) comes first.
    assert [s["name"] for s in contents.manifest["sections"]] == [
        "index",
        "record.db",
        "pnotes.db",
    ]
    assert contents.manifest["kind"] == "full"
    assert json.dumps(contents.manifest)  # plain JSON


def test_backup_does_not_need_pnotes_key_and_restores_pnotes(
    vault: Vault, passphrase: str, tmp_path: Path
) -> None:
    """With the psychotherapy-notes area locked, the backup still carries its notes."""
    populate(vault, clients=3, notes_per_client=3, pnotes_passphrase=passphrase)
    drive = tmp_path / "d"
    drive.mkdir()
    add_drive(vault, drive)
    path = run_backup(vault, drive).path
    restored = restore(path, tmp_path / "restored", passphrase=passphrase)
    again = Vault.unlock(restored.folder, passphrase)
    try:
        area = again.open_psychotherapy_notes(passphrase)
        assert area.count() == 3
    finally:
        again.lock()


def test_snapshot_is_consistent_while_pnotes_area_is_open(
    vault: Vault, passphrase: str, tmp_path: Path
) -> None:
    """An open psychotherapy-notes area's recent writes (still in its WAL) are in the backup."""
    client = vault.clients.add("Test Person")
    area = vault.open_psychotherapy_notes(passphrase)
    area.add(client.id, "a process note written just now")
    drive = tmp_path / "d"
    drive.mkdir()
    add_drive(vault, drive)
    path = run_backup(vault, drive).path
    area.add(client.id, "written after the backup")
    restored = restore(path, tmp_path / "r", passphrase=passphrase)
    again = Vault.unlock(restored.folder, passphrase)
    try:
        bodies = [n.body for n in again.open_psychotherapy_notes(passphrase).list(client.id)]
    finally:
        again.lock()
    assert bodies == ["a process note written just now"]


def test_backup_package_imports_no_ui() -> None:
    """`backup` (and `vault`) import neither textual nor tui."""
    code = (
        "import sys, backup, backup.watch, backup.restore; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_frame_layout_is_as_documented() -> None:
    """FORMAT.md documents an 11-byte frame and a 12-byte prefix; keep the code honest."""
    assert FRAME.size == 11 and PREFIX.size == 12
    assert struct.calcsize(">HIBI") == 11
    doc = (REPO / "backup" / "FORMAT.md").read_text()
    assert "11 bytes" in doc and "CNFDBAK1" in doc


def test_archive_from_an_earlier_key_epoch_is_named(
    archive: Path, vault: Vault, passphrase: str, tmp_path: Path
) -> None:
    """After the vault's key epoch moves on, its old archives are named as such by verify, yet
    still restore with the passphrase of their day (disposal must replace them)."""
    from vault.crypto.keyslots import ALL_KEYS, KeyFile, wipe_keys

    folder = vault.folder
    vault.lock()
    keyfile = KeyFile.load(folder / "keys.confide")
    keys = keyfile.unwrap_with_passphrase(passphrase, ALL_KEYS)
    try:
        keyfile.rewrapped(passphrase, keys, new_epoch=True).save(folder / "keys.confide")
    finally:
        wipe_keys(keys)
    later = Vault.unlock(folder, passphrase)
    try:
        with pytest.raises(ForeignBackupError, match="key epoch 1.*epoch 2"):
            verify_archive(archive, vault=later)
    finally:
        later.lock()
    assert verify_archive(archive, passphrase=passphrase).key_epoch == 1
    assert restore(archive, tmp_path / "old-epoch", passphrase=passphrase).clients == 5
