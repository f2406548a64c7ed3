"""Key material held in a bytearray we can overwrite when the vault locks.

What this buys (issue 10): the data keys reach SQLCipher as bytes through `sqlite3_key`
(`key_literal`, never SQL text), the passphrase's UTF-8 form is built in a buffer we wipe
(`utf8`) and Argon2id reads and writes caller-owned buffers. Python cannot promise that no other
copy exists: a passphrase arrives as a `str`, which cannot be overwritten (the caller's copy lives
until it is garbage-collected, and its memory is reused, not zeroed), and the AEAD and HKDF
calls take transient `bytes`. So this narrows the window rather than closing it; the process is
also made non-dumpable (no core file, no `gcore`, no ptrace by other processes of the user).
"""

from __future__ import annotations

import contextlib
import ctypes
import secrets
import sys

_HEX = b"0123456789abcdef"
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4


class SecretBytes:
    """A fixed-length secret that can be wiped in place."""

    __slots__ = ("_buf",)

    def __init__(self, data: bytes | bytearray) -> None:
        self._buf = bytearray(data)

    @classmethod
    def random(cls, length: int = 32) -> SecretBytes:
        return cls(secrets.token_bytes(length))

    def __len__(self) -> int:
        return len(self._buf)

    def __repr__(self) -> str:
        return f"<SecretBytes len={len(self._buf)}{' wiped' if self.wiped else ''}>"

    @property
    def wiped(self) -> bool:
        return not any(self._buf)

    def reveal(self) -> bytes:
        """A transient bytes copy for a library call. Keep it in a local, never store it."""
        return bytes(self._buf)

    def hex(self) -> str:
        return self._buf.hex()

    def buffer(self) -> memoryview:
        """The live bytes, for a library that reads a buffer (no copy); never keep it."""
        return memoryview(self._buf)

    def key_literal(self) -> bytearray:
        """SQLCipher's raw-key form `x'<64 hex digits>'`, built in a bytearray (no str, so
        the caller can wipe it after `sqlite3_key` copied it into SQLCipher's own memory)."""
        out = bytearray(len(self._buf) * 2 + 3)
        out[0:2], out[-1] = b"x'", ord("'")
        for i, byte in enumerate(self._buf):
            out[2 + 2 * i] = _HEX[byte >> 4]
            out[3 + 2 * i] = _HEX[byte & 0x0F]
        return out

    @classmethod
    def utf8(cls, text: str) -> SecretBytes:
        """`text` encoded as UTF-8 straight into a wipeable buffer. `str.encode` would leave
        the whole secret in a `bytes` nobody can overwrite; here only single characters pass
        through temporaries. Raises UnicodeEncodeError for lone surrogates, as encode does."""
        size = sum(
            1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4 for o in map(ord, text)
        )
        buf = bytearray(size)
        i = 0
        for ch in text:
            code = ord(ch)
            if code < 0x80:
                buf[i] = code
                i += 1
            else:
                one = ch.encode("utf-8")
                buf[i : i + len(one)] = one
                i += len(one)
        secret = cls.__new__(cls)
        secret._buf = buf  # no second copy
        return secret

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0


def wipe_buffer(buf: bytearray) -> None:
    for i in range(len(buf)):
        buf[i] = 0


def disable_core_dumps() -> None:
    """A core dump of an unlocked process would write keys and note text to disk.

    RLIMIT_CORE stops the kernel writing a core file, but `gcore` (and any debugger of the same
    user) reads memory through ptrace regardless: on Linux the process is also made
    non-dumpable (PR_SET_DUMPABLE 0), which refuses both and hides /proc/PID/mem.
    """
    try:
        import resource
    except ImportError:  # not POSIX
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def is_dumpable() -> bool | None:
    """PR_GET_DUMPABLE on Linux; None where it cannot be asked."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return bool(ctypes.CDLL(None, use_errno=True).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
    except (OSError, AttributeError):
        return None
