"""The release benchmark cannot silently rot: it runs end to end on a tiny record."""

from __future__ import annotations

from bench.bench_disclosures import run, run_long


def test_release_bench_runs_on_a_small_record() -> None:
    """Twenty notes are prepared, written as PDF, timed and memory-measured."""
    result = run(20)
    assert result["notes"] == 20
    assert result["prepare_s"] > 0 and result["write_pdf_s"] > 0
    assert result["peak_mib"] > 0 and result["pdf_kib"] > 5


def test_hostile_text_bench_runs_small() -> None:
    """The long-word and large-body case runs end to end on small sizes."""
    result = run_long(2000, 0.02)
    assert result["word_s"] > 0 and result["body_s"] > 0 and result["body_pdf_kib"] > 5
