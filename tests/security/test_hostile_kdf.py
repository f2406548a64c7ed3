"""Issue 10 item 2: a hostile key file chooses the Argon2id cost; it is refused before deriving.

The parameters are read before anything is authenticated (the copy in a backup's header, or the
vault's own keys.confide), so a crafted file could make every restore attempt take minutes or
allocate gigabytes. Each test checks the refusal comes from the bounds check (the traceback ends
in `check_bounds` and never passes through the derivation), never how long anything took.
"""

from __future__ import annotations

import base64
import json
import struct
import types
from dataclasses import replace
from pathlib import Path

import pytest

from backup import restore, verify_archive
from tests.support.cli import PASSPHRASE
from vault import TEST_PRESET, Vault
from vault.crypto.kdf import (
    CALIBRATE_MAX_TIME_COST,
    DEFAULT_PRESET,
    MAX_TIME_COST,
    KdfParams,
    calibrate,
    derive,
)
from vault.crypto.keyslots import KeyFile, new_data_keys, new_recovery_key, wipe_keys
from vault.errors import KdfRefusedError
from vault.vault import KEY_FILE

HOSTILE = {
    "t=64": KdfParams(time_cost=64, memory_kib=8 * 1024, parallelism=1, preset="default"),
    "m=2GiB": KdfParams(time_cost=1, memory_kib=2 * 1024 * 1024, parallelism=1, preset="default"),
    "t=2,m=2GiB,p=16": KdfParams(
        time_cost=2, memory_kib=2 * 1024 * 1024, parallelism=16, preset="default"
    ),
    "t=32,m=1GiB": KdfParams(time_cost=32, memory_kib=1024 * 1024, parallelism=2, preset="default"),
}


def _frames(error: BaseException) -> list[str]:
    """Function names from the outermost to the innermost frame, through `raise ... from`."""
    names: list[str] = []
    current: BaseException | None = error
    while current is not None:
        tb: types.TracebackType | None = current.__traceback__
        while tb is not None:
            names.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        current = current.__cause__
    return names


def _assert_refused_by_bounds(error: BaseException) -> None:
    assert "beyond any Confide writes" in str(error)
    frames = _frames(error)
    assert frames[-1] == "check_bounds", frames
    # Neither derivation entry point was reached: Argon2id never ran.
    assert "derive" not in frames and "unwrap_with_passphrase" not in frames, frames


def _key_file(kdf: KdfParams) -> bytes:
    keys = new_data_keys()
    try:
        real = KeyFile.create(PASSPHRASE, new_recovery_key(), TEST_PRESET, keys)
    finally:
        wipe_keys(keys)
    # What an attacker writes: the same file with the parameters changed and the (unkeyed)
    # checksum recomputed, so it parses as intact.
    return replace(real, kdf=kdf).to_bytes()


def _archive(path: Path, kdf: KdfParams) -> Path:
    key_file = _key_file(kdf)
    vault_id = json.loads(key_file[44:].rstrip(b"\0"))["vault_id"]
    header = json.dumps(
        {
            "format": 1,
            "archive_id": "11" * 16,
            "vault_id": vault_id,
            "key_epoch": 1,
            "cipher": "AES-256-GCM",
            "chunk_size": 4096,
            "sections": ["record.db", "manifest"],
            "key_file": base64.b64encode(key_file).decode("ascii"),
        },
        sort_keys=True,
    ).encode()
    path.write_bytes(b"CNFDBAK1" + struct.pack(">I", len(header)) + header + b"\0" * 32)
    return path


@pytest.mark.parametrize("kdf", HOSTILE.values(), ids=HOSTILE.keys())
def test_verify_of_a_hostile_archive_refuses_before_deriving(
    tmp_path: Path, kdf: KdfParams
) -> None:
    """`verify FILE` of an archive whose header asks for a huge Argon2id cost refuses it."""
    archive = _archive(tmp_path / "evil.cfbk", kdf)
    with pytest.raises(KdfRefusedError) as caught:
        verify_archive(archive, passphrase=PASSPHRASE)
    _assert_refused_by_bounds(caught.value)
    assert "evil.cfbk" in str(caught.value)


@pytest.mark.parametrize("kdf", HOSTILE.values(), ids=HOSTILE.keys())
def test_restore_of_a_hostile_archive_refuses_before_deriving(
    tmp_path: Path, kdf: KdfParams
) -> None:
    """`restore` of such an archive refuses it, and leaves no vault behind."""
    archive = _archive(tmp_path / "evil.cfbk", kdf)
    target = tmp_path / "restored"
    with pytest.raises(KdfRefusedError) as caught:
        restore(archive, target, passphrase=PASSPHRASE)
    _assert_refused_by_bounds(caught.value)
    assert not (target / KEY_FILE).exists()


@pytest.mark.parametrize("kdf", HOSTILE.values(), ids=HOSTILE.keys())
def test_unlock_with_a_hostile_key_file_refuses_before_deriving(
    tmp_path: Path, kdf: KdfParams
) -> None:
    """The vault's own keys.confide, rewritten with such parameters, is refused on unlock."""
    folder = tmp_path / "vault"
    Vault.create(folder, PASSPHRASE, TEST_PRESET)[0].lock()
    current = KeyFile.load(folder / KEY_FILE)
    (folder / KEY_FILE).write_bytes(replace(current, kdf=kdf).to_bytes())
    with pytest.raises(KdfRefusedError) as caught:
        Vault.unlock(folder, PASSPHRASE)
    _assert_refused_by_bounds(caught.value)


def test_derive_itself_refuses_out_of_bounds_parameters() -> None:
    """Even a caller that skipped the file reader cannot run a hostile derivation."""
    with pytest.raises(KdfRefusedError) as caught:
        derive(PASSPHRASE, b"\0" * 16, HOSTILE["t=64"])
    assert _frames(caught.value)[-1] == "check_bounds"


def test_everything_confide_writes_is_within_the_bounds() -> None:
    """The presets and the calibration ceiling all pass; the bound has a 2x margin."""
    for params in (
        TEST_PRESET,
        DEFAULT_PRESET,
        replace(DEFAULT_PRESET, time_cost=CALIBRATE_MAX_TIME_COST),
    ):
        assert KdfParams.from_json(params.to_json()) == params
    assert MAX_TIME_COST == 2 * CALIBRATE_MAX_TIME_COST
    # A machine so fast that 256 MiB takes no time still calibrates within the ceiling.
    assert calibrate(target_seconds=1000.0, memory_kib=64).time_cost <= CALIBRATE_MAX_TIME_COST
