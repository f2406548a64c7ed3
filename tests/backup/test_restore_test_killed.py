"""A killed restore test leaves its copy beside the vault, where it is found (issue 10, item 3).

Before: the copy went to /tmp (`tempfile.mkdtemp`), removed only in a `finally` a SIGKILL never
runs, and neither the next unlock nor disposal looked there, so `dispose` printed PASS while a
full vault the passphrase opens (disposed clients included) sat in /tmp.
"""

from __future__ import annotations

import os
from pathlib import Path

from backup import add_drive, run_backup
from backup.purge import DisposalBackups
from tests.support.cli import PASSPHRASE
from tests.support.restore import killed_restore_test, restore_test_copies
from tui.workflows.unlock import Tidied, unlock
from vault import Vault


def test_killed_restore_test_fails_verify_then_unlock_erases_it(
    vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    vault.clients.add("Ottoline Brackenbury")
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive)
    archive = run_backup(vault, drive).path

    killed_restore_test(archive, vault_dir)
    (left,) = restore_test_copies(vault_dir)  # beside the vault, where the sweeps look
    databases = [p for p in left.rglob("record.db") if p.is_file()]
    assert databases and databases[0].stat().st_size > 0
    # A second name for the copy's blocks: shows they are overwritten, not only unlinked.
    witness = tmp_path / "witness"
    os.link(databases[0], witness)

    report = vault.disposal.verify(PASSPHRASE, backups=DisposalBackups())
    assert report.result == "FAIL"
    (check,) = [c for c in report.checks if c.name == "copies left by a restore test"]
    assert not check.ok and str(left) in check.detail
    vault.lock()

    tidied: list[Tidied] = []
    again = unlock(vault_dir, lambda: PASSPHRASE, tidied.append)
    try:
        assert restore_test_copies(vault_dir) == []
        assert any("restore test" in line and str(left) in line for line in tidied[0].done)
        assert witness.read_bytes().count(0) == witness.stat().st_size  # zeros only
        report = again.disposal.verify(PASSPHRASE, backups=DisposalBackups())
        (check,) = [c for c in report.checks if c.name == "copies left by a restore test"]
        assert check.ok
    finally:
        again.lock()
