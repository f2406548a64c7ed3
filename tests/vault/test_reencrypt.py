"""Key rotation's page-by-page re-encryption, half of it in a worker process (`reencrypt.py`),
and verification's page check split the same way: the copy is the same database under the new
key only, a damaged page in either half stops the rotation (naming the page) or fails the
verification, and a worker does not outlive a killed disposal."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import vault.crypto.rekey
from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import TEST_PRESET, DamagedFileError, Vault
from vault.crypto.forensics import PAGE_SIZE, decrypts_under, iter_pages
from vault.crypto.keyslots import KeyName
from vault.crypto.rekey import reencrypt_file
from vault.crypto.secret import SecretBytes
from vault.retention.verify import Verification
from vault.storage.database import Database


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file, however small, split with a worker process (as a large vault's are)."""
    monkeypatch.setattr(vault.crypto.rekey, "PARALLEL_BYTES", 0)


def _filled(vault: Vault) -> Path:
    """A record database of a few hundred pages, checkpointed; returns its path."""
    make_practice(vault)
    for i in range(200):
        vault.clients.add(f"Filler Client {i}", last_service_date="2024-01-01")
    vault.db.checkpoint()
    return vault.folder / "record.db"


def _flip(path: Path, page: int) -> None:
    """Change one ciphertext byte in the middle of a page (1-based), as a bad sector would."""
    with open(path, "r+b") as f:
        f.seek((page - 1) * PAGE_SIZE + 2000)
        byte = f.read(1)
        f.seek((page - 1) * PAGE_SIZE + 2000)
        f.write(bytes([byte[0] ^ 0x40]))


def _every_page_authenticated(report: Verification) -> bool:
    """Whether record.db's pages check says each page and WAL frame it decrypted (at least
    one) authenticated and none failed."""
    detail = next(c.detail for c in report.checks if c.name == "record.db: pages")
    found = re.match(
        r"(\d+) pages and (\d+) WAL frames decrypted .*; (\d+) authenticated, (\d+) did not$",
        detail,
    )
    assert found, detail
    pages, frames, verified, failed = map(int, found.groups())
    return pages > 0 and verified == pages + frames and failed == 0


@pytest.mark.parametrize("split", [True, False], ids=["two-processes", "one-process"])
def test_the_copy_is_the_same_database_under_the_new_key_only(
    vault: Vault, tmp_path: Path, split: bool
) -> None:
    source = _filled(vault)
    old = vault.key_file.unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD])[KeyName.RECORD]
    rows = vault.db.query("SELECT id, display_name FROM clients ORDER BY id")
    expected = [(int(r[0]), str(r[1])) for r in rows]
    vault.lock()
    new = SecretBytes(os.urandom(32))
    target = tmp_path / "copy.db"
    pages = reencrypt_file(source, target, old, new, parallel_bytes=0 if split else 1 << 40)
    assert pages == source.stat().st_size // PAGE_SIZE > 100
    assert target.stat().st_size == source.stat().st_size
    copy = Database.open(target, new)
    try:
        assert copy.integrity_problems() == []
        assert [
            (int(r[0]), str(r[1]))
            for r in copy.query("SELECT id, display_name FROM clients ORDER BY id")
        ] == expected
    finally:
        copy.close()
    # Every page authenticates under the new key and none under the old one; no ciphertext is
    # carried over (new salt, new IVs).
    assert all(ok for _, ok, _ in iter_pages(target, new.reveal()))
    assert not decrypts_under(target, old.reveal())
    old_bytes, new_bytes = source.read_bytes(), target.read_bytes()
    assert old_bytes[:16] != new_bytes[:16]
    same = [
        p
        for p in range(pages)
        if old_bytes[p * PAGE_SIZE + 16 : (p + 1) * PAGE_SIZE]
        == new_bytes[p * PAGE_SIZE + 16 : (p + 1) * PAGE_SIZE]
    ]
    assert same == []


@pytest.mark.parametrize("where", ["early", "late"])
def test_a_damaged_page_anywhere_stops_the_rotation(
    vault: Vault, tmp_path: Path, where: str
) -> None:
    source = _filled(vault)
    old = vault.key_file.unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD])[KeyName.RECORD]
    vault.lock()
    pages = source.stat().st_size // PAGE_SIZE
    bad = 3 if where == "early" else pages - 2  # either process may take its slice
    _flip(source, bad)
    target = tmp_path / "copy.db"
    with pytest.raises(DamagedFileError, match=f"page {bad} of record.db failed authentication"):
        reencrypt_file(source, target, old, SecretBytes(os.urandom(32)), parallel_bytes=0)
    assert not target.exists()  # nothing half-made is left


@pytest.mark.usefixtures("workers")
def test_disposal_with_workers_rotates_verifies_and_still_opens(vault: Vault) -> None:
    ids = make_practice(vault)
    epoch = vault.key_file.epoch
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert result.verification.ok
    assert _every_page_authenticated(result.verification)
    assert vault.key_file.epoch == epoch + 1
    assert vault.search("marmalade") == [] and vault.search("Bramblewood")
    folder = vault.folder
    vault.lock()
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.clients.count() == 2
        assert again.db.integrity_problems() == []


@pytest.mark.usefixtures("workers")
def test_without_a_second_process_one_does_it_all(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no worker can be started (no interpreter at sys.executable), the disposal still
    rotates and verifies every page, in this process."""
    ids = make_practice(vault)
    monkeypatch.setattr(sys, "executable", "/nonexistent/confide-python")
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert result.verification.ok
    assert _every_page_authenticated(result.verification)
    monkeypatch.undo()
    folder = vault.folder
    vault.lock()
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.clients.count() == 2 and again.db.integrity_problems() == []


@pytest.mark.usefixtures("workers")
@pytest.mark.parametrize("where", ["first half", "worker's half"])
def test_verification_finds_a_damaged_page_in_either_half(
    vault: Vault, tmp_path: Path, where: str
) -> None:
    """Verification's page check, split with a worker, on a copy of the rotated database with
    one page damaged: that page, and only it, fails."""
    from vault.retention.verify import _scan_file

    ids = make_practice(vault)
    vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    vault.db.checkpoint()
    copy = tmp_path / "record.db"
    shutil.copyfile(vault.folder / "record.db", copy)
    pages = copy.stat().st_size // PAGE_SIZE
    bad = 2 if where == "first half" else pages
    _flip(copy, bad)
    key = vault.key_file.unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD])[KeyName.RECORD]
    scan, _ = _scan_file(copy, key, None, live=vault.db)  # split (`workers`), live not read
    assert scan.pages == pages and scan.failed_pages == [bad]
    assert scan.verified == pages - 1
    shutil.copyfile(vault.folder / "record.db", copy)
    scan, _ = _scan_file(copy, key, None, live=vault.db)
    assert scan.failed_pages == [] and scan.verified == pages


KILLED_MID_COPY = """
import os, signal, sys
from pathlib import Path
import vault.crypto.rekey, vault.crypto.reencrypt
from vault import Vault

vault.crypto.rekey.PARALLEL_BYTES = 0
real = vault.crypto.reencrypt.reencrypt_slice

def killer(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # this process's first slice is done; the worker runs

v = Vault.unlock(Path(sys.argv[1]), sys.argv[2])
vault.crypto.reencrypt.reencrypt_slice = killer
v.disposal.dispose(sys.argv[2], [1], ["Quillon Zabriskie"])
print("not killed")
"""


def _workers_on(folder: Path) -> list[int]:
    """Processes running reencrypt.py on a file in `folder` (its path is their argument)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"reencrypt.py") for a in argv) and any(
            os.fsencode(folder) in a for a in argv
        ):
            found.append(int(entry.name))
    return found


def test_kill_9_mid_copy_leaves_the_old_vault_and_no_worker(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        ids = make_practice(vault)
        epoch = vault.key_file.epoch
    child = subprocess.run(
        [sys.executable, "-c", KILLED_MID_COPY, str(vault_dir), PASSPHRASE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    # The worker notices its parent is gone at its next slice (or has finished its half):
    # either way it ends, never left holding the keys. Waited for as an event (its pidfd).
    for pid in _workers_on(vault_dir):
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([fd], [], [], 120)  # a bound, not a measurement
            assert ready, f"the worker {pid} outlived its parent"
        finally:
            os.close(fd)
    assert _workers_on(vault_dir) == []
    with Vault.unlock(vault_dir, PASSPHRASE) as again:  # the old keys: the copy never committed
        assert not [p.name for p in vault_dir.iterdir() if ".epoch-" in p.name]
        assert again.key_file.epoch == epoch
        assert not again.clients.exists(ids["gone"])  # deleted before the rotation began
        (result,) = again.disposal.resume(PASSPHRASE)
        assert result.verification.ok and again.key_file.epoch == epoch + 1


def test_a_worker_whose_parent_is_gone_stops(tmp_path: Path) -> None:
    """The worker's own loop: with a parent process id that is not its parent's, it writes
    nothing and reports page 0."""
    from vault.crypto import reencrypt

    source = tmp_path / "source.db"
    source.write_bytes(os.urandom(PAGE_SIZE * 4))
    target = tmp_path / "target.db"
    target.write_bytes(bytes(PAGE_SIZE * 4))
    src, dst = os.open(source, os.O_RDONLY), os.open(target, os.O_WRONLY)
    try:
        key = os.urandom(32)
        gone = os.getppid() + 1
        assert reencrypt.reencrypt_range(src, dst, 1, 4, key, key, bytes(16), gone) == 0
        assert reencrypt.failed_pages(src, 1, 4, key, gone) == [0]
    finally:
        os.close(src)
        os.close(dst)
    assert target.read_bytes() == bytes(PAGE_SIZE * 4)


def test_the_backup_api_copy_kept_for_an_unemptied_wal_opens_under_the_new_key(
    vault: Vault, tmp_path: Path
) -> None:
    """The fallback `_export` takes when a checkpoint could not empty a WAL (SQLite reads
    through it): the copy is the same database under the new key."""
    from vault.crypto.rekey import _export_by_backup_api

    make_practice(vault)
    vault.clients.add("Written Last", last_service_date="2024-01-01")  # still in the WAL
    names = sorted(str(r[0]) for r in vault.db.query("SELECT display_name FROM clients"))
    new = SecretBytes(os.urandom(32))
    target = tmp_path / "copy.db"
    _export_by_backup_api(vault.db, target, new)
    copy = Database.open(target, new)
    try:
        assert sorted(str(r[0]) for r in copy.query("SELECT display_name FROM clients")) == names
        assert copy.integrity_problems() == []
    finally:
        copy.close()
    old = vault.key_file.unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD])[KeyName.RECORD]
    assert not decrypts_under(target, old.reveal())
