"""Keys: create, unlock, recovery, passphrase change, damaged and half-written key files, KDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from vault import (
    TEST_PRESET,
    AuthenticationError,
    DamagedFileError,
    NotAVaultError,
    UsageError,
    Vault,
    VaultExistsError,
    calibrate,
    inspect,
)
from vault.crypto.keyslots import HEADER, KeyFile, KeyName
from vault.vault import KEY_FILE, RECORD_DB

NEW_PASSPHRASE = "a brand new passphrase"


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_create_then_unlock_sees_the_same_records(vault_dir: Path) -> None:
    """A vault created with a passphrase opens again with it and shows what was saved."""
    vault, recovery_key = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    client = vault.clients.add("Quill Sampleton")
    vault.lock()
    assert len(recovery_key.split("-")) == 8
    with Vault.unlock(vault_dir, PASSPHRASE) as again:
        assert [c.display_name for c in again.clients.list()] == ["Quill Sampleton"]
        assert again.clients.get(client.id).legal_name == "Quill Sampleton"


def test_create_refuses_an_existing_vault_or_a_non_empty_folder(
    vault: Vault, tmp_path: Path
) -> None:
    """init never overwrites a vault nor mixes into a folder holding other files."""
    with pytest.raises(VaultExistsError):
        Vault.create(vault.folder, PASSPHRASE, TEST_PRESET)
    other = tmp_path / "papers"
    other.mkdir()
    (other / "letter.txt").write_text("hello")
    with pytest.raises(VaultExistsError, match="not empty"):
        Vault.create(other, PASSPHRASE, TEST_PRESET)
    assert sorted(p.name for p in other.iterdir()) == ["letter.txt"]


def test_short_passphrase_is_refused_at_create(vault_dir: Path) -> None:
    """A passphrase under 8 characters is refused and no vault appears."""
    with pytest.raises(UsageError, match="at least 8"):
        Vault.create(vault_dir, "short", TEST_PRESET)
    assert not (vault_dir / KEY_FILE).exists()


def test_wrong_passphrase_is_refused_and_changes_nothing(new_vault: tuple[Vault, str]) -> None:
    """A wrong passphrase raises AuthenticationError; no file in the folder changes."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(AuthenticationError, match="wrong passphrase"):
        Vault.unlock(folder, "not the passphrase")
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before
    # The failed attempt released the process lock: the right passphrase works at once.
    Vault.unlock(folder, PASSPHRASE).lock()


def test_unlock_of_a_folder_without_vault_says_so(tmp_path: Path) -> None:
    """Pointing at an empty or missing folder gives NotAVaultError naming the folder (the
    command line adds how to create one: tests/cli/test_hints.py)."""
    with pytest.raises(NotAVaultError, match="no Confide vault at .*nowhere") as e:
        Vault.unlock(tmp_path / "nowhere", PASSPHRASE)
    assert "confide" not in str(e.value).replace("Confide", "")


@pytest.mark.parametrize("spelling", ["as printed", "lower", "no dashes", "spaces"])
def test_recovery_key_unlock_forces_new_passphrase(
    new_vault: tuple[Vault, str], spelling: str
) -> None:
    """The recovery key (any case, dashes or not) unlocks only to set a new passphrase."""
    vault, recovery_key = new_vault
    client = vault.clients.add("Rowan Fakeley")
    folder = vault.folder
    vault.lock()
    typed = {
        "as printed": recovery_key,
        "lower": recovery_key.lower(),
        "no dashes": recovery_key.replace("-", ""),
        "spaces": " ".join(recovery_key.split("-")),
    }[spelling]
    pending = Vault.recover(folder, typed)
    assert not hasattr(pending, "clients")  # nothing to read until a new passphrase is set
    with pytest.raises(UsageError):
        pending.set_new_passphrase("short")
    recovered = pending.set_new_passphrase(NEW_PASSPHRASE)
    assert recovered.clients.get(client.id).display_name == "Rowan Fakeley"
    recovered.lock()
    with pytest.raises(AuthenticationError):
        Vault.unlock(folder, PASSPHRASE)
    Vault.unlock(folder, NEW_PASSPHRASE).lock()
    # The recovery key itself keeps working.
    Vault.recover(folder, recovery_key).abandon()


def test_wrong_recovery_key_is_refused(new_vault: tuple[Vault, str]) -> None:
    """A well-formed but wrong recovery key, or garbage, is an AuthenticationError."""
    vault, recovery_key = new_vault
    vault.lock()
    wrong = "AAAA-" + recovery_key[5:]
    if wrong == recovery_key:
        wrong = "BBBB-" + recovery_key[5:]
    with pytest.raises(AuthenticationError, match="wrong recovery key"):
        Vault.recover(vault.folder, wrong)
    with pytest.raises(AuthenticationError, match="not a recovery key"):
        Vault.recover(vault.folder, "hello there")
    Vault.unlock(vault.folder, PASSPHRASE).lock()


def test_change_passphrase_rewraps_without_reencrypting(new_vault: tuple[Vault, str]) -> None:
    """passwd leaves record.db untouched, keeps the data keys, and the recovery key works."""
    vault, recovery_key = new_vault
    for i in range(20):
        vault.notes.create(vault.clients.add(f"Client Number {i}").id, body=f"note {i}")
    vault.db.checkpoint()
    folder = vault.folder
    record_before = (folder / RECORD_DB).read_bytes()
    key_before = (
        KeyFile.load(folder / KEY_FILE)
        .unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD])[KeyName.RECORD]
        .reveal()
    )
    vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    assert (folder / RECORD_DB).read_bytes() == record_before
    key_after = (
        KeyFile.load(folder / KEY_FILE)
        .unwrap_with_passphrase(NEW_PASSPHRASE, [KeyName.RECORD])[KeyName.RECORD]
        .reveal()
    )
    assert key_after == key_before
    vault.lock()
    with pytest.raises(AuthenticationError):
        Vault.unlock(folder, PASSPHRASE)
    with Vault.unlock(folder, NEW_PASSPHRASE) as again:
        assert again.clients.count() == 20
    Vault.recover(folder, recovery_key).set_new_passphrase(PASSPHRASE).lock()


def test_change_passphrase_with_wrong_current_changes_nothing(vault: Vault) -> None:
    """A wrong current passphrase leaves the key file byte for byte as it was."""
    before = (vault.folder / KEY_FILE).read_bytes()
    with pytest.raises(AuthenticationError):
        vault.change_passphrase("not the passphrase", NEW_PASSPHRASE)
    assert (vault.folder / KEY_FILE).read_bytes() == before


def test_damaged_key_file_is_reported_damaged_not_wrong_passphrase(
    new_vault: tuple[Vault, str],
) -> None:
    """A flipped byte in a wrapped key is 'damaged', never a misleading 'wrong passphrase'."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    body = (folder / KEY_FILE).read_bytes()
    # Flip a byte inside the JSON body (inside the passphrase slot's ciphertext).
    offset = body.index(b'"ct"') + 10
    assert offset > HEADER.size
    _flip_byte(folder / KEY_FILE, offset)
    with pytest.raises(DamagedFileError, match="damaged") as info:
        Vault.unlock(folder, PASSPHRASE)
    assert "passphrase" not in str(info.value)
    with pytest.raises(DamagedFileError):
        inspect(folder)


def test_truncated_key_file_is_damaged(new_vault: tuple[Vault, str]) -> None:
    """A key file cut short, emptied or zeroed is reported damaged."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    data = (folder / KEY_FILE).read_bytes()
    (folder / KEY_FILE).write_bytes(data[:200])
    with pytest.raises(DamagedFileError, match="damaged"):
        Vault.unlock(folder, PASSPHRASE)
    for wreck in (b"", b"\0" * 4096):  # what a crash can leave on some filesystems
        (folder / KEY_FILE).write_bytes(wreck)
        with pytest.raises(DamagedFileError, match="empty"):
            Vault.unlock(folder, PASSPHRASE)


def test_crash_between_pending_write_and_overwrite_recovers(new_vault: tuple[Vault, str]) -> None:
    """A valid keys.confide.pending beside a torn keys.confide is finished on next unlock."""
    vault, _ = new_vault
    folder = vault.folder
    vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    vault.lock()
    good = (folder / KEY_FILE).read_bytes()
    # The state a crash in the middle of the in-place overwrite leaves behind.
    pending = folder / (KEY_FILE + ".pending")
    pending.write_bytes(good)
    torn = bytearray(good)
    torn[HEADER.size + 40 : HEADER.size + 400] = b"\0" * 360
    (folder / KEY_FILE).write_bytes(bytes(torn))
    with Vault.unlock(folder, NEW_PASSPHRASE) as again:
        assert again.clients.count() == 0
    # The same wrapped keys (unlock and lock then advance the audit anchor in the file).
    after = KeyFile.load(folder / KEY_FILE)
    assert after.passphrase_slot == KeyFile.from_bytes(good).passphrase_slot
    assert not pending.exists()


def test_pending_file_alone_still_opens(new_vault: tuple[Vault, str]) -> None:
    """A crash before the first key file was written in place leaves only .pending; it opens."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    (folder / KEY_FILE).rename(folder / (KEY_FILE + ".pending"))
    Vault.unlock(folder, PASSPHRASE).lock()
    assert (folder / KEY_FILE).exists()


def test_a_zeroed_pending_copy_left_by_a_power_cut_is_harmless(
    new_vault: tuple[Vault, str],
) -> None:
    """A key-file write zeroes its .pending copy durably but does not fsync its removal, so a
    power cut can bring back the name of an all-zero copy. The vault opens with the key file,
    and the next write (here the passphrase change) removes the copy."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    pending = folder / (KEY_FILE + ".pending")
    pending.write_bytes(b"\0" * 4096)
    with Vault.unlock(folder, PASSPHRASE) as again:
        again.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
        assert not pending.exists()
    Vault.unlock(folder, NEW_PASSPHRASE).lock()
    assert not pending.exists()


def test_kdf_parameters_are_stored_beside_the_salt(vault: Vault) -> None:
    """The key file records Argon2id parameters and a salt; status reads them unlocked."""
    keyfile = KeyFile.load(vault.folder / KEY_FILE)
    assert keyfile.kdf == TEST_PRESET
    assert len(keyfile.salt) == 16
    raw = (vault.folder / KEY_FILE).read_bytes()
    assert b'"algorithm": "argon2id"' in raw and b'"memory_kib": 8192' in raw
    status = inspect(vault.folder)
    assert status.kdf_is_weak and status.kdf.preset == "test-insecure"


def test_status_json_reports_test_preset_weak(cli: Cli) -> None:
    """`confide status --json` says kdf_weak for a vault made with the test preset."""
    cli.init()
    status = cli("status", "--json")
    assert status.code == 0, status.stderr
    data = status.data
    assert isinstance(data, dict)
    assert data["kdf_weak"] is True
    assert data["kdf"]["preset"] == "test-insecure"
    assert set(data["files"]) >= {"keys.confide", "record.db", "pnotes.db"}


def test_calibrate_meets_the_memory_floor() -> None:
    """calibrate() picks Argon2id parameters with at least 256 MiB and reports them strong."""
    params = calibrate(target_seconds=0.3)
    assert params.memory_kib >= 256 * 1024
    assert params.time_cost >= 2
    assert not params.is_weak
