"""Search p95 by kind of query at every practice size (issue 14: under 20 ms CPU at 200k notes).

    .venv/bin/python -m bench.bench_search [--sizes 200:5000 2000:50000 8000:200000] [--rounds 3]

`Vault.search` (the FTS query and its audit entry) on a working copy of each cached practice
(built when missing): the bench's 100 queries (`practice.search_queries`: common words, rare
words, prefixes, two words) and the short prefixes that matched most of the practice before the
prefix index (`an*` ... `par*`). Each query runs `--rounds` times after 10 warm-up queries; the
CPU time of this process (`time.process_time`) is what load inflates least, wall time is beside
it. Writes `bench/results/search.md` and `search.json`; exit status 1 when a p95 of CPU misses
20 ms. Synthetic data only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.practice import CACHE_DIR, PracticeSpec, build, search_queries, working_copy
from vault import Vault

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GOAL_CPU_P95_MS = 20.0
SHORT_PREFIXES = ["an*", "fa*", "ho*", "mo*", "par*", "re*", "sl*", "wo*", "th*", "ins*"]
KINDS = ["common word", "rare word", "rare word", "prefix", "two words"]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(spec: PracticeSpec, rounds: int, cache: Path) -> dict[str, Any]:
    practice = build(spec, cache)
    queries = [(KINDS[i % 5], q) for i, q in enumerate(search_queries(spec.seed, 100))]
    queries += [("short prefix", q) for q in SHORT_PREFIXES]
    with tempfile.TemporaryDirectory(prefix="confide-bench-search-") as tmp:
        copy = working_copy(practice, Path(tmp) / "work")
        with Vault.unlock(copy.vault_dir, copy.passphrase) as vault:
            for q in search_queries(spec.seed + 99, 10):
                vault.search(q)
            cpu: dict[str, list[float]] = {}
            wall: dict[str, list[float]] = {}
            for _ in range(rounds):
                for kind, q in queries:
                    w0, c0 = time.perf_counter(), time.process_time()
                    vault.search(q)
                    c1, w1 = time.process_time(), time.perf_counter()
                    for key in (kind, "all 100 bench queries" if kind != "short prefix" else None):
                        if key is not None:
                            cpu.setdefault(key, []).append((c1 - c0) * 1000)
                            wall.setdefault(key, []).append((w1 - w0) * 1000)
    return {
        "notes": spec.notes,
        "clients": spec.clients,
        "load": round(os.getloadavg()[0], 2),
        "rows": {
            kind: {
                "n": len(cpu[kind]),
                "cpu_p50": round(statistics.median(cpu[kind]), 2),
                "cpu_p95": round(_p(cpu[kind], 0.95), 2),
                "wall_p50": round(statistics.median(wall[kind]), 2),
                "wall_p95": round(_p(wall[kind], 0.95), 2),
            }
            for kind in cpu
        },
    }


def markdown(reports: list[dict[str, Any]]) -> str:
    lines = [
        "| notes | queries | n | CPU p50 ms | CPU p95 ms | wall p50 ms | wall p95 ms | load | "
        f"CPU p95 < {GOAL_CPU_P95_MS:g} ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        for kind, r in report["rows"].items():
            met = "yes" if r["cpu_p95"] < GOAL_CPU_P95_MS else "NO"
            lines.append(
                f"| {report['notes']:,} | {kind} | {r['n']} | {r['cpu_p50']} | {r['cpu_p95']} | "
                f"{r['wall_p50']} | {r['wall_p95']} | {report['load']} | {met} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["200:5000", "2000:50000", "8000:200000"],
        help="CLIENTS:NOTES practices",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kdf", default=PracticeSpec.kdf)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    reports = []
    for size in args.sizes:
        clients, notes = (int(x) for x in size.split(":"))
        reports.append(
            measure(PracticeSpec(clients, notes, kdf=args.kdf), args.rounds, args.cache_dir)
        )
    text = markdown(reports)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "search.md").write_text(text)
    (args.results_dir / "search.json").write_text(json.dumps(reports, indent=2) + "\n")
    print(text, end="")
    met = all(r["cpu_p95"] < GOAL_CPU_P95_MS for rep in reports for r in rep["rows"].values())
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
