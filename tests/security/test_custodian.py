"""The records custodian's key, attacked: an old sheet after a re-issue, a sheet after a
revocation, a key without the psychotherapy-notes grant against pnotes.db, a key from another
vault, a tampered slot, and writes through the core API in custodian mode."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.support.cli import PASSPHRASE
from vault import (
    TEST_PRESET,
    AuthenticationError,
    ConfideError,
    CustodianNotGrantedError,
    CustodianReadOnlyError,
    DamagedFileError,
    Designation,
    SessionInfo,
    Vault,
)
from vault.crypto.keyslots import KeyFile, KeyName
from vault.storage.database import Database

FIXTURES = Path(__file__).parent.parent / "fixtures"
PNOTE_WORD = "zqcustodianpnotemark"


def _designate(vault: Vault, *, pnotes: bool = False) -> Designation:
    return vault.custodian.designate(
        PASSPHRASE,
        name="Dr. Kim Birch",
        role="Licensed psychologist, PSY 12345",
        contact="kim.birch@example.org",
        pnotes=pnotes,
    )


@pytest.fixture
def practice(vault_dir: Path) -> tuple[Path, dict[str, int]]:
    """A locked vault with a client, a signed note, a draft and a psychotherapy note."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    try:
        client = vault.clients.add("Ada Quist", last_service_date="2026-01-05")
        other = vault.clients.add("Olin Pastdue", last_service_date="2001-03-03")
        session = SessionInfo("2026-01-05", "10:00", "10:50", "90834", "individual", ("F41.1",))
        signed = vault.notes.create(client.id, body="Sleep is poor.", session=session)
        vault.notes.sign(signed.id)
        draft = vault.notes.create(client.id, body="A draft, not signed.")
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        pnote = area.add(client.id, f"Impression {PNOTE_WORD}.")
        ids = {
            "client": client.id,
            "other": other.id,
            "signed": signed.id,
            "draft": draft.id,
            "pnote": pnote.id,
        }
    finally:
        vault.lock()
    return vault_dir, ids


def _issue(folder: Path, *, pnotes: bool = False) -> Designation:
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        return _designate(vault, pnotes=pnotes)
    finally:
        vault.lock()


def _rewrite_slot(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit the custodian slot in the key file's JSON and fix the checksum, as anyone can."""
    data = path.read_bytes()
    _, length, _ = struct.unpack_from(">8sI32s", data)
    doc = json.loads(data[44 : 44 + length])
    change(doc["slots"]["custodian"])
    body = json.dumps(doc, sort_keys=True).encode()
    header = struct.pack(">8sI32s", b"CNFDKEY1", len(body), hashlib.sha256(body).digest())
    path.write_bytes((header + body).ljust(4096, b"\0"))


def test_old_sheet_opens_nothing_after_a_reissue(practice: tuple[Path, dict[str, int]]) -> None:
    """The attacker holds the first sheet; after the re-issue it is refused, the new one works."""
    folder, ids = practice
    old = _issue(folder)
    Vault.unlock_custodian(folder, old.key).lock()  # the old sheet worked before
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        new = vault.custodian.reissue(PASSPHRASE)
    finally:
        vault.lock()
    assert new.key != old.key and new.info.serial == old.info.serial + 1
    with pytest.raises(AuthenticationError, match="wrong custodian key"):
        Vault.unlock_custodian(folder, old.key)
    # Not even the key file alone gives the old key anything to open.
    keyfile = KeyFile.load(folder / "keys.confide")
    with pytest.raises(AuthenticationError):
        keyfile.unwrap_with_custodian(old.key, [KeyName.RECORD])
    opened = Vault.unlock_custodian(folder, new.key)
    try:
        assert opened.notes.get(ids["signed"]).body == "Sleep is poor."
    finally:
        opened.lock()


def test_sheet_after_revoke_opens_nothing_and_the_slot_is_gone_from_the_file(
    practice: tuple[Path, dict[str, int]],
) -> None:
    """After a revocation the sheet is refused and no byte of the slot is left in the file."""
    folder, _ = practice
    designation = _issue(folder)
    before = KeyFile.load(folder / "keys.confide").custodian
    assert before is not None
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        vault.custodian.revoke()
        assert vault.custodian.info() is None
    finally:
        vault.lock()
    with pytest.raises(AuthenticationError, match="no custodian is designated"):
        Vault.unlock_custodian(folder, designation.key)
    raw = (folder / "keys.confide").read_bytes()
    assert base64.b64encode(before.public) not in raw
    for blob in before.sealed.values():
        assert blob.encode() not in raw
    assert b"Kim Birch" not in raw


def test_custodian_key_without_the_grant_cannot_open_psychotherapy_notes(
    practice: tuple[Path, dict[str, int]],
) -> None:
    """Every key the custodian's key can unseal is tried on pnotes.db: none opens it."""
    folder, ids = practice
    designation = _issue(folder, pnotes=False)
    keyfile = KeyFile.load(folder / "keys.confide")
    assert keyfile.custodian is not None
    assert set(keyfile.custodian.sealed) == {"record", "sealed"}  # no pnotes entry at all
    opened = keyfile.unwrap_with_custodian(designation.key, [KeyName.RECORD, KeyName.SEALED])
    try:
        for key in opened.values():
            with pytest.raises(ConfideError):
                db = Database.open(folder / "pnotes.db", key)
                db.close()
    finally:
        for key in opened.values():
            key.wipe()
    with pytest.raises(CustodianNotGrantedError):
        keyfile.unwrap_with_custodian(designation.key, [KeyName.PNOTES])
    vault = Vault.unlock_custodian(folder, designation.key)
    try:
        with pytest.raises(CustodianNotGrantedError, match="psychotherapy notes"):
            vault.open_psychotherapy_notes(designation.key)
        assert vault.notes.get(ids["signed"]).body == "Sleep is poor."
    finally:
        vault.lock()


def test_custodian_with_the_grant_reads_psychotherapy_notes_but_cannot_write_them(
    practice: tuple[Path, dict[str, int]],
) -> None:
    """With the grant the custodian key opens pnotes.db, and writing there is refused."""
    folder, ids = practice
    designation = _issue(folder, pnotes=True)
    vault = Vault.unlock_custodian(folder, designation.key)
    try:
        area = vault.open_psychotherapy_notes(designation.key)
        assert PNOTE_WORD in area.get(ids["pnote"]).body
        with pytest.raises(CustodianReadOnlyError):
            area.add(ids["client"], "A custodian's impression.")
    finally:
        vault.lock()


def test_custodian_key_from_another_vault_is_refused(
    practice: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    """A sheet issued for one vault opens no other, even one whose custodian is the same."""
    folder, _ = practice
    _issue(folder)
    other_folder = tmp_path / "other"
    other, _ = Vault.create(other_folder, PASSPHRASE, TEST_PRESET)
    try:
        foreign = _designate(other)
    finally:
        other.lock()
    with pytest.raises(AuthenticationError):
        Vault.unlock_custodian(folder, foreign.key)


def test_altered_slot_is_refused_and_never_receives_new_keys(
    practice: tuple[Path, dict[str, int]],
) -> None:
    """Swapping in an attacker's public key (or granting pnotes, or renaming) breaks the slot's
    HMAC: the custodian unlock refuses, and a passphrase change refuses to re-seal to it."""
    folder, _ = practice
    designation = _issue(folder)
    path = folder / "keys.confide"
    pristine = path.read_bytes()

    def grant_pnotes(slot: dict[str, Any]) -> None:
        slot["pnotes"] = True

    _rewrite_slot(path, grant_pnotes)
    with pytest.raises(DamagedFileError, match="custodian slot was altered"):
        Vault.unlock_custodian(folder, designation.key)

    path.write_bytes(pristine)

    def rename(slot: dict[str, Any]) -> None:
        slot["name"] = "Mallory"

    _rewrite_slot(path, rename)
    with pytest.raises(DamagedFileError, match="custodian slot was altered"):
        Vault.unlock_custodian(folder, designation.key)

    path.write_bytes(pristine)
    attacker = X25519PrivateKey.generate()
    attacker_public = attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def swap(slot: dict[str, Any]) -> None:
        slot["public"] = base64.b64encode(attacker_public).decode()

    _rewrite_slot(path, swap)
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        with pytest.raises(DamagedFileError, match="custodian slot was altered"):
            vault.custodian.info()
        with pytest.raises(DamagedFileError, match="custodian slot was altered"):
            vault.change_passphrase(PASSPHRASE, "a brand new passphrase for this")
        # Revoking is the way out, and works on an altered slot.
        vault.custodian.revoke()
    finally:
        vault.lock()
    assert KeyFile.load(path).custodian is None
    assert base64.b64encode(attacker_public) not in path.read_bytes()


def test_every_write_through_the_core_api_is_refused_in_custodian_mode(
    practice: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    """Each write a custodian might try, straight through the vault API: refused, nothing
    changed, and the reads and every refusal audited as the custodian: one entry per attempt,
    naming what was refused, whether the database, the vault or the key slot refused it, and
    written outside the refused change's transaction (which rolled back)."""
    folder, ids = practice
    designation = _issue(folder)
    client, draft, signed = ids["client"], ids["draft"], ids["signed"]
    key = designation.key
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    vault = Vault.unlock_custodian(folder, key)
    try:
        before = {
            t: vault.db.scalar(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed names
            for t in ("clients", "notes", "omit_spans", "retention_policies", "settings")
        }
        note_before = vault.notes.get(draft)
        attempts: dict[str, Callable[[], object]] = {
            "create a note": lambda: vault.notes.create(client, body="custodian text"),
            "edit a draft": lambda: vault.notes.save_draft(draft, body="changed"),
            "sign a draft": lambda: vault.notes.sign(draft),
            "addendum": lambda: vault.notes.addend(signed, "an addendum"),
            "discard a draft": lambda: vault.notes.discard_draft(draft),
            "add a client": lambda: vault.clients.add("Eve Newcomer"),
            "edit a client": lambda: vault.clients.update(client, status="inactive"),
            "remove contact details": lambda: vault.custodian.set_contact(client, None),
            "retention policy": lambda: vault.retention.set(client, "apa"),
            "practice settings": lambda: vault.disclosures.set_practice(name="Mallory & Co"),
            "notice template": lambda: vault.disclosures.notices.save_template(
                "## Only\nA new notice."
            ),
            "disposal": lambda: vault.disposal.dispose(key, [ids["other"]], ["Olin Pastdue"]),
            "passphrase": lambda: vault.change_passphrase(key, "a brand new passphrase here"),
            "designate": lambda: _designate(vault),
            "reissue": lambda: vault.custodian.reissue(key),
            "revoke": lambda: vault.custodian.revoke(),
            "attachment": lambda: vault.attachments.add(form, client, kind="intake"),
            "psychotherapy notes, not granted": lambda: vault.open_psychotherapy_notes(key),
            "raw SQL": lambda: vault.db.execute("DELETE FROM notes"),
        }
        start = vault.audit.head()
        assert start is not None
        said = []
        for what, attempt in attempts.items():
            with pytest.raises(CustodianReadOnlyError) as refusal:
                attempt()
                pytest.fail(f"{what} was not refused")
            said.append(str(refusal.value).removeprefix("custodian mode is read-only: "))
        after = {
            t: vault.db.scalar(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed names
            for t in before
        }
        assert after == before
        assert vault.notes.get(draft) == note_before
        actors = {e.detail.get("actor") for e in vault.audit.entries(limit=50)}
        assert actors >= {"custodian:1"}
        refused = [
            e
            for e in reversed(vault.audit.entries(limit=200))
            if e.action == "custodian_refused" and e.seq > start[0]
        ]
        assert [e.detail["what"] for e in refused] == said
        assert {e.detail.get("actor") for e in refused} == {"custodian:1"}
        assert "notes cannot be changed with the custodian key" in said[0]
        assert "disposal is for the clinician" in said
        assert "the custodian was not granted the psychotherapy notes" in said
        assert vault.audit.verify().ok
    finally:
        vault.lock()
    assert Vault.unlock(folder, PASSPHRASE).key_file.custodian is not None  # still designated


def test_custodian_answers_a_records_request(
    practice: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    """A client's own copy, written in custodian mode, is recorded as a disclosure."""
    folder, ids = practice
    designation = _issue(folder)
    vault = Vault.unlock_custodian(folder, designation.key)
    try:
        plan = vault.disclosures.prepare(vault.disclosures.access_spec(ids["client"]))
        record = vault.disclosures.write(plan, tmp_path / "copy.txt")
        assert "Sleep is poor." in (tmp_path / "copy.txt").read_text()
        accounted = vault.disclosures.accounting(ids["client"], include_all=True)
        assert [d.id for d in accounted] == [record.id]
        letter = vault.custodian.write_letter(ids["client"], tmp_path / "letter.txt")
        text = letter.read_text()
        assert "Ada Quist" in text and "Dr. Kim Birch" in text and "kim.birch@example.org" in text
    finally:
        vault.lock()


def test_key_file_written_before_the_custodian_slot_still_opens() -> None:
    """A key file written by the code before this feature: passphrase and recovery open it,
    it has no custodian, and a slot added to it round-trips."""
    facts = dict(
        line.split(": ", 1)
        for line in (FIXTURES / "keys-before-custodian.txt").read_text().splitlines()
    )
    keyfile = KeyFile.from_bytes((FIXTURES / "keys-before-custodian.confide").read_bytes())
    assert keyfile.vault_id == facts["vault id"] and keyfile.custodian is None
    keys = keyfile.unwrap_with_passphrase(facts["passphrase"], list(KeyName))
    recovered = keyfile.unwrap_with_recovery(facts["recovery key"], list(KeyName))
    try:
        assert {k: v.reveal() for k, v in keys.items()} == {
            k: v.reveal() for k, v in recovered.items()
        }
        custodian_key = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"
        with_slot = keyfile.with_custodian(
            keys,
            serial=1,
            issued_at="2026-12-02T00:00:00+00:00",
            name="Dr. 李 Birch",
            role="Psychologist",
            contact="kim@example.org",
            pnotes=False,
            custodian_key=custodian_key,
        )
        again = KeyFile.from_bytes(with_slot.to_bytes())
        assert again.custodian is not None and again.custodian.name == "Dr. 李 Birch"
        opened = again.unwrap_with_custodian(custodian_key, [KeyName.RECORD])
        assert opened[KeyName.RECORD].reveal() == keys[KeyName.RECORD].reveal()
        # Old readers ignore the slot: the passphrase slot is unchanged in form.
        assert again.unwrap_with_passphrase(facts["passphrase"], [KeyName.RECORD])
    finally:
        for k in (*keys.values(), *recovered.values()):
            k.wipe()


def test_longest_custodian_details_fit_the_fixed_size_key_file(vault: Vault) -> None:
    """Names at their longest, in four-byte characters, still fit in the 4 KiB key file."""
    designation = vault.custodian.designate(
        PASSPHRASE, name="😀" * 80, role="😀" * 80, contact="😀" * 160, pnotes=True
    )
    assert designation.info.name == "😀" * 80
    assert len((vault.folder / "keys.confide").read_bytes()) == 4096


def test_recovery_drops_an_altered_slot_instead_of_failing_or_resealing_to_it(
    tmp_path: Path,
) -> None:
    """Passphrase forgotten, custodian slot swapped to an attacker's key: the recovery key
    still gets the clinician back in, the slot is dropped (audited), the attacker gets nothing."""
    own = tmp_path / "own"
    created, recovery = Vault.create(own, PASSPHRASE, TEST_PRESET)
    try:
        _designate(created)
    finally:
        created.lock()
    attacker = X25519PrivateKey.generate()
    attacker_public = attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def swap(slot: dict[str, Any]) -> None:
        slot["public"] = base64.b64encode(attacker_public).decode()

    _rewrite_slot(own / "keys.confide", swap)
    recovered = Vault.recover(own, recovery).set_new_passphrase("a brand new passphrase for this")
    try:
        assert recovered.key_file.custodian is None
        events = [e.detail.get("event") for e in recovered.audit.entries(action="custodian")]
        assert "altered_dropped" in events
    finally:
        recovered.lock()
    assert base64.b64encode(attacker_public) not in (own / "keys.confide").read_bytes()


@pytest.mark.parametrize("suffix", [".pdf", ".txt"])
def test_sheet_letter_and_instructions_are_private_files_and_leave_no_temp_copies(
    practice: tuple[Path, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
) -> None:
    """Each is written mode 0600, in one file where asked: nothing beside it (no partial or
    pending copy left) and nothing in the temp folder; the letter and instructions, which name
    clients, are recorded as copies outside the vault."""
    import os
    import stat
    import tempfile

    folder, ids = practice
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    out = tmp_path / "out"
    out.mkdir()
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        sheet = vault.custodian.write_sheet(_designate(vault), out / f"sheet{suffix}")
    finally:
        vault.lock()
    with_key = Vault.unlock(folder, PASSPHRASE)
    try:
        custodian_key = with_key.custodian.reissue(PASSPHRASE).key
    finally:
        with_key.lock()
    custodian = Vault.unlock_custodian(folder, custodian_key)
    try:
        letter = custodian.custodian.write_letter(ids["client"], out / f"letter{suffix}")
        instructions = custodian.custodian.write_instructions(out / f"instructions{suffix}")
        recorded = {str(r[0]) for r in custodian.db.query("SELECT path FROM exports")}
    finally:
        custodian.lock()
    written = {sheet, letter, instructions}
    assert set(out.iterdir()) == written
    for path in written:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert {str(letter), str(instructions)} <= recorded
    assert list(temp.iterdir()) == []
