"""Field checks for the register, the same rules as the disclosure records' (`disclosures._fields`)
but without loading the disclosures package: every unlock reads the register's clock, and the
release code (and its imports) must not weigh on each command that unlocks."""

from __future__ import annotations

import re
from datetime import date

from ..errors import UsageError
from ..records.validate import iso_date

_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BAD_LONG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _refuse(bad: re.Match[str] | None, what: str) -> None:
    if bad:
        raise UsageError(
            f"{what} contains the control character U+{ord(bad.group()):04X}; remove it"
        )


def line(value: str | None, what: str, *, max_chars: int = 300) -> str:
    """A one-line field ('' when empty): whitespace collapsed, controls refused."""
    cleaned = " ".join((value or "").split())
    if len(cleaned) > max_chars:
        raise UsageError(f"{what} is longer than {max_chars} characters")
    _refuse(_BAD.search(cleaned), what)
    return cleaned


def long_text(value: str, what: str, *, max_chars: int = 10_000) -> str:
    text = value.strip()
    if not text:
        raise UsageError(f"{what} is empty")
    if len(text) > max_chars:
        raise UsageError(f"{what} is longer than {max_chars} characters")
    _refuse(_BAD_LONG.search(text), what)
    return text


def day(value: str | date | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = iso_date(value, what)
    return None if text is None else date.fromisoformat(text)


def required_day(value: str | date | None, what: str) -> date:
    result = day(value, what)
    if result is None:
        raise UsageError(f"{what} is missing; use YYYY-MM-DD")
    return result


def clean(text: str) -> str:
    """As `disclosures.document.clean`: controls shown as visible escapes, for every output."""
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )
