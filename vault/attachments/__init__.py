"""Attachments: scanned forms and other files kept inside the vault (issue 18 part 2).

Reached as `vault.attachments` on an unlocked vault. The content lives in record.db, in chunk
rows of 1 MiB (`content.CHUNK_BYTES`), so SQLCipher encrypts it and backups, restore, key
rotation and disposal cover it with no code of their own; a file streams in and out without
being held whole in memory. Only PDF and common image formats are accepted (told by their first
bytes), up to `content.MAX_BYTES`.

An attachment added with `add` belongs to a client at once; one pulled from the inbox
(`vault.attachments.inbox`, see `inbox.py`) waits unassigned until `assign`. An assigned
attachment is part of the record: a database trigger keeps its content, client and links as they
are, and a mistake is marked entered in error (kept, with the reason), never deleted; only an
unassigned inbox item can be discarded. Saving a copy out of the vault (`save_copy`) writes only
to the path asked for and records the copy, like a release, so disposal can find it.

Every read and change is audited with identifiers and counts only, never a file name.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import DamagedFileError, ImmutableRecordError, NotFoundError, StorageError, UsageError
from ..records import validate as _fields
from ..records.audit import Action
from ..storage.database import Row, now_utc
from ..storage.fsutil import describe_os_error, fsync_dir, secure_unlink
from . import content
from .content import CHUNK_BYTES, MAX_BYTES, Format, extension_of

if TYPE_CHECKING:
    from ..vault import Vault
    from .inbox import Inbox


class AttachmentKind(StrEnum):
    """What a document is, as a records keeper files it."""

    INTAKE = "intake"
    CONSENT = "consent"
    AUTHORIZATION = "authorization"
    AMENDMENT = "amendment"
    OTHER = "other"

    @classmethod
    def parse(cls, text: str | AttachmentKind) -> AttachmentKind:
        if isinstance(text, AttachmentKind):
            return text
        key = text.strip().lower()
        for kind in cls:
            if key == kind.value:
                return kind
        valid = ", ".join(k.value for k in cls)
        raise UsageError(f"unknown attachment kind {text[:24]!r}; use one of: {valid}")


LINK_TYPES = {
    "authorization": ("authorizations", "A"),
    "amendment": ("amendments", "M"),
    # The signed confidentiality notice (issue 18 part 1): `consent_notices`, K-00001.
    "consent_notice": ("consent_notices", "K"),
}
# How messages name each (with the article they take).
_LINK_NAMES = {
    "authorization": ("an", "authorization"),
    "amendment": ("an", "amendment"),
    "consent_notice": ("a", "notice"),
}
# What a person may type for a link's type: the schema's name, or the CLI's word for it.
_LINK_ALIASES = {"notice": "consent_notice"}


@dataclass(frozen=True)
class Link:
    """The record an attachment belongs to: an authorization (A-00003), an amendment (M-00002)
    or a given confidentiality notice (K-00001)."""

    type: str
    id: int

    @property
    def record_id(self) -> str:
        return f"{LINK_TYPES[self.type][1]}-{self.id:05d}"

    @classmethod
    def parse(cls, text: str) -> Link:
        """`authorization:3`, `authorization:A-00003`, `amendment:M-00002`, `notice:K-00001`."""
        kind, sep, ident = text.partition(":")
        kind = kind.strip().lower()
        kind = _LINK_ALIASES.get(kind, kind)
        if not sep or kind not in LINK_TYPES:
            raise UsageError(
                f"{text[:40]!r} does not name a record; use authorization:ID, amendment:ID"
                " or notice:ID"
            )
        prefix = LINK_TYPES[kind][1]
        digits = ident.strip().upper().removeprefix(prefix).lstrip("-")
        if not digits.isdigit() or not digits.isascii() or int(digits) <= 0:
            raise UsageError(
                f"{ident[:24]!r} is not {' '.join(_LINK_NAMES[kind])} identifier"
                f" (for example {prefix}-00001)"
            )
        return cls(kind, int(digits))


@dataclass(frozen=True)
class Attachment:
    """One stored file. `file_name` is data as given (shown literally, hidden in privacy mode)."""

    id: int
    client_id: int | None
    kind: AttachmentKind
    link: Link | None
    file_name: str
    media_type: str
    size: int
    sha256: str
    source: str  # "attach" (added for a client) or "inbox" (pulled from the watched folder)
    added_at: str
    assigned_at: str | None
    entered_in_error_at: str | None
    error_reason: str | None

    @property
    def record_id(self) -> str:
        return f"F-{self.id:05d}"

    @property
    def export_name(self) -> str:
        """`F-00001.pdf`: the name Confide gives the file when it travels with a copy."""
        return f"{self.record_id}.{extension_of(self.media_type)}"

    @property
    def is_assigned(self) -> bool:
        return self.client_id is not None

    @property
    def entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": self.record_id,
            "client_id": self.client_id,
            "kind": self.kind.value,
            "link": None if self.link is None else self.link.record_id,
            "file_name": self.file_name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "source": self.source,
            "added_at": self.added_at,
            "assigned_at": self.assigned_at,
            "entered_in_error_at": self.entered_in_error_at,
            "error_reason": self.error_reason,
        }


@dataclass(frozen=True)
class SavedCopy:
    """A copy written out of the vault at the user's path, and recorded."""

    attachment: Attachment
    path: Path
    size: int
    sha256: str


def _attachment(row: Row) -> Attachment:
    link = None if row["link_type"] is None else Link(str(row["link_type"]), int(row["link_id"]))
    return Attachment(
        int(row["id"]),
        None if row["client_id"] is None else int(row["client_id"]),
        AttachmentKind(row["kind"]),
        link,
        str(row["file_name"]),
        str(row["media_type"]),
        int(row["size"]),
        str(row["sha256"]),
        str(row["source"]),
        str(row["added_at"]),
        row["assigned_at"],
        row["entered_in_error_at"],
        row["error_reason"],
    )


_NOT_IN_FILE_NAMES = re.compile(
    f"[\x00-\x1f\x7f-\x9f{_fields.LINE_SEPARATORS}{_fields.BIDI_CONTROLS}\ud800-\udfff]"
)


def file_name(value: str) -> str:
    """An original file name is kept as data, on one line: a control character, a separator,
    a bidi control or a byte that was not UTF-8 is kept as a visible escape (`\\x1b`), so a
    scan named by a hostile device is still pulled in, and shows as what it is."""
    shown = _NOT_IN_FILE_NAMES.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        value,
    ).strip(" ")
    if not shown:
        raise UsageError("the file name is empty")
    return shown[: content.MAX_FILE_NAME_CHARS]


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1 << 20:
        return f"{size / 1024:.0f} KiB"
    return f"{size / (1 << 20):.1f} MiB"


class Attachments:
    """The attachments facet (`vault.attachments`)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    @property
    def inbox(self) -> Inbox:
        """The scanned-forms inbox (a watched folder)."""
        from .inbox import Inbox

        current = self.__dict__.get("_inbox")
        if not isinstance(current, Inbox):
            current = Inbox(self._vault)
            self.__dict__["_inbox"] = current
        return current

    # -- adding

    def add(
        self,
        path: Path,
        client_id: int,
        kind: AttachmentKind | str = AttachmentKind.OTHER,
        link: Link | None = None,
    ) -> Attachment:
        """Add the file at `path` to a client's record. The file itself is left as it is."""
        kind = AttachmentKind.parse(kind)
        self._check_client(client_id)
        path = Path(path).expanduser()
        name = file_name(path.name)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the stat checks
        except IsADirectoryError:
            raise UsageError(f"{path} is a folder; name the file to attach") from None
        except OSError as e:
            raise UsageError(describe_os_error(e, f"cannot read {path}")) from None
        with handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{path} is not a regular file; nothing was added")
            return self._store(handle, name, str(path), client_id, kind, link, "attach")

    def _store(
        self,
        handle: IO[bytes],
        name: str,
        where: str,
        client_id: int | None,
        kind: AttachmentKind,
        link: Link | None,
        source: str,
        *,
        complete: Callable[[Format, bytes], bool] | None = None,
        still_same: Callable[[], bool] | None = None,
    ) -> Attachment:
        """Stream `handle` into a new attachment, in one transaction: the row, the chunks, the
        digest. `complete` and `still_same` let the inbox refuse a file still being written."""
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_BYTES:
            raise content.too_large(size, where)
        first = handle.read(CHUNK_BYTES)
        if not first:
            raise UsageError(f"{where} is empty; nothing was added")
        fmt = content.require_format(first[: content.HEAD_BYTES], where)
        db = self._vault.db
        digest = hashlib.sha256()
        total = 0
        tail = b""
        if link is not None:
            if client_id is None:
                raise UsageError("an attachment linked to a record needs a client")
            self._check_link(client_id, link)
        with db.atomic():
            aid = db.next_id("attachments")
            now = now_utc()
            # Inserted unassigned first: the chunks need the row, and the digest is known only
            # at the end (the trigger keeps an assigned row as it is).
            db.execute(
                "INSERT INTO attachments (id, client_id, kind, file_name, media_type, size, "
                "sha256, source, added_at) VALUES (?, NULL, ?, ?, ?, 1, '', ?, ?)",
                (aid, kind.value, name, fmt.media_type, source, now),
            )
            seq = 0
            chunk = first
            while chunk:
                total += len(chunk)
                if total > MAX_BYTES:
                    raise content.too_large(total, where)
                digest.update(chunk)
                tail = (tail + chunk)[-2048:]
                db.execute(
                    "INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES (?, ?, ?)",
                    (aid, seq, chunk),
                )
                seq += 1
                chunk = handle.read(CHUNK_BYTES)
            if complete is not None and not complete(fmt, tail):
                raise _Incomplete(
                    f"{where} does not end as a {fmt.label} must (still being written?)"
                )
            if still_same is not None and not still_same():
                raise _Incomplete(f"{where} changed while it was read")
            db.execute(
                "UPDATE attachments SET size = ?, sha256 = ?, client_id = ?, link_type = ?, "
                "link_id = ?, assigned_at = ? WHERE id = ?",
                (
                    total,
                    digest.hexdigest(),
                    client_id,
                    None if link is None else link.type,
                    None if link is None else link.id,
                    None if client_id is None else now,
                    aid,
                ),
            )
            self._vault.audit.record(
                Action.CREATE,
                "attachment",
                aid,
                client=client_id,
                kind=kind.value,
                bytes=total,
                chunks=seq,
                source=source,
            )
        return self.get_unaudited(aid)

    # -- reading

    def get(self, attachment_id: int) -> Attachment:
        found = self.get_unaudited(attachment_id)
        self._vault.audit.record(Action.VIEW, "attachment", attachment_id, client=found.client_id)
        return found

    def get_unaudited(self, attachment_id: int) -> Attachment:
        """For a read that is part of another audited action (the documented exception)."""
        row = self._vault.db.one("SELECT * FROM attachments WHERE id = ?", (attachment_id,))
        if row is None:
            raise NotFoundError(f"no attachment F-{attachment_id:05d}")
        return _attachment(row)

    def list(self, client_id: int) -> builtins.list[Attachment]:
        """A client's attachments, oldest first (entered-in-error ones included, marked)."""
        found = self.for_client_unaudited(client_id)
        self._vault.audit.record(Action.VIEW, "attachments", client_id, count=len(found))
        return found

    def for_client_unaudited(self, client_id: int) -> builtins.list[Attachment]:
        """A client's attachments, for features that audit their own action (releases, access
        copies, the open export): pair with `chunks_unaudited` to stream each one."""
        self._check_client(client_id)
        rows = self._vault.db.query(
            "SELECT * FROM attachments WHERE client_id = ? ORDER BY id", (client_id,)
        )
        return [_attachment(r) for r in rows]

    def for_export(
        self, client_id: int, *, include_entered_in_error: bool = False
    ) -> Iterator[tuple[Attachment, Iterator[bytes]]]:
        """Each of a client's attachments with its content as a chunk stream (the open
        export; releases and copies stream the ones they chose with `chunks_unaudited`).
        Consume each stream before the next. Unaudited: the caller's own action (a release,
        an export) is the audit entry, and should count the attachments it took."""
        for found in self.for_client_unaudited(client_id):
            if found.entered_in_error and not include_entered_in_error:
                continue
            yield found, self.chunks_unaudited(found.id)

    def unassigned(self) -> builtins.list[Attachment]:
        """The inbox items still waiting for a client, oldest first."""
        rows = self._vault.db.query("SELECT * FROM attachments WHERE client_id IS NULL ORDER BY id")
        found = [_attachment(r) for r in rows]
        self._vault.audit.record(Action.VIEW, "attachments", None, count=len(found), inbox=True)
        return found

    def unassigned_count(self) -> int:
        """How many inbox items wait for a client (a count only: not audited)."""
        return int(
            self._vault.db.scalar("SELECT count(*) FROM attachments WHERE client_id IS NULL")
        )

    def count(self, client_id: int) -> int:
        return int(
            self._vault.db.scalar(
                "SELECT count(*) FROM attachments WHERE client_id = ?", (client_id,)
            )
        )

    def chunks_unaudited(self, attachment_id: int) -> Iterator[bytes]:
        """The content, a chunk at a time, checked against its SHA-256 at the end (a mismatch
        raises DamagedFileError after the last chunk: a consumer must discard what it wrote)."""
        found = self.get_unaudited(attachment_id)
        db = self._vault.db
        digest = hashlib.sha256()
        seq = 0
        total = 0
        while True:
            data = db.scalar(
                "SELECT data FROM attachment_chunks WHERE attachment_id = ? AND seq = ?",
                (attachment_id, seq),
            )
            if data is None:
                break
            chunk = bytes(data)
            digest.update(chunk)
            total += len(chunk)
            seq += 1
            yield chunk
        if total != found.size or digest.hexdigest() != found.sha256:
            raise DamagedFileError(
                f"attachment {found.record_id} does not match its recorded digest"
            )

    # -- filing

    def assign(
        self,
        attachment_id: int,
        client_id: int,
        kind: AttachmentKind | str | None = None,
        link: Link | None = None,
    ) -> Attachment:
        """File an inbox item in a client's record (once: an assigned one stays where it is)."""
        found = self.get_unaudited(attachment_id)
        if found.is_assigned:
            raise ImmutableRecordError(
                f"{found.record_id} is already filed for C-{found.client_id:05d}; an attachment "
                "in a record stays there (mark it entered in error if it was a mistake)"
            )
        self._check_client(client_id)
        chosen = found.kind if kind is None else AttachmentKind.parse(kind)
        if link is not None:
            self._check_link(client_id, link)
        db = self._vault.db
        with db.atomic():
            db.execute(
                "UPDATE attachments SET client_id = ?, kind = ?, link_type = ?, link_id = ?, "
                "assigned_at = ? WHERE id = ?",
                (
                    client_id,
                    chosen.value,
                    None if link is None else link.type,
                    None if link is None else link.id,
                    now_utc(),
                    attachment_id,
                ),
            )
            # Copies saved while it was unassigned now belong to the client (disposal finds them).
            db.execute(
                "UPDATE attachment_copies SET client_id = ? WHERE attachment_id = ?",
                (client_id, attachment_id),
            )
            self._vault.audit.record(
                Action.EDIT, "attachment", attachment_id, client=client_id, step="assign"
            )
        return self.get_unaudited(attachment_id)

    def mark_entered_in_error(self, attachment_id: int, reason: str) -> Attachment:
        """Keep a filed attachment but mark it a mistake (wrong client, wrong scan)."""
        found = self.get_unaudited(attachment_id)
        why = _fields.one_line(reason, "the reason", max_chars=500)
        if not found.is_assigned:
            raise UsageError(
                f"{found.record_id} is not filed yet; discard it from the inbox instead"
            )
        if found.entered_in_error:
            raise ImmutableRecordError(f"{found.record_id} is already marked entered in error")
        with self._vault.db.atomic():
            self._vault.db.execute(
                "UPDATE attachments SET entered_in_error_at = ?, error_reason = ? WHERE id = ?",
                (now_utc(), why, attachment_id),
            )
            self._vault.audit.record(
                Action.EDIT, "attachment", attachment_id, client=found.client_id, step="error"
            )
        return self.get_unaudited(attachment_id)

    def discard(self, attachment_id: int) -> Attachment:
        """Delete an unassigned inbox item (a blank page, someone else's scan). With
        secure_delete its pages are zeroed; old copies in backups age out with them."""
        found = self.get_unaudited(attachment_id)
        if found.is_assigned:
            raise ImmutableRecordError(
                f"{found.record_id} is part of C-{found.client_id:05d}'s record and is never "
                "deleted (mark it entered in error instead)"
            )
        db = self._vault.db
        with db.atomic():
            db.retire_ids("attachments")
            db.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))
            self._vault.audit.record(Action.DISCARD, "attachment", attachment_id, bytes=found.size)
        return found

    # -- leaving the vault

    def save_copy(self, attachment_id: int, target: Path, *, force: bool = False) -> SavedCopy:
        """Write the content to `target` (and nowhere else): a `.partial` file created mode
        0600, fsynced, renamed over the target inside the transaction that records the copy and
        audits it. A failure leaves no file and nothing recorded."""
        from ..disclosures.writer import check_target, partial_path, saved_path

        found = self.get_unaudited(attachment_id)
        target = check_target(Path(target), force)
        partial = partial_path(target)
        if partial.exists() or partial.is_symlink():
            _remove(partial)
        digest = hashlib.sha256()
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except OSError as e:
            raise StorageError(describe_os_error(e, f"cannot write {target}")) from None
        try:
            try:
                for chunk in self.chunks_unaudited(attachment_id):
                    digest.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            with self._vault.db.atomic():
                self._vault.db.execute(
                    "INSERT INTO attachment_copies (attachment_id, client_id, path, sha256, "
                    "size, written_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        attachment_id,
                        found.client_id,
                        saved_path(target),
                        digest.hexdigest(),
                        found.size,
                        now_utc(),
                    ),
                )
                self._vault.audit.record(
                    Action.EXPORT,
                    "attachment",
                    attachment_id,
                    client=found.client_id,
                    bytes=found.size,
                )
                if not force and (target.exists() or target.is_symlink()):
                    raise UsageError(f"{target} appeared while writing; nothing was recorded")
                os.replace(partial, target)
                fsync_dir(target.parent)
        except OSError as e:
            _remove(partial)
            raise StorageError(
                describe_os_error(e, f"cannot write {target}") + "; nothing was written or recorded"
            ) from None
        except BaseException:
            _remove(partial)
            raise
        return SavedCopy(found, target, found.size, digest.hexdigest())

    # -- checks

    def _check_client(self, client_id: int) -> None:
        if not self._vault.clients.exists(client_id):
            raise NotFoundError(f"no client C-{client_id:05d}")

    def _check_link(self, client_id: int, link: Link) -> None:
        table = LINK_TYPES[link.type][0]
        owner = self._vault.db.scalar(f"SELECT client_id FROM {table} WHERE id = ?", (link.id,))
        if owner is None:
            raise NotFoundError(f"no {_LINK_NAMES[link.type][1]} {link.record_id}")
        if int(owner) != client_id:
            raise UsageError(
                f"{_LINK_NAMES[link.type][1]} {link.record_id} belongs to another client"
            )


class _Incomplete(UsageError):
    """A file the inbox must leave where it is for now (still being written)."""


def _remove(path: Path) -> None:
    """An unfinished copy is plaintext nobody received: overwrite it, then unlink."""
    if path.exists() or path.is_symlink():
        secure_unlink(path)


__all__ = [
    "Attachment",
    "AttachmentKind",
    "Attachments",
    "Link",
    "SavedCopy",
    "file_name",
    "human_size",
]
