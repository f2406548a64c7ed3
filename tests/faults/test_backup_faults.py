"""Drive faults on real, loop-mounted filesystems: each a specific error, nothing good lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backup import BackupProgress, Catalog, add_drive, restore, run_backup, verify_archive
from backup.drives import BACKUP_DIR, PARTIAL
from backup.errors import BackupDamagedError, ForeignBackupError, NotABackupError
from tests.support import REPO
from tests.support.fsimage import (
    make_image,
    mount_image,
    mounted_image,
    needs_root,
    remount,
    unmount,
)
from tui.workflows.demo import populate
from vault import TEST_PRESET, AuthenticationError, StorageError, Vault

pytestmark = needs_root
CHUNK = 4096


@pytest.fixture
def drive(tmp_path: Path) -> Iterator[Path]:
    with mounted_image(tmp_path, size_mb=16, name="usb") as mount:
        yield mount


@pytest.fixture
def practice(vault: Vault, passphrase: str) -> Vault:
    populate(vault, clients=8, notes_per_client=4, pnotes_passphrase=passphrase)
    return vault


def _vault_intact(folder: Path, passphrase: str) -> None:
    v = Vault.unlock(folder, passphrase)
    try:
        assert v.audit.verify().ok
        assert v.db.integrity_problems() == []
    finally:
        v.lock()


def _change(vault: Vault) -> None:
    """Enough new pages that the next backup, an incremental, takes several chunks."""
    client = vault.clients.add("Peregrine Sampleworth")
    for i in range(12):
        vault.notes.create(client.id, body=f"session {i}: " + "ochre-meadow " * 120)


def _statuses(vault: Vault) -> dict[str, str]:
    return {r.file_name: r.status for r in Catalog(vault).backups()}


def test_full_drive_fails_cleanly(practice: Vault, drive: Path, passphrase: str) -> None:
    """ENOSPC mid-write: 'the disk is full'; the earlier backup verifies; nothing half-written."""
    add_drive(practice, drive)
    first = run_backup(practice, drive).path
    # Leave about half the room an archive needs: fill up completely, then free a placeholder.
    (drive / "room").write_bytes(b"\0" * (first.stat().st_size // 2))
    with pytest.raises(OSError), open(drive / "filler", "wb") as f:
        while True:
            f.write(b"\0" * (1 << 16))
            f.flush()
            os.fsync(f.fileno())
    (drive / "room").unlink()
    os.sync()
    with pytest.raises(StorageError, match="the disk is full"):
        run_backup(practice, drive, chunk_size=CHUNK, full=True)
    left = sorted(p.name for p in (drive / BACKUP_DIR).iterdir())
    assert left == [first.name]
    assert list(_statuses(practice).values()).count("good") == 1
    assert "failed" in _statuses(practice).values()
    verify_archive(first, vault=practice)
    practice.lock()
    _vault_intact(practice.folder, passphrase)


def test_read_only_drive_is_refused(practice: Vault, drive: Path, passphrase: str) -> None:
    """A drive mounted read-only: 'read-only'; the earlier backup still verifies."""
    add_drive(practice, drive)
    first = run_backup(practice, drive).path
    remount(drive, readonly=True)
    with pytest.raises(StorageError, match="read-only"):
        run_backup(practice, drive, full=True)
    assert list(_statuses(practice).values()).count("good") == 1
    verify_archive(first, vault=practice)


def test_drive_unmounted_mid_write(practice: Vault, tmp_path: Path, passphrase: str) -> None:
    """Lazy unmount while chunks stream: 'disconnected'; never good; the old backup survives."""
    with mounted_image(tmp_path, size_mb=16, name="yank") as mount:
        add_drive(practice, mount)
        first = run_backup(practice, mount).path
        _change(practice)  # the run that fails is an incremental link of the chain
        yanked: list[bool] = []

        def yank(p: BackupProgress) -> None:
            if p.phase == "write" and not yanked:
                yanked.append(True)
                unmount(mount, lazy=True)

        with pytest.raises(StorageError, match="disconnected|no such file"):
            run_backup(practice, mount, progress=yank, chunk_size=CHUNK)
        assert yanked
        statuses = _statuses(practice)
        assert list(statuses.values()).count("good") == 1 and statuses[first.name] == "good"
        mount_image(tmp_path / "yank.img", mount)
        verify_archive(first, vault=practice)
        # The next run on the reconnected drive works and leaves no partial file behind.
        second = run_backup(practice, mount, rotate=False)
        assert not [p for p in (mount / BACKUP_DIR).iterdir() if p.name.endswith(PARTIAL)]
        assert second.path.exists() and second.record.kind == "incremental"
        restored = restore(second.path, tmp_path / "restored", passphrase=passphrase)
        assert restored.clients == len(practice.clients.list())


def test_kill_9_mid_write_never_catalogued_good(
    practice: Vault, drive: Path, passphrase: str, tmp_path: Path
) -> None:
    """kill -9 during the write: the row stays unverified, the next run marks it failed and
    removes the partial file; the earlier backup and the vault are intact."""
    add_drive(practice, drive)
    first = run_backup(practice, drive).path
    _change(practice)  # the killed run writes an incremental link
    folder = practice.folder
    practice.lock()
    flag = tmp_path / "writing"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from backup import run_backup
        from vault import Vault
        v = Vault.unlock(Path({str(folder)!r}), {passphrase!r})
        def hold(p):
            if p.phase == "write" and p.done > {CHUNK}:
                Path({str(flag)!r}).touch()
                time.sleep(120)
        run_backup(v, Path({str(drive)!r}), progress=hold, chunk_size={CHUNK})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert proc.poll() is None, "the backup process ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # The half-written archive is on the drive under its temporary name only.
    assert [p for p in (drive / BACKUP_DIR).iterdir() if p.name.endswith(PARTIAL)]
    v = Vault.unlock(folder, passphrase)
    try:
        assert sorted(_statuses(v).values()) == ["good", "writing"]
        verify_archive(first, vault=v)
        link = run_backup(v, drive, rotate=False)
        assert link.record.kind == "incremental" and link.record.base_id is not None
        statuses = _statuses(v)
        assert sorted(statuses.values()) == ["failed", "good", "good"]
        assert restore(link.path, tmp_path / "restored", passphrase=passphrase).clients == 9
        assert not [p for p in (drive / BACKUP_DIR).iterdir() if p.name.endswith(PARTIAL)]
        assert v.audit.verify().ok
    finally:
        v.lock()


def test_damaged_files_on_the_drive(
    practice: Vault, drive: Path, passphrase: str, tmp_path: Path
) -> None:
    """Flipped bit, truncated, zero-byte, another vault's file, wrong passphrase: each its own
    error; the catalog marks a damaged catalogued file; the good copy is untouched."""
    add_drive(practice, drive)
    good = run_backup(practice, drive, chunk_size=CHUNK).path
    data = good.read_bytes()
    flipped = drive / "flipped.cfbk"
    flipped.write_bytes(data[:8000] + bytes([data[8000] ^ 0x10]) + data[8001:])
    with pytest.raises(BackupDamagedError, match=r"section index, chunk \d"):
        verify_archive(flipped, vault=practice)
    truncated = drive / "truncated.cfbk"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupDamagedError, match="truncated"):
        verify_archive(truncated, vault=practice)
    empty = drive / "empty.cfbk"
    empty.write_bytes(b"")
    with pytest.raises(NotABackupError, match="empty"):
        verify_archive(empty, vault=practice)
    other, _ = Vault.create(tmp_path / "other", passphrase, TEST_PRESET)
    try:
        (drive / "o").mkdir()
        add_drive(other, drive / "o")
        foreign = run_backup(other, drive / "o").path
    finally:
        other.lock()
    with pytest.raises(ForeignBackupError, match="another vault"):
        verify_archive(foreign, vault=practice)
    with pytest.raises(AuthenticationError, match="wrong passphrase"):
        restore(good, tmp_path / "restored", passphrase="wrong passphrase here")
    assert not (tmp_path / "restored").exists()
    # The catalogued copy itself damaged: verify says so and the catalog remembers.
    with open(good, "r+b") as f:
        f.seek(len(data) - 40)
        byte = f.read(1)
        f.seek(len(data) - 40)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(BackupDamagedError, match="manifest"):
        verify_archive(good, vault=practice)
    assert _statuses(practice)[good.name] == "damaged"


@needs_root
def test_drive_failing_with_io_errors_mid_write(practice: Vault, tmp_path: Path) -> None:
    """The drive's storage fails mid-write (every write after a point is an I/O error):
    a clear error, the archive never catalogued good, the earlier backup still verifies."""
    store = tmp_path / "store"
    store.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(store)], check=True)
    mount = tmp_path / "failing"
    try:
        image = make_image(store / "usb.img", 48)
        mount_image(image, mount)
        try:
            add_drive(practice, mount)
            first = run_backup(practice, mount).path
            os.sync()
            # The image file can grow no further: the loop device turns that into EIO.
            used = shutil.disk_usage(store).used
            subprocess.run(
                ["mount", "-o", f"remount,size={used + 16 * 1024}", str(store)], check=True
            )
            with pytest.raises(StorageError, match="input/output error|disk is full|read-only"):
                run_backup(practice, mount, chunk_size=CHUNK, full=True)
            statuses = _statuses(practice)
            assert list(statuses.values()).count("good") == 1
            assert statuses[first.name] == "good"
        finally:
            try:
                unmount(mount)
            except RuntimeError:  # the failed filesystem may still be held: detach it
                unmount(mount, lazy=True)
        subprocess.run(["mount", "-o", "remount,size=64m", str(store)], check=True)
        mount_image(image, mount)  # rw: the journal replays what the failure left
        try:
            verify_archive(mount / BACKUP_DIR / first.name, vault=practice)
        finally:
            unmount(mount)
    finally:
        subprocess.run(["umount", "-l", str(store)], check=False)
    practice.lock()
    _vault_intact(practice.folder, passphrase="correct horse battery")
