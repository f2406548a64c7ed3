"""A `restore --force` killed part-way, in a real child process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from backup import add_drive, run_backup
from vault import Vault

from .cli import PASSPHRASE

# Runs the real restore in a child that SIGKILLs itself at one point of the swap.
_KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import importlib
    r = importlib.import_module("backup.restore")  # `backup.restore` is also the function
    archive, target, passphrase, where = sys.argv[1:5]
    if where == "before-wipe":
        real_wipe = r._wipe_folder
        def wipe(path):
            if ".before-restore-" in path.name:
                os.kill(os.getpid(), signal.SIGKILL)
            real_wipe(path)
        r._wipe_folder = wipe
    else:  # between moving the old vault aside and moving the restored one in
        real_replace = os.replace
        def replace(src, dst):
            if ".restoring-" in Path(src).name:
                os.kill(os.getpid(), signal.SIGKILL)
            real_replace(src, dst)
        r.os.replace = replace
    r.restore(Path(archive), Path(target), passphrase=passphrase, force=True)
""")


def killed_restore(vault: Vault, vault_dir: Path, tmp_path: Path, where: str) -> Path:
    """Back the vault up, add a client after the backup, then restore --force and be killed."""
    vault.clients.add("Ottoline Brackenbury")
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive)
    archive = run_backup(vault, drive).path
    vault.clients.add("Later Client")  # only in the old vault: tells the two apart
    vault.lock()
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, str(archive), str(vault_dir), PASSPHRASE, where],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr.decode()
    return archive


def asides(vault_dir: Path) -> list[Path]:
    return sorted(vault_dir.parent.glob(f".{vault_dir.name}.before-restore-*"))


# Runs the real restore test in a child that SIGKILLs itself once the copy is on disk (just
# before its first database check), as `kill -9` during the TUI's restore test would.
_TEST_KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import importlib
    r = importlib.import_module("backup.restore")
    archive, beside, passphrase = sys.argv[1:4]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    r._check_database = die
    r.restore_test(Path(archive), beside=Path(beside), passphrase=passphrase)
""")


def killed_restore_test(archive: Path, vault_dir: Path) -> None:
    """A restore test of `archive` beside `vault_dir`, killed with its copy on disk."""
    proc = subprocess.run(
        [sys.executable, "-c", _TEST_KILLER, str(archive), str(vault_dir), PASSPHRASE],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr.decode()


def restore_test_copies(vault_dir: Path) -> list[Path]:
    return sorted(vault_dir.parent.glob(f".{vault_dir.name}.restore-test-*"))
