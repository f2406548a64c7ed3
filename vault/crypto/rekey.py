"""Data-key rotation (disposal): both databases re-encrypted under new random keys, new key epoch.

Crash safety: the key file is the commit point.

1. each database is re-encrypted page by page (`reencrypt.py`, both cores) to `NAME.epoch-N`
   under its new key; the sealed names are re-sealed inside the new copy;
2. the key file, now holding only the new keys under epoch N, is overwritten in place;
3. `finish_rotation` zeroes each old database file in place and renames `NAME.epoch-N` over it.

A kill before 2 leaves the old key file and the old databases: the `.epoch-N` copies are stale and
`finish_rotation` (run at every unlock) removes them. A kill after 2 leaves the new key file and
complete new copies: `finish_rotation` puts them in place. Either way the vault opens.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from ..errors import DamagedFileError, StorageError
from ..storage import fsutil
from ..storage.database import Database
from . import reencrypt
from .auditkey import rewrap_for_rotation
from .keyslots import KeyFile, KeyName, new_data_keys, wipe_keys
from .sealing import InvalidTag, open_sealed, public_key_of, seal
from .secret import SecretBytes

_EPOCH_SUFFIX = re.compile(r"^(?P<name>[a-z]+\.db)\.epoch-(?P<epoch>\d+)(?P<aux>-journal|-wal)?$")
SEALED_NAME_PURPOSE = b"sealed-legal-name"  # same as records.SEALED_NAME_PURPOSE


def epoch_path(path: Path, epoch: int) -> Path:
    return path.with_name(f"{path.name}.epoch-{epoch}")


def _zero_in_place(path: Path) -> None:
    """Overwrite a file's own blocks with zeros and fsync (the file stays, to be replaced)."""
    with fsutil.storage_errors(f"cannot overwrite {path.name}"):
        fd = os.open(path, os.O_WRONLY)
        try:
            size = os.fstat(fd).st_size
            chunk = b"\0" * (1 << 20)
            done = 0
            while done < size:
                done += os.pwrite(fd, chunk[: min(len(chunk), size - done)], done)
            os.fsync(fd)
        finally:
            os.close(fd)


def finish_rotation(folder: Path, epoch: int) -> list[str]:
    """Complete or clean up an interrupted rotation; returns what it did (file names only)."""
    done: list[str] = []
    if not folder.is_dir():
        return done
    for entry in sorted(folder.iterdir()):
        match = _EPOCH_SUFFIX.match(entry.name)
        if not match:
            continue
        target = folder / match["name"]
        if match["aux"]:
            # The journal of a copy whose export never committed (a committed export deletes
            # its journal): garbage either way.
            fsutil.secure_unlink(entry)
            done.append(f"removed stale {entry.name}")
        elif int(match["epoch"]) == epoch:
            if target.exists():
                _zero_in_place(target)
            with fsutil.storage_errors(f"cannot replace {target.name}"):
                for stale in (
                    target.with_name(target.name + "-wal"),
                    target.with_name(target.name + "-journal"),
                ):
                    if stale.exists():
                        fsutil.secure_unlink(stale)
                os.replace(entry, target)
                fsutil.fsync_dir(folder)
            done.append(f"installed {entry.name}")
        else:
            fsutil.secure_unlink(entry)
            done.append(f"removed stale {entry.name}")
    return done


# Below this size the file is re-encrypted in this process alone: a worker costs a Python start.
PARALLEL_BYTES = 32 << 20


def _export(db: Database, target: Path, key: SecretBytes, old_key: SecretBytes) -> None:
    """Write `target`, page for page `db`'s file under `key`: the pages re-encrypted by
    `reencrypt.py`, about half of them by a worker process on the other core. Every source
    page's HMAC is checked as it is read: a damaged page stops the rotation before its commit point.
    Free pages are re-encrypted as they are (zero-filled by secure_delete); verification
    decrypts and searches them with the rest. A file whose WAL a checkpoint could not empty
    is copied by SQLite's backup API instead (it reads through the WAL)."""
    if target.exists():
        fsutil.secure_unlink(target)
    with db.frozen() as source:
        wal = None if source is None else source.with_name(source.name + "-wal")
        if source is None or (wal is not None and wal.exists() and wal.stat().st_size):
            _export_by_backup_api(db, target, key)
            return
        reencrypt_file(source, target, old_key, key)


def _export_by_backup_api(db: Database, target: Path, key: SecretBytes) -> None:
    """SQLite's backup API into a new file under `key`: what rotation used before the
    streaming pass (about the same CPU, one core only: bench/README.md)."""
    copy = Database.open(target, key, create=True)
    try:
        # A new file that is garbage until the key file commits (`finish_rotation` removes it
        # after a kill): no journal. In WAL mode every page would be written twice and the
        # whole copy held as one transaction (570 MB vault: 13.7 s and 1.2 GiB of memory).
        copy.execute("PRAGMA journal_mode = OFF").fetchall()
        db.copy_pages_into(copy)
    finally:
        copy.close()
    target.chmod(fsutil.FILE_MODE)


def reencrypt_file(
    source: Path,
    target: Path,
    old_key: SecretBytes,
    new_key: SecretBytes,
    *,
    parallel_bytes: int | None = None,
) -> int:
    """Write `target` (new, synced), page for page the SQLCipher file `source` under `new_key`
    with a new salt; returns its number of pages. From `parallel_bytes` on (default
    `PARALLEL_BYTES`), a worker process shares the 1 MiB slices, each process taking the next
    one from a token pipe as it is free (on a loaded machine neither waits for a slower fixed
    half). The source must
    not change meanwhile (the caller holds it frozen). Raises DamagedFileError, removing
    `target`, if a page fails authentication."""
    if len(old_key) != 32 or len(new_key) != 32:
        raise StorageError("internal: the re-encryption takes 256-bit raw keys")
    with fsutil.storage_errors(f"cannot read {source.name}"):
        src = os.open(source, os.O_RDONLY)
    try:
        size = os.fstat(src).st_size
        if size == 0 or size % reencrypt.PAGE_SIZE:
            raise DamagedFileError(
                f"{source.name} is not a whole number of pages ({size} bytes); nothing was rotated"
            )
        pages = size // reencrypt.PAGE_SIZE
        new_salt = os.urandom(reencrypt.SALT_LEN)
        with fsutil.storage_errors(f"cannot write {target.name}"):
            dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fsutil.FILE_MODE)
        try:
            with fsutil.storage_errors(f"cannot write {target.name}"):
                # Every block now: a full disk fails here, before any work, and the removal
                # below overwrites blocks that exist (the worker writes into the same file).
                os.posix_fallocate(dst, 0, size)
                threshold = PARALLEL_BYTES if parallel_bytes is None else parallel_bytes
                tokens = _token_pipe(pages) if size >= threshold else None
                worker = None
                try:
                    if tokens is not None:
                        # No second process (none can be started here): this one takes
                        # every slice from the token pipe.
                        with contextlib.suppress(StorageError):
                            worker = _start_worker(
                                source, target, tokens, pages, old_key, new_key, new_salt
                            )
                    bad = reencrypt.reencrypt_range(
                        src,
                        dst,
                        1,
                        pages,
                        old_key.reveal(),
                        new_key.reveal(),
                        new_salt,
                        tokens=tokens,
                    )
                    if bad is None and worker is not None:
                        bad = _wait_worker(worker)
                        worker = None
                finally:
                    if tokens is not None:
                        os.close(tokens)
                    if worker is not None:  # this process's slices failed: stop the other
                        worker.kill()
                        worker.wait()
                if bad is not None:
                    raise DamagedFileError(
                        f"page {bad} of {source.name} failed authentication (damaged); "
                        "nothing was rotated"
                    )
                os.fsync(dst)
        except BaseException:
            os.close(dst)
            fsutil.secure_unlink(target)
            raise
        os.close(dst)
    finally:
        os.close(src)
    return pages


def _token_pipe(pages: int) -> int | None:
    """The read end of a pipe holding every slice's first page (`reencrypt_range`), written
    whole and closed for writing before either process reads; None when the pipe cannot hold
    them all (then one process does the file)."""
    blob = b"".join(reencrypt.TOKEN.pack(p) for p in range(1, pages + 1, reencrypt.SLICE_PAGES))
    read, write = os.pipe()
    try:
        if fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) < len(blob):
            with contextlib.suppress(OSError):  # above the system's pipe-max-size
                fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, len(blob))
        if fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) < len(blob):
            os.close(read)
            return None
        view = memoryview(blob)
        while view:
            view = view[os.write(write, view) :]
    except BaseException:
        os.close(read)
        raise
    finally:
        os.close(write)
    return read


def _start_worker(
    source: Path,
    target: Path,
    tokens: int,
    pages: int,
    old_key: SecretBytes,
    new_key: SecretBytes,
    new_salt: bytes,
) -> subprocess.Popen[bytes]:
    request = bytearray(
        reencrypt.REQUEST.pack(1, pages, old_key.reveal(), new_key.reveal(), new_salt)
    )
    return start_worker(["rekey", str(target), str(tokens)], request, source, (tokens,))


def start_worker(
    args: list[str], request: bytearray, source: Path, fds: tuple[int, ...] = ()
) -> subprocess.Popen[bytes]:
    """`reencrypt.py` run as a worker on the other core with `args` (and the file descriptors
    `fds`); `request` (keys: wiped here once sent) and then `source`'s path go through its
    stdin pipe, never its arguments."""
    if getattr(sys, "frozen", False) or not sys.executable:
        # A bundled application's executable is not a Python that runs a script: the
        # callers then do the work in this process.
        request[:] = bytes(len(request))
        raise StorageError("no Python interpreter to run the re-encryption worker")
    request += os.fsencode(source)
    try:
        # -I: no environment variables, user site or script folder on its path.
        worker = subprocess.Popen(  # noqa: S603 - this interpreter, this package's own file
            [sys.executable, "-I", reencrypt.__file__, args[0], str(os.getpid()), *args[1:]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=fds,
        )
        assert worker.stdin is not None
        try:
            worker.stdin.write(request)
            worker.stdin.close()
        except OSError:
            pass  # it died at start: its answer (none) says so
        worker.stdin = None  # closed: communicate() must not flush it
    except OSError as e:
        raise StorageError(f"cannot start the re-encryption worker: {e.strerror}") from e
    finally:
        request[:] = bytes(len(request))
    return worker


def worker_answer(worker: subprocess.Popen[bytes]) -> list[str]:
    """The words of a worker's one-line answer (StorageError if it failed without one)."""
    out, err = worker.communicate()
    answer = out.decode("ascii", "replace").split()
    if worker.returncode == 0 and answer:
        return answer
    last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [
        f"exit status {worker.returncode}"
    ]
    raise StorageError(f"the re-encryption worker failed ({last[0][:200]}); nothing was changed")


def _wait_worker(worker: subprocess.Popen[bytes]) -> int | None:
    """None when the worker's pages are written, else the page that failed."""
    answer = worker_answer(worker)
    if answer == ["ok"]:
        return None
    if len(answer) == 2 and answer[0] == "bad" and answer[1].isdigit():
        return int(answer[1])
    raise StorageError("the re-encryption worker gave no answer; nothing was rotated")


def _reseal_names(
    path: Path, key: SecretBytes, old_sealed: SecretBytes, new_sealed: SecretBytes, vault_id: str
) -> None:
    """Re-seal pseudonymous clients' legal names to the new sealed key, in the new copy only."""
    aad = f"confide/{vault_id}/legal-name".encode()
    db = Database.open(path, key)
    try:
        with db.atomic():
            for row in db.query(
                "SELECT id, legal_name_sealed FROM clients WHERE legal_name_sealed IS NOT NULL"
            ):
                try:
                    name = open_sealed(old_sealed, bytes(row[1]), aad, SEALED_NAME_PURPOSE)
                except InvalidTag:
                    raise DamagedFileError(
                        f"the sealed name of C-{int(row[0]):05d} is damaged; nothing was rotated"
                    ) from None
                db.execute(
                    "UPDATE clients SET legal_name_sealed = ? WHERE id = ?",
                    (seal(public_key_of(new_sealed), name, aad, SEALED_NAME_PURPOSE), int(row[0])),
                )
            db.execute(
                "UPDATE meta SET value = ? WHERE key = 'sealed_public'",
                (public_key_of(new_sealed).hex(),),
            )
    finally:
        db.close()


def rotate(
    folder: Path,
    keyfile: KeyFile,
    passphrase: str,
    record_db: Database,
    pnotes_db: Database,
    old_keys: Mapping[KeyName, SecretBytes],
    record_name: str,
    pnotes_name: str,
    key_name: str,
    keep: dict[KeyName, SecretBytes] | None = None,
    kek: SecretBytes | None = None,
) -> tuple[KeyFile, SecretBytes]:
    """Rotate every data key. The caller closes both databases afterwards, then calls
    `finish_rotation`. Returns the new key file (already saved) and the new record key; with
    `keep`, copies of all new keys go there too (the caller wipes them); with `kek` (from
    `KeyFile.passphrase_kek`) the new slots are wrapped without a second Argon2id."""
    new_keys = new_data_keys()
    epoch = keyfile.epoch + 1
    try:
        record_copy = epoch_path(folder / record_name, epoch)
        pnotes_copy = epoch_path(folder / pnotes_name, epoch)
        record_db.checkpoint()
        pnotes_db.checkpoint()
        with fsutil.storage_errors("cannot write the re-encrypted copy"):
            _export(record_db, record_copy, new_keys[KeyName.RECORD], old_keys[KeyName.RECORD])
            _export(pnotes_db, pnotes_copy, new_keys[KeyName.PNOTES], old_keys[KeyName.PNOTES])
        _reseal_names(
            record_copy,
            new_keys[KeyName.RECORD],
            old_keys[KeyName.SEALED],
            new_keys[KeyName.SEALED],
            keyfile.vault_id,
        )
        for copy in (record_copy, pnotes_copy):
            with fsutil.storage_errors(f"cannot sync {copy.name}"):
                fd = os.open(copy, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        fsutil.fsync_dir(folder)
        rewrapped = keyfile.rewrapped(
            passphrase,
            new_keys,
            new_epoch=True,
            kek=kek,
            previous_record_key=old_keys[KeyName.RECORD],
        )
        # The audit key and anchor carry over, wrapped under the new record key.
        rewrapped = rewrap_for_rotation(
            keyfile, rewrapped, old_keys[KeyName.RECORD], new_keys[KeyName.RECORD]
        )
        rewrapped.save(folder / key_name)  # the commit point: old wrapped keys overwritten
        record_key = SecretBytes(new_keys[KeyName.RECORD].reveal())
        if keep is not None:
            keep.update({name: SecretBytes(key.reveal()) for name, key in new_keys.items()})
    finally:
        wipe_keys(new_keys)
    return rewrapped, record_key


__all__ = ["epoch_path", "finish_rotation", "rotate"]
