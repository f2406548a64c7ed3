"""Putting an export on disk at the path the user named, and nowhere else.

The bytes go to `PATH.partial` (created exclusively, mode 0600, next to the target so the rename
stays on one filesystem), are fsynced, and only then renamed over the target, inside the
database transaction that records the disclosure. A full or read-only drive, or any failure
before the rename, leaves no file behind and nothing recorded.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfideError, StorageError, UsageError
from ..storage.database import Database, now_utc
from ..storage.fsutil import describe_os_error, fsync_dir, secure_unlink, write_new_file


def check_target(path: Path, force: bool) -> Path:
    """Refuse a bad export path before anything is rendered or recorded."""
    target = path.expanduser()
    if target.name in ("", ".", ".."):
        raise UsageError(f"{path} is not a file name")
    if target.is_dir():
        raise UsageError(f"{target} is a folder; name the file to write")
    if not target.parent.is_dir():
        raise UsageError(f"the folder {target.parent} does not exist")
    if (target.exists() or target.is_symlink()) and not force:
        raise UsageError(
            f"{target} already exists; choose another name or pass --force to replace it"
        )
    return target


def saved_path(target: Path) -> str:
    """The absolute path an export is recorded under (its folder's links resolved)."""
    target = target.expanduser()
    return str(Path(os.path.realpath(target.parent)) / target.name)


def record_export(
    db: Database,
    target: Path,
    data: bytes,
    kind: str,
    client_id: int | None,
    disclosure_id: int | None = None,
) -> None:
    """Note a file leaving the vault (call inside the transaction that publishes it): where it
    went and its digest, so disposal can find the copy later and the certificate can name it."""
    db.execute(
        "INSERT INTO exports (kind, client_id, disclosure_id, path, sha256, size, "
        "written_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            kind,
            client_id,
            disclosure_id,
            saved_path(target),
            hashlib.sha256(data).hexdigest(),
            len(data),
            now_utc(),
        ),
    )


def partial_path(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


def write_export(
    target: Path, data: bytes, force: bool, record: Callable[[Callable[[], None]], None]
) -> None:
    """Write `data` to `target` atomically; `record(publish)` must call `publish()` inside
    its own transaction so that the file appears exactly when the disclosure is recorded."""
    target = check_target(target, force)
    partial = partial_path(target)
    if partial.exists() or partial.is_symlink():
        # Left by a crash during an earlier export; it is ours and must not linger.
        with contextlib.suppress(ConfideError):
            _discard(partial)
    try:
        write_new_file(partial, data)
    except OSError as e:
        if partial.exists():
            _discard(partial)
        raise StorageError(
            describe_os_error(e, f"cannot write {target}") + "; nothing was written or recorded"
        ) from None

    published = False

    def publish() -> None:
        nonlocal published
        if not force and (target.exists() or target.is_symlink()):
            raise UsageError(f"{target} appeared while writing; nothing was recorded")
        try:
            os.replace(partial, target)
            fsync_dir(target.parent)
        except OSError as e:
            raise StorageError(describe_os_error(e, f"cannot write {target}")) from None
        published = True

    try:
        record(publish)
    except BaseException as e:
        _discard(partial)
        if published:
            # The disclosure could not be recorded after the rename: take the file back.
            _discard(target)
        if isinstance(e, (ConfideError, KeyboardInterrupt)):
            raise
        if isinstance(e, OSError):
            raise StorageError(describe_os_error(e, f"cannot write {target}")) from None
        raise
    if not published:
        _discard(partial)
        raise StorageError(f"{target} was not written (internal ordering error)")


def _discard(path: Path) -> None:
    """Overwrite, then unlink: an unfinished export is plaintext the user never received,
    so its blocks must not stay readable in free space (links are removed, not followed)."""
    if not (path.exists() or path.is_symlink()):
        return
    try:
        secure_unlink(path)
    except StorageError as e:
        cause = e.__cause__
        if isinstance(cause, OSError) and cause.errno == errno.ENOENT:
            return
        raise StorageError(f"cannot remove the unfinished {path}: {e}") from None
