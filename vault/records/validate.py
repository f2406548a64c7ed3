"""Input validation: every check raises a UsageError that names the field and the fix."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time

from ..errors import UsageError

MAX_BODY_CHARS = 2_000_000  # about 500 pages; anything larger is a paste accident
MAX_NAME_CHARS = 200
MAX_SHORT_CHARS = 80

_ICD = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$")


# Unicode's Bidi_Control characters: embeddings, overrides, isolates and the three marks. In
# a name they can make "C-00012 Ada" display as something else (a file listing, a letter).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_SEPARATORS = "\u2028\u2029"
# Refused in a name-like field: every C0 and C1 control (tab, CR and LF too), DEL, the line and
# paragraph separators, the bidi controls, and lone surrogates (bytes that were not UTF-8).
_NOT_IN_NAMES = re.compile(f"[\x00-\x1f\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}\ud800-\udfff]")
_C0_NAMES = {
    "\0": "NULL",
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}
# Shown as a visible escape in every output (.txt, .md, PDF, terminal), whatever the field:
# the same set, so a name stored before this rule and a note body are treated alike.
OUTPUT_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}]")


def character_name(ch: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`, `U+0009 CHARACTER TABULATION`."""
    if "\ud800" <= ch <= "\udfff":
        return f"U+{ord(ch):04X} (invalid Unicode: bytes that were not UTF-8)"
    label = _C0_NAMES.get(ch) or unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {label or 'CONTROL CHARACTER'}"


def escape_unsafe(text: str) -> str:
    """Controls, separators and bidi controls as visible `\\xNN` / `\\uNNNN` escapes."""
    return OUTPUT_UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def one_line(
    value: str | None, field: str, *, max_chars: int = MAX_NAME_CHARS, required: bool = True
) -> str | None:
    """The one rule for every name-like field (client names, pseudonyms, recipients, purposes,
    practice details, drive and policy labels): one line of visible text, stored exactly as
    given but for surrounding spaces. A control character (tab, CR, LF...), a line or
    paragraph separator or a bidi control is refused with its name and position, never
    silently turned into a space."""
    text = (value or "").strip(" ")
    if not text:
        if required:
            raise UsageError(f"{field} is empty")
        return None
    if len(text) > max_chars:
        raise UsageError(f"{field} is longer than {max_chars} characters")
    bad = _NOT_IN_NAMES.search(text)
    if bad and "\ud800" <= bad.group() <= "\udfff":
        raise UsageError(
            f"{field} contains invalid Unicode (not UTF-8) at position {bad.start() + 1}"
        )
    if bad:
        raise UsageError(
            f"{field} contains {character_name(bad.group())} at position "
            f"{bad.start() + 1}; remove it (a {field} is one line of visible "
            "text)"
        )
    return text


def name(value: str, field: str = "name") -> str:
    result = one_line(value, field)
    assert result is not None  # required
    return result


def short_text(value: str | None, field: str) -> str | None:
    return one_line(value, field, max_chars=MAX_SHORT_CHARS, required=False)


def body(value: str, field: str = "note text") -> str:
    if len(value) > MAX_BODY_CHARS:
        size_mb = len(value.encode("utf-8", "surrogatepass")) / 1_000_000
        raise UsageError(
            f"{field} is {size_mb:.1f} MB; the limit is "
            f"{MAX_BODY_CHARS // 1_000_000} million characters"
        )
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


# Long texts keep their line breaks (LF, CR, tab); other controls and the bidi controls that
# make a letter lie are refused.
_NOT_IN_LONG_TEXT = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}]"
)


def long_text(value: str | None, field: str, *, max_chars: int = 20_000) -> str:
    """Free text kept as typed (line breaks allowed): requests, statements, register entries."""
    text = (value or "").strip()
    if not text:
        raise UsageError(f"{field} is empty")
    if len(text) > max_chars:
        raise UsageError(f"{field} is longer than {max_chars} characters")
    bad = _NOT_IN_LONG_TEXT.search(text)
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


def clean_text(text: str) -> str:
    """Text safe in every output: CRLF to LF, tabs to spaces, other controls, line separators
    and bidi controls shown as \\xNN / \\uNNNN (`escape_unsafe`)."""
    return escape_unsafe(text.replace("\r\n", "\n").replace("\t", "    "))


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
            raise UsageError(
                f"diagnosis code {code.strip()!r} is not an ICD-10-CM code (for example F41.1)"
            )
        if c not in cleaned:
            cleaned.append(c)
    return tuple(cleaned)


def service_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _SERVICE.match(value.strip()):
        raise UsageError(f"service code {value.strip()!r} is not a code (for example 90834)")
    return value.strip()
