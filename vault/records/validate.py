"""Input validation: every check raises a UsageError that names the field and the fix."""

from __future__ import annotations

import re
from datetime import date, time

from ..errors import UsageError

MAX_BODY_CHARS = 2_000_000  # about 500 pages; anything larger is a paste accident
MAX_NAME_CHARS = 200
MAX_SHORT_CHARS = 80

_ICD = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$")


def _control_free(value: str, field: str) -> None:
    for index, ch in enumerate(value):
        if ch == "\0":
            raise UsageError(f"{field} contains a NUL character (position {index}); remove it")
        if ord(ch) < 32 and ch not in "\t\n\r":
            raise UsageError(f"{field} contains the control character U+{ord(ch):04X} "
                             f"(position {index})")
        if "\ud800" <= ch <= "\udfff":  # bytes that were not UTF-8 (e.g. in a command line)
            raise UsageError(f"{field} contains invalid Unicode (not UTF-8) at position {index}")


def name(value: str, field: str = "name") -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise UsageError(f"{field} is empty")
    if len(cleaned) > MAX_NAME_CHARS:
        raise UsageError(f"{field} is longer than {MAX_NAME_CHARS} characters")
    _control_free(cleaned, field)
    return cleaned


def short_text(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > MAX_SHORT_CHARS:
        raise UsageError(f"{field} is longer than {MAX_SHORT_CHARS} characters")
    _control_free(cleaned, field)
    return cleaned


def body(value: str, field: str = "note text") -> str:
    if len(value) > MAX_BODY_CHARS:
        size_mb = len(value.encode("utf-8", "surrogatepass")) / 1_000_000
        raise UsageError(f"{field} is {size_mb:.1f} MB; the limit is "
                         f"{MAX_BODY_CHARS // 1_000_000} million characters")
    if "\0" in value:
        line = value.count("\n", 0, value.index("\0")) + 1
        raise UsageError(f"{field} contains a NUL character on line {line}; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{field} contains invalid Unicode (a lone surrogate)") from None
    return value


def iso_date(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise UsageError(f"{field} {value.strip()!r} is not a date; use YYYY-MM-DD") from None


def clock_time(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"\d:\d\d", text):
        text = "0" + text  # "9:00" is how people write it; fromisoformat wants "09:00"
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{field} {value.strip()!r} is not a time; use HH:MM") from None
    return parsed.strftime("%H:%M")


def diagnosis_codes(codes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for code in codes:
        c = code.strip().upper()
        if not c:
            continue
        if not _ICD.match(c):
            raise UsageError(f"diagnosis code {code.strip()!r} is not an ICD-10-CM code "
                             "(for example F41.1)")
        if c not in cleaned:
            cleaned.append(c)
    return tuple(cleaned)


def service_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _SERVICE.match(value.strip()):
        raise UsageError(f"service code {value.strip()!r} is not a code (for example 90834)")
    return value.strip()
