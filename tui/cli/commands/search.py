"""search: ranked full-text search over the general record (never psychotherapy notes)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import add_command, unlocked

if TYPE_CHECKING:
    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(sub, "search", "search notes in the general record", common, cmd_search)
    p.add_argument("query", help="words to find (all must match; word* for a prefix)")
    p.add_argument("--limit", type=int, default=20, help="at most N results (default 20)")


def cmd_search(args: argparse.Namespace, ctx: Context) -> None:
    with unlocked(ctx) as vault:
        hits = vault.search(args.query, limit=max(1, min(args.limit, 500)))

    def text() -> str:
        if not hits:
            return "No matches."
        lines = []
        for hit in hits:
            snippet = "".join(f"[{t}]" if match else t for t, match in hit.snippet)
            lines.append(
                f"N-{hit.note_id:06d}  {hit.session_date or '-':<10}  "
                f"{hit.client_display_name}\n    {' '.join(snippet.split())}"
            )
        return "\n".join(lines)

    # SQLite's bm25() is negative, lower is better: scripts get a relevance, higher is better.
    ctx.out.emit(
        [
            {
                "record_id": f"N-{h.note_id:06d}",
                "note_id": h.note_id,
                "client_id": h.client_id,
                "client": h.client_display_name,
                "session_date": h.session_date,
                "template": h.template,
                "score": round(max(0.0, -h.score), 6),
                "snippet": h.snippet_text,
                "matches": [t for t, m in h.snippet if m],
            }
            for h in hits
        ],
        text,
    )
