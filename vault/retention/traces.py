"""What a later `dispose verify` searches for: the stored fingerprints of a disposal whose backup
purge is still pending (issue 10 item 7). See docs/ARCHITECTURE.md, "Disposal".

A disposal's fingerprints (names, note text around words only its clients had) live in memory
for the run. When a drive was absent its old archives are purged later, and the verification
after that purge must still be able to look for the client's content, not only trust
overwrite-then-unlink. So, while a disposal has a pending purge, what verification needs is
kept as keyed hashes (BLAKE2b, 128-bit, under a random 256-bit key K): each name and, for each
distinctive word, the shingle of it and the two words after it, as word sequences (`words`),
with the byte lengths of their first words (so a search hashes only words of those lengths).
No text is kept, and without K the hashes cannot even be tested against a guessed name.

K and the hashes live in one file beside the databases, `disposal-traces.sealed`, AES-256-GCM
under a key derived from the current record key (so it opens only in the unlocked vault and is
re-sealed at each key rotation). It is not part of any backup (archives hold the two databases
and the key file only), so no copy of K leaves the vault folder. When the verification after a
disposal's last pending purge found none of its content, its entry is dropped, and with the last
entry the file is overwritten and unlinked: K is gone, the hashes (in memory) go with the call,
and later verifications say the content can no longer be checked.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..crypto.forensics import words
from ..errors import ConfideError
from ..storage.database import now_utc
from ..storage.fsutil import fsync_dir, secure_unlink, write_new_file

if TYPE_CHECKING:
    from ..vault import Vault

TRACES_FILE = "disposal-traces.sealed"
_INFO = b"confide disposal traces v1"
MAX_WORDS = 6  # a longer name is kept by its first six words
_CHAR = rb"[A-Za-z0-9\x80-\xff]"  # a word character of `forensics.words`
_WINDOW = 1024  # bytes read after a matching first word: room for MAX_WORDS words


def _hash(key: bytes, seq: Iterable[bytes]) -> bytes:
    return blake2b(b" ".join(seq), key=key, digest_size=16).digest()


@dataclass
class DisposalTraces:
    """One disposal's stored fingerprints: hashes of word sequences, by their length."""

    disposal_id: int
    recorded_at: str
    names: int = 0
    shingles: int = 0
    firsts: set[bytes] = field(default_factory=set)  # hash of each sequence's first word
    first_lengths: set[int] = field(default_factory=set)  # byte length of those words
    needles: dict[int, set[bytes]] = field(default_factory=dict)  # length -> hashes

    def to_json(self) -> dict[str, Any]:
        return {
            "disposal_id": self.disposal_id,
            "recorded_at": self.recorded_at,
            "names": self.names,
            "shingles": self.shingles,
            "firsts": sorted(h.hex() for h in self.firsts),
            "first_lengths": sorted(self.first_lengths),
            "needles": {str(k): sorted(h.hex() for h in v) for k, v in self.needles.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DisposalTraces:
        return cls(
            int(data["disposal_id"]),
            str(data["recorded_at"]),
            int(data["names"]),
            int(data["shingles"]),
            {bytes.fromhex(h) for h in data["firsts"]},
            {int(n) for n in data["first_lengths"]},
            {int(k): {bytes.fromhex(h) for h in v} for k, v in data["needles"].items()},
        )

    def describe(self) -> str:
        return f"{self.names} names and {self.shingles} note-text shingles (keyed hashes)"


class StoredTraces:
    """The sealed file's content: K and every disposal's traces still needed."""

    def __init__(
        self, key: bytes | None = None, entries: dict[int, DisposalTraces] | None = None
    ) -> None:
        self.key = key or os.urandom(32)
        self.entries = entries or {}

    def add(
        self, disposal_id: int, names: Iterable[bytes], sequences: Iterable[tuple[bytes, ...]]
    ) -> DisposalTraces:
        entry = DisposalTraces(disposal_id, now_utc())
        for seq in [tuple(words(n))[:MAX_WORDS] for n in names]:
            if seq:
                self._put(entry, seq)
                entry.names += 1
        for seq in sequences:
            if seq:
                self._put(entry, tuple(seq)[:MAX_WORDS])
                entry.shingles += 1
        self.entries[disposal_id] = entry
        return entry

    def _put(self, entry: DisposalTraces, seq: tuple[bytes, ...]) -> None:
        entry.firsts.add(_hash(self.key, seq[:1]))
        entry.first_lengths.add(len(seq[0]))
        entry.needles.setdefault(len(seq), set()).add(_hash(self.key, seq))

    def scanner(self) -> TraceScanner:
        return TraceScanner(self)

    def wipe(self) -> None:
        self.key = bytes(32)
        self.entries.clear()


class TraceScanner:
    """Searches plaintext for every stored disposal's sequences. Only words of a stored first
    word's length are hashed (each distinct word once per chunk), the sequences only where a
    first word matches. Chunks are searched one by one (a sequence cut by a chunk boundary,
    every 4 MiB of pages, is not found)."""

    def __init__(self, traces: StoredTraces) -> None:
        self._key = traces.key
        self._entries = list(traces.entries.values())
        self._firsts: set[bytes] = set()
        self._first_lengths: set[int] = set()
        for e in self._entries:
            self._firsts |= e.firsts
            self._first_lengths |= e.first_lengths
        self._lengths = sorted({n for e in self._entries for n in e.needles})
        alternatives = b"|".join(b"%s{%d}" % (_CHAR, n) for n in sorted(self._first_lengths))
        self._candidates = re.compile(
            b"(?<!%s)(?:%s)(?!%s)" % (_CHAR, alternatives or b"(?!)", _CHAR)
        )
        self.found: dict[int, int] = {e.disposal_id: 0 for e in self._entries}
        self.bytes = 0

    def feed(self, chunk: bytes) -> int:
        """Search one chunk; returns how many sequences were found in it."""
        self.bytes += len(chunk)
        if not self._entries:
            return 0
        key, firsts = self._key, self._firsts
        starts: dict[bytes, bool] = {}
        hits = 0
        # The regex engine finds the words of a first word's length; Python sees only those.
        for match in self._candidates.finditer(chunk):
            w = match.group().lower()
            start = starts.get(w)
            if start is None:
                start = starts[w] = blake2b(w, key=key, digest_size=16).digest() in firsts
            if not start:
                continue
            seq = words(chunk[match.start() : match.start() + _WINDOW])
            for n in self._lengths:
                if n > len(seq):
                    break
                digest = _hash(key, seq[:n])
                for entry in self._entries:
                    if digest in entry.needles.get(n, ()):
                        self.found[entry.disposal_id] += 1
                        hits += 1
        return hits


def _seal_key(vault: Vault) -> bytes:
    sub = vault.derive_subkey(vault.vault_id.encode(), _INFO)
    try:
        return bytes(sub.reveal())
    finally:
        sub.wipe()


def path_of(vault: Vault) -> Path:
    return vault.folder / TRACES_FILE


class TracesUnreadable(ConfideError):
    """The file is there but does not open under the current key (an interrupted disposal)."""


def load(vault: Vault) -> StoredTraces | None:
    """The stored traces, or None when there are none. TracesUnreadable if sealed otherwise."""
    path = path_of(vault)
    if not path.exists():
        return None
    blob = path.read_bytes()
    try:
        plain = AESGCM(_seal_key(vault)).decrypt(blob[:12], blob[12:], vault.vault_id.encode())
    except (InvalidTag, ValueError):
        raise TracesUnreadable(str(path)) from None
    data = json.loads(plain)
    return StoredTraces(
        bytes.fromhex(data["key"]),
        {int(k): DisposalTraces.from_json(v) for k, v in data["entries"].items()},
    )


def save(vault: Vault, traces: StoredTraces) -> None:
    """Seal and write the traces (replacing the file), or remove it when none are left."""
    path = path_of(vault)
    if not traces.entries:
        destroy(vault)
        return
    body = json.dumps(
        {
            "key": traces.key.hex(),
            "entries": {str(k): v.to_json() for k, v in traces.entries.items()},
        },
        sort_keys=True,
    ).encode()
    nonce = os.urandom(12)
    blob = nonce + AESGCM(_seal_key(vault)).encrypt(nonce, body, vault.vault_id.encode())
    partial = path.with_name(path.name + ".new")
    if partial.exists():
        secure_unlink(partial)
    write_new_file(partial, blob)
    if path.exists():
        secure_unlink(path)  # the old sealed copy: overwritten, not left in free blocks
    os.replace(partial, path)
    fsync_dir(path.parent)


def destroy(vault: Vault) -> None:
    """Overwrite and unlink the file: K is gone, the stored hashes can never be checked again."""
    for path in (path_of(vault), path_of(vault).with_name(TRACES_FILE + ".new")):
        if path.exists():
            secure_unlink(path)


__all__ = [
    "TRACES_FILE",
    "DisposalTraces",
    "StoredTraces",
    "TraceScanner",
    "TracesUnreadable",
    "destroy",
    "load",
    "save",
]
