"""Security review: hostile backup archives, drive markers and restore leftovers."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from backup import (
    Catalog,
    DriveWatcher,
    connected_drives,
    restore,
    run_backup,
    verify_archive,
)
from backup.drives import MARKER, find_drives, read_marker, write_marker
from backup.errors import BackupDamagedError
from vault import UsageError, Vault
from vault.errors import ConfideError


def _archive_with_header(path: Path, header: bytes) -> Path:
    path.write_bytes(b"CNFDBAK1" + struct.pack(">I", len(header)) + header + b"\0" * 32)
    return path


@pytest.mark.parametrize(
    "header",
    [
        json.dumps(
            {
                "format": 1,
                "archive_id": "00" * 16,
                "vault_id": "v",
                "key_epoch": 1e400,
                "cipher": "AES-256-GCM",
                "chunk_size": 4096,
                "sections": ["manifest"],
                "key_file": "",
            }
        )
        .replace("1e400", "Infinity")
        .encode(),
        json.dumps(
            {
                "format": 1,
                "archive_id": "00" * 16,
                "vault_id": "v",
                "key_epoch": 1,
                "cipher": "AES-256-GCM",
                "chunk_size": 1e400,
                "sections": ["manifest"],
                "key_file": "",
            }
        )
        .replace("1e400", "Infinity")
        .encode(),
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["infinite-epoch", "infinite-chunk-size", "deep-nesting"],
)
def test_hostile_archive_header_is_reported_as_damage(tmp_path: Path, header: bytes) -> None:
    """A crafted header (Infinity, deep nesting) is a clear BackupDamagedError, not a crash."""
    archive = _archive_with_header(tmp_path / "evil.cfbk", header)
    with pytest.raises(BackupDamagedError):
        verify_archive(archive, passphrase="correct horse battery")


def test_nested_drive_marker_is_ignored_by_drive_search(tmp_path: Path) -> None:
    """A USB stick whose marker is deeply nested JSON does not crash the drive search."""
    stick = tmp_path / "media" / "EVIL"
    stick.mkdir(parents=True)
    (stick / MARKER).write_bytes(b"[" * 2000 + b"]" * 2000)
    assert read_marker(stick) is None
    assert find_drives([tmp_path / "media"]) == []


@pytest.mark.parametrize("planted", ["link-inside", "link-itself"])
def test_restore_leftover_cleanup_never_follows_links(tmp_path: Path, planted: str) -> None:
    """Clearing an old restore's staging folder never erases files a link points at."""
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "notes.txt").write_text("keep me")
    stale = tmp_path / ".vault.restoring-dead"
    if planted == "link-inside":
        stale.mkdir()
        (stale / "link").symlink_to(victim, target_is_directory=True)
    else:
        stale.symlink_to(victim, target_is_directory=True)
    junk = tmp_path / "junk.cfbk"
    junk.write_bytes(b"not a backup at all")
    with pytest.raises(ConfideError):
        restore(junk, tmp_path / "vault", passphrase="correct horse battery")
    assert (victim / "notes.txt").read_text() == "keep me"


def test_stick_with_a_forged_marker_gets_no_backup(vault: Vault, tmp_path: Path) -> None:
    """A stick whose marker copies this vault's id but was never designated receives nothing."""
    media = tmp_path / "media"
    stick = media / "STRANGER"
    stick.mkdir(parents=True)
    # What anyone who glimpsed the vault id (any drive marker, any archive header) can write.
    write_marker(stick, vault.vault_id, "looks legit")
    events = DriveWatcher(vault, roots=[media]).scan_once()
    assert not [e for e in events if e.kind in ("started", "done")]
    assert connected_drives(vault) == []
    with pytest.raises(UsageError, match="never designated"):
        run_backup(vault, stick)
    assert not list(stick.rglob("*.cfbk"))
    assert Catalog(vault).drives() == []
