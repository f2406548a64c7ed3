"""Benchmark: release one client's record of N signed notes as PDF (goal: 500 notes < 3 s).

    .venv/bin/python -m bench.bench_disclosures [--release-notes 100 500 1000]
        [--long-word 100000] [--body-mb 10]

Also times hostile texts (issue 10): one unbroken word of --long-word characters and a note
body of --body-mb megabytes, each rendered as a one-section PDF; line breaking is linear, so
these scale with their length (the word took 192 s before, quadratic).

Reports prepare (query + withholding + document) and write (PDF layout, fsync, record) times,
and Python peak memory (tracemalloc) per note count, to show how memory grows with the record.
Synthetic data only.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from vault import TEST_PRESET, SessionInfo, Vault, parse_omissions
from vault.disclosures import ReleaseSpec, RequestType
from vault.disclosures.document import Document, Section
from vault.disclosures.pdf import render_pdf

PHRASES = [
    "reports improved sleep",
    "discussed exposure hierarchy",
    "practised paced breathing",
    "reviewed the safety plan",
    "mood rated 6 of 10",
    "homework completed in part",
    "explored values around work",
    "noted avoidance at weekends",
]


def build(folder: Path, notes: int, seed: int = 6) -> tuple[Vault, int]:
    rng = random.Random(seed)
    vault, _ = Vault.create(folder, "bench passphrase 6", TEST_PRESET)
    client = vault.clients.add("Bench Sampleton").id
    with vault.db.atomic():
        for i in range(notes):
            text = " ".join(rng.choice(PHRASES) + "." for _ in range(40))
            marked = f"Subjective: {text} {{{{omit:dream}}}}dream detail {i}{{{{/omit}}}}"
            body, spans = parse_omissions(marked)
            day = f"{2019 + i // 200:04d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            note = vault.notes.create(
                client,
                "soap",
                body=body,
                spans=spans,
                session=SessionInfo(day, "10:00", "10:50", "90834"),
            )
            vault.notes.sign(note.id)
    return vault, client


def run(notes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        vault, client = build(Path(tmp) / "vault", notes)
        try:
            spec = ReleaseSpec(
                client,
                RequestType.COURT_ORDER,
                "Bench Court",
                "benchmark",
                court_order="Bench order 1",
            )
            # Warm-up (imports, font parsing), then the timed run, then a separate run under
            # tracemalloc: tracing slows Python several-fold, so it never overlaps the timing.
            vault.disclosures.write(vault.disclosures.prepare(spec), Path(tmp) / "warm.pdf")
            t0 = time.perf_counter()
            plan = vault.disclosures.prepare(spec)
            t1 = time.perf_counter()
            vault.disclosures.write(plan, Path(tmp) / "release.pdf")
            t2 = time.perf_counter()
            size = (Path(tmp) / "release.pdf").stat().st_size
            tracemalloc.start()
            vault.disclosures.write(vault.disclosures.prepare(spec), Path(tmp) / "traced.pdf")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            vault.lock()
    return {
        "notes": notes,
        "prepare_s": round(t1 - t0, 3),
        "write_pdf_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
        "peak_mib": round(peak / 2**20, 1),
        "pdf_kib": round(size / 1024),
    }


def _one_section(body: str) -> Document:
    return Document(
        "R-000001",
        "Release of records",
        ("Bench Practice",),
        (("Client", "C-00001"),),
        (),
        (Section("N-000001  SOAP", (), body),),
        "R-000001 C-00001",
    )


def run_long(word_chars: int, body_mb: float, seed: int = 6) -> dict[str, float]:
    """Seconds to render one unbroken word of `word_chars`, and a body of `body_mb` MB."""
    rng = random.Random(seed)
    render_pdf(_one_section("warm-up"))  # font parsing
    t0 = time.perf_counter()
    render_pdf(_one_section("x" * word_chars))
    t1 = time.perf_counter()
    lines: list[str] = []
    size = 0
    while size < body_mb * 1_000_000:
        line = " ".join(rng.choice(PHRASES) + "." for _ in range(3))
        lines.append(line)
        size += len(line) + 1
    t2 = time.perf_counter()
    pdf = render_pdf(_one_section("\n".join(lines)))
    t3 = time.perf_counter()
    return {
        "word_chars": word_chars,
        "word_s": round(t1 - t0, 3),
        "body_mb": body_mb,
        "body_s": round(t3 - t2, 3),
        "body_pdf_kib": round(len(pdf) / 1024),
    }


GOAL_NOTES, GOAL_SECONDS = 500, 3.0
RESULTS = Path(__file__).resolve().parent / "results" / "disclosures.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--release-notes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    parser.add_argument("--long-word", type=int, default=100_000)
    parser.add_argument("--body-mb", type=float, default=10.0)
    args, _ = parser.parse_known_args()  # bench/run passes the practice options to everyone
    counts = sorted(set(args.release_notes) | {GOAL_NOTES})
    results = [run(n) for n in counts]
    hostile = run_long(args.long_word, args.body_mb)
    print(
        f"one {hostile['word_chars']}-character word: {hostile['word_s']:.2f} s; a "
        f"{hostile['body_mb']} MB body: {hostile['body_s']:.2f} s "
        f"({hostile['body_pdf_kib']} KiB)"
    )
    for r in results:
        goal = "  (goal < 3 s)" if r["notes"] == 500 else ""
        print(
            f"{r['notes']:>5} notes: prepare {r['prepare_s']:.2f} s, PDF {r['write_pdf_s']:.2f}"
            f" s, total {r['total_s']:.2f} s{goal}, peak {r['peak_mib']} MiB, "
            f"{r['pdf_kib']} KiB"
        )
    goal = next(r for r in results if r["notes"] == GOAL_NOTES)
    ok = goal["total_s"] < GOAL_SECONDS
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "goal": f"{GOAL_NOTES} notes as PDF < {GOAL_SECONDS} s",
                "met": ok,
                "runs": results,
                "hostile_texts": hostile,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"goal {'met' if ok else 'MISSED'}: {GOAL_NOTES} notes in {goal['total_s']:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
