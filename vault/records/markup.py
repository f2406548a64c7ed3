"""Omission markup: `{{omit:CATEGORY}}text{{/omit}}` in, plain text plus spans out, and back.

The stored model keeps spans apart from the text, so a body is always stored exactly as typed
(minus the markers) and every output decides for itself whether to show, hide or withhold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..errors import MarkupError, UsageError
from .models import OmitCategory, OmitSpan

_TOKEN = re.compile(r"\{\{\s*(?:omit\s*:\s*([^}]*?)\s*|(/)\s*omit\s*)\}\}", re.IGNORECASE)


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}"


def parse_omissions(marked: str) -> tuple[str, tuple[OmitSpan, ...]]:
    """Strip omission markers, returning the plain body and the flagged spans.

    Nested or unbalanced markers, unknown categories and empty spans are errors: a marker that
    silently failed would let a passage leave the vault.
    """
    plain: list[str] = []
    spans: list[OmitSpan] = []
    position = 0
    length = 0
    open_at: tuple[int, OmitCategory, int] | None = None  # (plain offset, category, raw offset)
    for match in _TOKEN.finditer(marked):
        chunk = marked[position:match.start()]
        plain.append(chunk)
        length += len(chunk)
        position = match.end()
        category_text, closing = match.group(1), match.group(2)
        if closing:
            if open_at is None:
                raise MarkupError(f"{{{{/omit}}}} at {_line_col(marked, match.start())} has no "
                                  "matching {{omit:CATEGORY}}")
            start, category, _ = open_at
            if length == start:
                raise MarkupError(f"empty omission span at {_line_col(marked, match.start())}")
            spans.append(OmitSpan(start, length, category))
            open_at = None
        else:
            if open_at is not None:
                raise MarkupError(f"omission spans cannot nest: {{{{omit:...}}}} at "
                                  f"{_line_col(marked, match.start())} opens inside another")
            try:
                category = OmitCategory.parse(category_text or "")
            except UsageError as e:
                raise MarkupError(f"{e.message} (at {_line_col(marked, match.start())})") from None
            open_at = (length, category, match.start())
    if open_at is not None:
        raise MarkupError(f"{{{{omit:{open_at[1].value}}}}} at {_line_col(marked, open_at[2])} "
                          "is never closed with {{/omit}}")
    plain.append(marked[position:])
    return "".join(plain), tuple(spans)


def to_markup(body: str, spans: Sequence[OmitSpan]) -> str:
    """The inverse of `parse_omissions`, for editing a stored note as marked-up text."""
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(body[position:span.start])
        out.append(f"{{{{omit:{span.category.value}}}}}{body[span.start:span.end]}{{{{/omit}}}}")
        position = span.end
    out.append(body[position:])
    return "".join(out)


def validate_spans(body: str, spans: Iterable[OmitSpan]) -> tuple[OmitSpan, ...]:
    """Check spans lie within the body and do not overlap; merge nothing silently."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    previous_end = 0
    for span in ordered:
        if not (0 <= span.start < span.end <= len(body)):
            raise MarkupError(f"omission span {span.start}-{span.end} lies outside the note "
                              f"(length {len(body)})")
        if span.start < previous_end:
            raise MarkupError(f"omission spans overlap at character {span.start}")
        previous_end = span.end
    return tuple(ordered)


def withheld_marker(category: OmitCategory) -> str:
    return f"[withheld: {category.label}]"


def render_withheld(body: str, spans: Sequence[OmitSpan],
                    whole_note: OmitCategory | None = None,
                    include: Iterable[OmitCategory] = ()) -> str:
    """The note as it may leave the vault: each flagged span replaced by a visible marker.

    Categories in `include` are released on purpose and stay in the text.
    """
    released = set(include)
    if whole_note is not None and whole_note not in released:
        return withheld_marker(whole_note)
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(body[position:span.start])
        if span.category in released:
            out.append(body[span.start:span.end])
        else:
            out.append(withheld_marker(span.category))
        position = span.end
    out.append(body[position:])
    return "".join(out)


def withheld_categories(spans: Sequence[OmitSpan], whole_note: OmitCategory | None,
                        include: Iterable[OmitCategory] = ()) -> list[OmitCategory]:
    released = set(include)
    found = {s.category for s in spans}
    if whole_note is not None:
        found.add(whole_note)
    return sorted(found - released, key=lambda c: list(OmitCategory).index(c))
