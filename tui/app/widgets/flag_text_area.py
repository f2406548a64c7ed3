"""A TextArea that shows omission-flagged spans and keeps them in place while text is edited."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from itertools import accumulate

from rich.style import Style
from rich.text import Text
from textual.document._document import EditResult
from textual.document._edit import Edit

from vault import OmitCategory, OmitSpan

from .safe import SafeTextArea

# Pastel backgrounds with black text read well in light and dark themes alike.
CATEGORY_COLOURS: dict[OmitCategory, str] = {
    OmitCategory.DREAM_FANTASY: "#d7c6ff",
    OmitCategory.THIRD_PARTY: "#ffd6a5",
    OmitCategory.SUBSTANCE_USE: "#fdffb6",
    OmitCategory.SEXUAL_REPRODUCTIVE: "#ffc6ff",
    OmitCategory.HIV_STI: "#ffadad",
    OmitCategory.LEGAL: "#a0c4ff",
    OmitCategory.CLIENT_REQUESTED: "#caffbf",
    OmitCategory.OTHER: "#d9d9d9",
}


def category_style(category: OmitCategory) -> Style:
    return Style(color="black", bgcolor=CATEGORY_COLOURS[category], underline=True)


def shift_spans(spans: Iterable[OmitSpan], start: int, end: int, inserted: int) -> list[OmitSpan]:
    """Spans after text [start, end) was replaced by `inserted` characters.

    Spans before the edit stay, spans after it move, an edit inside a span resizes it, and a
    span whose every character was deleted disappears. Text typed right at a span's edge stays
    outside it, so flagging never grows by accident.
    """
    delta = inserted - (end - start)
    out: list[OmitSpan] = []
    for span in spans:
        if span.end <= start:
            out.append(span)
            continue
        if span.start >= end:
            out.append(replace(span, start=span.start + delta, end=span.end + delta))
            continue
        new_start = span.start if span.start < start else start + inserted
        new_end = span.end + delta if span.end > end else start
        if new_end > new_start:
            out.append(replace(span, start=new_start, end=new_end))
    return out


def diff_bounds(old: str, new: str) -> tuple[int, int, int]:
    """The single replaced region turning `old` into `new`: (start, old_end, inserted)."""
    limit = min(len(old), len(new))
    low, high = 0, limit  # longest common prefix by bisection: C-speed slice compares
    while low < high:
        mid = (low + high + 1) // 2
        if old[:mid] == new[:mid]:
            low = mid
        else:
            high = mid - 1
    prefix = low
    low, high = 0, limit - prefix
    while low < high:
        mid = (low + high + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            low = mid
        else:
            high = mid - 1
    suffix = low
    return prefix, len(old) - suffix, len(new) - suffix - prefix


KNOWN_STATES = 200


class FlagTextArea(SafeTextArea):
    """The note body. `spans` are character offsets into `text`, kept in sync on every edit."""

    def __init__(self, text: str = "", spans: Sequence[OmitSpan] = (), **kwargs: object) -> None:
        super().__init__(text, **kwargs)  # type: ignore[arg-type]  # TextArea's typed kwargs
        self._spans: list[OmitSpan] = sorted(spans, key=lambda s: s.start)
        self._line_starts: list[int] | None = None
        # Spans seen with each recent text (by hash), so undo brings back a deleted flag.
        self._known: OrderedDict[int, tuple[OmitSpan, ...]] = OrderedDict()

    @property
    def spans(self) -> tuple[OmitSpan, ...]:
        return tuple(self._spans)

    def set_spans(self, spans: Iterable[OmitSpan]) -> None:
        self._spans = sorted(spans, key=lambda s: s.start)
        self._remember()
        self._line_cache.clear()
        self.refresh()

    def _remember(self) -> None:
        if not self._spans and not self._known:
            return
        key = hash(self.text)
        self._known[key] = tuple(self._spans)
        self._known.move_to_end(key)
        while len(self._known) > KNOWN_STATES:
            self._known.popitem(last=False)

    # -- offsets

    def offset_of(self, location: tuple[int, int]) -> int:
        starts = self._starts()
        row, column = location
        return starts[min(row, len(starts) - 1)] + column

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            newline = len(self.document.newline)
            lengths = (len(line) + newline for line in self.document.lines[:-1])
            self._line_starts = [0, *accumulate(lengths)]
        return self._line_starts

    def selection_offsets(self) -> tuple[int, int]:
        start, end = sorted(self.selection)
        return self.offset_of(start), self.offset_of(end)

    def span_at(self, offset: int) -> OmitSpan | None:
        for span in self._spans:
            if span.start <= offset <= span.end:  # the cursor just after a span is "in" it
                return span
        return None

    # -- keeping spans in place

    def edit(self, edit: Edit) -> EditResult:
        if not self._spans:
            result = super().edit(edit)
            self._line_starts = None
            return result
        start = self.offset_of(edit.top)
        end = self.offset_of(edit.bottom)
        result = super().edit(edit)
        self._line_starts = None
        inserted = self.offset_of(result.end_location) - start
        self._spans = shift_spans(self._spans, start, end, inserted)
        self._remember()
        self._line_cache.clear()
        return result

    def undo(self) -> None:
        self._diffed(super().undo)

    def redo(self) -> None:
        self._diffed(super().redo)

    def _diffed(self, change: object) -> None:
        before = self.text if self._spans or self._known else ""
        assert callable(change)
        change()
        self._line_starts = None
        if not self._spans and not self._known:
            return
        after = self.text
        known = self._known.get(hash(after))
        if known is not None:
            self._spans = list(known)
        else:
            start, end, inserted = diff_bounds(before, after)
            self._spans = shift_spans(self._spans, start, end, inserted)
        self._remember()
        self._line_cache.clear()
        self.refresh()

    def load_text(self, text: str) -> None:
        self._line_starts = None
        super().load_text(text)

    # -- drawing

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if not self._spans:
            return line
        line_start = self._starts()[line_index]
        line_end = line_start + len(line.plain)
        for span in self._spans:
            if span.end <= line_start or span.start >= line_end:
                continue
            line.stylize(
                category_style(span.category),
                max(span.start - line_start, 0),
                min(span.end, line_end) - line_start,
            )
        return line


def normalize_newlines(
    text: str, spans: Sequence[OmitSpan]
) -> tuple[str, tuple[OmitSpan, ...], list[int] | None]:
    """Text with every line break as "\\n" (what the editor's document holds), its spans moved
    to match, and the map from new offsets back to old ones (None when nothing changed).

    The text area turns "\\r" and mixed "\\r\\n" line breaks into one style, which would shift
    every later character: flags must be moved with them, never left pointing elsewhere.
    """
    if "\r" not in text:
        return text, tuple(spans), None
    out: list[str] = []
    forward = [0] * (len(text) + 1)
    back: list[int] = []
    i = 0
    while i < len(text):
        forward[i] = len(out)
        back.append(i)
        if text[i] == "\r":
            if text[i + 1 : i + 2] == "\n":
                forward[i + 1] = len(out)
                i += 1
            out.append("\n")
        else:
            out.append(text[i])
        i += 1
    forward[len(text)] = len(out)
    back.append(len(text))
    # replace() keeps every other field of a flag (whose passage it is, in a joint note).
    moved = tuple(
        replace(s, start=forward[s.start], end=forward[s.end])
        for s in spans
        if forward[s.end] > forward[s.start]
    )
    return "".join(out), moved, back


def spans_back(spans: Iterable[OmitSpan], back: list[int] | None) -> tuple[OmitSpan, ...]:
    """Spans in the stored text's offsets, undoing `normalize_newlines`."""
    if back is None:
        return tuple(spans)
    return tuple(replace(s, start=back[s.start], end=back[s.end]) for s in spans)


def selection_to_flag(
    body: FlagTextArea,
    notify: Callable[..., object],
    set_spans: Callable[[list[OmitSpan], str], None],
) -> tuple[int, int] | None:
    """What ctrl+o means in either editor: with no selection, unflag the passage under the
    cursor (or say to select one); a selection overlapping a flag is refused. Returns the
    selection to flag, or None when it was handled here."""
    start, end = body.selection_offsets()
    if start == end:
        span = body.span_at(start)
        if span is None:
            notify(
                "Select the passage first (shift+arrows), then press ctrl+o.",
                title="Nothing selected",
            )
            return None
        set_spans(
            [s for s in body.spans if s != span], f"Unflagged a {span.category.label} passage."
        )
        return None
    if any(s.start < end and start < s.end for s in body.spans):
        notify(
            "The selection overlaps a flagged passage; unflag that first.",
            title="Overlapping flag",
            severity="warning",
        )
        return None
    return start, end
