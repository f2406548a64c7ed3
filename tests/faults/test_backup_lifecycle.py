"""Kills around backups, pruning and disposal's purges (issue 10, items 13 and 14).

Each kill is a real SIGKILL of a child `confide` process at a named point (tests/support/kill.py).
"""

from __future__ import annotations

from pathlib import Path

from backup import Catalog, add_drive, run_backup
from backup.drives import BACKUP_DIR, PARTIAL
from backup.purge import DisposalBackups
from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from tests.support.kill import killed_cli
from vault import Vault


def _files(drive: Path) -> set[str]:
    return {p.name for p in (drive / BACKUP_DIR).iterdir()}


def test_killed_backup_leaves_disposal_free_to_replace_the_drive(
        vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli) -> None:
    """Item 13: back up, kill -9 a second `backup run` at its `.partial` file, back up again,
    dispose: every old archive on the connected drive is replaced, nothing is left pending."""
    ids = make_practice(vault)
    drive = tmp_path / "usb"
    drive.mkdir()
    add_drive(vault, drive)
    first = run_backup(vault, drive, rotate=False).path
    vault.lock()
    killed_cli("backup.write", "_write", "after",
               [*cli.base_args(), "backup", "run", "--to", str(drive), "--no-rotate"])
    assert any(n.endswith(PARTIAL) for n in _files(drive))  # killed with its partial file
    vault = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        third = run_backup(vault, drive, rotate=False).path
        statuses = sorted(r.status for r in Catalog(vault).backups())
        assert statuses == ["failed", "good", "good"]
        assert _files(drive) == {first.name, third.name}  # the partial file was removed

        result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"],
                                        backups=DisposalBackups())
        assert result.verification.result == "PASS", result.verification.to_json()
        assert result.certificate.backups.pending == ()
        assert vault.disposal.pending_purges() == []
        (written,) = result.certificate.backups.written
        # Only the fresh archive under the new keys is left on the drive.
        assert _files(drive) == {Path(written).name}
        assert not first.exists() and not third.exists()
    finally:
        vault.lock()
