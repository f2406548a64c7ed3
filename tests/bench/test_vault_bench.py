"""The benchmarks cannot silently rot: generator and every measurement run on a tiny practice."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bench_vault import ROWS, Sizes, run
from bench.practice import PracticeSpec, Records, build, open_plain
from vault import Vault
from vault.storage.database import Database

TINY = PracticeSpec(clients=5, notes=50, seed=3, kdf="test-insecure")
SIZES = Sizes(queries=5, timelines=3, opens=3, adds=2, unlocks=1, db_opens=1, warmup=1, rounds=1)


def _shape(db: Database) -> tuple[object, ...]:
    return tuple(
        db.scalar(sql)
        for sql in (
            "SELECT count(*) FROM clients",
            "SELECT count(*) FROM notes",
            "SELECT count(*) FROM notes WHERE status = 'signed'",
            "SELECT count(*) FROM notes WHERE entry_type = 'addendum'",
            "SELECT count(*) FROM omit_spans",
            "SELECT count(*) FROM note_participants",
            "SELECT sum(length(body)) FROM notes",
        )
    )


def test_practice_twins_hold_the_same_records(tmp_path: Path) -> None:
    """The vault and its plain twin get identical clients, notes, flags, signatures and addenda."""
    practice = build(TINY, tmp_path, parallel=False)
    assert len(practice.note_ids) == 50 and len(practice.client_ids) == 5
    vault = Vault.unlock(practice.vault_dir, practice.passphrase)
    try:
        in_vault = _shape(Records.of_vault(vault).db)
    finally:
        vault.lock()
    plain = open_plain(practice.plain_path)
    try:
        assert _shape(plain.db) == in_vault
    finally:
        plain.db.close()
    clients, notes, signed, addenda, spans, _, chars = in_vault
    assert (clients, notes) == (5, 50) and 0 < signed < notes and addenda == 1 and spans > 0
    assert chars / notes > 900  # realistic note length, about 1-2 KB
    assert build(TINY, tmp_path, parallel=False).root == practice.root  # cached, not rebuilt


def test_vault_bench_reports_every_row(tmp_path: Path) -> None:
    """One tiny run measures every operation on both twins and writes Markdown and JSON."""
    report = run(
        TINY, SIZES, cache_dir=tmp_path / "cache", results_dir=tmp_path / "results", parallel=False
    )
    rows = {row["key"]: row for row in report["rows"]}
    assert list(rows) == [key for key, _, _ in ROWS]
    for key, row in rows.items():
        assert row["sqlcipher"]["n"] > 0 and row["sqlcipher"]["p95_ms"] > 0
        assert (row["plain"] is None) == (key == "unlock")
        assert row["result"] in {"PASS", "FAIL", "info"}
    assert rows["search"]["sqlcipher"]["n"] == SIZES.queries
    markdown = (tmp_path / "results" / "vault.md").read_text()
    assert all(label in markdown for _, label, _ in ROWS)
    saved = json.loads((tmp_path / "results" / "vault.json").read_text())
    assert [row["key"] for row in saved["rows"]] == list(rows)
    assert saved["peak_rss_mib"] > 0
    assert not list((tmp_path / "cache").glob("work-*"))  # the working copy is removed
