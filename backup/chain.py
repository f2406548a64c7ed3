"""Page-level incremental backups (format 3): the index, the changed pages, the chain.

SQLCipher encrypts and authenticates every 4096-byte page on its own, with a fresh IV and an
HMAC-SHA512 each time the page is written. So the last 16 bytes of a page (the tail of its HMAC)
change whenever the page does, and are a digest of it for free: no hashing, no decryption. Each
format-3 archive starts with an index section listing, for each database, its page count and
every page's tag; an incremental archive holds only the pages whose tag differs from its base's
index (the previous archive on that drive), in page order, and names its base (archive id,
digest, file name). Restoring applies the full archive, then each incremental in order, and
checks the result page by page against the newest index. See FORMAT.md, "Format 3".
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vault import Vault
from vault.crypto.auditkey import key_material_digest
from vault.records.audit import Action

from ._io import open_uncached
from .archive import INDEX, PAGES_SUFFIX, ArchiveContents, KeysFor, read_archive
from .errors import BackupDamagedError, BrokenChainError

PAGE_SIZE = 4096
TAG_LEN = 16
DATABASES = ("record.db", "pnotes.db")
_BLOCK = 256 * PAGE_SIZE  # 1 MiB
_TAIL = PAGE_SIZE - TAG_LEN  # where a page's tag starts within it
_RUN = 256  # pages compared at once by changed_pages
_JSON_LEN = struct.Struct(">I")

# Audit entries that change nothing in the record (access, not content): a backup finding only
# these since the previous archive is skipped. Every other action, and any new one, counts as a
# change, so the rule errs on the side of writing.
READ_ONLY_ACTIONS = frozenset(
    a.value
    for a in (
        Action.UNLOCK,
        Action.UNLOCK_FAILED,
        Action.RECOVERY_UNLOCK,
        Action.LOCK,
        Action.VIEW,
        Action.SEARCH,
        Action.REVEAL,
        Action.PNOTES_UNLOCK,
        Action.PNOTES_LOCK,
        Action.EXPORT_PREVIEW,
        Action.BACKUP,
    )
)
# The backup's own bookkeeping and the audit log (judged by action above) are not "a change".
_NOT_CONTENT = ("audit_log", "meta", "settings", "backup_schema_migrations")


def _read_exact(fd: int, n: int, offset: int) -> bytes:
    out = os.pread(fd, n, offset)
    while len(out) < n:
        more = os.pread(fd, n - len(out), offset + len(out))
        if not more:
            break
        out += more
    return out


@functools.lru_cache(maxsize=8)
def _tails(pages: int) -> struct.Struct:
    # Picks each page's tag out of a block in C (4.5x a Python loop over slices).
    return struct.Struct(f"{_TAIL}x{TAG_LEN}s" * pages)


def page_tags(path: Path) -> bytes | None:
    """Every page's tag (the last 16 bytes of the page), in order; None if the file is not a
    whole number of pages (then only a full archive will do).

    Every byte of the file is read (a page's tail lives in its last disk block), so this is a
    sequential read of the whole database: one reused buffer, the kernel told to read ahead
    (measured at 200k notes, 765 MiB, from a cold cache: 0.35-0.45 s against 0.8-1.5 s for
    fresh 1 MiB reads without the hint; bench/README.md)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size % PAGE_SIZE:
            return None
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        buffer = memoryview(bytearray(_BLOCK))
        tags: list[bytes] = []
        for start in range(0, size, _BLOCK):
            want = min(_BLOCK, size - start)
            got = 0
            while got < want:
                n = os.preadv(fd, [buffer[got:want]], start + got)
                if not n:
                    return None  # the file shrank under us: cannot be (frozen); be safe
                got += n
            tags.append(b"".join(_tails(want // PAGE_SIZE).unpack_from(buffer)))
        return b"".join(tags)
    finally:
        os.close(fd)


def changed_pages(base: bytes, now: bytes) -> list[int]:
    """Page numbers (0-based) whose tag differs from the base's, or that the base lacks.

    Compared a run of pages at a time (one bytes comparison each), page by page only inside a
    run that differs: a change touches few runs, so this is a memcmp of the index, not a
    Python loop over every page."""
    if base == now:
        return []
    old = len(base) // TAG_LEN
    pages = len(now) // TAG_LEN
    out: list[int] = []
    step = _RUN * TAG_LEN
    for first in range(0, min(old, pages), _RUN):
        lo = first * TAG_LEN
        if base[lo : lo + step] == now[lo : lo + step]:
            continue
        for i in range(first, min(first + _RUN, old, pages)):
            at = i * TAG_LEN
            if base[at : at + TAG_LEN] != now[at : at + TAG_LEN]:
                out.append(i)
    out.extend(range(old, pages))
    return out


class PagesSource:
    """The changed pages of a database file, concatenated in page order (a section's source)."""

    def __init__(self, path: Path, pages: Sequence[int]) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._pages = list(pages)
        self._next = 0
        self._buf = b""

    @property
    def size(self) -> int:
        return len(self._pages) * PAGE_SIZE

    def read(self, n: int, /) -> bytes:
        while len(self._buf) < n and self._next < len(self._pages):
            # Runs of consecutive pages are read at once.
            first = self._pages[self._next]
            run = 1
            while (
                self._next + run < len(self._pages)
                and self._pages[self._next + run] == first + run
                and run < 256
            ):
                run += 1
            data = _read_exact(self._fd, run * PAGE_SIZE, first * PAGE_SIZE)
            if len(data) != run * PAGE_SIZE:
                raise ValueError("a database page vanished during the backup")
            self._buf += data
            self._next += run
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        os.close(self._fd)


@dataclass(frozen=True)
class BaseRef:
    archive_id: str
    digest: str
    file: str

    def to_json(self) -> dict[str, str]:
        return {"archive_id": self.archive_id, "digest": self.digest, "file": self.file}


@dataclass(frozen=True)
class DatabaseIndex:
    tags: bytes
    changed: tuple[int, ...] | None  # None: the whole file is in the archive

    @property
    def pages(self) -> int:
        return len(self.tags) // TAG_LEN


@dataclass(frozen=True)
class ArchiveIndex:
    """The first section of a format-3 archive (encrypted like every other)."""

    kind: str  # "full" or "incremental"
    base: BaseRef | None
    depth: int  # 0 for a full archive, n for the n-th incremental on top of it
    key_file_sha256: str  # the vault's key file when written: a chain never spans two
    databases: dict[str, DatabaseIndex]

    def section(self, database: str) -> str:
        return database if self.kind == "full" else database + PAGES_SUFFIX

    @property
    def sections(self) -> tuple[str, ...]:
        return (INDEX, *(self.section(d) for d in DATABASES))

    @property
    def pages_carried(self) -> int:
        return sum(
            d.pages if d.changed is None else len(d.changed) for d in self.databases.values()
        )

    def to_bytes(self) -> bytes:
        doc: dict[str, Any] = {
            "kind": self.kind,
            "base": self.base.to_json() if self.base is not None else None,
            "depth": self.depth,
            "key_file_sha256": self.key_file_sha256,
            "tag_len": TAG_LEN,
            "page_size": PAGE_SIZE,
            "databases": [
                {
                    "name": name,
                    "pages": self.databases[name].pages,
                    "changed": (
                        None
                        if self.databases[name].changed is None
                        else list(self.databases[name].changed or ())
                    ),
                }
                for name in DATABASES
            ],
        }
        body = json.dumps(doc, sort_keys=True).encode("utf-8")
        return (
            _JSON_LEN.pack(len(body)) + body + b"".join(self.databases[n].tags for n in DATABASES)
        )

    @classmethod
    def from_bytes(cls, data: bytes, name: str) -> ArchiveIndex:
        def damaged(what: str) -> BackupDamagedError:
            return BackupDamagedError(f"{name}: the index {what}", section=INDEX)

        try:
            (length,) = _JSON_LEN.unpack_from(data)
            doc = json.loads(data[4 : 4 + length].decode("utf-8"))
            kind = doc["kind"]
            raw_base = doc["base"]
            base = (
                None
                if raw_base is None
                else BaseRef(
                    str(raw_base["archive_id"]), str(raw_base["digest"]), str(raw_base["file"])
                )
            )
            offset = 4 + length
            databases: dict[str, DatabaseIndex] = {}
            for entry in doc["databases"]:
                pages = int(entry["pages"])
                tags = data[offset : offset + pages * TAG_LEN]
                if len(tags) != pages * TAG_LEN:
                    raise damaged("is shorter than its page counts")
                offset += pages * TAG_LEN
                raw = entry["changed"]
                changed = None if raw is None else tuple(int(p) for p in raw)
                databases[str(entry["name"])] = DatabaseIndex(tags, changed)
            index = cls(str(kind), base, int(doc["depth"]), str(doc["key_file_sha256"]), databases)
        except BackupDamagedError:
            raise
        except (KeyError, TypeError, ValueError, UnicodeDecodeError, struct.error, RecursionError):
            raise damaged("is unreadable") from None
        if (
            offset != len(data)
            or index.kind not in ("full", "incremental")
            or (index.kind == "full") != (index.base is None)
            or (index.kind == "full") != (index.depth == 0)
            or tuple(databases) != DATABASES
            or any((d.changed is None) != (index.kind == "full") for d in databases.values())
            or any(
                list(d.changed) != sorted(set(d.changed))
                or any(not 0 <= p < d.pages for p in d.changed)
                for d in databases.values()
                if d.changed is not None
            )
        ):
            raise damaged("holds impossible values")
        return index


def record_state(vault: Vault, pnotes_tags: bytes | None) -> str:
    """A fingerprint of what the vault holds, leaving out the backup's own bookkeeping and the
    access log: the last audit entry that changed something, the settings (but the backup
    catalogue's own), every content table's row count, the psychotherapy notes' pages, the key
    file. Equal fingerprints: nothing to back up. Call with the vault frozen."""
    parts = vault.content_fingerprint(READ_ONLY_ACTIONS, skip_tables=_NOT_CONTENT)
    doc = {
        "record": parts,
        "pnotes": hashlib.sha256(pnotes_tags).hexdigest() if pnotes_tags is not None else None,
        "key_file": key_material_digest(vault.key_file),  # keys, not the moving audit anchor
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def index_sink(into: list[bytes]) -> Callable[[bytes], None]:
    return into.append


def read_index(
    path: Path, keys_for: KeysFor, *, uncached: bool = False
) -> tuple[ArchiveContents, ArchiveIndex]:
    """Read and authenticate a format-3 archive's header and index only (a few chunks)."""
    parts: list[bytes] = []
    with open_uncached(path) if uncached else open(path, "rb", buffering=0) as source:
        contents = read_archive(
            source,
            keys_for,
            name=path.name,
            sink=lambda s: index_sink(parts) if s == INDEX else None,
            first_only=True,
        )
    if contents.header.format < 3 or contents.header.sections[0] != INDEX:
        raise BackupDamagedError(f"{path.name} has no index (format {contents.header.format})")
    return contents, ArchiveIndex.from_bytes(b"".join(parts), path.name)


@dataclass(frozen=True)
class Link:
    path: Path
    index: ArchiveIndex
    archive_id: str


def resolve_chain(path: Path, keys_for: KeysFor, limit: int = 1000) -> list[Link]:
    """The archive at `path` and every base it needs, full archive first. Bases are looked
    for beside it (a drive's backup folder holds the whole chain). A missing base, one holding
    another archive, or a loop is a `BrokenChainError` naming the link."""
    links: list[Link] = []
    current = path
    while True:
        contents, index = read_index(current, keys_for)
        links.append(Link(current, index, contents.header.archive_hex))
        if index.base is None:
            break
        base = current.parent / Path(index.base.file).name
        if not base.is_file() or base.is_symlink():
            raise BrokenChainError(
                f"{current.name} is an incremental backup whose base {base.name} is not beside "
                f"it in {current.parent}; the chain cannot be restored from this link",
                section="chain",
            )
        if len(links) > limit or any(link.path == base for link in links):
            raise BrokenChainError(f"{current.name}: the chain of bases loops", section="chain")
        current = base
    links.reverse()
    for older, newer in zip(links, links[1:], strict=False):
        assert newer.index.base is not None
        if newer.index.base.archive_id != older.archive_id:
            raise BrokenChainError(
                f"{older.path.name} is not the archive {newer.path.name} was built on (another "
                "archive is under its name); the chain is broken at that link",
                section="chain",
            )
        if newer.index.key_file_sha256 != older.index.key_file_sha256:
            raise BrokenChainError(
                f"{newer.path.name} and its base {older.path.name} were written under different "
                "keys",
                section="chain",
            )
    return links


def check_base_digest(link: Link, base_digest: str, position: str) -> None:
    assert link.index.base is not None
    if link.index.base.digest != base_digest:
        raise BrokenChainError(
            f"{link.path.name} ({position}) was built on another version of its base "
            f"{link.index.base.file} (digest differs); the chain is broken at that link",
            section="chain",
        )


class _PagePlacer:
    """Writes an incremental's concatenated pages at the page numbers its index lists."""

    def __init__(self, fd: int, pages: Sequence[int], where: str) -> None:
        self._fd, self._pages, self._where = fd, pages, where
        self._done = 0
        self._buf = b""

    def write(self, data: bytes) -> None:
        buf = self._buf + data
        whole = len(buf) - len(buf) % PAGE_SIZE
        for off in range(0, whole, PAGE_SIZE):
            if self._done >= len(self._pages):
                raise BackupDamagedError(
                    f"{self._where} holds more pages than its index lists",
                    section=self._where.rsplit(" ", 1)[-1],
                )
            os.pwrite(self._fd, buf[off : off + PAGE_SIZE], self._pages[self._done] * PAGE_SIZE)
            self._done += 1
        self._buf = buf[whole:]

    def finish(self) -> None:
        if self._done != len(self._pages) or self._buf:
            raise BackupDamagedError(
                f"{self._where} holds fewer pages than its index lists",
                section=self._where.rsplit(" ", 1)[-1],
            )


class ChainSink:
    """Applies one archive of a chain to the staged database files: a full archive's databases
    are written whole; an incremental's pages are written at their page numbers and each file
    cut to its new page count. Any mismatch between the index and the pages is damage."""

    def __init__(self, staging: Path, index: ArchiveIndex, name: str) -> None:
        self._staging, self._index, self._name = staging, index, name
        self._fds: dict[str, int] = {}
        self._placers: dict[str, _PagePlacer] = {}

    def _fd(self, database: str) -> int:
        if database not in self._fds:
            flags = os.O_WRONLY | os.O_CREAT
            if self._index.kind == "full":
                flags |= os.O_EXCL
            self._fds[database] = os.open(self._staging / database, flags, 0o600)
        return self._fds[database]

    def __call__(self, section: str) -> Callable[[bytes], None] | None:
        for database in DATABASES:
            if section == self._index.section(database):
                return self._writer(database)
        return None  # the index (read already) or a newer Confide's extra section

    def _writer(self, database: str) -> Callable[[bytes], None]:
        fd = self._fd(database)
        entry = self._index.databases[database]
        if entry.changed is None:

            def write_whole(data: bytes) -> None:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]

            return write_whole
        placer = _PagePlacer(fd, entry.changed, f"{self._name}: section {database}{PAGES_SUFFIX}")
        self._placers[database] = placer
        return placer.write

    def finish(self) -> None:
        """Check every listed page arrived; cut each file to its page count; fsync."""
        for placer in self._placers.values():
            placer.finish()
        for database, fd in self._fds.items():
            os.ftruncate(fd, self._index.databases[database].pages * PAGE_SIZE)
            os.fsync(fd)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def check_restored(staging: Path, index: ArchiveIndex, name: str) -> None:
    """The rebuilt databases must be, page for page, what the newest link's index lists."""
    for database in DATABASES:
        tags = page_tags(staging / database)
        if tags != index.databases[database].tags:
            raise BrokenChainError(
                f"{name}: the chain rebuilt {database} differently from what its index lists; "
                "a link does not belong to this chain",
                section="chain",
            )


def link_position(i: int, total: int) -> str:
    return "the full archive" if i == 0 else f"incremental {i} of {total - 1}"


def index_doc(index: ArchiveIndex) -> Mapping[str, Any]:
    """What the manifest repeats of the index (kind, base, pages carried)."""
    return {
        "kind": index.kind,
        "base": index.base.archive_id if index.base is not None else None,
        "depth": index.depth,
        "pages": {
            name: (d.pages if d.changed is None else len(d.changed))
            for name, d in index.databases.items()
        },
    }
