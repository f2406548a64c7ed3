"""Issue 10 item 1: a thief of the drive, holding no key, learns nothing from an archive.

Two vaults (no clients; thirty clients with notes, at a later key epoch) backed up on different
days: every plaintext field, every length recoverable from the framing and the total length are
the same, once the random ids, salts, nonces and wrapped keys are set aside; and file names
carry no time. Older (format 1) archives still verify and restore.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backup import add_drive, restore, run_backup, verify_archive
from backup.archive import FRAME, PREFIX, read_header, size_class
from tui.workflows.demo import populate
from vault import TEST_PRESET, Vault
from vault.crypto.auditkey import key_material_digest
from vault.crypto.keyslots import ALL_KEYS, KeyFile, wipe_keys

from ..support.cli import PASSPHRASE

MiB = 1 << 20
# Values that are random per vault or per archive (ids, salts, nonces, wrapped keys): their
# lengths are compared, their bytes are not.
RANDOM_FIELDS = {"archive_id", "vault_id", "salt", "nonce", "ct", "recovery_public"}


def _masked(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if key in RANDOM_FIELDS or (isinstance(value, str) and key in {n.value for n in ALL_KEYS}):
        return ("random", len(value))  # a recovery-slot blob is keyed by the key's name
    return value


def _outsider_view(path: Path) -> dict[str, Any]:
    """Everything readable without a key: the plain header, parsed all the way down (the
    key-file copy included), and every chunk frame (section, index, flags, length)."""
    data = path.read_bytes()
    magic, length = PREFIX.unpack_from(data)
    header = json.loads(data[PREFIX.size : PREFIX.size + length])
    key_file = base64.b64decode(header.pop("key_file"))
    body_length = int.from_bytes(key_file[8:12], "big")
    key_doc = json.loads(key_file[44 : 44 + body_length])
    frames = []
    offset = PREFIX.size + length + 32
    while offset < len(data):
        frame = FRAME.unpack_from(data, offset)
        frames.append(frame)
        offset += FRAME.size + frame[3]
    return {
        "magic": magic,
        "header_length": length,
        "header": _masked(header),
        "key_file_length": len(key_file),
        "key_file_body_length": body_length,
        "key_file": _masked(key_doc),
        "key_file_padding": key_file[44 + body_length :],
        "frames": frames,
        "total": len(data),
    }


def _backup(vault: Vault, tmp_path: Path, name: str, when: datetime) -> Path:
    drive = tmp_path / name
    drive.mkdir()
    add_drive(vault, drive, name)
    return run_backup(vault, drive, now=when).path


def _later_epoch(folder: Path) -> None:
    """Move the vault's key file on two epochs (what two disposals' rotations leave)."""
    for _ in range(2):
        keyfile = KeyFile.load(folder / "keys.confide")
        keys = keyfile.unwrap_with_passphrase(PASSPHRASE, ALL_KEYS)
        try:
            keyfile.rewrapped(PASSPHRASE, keys, new_epoch=True).save(folder / "keys.confide")
        finally:
            wipe_keys(keys)


def test_archives_of_0_and_30_clients_look_the_same_to_an_outsider(tmp_path: Path) -> None:
    empty, _ = Vault.create(tmp_path / "empty", PASSPHRASE, TEST_PRESET)
    try:
        a = _backup(empty, tmp_path, "drive-a", datetime(2026, 3, 1, 9, 15, 2, tzinfo=UTC))
        empty_view = _outsider_view(a)
    finally:
        empty.lock()
    busy, _ = Vault.create(tmp_path / "busy", PASSPHRASE, TEST_PRESET)
    busy.lock()
    _later_epoch(tmp_path / "busy")
    busy = Vault.unlock(tmp_path / "busy", PASSPHRASE)
    try:
        populate(busy, clients=30, notes_per_client=2, pnotes_passphrase=PASSPHRASE)
        assert busy.key_file.epoch == 3
        b = _backup(busy, tmp_path, "drive-b", datetime(2026, 11, 20, 17, 40, 59, tzinfo=UTC))
        busy_view = _outsider_view(b)
        sizes = {s: (busy.folder / s).stat().st_size for s in ("record.db", "pnotes.db")}
        assert verify_archive(b, vault=busy).clients == 30
    finally:
        busy.lock()
    # Both databases are within one size class (the floor), so nothing may differ.
    assert all(size_class(8 + n) == MiB for n in sizes.values()), sizes
    for field in empty_view:
        assert empty_view[field] == busy_view[field], field
    assert busy_view["header"]["format"] == 3 and "key_epoch" not in busy_view["header"]
    assert busy_view["key_file"]["epoch"] == 0  # the real epoch is only inside
    # File names carry no date or time.
    for path in (a, b):
        assert re.fullmatch(r"confide-[0-9a-f]{16}\.cfbk", path.name), path.name
        assert "2026" not in path.name


def test_size_classes_cost_at_most_an_eighth() -> None:
    """Eight classes per doubling above a 1 MiB floor: a 124 MiB vault pads to 128 MiB."""
    assert size_class(0) == size_class(MiB) == MiB
    assert size_class(MiB + 1) == MiB + MiB // 8
    assert size_class(124 * MiB) == 128 * MiB
    assert size_class(70 * MiB) == 72 * MiB
    for n in range(MiB, 300 * MiB, 7_777_777):
        assert n <= size_class(n) <= n * 1.125


def test_restore_reads_the_real_epoch_from_inside(tmp_path: Path) -> None:
    """A format-2 archive of a vault at epoch 3 restores (the hidden epoch is found) and the
    restored key file is the vault's own, epoch included."""
    vault, _ = Vault.create(tmp_path / "v", PASSPHRASE, TEST_PRESET)
    vault.lock()
    _later_epoch(tmp_path / "v")
    original = (tmp_path / "v" / "keys.confide").read_bytes()
    vault = Vault.unlock(tmp_path / "v", PASSPHRASE)
    try:
        populate(vault, clients=3, notes_per_client=1)
        path = _backup(vault, tmp_path, "drive", datetime(2026, 5, 5, tzinfo=UTC))
    finally:
        vault.lock()
    report = verify_archive(path, passphrase=PASSPHRASE)
    assert (report.key_epoch, report.clients) == (3, 3)
    result = restore(path, tmp_path / "restored", passphrase=PASSPHRASE)
    assert result.clients == 3
    # The vault's own key file: the same keys and epoch (its audit anchor is the one of the
    # moment of the backup, which moves at every unlock and lock).
    restored = KeyFile.from_bytes((tmp_path / "restored" / "keys.confide").read_bytes())
    assert restored.epoch == 3
    assert key_material_digest(restored) == key_material_digest(KeyFile.from_bytes(original))


@pytest.mark.parametrize("via", ["vault", "passphrase"])
def test_format_1_archives_still_verify_and_restore(tmp_path: Path, via: str) -> None:
    """Archives written before padding (format 1, written here by the old writer path, still
    callable as `run_backup(format_version=1)`) verify and restore."""
    vault, _ = Vault.create(tmp_path / "v", PASSPHRASE, TEST_PRESET)
    try:
        populate(vault, clients=4, notes_per_client=2)
        drive = tmp_path / "drive"
        drive.mkdir()
        add_drive(vault, drive, "old")
        path = run_backup(
            vault, drive, format_version=1, now=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        ).path
        header, _, _ = read_header(path.open("rb"))
        assert (header.format, header.key_epoch) == (1, 1)
        if via == "vault":
            assert verify_archive(path, vault=vault).clients == 4
    finally:
        vault.lock()
    if via == "passphrase":
        assert verify_archive(path, passphrase=PASSPHRASE).clients == 4
    result = restore(path, tmp_path / "restored", passphrase=PASSPHRASE)
    assert (result.clients, result.notes) == (4, 8)
