"""Vault speed: unlock, search, timeline, note open and note add, SQLCipher vs plain SQLite.

Runs on a generated practice (default 2,000 clients / 50,000 notes, see bench/practice.py) and
on its plain-SQLite twin with the identical schema, through the same records API, so the ratio
of the two is the cost of encryption. Writes a Markdown table to stdout and to
bench/results/vault.md, and the raw numbers to bench/results/vault.json.

    .venv/bin/python -m bench.bench_vault [--clients 200 --notes 5000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from vault import PRESETS, Action, SessionInfo, Vault, parse_omissions
from vault.crypto.keyslots import KeyFile, KeyName, wipe_keys
from vault.records.search import search_notes
from vault.vault import KEY_FILE, RECORD_DB, _open_db

from .practice import (
    CACHE_DIR,
    PRACTICE_END,
    Practice,
    PracticeSpec,
    Records,
    build,
    note_body,
    open_plain,
    search_queries,
    working_copy,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MS = 1000.0
CPU_SUFFIX = ":cpu"

# The goals of issue 2 (milliseconds at p95) and the encryption overhead ceiling.
GOAL_SEARCH_P95_MS = 20.0
GOAL_TIMELINE_P95_MS = 30.0
GOAL_NOTE_OPEN_P95_MS = 5.0
GOAL_OVERHEAD_RATIO = 1.3


@dataclass(frozen=True)
class Sizes:
    """How many times each operation is measured."""

    queries: int = 100
    timelines: int = 200
    opens: int = 200
    adds: int = 50
    unlocks: int = 3
    db_opens: int = 20  # also the number of cold-cache first searches and timelines
    warmup: int = 10
    rounds: int = 3  # passes over the read workloads; all samples count


@dataclass
class Stat:
    samples: list[float]  # seconds, wall clock: what a person waits
    cpu: list[float] | None = None  # seconds of this process's CPU: what load cannot inflate

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * MS

    @property
    def p50(self) -> float:
        return self.pct(0.50)

    @property
    def p95(self) -> float:
        return self.pct(0.95)

    def summary(self) -> dict[str, float]:
        out = {
            "n": len(self.samples),
            "p50_ms": round(self.p50, 3),
            "p95_ms": round(self.p95, 3),
            "max_ms": round(max(self.samples) * MS, 3),
            "mean_ms": round(sum(self.samples) / len(self.samples) * MS, 3),
        }
        if self.cpu:
            cpu = Stat(self.cpu)
            out |= {"cpu_p50_ms": round(cpu.p50, 3), "cpu_p95_ms": round(cpu.p95, 3)}
        return out


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _record(times: dict[str, list[float]], key: str, fn: Callable[[], object]) -> None:
    """Time `fn` by the wall clock and by this process's CPU time."""
    cpu_start, start = time.process_time(), time.perf_counter()
    fn()
    times.setdefault(key, []).append(time.perf_counter() - start)
    times.setdefault(key + CPU_SUFFIX, []).append(time.process_time() - cpu_start)


def _rss_kib(field: str) -> int:
    """VmHWM (peak) or VmRSS (now) of this process, from /proc (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# ----------------------------------------------------------------------------- one twin


@dataclass(frozen=True)
class Workload:
    queries: list[str]
    warmup_queries: list[str]
    timeline_clients: list[int]
    open_notes: list[int]
    add_plan: list[tuple[int, str, int]]  # (client, template, body seed)


def workload(practice: Practice, sizes: Sizes) -> Workload:
    rng = random.Random(practice.spec.seed + 1)
    clients, notes = practice.client_ids, practice.note_ids
    templates = ["soap", "dap", "birp", "girp"]
    return Workload(
        queries=search_queries(practice.spec.seed, sizes.queries),
        warmup_queries=search_queries(practice.spec.seed + 99, sizes.warmup),
        timeline_clients=[rng.choice(clients) for _ in range(sizes.timelines)],
        open_notes=[rng.choice(notes) for _ in range(sizes.opens)],
        add_plan=[
            (rng.choice(clients), rng.choice(templates), rng.getrandbits(32))
            for _ in range(sizes.adds)
        ],
    )


@dataclass
class Twin:
    """One side of the comparison: the records API plus its search, as the vault does it."""

    records: Records
    search: Callable[[str], object]
    stats: dict[str, list[float]]

    def time(self, key: str, fn: Callable[[], object]) -> None:
        _record(self.stats, key, fn)


def _plain_search(records: Records) -> Callable[[str], object]:
    def search(query: str) -> object:
        # What Vault.search does: the FTS query, then its audit entry.
        hits = search_notes(records.db, query)
        records.audit.record(Action.SEARCH, "notes", None, hits=len(hits))
        return hits

    return search


def _interleaved(
    twins: Sequence[Twin],
    key: str,
    items: Sequence[Any],
    rounds: int,
    op: Callable[[Twin, Any], object],
) -> None:
    """Each item on the vault, then on the plain twin, so background load hits both alike."""
    for _ in range(rounds):
        for item in items:
            for twin in twins:
                twin.time(key, partial(op, twin, item))


def _fsync_4k(path: Path) -> None:
    """Append 4 KiB of zeros and fsync: what one durable commit waits for at least."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, bytes(4096))
        os.fsync(fd)
    finally:
        os.close(fd)


def _audit_view_normal_sync(twin: Twin, note_id: int) -> None:
    db = twin.records.db
    db.execute("PRAGMA synchronous = NORMAL")
    try:
        twin.records.audit.record(Action.VIEW, "note", note_id, client=0)
    finally:
        db.execute("PRAGMA synchronous = FULL")


def _add(twin: Twin, item: tuple[int, str, int]) -> object:
    client, template, seed = item
    body, spans = parse_omissions(note_body(random.Random(seed), template, flags=1))
    return twin.records.notes.create(
        client,
        template,
        body=body,
        spans=spans,
        session=SessionInfo(
            PRACTICE_END.isoformat(), "10:00", "10:50", "90834", "individual", ("F41.1",)
        ),
    )


def measure(
    practice: Practice, work: Workload, sizes: Sizes
) -> tuple[dict[str, Stat], dict[str, Stat]]:
    """Every operation on both twins. Returns (SQLCipher stats, plain stats)."""
    folder = practice.vault_dir
    vault_times: dict[str, list[float]] = {}
    plain_times: dict[str, list[float]] = {}
    # Open only: the raw key is unwrapped once, then each open is SQLCipher's alone.
    keyfile = KeyFile.load(folder / KEY_FILE)
    keys = keyfile.unwrap_with_passphrase(practice.passphrase, [KeyName.RECORD])

    def open_vault_db() -> Records:
        # What Vault._open does (open, migrations check, vault id), then Vault.__init__'s wiring.
        return Records.over(_open_db(folder, RECORD_DB, keys[KeyName.RECORD], keyfile.vault_id))

    try:
        for index in range(sizes.db_opens):
            # Then the first search and timeline on the fresh connection: nothing decrypted is
            # cached yet, so this is where encryption costs most (the OS cache is warm for both).
            query = work.queries[index % len(work.queries)]
            client = work.timeline_clients[index % len(work.timeline_clients)]
            for opener, times in (
                (open_vault_db, vault_times),
                (partial(open_plain, practice.plain_path), plain_times),
            ):
                start = time.perf_counter()
                records = opener()
                times.setdefault("db_open", []).append(time.perf_counter() - start)
                try:
                    _record(times, "first_search", partial(_plain_search(records), query))
                    _record(times, "first_timeline", partial(records.notes.timeline, client))
                finally:
                    records.db.close()
    finally:
        wipe_keys(keys)
    # Unlock: what a person waits for, Argon2id with the vault's stored parameters included.
    for attempt in range(sizes.unlocks):
        start = time.perf_counter()
        vault = Vault.unlock(folder, practice.passphrase)
        vault_times.setdefault("unlock", []).append(time.perf_counter() - start)
        if attempt < sizes.unlocks - 1:
            vault.lock()
    plain = open_plain(practice.plain_path)
    try:
        twins = [
            Twin(Records.of_vault(vault), vault.search, vault_times),
            Twin(plain, _plain_search(plain), plain_times),
        ]
        for twin in twins:
            for query in work.warmup_queries:
                twin.search(query)
        _interleaved(twins, "search", work.queries, sizes.rounds, lambda t, q: t.search(q))
        _interleaved(
            twins,
            "timeline",
            work.timeline_clients,
            sizes.rounds,
            lambda t, c: t.records.notes.timeline(c),
        )
        _interleaved(
            twins, "note_open", work.open_notes, sizes.rounds, lambda t, n: t.records.notes.get(n)
        )
        # Diagnostics: a note read without its audit entry, and one audit entry alone.
        _interleaved(
            twins,
            "note_read_unaudited",
            work.open_notes,
            sizes.rounds,
            lambda t, n: t.records.notes.get_unaudited(n),
        )
        _interleaved(
            twins,
            "audit_entry",
            work.open_notes[: sizes.adds],
            1,
            lambda t, n: t.records.audit.record(Action.VIEW, "note", n, client=0),
        )
        _interleaved(twins, "note_add", work.add_plan, 1, _add)
        # The disk's floor under every durable commit, measured now (other load changes it).
        _interleaved(
            twins,
            "fsync",
            range(sizes.adds),
            1,
            lambda t, _: _fsync_4k(practice.root / "fsync-probe"),
        )
        # A proposal, measured: a view entry committed with synchronous=NORMAL is written to the
        # WAL (it survives a crash of the app) but only fsynced by the next durable commit.
        _interleaved(
            twins, "audit_entry_normal", work.open_notes[: sizes.adds], 1, _audit_view_normal_sync
        )
    finally:
        vault.lock()
        plain.db.close()
    return _stats(vault_times), _stats(plain_times)


def _stats(times: dict[str, list[float]]) -> dict[str, Stat]:
    return {
        k: Stat(v, times.get(k + CPU_SUFFIX))
        for k, v in times.items()
        if not k.endswith(CPU_SUFFIX)
    }


# ----------------------------------------------------------------------------- report

ROWS: list[tuple[str, str, float | None]] = [
    # (key, label, p95 goal in ms)
    ("unlock", "unlock: Argon2id (stored params) + open", None),
    ("db_open", "open only (no KDF)", None),
    ("first_search", "first search after open (cold cache)", GOAL_SEARCH_P95_MS),
    ("first_timeline", "first timeline after open (cold cache)", GOAL_TIMELINE_P95_MS),
    ("search", "search", GOAL_SEARCH_P95_MS),
    ("timeline", "client timeline", GOAL_TIMELINE_P95_MS),
    ("note_open", "open a note (`notes.get`, audited)", GOAL_NOTE_OPEN_P95_MS),
    ("note_add", "add a note (durable commit)", None),
    ("note_read_unaudited", "diagnostic: note read without its audit entry", None),
    ("audit_entry", "diagnostic: one audit entry (durable commit)", None),
    ("fsync", "diagnostic: fsync of a 4 KiB append (the disk's floor)", None),
    ("audit_entry_normal", "proposal: audit entry with synchronous=NORMAL", None),
]
RATIO_ROWS = {
    "db_open",
    "first_search",
    "first_timeline",
    "search",
    "timeline",
    "note_open",
    "note_add",
}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def make_report(
    practice: Practice,
    vault_stats: dict[str, Stat],
    plain_stats: dict[str, Stat],
    build_seconds: dict[str, Any],
) -> dict[str, Any]:
    rows = []
    for key, label, goal in ROWS:
        v, p = vault_stats[key], plain_stats.get(key)
        row: dict[str, Any] = {
            "key": key,
            "label": label,
            "sqlcipher": v.summary(),
            "plain": p.summary() if p else None,
        }
        checks = []
        if goal is not None:
            row["goal_p95_ms"] = goal
            checks.append(v.p95 < goal)
        if p is not None:
            row["ratio_p50"] = round(v.p50 / p.p50, 3) if p.p50 else None
            row["ratio_p95"] = round(v.p95 / p.p95, 3) if p.p95 else None
            if key in RATIO_ROWS and row["ratio_p50"] is not None:
                row["goal_ratio"] = GOAL_OVERHEAD_RATIO
                checks.append(row["ratio_p50"] < GOAL_OVERHEAD_RATIO)
        row["result"] = _verdict(all(checks)) if checks else "info"
        rows.append(row)
    files = {
        "vault_record_db_bytes": (practice.vault_dir / RECORD_DB).stat().st_size,
        "plain_db_bytes": practice.plain_path.stat().st_size,
    }
    kdf = KeyFile.load(practice.vault_dir / KEY_FILE).kdf
    return {
        "benchmark": "vault",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu": _cpu_model(),
        },
        "sqlite_of_sqlcipher": _sqlcipher_versions(),
        "practice": {
            **asdict(practice.spec),
            "notes_written": len(practice.note_ids),
            "clients_written": len(practice.client_ids),
            **files,
            "build_seconds": build_seconds,
        },
        "kdf": kdf.describe(),
        "rows": rows,
        "peak_rss_mib": round(_rss_kib("VmHWM") / 1024, 1),
        "rss_end_mib": round(_rss_kib("VmRSS") / 1024, 1),
        "all_pass": all(r["result"] != "FAIL" for r in rows),
        # Other work on the machine shows up in the tails; say how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _sqlcipher_versions() -> dict[str, str]:
    import sqlcipher3  # only for the version strings; all measured work goes through vault

    conn = sqlcipher3.connect(":memory:")
    try:
        sqlite_version = conn.execute("SELECT sqlite_version()").fetchone()[0]
        cipher = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return {
        "sqlite": str(sqlite_version),
        "sqlcipher": str(cipher[0]) if cipher else "?",
        "python_sqlite3": sqlite3.sqlite_version,
    }


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def markdown(report: dict[str, Any]) -> str:
    spec = report["practice"]
    lines = [
        f"## Vault benchmark — {report['date']}",
        "",
        f"Practice: {spec['clients_written']} clients, {spec['notes_written']} notes "
        f"(seed {spec['seed']}); vault file {spec['vault_record_db_bytes'] / 2**20:.0f} MiB, "
        f"plain twin {spec['plain_db_bytes'] / 2**20:.0f} MiB. KDF: {report['kdf']}.",
        f"Machine: {report['machine']['cpus']} CPUs, {report['machine']['cpu']}, "
        f"Python {report['machine']['python']}, SQLCipher "
        f"{report['sqlite_of_sqlcipher']['sqlcipher']} (SQLite "
        f"{report['sqlite_of_sqlcipher']['sqlite']}).",
        "",
        "| operation | n | SQLCipher p50 ms | SQLCipher p95 ms | plain p50 ms | plain p95 ms "
        "| ratio p50 | ratio p95 | goal | result | SQLCipher CPU p50/p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        v, p = row["sqlcipher"], row["plain"]
        goals = []
        if "goal_p95_ms" in row:
            goals.append(f"p95 < {row['goal_p95_ms']:g} ms")
        if "goal_ratio" in row:
            goals.append(f"ratio < {row['goal_ratio']:g}")
        lines.append(
            f"| {row['label']} | {v['n']} | {_ms(v['p50_ms'])} | {_ms(v['p95_ms'])} | "
            + (
                f"{_ms(p['p50_ms'])} | {_ms(p['p95_ms'])} | {row['ratio_p50']:.2f} | "
                f"{row['ratio_p95']:.2f} | "
                if p
                else "— | — | — | — | "
            )
            + f"{', '.join(goals) or '—'} | {row['result']} | "
            + (f"{_ms(v['cpu_p50_ms'])} / {_ms(v['cpu_p95_ms'])} |" if "cpu_p50_ms" in v else "— |")
        )
    lines += [
        "",
        f"Peak RSS {report['peak_rss_mib']} MiB (includes Argon2id's working memory); "
        f"RSS at the end {report['rss_end_mib']} MiB. Load average (1 min) at the end "
        f"{report['load_average_1min']} on {report['machine']['cpus']} CPUs.",
        f"Overall: {'all goals PASS' if report['all_pass'] else 'some goals FAIL'}.",
        "",
    ]
    return "\n".join(lines)


def run(
    spec: PracticeSpec,
    sizes: Sizes = Sizes(),
    *,
    cache_dir: Path = CACHE_DIR,
    results_dir: Path | None = RESULTS_DIR,
    parallel: bool = True,
    verbose: bool = False,
) -> dict[str, Any]:
    """Build or reuse the practice, measure both twins on a fresh copy, write the results."""
    started = time.monotonic()
    cached = build(spec, cache_dir, parallel=parallel, verbose=verbose)
    if verbose:
        print(f"practice ready in {time.monotonic() - started:.1f} s: {cached.root}", flush=True)
    work_dir = cache_dir / f"work-{os.getpid()}"
    practice = working_copy(cached, work_dir)
    try:
        work = workload(practice, sizes)
        vault_stats, plain_stats = measure(practice, work, sizes)
        report = make_report(
            practice, vault_stats, plain_stats, cached.manifest.get("build_seconds", {})
        )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    report["markdown"] = markdown(report)
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / "vault.md").write_text(report["markdown"])
        (results_dir / "vault.json").write_text(
            json.dumps({k: v for k, v in report.items() if k != "markdown"}, indent=2)
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=PracticeSpec.clients)
    parser.add_argument("--notes", type=int, default=PracticeSpec.notes)
    parser.add_argument("--seed", type=int, default=PracticeSpec.seed)
    parser.add_argument(
        "--kdf",
        default=PracticeSpec.kdf,
        choices=sorted(PRESETS),
        help="Argon2id preset the practice vault is created with",
    )
    parser.add_argument("--queries", type=int, default=Sizes.queries)
    parser.add_argument("--timelines", type=int, default=Sizes.timelines)
    parser.add_argument("--opens", type=int, default=Sizes.opens)
    parser.add_argument("--adds", type=int, default=Sizes.adds)
    parser.add_argument("--unlocks", type=int, default=Sizes.unlocks)
    parser.add_argument("--rounds", type=int, default=Sizes.rounds)
    parser.add_argument("--json", action="store_true", help="print the JSON report instead")
    args = parser.parse_args(argv)
    spec = PracticeSpec(args.clients, args.notes, args.seed, args.kdf)
    sizes = Sizes(
        queries=args.queries,
        timelines=args.timelines,
        opens=args.opens,
        adds=args.adds,
        unlocks=args.unlocks,
        rounds=args.rounds,
    )
    report = run(spec, sizes, verbose=not args.json)
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "markdown"}, indent=2))
    else:
        print(report["markdown"])
    return 0 if report["all_pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
