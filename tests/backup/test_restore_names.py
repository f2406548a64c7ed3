"""The names a restore leaves beside a vault folder are defined once (vault/storage/layout.py):
the restore that makes them and the disposal that must refuse while one exists agree, also for
a vault folder whose name holds glob characters."""

from __future__ import annotations

from pathlib import Path

from backup.restore import finish_interrupted
from vault import TEST_PRESET, Vault
from vault.retention.verify import restore_asides


def test_leftovers_beside_a_bracketed_vault_folder_are_found(
    tmp_path: Path, passphrase: str
) -> None:
    folder = tmp_path / "vault[1]"
    vault, _ = Vault.create(folder, passphrase, TEST_PRESET)
    vault.lock()
    staging = tmp_path / ".vault[1].restoring-dead"
    staging.mkdir()
    (staging / "record.db").write_bytes(b"half")
    aside = tmp_path / ".vault[1].before-restore-dead"
    aside.mkdir()
    decoy = tmp_path / ".vault1.before-restore-dead"  # another folder's: never ours
    decoy.mkdir()
    assert restore_asides(folder) == [aside]  # disposal sees the aside copy and refuses
    left = finish_interrupted(folder)
    assert not staging.exists()
    assert left.done == ["erased the unfinished restore .vault[1].restoring-dead"]
    assert len(left.problems) == 1 and str(aside) in left.problems[0]
    assert aside.exists() and decoy.exists()
