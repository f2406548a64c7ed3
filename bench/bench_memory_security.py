"""Cost of SQLCipher's `cipher_memory_security` (zero every freed allocation), on vs off.

    .venv/bin/python -m bench.bench_memory_security [--clients 100 --notes 4000 --rounds 3]

Builds one synthetic vault (test-insecure KDF, so Argon2id does not drown the numbers), then
for each setting runs a fresh process that opens the record database (unlock minus Argon2id),
searches, and opens notes, taking the median of --rounds. The setting is process-wide, so each
runs in its own process. Confide ships with it off (vault/storage/database.py, by these
numbers); it would be turned on if the cost were under 25 % on each operation. Writes
bench/results/memory_security.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WORDS = [
    "sleep",
    "improved",
    "anxiety",
    "exposure",
    "hierarchy",
    "paced",
    "breathing",
    "mood",
    "homework",
    "values",
    "work",
    "weekend",
    "avoidance",
    "panic",
    "rumination",
    "family",
    "grief",
    "sertraline",
    "boundary",
    "assertive",
    "cognitive",
    "restructuring",
    "relapse",
    "craving",
]
QUERIES = (
    "sleep",
    "exposure hierarchy",
    "grief",
    "panic",
    "sertraline",
    "assertive",
    "relapse craving",
    "weekend",
)
PASSPHRASE = "bench memory security passphrase"  # noqa: S105 - a synthetic bench vault
GOAL = 0.25
RESULTS = Path(__file__).resolve().parent / "results" / "memory_security.json"


def build(folder: Path, clients: int, notes: int, seed: int = 9) -> None:
    from vault import TEST_PRESET, Vault

    rng = random.Random(seed)
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        ids = [vault.clients.add(f"Bench Client {i:04d}").id for i in range(clients)]
        with vault.db.atomic():
            for i in range(notes):
                body = " ".join(rng.choice(WORDS) for _ in range(160))
                vault.notes.create(ids[i % clients], "soap", body=body)
    finally:
        vault.lock()


def measure(folder: Path, on: bool, rounds: int, notes: int) -> dict[str, float]:
    """In this process: the three operations with memory security `on` or off."""
    import vault.storage.database as database
    from vault import Vault

    database.MEMORY_SECURITY = on
    vault = Vault.unlock(folder, PASSPHRASE)  # warm-up: imports, page cache
    vault.lock()
    opens, searches, reads = [], [], []
    rng = random.Random(1)
    for _ in range(rounds):
        t0 = time.perf_counter()
        vault = Vault.unlock(folder, PASSPHRASE)
        t1 = time.perf_counter()
        for query in QUERIES:
            vault.search(query)
        t2 = time.perf_counter()
        for _ in range(200):
            vault.notes.get(rng.randint(1, notes))
        t3 = time.perf_counter()
        vault.lock()
        opens.append(t1 - t0)
        searches.append((t2 - t1) / len(QUERIES))
        reads.append((t3 - t2) / 200)
    return {
        "unlock_ms": round(statistics.median(opens) * 1000, 2),
        "search_ms": round(statistics.median(searches) * 1000, 2),
        "note_open_ms": round(statistics.median(reads) * 1000, 3),
    }


def run(clients: int, notes: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "vault"
        build(folder, clients, notes)
        results: dict[str, Any] = {"clients": clients, "notes": notes}
        for label, on in (("off", False), ("on", True)):
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_memory_security",
                    "--child",
                    str(folder),
                    "--on" if on else "--off",
                    "--rounds",
                    str(rounds),
                    "--notes",
                    str(notes),
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=Path(__file__).parent.parent,
            )
            results[label] = json.loads(proc.stdout)
    results["cost"] = {
        k: round(results["on"][k] / results["off"][k] - 1, 3) for k in results["off"]
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--notes", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", metavar="VAULT")
    parser.add_argument("--on", dest="on", action="store_true")
    parser.add_argument("--off", dest="on", action="store_false")
    args, _ = parser.parse_known_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.on, args.rounds, args.notes)))
        return 0
    result = run(args.clients, args.notes, args.rounds)
    for label in ("off", "on"):
        r = result[label]
        print(
            f"memory security {label:>3}: unlock {r['unlock_ms']:.1f} ms, search "
            f"{r['search_ms']:.2f} ms, note open {r['note_open_ms']:.3f} ms"
        )
    print("cost: " + ", ".join(f"{k} {v:+.0%}" for k, v in result["cost"].items()))
    ok = all(v < GOAL for v in result["cost"].values())
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"goal": f"cost < {GOAL:.0%}", "met": ok, **result}, indent=2) + "\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
