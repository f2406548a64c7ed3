"""Field checks for disclosure records: one-line fields, long texts, dates, all clear errors."""

from __future__ import annotations

import re
from datetime import date

from ..errors import UsageError
from ..records.validate import iso_date

# C0/C1 controls and the bidirectional overrides that make a file listing or a letter lie.
_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BAD_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def line(value: str | None, field: str, *, max_chars: int = 300,
         required: bool = True) -> str | None:
    """A one-line field: whitespace (line breaks too) collapsed, controls refused."""
    cleaned = " ".join((value or "").split())
    if not cleaned:
        if required:
            raise UsageError(f"{field} is empty")
        return None
    if len(cleaned) > max_chars:
        raise UsageError(f"{field} is longer than {max_chars} characters")
    bad = _BAD.search(cleaned)
    if bad:
        raise UsageError(f"{field} contains the control character U+{ord(bad.group()):04X}; "
                         "remove it")
    return cleaned


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
        raise UsageError(f"{field} contains the control character U+{ord(bad.group()):04X}; "
                         "remove it")
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
