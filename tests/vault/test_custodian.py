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


def test_disposal_certificate_lists_the_letter_and_the_instructions(vault_dir: Path) -> None:
    """The custodian's letter to a client and the instructions naming every client are copies
    outside the vault of that client: the certificate names each for what it is (not an
    'accounting of disclosures'), the instructions for every client they name; the contact
    details go with the client."""
    from tests.support.disposal import make_practice
    from vault.retention.certificate import render_text
    from vault.retention.exports import PRESENT

    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    try:
        ids = make_practice(vault)
        vault.custodian.set_contact(ids["gone"], "12 Harbor Road")
        key = vault.custodian.designate(
            PASSPHRASE, name="Dr. Kim Birch", role="Psychologist", contact="kim@example.org"
        ).key
    finally:
        vault.lock()
    out = vault_dir.parent / "out"
    out.mkdir()
    custodian = Vault.unlock_custodian(vault_dir, key)
    try:
        custodian.custodian.write_letter(ids["gone"], out / "letter.pdf")
        custodian.custodian.write_instructions(out / "instructions.pdf")
    finally:
        custodian.lock()
    vault = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        named = {
            int(r[0])
            for r in vault.db.query(
                "SELECT client_id FROM exports WHERE kind = 'custodian_instructions'"
            )
        }
        assert named == set(ids.values())
        result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
        (record,) = result.certificate.records
        kinds = {(o.kind, o.copy) for o in record.outside}
        assert kinds == {("custodian_letter", PRESENT), ("custodian_instructions", PRESENT)}
        text = render_text(result.certificate)
        assert "custodian's notification letter of" in text
        assert "custodian's instructions of" in text and "accounting of disclosures" not in text
        assert str(out) not in text
        assert vault.custodian.contact(ids["gone"]) is None
        assert vault.db.scalar("SELECT count(*) FROM client_contacts") == 0
        # The instructions still name the clients kept: their own rows stay.
        left = vault.db.query("SELECT client_id FROM exports WHERE kind = 'custodian_instructions'")
        assert {int(r[0]) for r in left} == {ids["sealed"], ids["kept"]}
    finally:
        vault.lock()


def test_templates_refuse_format_specs_and_conversions(vault: Vault) -> None:
    """The attack: `{client:>999999999}` pads a letter to a gigabyte. A placeholder is its
    value alone: a spec or a conversion is refused, nothing saved."""
    for bad in ("{client:>999999999}", "{client!r}", "{today:%Y}", "{client!s:>9}"):
        with pytest.raises(UsageError, match="without ':' or '!'"):
            vault.custodian.save_template(f"Dear {bad},")
    assert [t.version for t in vault.custodian.versions()] == [1]


def test_letters_without_a_practice_name_have_no_settings_reminder(vault: Vault) -> None:
    """The letterhead of a letter to a client never tells them to open Practice settings; a
    sealed-name client's letter needs the key again and then names them by their legal name."""
    client = vault.clients.add("Ottoline Vexmoor", pseudonym="Robin P.")
    with pytest.raises(UsageError, match="legal name is sealed"):
        vault.custodian.letter(client.id)
    letter = vault.custodian.letter(client.id, secret=PASSPHRASE)
    assert letter.practice == ()
    assert ("To", "Ottoline Vexmoor") in letter.facts
    assert "Dear Ottoline Vexmoor," in letter.text() and "Robin P." not in letter.text()
    assert "Practice name not set" not in vault.custodian.instructions().text()
    vault.disclosures.set_practice(name="Harbor Counselling")
    assert vault.custodian.letter(client.id, secret=PASSPHRASE).practice[0] == "Harbor Counselling"


def test_migration_17_keeps_every_recorded_copy_and_takes_the_custodian_kinds(
    vault: Vault, tmp_path: Path
) -> None:
    """A vault from before migration 17 (the exports CHECK of migration 14, an open export
    recorded) upgrades at unlock with its rows as they were, then records a letter as a
    `custodian_letter`."""
    folder = vault.folder
    client = vault.clients.add("Ada Quist")
    db = vault.db
    with db.atomic():
        db.execute("DROP TABLE exports")
        db.execute(
            "CREATE TABLE exports (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN "
            "('release', 'accounting', 'certificate', 'open_export')), client_id INTEGER "
            "REFERENCES clients(id) ON DELETE CASCADE, disclosure_id INTEGER, path TEXT NOT "
            "NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, written_at TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO exports VALUES (5, 'open_export', ?, NULL, '/x/e.age', 'ab', 12, 't')",
            (client.id,),
        )
        db.execute("DELETE FROM schema_migrations WHERE version = 17")
    vault.lock()
    again = Vault.unlock(folder, PASSPHRASE)
    try:
        assert [tuple(r) for r in again.db.query("SELECT * FROM exports")] == [
            (5, "open_export", client.id, None, "/x/e.age", "ab", 12, "t")
        ]
        again.custodian.write_letter(client.id, tmp_path / "letter.txt")
        kinds = [str(r[0]) for r in again.db.query("SELECT kind FROM exports ORDER BY id")]
        assert kinds == ["open_export", "custodian_letter"]
    finally:
        again.lock()
