"""Full-text search (FTS5, bm25 ranking) with safe query building and structured snippets."""

from __future__ import annotations

import re

from ..errors import UsageError
from ..storage.database import Database
from .models import EntryType, SearchHit

MAX_QUERY_CHARS = 500
# Private-use characters mark matches inside snippets, so no UI parses markers out of note text.
SNIPPET_OPEN, SNIPPET_CLOSE = "\ue000", "\ue001"
_TERM = re.compile(r"[\w][\w'\-]*\*?", re.UNICODE)


def _terms(query: str) -> list[tuple[str, bool]]:
    """(word, is a prefix) for each word of what a person typed."""
    if len(query) > MAX_QUERY_CHARS:
        raise UsageError(f"search is longer than {MAX_QUERY_CHARS} characters")
    terms: list[tuple[str, bool]] = []
    for raw in _TERM.findall(query):
        word = raw.rstrip("*").replace('"', "")
        if word:
            terms.append((word, raw.endswith("*")))
    if not terms:
        raise UsageError("search for at least one word")
    return terms


def build_match(query: str) -> str:
    """Turn what a person typed into an FTS5 expression: every word must match, in any order.

    Each word is quoted, so FTS syntax (AND, NEAR, quotes, colons) in the query is just text.
    A trailing * keeps its meaning as a prefix search.
    """
    return " ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in _terms(query))


def newest_first(query: str) -> bool:
    """Whether `query` is listed newest first rather than ranked: every word of it is a prefix
    of at most SHORT_PREFIX characters (`an*`, `ins* par*`)."""
    return all(prefix and len(word) <= SHORT_PREFIX for word, prefix in _terms(query))


def split_snippet(snippet: str) -> tuple[tuple[str, bool], ...]:
    parts: list[tuple[str, bool]] = []
    for index, piece in enumerate(re.split(f"[{SNIPPET_OPEN}{SNIPPET_CLOSE}]", snippet)):
        if piece:
            parts.append((piece, index % 2 == 1))
    return tuple(parts)


# A query matching more notes than this is ranked among its RANK_WINDOW most recently written
# matches. Ranking costs time per matching note (bm25 reads each note's length): a common word in
# a 50,000-note practice took 30-70 ms to rank in full, past the 20 ms goal; the newest 5,000
# take a few ms, and for a word that common the recent notes are the ones a clinician wants.
RANK_WINDOW = 5000

# A query made only of prefixes this short (the prefix index's longest, `prefix='2 3'` in
# storage/schema.py) is listed newest first, not ranked. bm25() first counts every note that
# matches each term, for its weight: `an*` or `th*` match nearly every note, and that count
# alone took 5 ms of CPU at 200,000 notes (growing with the vault) before the window was
# ranked (3 ms more): short prefixes missed 20 ms at p95 (bench/README.md). Newest first takes
# 0.05 ms at any size, and a relevance over "every word starting with an" means little; one
# more letter (`anxi*`) or a whole word ranks again.
SHORT_PREFIX = 3


# Privacy mode (include_flagged=False) matches what a flagged note's body says outside its
# flagged passages (`notes_open_fts`, rows only for flagged notes) and every unflagged note in
# the full index. It shows no snippets there, so none is made from flagged text either. Each
# of the two indexes ranks its newest half-window, so the whole costs what one window does.
# Which notes have a row there is read from FTS5's own `_docsize` table (one small row per
# note): reading the table itself would read every row's text.
_OPEN_TOP = (
    "SELECT id, score FROM ("
    "SELECT * FROM (SELECT rowid AS id, bm25(notes_fts) AS score FROM notes_fts "
    "WHERE notes_fts MATCH ?1 AND rowid NOT IN (SELECT id FROM notes_open_fts_docsize) "
    "ORDER BY rowid DESC LIMIT ?2) "
    "UNION ALL SELECT * FROM (SELECT rowid AS id, bm25(notes_open_fts) AS score "
    "FROM notes_open_fts WHERE notes_open_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2)"
    ") ORDER BY score, id DESC LIMIT ?3"
)
_OPEN_NEWEST = (
    "SELECT id, 0.0 AS score FROM ("
    "SELECT * FROM (SELECT rowid AS id FROM notes_fts WHERE notes_fts MATCH ?1 "
    "AND rowid NOT IN (SELECT id FROM notes_open_fts_docsize) ORDER BY rowid DESC LIMIT ?2) "
    "UNION ALL SELECT * FROM (SELECT rowid AS id FROM notes_open_fts "
    "WHERE notes_open_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2)"
    ") ORDER BY id DESC LIMIT ?2"
)


def search_notes(
    db: Database, query: str, limit: int = 50, include_flagged: bool = True
) -> list[SearchHit]:
    match = build_match(query)
    recent = newest_first(query)
    if not include_flagged:
        return _search_open(db, match, limit, recent)
    # Step 1 ranks using the index alone (no joins, no snippets); FTS5 walks the matches newest
    # first and stops after the window. Short prefixes only: the newest matches, score 0.
    if recent:
        top = db.query(
            "SELECT rowid AS id, 0.0 AS score FROM notes_fts WHERE notes_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
    else:
        top = db.query(
            "SELECT id, score FROM (SELECT rowid AS id, bm25(notes_fts) AS score FROM notes_fts "
            "WHERE notes_fts MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY score, id DESC LIMIT ?",
            (match, RANK_WINDOW, limit),
        )
    if not top:
        return []
    scores = {int(r["id"]): float(r["score"]) for r in top}
    # Step 2: snippets and names for those few rows only. One scan over the window's rowid range
    # (the unary + keeps the IN list out of FTS5, which would re-run the match once per id).
    marks = ", ".join("?" * len(scores))
    rows = db.query(
        "SELECT n.id, n.client_id, c.display_name, n.session_date, n.template, "
        "n.entry_type, n.parent_id, "
        f"snippet(notes_fts, 0, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 12) AS snip "
        "FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid "
        "JOIN clients c ON c.id = n.client_id "
        f"WHERE notes_fts MATCH ? AND notes_fts.rowid >= ? AND +notes_fts.rowid IN ({marks})",
        (match, min(scores), *scores),
    )
    found = {int(r["id"]): r for r in rows}
    return [
        SearchHit(
            note_id,
            int(r["client_id"]),
            r["display_name"],
            r["session_date"],
            r["template"],
            scores[note_id],
            split_snippet(r["snip"]),
            EntryType(r["entry_type"]),
            r["parent_id"],
        )
        for note_id in scores
        if (r := found.get(note_id)) is not None
    ]


def _search_open(db: Database, match: str, limit: int, recent: bool) -> list[SearchHit]:
    if recent:
        top = db.query(_OPEN_NEWEST, (match, limit))
    else:
        top = db.query(_OPEN_TOP, (match, max(1, RANK_WINDOW // 2), limit))
    if not top:
        return []
    scores = {int(r["id"]): float(r["score"]) for r in top}
    marks = ", ".join("?" * len(scores))
    rows = db.query(
        "SELECT n.id, n.client_id, c.display_name, n.session_date, n.template, n.entry_type, "
        "n.parent_id FROM notes n "
        f"JOIN clients c ON c.id = n.client_id WHERE n.id IN ({marks})",
        tuple(scores),
    )
    found = {int(r["id"]): r for r in rows}
    return [
        SearchHit(
            note_id,
            int(r["client_id"]),
            r["display_name"],
            r["session_date"],
            r["template"],
            scores[note_id],
            entry_type=EntryType(r["entry_type"]),
            parent_id=r["parent_id"],
        )
        for note_id in scores
        if (r := found.get(note_id)) is not None
    ]
