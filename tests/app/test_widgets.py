"""The flag-tracking arithmetic behind the editor, checked against real string edits."""

from __future__ import annotations

import random

import pytest

from tui.app.widgets.flag_text_area import diff_bounds, shift_spans
from vault import OmitCategory, OmitSpan

CAT = OmitCategory.DREAM_FANTASY


def span(start: int, end: int) -> OmitSpan:
    return OmitSpan(start, end, CAT)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ((0, 0, 3), [span(13, 19)]),  # insert before: moves
        ((20, 20, 3), [span(10, 16)]),  # insert after: stays
        ((16, 16, 3), [span(10, 16)]),  # typed at the end edge: stays outside
        ((10, 10, 3), [span(13, 19)]),  # typed at the start edge: stays outside
        ((12, 12, 3), [span(10, 19)]),  # typed inside: grows
        ((11, 14, 0), [span(10, 13)]),  # deleted inside: shrinks
        ((10, 16, 0), []),  # its whole text deleted: gone
        ((8, 18, 2), []),  # replaced with text around it: gone
        ((8, 12, 0), [span(8, 12)]),  # head deleted: the rest stays flagged
        ((14, 18, 1), [span(10, 14)]),  # tail replaced: the rest stays flagged
    ],
)
def test_shift_spans_cases(edit: tuple[int, int, int], expected: list[OmitSpan]) -> None:
    """Each kind of edit moves, resizes or drops the span [10, 16) as a reader expects."""
    assert shift_spans([span(10, 16)], *edit) == expected


def test_shift_spans_keeps_flagged_text_under_random_edits() -> None:
    """Random edits outside a span never change the text it covers."""
    rng = random.Random(3)
    for _ in range(300):
        text = "".join(rng.choice("abc \n") for _ in range(40))
        flagged = span(15, 25)
        inside = text[15:25]
        start = rng.choice([rng.randint(0, 15), rng.randint(25, 40)])
        end = start + rng.randint(0, 15 - start if start <= 15 else 40 - start)
        new = "".join(rng.choice("xyz\n") for _ in range(rng.randint(0, 5)))
        edited = text[:start] + new + text[end:]
        result = shift_spans([flagged], start, end, len(new))
        assert len(result) == 1
        assert edited[result[0].start : result[0].end] == inside


def test_diff_bounds_finds_the_replaced_region() -> None:
    """diff_bounds recovers (start, old_end, inserted) of a single replacement."""
    old = "The client reported a dream today."
    new = "The client reported a vivid dream today."
    start, old_end, inserted = diff_bounds(old, new)
    assert new[:start] + new[start : start + inserted] + old[old_end:] == new
    assert (start, old_end, inserted) == (22, 22, 6)
    assert diff_bounds("same", "same") == (4, 4, 0)
    assert diff_bounds("abc", "") == (0, 3, 0)


def test_normalize_newlines_moves_flags_with_the_text() -> None:
    """Mixed and old-Mac line breaks become "\\n"; flags cover the same words, and map back."""
    from tui.app.widgets.flag_text_area import normalize_newlines, spans_back

    text = "one\r\ntwo\rthree\nsecret word\r\nend"
    start = text.index("secret")
    flags = (OmitSpan(start, start + 6, CAT), OmitSpan(0, 5, CAT))
    new_text, new_flags, back = normalize_newlines(text, flags)
    assert new_text == "one\ntwo\nthree\nsecret word\nend"
    assert [new_text[s.start : s.end] for s in new_flags] == ["secret", "one\n"]
    assert spans_back(new_flags, back) == (OmitSpan(start, start + 6, CAT), OmitSpan(0, 5, CAT))
    assert normalize_newlines("plain\ntext", flags[:1]) == ("plain\ntext", flags[:1], None)


def test_moving_flags_keeps_whose_passage_they_are() -> None:
    """Edits and line-break normalising move a joint note's flag without losing whose it is."""
    from tui.app.widgets.flag_text_area import normalize_newlines, spans_back

    theirs = OmitSpan(10, 16, CAT, about=2)
    assert shift_spans([theirs], 0, 0, 3) == [OmitSpan(13, 19, CAT, about=2)]
    assert shift_spans([theirs], 12, 13, 0) == [OmitSpan(10, 15, CAT, about=2)]
    text, moved, back = normalize_newlines("ab\r\ncd\r\nef secret", (OmitSpan(11, 17, CAT, 2),))
    assert moved == (OmitSpan(9, 15, CAT, 2),) and text[9:15] == "secret"
    assert spans_back(moved, back) == (OmitSpan(11, 17, CAT, 2),)
