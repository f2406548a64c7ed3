"""bench/bench_search.py cannot rot: every kind of query is timed on a tiny practice."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bench_search import main


def test_search_bench_times_every_kind(tmp_path: Path) -> None:
    main(
        [
            "--sizes",
            "3:30",
            "--rounds",
            "1",
            "--kdf",
            "test-insecure",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--results-dir",
            str(tmp_path / "out"),
        ]
    )
    [report] = json.loads((tmp_path / "out" / "search.json").read_text())
    assert set(report["rows"]) == {
        "common word",
        "rare word",
        "prefix",
        "two words",
        "short prefix",
        "all 100 bench queries",
    }
    assert report["rows"]["all 100 bench queries"]["n"] == 100
