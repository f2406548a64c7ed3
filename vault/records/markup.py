"""Omission markup: `{{omit:CATEGORY}}text{{/omit}}` in, plain text plus spans out, and back.

The stored model keeps spans apart from the text, so a body is always stored exactly as typed
(minus the markers) and every output decides for itself whether to show, hide or withhold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..errors import MarkupError, UsageError
from .models import OmitCategory, OmitSpan

_TOKEN = re.compile(r"\{\{\s*(?:omit\s*:\s*([^}]*?)\s*|(/)\s*omit\s*)\}\}", re.IGNORECASE)


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}"


def _about(text: str, where: str) -> int:
    """The participant named after `@` in a marker: C-00002 or 2."""
    raw = text.strip()
    digits = raw[2:] if raw[:2].upper() == "C-" else raw
    if not digits.isdigit() or int(digits) < 1:
        shown = raw if len(raw) <= 12 else raw[:10] + "…"
        raise MarkupError(
            f"{shown!r} after @ in the marker at {where} is not a client "
            "identifier (for example @C-00002)"
        )
    return int(digits)


def _parse(marked: str) -> tuple[str, tuple[OmitSpan, ...], tuple[tuple[int, int], ...]]:
    """`parse_omissions`, plus the raw (start, end) of every marker removed."""
    plain: list[str] = []
    spans: list[OmitSpan] = []
    removed: list[tuple[int, int]] = []
    position = 0
    length = 0
    # (plain offset, category, participant, raw offset)
    open_at: tuple[int, OmitCategory, int | None, int] | None = None
    for match in _TOKEN.finditer(marked):
        chunk = marked[position : match.start()]
        plain.append(chunk)
        length += len(chunk)
        position = match.end()
        removed.append((match.start(), match.end()))
        category_text, closing = match.group(1), match.group(2)
        where = _line_col(marked, match.start())
        if closing:
            if open_at is None:
                raise MarkupError(f"{{{{/omit}}}} at {where} has no matching {{{{omit:CATEGORY}}}}")
            start, category, about, _ = open_at
            if length == start:
                raise MarkupError(f"empty omission span at {where}")
            spans.append(OmitSpan(start, length, category, about))
            open_at = None
        else:
            if open_at is not None:
                raise MarkupError(
                    f"omission spans cannot nest: {{{{omit:...}}}} at {where} opens inside another"
                )
            name, _, person = (category_text or "").partition("@")
            try:
                category = OmitCategory.parse(name)
            except UsageError as e:
                raise MarkupError(f"{e.message} (at {where})") from None
            open_at = (
                length,
                category,
                _about(person, where) if person.strip() else None,
                match.start(),
            )
    if open_at is not None:
        raise MarkupError(
            f"{{{{omit:{open_at[1].value}}}}} at {_line_col(marked, open_at[3])} "
            "is never closed with {{/omit}}"
        )
    plain.append(marked[position:])
    return "".join(plain), tuple(spans), tuple(removed)


def parse_omissions(marked: str) -> tuple[str, tuple[OmitSpan, ...]]:
    """Strip omission markers, returning the plain body and the flagged spans.

    Nested or unbalanced markers, unknown categories and empty spans are errors: a marker that
    silently failed would let a passage leave the vault. `{{omit:CATEGORY@C-00002}}` says the
    passage is that participant's (joint notes).
    """
    plain, spans, _ = _parse(marked)
    return plain, spans


def flagged_text(text: str, spans: Sequence[OmitSpan] = ()) -> tuple[str, tuple[OmitSpan, ...]]:
    """THE way text enters the vault: every path that stores a body (notes, drafts, addenda,
    late entries, accepted amendments, psychotherapy notes) passes it through here.

    Omission markers typed in the text become flags; `spans` (from an editor that flags by
    selection) are offsets into `text` as given and are moved past the removed markers. The
    result is the plain body and every flag, checked: within the body, none overlapping.
    """
    plain, parsed, removed = _parse(text)
    if not removed:
        return plain, validate_spans(plain, spans)

    def moved(offset: int) -> int:
        shift = 0
        for start, end in removed:
            if end <= offset:
                shift += end - start
            elif start < offset:  # inside a marker: snap to where it was
                shift += offset - start
        return offset - shift

    given = [replace(s, start=moved(s.start), end=moved(s.end)) for s in spans]
    return plain, validate_spans(plain, [*parsed, *(s for s in given if s.end > s.start)])


def marked_regions(text: str) -> list[tuple[int, int, OmitCategory]]:
    """Where each marked passage lies in `text` itself, markers included (for text stored with
    its markers before they were parsed, which can no longer change)."""
    _, spans, removed = _parse(text)
    # Markers never nest and always close, so they alternate: opening, closing, opening...
    return [
        (removed[2 * i][0], removed[2 * i + 1][1], span.category) for i, span in enumerate(spans)
    ]


def refuse_markers(text: str, what: str) -> str:
    """For text that keeps no flags (a late-entry reason, an amendment request): an omission
    marker there would be printed as typed in a release, so it is refused, not ignored."""
    if _TOKEN.search(text):
        raise MarkupError(
            f"{what} cannot carry omission flags ({{{{omit:...}}}}); leave the "
            "passage out, or put it in the note where it can be flagged"
        )
    return text


def to_markup(body: str, spans: Sequence[OmitSpan]) -> str:
    """The inverse of `parse_omissions`, for editing a stored note as marked-up text."""
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(body[position : span.start])
        about = f"@C-{span.about:05d}" if span.about is not None else ""
        out.append(
            f"{{{{omit:{span.category.value}{about}}}}}{body[span.start : span.end]}{{{{/omit}}}}"
        )
        position = span.end
    out.append(body[position:])
    return "".join(out)


def validate_spans(body: str, spans: Iterable[OmitSpan]) -> tuple[OmitSpan, ...]:
    """Check spans lie within the body and do not overlap; merge nothing silently."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    previous_end = 0
    for span in ordered:
        if not (0 <= span.start < span.end <= len(body)):
            raise MarkupError(
                f"omission span {span.start}-{span.end} lies outside the note (length {len(body)})"
            )
        if span.start < previous_end:
            raise MarkupError(f"omission spans overlap at character {span.start}")
        previous_end = span.end
    return tuple(ordered)


def withheld_marker(category: OmitCategory) -> str:
    return f"[withheld: {category.label}]"


# Names no category: which kind of secret another participant has is theirs to keep too.
FOREIGN_MARKER = "[withheld: another participant's passage]"


def render_withheld(
    body: str,
    spans: Sequence[OmitSpan],
    whole_note: OmitCategory | None = None,
    include: Iterable[OmitCategory] = (),
    foreign: Iterable[OmitSpan] = (),
) -> str:
    """The note as it may leave the vault: each flagged span replaced by a visible marker.

    Categories in `include` are released on purpose and stay in the text; `foreign` spans
    (another participant's passages in a joint note) are withheld whatever is included.
    """
    released = set(include)
    if whole_note is not None and whole_note not in released:
        return withheld_marker(whole_note)
    theirs = set(foreign)
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(body[position : span.start])
        if span in theirs:
            out.append(FOREIGN_MARKER)
        elif span.category in released:
            out.append(body[span.start : span.end])
        else:
            out.append(withheld_marker(span.category))
        position = span.end
    out.append(body[position:])
    return "".join(out)


def open_text(body: str, spans: Sequence[OmitSpan], whole_note: OmitCategory | None) -> str:
    """What privacy-mode search may match: the body with every flagged passage blanked out."""
    if whole_note is not None:
        return ""
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(body[position : span.start])
        out.append(" ")  # a word boundary, so the words either side stay apart
        position = span.end
    out.append(body[position:])
    return "".join(out)


def withheld_categories(
    spans: Sequence[OmitSpan],
    whole_note: OmitCategory | None,
    include: Iterable[OmitCategory] = (),
    foreign: Iterable[OmitSpan] = (),
) -> list[OmitCategory]:
    released = set(include)
    theirs = set(foreign)
    found = {s.category for s in spans if s not in theirs}
    if whole_note is not None:
        found.add(whole_note)
    return sorted(found - released, key=lambda c: list(OmitCategory).index(c))
