"""Sealing to a public key (X25519 + HKDF-SHA256 + AES-256-GCM, an ECIES construction).

Anyone holding the public key can seal; only the holder of the private key can open. We use it
where Confide must write something it should not be able to read back without re-authentication:
the recovery slot (so key rotation needs no recovery key) and sealed legal names.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import DamagedFileError
from .secret import SecretBytes

_EPK = 32
_NONCE = 12


def public_key_of(private: SecretBytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(private.reveal())
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _kek(shared: bytes, epk: bytes, recipient: bytes, purpose: bytes) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=epk + recipient, info=b"confide seal/" + purpose
    ).derive(shared)
    return AESGCM(key)


def seal(recipient: bytes, plaintext: bytes, aad: bytes, purpose: bytes) -> bytes:
    """epk || nonce || AES-GCM(ciphertext+tag)."""
    ephemeral = X25519PrivateKey.generate()
    epk = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = secrets.token_bytes(_NONCE)
    return epk + nonce + _kek(shared, epk, recipient, purpose).encrypt(nonce, plaintext, aad)


def open_sealed(private: SecretBytes, blob: bytes, aad: bytes, purpose: bytes) -> bytes:
    """Raises InvalidTag for a wrong key; DamagedFileError for a blob that cannot be one."""
    if len(blob) < _EPK + _NONCE + 16:
        raise DamagedFileError("sealed value is truncated")
    key = X25519PrivateKey.from_private_bytes(private.reveal())
    recipient = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    epk, nonce, ct = blob[:_EPK], blob[_EPK : _EPK + _NONCE], blob[_EPK + _NONCE :]
    shared = key.exchange(X25519PublicKey.from_public_bytes(epk))
    return _kek(shared, epk, recipient, purpose).decrypt(nonce, ct, aad)


__all__ = ["InvalidTag", "open_sealed", "public_key_of", "seal"]
