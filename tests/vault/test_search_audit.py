"""Search (ranking, snippets, hostile query syntax) and the hash-chained audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from vault import IntegrityError, UsageError, Vault
from vault.crypto.keyslots import KeyFile, KeyName
from vault.crypto.secret import SecretBytes
from vault.records.audit import AuditLog
from vault.storage.database import Database
from vault.vault import KEY_FILE, RECORD_DB


@pytest.fixture
def practice(vault: Vault) -> dict[str, int]:
    """Three notes with known words for search tests."""
    a = vault.clients.add("Hazel Sampleton").id
    b = vault.clients.add("Indigo Testwell").id
    ids = {
        "panic": vault.notes.create(
            a, body="Panic attacks at work. Panic again on the train; panic eased with breathing."
        ).id,
        "mixed": vault.notes.create(
            b,
            body="Sleep improved. One brief panic episode. "
            "Discussed NEAR misses and the AND/OR of habits: "
            '"quoted" words.',
        ).id,
        "sleep": vault.notes.create(b, body="Sleeping better; insomnia resolved.").id,
    }
    return ids


def test_search_ranks_the_best_match_first(vault: Vault, practice: dict[str, int]) -> None:
    """The note that mentions the word most ranks above a passing mention."""
    hits = vault.search("panic")
    assert [h.note_id for h in hits] == [practice["panic"], practice["mixed"]]
    assert hits[0].score <= hits[1].score  # bm25: lower is better
    assert hits[0].client_display_name == "Hazel Sampleton"


def test_snippets_mark_the_matches(vault: Vault, practice: dict[str, int]) -> None:
    """Snippets carry the matched words as separate parts, without marker characters."""
    hit = vault.search("insomnia")[0]
    assert hit.note_id == practice["sleep"]
    assert [t for t, match in hit.snippet if match] == ["insomnia"]
    assert "insomnia resolved" in hit.snippet_text
    assert "\ue000" not in hit.snippet_text and "\ue001" not in hit.snippet_text


def test_all_words_must_match_and_stemming_and_prefix_work(
    vault: Vault, practice: dict[str, int]
) -> None:
    """Several words narrow the search; 'sleeping' finds 'sleep'; 'insom*' is a prefix."""
    assert {h.note_id for h in vault.search("sleep")} == {practice["mixed"], practice["sleep"]}
    assert [h.note_id for h in vault.search("sleep panic")] == [practice["mixed"]]
    assert [h.note_id for h in vault.search("insom*")] == [practice["sleep"]]
    assert vault.search("xylophone") == []


@pytest.mark.parametrize(
    "query",
    [
        '"quoted',
        'quoted"',
        "NEAR(panic sleep)",
        "panic AND",
        "OR panic",
        "NOT panic",
        "body:panic",
        "panic*:",
        "(panic",
        "panic)",
        "^panic",
        "-panic",
        "panic + sleep",
        "{panic}",
        "panic\u0000",
        "panic'",
    ],
)
def test_fts_syntax_in_the_query_is_plain_text(
    vault: Vault, practice: dict[str, int], query: str
) -> None:
    """Quotes, NEAR, AND/OR/NOT, colons and brackets are words or ignored, never an error."""
    hits = vault.search(query)
    assert all(isinstance(h.note_id, int) for h in hits)


def test_operators_are_searched_as_words(vault: Vault, practice: dict[str, int]) -> None:
    """'NEAR' and 'AND' are looked up as words, so they find the note that contains them."""
    assert [h.note_id for h in vault.search("NEAR misses")] == [practice["mixed"]]
    assert [h.note_id for h in vault.search('"quoted" AND habits')] == [practice["mixed"]]
    # As an FTS query NEAR(...) would match notes without the word 'near'; here it is required.
    assert [h.note_id for h in vault.search("NEAR(panic sleep)")] == [practice["mixed"]]
    assert vault.search("NEAR(panic attacks)") == []


@pytest.mark.parametrize("query", ["", "   ", "*", '"" :', "x" * 501])
def test_empty_or_absurd_query_is_a_usage_error(vault: Vault, query: str) -> None:
    """A query with no words (or far too long) is a clear UsageError, not an empty result."""
    with pytest.raises(UsageError):
        vault.search(query)


def test_search_is_audited_without_the_terms(vault: Vault, practice: dict[str, int]) -> None:
    """A search leaves an audit entry with the hit count, never the search words."""
    vault.search("insomnia")
    entry = vault.audit.entries(limit=1)[0]
    assert entry.action == "search" and entry.detail == {"hits": 1}
    assert "insomnia" not in json.dumps(entry.detail)


# ---------------------------------------------------------------------------- audit


def _tamper(vault: Vault, sql: str, params: tuple[object, ...] = ()) -> None:
    folder = vault.folder
    vault.lock()
    db = _raw_record_db_at(folder)
    try:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute(sql, params)
    finally:
        db.close()


def _raw_record_db_at(path: Path) -> Database:
    """The attacker's view: record.db opened directly with its key, bypassing the API."""
    keys = KeyFile.load(path / KEY_FILE).unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD])
    return Database.open(path / RECORD_DB, SecretBytes(keys[KeyName.RECORD].reveal()))


def test_audit_chain_verifies(vault: Vault, practice: dict[str, int]) -> None:
    """A normal session's audit log verifies, entry by entry."""
    report = vault.audit.verify()
    assert report.ok and report.first_broken_seq is None
    assert report.entries == len(vault.audit.entries(limit=10_000)) >= 6


def test_audit_log_is_append_only_in_the_database(vault: Vault) -> None:
    """UPDATE and DELETE on the audit table are refused by triggers."""
    with pytest.raises(IntegrityError, match="append-only"):
        vault.db.execute("UPDATE audit_log SET action = 'view' WHERE seq = 1")
    with pytest.raises(IntegrityError, match="append-only"):
        vault.db.execute("DELETE FROM audit_log WHERE seq = 1")
    assert vault.audit.verify().ok


def test_altered_entry_is_named_by_verify(vault: Vault, practice: dict[str, int]) -> None:
    """Changing one entry's content (triggers dropped) breaks the chain at exactly that entry."""
    folder = vault.folder
    _tamper(vault, "UPDATE audit_log SET detail = '{\"hits\":0}' WHERE seq = 3")
    with Vault.unlock(folder, PASSPHRASE) as again:
        report = again.audit.verify()
    assert not report.ok
    assert report.first_broken_seq == 3 and report.entries == 2
    assert "entry 3" in (report.reason or "")


def test_deleted_entry_is_named_by_verify(vault: Vault, practice: dict[str, int]) -> None:
    """Removing an entry from the middle is reported as the first missing entry."""
    folder = vault.folder
    _tamper(vault, "DELETE FROM audit_log WHERE seq = 4")
    with Vault.unlock(folder, PASSPHRASE) as again:
        report = again.audit.verify()
    assert not report.ok and report.first_broken_seq == 4
    assert "missing" in (report.reason or "")


def test_truncated_tail_is_detected(vault: Vault, practice: dict[str, int]) -> None:
    """Cutting off the newest entries (and fixing nothing else) is detected via the head."""
    folder = vault.folder
    vault.lock()
    db = _raw_record_db_at(folder)
    try:
        last = int(db.scalar("SELECT max(seq) FROM audit_log"))
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit_log WHERE seq > ?", (last - 3,))
        report_seq = last - 3
    finally:
        db.close()
    # Verify on the raw database, before an unlock appends a new (chained) entry.
    db = _raw_record_db_at(folder)
    try:
        report = AuditLog(db).verify()
    finally:
        db.close()
    assert not report.ok and report.first_broken_seq == report_seq + 1


def test_cli_audit_verify_exits_13_and_names_the_entry(cli: Cli) -> None:
    """`confide audit verify` exits 13 (damaged) on a broken chain and names the first broken
    entry."""
    cli.init()
    assert cli("client", "add", "Juniper Notreal").code == 0
    ok = cli("audit", "verify", "--json")
    assert ok.code == 0 and ok.data["ok"] is True
    db = _raw_record_db_at(cli.vault_dir)
    try:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit_log SET action = 'view' WHERE seq = 2")
    finally:
        db.close()
    broken = cli("audit", "verify")
    assert broken.code == 13
    assert "entry 2" in broken.stdout and "BROKEN" in broken.stdout
    as_json = cli("audit", "verify", "--json")
    assert as_json.code == 13 and as_json.data["first_broken_seq"] == 2


def test_audit_table_holds_no_note_text_or_names(vault: Vault) -> None:
    """After writing, viewing and searching, no known word appears anywhere in the audit table."""
    client = vault.clients.add("Garnet Quixotica", pseudonym="Client Heron")
    note = vault.notes.create(client.id, body="xylographer anxieties about the ferris wheel")
    vault.notes.get(note.id)
    vault.search("xylographer")
    vault.reveal_legal_name(client.id, PASSPHRASE)
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    area.add(client.id, "quagmirical transference")
    area.search("quagmirical")
    rows = vault.db.query("SELECT * FROM audit_log")
    dump = json.dumps([list(r) for r in rows]).lower()
    for word in (
        "garnet",
        "quixotica",
        "heron",
        "xylographer",
        "ferris",
        "quagmirical",
        "transference",
        "anxieties",
    ):
        assert word not in dump
