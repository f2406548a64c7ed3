"""A `restore --force` killed part-way: the old vault kept aside is finished off or put back,
and disposal never vouches for anything while such a copy exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from backup import restore
from tests.support.cli import PASSPHRASE, Cli
from tests.support.restore import asides as _asides
from tests.support.restore import killed_restore as _killed_restore
from vault import TEST_PRESET, Vault
from vault.errors import DisposalRefusedError


def test_disposal_refuses_and_verify_fails_while_an_aside_copy_exists(
    vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    """Killed after the swap: dispose refuses and `dispose verify` FAILs naming the copy."""
    _killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    (aside,) = _asides(vault_dir)
    v = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        with pytest.raises(DisposalRefusedError, match="previous copy of this vault"):
            v.disposal.dispose(PASSPHRASE, [1], ["Ottoline Brackenbury"])
        assert v.clients.count() == 1  # nothing was disposed of
        report = v.disposal.verify(PASSPHRASE)
    finally:
        v.lock()
    assert not report.ok
    failed = [c for c in report.checks if not c.ok]
    assert [c.name for c in failed] == ["copies kept aside by a restore"]
    assert str(aside) in failed[0].detail


def test_next_command_securely_removes_the_aside_copy_of_a_verified_restore(
    vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    """Killed after the swap: the next command wipes the old vault and says so."""
    _killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    assert len(_asides(vault_dir)) == 1
    listed = cli("client", "list", "--json")
    assert listed.code == 0, listed.stderr
    assert [c["display_name"] for c in listed.data] == ["Ottoline Brackenbury"]  # type: ignore
    assert _asides(vault_dir) == []
    assert not (vault_dir / "restore-replaced").exists()
    checked = cli("dispose", "verify")
    assert checked.code == 0, checked.stderr
    assert "[ok] copies kept aside by a restore: none" in checked.stdout


def test_cli_reports_the_removal(vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli) -> None:
    """The practitioner is told the leftover copy was securely removed."""
    _killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    listed = cli("client", "list")
    assert listed.code == 0, listed.stderr
    assert "securely removed the previous vault kept aside" in listed.stderr


def test_kill_between_the_renames_puts_the_old_vault_back(
    vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    """Killed before the restored vault moved in: the next command puts the old vault back."""
    _killed_restore(vault, vault_dir, tmp_path, "between-renames")
    assert not vault_dir.exists() and len(_asides(vault_dir)) == 1
    listed = cli("client", "list", "--json")
    assert listed.code == 0, listed.stderr
    names = sorted(c["display_name"] for c in listed.data)  # type: ignore[union-attr]
    assert names == ["Later Client", "Ottoline Brackenbury"]
    assert _asides(vault_dir) == []
    assert list(vault_dir.parent.glob(f".{vault_dir.name}.restoring-*")) == []


def test_next_restore_finishes_the_killed_one(
    vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    """Killed after the swap, then `restore --force` again: it completes, no copy left aside."""
    archive = _killed_restore(vault, vault_dir, tmp_path, "before-wipe")
    result = restore(archive, vault_dir, passphrase=PASSPHRASE, force=True)
    assert result.clients == 1 and result.replaced_existing
    assert _asides(vault_dir) == []
    assert not (vault_dir / "restore-replaced").exists()


def test_an_aside_copy_not_named_by_the_restored_vault_is_never_deleted(
    vault: Vault, vault_dir: Path, tmp_path: Path, cli: Cli
) -> None:
    """Killed between the renames, then a new vault made in its place: the old vault is kept
    and pointed to on every command, and disposal refuses."""
    _killed_restore(vault, vault_dir, tmp_path, "between-renames")
    for stale in vault_dir.parent.glob(f".{vault_dir.name}.restoring-*"):
        for f in stale.iterdir():
            f.unlink()
        stale.rmdir()
    fresh, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    fresh.lock()
    (aside,) = _asides(vault_dir)
    listed = cli("client", "list")
    assert listed.code == 0, listed.stderr
    assert f"warning: a previous vault is kept aside at {aside}" in listed.stderr
    assert aside.exists() and (aside / "record.db").exists()
    refused = cli("dispose", "C-00001", "--confirm", "Anybody")
    assert refused.code == 15 and "previous copy of this vault" in refused.stderr
    # The core says what is in the way; the command line adds what to run.
    assert refused.stderr.endswith(
        "so nothing was disposed of; run `confide restore` again, or remove that folder\n"
    )
