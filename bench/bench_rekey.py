"""Benchmark: ways to re-encrypt the record database under a new key (disposal's key rotation).

    .venv/bin/python -m bench.bench_rekey [--clients 2000 --notes 50000]

Side by side on a copy of the practice's record.db: cp+fsync (the copy floor), SQLite's backup
API into a file keyed with the new key (what `vault.crypto.rekey` uses), `sqlcipher_export`
(what it used before), `PRAGMA rekey` in place (WAL), zeroing the old file in place, and the
crypto floor (AES-CBC decrypt + encrypt and two HMAC-SHA512 passes over the file's bytes, at
this machine's OpenSSL speed). Synthetic data only; exit status 0 (information, no goal).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vault import Vault

from .practice import BENCH_PASSPHRASE, PracticeSpec, build


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


def run(spec: PracticeSpec, work: Path) -> dict[str, Any]:
    practice = build(spec, verbose=True)
    vault = Vault.unlock(practice.vault_dir, BENCH_PASSPHRASE)
    try:
        old = vault._record_key.hex()  # noqa: SLF001 - bench only, on a throwaway copy
    finally:
        vault.lock()
    new = os.urandom(32).hex()
    source = practice.vault_dir / "record.db"
    size = source.stat().st_size
    spent: dict[str, float] = {}

    started = time.perf_counter()
    shutil.copyfile(source, work / "cp.db")
    _fsync(work / "cp.db")
    spent["cp+fsync (floor)"] = time.perf_counter() - started

    src = _connect(work / "cp.db", old)
    started = time.perf_counter()
    dest = _connect(work / "backup.db", new)
    dest.execute("PRAGMA journal_mode = OFF").fetchall()
    src.backup(dest)
    dest.close()
    _fsync(work / "backup.db")
    spent["backup API, new key (used)"] = time.perf_counter() - started

    started = time.perf_counter()
    src.execute(f"ATTACH DATABASE '{work / 'export.db'}' AS rotated KEY \"x'{new}'\"")
    src.execute("SELECT sqlcipher_export('rotated')").fetchall()
    src.execute("DETACH DATABASE rotated")
    _fsync(work / "export.db")
    spent["sqlcipher_export (before)"] = time.perf_counter() - started
    src.close()
    for name in ("backup.db", "export.db"):
        (work / name).unlink()

    shutil.copyfile(source, work / "rekey.db")
    conn = _connect(work / "rekey.db", old)
    conn.execute("PRAGMA journal_mode = WAL").fetchall()
    started = time.perf_counter()
    conn.execute(f"PRAGMA rekey = \"x'{new}'\"")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    conn.close()
    _fsync(work / "rekey.db")
    spent["PRAGMA rekey in place (WAL)"] = time.perf_counter() - started
    (work / "rekey.db").unlink()

    started = time.perf_counter()
    fd = os.open(work / "cp.db", os.O_WRONLY)
    try:
        zeros, done = b"\0" * (1 << 20), 0
        while done < size:
            done += os.pwrite(fd, zeros[: min(len(zeros), size - done)], done)
        os.fsync(fd)
    finally:
        os.close(fd)
    spent["zero old file in place"] = time.perf_counter() - started
    spent["crypto floor (2 AES-CBC + 2 HMAC-SHA512 passes)"] = _crypto_floor(size)
    return {
        "notes": spec.notes,
        "record_mb": round(size / 2**20, 1),
        "load": round(os.getloadavg()[0], 2),
        "seconds": {k: round(v, 2) for k, v in spent.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=PracticeSpec.clients)
    parser.add_argument("--notes", type=int, default=PracticeSpec.notes)
    args = parser.parse_args(argv)
    spec = PracticeSpec(args.clients, args.notes)
    with tempfile.TemporaryDirectory(prefix="confide-bench-rekey-") as tmp:
        row = run(spec, Path(tmp))
    print(json.dumps(row), flush=True)
    floor = row["seconds"]["cp+fsync (floor)"]
    lines = [
        f"# Re-encryption ({spec.notes} notes, record.db {row['record_mb']} MiB, "
        f"load {row['load']})",
        "",
        "| method | s | x cp+fsync |",
        "|---|---|---|",
    ]
    for name, seconds in row["seconds"].items():
        lines.append(f"| {name} | {seconds} | {seconds / floor:.1f} |")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "rekey.md").write_text("\n".join(lines) + "\n")
    (results / "rekey.json").write_text(json.dumps(row, indent=2) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
