"""Benchmark: ways to re-encrypt the record database under a new key (disposal's key rotation).

    .venv/bin/python -m bench.bench_rekey [--clients 2000 --notes 50000]

Side by side on a copy of the practice's record.db: cp+fsync (the copy floor), SQLite's backup
API into a file keyed with the new key, the page-by-page re-encryption in one streaming pass
(`vault.crypto.rekey.reencrypt_file`, what disposal uses: in one process and split with a
worker process), `sqlcipher_export`, `PRAGMA rekey` in
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
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vault import Vault
from vault.crypto.rekey import reencrypt_file
from vault.crypto.secret import SecretBytes

from .practice import BENCH_PASSPHRASE, PracticeSpec, build, working_copy


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


def _cpu() -> float:
    """User + system CPU of this process and of the worker processes it waited for."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(spent: dict[str, list[tuple[float, float]]], label: str, work: Any) -> None:
    wall, cpu = time.perf_counter(), _cpu()
    work()
    spent.setdefault(label, []).append((time.perf_counter() - wall, _cpu() - cpu))


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
        # The production pass (vault/crypto/rekey.py): one process, or a worker process
        # taking the second half of the pages.
        threshold = 0 if workers > 1 else 1 << 60
        return lambda: reencrypt_file(
            source,
            work / "stream.db",
            SecretBytes(old_key),
            SecretBytes(new_key),
            parallel_bytes=threshold,
        )

    for _ in range(rounds):
        for label, job in (
            ("cp+fsync (floor)", cp),
            ("backup API, new key", backup_api),
            ("page by page, one streaming pass (1 process)", streaming(1)),
            ("page by page, one streaming pass (2 processes, kept)", streaming(2)),
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
