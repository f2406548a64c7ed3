"""Field checks for disclosure records: one-line fields, long texts, dates, all clear errors."""

from __future__ import annotations

import re
from datetime import date

from ..errors import UsageError
from ..records.validate import BIDI_CONTROLS, LINE_SEPARATORS, character_name, iso_date, one_line

# Long texts keep their line breaks (LF, CR, tab); other controls and the bidi controls that
# make a letter lie are refused.
_BAD_LONG = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}]")


def line(
    value: str | None, field: str, *, max_chars: int = 300, required: bool = True
) -> str | None:
    """A one-line field (recipient, purpose, address...): the name-like rule of
    `validate.one_line`, the same for every such field in Confide."""
    return one_line(value, field, max_chars=max_chars, required=required)


def required_line(value: str | None, field: str, *, max_chars: int = 300) -> str:
    result = line(value, field, max_chars=max_chars)
    assert result is not None  # required=True never returns None
    return result


def long_text(value: str | None, field: str, *, max_chars: int = 20_000) -> str:
    """Free text kept as typed (line breaks allowed), for requests and statements."""
    text = (value or "").strip()
    if not text:
        raise UsageError(f"{field} is empty")
    if len(text) > max_chars:
        raise UsageError(f"{field} is longer than {max_chars} characters")
    bad = _BAD_LONG.search(text)
    if bad:
        raise UsageError(f"{field} contains {character_name(bad.group())}; remove it")
    return text


def day(value: str | date | None, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    text = iso_date(value, field)
    return None if text is None else date.fromisoformat(text)


def required_day(value: str | date | None, field: str) -> date:
    result = day(value, field)
    if result is None:
        raise UsageError(f"{field} is missing; use YYYY-MM-DD")
    return result
