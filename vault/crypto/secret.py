"""Key material held in a bytearray we can overwrite when the vault locks.

Python cannot promise that no other copy exists (the sqlcipher3 PRAGMA needs a str; the crypto
libraries take bytes), so this narrows the window rather than closing it. The README tells users
to run with encrypted swap / full-disk encryption, and the process disables core dumps.
"""

from __future__ import annotations

import contextlib
import secrets


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

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0


def disable_core_dumps() -> None:
    """A core dump of an unlocked process would write keys and note text to disk."""
    try:
        import resource
    except ImportError:  # not POSIX
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
