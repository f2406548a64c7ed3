"""The records custodian in the core: disposal's key rotation re-seals the custodian's slot,
the letter template is versioned and checked, the client list carries contacts and retention."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from vault import TEST_PRESET, UsageError, Vault
from vault.crypto.keyslots import KeyFile


def test_disposal_rotation_reseals_the_custodian_slot_without_the_custodian_key(
    vault_dir: Path,
) -> None:
    """After disposal rotated every data key, the same sheet opens the new epoch, and the
    slot still holds only the keys granted."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    try:
        keep = vault.clients.add("Ada Quist", last_service_date="2026-01-05")
        vault.clients.add("Olin Pastdue", last_service_date="2001-03-03")
        designation = vault.custodian.designate(
            PASSPHRASE, name="Dr. Kim Birch", role="Psychologist", contact="kim@example.org"
        )
        epoch = vault.key_file.epoch
        vault.disposal.dispose(PASSPHRASE, [2], ["Olin Pastdue"])
        assert vault.key_file.epoch == epoch + 1
    finally:
        vault.lock()
    keyfile = KeyFile.load(vault_dir / "keys.confide")
    assert keyfile.custodian is not None and set(keyfile.custodian.sealed) == {"record", "sealed"}
    opened = Vault.unlock_custodian(vault_dir, designation.key)
    try:
        assert [c.record_id for c in opened.custodian.clients()] == [keep.record_id]
    finally:
        opened.lock()


def test_letter_template_versions_and_unknown_placeholders(vault: Vault, tmp_path: Path) -> None:
    """A saved template is a new version, the old kept; an unknown placeholder is refused;
    client text with braces is data, never a placeholder."""
    custodian = vault.custodian
    client = vault.clients.add("Ada {custodian} Quist")
    assert custodian.template().version == 1
    with pytest.raises(UsageError, match=r"unknown placeholder \{passphrase\}"):
        custodian.save_template("Dear {client}, {passphrase}")
    with pytest.raises(UsageError, match="literal brace"):
        custodian.save_template("Dear {client")
    saved = custodian.save_template("Dear {client}, write to {custodian}. {{braces}}")
    assert saved.version == 2 and [t.version for t in custodian.versions()] == [1, 2]
    assert custodian.save_template(saved.text).version == 2  # unchanged: nothing saved
    text = custodian.letter(client.id).text()
    assert "Dear Ada {custodian} Quist, write to the records custodian. {braces}" in text


def test_custodian_clients_show_contacts_retention_and_holds(vault: Vault) -> None:
    """The custodian's list: contact details, the disposal date and a legal hold."""
    ada = vault.clients.add("Ada Quist", last_service_date="2026-01-05")
    vault.custodian.set_contact(ada.id, "12 Harbor Road\nSpringfield")
    vault.holds.place(ada.id, "litigation expected")
    [row] = vault.custodian.clients()
    assert row.contact == "12 Harbor Road\nSpringfield"
    assert row.retained_until == "2033-01-05" and row.held
    vault.custodian.set_contact(ada.id, None)
    assert vault.custodian.contact(ada.id) is None
    with pytest.raises(UsageError):
        vault.custodian.set_contact(ada.id, "x" * 501)


def test_bad_designations_are_refused_and_change_nothing(vault: Vault) -> None:
    """An empty or control-character name, an over-long field, a wrong passphrase: one clear
    error each, and no slot is written."""
    from vault import AuthenticationError

    before = (vault.folder / "keys.confide").read_bytes()
    for kwargs, message in (
        ({"name": " ", "role": "r", "contact": "c"}, "custodian name is empty"),
        ({"name": "Kim\x1b[31m", "role": "r", "contact": "c"}, "ESCAPE at position 4"),
        ({"name": "Kim", "role": "r" * 81, "contact": "c"}, "longer than 80 characters"),
    ):
        with pytest.raises(UsageError, match=message):
            vault.custodian.designate(PASSPHRASE, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationError):
        vault.custodian.designate("not the passphrase", name="Kim", role="r", contact="c")
    assert vault.key_file.custodian is None
    assert (vault.folder / "keys.confide").read_bytes() == before
