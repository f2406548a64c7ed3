"""Kills around backups, pruning and disposal's purges (issue 10, items 13 and 14).

Each kill is a real SIGKILL of a child `confide` process at a named point (tests/support/kill.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backup import Catalog, add_drive, run_backup
from backup.drives import BACKUP_DIR, PARTIAL
from backup.purge import DisposalBackups
from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from tests.support.kill import killed_child, killed_cli
from tui.workflows.disposal import Resumed
from tui.workflows.disposal import verify as verify_disposal
from vault import Vault


def _files(drive: Path) -> set[str]:
    return {p.name for p in (drive / BACKUP_DIR).iterdir()}


def test_killed_backup_leaves_disposal_free_to_replace_the_drive(
    vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    """Item 13: back up, kill -9 a second `backup run` at its `.partial` file, back up again,
    dispose: every old archive on the connected drive is replaced, nothing is left pending."""
    ids = make_practice(vault)
    drive = tmp_path / "usb"
    drive.mkdir()
    add_drive(vault, drive)
    first = run_backup(vault, drive, rotate=False).path
    vault.lock()
    killed_cli(
        "backup.write",
        "_write",
        "after",
        # --full: unchanged since the first, a plain run would be skipped (format 3).
        [*cli.base_args(), "backup", "run", "--to", str(drive), "--no-rotate", "--full"],
    )
    assert any(n.endswith(PARTIAL) for n in _files(drive))  # killed with its partial file
    vault = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        third = run_backup(vault, drive, rotate=False, full=True).path
        statuses = sorted(r.status for r in Catalog(vault).backups())
        assert statuses == ["failed", "good", "good"]
        assert _files(drive) == {first.name, third.name}  # the partial file was removed

        result = vault.disposal.dispose(
            PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
        )
        assert result.verification.result == "PASS", result.verification.to_json()
        assert result.certificate.backups.pending == ()
        assert vault.disposal.pending_purges() == []
        (written,) = result.certificate.backups.written
        # Only the fresh archive under the new keys is left on the drive.
        assert _files(drive) == {Path(written).name}
        assert not first.exists() and not third.exists()
    finally:
        vault.lock()


# Where a kill can fall while an old archive is destroyed: before its blocks are zeroed, after
# they are zeroed but before the unlink, and after the unlink (before the catalog's last step).
KILL_POINTS = {
    "before-zeroing": ("vault.storage.fsutil", "secure_unlink", "before"),
    "zeroed": ("pathlib", "Path.unlink", "before"),
    "after-unlink": ("vault.storage.fsutil", "secure_unlink", "after"),
}


def _no_good_row_lies(vault: Vault, drive: Path) -> None:
    """Every row the catalog calls good has its whole file on the drive."""
    for record in Catalog(vault).backups(statuses=["good"]):
        path = drive / BACKUP_DIR / record.file_name
        assert path.is_file(), f"{record.file_name} is 'good' but gone"
        data = path.read_bytes()
        assert data.count(0) < len(data), f"{record.file_name} is 'good' but zero-filled"


def _status(vault: Vault, name: str) -> str:
    (record,) = [r for r in Catalog(vault).backups() if r.file_name == name]
    return record.status


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_while_pruning_never_leaves_a_good_row_without_its_file(
    vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli, point: str
) -> None:
    """Item 14, rotation: a `backup run` pruning the older backup is killed at each step."""
    vault.clients.add("Ottoline Brackenbury")
    drive = tmp_path / "usb"
    drive.mkdir()
    add_drive(vault, drive)
    first = run_backup(vault, drive, rotate=False).path
    vault.lock()
    module, attr, when = KILL_POINTS[point]
    killed_cli(
        module,
        attr,
        when,
        # --full: an incremental would keep the first alive as its base.
        [*cli.base_args(), "backup", "run", "--to", str(drive), "--full"],
        match=first.name,
    )
    again = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        _no_good_row_lies(again, drive)
        assert _status(again, first.name) == "removing"
    finally:
        again.lock()

    listed = cli("backup", "list", "--json")  # the next run finishes the removal
    assert listed.code == 0, listed.stderr
    assert first.name not in listed.stdout
    again = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        assert _status(again, first.name) == "pruned" and not first.exists()
        _no_good_row_lies(again, drive)
        assert len(Catalog(again).backups(statuses=["good"])) == 1
    finally:
        again.lock()


_DISPOSE = """
from pathlib import Path
from vault import Vault
from backup.purge import DisposalBackups
v = Vault.unlock(Path(ARGS[0]), ARGS[1])
v.disposal.dispose(ARGS[1], [int(ARGS[2])], ["Quillon Zabriskie"], backups=DisposalBackups())
"""


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_while_disposal_replaces_an_archive(
    vault: Vault, vault_dir: Path, tmp_path: Path, point: str
) -> None:
    """Item 14, disposal: its replacement of an old archive is killed at each step; the row
    never reads good meanwhile and the next disposal run finishes it, PASS."""
    ids = make_practice(vault)
    drive = tmp_path / "usb"
    drive.mkdir()
    add_drive(vault, drive)
    old = run_backup(vault, drive, rotate=False).path
    vault.lock()
    module, attr, when = KILL_POINTS[point]
    killed_child(
        module, attr, when, _DISPOSE, [str(vault_dir), PASSPHRASE, str(ids["gone"])], match=old.name
    )
    again = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        _no_good_row_lies(again, drive)
        assert _status(again, old.name) == "removing"
        resumed: list[Resumed] = []
        verified = verify_disposal(again, PASSPHRASE, resumed.append, authenticated=True)
        assert len(resumed[0].finished) == 1
        assert verified.verification.result == "PASS", verified.verification.to_json()
        assert _status(again, old.name) == "replaced" and not old.exists()
        assert again.disposal.pending_purges() == []
        _no_good_row_lies(again, drive)
    finally:
        again.lock()
