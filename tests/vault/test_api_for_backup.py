"""The named vault methods backup uses instead of SQL on the vault's tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault import Vault


def test_client_ids_are_ascending_and_read_no_record(vault: Vault) -> None:
    made = [vault.clients.add(name).id for name in ("Orla Vantreece", "Piet Mulgrove")]
    before = vault.audit.verify().entries
    assert vault.clients.ids() == tuple(sorted(made))
    assert vault.audit.verify().entries == before  # no one's record was viewed


def test_settings_are_saved_replaced_and_kept(
    vault_dir: Path, passphrase: str, vault: Vault
) -> None:
    assert vault.setting("backup") is None
    vault.save_setting("backup", '{"keep_daily": 3}')
    vault.save_setting("backup", '{"keep_daily": 2}')
    vault.lock()
    again = Vault.unlock(vault_dir, passphrase)
    try:
        assert again.setting("backup") == '{"keep_daily": 2}'
    finally:
        again.lock()


def test_atomic_keeps_all_or_nothing(vault: Vault) -> None:
    with pytest.raises(RuntimeError), vault.atomic():
        vault.save_setting("a", "1")
        vault.clients.add("Rhoswen Athelny")
        raise RuntimeError("interrupted")
    assert vault.setting("a") is None and vault.clients.count() == 0
    with vault.atomic():
        vault.save_setting("a", "1")
        vault.clients.add("Rhoswen Athelny")
    assert vault.setting("a") == "1" and vault.clients.count() == 1
