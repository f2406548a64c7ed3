"""bench/bench_tui.py cannot rot: every measurement runs once on a tiny practice."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bench_tui import GOALS_MS, RATIO_GOALS, main


def test_tui_bench_measures_every_row(tmp_path: Path) -> None:
    """A tiny run fills every row and writes Markdown and JSON (speed is not judged here)."""
    main(
        [
            "--clients",
            "5",
            "--notes",
            "50",
            "--rounds",
            "1",
            "--kdf",
            "test-insecure",
            "--short",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--results-dir",
            str(tmp_path / "out"),
        ]
    )
    report = json.loads((tmp_path / "out" / "tui.json").read_text())
    for name in [*GOALS_MS, "unlock to client list", "filter keystroke (pilot round trip)"]:
        assert report["rows"][name]["n"] > 0 and report["rows"][name]["p50"] > 0
    assert "| client open |" in (tmp_path / "out" / "tui.md").read_text()
    # The ratio goals are measured beside their references in the same run.
    for name, reference, _ in RATIO_GOALS:
        assert report["rows"][reference]["p50"] > 0 and report["rows"][name]["p50"] > 0
    assert [r["measure"] for r in report["ratio_goals"]] == [n for n, _, _ in RATIO_GOALS]
