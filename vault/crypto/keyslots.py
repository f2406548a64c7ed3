"""The key-slot file: the vault's data keys, wrapped, and nothing else.

Layout (fixed 4096 bytes, so a rewrite overwrites the same blocks in place)::

    0   8   magic  b"CNFDKEY1"
    8   4   body length, big-endian
    12  32  SHA-256 of the body (tells "damaged" apart from "wrong passphrase")
    44  n   body: UTF-8 JSON (see below)
    ...     zero padding to 4096

The body names the vault, the key epoch, the Argon2id parameters and salt, and two slots:

* ``passphrase``: each data key AES-256-GCM-wrapped under Argon2id(passphrase, salt).
* ``recovery``: each data key sealed (`sealing.seal`) to an X25519 public key whose private
  half is derived from the recovery key (HKDF). Sealing needs only the public key, so key
  rotation at disposal can re-wrap new keys for the recovery slot without the recovery key.

* ``custodian`` (optional, absent in files from before it): the records custodian's slot, who
  it was issued to (name, role, contact, whether psychotherapy notes are included), a serial,
  its own X25519 public key and the data keys granted, each sealed to that key. The keys not
  granted are not in the slot at all. An HMAC under a key derived from the record key covers
  every field of the slot, so an altered slot (a swapped public key, a grant switched on) is
  refused at the custodian's unlock and before any re-wrap seals new keys to it.

Every wrap's associated data binds vault id, epoch, slot, key name, KDF parameters, salt and the
recovery public key, so a tampered parameter, a swapped recovery key or a slot copied from
another vault fails authentication.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import struct
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import (
    AuthenticationError,
    ConfideError,
    CustodianNotGrantedError,
    DamagedFileError,
    NotAVaultError,
    UsageError,
)
from ..storage import fsutil
from .kdf import SALT_LEN, KdfParams, derive
from .sealing import open_sealed, public_key_of, seal
from .secret import SecretBytes

MAGIC = b"CNFDKEY1"
FILE_SIZE = 4096
MAX_READ = 64 * 1024  # a larger "key file" is damage; never read it whole
HEADER = struct.Struct(">8sI32s")
FORMAT_VERSION = 1
RECOVERY_KEY_BYTES = 20  # 160 bits, shown as 32 base32 characters
_RECOVERY_PURPOSE = b"recovery-slot"
_CUSTODIAN_PURPOSE = b"custodian-slot"
# Who the slot names, in plain words: short, so the slot always fits the fixed-size file.
CUSTODIAN_FIELD_CHARS = {"name": 80, "role": 80, "contact": 160}


class KeyName(StrEnum):
    """The data keys a vault holds."""

    RECORD = "record"  # the general record database
    PNOTES = "pnotes"  # the psychotherapy-notes database
    SEALED = "sealed"  # sealed legal names of pseudonymous clients


ALL_KEYS: tuple[KeyName, ...] = tuple(KeyName)
_KEY_WORDS = {
    KeyName.RECORD: "general record",
    KeyName.PNOTES: "psychotherapy notes",
    KeyName.SEALED: "sealed legal names",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    if not isinstance(text, str):  # parsed JSON: a number or list where base64 belongs
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


# ---------------------------------------------------------------------------- recovery keys


def new_recovery_key() -> str:
    """A fresh recovery key in its printable form: eight groups of four base32 characters."""
    text = base64.b32encode(secrets.token_bytes(RECOVERY_KEY_BYTES)).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str, what: str = "recovery key") -> bytes:
    """Accept the key as printed, in any case, with or without dashes and spaces."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        raw = base64.b32decode(cleaned)
    except ValueError:  # binascii.Error is a ValueError
        raise AuthenticationError(
            f"that is not a {what} (expected 32 letters and digits in groups of four)"
        ) from None
    if len(raw) != RECOVERY_KEY_BYTES:
        raise AuthenticationError(f"that is not a {what} (wrong length)")
    return raw


def _custodian_private(custodian_key: str, vault_id: str, serial: int) -> SecretBytes:
    """The X25519 private key of the custodian slot, derived from the custodian key: bound to
    the vault and the slot's serial, so a sheet from another vault or an earlier issue derives
    another key."""
    return SecretBytes(
        HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=vault_id.encode(),
            info=f"confide custodian x25519/{serial}".encode(),
        ).derive(parse_recovery_key(custodian_key, "custodian key"))
    )


@dataclass(frozen=True)
class CustodianSlot:
    """The custodian's slot as stored: who it was issued to and the granted keys, sealed."""

    serial: int
    issued_at: str
    name: str
    role: str
    contact: str
    pnotes: bool
    public: bytes
    sealed: Mapping[str, str]
    mac: str

    @property
    def granted(self) -> tuple[KeyName, ...]:
        return custodian_grants(self.pnotes)

    def body(self) -> bytes:
        """What the HMAC covers: every field but the HMAC itself, canonical JSON."""
        doc = self.to_json()
        del doc["mac"]
        return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "issued_at": self.issued_at,
            "name": self.name,
            "role": self.role,
            "contact": self.contact,
            "pnotes": self.pnotes,
            "public": _b64(self.public),
            "keys": dict(self.sealed),
            "mac": self.mac,
        }

    @classmethod
    def from_json(cls, doc: Any) -> CustodianSlot:
        if not isinstance(doc, dict):
            raise ValueError("custodian slot is not an object")
        sealed = doc["keys"]
        if not isinstance(sealed, dict) or not all(isinstance(v, str) for v in sealed.values()):
            raise ValueError("custodian keys are not text")
        fields = [doc[k] for k in ("issued_at", "name", "role", "contact", "mac")]
        if not all(isinstance(v, str) for v in fields) or not isinstance(doc["pnotes"], bool):
            raise ValueError("custodian slot fields have the wrong types")
        serial = doc["serial"]
        if not isinstance(serial, int) or isinstance(serial, bool) or serial < 1:
            raise ValueError("custodian serial is not a positive integer")
        return cls(
            serial=serial,
            issued_at=doc["issued_at"],
            name=doc["name"],
            role=doc["role"],
            contact=doc["contact"],
            pnotes=doc["pnotes"],
            public=_unb64(doc["public"]),
            sealed=dict(sealed),
            mac=doc["mac"],
        )


def custodian_grants(pnotes: bool) -> tuple[KeyName, ...]:
    """The data keys a custodian's slot holds: the general record and the sealed legal names
    (a custodian writes to clients by name), the psychotherapy notes only when granted."""
    return (
        (KeyName.RECORD, KeyName.SEALED, KeyName.PNOTES)
        if pnotes
        else (KeyName.RECORD, KeyName.SEALED)
    )


def _custodian_mac_key(record_key: SecretBytes, vault_id: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=vault_id.encode(),
        info=b"confide custodian slot mac",
    ).derive(record_key.reveal())


def _recovery_private(recovery: bytes, vault_id: str) -> SecretBytes:
    """The X25519 private key of the recovery slot, derived from the recovery key."""
    return SecretBytes(
        HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=vault_id.encode(),
            info=b"confide recovery x25519",
        ).derive(recovery)
    )


# ---------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class KeyFile:
    """The parsed, still fully wrapped key-slot file."""

    vault_id: str
    epoch: int
    kdf: KdfParams
    salt: bytes
    recovery_public: bytes
    passphrase_slot: Mapping[str, Mapping[str, str]]
    recovery_slot: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)
    custodian: CustodianSlot | None = None

    # -- building

    @classmethod
    def create(
        cls, passphrase: str, recovery_key: str, kdf: KdfParams, keys: Mapping[KeyName, SecretBytes]
    ) -> KeyFile:
        vault_id = uuid.uuid4().hex
        recovery_public = public_key_of(
            _recovery_private(parse_recovery_key(recovery_key), vault_id)
        )
        blank = cls(
            vault_id=vault_id,
            epoch=1,
            kdf=kdf,
            salt=secrets.token_bytes(SALT_LEN),
            recovery_public=recovery_public,
            passphrase_slot={},
            recovery_slot={},
        )
        return blank.rewrapped(passphrase, keys)

    def rewrapped(
        self,
        passphrase: str,
        keys: Mapping[KeyName, SecretBytes],
        kdf: KdfParams | None = None,
        new_epoch: bool = False,
        kek: SecretBytes | None = None,
        previous_record_key: SecretBytes | None = None,
    ) -> KeyFile:
        """A new file with `keys` wrapped under `passphrase` (fresh salt) and the recovery key.

        Used for init, passphrase change (same keys) and key rotation (new keys, new epoch).
        With `kek` (from `passphrase_kek`, same passphrase) the salt and parameters stay and no
        second Argon2id runs: key rotation at disposal uses that.
        A custodian slot is re-sealed with the keys it was granted, after its HMAC is checked
        under the record key it was made with (`previous_record_key` at a rotation, else
        `keys`' own): an altered slot is refused rather than handed the new keys.
        """
        missing = set(ALL_KEYS) - set(keys)
        if missing:
            raise UsageError(f"cannot write key file without keys: {sorted(missing)}")
        if kek is not None and kdf is not None:
            raise UsageError("new KDF parameters need a fresh derivation, not a given key")
        base = replace(
            self,
            kdf=kdf or self.kdf,
            salt=self.salt if kek is not None else secrets.token_bytes(SALT_LEN),
            epoch=self.epoch + 1 if new_epoch else self.epoch,
        )
        owned = kek is None
        kek = kek if kek is not None else derive(passphrase, base.salt, base.kdf)
        try:
            aead = AESGCM(kek.reveal())
            pass_slot: dict[str, dict[str, str]] = {}
            for name in ALL_KEYS:
                nonce = secrets.token_bytes(12)
                ct = aead.encrypt(nonce, keys[name].reveal(), base._aad("passphrase", name))
                pass_slot[name.value] = {"nonce": _b64(nonce), "ct": _b64(ct)}
        finally:
            if owned:
                kek.wipe()
        rec_keys = {
            name.value: _b64(
                seal(
                    self.recovery_public,
                    keys[name].reveal(),
                    base._aad("recovery", name),
                    _RECOVERY_PURPOSE,
                )
            )
            for name in ALL_KEYS
        }
        rewrapped = replace(base, passphrase_slot=pass_slot, recovery_slot=rec_keys, custodian=None)
        if self.custodian is not None:
            self.check_custodian(previous_record_key or keys[KeyName.RECORD])
            rewrapped = rewrapped.with_custodian(
                keys,
                serial=self.custodian.serial,
                issued_at=self.custodian.issued_at,
                name=self.custodian.name,
                role=self.custodian.role,
                contact=self.custodian.contact,
                pnotes=self.custodian.pnotes,
                public=self.custodian.public,
            )
        return rewrapped

    # -- the custodian slot

    def _custodian_aad(self, name: KeyName, public: bytes, serial: int) -> bytes:
        return self._aad("custodian", name) + f"/{_b64(public)}/{serial}".encode()

    def with_custodian(
        self,
        keys: Mapping[KeyName, SecretBytes],
        *,
        serial: int,
        issued_at: str,
        name: str,
        role: str,
        contact: str,
        pnotes: bool,
        public: bytes | None = None,
        custodian_key: str | None = None,
    ) -> KeyFile:
        """A copy with a custodian slot holding only the granted keys, sealed to the public key
        derived from `custodian_key` (a new designation) or to `public` (a re-wrap)."""
        if public is None:
            if custodian_key is None:
                raise UsageError("a custodian slot needs the custodian key or its public key")
            private = _custodian_private(custodian_key, self.vault_id, serial)
            try:
                public = public_key_of(private)
            finally:
                private.wipe()
        granted = custodian_grants(pnotes)
        sealed = {
            key.value: _b64(
                seal(
                    public,
                    keys[key].reveal(),
                    self._custodian_aad(key, public, serial),
                    _CUSTODIAN_PURPOSE,
                )
            )
            for key in granted
        }
        slot = CustodianSlot(serial, issued_at, name, role, contact, pnotes, public, sealed, "")
        mac = hmac.new(
            _custodian_mac_key(keys[KeyName.RECORD], self.vault_id), slot.body(), hashlib.sha256
        ).hexdigest()
        return replace(self, custodian=replace(slot, mac=mac))

    def without_custodian(self) -> KeyFile:
        return replace(self, custodian=None)

    def check_custodian(self, record_key: SecretBytes) -> None:
        """Raise DamagedFileError unless the custodian slot is as Confide wrote it."""
        slot = self.custodian
        if slot is None:
            return
        expected = hmac.new(
            _custodian_mac_key(record_key, self.vault_id), slot.body(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, slot.mac):
            raise DamagedFileError(
                "the key file's custodian slot was altered outside Confide; revoke the "
                "custodian and designate again"
            )

    def unwrap_with_custodian(
        self, custodian_key: str, names: Iterable[KeyName]
    ) -> dict[KeyName, SecretBytes]:
        """The granted data keys, opened with the custodian key. A key not granted is not in
        the slot: CustodianNotGrantedError, whatever the caller asks."""
        slot = self.custodian
        if slot is None:
            parse_recovery_key(custodian_key, "custodian key")
            raise AuthenticationError(
                "no custodian is designated for this vault (or it was revoked)"
            )
        private = _custodian_private(custodian_key, self.vault_id, slot.serial)
        opened: dict[KeyName, SecretBytes] = {}
        try:
            if public_key_of(private) != slot.public:
                raise AuthenticationError("wrong custodian key (or one re-issued or revoked since)")
            for name in names:
                if name.value not in slot.sealed:
                    raise CustodianNotGrantedError(
                        f"the custodian was not granted the {_KEY_WORDS[name]}"
                    )
                try:
                    blob = _unb64(slot.sealed[name.value])
                    opened[name] = SecretBytes(
                        open_sealed(
                            private,
                            blob,
                            self._custodian_aad(name, slot.public, slot.serial),
                            _CUSTODIAN_PURPOSE,
                        )
                    )
                except (ValueError, TypeError, InvalidTag) as e:
                    raise DamagedFileError("the key file's custodian slot is damaged") from e
            if KeyName.RECORD in opened:
                self.check_custodian(opened[KeyName.RECORD])
            return opened
        except BaseException:
            wipe_keys(opened)
            raise
        finally:
            private.wipe()

    def _aad(self, slot: str, name: KeyName, *, legacy: bool = False) -> bytes:
        # The recovery public key is bound too: the file's checksum is no MAC, and a swapped
        # public key would otherwise receive every key re-wrapped later (passphrase change,
        # rotation at disposal) sealed to whoever holds its private half. `legacy` is the
        # pre-release form without it, used only to explain a refusal.
        params = json.dumps(self.kdf.to_json(), sort_keys=True)
        text = (
            f"confide-keys/v{FORMAT_VERSION}/{self.vault_id}/{self.epoch}/{slot}/"
            f"{name.value}/{params}/{_b64(self.salt)}"
        )
        return (text if legacy else f"{text}/{_b64(self.recovery_public)}").encode()

    # -- unwrapping

    def unwrap_with_passphrase(
        self, passphrase: str, names: Iterable[KeyName]
    ) -> dict[KeyName, SecretBytes]:
        kek = derive(passphrase, self.salt, self.kdf)
        try:
            aead = AESGCM(kek.reveal())
            return {
                name: self._open(aead, "passphrase", name, self.passphrase_slot) for name in names
            }
        except InvalidTag:
            raise self._refusal(aead) from None
        finally:
            kek.wipe()

    def passphrase_kek(self, passphrase: str) -> SecretBytes:
        """Argon2id(passphrase) under this file's salt, checked against the slots: one
        derivation for both unwrapping (`unwrap_with_kek`) and rewrapping (`rewrapped(kek=)`).
        The caller wipes it."""
        kek = derive(passphrase, self.salt, self.kdf)
        try:
            wipe_keys(self.unwrap_with_kek(kek, [KeyName.RECORD]))
        except BaseException:
            kek.wipe()
            raise
        return kek

    def unwrap_with_kek(
        self, kek: SecretBytes, names: Iterable[KeyName]
    ) -> dict[KeyName, SecretBytes]:
        try:
            aead = AESGCM(kek.reveal())
            return {
                name: self._open(aead, "passphrase", name, self.passphrase_slot) for name in names
            }
        except InvalidTag:
            raise self._refusal(aead) from None

    def _refusal(self, aead: AESGCM) -> ConfideError:
        """Why the passphrase slot did not open: a wrong passphrase, or (the passphrase was
        right) a key file from before the recovery public key was bound into the slots,
        which is refused rather than trusted, since its recovery key may have been swapped."""
        try:
            entry = self.passphrase_slot[KeyName.RECORD.value]
            aead.decrypt(
                _unb64(entry["nonce"]),
                _unb64(entry["ct"]),
                self._aad("passphrase", KeyName.RECORD, legacy=True),
            )
        except (InvalidTag, KeyError, TypeError, ValueError):
            return AuthenticationError("wrong passphrase")
        return DamagedFileError(
            "this key file was written by a pre-release Confide whose key "
            "slots are no longer accepted; recreate the vault"
        )

    def unwrap_with_recovery(
        self, recovery_key: str, names: Iterable[KeyName]
    ) -> dict[KeyName, SecretBytes]:
        private = _recovery_private(parse_recovery_key(recovery_key), self.vault_id)
        try:
            if public_key_of(private) != self.recovery_public:
                raise AuthenticationError("wrong recovery key")
            opened: dict[KeyName, SecretBytes] = {}
            for name in names:
                try:
                    blob = _unb64(self.recovery_slot[name.value])
                    opened[name] = SecretBytes(
                        open_sealed(private, blob, self._aad("recovery", name), _RECOVERY_PURPOSE)
                    )
                except (KeyError, ValueError, TypeError, InvalidTag) as e:
                    raise DamagedFileError("the key file's recovery slot is damaged") from e
            return opened
        finally:
            private.wipe()

    # -- a copy whose epoch field is hidden (a backup's header carries it so)

    def _epochs(self, slot: str, name: KeyName, max_epoch: int) -> Iterable[tuple[int, bytes]]:
        """(epoch, associated data) for epochs 1..max_epoch, built from one template."""
        one = replace(self, epoch=1)._aad(slot, name).decode()
        marker = f"/{self.vault_id}/1/"
        head, _, tail = one.partition(marker)
        for epoch in range(1, max_epoch + 1):
            yield epoch, f"{head}/{self.vault_id}/{epoch}/{tail}".encode()

    def unwrap_any_epoch(
        self,
        names: Iterable[KeyName],
        max_epoch: int,
        *,
        kek: SecretBytes | None = None,
        recovery_key: str | None = None,
    ) -> tuple[int, dict[KeyName, SecretBytes]]:
        """Unwrap with the passphrase key (`kek`) or the recovery key, the epoch unknown: each
        wrap binds its epoch, so one AEAD attempt per candidate finds it. Returns the epoch
        and the keys."""
        names = list(names)
        if kek is not None:
            entry = self.passphrase_slot.get(KeyName.RECORD.value, {})
            try:
                nonce, ct = _unb64(entry["nonce"]), _unb64(entry["ct"])
            except (KeyError, ValueError, TypeError) as e:
                raise DamagedFileError("key file has no readable record key") from e
            aead = AESGCM(kek.reveal())
            for epoch, aad in self._epochs("passphrase", KeyName.RECORD, max_epoch):
                try:
                    wipe_keys({KeyName.RECORD: SecretBytes(aead.decrypt(nonce, ct, aad))})
                except (InvalidTag, ValueError):
                    continue
                return epoch, replace(self, epoch=epoch).unwrap_with_kek(kek, names)
            raise AuthenticationError("wrong passphrase")
        if recovery_key is None:
            raise UsageError("give the passphrase key or the recovery key")
        private = _recovery_private(parse_recovery_key(recovery_key), self.vault_id)
        try:
            if public_key_of(private) != self.recovery_public:
                raise AuthenticationError("wrong recovery key")
            try:
                blob = _unb64(self.recovery_slot[KeyName.RECORD.value])
            except (KeyError, ValueError, TypeError) as e:
                raise DamagedFileError("the key file's recovery slot is damaged") from e
            for epoch, aad in self._epochs("recovery", KeyName.RECORD, max_epoch):
                try:
                    wipe_keys(
                        {
                            KeyName.RECORD: SecretBytes(
                                open_sealed(private, blob, aad, _RECOVERY_PURPOSE)
                            )
                        }
                    )
                except InvalidTag:
                    continue
                except ValueError as e:  # not a point on the curve: no epoch will open it
                    raise DamagedFileError("the key file's recovery slot is damaged") from e
                return epoch, replace(self, epoch=epoch).unwrap_with_recovery(recovery_key, names)
            raise DamagedFileError("the key file's recovery slot opens under no key epoch")
        finally:
            private.wipe()

    def _open(
        self, aead: AESGCM, slot: str, name: KeyName, wrapped: Mapping[str, Mapping[str, str]]
    ) -> SecretBytes:
        try:
            entry = wrapped[name.value]
            nonce, ct = _unb64(entry["nonce"]), _unb64(entry["ct"])
        except (KeyError, ValueError, TypeError) as e:
            raise DamagedFileError(f"key file has no readable {name.value} key") from e
        try:
            return SecretBytes(aead.decrypt(nonce, ct, self._aad(slot, name)))
        except ValueError as e:  # a nonce of impossible length: damage, not a wrong passphrase
            raise DamagedFileError(f"key file has no readable {name.value} key") from e

    # -- serialisation

    def to_bytes(self) -> bytes:
        body = json.dumps(
            {
                "format": FORMAT_VERSION,
                "vault_id": self.vault_id,
                "epoch": self.epoch,
                "kdf": {**self.kdf.to_json(), "salt": _b64(self.salt)},
                "recovery_public": _b64(self.recovery_public),
                "slots": {
                    "passphrase": self.passphrase_slot,
                    "recovery": self.recovery_slot,
                    **({"custodian": self.custodian.to_json()} if self.custodian else {}),
                },
                **({"extra": dict(self.extra)} if self.extra else {}),
            },
            sort_keys=True,
            # A custodian's name in UTF-8 rather than \\u escapes: up to 4 bytes a character
            # instead of 12, so the fixed-size file always holds the slot.
            ensure_ascii=False,
        ).encode("utf-8")
        header = HEADER.pack(MAGIC, len(body), hashlib.sha256(body).digest())
        if HEADER.size + len(body) > FILE_SIZE:
            raise UsageError("key file content too large")
        return (header + body).ljust(FILE_SIZE, b"\0")

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyFile:
        if len(data) > MAX_READ:
            raise DamagedFileError(
                f"the key file is damaged (over {MAX_READ // 1024} KiB; a "
                f"key file is {FILE_SIZE} bytes); restore it from a backup"
            )
        if not data.strip(b"\0"):
            # Empty or zeroed (a crash on a filesystem that lost the data): damage, not a
            # stranger's file; say so, so nobody takes the folder for "not a vault".
            raise DamagedFileError("the key file is empty (damaged); restore it from a backup")
        if len(data) < HEADER.size or not data.startswith(MAGIC):
            raise NotAVaultError("not a Confide key file")
        _, length, digest = HEADER.unpack_from(data)
        body = data[HEADER.size : HEADER.size + length]
        if len(body) != length or hashlib.sha256(body).digest() != digest:
            raise DamagedFileError(
                "the key file is damaged (checksum mismatch); restore it from a backup"
            )
        try:
            doc = json.loads(body.decode("utf-8"))
            if doc["format"] != FORMAT_VERSION:
                raise DamagedFileError(f"key file format {doc['format']} is not supported")
            kdf_doc = doc["kdf"]
            return cls(
                vault_id=str(doc["vault_id"]),
                epoch=int(doc["epoch"]),
                kdf=KdfParams.from_json(kdf_doc),
                salt=_unb64(kdf_doc["salt"]),
                recovery_public=_unb64(doc["recovery_public"]),
                passphrase_slot=doc["slots"]["passphrase"],
                recovery_slot=doc["slots"]["recovery"],
                extra=doc.get("extra", {}),
                custodian=(
                    CustodianSlot.from_json(doc["slots"]["custodian"])
                    if "custodian" in doc["slots"]
                    else None
                ),
            )
        except (
            KeyError,
            TypeError,
            ValueError,
            UnicodeDecodeError,
            OverflowError,
            RecursionError,
        ) as e:
            # OverflowError: JSON's Infinity as an integer; RecursionError: deep nesting. The
            # checksum is no MAC, so anyone can hand us such a file.
            raise DamagedFileError("the key file is damaged (unreadable content)") from e

    # -- disk

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        """Read the key file, falling back to a complete pending rewrite if the main copy broke."""
        pending = fsutil.pending_path(path)
        if not path.exists() and pending.exists():
            # A crash while the very first key file was written (init): only .pending is whole.
            data = fsutil.read_bytes(pending, MAX_READ)
            recovered = cls.from_bytes(data)
            fsutil.complete_pending(path, data)
            return recovered
        try:
            return cls.from_bytes(fsutil.read_bytes(path, MAX_READ))
        except (DamagedFileError, NotAVaultError) as first:
            if pending.exists():
                with contextlib.suppress(DamagedFileError, NotAVaultError):
                    data = fsutil.read_bytes(pending, MAX_READ)
                    recovered = cls.from_bytes(data)
                    # Not save(): that would zero the only good copy before rewriting it.
                    fsutil.complete_pending(path, data)
                    return recovered
            raise first

    def save(self, path: Path) -> None:
        """Write durably, overwriting the old slots in place so no old wrapped key survives."""
        fsutil.overwrite_in_place(path, self.to_bytes())


def new_data_keys() -> dict[KeyName, SecretBytes]:
    return {name: SecretBytes.random(32) for name in ALL_KEYS}


def wipe_keys(keys: Mapping[KeyName, SecretBytes]) -> None:
    for key in keys.values():
        key.wipe()


def derive_subkey(key: SecretBytes, salt: bytes, info: bytes) -> SecretBytes:
    """A 256-bit key for one purpose (HKDF-SHA256), so the data key itself is never handed out.

    Backups derive their archive keys this way from the record key: the same derivation works
    from the unlocked vault and, on a fresh machine, from the key file copied into the archive.
    """
    return SecretBytes(
        HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key.reveal())
    )


def key_file_exists(path: Path) -> bool:
    return path.exists() or fsutil.pending_path(path).exists()


__all__ = [
    "ALL_KEYS",
    "CUSTODIAN_FIELD_CHARS",
    "CustodianSlot",
    "KeyFile",
    "KeyName",
    "derive_subkey",
    "key_file_exists",
    "new_data_keys",
    "custodian_grants",
    "new_recovery_key",
    "parse_recovery_key",
    "wipe_keys",
]
