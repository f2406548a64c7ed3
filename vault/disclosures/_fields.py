"""Field checks for disclosure records: one-line fields, long texts, dates, all clear errors."""

from __future__ import annotations

from ..records.validate import day, long_text, one_line, required_day

__all__ = ["day", "line", "long_text", "required_day", "required_line"]


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
