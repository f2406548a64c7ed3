"""bench/bench_cli.py cannot rot: every command runs once on a tiny vault."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bench_cli import GOALS, main


def test_cli_bench_measures_every_command(tmp_path: Path) -> None:
    """A tiny run times every command and both floors and names the slowest imports (speed is
    not judged here)."""
    main(["--runs", "1", "--clients", "2", "--results-dir", str(tmp_path / "out")])
    report = json.loads((tmp_path / "out" / "cli.json").read_text())
    for name in [
        "python -c pass",
        "floor script",
        "floor, durable write",
        "--help",
        "status",
        "client list",
        "note show",
        "search",
        "one key-file anchor write (in process)",
        "unlock + lock, anchor at lock only (now) (in process)",
        "unlock + lock, anchor at unlock too (before) (in process)",
    ]:
        assert report["cases"][name]["wall"]["median_ms"] > 0
    assert set(report["goals"]) == set(GOALS)
    assert len(report["imports"]) == 10
    assert "| client list |" in (tmp_path / "out" / "cli.md").read_text()
