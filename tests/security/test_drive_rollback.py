"""The drive-side rollback check (issue 10 item 8): record.db and keys.confide put back TOGETHER.

One old copy of the whole vault folder (a snapshot, a Time Machine restore of both files) agrees
with itself, so the key file's anchor sees nothing. The backup drive has seen the later log: each
archive carries the audit anchor inside its encrypted manifest.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from backup import CHUNK_SIZE, add_drive, check_drive_rollback, drive_anchor, run_backup
from backup.archive import MIN_CHUNK, read_archive, read_manifest
from backup.keys import vault_keys_for
from tests.support.cli import PASSPHRASE, Cli
from vault import TEST_PRESET, NotFoundError, Vault
from vault.vault import KEY_FILE, PNOTES_DB, RECORD_DB

FILES = (RECORD_DB, KEY_FILE, PNOTES_DB)


def _snapshot(folder: Path, to: Path) -> None:
    to.mkdir()
    for name in FILES:
        shutil.copy2(folder / name, to / name)


def _put_back(snapshot: Path, folder: Path) -> None:
    for name in FILES:
        for suffix in ("-wal", "-shm"):
            (folder / (name + suffix)).unlink(missing_ok=True)
        shutil.copy2(snapshot / name, folder / name)


def _rolled_back_vault(
    vault_dir: Path, tmp_path: Path, chunk_size: int = CHUNK_SIZE
) -> tuple[Path, int]:
    """Back up, snapshot both files, add a signed note, back up again, put the snapshot back.
    Returns the drive and the id of the note the rollback lost."""
    drive = tmp_path / "drive"
    drive.mkdir()
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    add_drive(vault, drive, "stick")
    vault.clients.add("Wren Imaginary")
    run_backup(vault, drive, chunk_size=chunk_size)
    vault.lock()
    _snapshot(vault_dir, tmp_path / "snapshot")
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        client = v.clients.add("Yarrow Notreal")
        note = v.notes.create(client.id, body="signed after the snapshot")
        v.notes.sign(note.id)
        second = run_backup(v, drive, chunk_size=chunk_size)
        assert second.rollback is None  # an ordinary backup raises no alarm
    _put_back(tmp_path / "snapshot", vault_dir)
    return drive, note.id


def test_both_files_rolled_back_together_are_caught_by_the_drive(
    vault_dir: Path, tmp_path: Path
) -> None:
    drive, lost_note = _rolled_back_vault(vault_dir, tmp_path)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        # The gap the drive closes: the two old files agree, so unlock sees nothing.
        assert v.rollback_warnings == []
        assert v.audit.verify().status == "intact"
        seen = drive_anchor(v, drive)
        head = v.audit.head()
        assert seen is not None and head is not None and seen.seq > head[0]

        result = run_backup(v, drive)  # plugging the drive in for the next backup
        assert result.rollback is not None
        assert result.rollback.kind == "drive_newer"
        assert "record.db is older than the backup drive" in result.rollback.message
        assert "passphrase" in result.rollback.message
        actions = [e.action for e in v.audit.entries(limit=10_000)]
        assert actions.count("rollback_detected") == 1
        assert v.audit.verify().status == "rolled_back"
        with pytest.raises(NotFoundError):  # the signed note is gone from the vault...
            v.notes.get(lost_note)
        # ...but the archive holding it stays on the drive: the rolled-back catalogue does not
        # know it, so rotation never prunes it, and it is still the drive's highest anchor.
        assert drive_anchor(v, drive) == seen

        # Found again at the next backup, but audited once.
        again = run_backup(v, drive, full=True)
        assert again.rollback is not None and again.rollback.kind == "drive_newer"
        actions = [e.action for e in v.audit.entries(limit=10_000)]
        assert actions.count("rollback_detected") == 1


def test_an_acknowledged_drive_rollback_is_not_exit_16_again(
    vault_dir: Path, tmp_path: Path
) -> None:
    drive, _ = _rolled_back_vault(vault_dir, tmp_path)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert check_drive_rollback(v, drive) is not None
        v.acknowledge_rollback(PASSPHRASE)
        # The same drive archive is still there and still named, but not a new rollback.
        assert check_drive_rollback(v, drive) is not None
        assert v.audit.verify().status == "acknowledged"


def test_backup_verify_warns_and_exits_16(cli: Cli, tmp_path: Path) -> None:
    drive, _ = _rolled_back_vault(cli.vault_dir, tmp_path)
    # Whoever holds the drive can rename a genuine archive: its name is shown as data.
    folder = drive / "confide-backups"
    newest = max(folder.glob("*.cfbk"), key=lambda p: p.stat().st_mtime_ns)
    newest.rename(folder / "confide-\x1b]0;owned\x07[bold]x.cfbk")
    result = cli("backup", "verify", "--all", "--json")
    assert result.code == 16
    assert "WARNING" in result.stderr and "backup drive" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert cli("audit", "verify").code == 16


def test_no_warning_without_a_rollback(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive)).code == 0
    assert cli("client", "add", "Zinnia Madeup").code == 0
    assert cli("backup", "run").code == 0
    assert cli("client", "add", "Aster Unreal").code == 0
    run = cli("backup", "run", "--json")
    assert run.code == 0 and run.data["rollback"] is None
    verify = cli("backup", "verify", "--all")
    assert verify.code == 0 and "WARNING" not in verify.stderr


def test_an_altered_manifest_on_the_drive_is_not_believed(vault: Vault, tmp_path: Path) -> None:
    """Whoever holds the drive but not the keys cannot plant a later anchor: a manifest whose
    bytes changed fails authentication and the archive is skipped."""
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "stick")
    result = run_backup(vault, drive)
    assert drive_anchor(vault, drive) is not None
    data = bytearray(result.path.read_bytes())
    data[-1] ^= 0x01  # the manifest is the last section: its final tag
    result.path.write_bytes(bytes(data))
    assert drive_anchor(vault, drive) is None
    assert check_drive_rollback(vault, drive) is None


class _CountedReads:
    """A real archive file, its reads counted (calls and bytes); seeks pass through."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.reads = 0
        self.bytes = 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._raw.read(n)
        self.reads += 1
        self.bytes += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._raw.seek(offset, whence))

    def tell(self) -> int:
        return int(self._raw.tell())


def test_the_manifest_is_read_from_the_end_of_a_large_archive(vault: Vault, tmp_path: Path) -> None:
    """The check runs before every backup over every archive on the drive: it reads the header
    and the manifest at the archive's end, not one frame per chunk from the start (a 200,000-note
    full archive has 773 chunks; on a USB stick each is a seek). Small chunks here make a
    2 MiB archive of 500+ chunks and a manifest of 16."""
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "stick")
    vault.clients.add("Wren Imaginary")
    archive = run_backup(vault, drive, chunk_size=MIN_CHUNK, full=True).path
    keys = vault_keys_for(vault, archive.name)
    with archive.open("rb", buffering=0) as raw:
        whole = read_archive(raw, keys, name=archive.name)
    chunks = sum(s.chunks for s in whole.sections)
    assert chunks > 500
    with archive.open("rb", buffering=0) as raw:
        counted = _CountedReads(raw)
        manifest = read_manifest(counted, keys, archive.name)  # type: ignore[arg-type]
    assert manifest == whole.manifest  # the same, authenticated, manifest
    assert int(manifest["key_file_anchor"]["seq"]) > 0
    assert counted.reads <= 6
    assert counted.bytes < archive.stat().st_size // 10


def test_a_rollback_is_still_caught_with_manifests_read_from_the_end(
    vault_dir: Path, tmp_path: Path
) -> None:
    """The attack of the first test on archives of many small chunks (a manifest of several
    chunks, found from the end), and once more with bytes appended to the newest archive,
    which hides where its manifest starts from the end: it is then found from the start, as
    before, and the rollback is caught either way."""
    drive, _ = _rolled_back_vault(vault_dir, tmp_path, chunk_size=MIN_CHUNK)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        head = v.audit.head()
        seen = drive_anchor(v, drive)
        assert seen is not None and head is not None and seen.seq > head[0]
        newest = drive / "confide-backups" / seen.file_name
        with newest.open("ab") as f:
            f.write(b"\0" * 100)
        assert drive_anchor(v, drive) == seen
        found = check_drive_rollback(v, drive)
        assert found is not None and found.kind == "drive_newer"
