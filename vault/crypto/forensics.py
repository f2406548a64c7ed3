"""Reading SQLCipher files the way an examiner would: every page, decrypted by hand.

SQLCipher 4 defaults (checked with `PRAGMA cipher_settings` on the bundled 4.x build): 4096-byte
pages, AES-256-CBC, a reserve of 80 bytes at the end of each page (16-byte IV, then a 64-byte
HMAC-SHA512 over ciphertext || IV || page number as 4 little-endian bytes). With a raw key
(`x'…'`, 32 bytes) the key is used as is; the HMAC key is PBKDF2-HMAC-SHA512(key, salt XOR 0x3a,
2 iterations, 32 bytes), the salt being the first 16 bytes of the file (page 1's ciphertext starts
after it). A WAL frame is a 24-byte header (page number big-endian first) and one such page.

Reading the raw file rather than asking SQLite is the point: free pages, stale WAL frames and
pages written under another key are all visible here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..storage import fsutil

PAGE_SIZE = 4096
SALT_LEN = 16
IV_LEN = 16
HMAC_LEN = 64
RESERVE = IV_LEN + HMAC_LEN
WAL_HEADER = 32
WAL_FRAME_HEADER = 24
WAL_MAGICS = (0x377F0682, 0x377F0683)
SQLITE_HEADER = b"SQLite format 3\0"


def hmac_key(key: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", key, bytes(b ^ 0x3A for b in salt), 2, 32)


def decrypt_page(page: bytes, pgno: int, key: bytes, mac_key: bytes) -> tuple[bool, bytes]:
    """(HMAC valid, plaintext). Page 1's plaintext starts after the salt."""
    start = SALT_LEN if pgno == 1 else 0
    ct = page[start : PAGE_SIZE - RESERVE]
    iv = page[PAGE_SIZE - RESERVE : PAGE_SIZE - HMAC_LEN]
    mac = page[PAGE_SIZE - HMAC_LEN : PAGE_SIZE]
    expected = hmac.new(mac_key, ct + iv + struct.pack("<I", pgno), hashlib.sha512).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(ct) + decryptor.finalize()
    return hmac.compare_digest(mac, expected), plain


def cbc_stream(data: bytes | bytearray | memoryview, key: bytes) -> bytes:
    """Decrypt a whole buffer as one CBC stream (zero IV).

    CBC decryption only needs the previous ciphertext block, so every 16-byte block of any page
    that lies at this alignment decrypts correctly, wherever the page sits on a raw disk, except
    each page's first block. An examiner's shortcut: one pass per key and alignment.
    """
    view = memoryview(data)  # bytes or a bytearray's view: no copy of the input
    usable = len(view) - len(view) % 16
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).decryptor()
    try:
        return decryptor.update(view[:usable]) + decryptor.finalize()
    finally:
        view.release()


@dataclass
class FileScan:
    """What reading one SQLCipher file (and its WAL) page by page found."""

    name: str
    pages: int = 0
    verified: int = 0
    wal_frames: int = 0
    failed_pages: list[int] = field(default_factory=list)
    hits: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_pages and not self.hits


SLICE_PAGES = 1024  # 4 MiB of pages read, authenticated and decrypted at a time


def _slices(path: Path, pages: int = SLICE_PAGES) -> Iterator[tuple[int, bytes]]:
    """(index of the first page, whole pages) of a file, a few MiB at a time: memory stays
    flat however large the vault (a trailing partial page is not a page and is skipped)."""
    with fsutil.storage_errors(f"cannot read {path.name}"), open(path, "rb") as f:
        index = 0
        while True:
            data = f.read(pages * PAGE_SIZE)
            usable = len(data) - len(data) % PAGE_SIZE
            if usable:
                yield index, data[:usable]
                index += usable // PAGE_SIZE
            if len(data) < pages * PAGE_SIZE:
                return


def _salt(path: Path) -> bytes | None:
    with fsutil.storage_errors(f"cannot read {path.name}"), open(path, "rb") as f:
        head = f.read(PAGE_SIZE)
    return head[:SALT_LEN] if len(head) == PAGE_SIZE else None


def iter_pages(path: Path, key: bytes) -> Iterator[tuple[int, bool, bytes]]:
    """(page number, HMAC valid, plaintext) for every page of the file and of its WAL."""
    salt = _salt(path)
    if salt is None:
        return
    mac_key = hmac_key(key, salt)
    for first, data in _slices(path):
        for i in range(len(data) // PAGE_SIZE):
            pgno = first + i + 1
            ok, plain = decrypt_page(data[i * PAGE_SIZE : (i + 1) * PAGE_SIZE], pgno, key, mac_key)
            yield pgno, ok, plain
    yield from _wal_pages(path, key, mac_key)


def _wal_pages(path: Path, key: bytes, mac_key: bytes) -> Iterator[tuple[int, bool, bytes]]:
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        return
    frame = WAL_FRAME_HEADER + PAGE_SIZE
    with fsutil.storage_errors(f"cannot read {wal.name}"), open(wal, "rb") as f:
        f.seek(WAL_HEADER)
        while True:
            data = f.read(frame * SLICE_PAGES)
            for offset in range(0, len(data) - frame + 1, frame):
                pgno = struct.unpack(">I", data[offset : offset + 4])[0]
                page = data[offset + WAL_FRAME_HEADER : offset + frame]
                ok, plain = decrypt_page(page, pgno, key, mac_key)
                yield -pgno, ok, plain  # negative: a WAL frame
            if len(data) < frame * SLICE_PAGES:
                return


TAG_LEN = 16  # of a page's HMAC, kept to know the page again (`SearchedPages`)


class SearchedPages:
    """The pages of the vault's databases a verification has authenticated, decrypted and
    searched, known by the last 16 bytes of each one's HMAC-SHA512 (16 bytes a page: 3 MiB at
    200,000 notes). A backup's page with the same tag at the same page number is the same
    ciphertext under the same key (the HMAC covers the ciphertext, the IV and the page
    number), so its plaintext was searched already: it need not be decrypted again."""

    def __init__(self) -> None:
        self.tags: dict[str, bytearray] = {}
        self.matched = 0  # bytes of backup pages found identical (and so not decrypted)

    def record(self, name: str) -> bytearray:
        self.tags[name] = bytearray()
        return self.tags[name]

    def unsearched(
        self, name: str, first: int, pages: bytes | bytearray | memoryview
    ) -> list[tuple[int, int]]:
        """The byte ranges of `pages` (whole pages, page `first` onward, 1-based) that are not
        a page of `name` authenticated and searched already: what is left to decrypt."""
        view = memoryview(pages)
        count = len(view) // PAGE_SIZE
        known = self.tags.get(name)
        if known is None:
            return [(0, count * PAGE_SIZE)] if count else []
        mine = known[TAG_LEN * (first - 1) : TAG_LEN * (first - 1 + count)]
        theirs = b"".join(
            view[(i + 1) * PAGE_SIZE - TAG_LEN : (i + 1) * PAGE_SIZE] for i in range(count)
        )
        zero = bytes(TAG_LEN)
        if theirs == mine and zero not in _tags_of(mine):
            self.matched += count * PAGE_SIZE  # the common case: the whole run is the vault's
            return []
        ranges: list[tuple[int, int]] = []
        for i in range(count):
            tag = theirs[TAG_LEN * i : TAG_LEN * (i + 1)]
            if tag == mine[TAG_LEN * i : TAG_LEN * (i + 1)] and tag != zero:
                self.matched += PAGE_SIZE
            elif ranges and ranges[-1][1] == i * PAGE_SIZE:
                ranges[-1] = (ranges[-1][0], (i + 1) * PAGE_SIZE)
            else:
                ranges.append((i * PAGE_SIZE, (i + 1) * PAGE_SIZE))
        return ranges


def _tags_of(tags: bytes | bytearray) -> Iterator[bytes]:
    return (bytes(tags[i : i + TAG_LEN]) for i in range(0, len(tags), TAG_LEN))


def scan_file(
    path: Path,
    key: bytes,
    scan: FileScan,
    tags: bytearray | None = None,
    *,
    authenticate: bool = True,
    until: int | None = None,
) -> Iterator[bytes]:
    """Authenticate every page of a database (and its WAL) and yield its plaintext in slices.

    One pass, a slice of `SLICE_PAGES` pages at a time (constant memory): the HMAC of each
    page is checked one by one (counted in `scan`); the decryption runs as one CBC stream per
    slice (`cbc_stream`), which yields every page's content except its first 16 bytes (page
    header bytes, never record text) at C speed. With `tags`, each page's HMAC tail is
    appended (zeros for a page that did not authenticate): `SearchedPages`. With
    `authenticate=False` the caller checks the file's pages otherwise (SQLCipher's
    `cipher_integrity_check`, `verify.py`): pages are counted and tagged, not MACed here
    (WAL frames always are); with `until`, only pages up to that number are MACed here (a
    worker process checks the rest, `verify.py`).
    """
    if not authenticate:
        until = 0
    salt = _salt(path)
    if salt is None:
        return
    base = hmac.new(hmac_key(key, salt), digestmod=hashlib.sha512)
    for first, data in _slices(path):
        view = memoryview(data)
        if until is not None and first >= until:
            count = len(data) // PAGE_SIZE
            scan.pages += count
            if tags is not None:
                tags += b"".join(
                    view[(i + 1) * PAGE_SIZE - TAG_LEN : (i + 1) * PAGE_SIZE] for i in range(count)
                )
            del view
            yield cbc_stream(data, key)
            continue
        for i in range(len(data) // PAGE_SIZE):
            pgno = first + i + 1
            page = view[i * PAGE_SIZE : (i + 1) * PAGE_SIZE]
            if until is not None and pgno > until:
                scan.pages += 1  # checked elsewhere; tagged, zeroed by the caller if it fails
                if tags is not None:
                    tags += page[PAGE_SIZE - TAG_LEN :]
                continue
            mac = base.copy()
            mac.update(page[SALT_LEN if pgno == 1 else 0 : PAGE_SIZE - HMAC_LEN])
            mac.update(struct.pack("<I", pgno))
            scan.pages += 1
            if hmac.compare_digest(mac.digest(), page[PAGE_SIZE - HMAC_LEN :]):
                scan.verified += 1
                if tags is not None:
                    tags += page[PAGE_SIZE - TAG_LEN :]
            else:
                scan.failed_pages.append(pgno)
                if tags is not None:
                    tags += bytes(TAG_LEN)
        del view
        yield cbc_stream(data, key)
    for pgno, ok, plain in _wal_pages(path, key, hmac_key(key, salt)):
        scan.wal_frames += 1
        if ok:
            scan.verified += 1
        else:
            scan.failed_pages.append(pgno)
        yield plain


def decrypts_under(path: Path, key: bytes) -> bool:
    """Whether the file's first page (as a SQLCipher page 1) authenticates under `key`."""
    try:
        with open(path, "rb") as f:
            page = f.read(PAGE_SIZE)
    except OSError:
        return False
    if len(page) < PAGE_SIZE:
        return False
    ok, _ = decrypt_page(page, 1, key, hmac_key(key, page[:SALT_LEN]))
    return ok


# ---------------------------------------------------------------------------- fingerprints


def _unexplained(
    plain: bytes, needle: bytes, longer: tuple[bytes, ...], start: int = 0, stop: int | None = None
) -> bool:
    """Whether some occurrence of `needle` in `plain` starting in [start, stop) lies inside
    none of the `longer` names."""
    at = _find(plain, needle, start, stop)
    while at >= 0:
        if not any(_inside(plain, at, needle, name) for name in longer):
            return True
        at = _find(plain, needle, at + 1, stop)
    return False


def _find(plain: bytes, needle: bytes, start: int, stop: int | None) -> int:
    """The first occurrence of `needle` starting in [start, stop), or -1."""
    if stop is None:
        return plain.find(needle, start)
    if stop <= start:
        return -1
    return plain.find(needle, start, stop - 1 + len(needle))


def _inside(plain: bytes, at: int, needle: bytes, name: bytes) -> bool:
    offset = name.find(needle)
    while offset >= 0:
        start = at - offset
        if start >= 0 and plain[start : start + len(name)] == name:
            return True
        offset = name.find(needle, offset + 1)
    return False


MAX_FRAGMENTS = 12  # each needle is one pass over the plaintext
FRAGMENT_BYTES = 24
_WORD = re.compile(rb"[A-Za-z0-9\x80-\xff]+")


def words(data: bytes) -> list[bytes]:
    """The word sequence of `data` (note text, or decrypted page plaintext): runs of ASCII
    letters, digits and non-ASCII bytes (UTF-8 letters), ASCII lower-cased. The same function
    makes stored needles and reads the haystack (`retention.traces`), so they always agree."""
    return [w.lower() for w in _WORD.findall(data)]


def shingle_at(raw: bytes, at: int) -> tuple[bytes, ...]:
    """The word at byte offset `at` of `raw` and the two words after it (it comes first: a
    long, distinctive first word lets a search skip almost every other word cheaply)."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(raw)]
    for i, (begin, end) in enumerate(spans):
        if begin <= at < end:
            return tuple(raw[b:e].lower() for b, e in spans[i : i + 3])
    return ()


class Fingerprints:
    """What a disposed client's data looks like, held in memory only and never written anywhere.

    Names are searched as exact bytes. Note texts are represented by their distinctive words
    (words no remaining record has, checked before deletion) and, for a bounded number of them,
    the exact bytes of the note around the word: every search is one pass over the plaintext per
    needle, so the needles are few and chosen to be unmistakable.
    """

    def __init__(self) -> None:
        self.names: set[bytes] = set()
        self.fragments: set[bytes] = set()
        self.words: set[str] = set()
        # The word sequences around each distinctive word: what a later verification keeps
        # (as keyed hashes) while a purge is pending.
        self.shingles: set[tuple[bytes, ...]] = set()
        self.shared_names = 0  # names that remaining records also contain: no proof either way
        self.containing: dict[bytes, tuple[bytes, ...]] = {}

    def add_name(self, name: str, containing: Iterable[str] = ()) -> None:
        """`containing`: remaining clients' names of which `name` is a part."""
        encoded = name.encode("utf-8")
        if len(encoded) >= 4:
            self.names.add(encoded)
            longer = tuple(sorted({c.encode("utf-8") for c in containing} - {encoded}))
            if longer:
                self.containing[encoded] = longer

    def add_word(self, text: str, word: str, start: int) -> None:
        """`word` occurs in `text` at character `start` and in no remaining record."""
        self.words.add(word.lower())
        raw = text.encode("utf-8")
        at = len(text[:start].encode("utf-8"))
        shingle = shingle_at(raw, at)
        if shingle:
            self.shingles.add(shingle)
        if len(self.fragments) < MAX_FRAGMENTS:
            size = max(FRAGMENT_BYTES, len(word.encode("utf-8")))
            # Near the end of the note, take the bytes before the word too: the word alone
            # may be one Confide itself stores (a column name such as "session").
            begin = max(0, min(at, len(raw) - size))
            self.fragments.add(raw[begin : begin + size])

    @property
    def needles(self) -> set[bytes]:
        return self.names | self.fragments

    def __bool__(self) -> bool:
        return bool(self.names or self.fragments or self.words)

    def search(self, plain: bytes, start: int = 0, stop: int | None = None) -> set[bytes]:
        """The names and note fragments found in a plaintext buffer (with `start`/`stop`: only
        occurrences starting in that range, the rest of `plain` being their context).

        An occurrence of a name inside a remaining client's longer name ("Alder Sampleton 1"
        inside "Alder Sampleton 12") is that client's name, not a trace. Not plain word
        boundaries: SQLite stores a row's columns back to back, so a leftover row reads
        "Alder Sampleton 1Alder Sampleton 11970-02-02", a name glued to the next column."""
        found = {n for n in self.fragments if _find(plain, n, start, stop) >= 0}
        for name in self.names:
            if _find(plain, name, start, stop) >= 0 and _unexplained(
                plain, name, self.containing.get(name, ()), start, stop
            ):
                found.add(name)
        return found

    @property
    def reach(self) -> int:
        """The longest byte run a match and its excuse can span (needles, longer names)."""
        longer = (n for names in self.containing.values() for n in names)
        return max((len(n) for n in (*self.needles, *longer)), default=0)

    def wipe(self) -> None:
        self.names.clear()
        self.fragments.clear()
        self.words.clear()
        self.shingles.clear()
        self.containing.clear()


class StreamSearch:
    """`Fingerprints.search` over a stream of buffers, as if over their concatenation: a name
    or fragment cut by a buffer boundary (a 1 MiB archive chunk, a 4 MiB slice of pages) is
    found, and a disposed name at the end of one buffer is excused only when the remaining
    client's longer name it belongs to continues in the next. Memory: the buffer in hand plus
    twice `Fingerprints.reach` bytes carried over. `end()` closes one stream (one file)."""

    def __init__(self, prints: Fingerprints) -> None:
        self._prints = prints
        self._reach = max(1, prints.reach)
        self._tail = b""
        self._from = 0  # occurrences starting before this offset of the tail were judged
        self.found: set[bytes] = set()

    def feed(self, data: bytes) -> None:
        if not self._prints or not data:
            return
        buf = self._tail + data if self._tail else data
        # An occurrence is judged once its whole context is in hand: `reach` bytes after it.
        limit = len(buf) - self._reach
        if limit > self._from:
            self.found |= self._prints.search(buf, self._from, limit)
        keep = min(len(buf), 2 * self._reach)
        self._from = max(self._from, limit) - (len(buf) - keep)
        self._tail = bytes(buf[len(buf) - keep :])

    def end(self) -> set[bytes]:
        """Judge what is left (the stream ends there); returns everything found so far."""
        if self._prints and self._tail:
            self.found |= self._prints.search(self._tail, self._from)
        self._tail, self._from = b"", 0
        return self.found


def scan_chunks(chunks: Iterable[bytes], prints: Fingerprints) -> set[bytes]:
    stream = StreamSearch(prints)
    for chunk in chunks:
        stream.feed(chunk)
    return stream.end()


__all__ = [
    "PAGE_SIZE",
    "FileScan",
    "Fingerprints",
    "SearchedPages",
    "StreamSearch",
    "cbc_stream",
    "decrypt_page",
    "decrypts_under",
    "hmac_key",
    "iter_pages",
    "scan_chunks",
    "scan_file",
    "shingle_at",
    "words",
]
