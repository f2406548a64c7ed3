"""Full-text search (FTS5, bm25 ranking) with safe query building and structured snippets."""

from __future__ import annotations

import re

from .errors import UsageError
from .models import SearchHit
from .storage import Database

MAX_QUERY_CHARS = 500
# Private-use characters mark matches inside snippets, so no UI parses markers out of note text.
SNIPPET_OPEN, SNIPPET_CLOSE = "\ue000", "\ue001"
_TERM = re.compile(r"[\w][\w'\-]*\*?", re.UNICODE)


def build_match(query: str) -> str:
    """Turn what a person typed into an FTS5 expression: every word must match, in any order.

    Each word is quoted, so FTS syntax (AND, NEAR, quotes, colons) in the query is just text.
    A trailing * keeps its meaning as a prefix search.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise UsageError(f"search is longer than {MAX_QUERY_CHARS} characters")
    terms: list[str] = []
    for raw in _TERM.findall(query):
        prefix = raw.endswith("*")
        word = raw.rstrip("*").replace('"', "")
        if word:
            terms.append(f'"{word}"' + ("*" if prefix else ""))
    if not terms:
        raise UsageError("search for at least one word")
    return " ".join(terms)


def split_snippet(snippet: str) -> tuple[tuple[str, bool], ...]:
    parts: list[tuple[str, bool]] = []
    for index, piece in enumerate(re.split(f"[{SNIPPET_OPEN}{SNIPPET_CLOSE}]", snippet)):
        if piece:
            parts.append((piece, index % 2 == 1))
    return tuple(parts)


def search_notes(db: Database, query: str, limit: int = 50) -> list[SearchHit]:
    match = build_match(query)
    rows = db.query(
        "SELECT n.id, n.client_id, c.display_name, n.session_date, n.template, "
        "bm25(notes_fts) AS score, "
        f"snippet(notes_fts, 0, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 12) AS snip "
        "FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid "
        "JOIN clients c ON c.id = n.client_id "
        "WHERE notes_fts MATCH ? ORDER BY score LIMIT ?", (match, limit))
    return [SearchHit(int(r["id"]), int(r["client_id"]), r["display_name"], r["session_date"],
                      r["template"], float(r["score"]), split_snippet(r["snip"]))
            for r in rows]
