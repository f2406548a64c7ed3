"""The audit chain's key and anchor, kept in the key file (never in record.db).

The key file's ``extra["audit"]`` holds:

* ``key``: a random 256-bit HMAC key for the audit chain, AES-256-GCM-wrapped under the record
  key (associated data: the vault id). It stays the same across key rotations (disposal
  re-wraps it under the new record key), so every entry's tag checks with one key.
* ``seq`` / ``head``: the newest audit entry the key file has seen (the monotonic counter and
  the chain head), with ``tag`` = HMAC of both under the audit key.

Whoever holds record.db and its SQLCipher key (but not the key file) can no longer rewrite the
chain: each entry's tag needs the audit key. A record.db older than the anchor (a restored copy,
a lost WAL) is behind `seq`; a key file older than what record.db has recorded (`keyfile_seq`
in its meta table) is behind too. Both are reported at unlock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import DamagedFileError
from .keyslots import KeyFile
from .secret import SecretBytes

FIELD = "audit"


@dataclass(frozen=True)
class Anchor:
    """The newest audit entry the key file has seen: (seq, head), authenticated."""

    seq: int
    head: str


def _aad(keyfile: KeyFile) -> bytes:
    # No epoch: each epoch has its own record key already, and a backup's key file copy hides
    # its epoch field.
    return f"confide-audit-key/v1/{keyfile.vault_id}".encode()


def _anchor_tag(audit_key: SecretBytes, vault_id: str, seq: int, head: str) -> str:
    body = f"confide-audit-anchor/v1/{vault_id}/{seq}/{head}".encode()
    return hmac.new(audit_key.reveal(), body, hashlib.sha256).hexdigest()


def has_audit_key(keyfile: KeyFile) -> bool:
    return isinstance(keyfile.extra.get(FIELD), dict)


def new_audit_key() -> SecretBytes:
    return SecretBytes.random(32)


def _wrap(keyfile: KeyFile, record_key: SecretBytes, audit_key: SecretBytes) -> dict[str, str]:
    nonce = secrets.token_bytes(12)
    ct = AESGCM(record_key.reveal()).encrypt(nonce, audit_key.reveal(), _aad(keyfile))
    return {"nonce": base64.b64encode(nonce).decode(), "ct": base64.b64encode(ct).decode()}


def unwrap_audit_key(keyfile: KeyFile, record_key: SecretBytes) -> SecretBytes | None:
    """The audit key, or None for a key file from before audit keys (to be upgraded)."""
    doc = keyfile.extra.get(FIELD)
    if doc is None:
        return None
    try:
        wrapped = doc["key"]
        nonce = base64.b64decode(wrapped["nonce"], validate=True)
        ct = base64.b64decode(wrapped["ct"], validate=True)
        return SecretBytes(AESGCM(record_key.reveal()).decrypt(nonce, ct, _aad(keyfile)))
    except (KeyError, TypeError, ValueError, InvalidTag) as e:
        raise DamagedFileError(
            "the key file's audit key is damaged or does not belong to this vault"
        ) from e


def read_anchor(keyfile: KeyFile, audit_key: SecretBytes) -> Anchor | None:
    """The authenticated anchor; None when none was written yet. A wrong tag is damage."""
    doc = keyfile.extra.get(FIELD)
    if not isinstance(doc, dict) or "seq" not in doc:
        return None
    try:
        seq, head, tag = int(doc["seq"]), str(doc["head"]), str(doc["tag"])
    except (KeyError, TypeError, ValueError) as e:
        raise DamagedFileError("the key file's audit anchor is damaged") from e
    expected = _anchor_tag(audit_key, keyfile.vault_id, seq, head)
    if not hmac.compare_digest(expected, tag):
        raise DamagedFileError("the key file's audit anchor was altered (its tag does not match)")
    return Anchor(seq, head)


def with_audit(
    keyfile: KeyFile,
    record_key: SecretBytes,
    audit_key: SecretBytes,
    anchor: Anchor | None,
    *,
    rewrap: bool = False,
) -> KeyFile:
    """A copy of `keyfile` holding the audit key (wrapped under `record_key`) and `anchor`."""
    # The wrapped key is kept as it is when present (the same key under the same record key):
    # re-wrapping at every anchor move would change the key material's digest each time.
    current = keyfile.extra.get(FIELD)
    wrapped = current.get("key") if isinstance(current, dict) and not rewrap else None
    doc: dict[str, object] = {"key": wrapped or _wrap(keyfile, record_key, audit_key)}
    if anchor is not None:
        doc.update(
            # Fixed width: an archive's copy of the key file must not vary in length with the
            # number of audit entries (an outsider would learn how busy the vault is).
            seq=f"{anchor.seq:020d}",
            head=anchor.head,
            tag=_anchor_tag(audit_key, keyfile.vault_id, anchor.seq, anchor.head),
        )
    return replace(keyfile, extra={**keyfile.extra, FIELD: doc})


def rewrap_for_rotation(
    old: KeyFile, new: KeyFile, old_record_key: SecretBytes, new_record_key: SecretBytes
) -> KeyFile:
    """`new` (the next epoch's key file) with the same audit key and anchor as `old`, the key
    now wrapped under the new record key. A key file without an audit key stays without."""
    audit_key = unwrap_audit_key(old, old_record_key)
    if audit_key is None:
        return new
    try:
        anchor = read_anchor(old, audit_key)
        return with_audit(new, new_record_key, audit_key, anchor, rewrap=True)
    finally:
        audit_key.wipe()


__all__ = [
    "Anchor",
    "has_audit_key",
    "new_audit_key",
    "read_anchor",
    "rewrap_for_rotation",
    "unwrap_audit_key",
    "with_audit",
]


_ANCHOR_FIELDS = ("seq", "head", "tag")


def split_anchor(keyfile: KeyFile) -> tuple[KeyFile, dict[str, str] | None]:
    """The key file without its audit anchor, and the anchor's fields (None: none written).
    A backup keeps the anchor inside its encrypted manifest, so the plain key-file copy in
    its header says nothing of how many entries the log holds."""
    doc = keyfile.extra.get(FIELD)
    if not isinstance(doc, dict) or "seq" not in doc:
        return keyfile, None
    anchor = {k: str(doc[k]) for k in _ANCHOR_FIELDS if k in doc}
    kept = {k: v for k, v in doc.items() if k not in _ANCHOR_FIELDS}
    return replace(keyfile, extra={**keyfile.extra, FIELD: kept}), anchor


def join_anchor(keyfile: KeyFile, anchor: Mapping[str, str] | None) -> KeyFile:
    """The inverse of `split_anchor`."""
    doc = keyfile.extra.get(FIELD)
    if anchor is None or not isinstance(doc, dict):
        return keyfile
    return replace(keyfile, extra={**keyfile.extra, FIELD: {**doc, **anchor}})


def key_material_digest(keyfile: KeyFile) -> str:
    """SHA-256 of the key file without its audit anchor: what changes only when keys, slots
    or the epoch change (the anchor moves at every unlock and lock). Incremental backups use it
    to tell whether an archive is under the current keys."""
    return hashlib.sha256(split_anchor(keyfile)[0].to_bytes()).hexdigest()
