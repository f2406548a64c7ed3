"""Security review: the key-slot file and Argon2 parameters under tampering."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from vault import TEST_PRESET, ConfideError, DamagedFileError, Vault
from vault.crypto.kdf import KdfParams, calibrate
from vault.crypto.keyslots import KeyFile, KeyName
from vault.crypto.sealing import open_sealed, public_key_of
from vault.crypto.secret import SecretBytes

KEY_FILE = "keys.confide"


def _rewrite_body(
    path: Path, change: dict[str, object] | None = None, raw_body: bytes | None = None
) -> None:
    """Edit the key file's JSON body and fix up its checksum, as an attacker can."""
    data = path.read_bytes()
    _, length, _ = struct.unpack_from(">8sI32s", data)
    if raw_body is None:
        doc = json.loads(data[44 : 44 + length])
        doc.update(change or {})
        raw_body = json.dumps(doc, sort_keys=True).encode()
    header = struct.pack(">8sI32s", b"CNFDKEY1", len(raw_body), hashlib.sha256(raw_body).digest())
    path.write_bytes((header + raw_body).ljust(4096, b"\0"))


def test_swapped_recovery_public_key_never_receives_the_data_keys(tmp_path: Path) -> None:
    """An attacker who swaps the recovery public key cannot read keys wrapped after that."""
    folder = tmp_path / "vault"
    vault, _ = Vault.create(folder, "correct horse battery", TEST_PRESET)
    vault.lock()
    attacker = X25519PrivateKey.generate()
    attacker_private = SecretBytes(
        attacker.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    )
    _rewrite_body(
        folder / KEY_FILE,
        {"recovery_public": base64.b64encode(public_key_of(attacker_private)).decode()},
    )
    try:
        # The clinician goes on as usual: unlock, change the passphrase.
        opened = Vault.unlock(folder, "correct horse battery")
        try:
            opened.change_passphrase("correct horse battery", "a brand new passphrase")
        finally:
            opened.lock()
    except ConfideError:
        pass  # refusing the tampered file is the right outcome
    keyfile = KeyFile.load(folder / KEY_FILE)
    blob = base64.b64decode(keyfile.recovery_slot[KeyName.RECORD.value])
    with pytest.raises(Exception) as caught:
        open_sealed(
            attacker_private, blob, keyfile._aad("recovery", KeyName.RECORD), b"recovery-slot"
        )
    assert type(caught.value).__name__ in ("InvalidTag", "DamagedFileError")


@pytest.fixture
def locked_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    Vault.create(folder, "correct horse battery", TEST_PRESET)[0].lock()
    return folder


@pytest.mark.parametrize(
    "change",
    [
        {"epoch": float("inf")},
        {
            "kdf": {
                "algorithm": "argon2id",
                "version": 19,
                "time_cost": float("inf"),
                "memory_kib": 8192,
                "parallelism": 1,
                "preset": "x",
                "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
            }
        },
    ],
)
def test_key_file_with_infinite_numbers_is_damaged_not_a_crash(
    locked_folder: Path, change: dict[str, object]
) -> None:
    """A key file whose numbers are Infinity (valid Python JSON) is reported as damaged."""
    _rewrite_body(locked_folder / KEY_FILE, change)
    with pytest.raises(DamagedFileError):
        Vault.unlock(locked_folder, "correct horse battery")


def test_deeply_nested_key_file_is_damaged_not_a_crash(locked_folder: Path) -> None:
    """A key file body of thousands of nested lists is reported as damaged."""
    _rewrite_body(locked_folder / KEY_FILE, raw_body=b"[" * 4000 + b"]" * 4000)
    with pytest.raises(DamagedFileError):
        Vault.unlock(locked_folder, "correct horse battery")


def test_huge_key_file_is_damaged_without_reading_it_all(locked_folder: Path) -> None:
    """A key file grown to many megabytes is refused as damaged, not loaded into memory."""
    path = locked_folder / KEY_FILE
    with path.open("r+b") as f:
        f.truncate(64 << 20)  # sparse: cheap to make
    with pytest.raises(DamagedFileError):
        KeyFile.load(path)


def _kdf(**change: object) -> dict[str, object]:
    base: dict[str, object] = {
        "algorithm": "argon2id",
        "version": 19,
        "time_cost": 1,
        "memory_kib": 8192,
        "parallelism": 1,
        "preset": "x",
        "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
    }
    return {**base, **change}


@pytest.mark.parametrize(
    "kdf",
    [
        _kdf(memory_kib=4 * 1024 * 1024),  # 4 GiB: a hostile file makes us allocate it
        _kdf(parallelism=64, memory_kib=8),  # below Argon2's own minimum of 8 KiB per lane
        _kdf(parallelism=60),
    ],
    ids=["4-GiB", "memory-below-lanes", "60-lanes"],
)
def test_key_file_kdf_parameters_beyond_what_confide_writes_are_damage(
    locked_folder: Path, kdf: dict[str, object]
) -> None:
    """Argon2 parameters no Confide vault uses are refused before any derivation runs."""
    _rewrite_body(locked_folder / KEY_FILE, {"kdf": kdf})
    with pytest.raises(DamagedFileError, match="key-derivation"):
        Vault.unlock(locked_folder, "correct horse battery")


def test_calibrated_parameters_always_reopen() -> None:
    """Calibration never picks a time cost that the key-file reader would refuse."""
    params = calibrate(target_seconds=5.0, memory_kib=64)
    assert KdfParams.from_json(params.to_json()) == params


def test_key_file_with_a_malformed_nonce_is_damaged(locked_folder: Path) -> None:
    """A passphrase slot whose nonce is empty is damage, not an internal error."""
    path = locked_folder / KEY_FILE
    doc = json.loads(path.read_bytes()[44:].rstrip(b"\0"))
    doc["slots"]["passphrase"]["record"]["nonce"] = ""
    _rewrite_body(path, doc)
    with pytest.raises(DamagedFileError):
        Vault.unlock(locked_folder, "correct horse battery")


@pytest.mark.parametrize(
    "field",
    [
        ("kdf", "salt"),
        ("recovery_public",),
        ("slots", "passphrase", "record", "nonce"),
        ("slots", "recovery", "record"),
    ],
)
def test_key_file_with_a_number_where_base64_belongs_is_damaged(
    new_vault: tuple[Vault, str], field: tuple[str, ...]
) -> None:
    """A key file holding a number where base64 text belongs is damage, on either unlock path."""
    vault, recovery_key = new_vault
    vault.lock()
    path = vault.folder / KEY_FILE
    doc = json.loads(path.read_bytes()[44:].rstrip(b"\0"))
    inner = doc
    for key in field[:-1]:
        inner = inner[key]
    inner[field[-1]] = 12345
    _rewrite_body(path, doc)
    refusals: list[ConfideError] = []
    for attempt in (
        lambda: Vault.unlock(vault.folder, "correct horse battery").lock(),
        lambda: Vault.recover(vault.folder, recovery_key).abandon(),
    ):
        try:
            attempt()
        except ConfideError as e:  # anything else (AttributeError) fails the test
            refusals.append(e)
    assert refusals and all(isinstance(e, DamagedFileError) for e in refusals)


def test_pre_release_key_file_is_refused_with_a_reason(locked_folder: Path) -> None:
    """A key file whose slots lack the recovery-key binding is refused, not 'wrong passphrase'."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from vault.crypto.kdf import derive

    path = locked_folder / KEY_FILE
    keyfile = KeyFile.load(path)
    kek = derive("correct horse battery", keyfile.salt, keyfile.kdf)
    aead = AESGCM(kek.reveal())
    doc = json.loads(path.read_bytes()[44:].rstrip(b"\0"))
    for name in KeyName:  # re-wrap every slot the way the pre-release format did
        entry = doc["slots"]["passphrase"][name.value]
        nonce, ct = base64.b64decode(entry["nonce"]), base64.b64decode(entry["ct"])
        key = aead.decrypt(nonce, ct, keyfile._aad("passphrase", name))
        entry["ct"] = base64.b64encode(
            aead.encrypt(nonce, key, keyfile._aad("passphrase", name, legacy=True))
        ).decode()
    _rewrite_body(path, doc)
    with pytest.raises(DamagedFileError, match="pre-release"):
        Vault.unlock(locked_folder, "correct horse battery")
    with pytest.raises(ConfideError, match="wrong passphrase"):
        Vault.unlock(locked_folder, "not the passphrase")
