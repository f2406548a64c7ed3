"""Argon2id key derivation: named presets, calibration, and the weakness check.

The parameters travel with the salt in the key-slot file, so a vault created on a slow laptop
still opens on a fast one and vice versa.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from _argon2_cffi_bindings import lib  # the C library argon2-cffi binds (its dependency)
from argon2.low_level import ARGON2_VERSION, Type, error_to_str, ffi

from ..errors import DamagedFileError, KdfRefusedError, UsageError
from .secret import SecretBytes

KEY_LEN = 32
SALT_LEN = 16

# Below these a vault is reported as weak by `confide status`.
MIN_MEMORY_KIB = 256 * 1024
MIN_TIME_COST = 2

TARGET_SECONDS = 1.0

# Calibration never goes past this time cost (at 256 MiB about 1 s on a fast machine, 5 s on
# a slow one): the heaviest parameters Confide ever writes are t=16, 256 MiB, 2 lanes.
CALIBRATE_MAX_TIME_COST = 16

# What a key file may ask for. The parameters are read before anything is authenticated (the
# vault's own keys.confide, or the key-file copy in an archive from a stranger's USB stick), so
# the file's author chooses what one derivation costs us: these bounds are twice what Confide
# writes (four times the memory), and the total work (passes x memory) is bounded too, so a
# hostile file costs at most about twice the slowest unlock a real vault can have.
MAX_TIME_COST = 2 * CALIBRATE_MAX_TIME_COST
MAX_MEMORY_KIB = 4 * MIN_MEMORY_KIB
MAX_PARALLELISM = 8
MAX_WORK_KIB = MAX_TIME_COST * MIN_MEMORY_KIB  # time_cost x memory_kib


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters as stored beside the salt."""

    time_cost: int
    memory_kib: int
    parallelism: int
    preset: str

    @property
    def is_weak(self) -> bool:
        return self.memory_kib < MIN_MEMORY_KIB or self.time_cost < MIN_TIME_COST

    def to_json(self) -> dict[str, Any]:
        return {
            "algorithm": "argon2id",
            "version": 19,
            "time_cost": self.time_cost,
            "memory_kib": self.memory_kib,
            "parallelism": self.parallelism,
            "preset": self.preset,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        try:
            if data["algorithm"] != "argon2id":
                raise DamagedFileError("key file names an unknown key-derivation algorithm")
            params = cls(
                time_cost=int(data["time_cost"]),
                memory_kib=int(data["memory_kib"]),
                parallelism=int(data["parallelism"]),
                preset=str(data["preset"]),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as e:  # Overflow: Infinity
            raise DamagedFileError("key file has unreadable key-derivation parameters") from e
        check_bounds(params)
        return params

    def describe(self) -> str:
        return (
            f"Argon2id t={self.time_cost}, m={self.memory_kib // 1024} MiB, "
            f"p={self.parallelism} ({self.preset})"
        )


# A cheap preset for tests only. It is chosen explicitly (never a fallback) and `status` calls it
# weak, so a vault made with it cannot pass for a real one.
TEST_PRESET = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1, preset="test-insecure")

# The floor for calibration: RFC 9106's second recommended option uses 64 MiB; we ask for more.
DEFAULT_PRESET = KdfParams(time_cost=3, memory_kib=MIN_MEMORY_KIB, parallelism=2, preset="default")

PRESETS: dict[str, KdfParams] = {"test-insecure": TEST_PRESET, "default": DEFAULT_PRESET}


def check_bounds(params: KdfParams) -> None:
    """Refuse parameters no Confide writes, before any derivation runs (see MAX_TIME_COST)."""
    if not (
        params.parallelism >= 1
        and 8 * params.parallelism <= params.memory_kib
        and params.time_cost >= 1
    ):
        raise KdfRefusedError(
            "the key file has impossible key-derivation parameters "
            f"(t={params.time_cost}, m={params.memory_kib} KiB, "
            f"p={params.parallelism}); it is damaged"
        )
    over = [
        what
        for what, bad in (
            (f"t={params.time_cost} > {MAX_TIME_COST}", params.time_cost > MAX_TIME_COST),
            (
                f"m={params.memory_kib // 1024} MiB > {MAX_MEMORY_KIB // 1024} MiB",
                params.memory_kib > MAX_MEMORY_KIB,
            ),
            (f"p={params.parallelism} > {MAX_PARALLELISM}", params.parallelism > MAX_PARALLELISM),
            (
                f"t x m = {params.time_cost * params.memory_kib // (1024 * 1024)} GiB-passes > "
                f"{MAX_WORK_KIB // (1024 * 1024)}",
                params.time_cost * params.memory_kib > MAX_WORK_KIB,
            ),
        )
        if bad
    ]
    if over:
        raise KdfRefusedError(
            f"the key file asks for Argon2id key-derivation parameters beyond any Confide "
            f"writes ({', '.join(over)}); refused before deriving anything: the file was "
            "altered or not made by Confide"
        )


def derive(passphrase: str, salt: bytes, params: KdfParams) -> SecretBytes:
    """Argon2id(passphrase, salt) -> a 32-byte key-encryption key."""
    check_bounds(params)
    try:
        secret = SecretBytes.utf8(passphrase)
    except UnicodeEncodeError:
        raise UsageError("the passphrase contains text that is not valid Unicode") from None
    out = SecretBytes(bytes(KEY_LEN))
    try:
        # argon2's C API straight on our buffers: argon2-cffi's hash_secret_raw copies the
        # passphrase into a cffi array and the key into a bytes, neither of which is wiped.
        # Argon2 wipes its own working memory.
        rv = lib.argon2_hash(
            params.time_cost,
            params.memory_kib,
            params.parallelism,
            ffi.from_buffer(secret.buffer()),
            len(secret),
            salt,
            len(salt),
            ffi.from_buffer(out.buffer()),
            KEY_LEN,
            ffi.NULL,
            0,
            Type.ID.value,
            ARGON2_VERSION,
        )
        if rv != lib.ARGON2_OK:
            raise UsageError(f"key derivation failed: {error_to_str(rv)}")
    except BaseException:
        out.wipe()
        raise
    finally:
        secret.wipe()
    return out


def calibrate(
    target_seconds: float = TARGET_SECONDS, memory_kib: int = MIN_MEMORY_KIB
) -> KdfParams:
    """Pick the time cost that makes one derivation take about `target_seconds` here."""
    if memory_kib > MAX_MEMORY_KIB:
        raise UsageError(
            f"calibration memory above {MAX_MEMORY_KIB // 1024} MiB would make a "
            "vault no Confide opens"
        )
    salt = b"\0" * SALT_LEN
    time_cost = DEFAULT_PRESET.time_cost
    while True:
        params = KdfParams(time_cost, memory_kib, DEFAULT_PRESET.parallelism, "calibrated")
        start = time.perf_counter()
        derive("calibration", salt, params).wipe()
        elapsed = time.perf_counter() - start
        if elapsed >= target_seconds * 0.8 or time_cost >= CALIBRATE_MAX_TIME_COST:
            return params
        # Scale in one step towards the target, then measure once more; never past the
        # calibration ceiling, which the key-file bounds are derived from.
        time_cost = min(
            CALIBRATE_MAX_TIME_COST,
            max(time_cost + 1, int(time_cost * target_seconds / max(elapsed, 1e-3))),
        )
