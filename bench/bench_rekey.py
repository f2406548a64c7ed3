"""Benchmark: ways to re-encrypt the record database under a new key (disposal's key rotation).

    .venv/bin/python -m bench.bench_rekey [--clients 2000 --notes 50000]

Side by side on a copy of the practice's record.db: cp+fsync (the copy floor), SQLite's backup
API into a file keyed with the new key, the page-by-page re-encryption in one streaming pass
(`reencrypt_file` here, one thread and two), `sqlcipher_export`, `PRAGMA rekey` in
place (WAL), zeroing the old file in place, and the crypto floor (AES-CBC decrypt + encrypt and
two HMAC-SHA512 passes over the file's bytes, at this machine's OpenSSL speed). `--rounds N`
runs the copying methods N times interleaved and reports the median wall and CPU (user+system)
seconds, so load inflates all of them alike. Synthetic data only; exit status 0 (information).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vault import Vault
from vault.crypto.forensics import PAGE_SIZE, SALT_LEN, hmac_key
from vault.errors import DamagedFileError
from vault.storage import fsutil

from .practice import BENCH_PASSPHRASE, PracticeSpec, build, working_copy

SLICE_PAGES = 256  # 1 MiB of pages per task: read, re-encrypted and written as one


def reencrypt_file(
    source: Path, target: Path, old_key: bytes, new_key: bytes, workers: int = 2
) -> int:
    """Write `target`, page for page the SQLCipher database `source` under `new_key` (raw
    256-bit keys), in one streaming pass; returns the number of pages.

    Each page is authenticated under the old key (a page that fails stops the rotation
    before its commit point, with its number), decrypted, encrypted again with a fresh
    random IV and MACed under the new key and a new random salt: the same four operations
    SQLite's backup API makes SQLCipher do, without SQLite's page cache, b-tree walk and
    journal; free pages (zero-filled by secure_delete) are re-encrypted like the others.
    `workers` threads take 1 MiB slices in turn (OpenSSL's hashing and ciphers release the
    GIL). The source must be checkpointed and not written meanwhile (the caller holds the
    vault's guard). Measured against the backup API, `sqlcipher_export`, `PRAGMA rekey` and
    cp+fsync in bench/bench_rekey.py."""
    from concurrent.futures import ThreadPoolExecutor

    with fsutil.storage_errors(f"cannot read {source.name}"):
        src = os.open(source, os.O_RDONLY)
    try:
        size = os.fstat(src).st_size
        if size == 0 or size % PAGE_SIZE:
            raise DamagedFileError(
                f"{source.name} is not a whole number of pages ({size} bytes); nothing was rotated"
            )
        old_salt = os.pread(src, SALT_LEN, 0)
        new_salt = os.urandom(SALT_LEN)
        old_mac = hmac_key(old_key, old_salt)
        new_mac = hmac_key(new_key, new_salt)
        if target.exists():
            fsutil.secure_unlink(target)
        with fsutil.storage_errors(f"cannot write {target.name}"):
            dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fsutil.FILE_MODE)
        try:
            pages = size // PAGE_SIZE
            step = SLICE_PAGES * PAGE_SIZE

            def one(offset: int) -> None:
                data = os.pread(src, min(step, size - offset), offset)
                out = _reencrypt_slice(
                    data, offset // PAGE_SIZE + 1, old_key, old_mac, new_key, new_mac, new_salt
                )
                if out is None:
                    bad = _first_bad_page(data, offset // PAGE_SIZE + 1, old_mac)
                    raise DamagedFileError(
                        f"page {bad} of {source.name} failed authentication (damaged); "
                        "nothing was rotated"
                    )
                view = memoryview(out)
                while view:
                    n = os.pwrite(dst, view, offset)
                    view, offset = view[n:], offset + n

            with fsutil.storage_errors(f"cannot write {target.name}"):
                if workers > 1:
                    with ThreadPoolExecutor(workers, thread_name_prefix="rekey") as pool:
                        for done in pool.map(one, range(0, size, step)):
                            del done
                else:
                    for offset in range(0, size, step):
                        one(offset)
                os.fsync(dst)
        except BaseException:
            os.close(dst)
            fsutil.secure_unlink(target)
            raise
        os.close(dst)
    finally:
        os.close(src)
    return pages


_IV_AT = 4096 - 80  # forensics.PAGE_SIZE - RESERVE: the page's IV, then its HMAC-SHA512


def _xor16(a: bytes, b: bytes, c: bytes) -> bytes:
    return (
        int.from_bytes(a, "little") ^ int.from_bytes(b, "little") ^ int.from_bytes(c, "little")
    ).to_bytes(16, "little")


def _reencrypt_slice(
    data: bytes,
    first: int,
    old_key: bytes,
    old_mac: bytes,
    new_key: bytes,
    new_mac: bytes,
    new_salt: bytes,
) -> bytearray | None:
    """One slice of whole pages (page `first` onward) under the new key; None if any page
    fails authentication under the old one (nothing of the slice is returned then)."""
    import hashlib
    import hmac
    import struct

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    view = memoryview(data)
    check = hmac.new(old_mac, digestmod=hashlib.sha512)
    sign = hmac.new(new_mac, digestmod=hashlib.sha512)
    count = len(data) // PAGE_SIZE
    for i in range(count):
        at = i * PAGE_SIZE
        mac = check.copy()
        mac.update(view[at + (SALT_LEN if first + i == 1 else 0) : at + PAGE_SIZE - 64])
        mac.update(struct.pack("<I", first + i))
        if not hmac.compare_digest(mac.digest(), view[at + PAGE_SIZE - 64 : at + PAGE_SIZE]):
            return None
    # Decrypt the slice as one CBC stream (zero IV): every block is right but each page's
    # first, which used the 16 bytes before it instead of the page's IV: corrected below.
    plain = Cipher(algorithms.AES(old_key), modes.CBC(bytes(16))).decryptor().update(data)
    ivs = os.urandom(16 * count)
    # One encryptor for the slice: a page's first block goes in XORed with its fresh IV and
    # the chain value (the last block out), so it comes out E(P0 ^ IV), as a page of its own.
    encrypt = Cipher(algorithms.AES(new_key), modes.CBC(bytes(16))).encryptor()
    chain = bytes(16)
    zero = bytes(16)
    out = bytearray()
    for i in range(count):
        pgno = first + i
        at = i * PAGE_SIZE
        start = at + (SALT_LEN if pgno == 1 else 0)
        before = data[start - 16 : start] if start else zero
        old_iv = data[at + _IV_AT : at + _IV_AT + 16]
        iv = ivs[16 * i : 16 * i + 16]
        head = _xor16(_xor16(plain[start : start + 16], before, old_iv), iv, chain)
        ct = encrypt.update(head + plain[start + 16 : at + _IV_AT])
        chain = ct[-16:]
        mac = sign.copy()
        mac.update(ct)
        mac.update(iv)
        mac.update(struct.pack("<I", pgno))
        if pgno == 1:
            out += new_salt
        out += ct
        out += iv
        out += mac.digest()
    return out


def _first_bad_page(data: bytes, first: int, old_mac: bytes) -> int:
    import hashlib
    import hmac
    import struct

    for i in range(len(data) // PAGE_SIZE):
        page = data[i * PAGE_SIZE : (i + 1) * PAGE_SIZE]
        start = SALT_LEN if first + i == 1 else 0
        expected = hmac.new(
            old_mac, page[start:-64] + struct.pack("<I", first + i), hashlib.sha512
        ).digest()
        if not hmac.compare_digest(expected, page[-64:]):
            return first + i
    return first


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _connect(path: Path, hexkey: str) -> Any:
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{hexkey}'\"")  # bench only: a throwaway key on a copy
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _crypto_floor(size: int) -> float:
    data = os.urandom(min(size, 64 << 20))
    key = os.urandom(32)
    started = time.perf_counter()
    hashlib.sha512(data).digest()
    hashlib.sha512(data).digest()
    Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).decryptor().update(data)
    Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).encryptor().update(data)
    return (time.perf_counter() - started) * size / len(data)


def _timed(spent: dict[str, list[tuple[float, float]]], label: str, work: Any) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    spent.setdefault(label, []).append((time.perf_counter() - wall, time.process_time() - cpu))


def run(spec: PracticeSpec, work: Path, rounds: int = 1) -> dict[str, Any]:
    practice = working_copy(build(spec, verbose=True), work / "practice")
    vault = Vault.unlock(practice.vault_dir, BENCH_PASSPHRASE)
    try:
        vault.db.checkpoint()
        old_key = bytes(vault._record_key.reveal())  # noqa: SLF001 - bench only, on a copy
    finally:
        vault.lock()
    old = old_key.hex()
    new_key = os.urandom(32)
    new = new_key.hex()
    source = practice.vault_dir / "record.db"
    size = source.stat().st_size
    spent: dict[str, list[tuple[float, float]]] = {}

    def cp() -> None:
        shutil.copyfile(source, work / "cp.db")
        _fsync(work / "cp.db")

    def backup_api() -> None:
        src = _connect(source, old)
        dest = _connect(work / "backup.db", new)
        dest.execute("PRAGMA journal_mode = OFF").fetchall()
        src.backup(dest)
        dest.close()
        src.close()
        _fsync(work / "backup.db")

    def streaming(workers: int) -> Any:
        return lambda: reencrypt_file(source, work / "stream.db", old_key, new_key, workers)

    for _ in range(rounds):
        for label, job in (
            ("cp+fsync (floor)", cp),
            ("backup API, new key", backup_api),
            ("page by page, one streaming pass (1 thread)", streaming(1)),
            ("page by page, one streaming pass (2 threads)", streaming(2)),
        ):
            _timed(spent, label, job)
            for name in ("backup.db", "stream.db"):
                (work / name).unlink(missing_ok=True)
    check = _connect(work / "cp.db", old)  # the streaming copy opens under the new key
    check.close()
    streaming(1)()
    opened = _connect(work / "stream.db", new)
    assert opened.execute("PRAGMA cipher_integrity_check").fetchall() == []
    assert opened.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    opened.close()
    (work / "stream.db").unlink()

    src = _connect(work / "cp.db", old)

    def export() -> None:
        src.execute(f"ATTACH DATABASE '{work / 'export.db'}' AS rotated KEY \"x'{new}'\"")
        src.execute("SELECT sqlcipher_export('rotated')").fetchall()
        src.execute("DETACH DATABASE rotated")
        _fsync(work / "export.db")

    _timed(spent, "sqlcipher_export", export)
    src.close()
    (work / "export.db").unlink()

    shutil.copyfile(source, work / "rekey.db")
    conn = _connect(work / "rekey.db", old)
    conn.execute("PRAGMA journal_mode = WAL").fetchall()

    def in_place() -> None:
        conn.execute(f"PRAGMA rekey = \"x'{new}'\"")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        conn.close()
        _fsync(work / "rekey.db")

    _timed(spent, "PRAGMA rekey in place (WAL)", in_place)
    (work / "rekey.db").unlink()

    def zero() -> None:
        fd = os.open(work / "cp.db", os.O_WRONLY)
        try:
            zeros, done = b"\0" * (1 << 20), 0
            while done < size:
                done += os.pwrite(fd, zeros[: min(len(zeros), size - done)], done)
            os.fsync(fd)
        finally:
            os.close(fd)

    _timed(spent, "zero old file in place", zero)
    floor = _crypto_floor(size)
    spent["crypto floor (2 AES-CBC + 2 HMAC-SHA512 passes)"] = [(floor, floor)]
    return {
        "notes": spec.notes,
        "record_mb": round(size / 2**20, 1),
        "load": round(os.getloadavg()[0], 2),
        "rounds": rounds,
        "seconds": {k: round(statistics.median(w for w, _ in v), 2) for k, v in spent.items()},
        "cpu_seconds": {k: round(statistics.median(c for _, c in v), 2) for k, v in spent.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=PracticeSpec.clients)
    parser.add_argument("--notes", type=int, default=PracticeSpec.notes)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    spec = PracticeSpec(args.clients, args.notes)
    with tempfile.TemporaryDirectory(prefix="confide-bench-rekey-") as tmp:
        row = run(spec, Path(tmp), args.rounds)
    print(json.dumps(row), flush=True)
    floor = row["seconds"]["cp+fsync (floor)"]
    lines = [
        f"# Re-encryption ({spec.notes} notes, record.db {row['record_mb']} MiB, "
        f"load {row['load']}, median of {row['rounds']})",
        "",
        "| method | s | CPU s | x cp+fsync |",
        "|---|---|---|---|",
    ]
    for name, seconds in row["seconds"].items():
        cpu = row["cpu_seconds"][name]
        lines.append(f"| {name} | {seconds} | {cpu} | {seconds / floor:.1f} |")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "rekey.md").write_text("\n".join(lines) + "\n")
    (results / "rekey.json").write_text(json.dumps(row, indent=2) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
