"""The archive file format: a plain header, then AES-256-GCM chunks, then an encrypted manifest.

See `backup/FORMAT.md` for the byte layout and the reasoning. This module knows nothing about
vaults, drives or catalogs: it writes sections from readable streams and reads them back into
writable sinks (or nowhere, to verify), reporting any damage with the section, chunk and offset.
Memory use is one chunk (1 MiB) whatever the archive size.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.crypto.keyslots import KeyFile
from vault.crypto.secret import SecretBytes
from vault.errors import DamagedFileError, KdfRefusedError, NotAVaultError

from .errors import BackupDamagedError, NotABackupError

MAGIC = b"CNFDBAK1"
FORMAT_VERSION = 3
READABLE_FORMATS = (1, 2, 3)
CHUNK_SIZE = 1 << 20
MIN_CHUNK, MAX_CHUNK = 4096, 1 << 24
PREFIX = struct.Struct(">8sI")  # magic, header length
FRAME = struct.Struct(">HIBI")  # section index, chunk index, flags, ciphertext length
FLAG_FINAL = 0x01
MAC_LEN = 32
TAG_LEN = 16
MAX_HEADER = 64 * 1024
MANIFEST = "manifest"
# Format 3 (page-level incremental backups, see FORMAT.md): the first section is the index (the
# archive's kind, its base, and a tag per database page); an incremental's database sections
# hold only the changed pages and are named "<database>.pages".
INDEX = "index"
PAGES_SUFFIX = ".pages"
ARCHIVE_ID_LEN = 16
# Format 2 pads every section to a size class (see FORMAT.md, "Lengths"): its plaintext is an
# 8-byte true length, the data, then zeros up to the class of (8 + length).
SIZE_PREFIX = struct.Struct(">Q")
SECTION_FLOOR = 1 << 20
MANIFEST_FLOOR = 64 << 10
STEP_BITS = 3  # 2**3 = 8 size classes per doubling

CIPHER = "AES-256-GCM"
KEY_DERIVATION = "HKDF-SHA256 from the vault's 256-bit record key, salted with the archive id"


def section_floor(name: str) -> int:
    """The smallest size class of a section: the manifest, the index and an incremental's
    pages are small (64 KiB); a whole database is padded to at least 1 MiB."""
    if name in (MANIFEST, INDEX) or name.endswith(PAGES_SUFFIX):
        return MANIFEST_FLOOR
    return SECTION_FLOOR


def _info(vault_id: str, purpose: str, version: int) -> bytes:
    return f"confide-backup/v{version}/{vault_id}/{purpose}".encode()


def size_class(n: int, floor: int = SECTION_FLOOR) -> int:
    """`n` rounded up to its class: `floor`, or the next of eight steps per doubling (so
    padding costs at most 12.5%, about 6% on average, and a length tells only its class)."""
    if n <= floor:
        return floor
    step = 1 << max(0, n.bit_length() - 1 - STEP_BITS)
    return -(-n // step) * step


class KeyDeriver(Protocol):
    """Derives a purpose-bound key from the record key: `Vault.derive_subkey` or the same
    derivation over a record key unwrapped from the archive's key-file copy."""

    def __call__(self, salt: bytes, info: bytes) -> SecretBytes: ...


@dataclass
class ArchiveKeys:
    """The two keys of one archive: chunk encryption and the header MAC."""

    aead: SecretBytes
    mac: SecretBytes

    @classmethod
    def derive(
        cls, derive: KeyDeriver, archive_id: bytes, vault_id: str, version: int = FORMAT_VERSION
    ) -> ArchiveKeys:
        return cls(
            derive(archive_id, _info(vault_id, "chunks", version)),
            derive(archive_id, _info(vault_id, "header-mac", version)),
        )

    def wipe(self) -> None:
        self.aead.wipe()
        self.mac.wipe()


@dataclass(frozen=True)
class ArchiveHeader:
    """What is readable without a key: enough to find the key, nothing about clients.

    Format 2 leaves out the key epoch (`key_epoch` is None; the manifest has it) and carries
    the key file with its epoch field zeroed (the wrapped keys still bind the real epoch).
    """

    archive_id: bytes
    vault_id: str
    key_epoch: int | None
    sections: tuple[str, ...]
    key_file: bytes
    chunk_size: int = CHUNK_SIZE
    format: int = FORMAT_VERSION

    @classmethod
    def new(
        cls,
        vault_id: str,
        key_epoch: int | None,
        sections: Sequence[str],
        key_file: bytes,
        chunk_size: int = CHUNK_SIZE,
        format: int = FORMAT_VERSION,
    ) -> ArchiveHeader:
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
            raise ValueError(f"chunk size must be between {MIN_CHUNK} and {MAX_CHUNK}")
        if format not in READABLE_FORMATS or (format == 1) != (key_epoch is not None):
            raise ValueError("format 1 names the key epoch in its header; format 2 does not")
        return cls(
            secrets.token_bytes(ARCHIVE_ID_LEN),
            vault_id,
            key_epoch,
            (*sections, MANIFEST),
            key_file,
            chunk_size,
            format,
        )

    @property
    def archive_hex(self) -> str:
        return self.archive_id.hex()

    @property
    def padded(self) -> bool:
        return self.format >= 2

    def to_bytes(self) -> bytes:
        doc: dict[str, Any] = {
            "format": self.format,
            "archive_id": self.archive_id.hex(),
            "vault_id": self.vault_id,
            "cipher": CIPHER,
            "chunk_size": self.chunk_size,
            "sections": list(self.sections),
            "key_file": base64.b64encode(self.key_file).decode("ascii"),
        }
        if self.format == 1:
            doc["key_epoch"] = self.key_epoch
        return json.dumps(doc, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> ArchiveHeader:
        try:
            doc = json.loads(data.decode("utf-8"))
            version = doc["format"]
            if version not in READABLE_FORMATS:
                raise NotABackupError(
                    f"backup format {version} is not supported by this version of Confide"
                )
            header = cls(
                bytes.fromhex(doc["archive_id"]),
                str(doc["vault_id"]),
                int(doc["key_epoch"]) if version == 1 else None,
                tuple(str(s) for s in doc["sections"]),
                base64.b64decode(doc["key_file"], validate=True),
                int(doc["chunk_size"]),
                int(version),
            )
        except (
            KeyError,
            TypeError,
            ValueError,
            UnicodeDecodeError,
            AttributeError,
            OverflowError,
            RecursionError,
        ):
            # Unauthenticated bytes from any drive: JSON's Infinity as an integer overflows,
            # thousands of nested brackets exhaust the recursion limit.
            raise BackupDamagedError(
                "the backup header is damaged (unreadable)", section="header", offset=PREFIX.size
            ) from None
        if (
            len(header.archive_id) != ARCHIVE_ID_LEN
            or not header.sections
            or header.sections[-1] != MANIFEST
            or not MIN_CHUNK <= header.chunk_size <= MAX_CHUNK
            or len(header.sections) > 64
        ):
            raise BackupDamagedError(
                "the backup header is damaged (impossible values)",
                section="header",
                offset=PREFIX.size,
            )
        return header


def _nonce(section: int, chunk: int) -> bytes:
    # Unique per (archive key, section, chunk): each archive has its own key.
    return struct.pack(">IQ", section, chunk)


def _aad(header_digest: bytes, frame: bytes) -> bytes:
    return MAGIC + header_digest + frame[: FRAME.size - 4]


@dataclass
class SectionInfo:
    name: str
    size: int = 0
    chunks: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "chunks": self.chunks}


def _skeleton_update(skeleton: Any, frame: bytes, ct: bytes) -> None:
    # The archive digest covers every frame and GCM tag, not the ciphertext bodies: once every
    # tag has verified under the archive key, the tags pin the bodies, and hashing 16 bytes per
    # chunk instead of the whole file halves the cost of a backup (see FORMAT.md).
    skeleton.update(frame)
    skeleton.update(ct[-TAG_LEN:])


Progress = Callable[[int], None]
"""Called with the number of bytes just processed."""


def padded_length(size: int, floor: int = SECTION_FLOOR) -> int:
    """The plaintext length of a format-2 section holding `size` bytes."""
    return size_class(SIZE_PREFIX.size + size, floor)


class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


class _PaddedSource:
    """A section's format-2 plaintext: its true length, its bytes, zeros up to the class."""

    def __init__(self, source: BinaryIO, size: int, floor: int) -> None:
        self._source = source
        self._head = SIZE_PREFIX.pack(size)
        self._size = size
        self._left = padded_length(size, floor) - SIZE_PREFIX.size
        self.data = 0  # bytes of the source delivered so far

    def read(self, n: int) -> bytes:
        out = bytearray(self._head[:n])
        self._head = self._head[n:]
        while len(out) < n and self.data < self._size:
            more = self._source.read(min(n - len(out), self._size - self.data))
            if not more:
                raise ValueError("a section's source ended before its stated size")
            out += more
            self.data += len(more)
            self._left -= len(more)
        pad = min(n - len(out), self._left - (self._size - self.data))
        if pad > 0:
            out += bytes(pad)
            self._left -= pad
        return bytes(out)


class _CountingWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.offset = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = self._out.write(view)
            if n is None:  # a raw stream in non-blocking mode; ours never is
                n = len(view)
            view = view[n:]
        self.offset += len(data)


class ArchiveWriter:
    """Streams sections into `out`; `finish()` appends the manifest and returns the file digest."""

    def __init__(self, out: BinaryIO, header: ArchiveHeader, keys: ArchiveKeys) -> None:
        self.header = header
        self._out = _CountingWriter(out)
        self._aead = AESGCM(keys.aead.reveal())
        header_bytes = header.to_bytes()
        prefix = PREFIX.pack(MAGIC, len(header_bytes)) + header_bytes
        self._header_digest = hashlib.sha256(prefix).digest()
        mac = hmac.new(keys.mac.reveal(), prefix, hashlib.sha256).digest()
        self._out.write(prefix + mac)
        self._skeleton = hashlib.sha256(prefix + mac)
        self._next = 0
        self.sections: list[SectionInfo] = []

    @property
    def bytes_written(self) -> int:
        return self._out.offset

    def write_section(
        self, name: str, source: BinaryIO, progress: Progress | None = None, size: int | None = None
    ) -> SectionInfo:
        """Stream `source` as the next section; format 2 needs its exact `size` up front (the
        true length leads the padded plaintext)."""
        index = self._next
        if index >= len(self.header.sections) - 1 or self.header.sections[index] != name:
            raise ValueError(f"section {name!r} is not next in the header")
        if self.header.padded and size is None:
            raise ValueError("a padded archive needs each section's size")
        info = self._stream(index, name, source, progress, size, section_floor(name))
        self.sections.append(info)
        self._next += 1
        return info

    def _stream(
        self,
        index: int,
        name: str,
        raw: BinaryIO,
        progress: Progress | None,
        data_size: int | None,
        floor: int = SECTION_FLOOR,
    ) -> SectionInfo:
        info = SectionInfo(name)
        padded: _PaddedSource | None = None
        source: _Readable = raw
        if data_size is not None and self.header.padded:
            source = padded = _PaddedSource(raw, data_size, floor)
        size = self.header.chunk_size
        current = source.read(size)
        chunk = 0
        delivered = 0
        while True:
            # Read one ahead so the last chunk carries the final flag (truncation shows).
            following = source.read(size) if len(current) == size else b""
            final = not following
            frame = FRAME.pack(index, chunk, FLAG_FINAL if final else 0, len(current) + TAG_LEN)
            ct = self._aead.encrypt(_nonce(index, chunk), current, _aad(self._header_digest, frame))
            self._out.write(frame)
            self._out.write(ct)
            _skeleton_update(self._skeleton, frame, ct)
            chunk += 1
            if padded is None:
                info.size += len(current)
                step = len(current)
            else:
                # Progress counts the vault's bytes, not the padding.
                step, delivered = padded.data - delivered, padded.data
                info.size = padded.data
            if progress is not None and step:
                progress(step)
            if final:
                break
            current = following
        info.chunks = chunk
        return info

    def finish(self, manifest: Mapping[str, Any]) -> str:
        """Write the manifest (binding every section's size and chunk count); returns the
        archive digest (see FORMAT.md)."""
        if self._next != len(self.header.sections) - 1:
            raise ValueError("not every section was written")
        doc = {**manifest, "sections": [s.to_json() for s in self.sections]}
        body = json.dumps(doc, sort_keys=True).encode("utf-8")
        self._stream(self._next, MANIFEST, BytesIO(body), None, len(body), MANIFEST_FLOOR)
        self._next += 1
        return self._skeleton.hexdigest()


@dataclass
class ArchiveContents:
    """What a full read established."""

    header: ArchiveHeader
    manifest: dict[str, Any]
    sections: list[SectionInfo]
    size: int
    digest: str
    extra: dict[str, Any] = field(default_factory=dict)


class _Reader:
    """Exact-size reads. Given an unbuffered file, each chunk is one read straight from the
    kernel (measured fastest: no buffer copies; readahead does the batching)."""

    def __init__(self, source: BinaryIO) -> None:
        self._src = source
        self.offset = 0

    def read(self, n: int) -> bytes:
        out = self._src.read(n)
        while len(out) < n:
            more = self._src.read(n - len(out))
            if not more:
                break
            out += more
        self.offset += len(out)
        return out


def _next_frame(
    reader: _Reader, header: ArchiveHeader, index: int, chunk: int, name: str
) -> tuple[bytes, int, int]:
    """The next chunk frame, which must be chunk `chunk` of section `index`: (frame, flags,
    ciphertext length). A short or out-of-order frame is damage at its offset."""
    start = reader.offset
    frame = reader.read(FRAME.size)
    if len(frame) < FRAME.size:
        raise BackupDamagedError(f"{name} is truncated", offset=start)
    sec, num, flags, length = FRAME.unpack(frame)
    if (
        (sec, num) != (index, chunk)
        or flags & ~FLAG_FINAL
        or not (TAG_LEN <= length <= header.chunk_size + TAG_LEN)
    ):
        raise BackupDamagedError(f"{name} is damaged at byte {start}", offset=start)
    return frame, flags, length


KeysFor = Callable[[ArchiveHeader], ArchiveKeys]
"""Given the (not yet authenticated) header, find the archive's keys or raise a specific error."""

Sink = Callable[[str], Callable[[bytes], None] | None]
"""For a section name, a function taking its decrypted bytes, or None to discard them."""


def read_header(source: BinaryIO, name: str = "the file") -> tuple[ArchiveHeader, bytes, int]:
    """Parse the plain header; returns it, the prefix bytes and their length."""
    reader = _Reader(source)
    prefix = reader.read(PREFIX.size)
    return _parse_prefix(reader, prefix, name)[:3]


def skeleton_digest(source: BinaryIO, name: str = "the file") -> str:
    """The archive digest (header, frames and tags) without any key: what a pending purge,
    whose key epoch is retired, compares with the catalog. Unauthenticated: a match says the
    file is byte for byte the catalogued archive's skeleton, nothing about who wrote it."""
    reader = _Reader(source)
    prefix = reader.read(PREFIX.size)
    header, signed, _, mac = _parse_prefix(reader, prefix, name)
    skeleton = hashlib.sha256(signed + mac)
    for index, _section in enumerate(header.sections):
        chunk = 0
        while True:
            start = reader.offset
            frame, flags, length = _next_frame(reader, header, index, chunk, name)
            ct = reader.read(length)
            if len(ct) < length:
                raise BackupDamagedError(f"{name} is truncated", offset=start)
            _skeleton_update(skeleton, frame, ct)
            chunk += 1
            if flags & FLAG_FINAL:
                break
    if reader.read(1):
        raise BackupDamagedError(f"{name} has unexpected data after its end")
    return skeleton.hexdigest()


def _parse_prefix(
    reader: _Reader, prefix: bytes, name: str
) -> tuple[ArchiveHeader, bytes, int, bytes]:
    if not prefix:
        raise NotABackupError(f"{name} is empty (0 bytes): not a Confide backup")
    if len(prefix) < PREFIX.size and MAGIC.startswith(prefix[: len(MAGIC)]):
        raise BackupDamagedError(
            f"{name} is truncated inside its header (at byte {len(prefix)})",
            section="header",
            offset=len(prefix),
        )
    if not prefix.startswith(MAGIC):
        # One or two flipped bits in the magic is damage; anything else is another file.
        if sum(a == b for a, b in zip(prefix, MAGIC, strict=False)) >= len(MAGIC) - 2:
            raise BackupDamagedError(
                f"{name}: the backup header is damaged at byte 0", section="header", offset=0
            )
        raise NotABackupError(f"{name} is not a Confide backup")
    _, length = PREFIX.unpack(prefix)
    if not 0 < length <= MAX_HEADER:
        raise BackupDamagedError(
            f"{name}: the backup header is damaged (length field)",
            section="header",
            offset=len(MAGIC),
        )
    header_bytes = reader.read(length)
    mac = reader.read(MAC_LEN)
    if len(header_bytes) != length or len(mac) != MAC_LEN:
        raise BackupDamagedError(
            f"{name} is truncated inside its header (at byte {reader.offset})",
            section="header",
            offset=reader.offset,
        )
    header = ArchiveHeader.from_bytes(header_bytes)
    _refuse_hostile_kdf(header, name)
    return header, prefix + header_bytes, reader.offset, mac


def _refuse_hostile_kdf(header: ArchiveHeader, name: str) -> None:
    """The key-file copy's Argon2id parameters are unauthenticated: whoever wrote the file
    chooses what a restore or `verify FILE` spends deriving. Out-of-bounds parameters are
    refused here, when the header is read, before any key is looked for."""
    try:
        KeyFile.from_bytes(header.key_file)
    except KdfRefusedError as e:
        raise KdfRefusedError(f"{name} (the key-file copy in its header): {e}") from e
    except (DamagedFileError, NotAVaultError):
        pass  # other damage to the copy is reported where the copy is used


def read_archive(
    source: BinaryIO,
    keys_for: KeysFor,
    *,
    name: str = "the file",
    sink: Sink | None = None,
    progress: Progress | None = None,
    first_only: bool = False,
) -> ArchiveContents:
    """Read and authenticate everything, in order; raise at the first problem, saying where.

    With `first_only`, stop after the first section (format 3: the index), every chunk of it
    authenticated; the manifest is then `{}` and the digest not the archive's."""
    chunks = iter_archive(source, keys_for, name=name, progress=progress, first_only=first_only)
    current: str | None = None
    write: Callable[[bytes], None] | None = None
    while True:
        try:
            section, plain = next(chunks)
        except StopIteration as done:
            contents: ArchiveContents = done.value
            return contents
        if section != current:
            current, write = section, (None if sink is None else sink(section))
        if write is not None and plain:
            write(plain)


def iter_archive(
    source: BinaryIO,
    keys_for: KeysFor,
    *,
    name: str = "the file",
    progress: Progress | None = None,
    first_only: bool = False,
) -> Generator[tuple[str, bytes], None, ArchiveContents]:
    """`read_archive` as a generator: (section name, plaintext) for each chunk of each data
    section as soon as its tag has verified (an empty plaintext first, when a section
    starts), so a reader holds one chunk at a time however large the archive. Returns what
    `read_archive` returns. The manifest, which binds each section's size and chunk count,
    is checked only after the last chunk: what came before is authentic chunk by chunk, but
    a consumer must treat the archive as whole only when the generator ends without raising."""
    reader = _Reader(source)
    prefix = reader.read(PREFIX.size)
    header, signed, _, mac = _parse_prefix(reader, prefix, name)
    keys = keys_for(header)
    try:
        expected = hmac.new(keys.mac.reveal(), signed, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, mac):
            # Format 2 names no epoch in plain sight: keys since rotated fail here too.
            later = (
                ""
                if header.key_epoch is not None
                else (" (or it was written under keys since rotated)")
            )
            raise BackupDamagedError(
                f"{name}: the backup header failed authentication (bytes 0-"
                f"{len(signed) + MAC_LEN}); the file is damaged{later}",
                section="header",
                offset=0,
            )
        aead = AESGCM(keys.aead.reveal())
    finally:
        keys.wipe()
    header_digest = hashlib.sha256(signed).digest()
    skeleton = hashlib.sha256(signed + mac)
    sections: list[SectionInfo] = []
    manifest_bytes = bytearray()
    if progress is not None:
        progress(reader.offset)
    for index, section in enumerate(header.sections):
        is_manifest = section == MANIFEST
        if not is_manifest:
            yield section, b""
        info = SectionInfo(section)
        unpad = _Unpadder(section, section_floor(section), name) if header.padded else None
        chunk = 0
        while True:
            where = f"section {section}, chunk {chunk}, at byte {reader.offset}"
            start = reader.offset
            frame = reader.read(FRAME.size)
            if len(frame) < FRAME.size:
                raise BackupDamagedError(
                    f"{name} is truncated: it ends in {where}",
                    section=section,
                    chunk=chunk,
                    offset=start,
                )
            sec, num, flags, length = FRAME.unpack(frame)
            if (
                (sec, num) != (index, chunk)
                or flags & ~FLAG_FINAL
                or not (TAG_LEN <= length <= header.chunk_size + TAG_LEN)
            ):
                raise BackupDamagedError(
                    f"{name} is damaged in {where} (chunk frame out of order or altered)",
                    section=section,
                    chunk=chunk,
                    offset=start,
                )
            ct = reader.read(length)
            if len(ct) < length:
                raise BackupDamagedError(
                    f"{name} is truncated: it ends in {where}",
                    section=section,
                    chunk=chunk,
                    offset=start,
                )
            try:
                plain = aead.decrypt(_nonce(index, chunk), ct, _aad(header_digest, frame))
            except InvalidTag:
                raise BackupDamagedError(
                    f"{name} is damaged in {where} (bytes {start}-{reader.offset} failed "
                    "authentication)",
                    section=section,
                    chunk=chunk,
                    offset=start,
                ) from None
            _skeleton_update(skeleton, frame, ct)
            if unpad is not None:
                plain = unpad.data(plain, chunk, start)
            info.size += len(plain)
            if is_manifest:
                manifest_bytes += plain
                if len(manifest_bytes) > 16 * CHUNK_SIZE:
                    raise BackupDamagedError(
                        f"{name}: the manifest is impossibly large",
                        section=section,
                        chunk=chunk,
                        offset=start,
                    )
            else:
                yield section, plain
            chunk += 1
            if progress is not None:
                progress(reader.offset - start)
            if flags & FLAG_FINAL:
                if unpad is not None:
                    unpad.finish(chunk - 1, start)
                break
        info.chunks = chunk
        sections.append(info)
        if first_only:
            return ArchiveContents(header, {}, sections, reader.offset, "")
    if reader.read(1):
        raise BackupDamagedError(
            f"{name} has unexpected data after its end (byte {reader.offset - 1})",
            section="trailer",
            offset=reader.offset - 1,
        )
    manifest = _check_manifest(bytes(manifest_bytes), header, sections, name)
    return ArchiveContents(header, manifest, sections[:-1], reader.offset, skeleton.hexdigest())


def read_manifest(source: BinaryIO, keys_for: KeysFor, name: str = "the file") -> dict[str, Any]:
    """The archive's manifest alone, authenticated, the data sections unread: what the
    drive-side rollback check needs from every archive on a drive without reading each whole.
    `source` must be seekable.

    The manifest is the last section, so a padded archive's is read from the end: the header,
    then a few reads at the tail (`_manifest_from_end`), whatever the archive's size. Should
    that not find it (format 1, bytes appended after it), the data sections' frames are walked
    from the start, their ciphertext skipped, one small read per chunk.

    The header MAC and every manifest chunk are checked under the archive's keys (the chunks'
    associated data binds the header), so a manifest cannot be forged or moved between
    archives; the data sections are NOT checked here (`read_archive` does that)."""
    reader = _Reader(source)
    prefix = reader.read(PREFIX.size)
    header, signed, _, mac = _parse_prefix(reader, prefix, name)
    if not header.sections or header.sections[-1] != MANIFEST:
        raise BackupDamagedError(f"{name}: the header lists no manifest", section="header")
    keys = keys_for(header)
    try:
        expected = hmac.new(keys.mac.reveal(), signed, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, mac):
            raise BackupDamagedError(
                f"{name}: the backup header failed authentication (damaged, or written under "
                "other keys)",
                section="header",
                offset=0,
            )
        aead = AESGCM(keys.aead.reveal())
    finally:
        keys.wipe()
    header_digest = hashlib.sha256(signed).digest()
    if header.padded:
        found = _manifest_from_end(source, reader.offset, header, aead, header_digest, name)
        if found is not None:
            return _manifest_doc(found, header, name)
        source.seek(reader.offset)
    last = len(header.sections) - 1
    body = bytearray()
    unpad = _Unpadder(MANIFEST, section_floor(MANIFEST), name) if header.padded else None
    for index in range(last + 1):
        chunk = 0
        while True:
            start = reader.offset
            frame, flags, length = _next_frame(reader, header, index, chunk, name)
            if index < last:
                source.seek(length, 1)  # a data section: skipped, not read
                reader.offset += length
            else:
                ct = reader.read(length)
                try:
                    plain = aead.decrypt(_nonce(index, chunk), ct, _aad(header_digest, frame))
                except InvalidTag:
                    raise BackupDamagedError(
                        f"{name}: the manifest failed authentication (bytes {start}-"
                        f"{reader.offset})",
                        section=MANIFEST,
                        offset=start,
                    ) from None
                body += plain if unpad is None else unpad.data(plain, chunk, start)
                if len(body) > 16 * CHUNK_SIZE:
                    raise BackupDamagedError(
                        f"{name}: the manifest is impossibly large", section=MANIFEST
                    )
            chunk += 1
            if flags & FLAG_FINAL:
                break
    return _manifest_doc(bytes(body), header, name)


def _manifest_doc(body: bytes, header: ArchiveHeader, name: str) -> dict[str, Any]:
    try:
        doc = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BackupDamagedError(f"{name}: the manifest is unreadable", section=MANIFEST) from None
    if (
        not isinstance(doc, dict)
        or doc.get("vault_id") != header.vault_id
        or doc.get("archive_id") != header.archive_hex
    ):
        raise BackupDamagedError(f"{name}: the manifest names another archive", section=MANIFEST)
    return doc


# The largest manifest `read_manifest` accepts (plaintext, padding included).
_MANIFEST_LIMIT = 16 * CHUNK_SIZE


def _manifest_classes() -> Generator[int, None, None]:
    """Every plaintext length a padded manifest section can have, smallest first."""
    total = MANIFEST_FLOOR
    while total <= _MANIFEST_LIMIT:
        yield total
        total = size_class(total + 1, MANIFEST_FLOOR)


def _manifest_from_end(
    source: BinaryIO,
    data_start: int,
    header: ArchiveHeader,
    aead: AESGCM,
    header_digest: bytes,
    name: str,
) -> bytes | None:
    """A padded archive's manifest plaintext, read from the end of the file; None if it is
    not found there (the caller then walks the file from the start, which names the damage).

    The section ends the file and its plaintext is one of a few lengths (its size class), every
    chunk but the last full: each length puts the final chunk's frame at a known distance from
    the end, and the frame there must name that chunk (last section, its index, the final
    flag, its length). At most two reads of the tail find it (most manifests are 64-128 KiB);
    a manifest longer than those reads takes one more. Each chunk is authenticated as in a
    full read (nonce and associated data bind section, index, flags and the header)."""
    size = header.chunk_size
    last = len(header.sections) - 1
    end = source.seek(0, 2)
    frame_and_tag = FRAME.size + TAG_LEN
    tail = b""
    tail_start = end
    for window in (2 * (MANIFEST_FLOOR + frame_and_tag), size + frame_and_tag):
        start = max(data_start, end - window)
        if start < tail_start:
            source.seek(start)
            tail = _Reader(source).read(tail_start - start) + tail
            tail_start = start
        for total in _manifest_classes():
            chunks = (total - 1) // size + 1
            final = total - (chunks - 1) * size
            at = end - (FRAME.size + final + TAG_LEN)
            if at < tail_start:
                continue  # beyond this read (a longer manifest's chunks restart the count)
            frame = tail[at - tail_start : at - tail_start + FRAME.size]
            if len(frame) < FRAME.size or FRAME.unpack(frame) != (
                last,
                chunks - 1,
                FLAG_FINAL,
                final + TAG_LEN,
            ):
                continue  # a short read (the file shrank), or not this length's frame
            begin = end - (chunks * frame_and_tag + total)
            if begin < data_start:
                return None
            if begin < tail_start:
                source.seek(begin)
                tail = _Reader(source).read(tail_start - begin) + tail
                tail_start = begin
            return _manifest_chunks(
                tail[begin - tail_start :], size, last, aead, header_digest, name, begin
            )
        if tail_start <= data_start:
            break
    return None


def _manifest_chunks(
    section: bytes,
    size: int,
    last: int,
    aead: AESGCM,
    header_digest: bytes,
    name: str,
    offset: int,
) -> bytes | None:
    """The manifest section's bytes (frames and ciphertext, every chunk but the last full):
    its plaintext without the padding, every chunk authenticated; None if any fails."""
    unpad = _Unpadder(MANIFEST, MANIFEST_FLOOR, name)
    body = bytearray()
    at = chunk = 0
    while at < len(section):
        frame = section[at : at + FRAME.size]
        if len(frame) < FRAME.size:
            return None
        sec, num, flags, length = FRAME.unpack(frame)
        ct = section[at + FRAME.size : at + FRAME.size + length]
        is_last = at + FRAME.size + length == len(section)
        if (
            (sec, num) != (last, chunk)
            or flags != (FLAG_FINAL if is_last else 0)
            or not (is_last or length == size + TAG_LEN)
            or len(ct) != length
        ):
            return None
        try:
            plain = aead.decrypt(_nonce(last, chunk), ct, _aad(header_digest, frame))
            body += unpad.data(plain, chunk, offset + at)
        except (InvalidTag, BackupDamagedError):
            return None
        at += FRAME.size + length
        chunk += 1
    try:
        unpad.finish(chunk - 1, offset)
    except BackupDamagedError:
        return None
    return bytes(body)


class _Unpadder:
    """Strips a format-2 section's length prefix and padding, checking both."""

    def __init__(self, section: str, floor: int, name: str) -> None:
        self._section, self._floor, self._name = section, floor, name
        self._head = b""
        self._size: int | None = None
        self._seen = 0  # plaintext bytes, padding included
        self._kept = 0

    def _damaged(self, what: str, chunk: int, offset: int) -> BackupDamagedError:
        return BackupDamagedError(
            f"{self._name}: section {self._section} {what}",
            section=self._section,
            chunk=chunk,
            offset=offset,
        )

    def data(self, plain: bytes, chunk: int, offset: int) -> bytes:
        self._seen += len(plain)
        if self._size is None:
            need = SIZE_PREFIX.size - len(self._head)
            self._head += plain[:need]
            plain = plain[need:]
            if len(self._head) < SIZE_PREFIX.size:
                return b""
            (self._size,) = SIZE_PREFIX.unpack(self._head)
            if self._size > (1 << 48):
                raise self._damaged("states an impossible length", chunk, offset)
        keep = min(len(plain), self._size - self._kept)
        rest = plain[keep:]
        if rest.count(0) != len(rest):
            raise self._damaged("has data in its padding", chunk, offset)
        self._kept += keep
        return plain[:keep]

    def finish(self, chunk: int, offset: int) -> None:
        if self._size is None or self._seen != padded_length(self._size, self._floor):
            raise self._damaged("is not padded to its size class", chunk, offset)


def _check_manifest(
    body: bytes, header: ArchiveHeader, sections: list[SectionInfo], name: str
) -> dict[str, Any]:
    try:
        doc = json.loads(body.decode("utf-8"))
        listed = doc["sections"]
        if not isinstance(doc, dict) or not isinstance(listed, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise BackupDamagedError(f"{name}: the manifest is unreadable", section=MANIFEST) from None
    data_sections = sections[:-1]
    if not all(isinstance(s, dict) for s in listed) or [s.get("name") for s in listed] != [
        s.name for s in data_sections
    ]:
        raise BackupDamagedError(
            f"{name}: the manifest does not list the sections found", section=MANIFEST
        )
    for entry, found in zip(listed, data_sections, strict=True):
        if (entry.get("size"), entry.get("chunks")) != (found.size, found.chunks):
            raise BackupDamagedError(
                f"{name}: section {found.name} does not match the manifest (size or chunk count)",
                section=found.name,
            )
    if doc.get("vault_id") != header.vault_id or doc.get("archive_id") != header.archive_hex:
        raise BackupDamagedError(f"{name}: the manifest names another archive", section=MANIFEST)
    return dict(doc)
