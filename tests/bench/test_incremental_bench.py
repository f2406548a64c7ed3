"""bench/bench_incremental.py cannot rot: the tables are written from a tiny practice."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bench_incremental import main


def test_incremental_bench_writes_every_row(tmp_path: Path) -> None:
    main(
        [
            "--clients",
            "3",
            "--notes",
            "30",
            "--cache",
            str(tmp_path / "cache"),
            "--results-dir",
            str(tmp_path / "out"),
        ]
    )
    report = json.loads((tmp_path / "out" / "incremental-0k.json").read_text())
    assert report["nothing_changed"]["skipped"] is True
    assert [r["notes_added"] for r in report["incrementals"]] == [1, 10, 100]
    text = (tmp_path / "out" / "incremental-0k.md").read_text()
    assert "| nothing changed | skipped" in text and "cp + sync" in text
    assert "| drive after 3 backups" in text


def test_format_2_writes_a_full_archive_every_time(tmp_path: Path) -> None:
    """Issue 14's "before": no skip, no incremental, with today's code."""
    args = ["--clients", "3", "--notes", "30", "--cache", str(tmp_path / "cache")]
    main([*args, "--results-dir", str(tmp_path / "out"), "--format", "2", "--no-anchors"])
    report = json.loads((tmp_path / "out" / "incremental-0k-format2.json").read_text())
    assert report["format"] == 2 and report["nothing_changed"]["skipped"] is False
    assert {r["kind"] for r in report["incrementals"]} == {"full"}
