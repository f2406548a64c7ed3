"""kill -9 at each step of a disposal: the vault always opens, never shows a half-disposed client
as whole, and re-running finishes the job."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from tests.support.disposal import KILLED_DISPOSAL as CHILD
from tests.support.disposal import make_practice
from tests.support.fsimage import mounted_image, needs_root
from vault import TEST_PRESET, StorageError, Vault


@pytest.mark.parametrize(
    "point",
    [
        "before-delete",
        "after-delete",
        "before-key-file",
        "after-key-file",
        "mid-swap",
        "before-verify",
    ],
)
@pytest.mark.parametrize("workers", [False, True], ids=["one-process", "workers"])
def test_kill_9_during_disposal_leaves_old_or_new_state(
    vault_dir: Path, point: str, workers: bool
) -> None:
    """After a kill the vault opens; the client is whole or gone; re-running completes it.
    `workers`: the re-encryption and the page check split with worker processes, as for a
    large vault."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        ids = make_practice(vault)
        epoch = vault.key_file.epoch
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(vault_dir), point, PASSPHRASE]
        + (["workers"] if workers else []),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    with Vault.unlock(vault_dir, PASSPHRASE) as vault:  # always opens
        assert not [p.name for p in vault_dir.iterdir() if ".epoch-" in p.name]
        gone_present = vault.clients.exists(ids["gone"])
        if point == "before-delete":
            assert gone_present and vault.disposal.unfinished() == []
            assert vault.key_file.epoch == epoch
            assert len(vault.notes.timeline(ids["gone"])) == 13  # 12 own + 1 joint
            return
        assert not gone_present  # never a half-disposed client that looks whole
        assert vault.search("marmalade") == []
        assert len(vault.notes.timeline(ids["kept"])) == 13
        assert vault.disposal.unfinished() != []
        results = vault.disposal.resume(PASSPHRASE)
        assert len(results) == 1 and results[0].verification.ok
        assert vault.disposal.unfinished() == [] and vault.key_file.epoch > epoch
        pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
        assert [p.client_id for p in pnotes.list(ids["kept"])] == [ids["kept"]]
        assert pnotes.count() == 1  # the disposed client's psychotherapy note is gone too
        assert vault.disposal.verify(PASSPHRASE).ok
        assert vault.audit.verify().ok
    # And the vault still opens afterwards, under the final keys.
    with Vault.unlock(vault_dir, PASSPHRASE) as vault:
        assert vault.clients.count() == 2


@needs_root
def test_full_disk_during_disposal_fails_cleanly_and_resumes(tmp_path: Path) -> None:
    """The vault's disk fills up mid-disposal: a clear error, the vault stays usable, and once
    space is freed the disposal finishes and verifies."""
    with mounted_image(tmp_path, size_mb=8, name="laptop") as mount:
        vault, _ = Vault.create(mount / "vault", PASSPHRASE, TEST_PRESET)
        with vault:
            ids = make_practice(vault)
            vault.db.checkpoint()  # so the space the WAL holds is not freed mid-test
            filler = mount / "filler"
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
            try:  # fill the disk, then give back 64 KiB: less than one database copy
                written = 0
                with contextlib.suppress(OSError):
                    while True:
                        written += os.write(fd, b"\0" * 65536)
                os.ftruncate(fd, max(0, written - 65536))
                os.fsync(fd)
            finally:
                os.close(fd)
            with pytest.raises(StorageError, match="full|space"):
                vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
            assert vault.clients.exists(ids["kept"])
            assert not [p for p in (mount / "vault").iterdir() if ".epoch-" in p.name]
            filler.unlink()
            # A search is audited (a write), so it waits for the space to come back.
            assert len(vault.search("Bramblewood")) == 12
            if vault.disposal.unfinished():
                (result,) = vault.disposal.resume(PASSPHRASE)
            else:
                result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
            assert result.verification.ok and not vault.clients.exists(ids["gone"])
        with Vault.unlock(mount / "vault", PASSPHRASE) as again:
            assert again.clients.count() == 2


def test_kill_9_between_new_backup_and_old_one_destroyed(vault_dir: Path, tmp_path: Path) -> None:
    """Killed after the fresh backup was written but before the old one was destroyed: the
    re-run replaces every archive still under the retired keys, and verification passes."""
    from backup import Catalog, add_drive, run_backup
    from backup.purge import DisposalBackups

    usb = tmp_path / "usb"
    usb.mkdir()
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        make_practice(vault)
        add_drive(vault, usb, label="USB")
        old = run_backup(vault, usb, rotate=False).path
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(vault_dir), "after-new-backup", PASSPHRASE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    assert old.exists()  # the kill came before the old archive was destroyed
    with Vault.unlock(vault_dir, PASSPHRASE) as vault:
        (result,) = vault.disposal.resume(PASSPHRASE, DisposalBackups())
        assert result.verification.ok and not result.verification.pending
        assert not old.exists()
        epoch = vault.key_file.epoch
        assert {r.key_epoch for r in Catalog(vault).backups(statuses=["good"])} == {epoch}
