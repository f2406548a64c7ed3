"""Printing for the command line: JSON for scripts, plain text for people, errors on stderr.

Note text is data: control characters (ANSI escapes above all) are shown as visible escapes so
a note can never move the cursor, recolour the terminal or set the clipboard.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vault import ConfideError

    from .exitcodes import ExitCode

# vault.records.validate's BIDI_CONTROLS and LINE_SEPARATORS, written out: importing the core
# would cost `confide --help` and every usage error its start-up (tests/cli/test_startup.py
# checks these equal the core's).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_SEPARATORS = "\u2028\u2029"

# Lone surrogates (bytes that were not UTF-8, e.g. in a folder name) are escaped too: a strict
# stdout cannot encode them, and printing must never fail after the vault has changed.
# The same set as every release format (vault.records.validate.OUTPUT_UNSAFE), plus lone
# surrogates.
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}\ud800-\udfff]")


def safe_text(text: str) -> str:
    """Make text harmless to print on a terminal: controls become visible `\\xNN` escapes."""
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


# json.dumps escapes C0 controls but passes C1 controls (U+009B is a CSI to some terminals) and
# bidi overrides through; inside JSON they can only occur in strings, so \uXXXX is exact.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}\ud800-\udfff]")


def safe_json(value: Any, indent: int | None = None) -> str:
    """One line of JSON, safe to print on a terminal, non-ASCII letters kept readable."""
    import json  # here, not above: `confide --help` loads this module and needs no JSON

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# Numeric references get the record id people see beside them (`client_id` 3 and
# `client_record_id` "C-00003"), so scripts never format ids themselves (docs/CLI-JSON.md).
_RECORD_IDS = {
    "client_id": "C-{:05d}",
    "note_id": "N-{:06d}",
    "parent_id": "N-{:06d}",
    "addendum_note_id": "N-{:06d}",
    "authorization_id": "A-{:05d}",
    "pnotes_authorization_id": "A-{:05d}",
    "request_id": "Q-{:05d}",
    "hold_id": "H-{:05d}",
    "amendment_id": "M-{:05d}",
}


def _with_record_ids(data: dict[str, Any]) -> dict[str, Any]:
    for key, form in _RECORD_IDS.items():
        value = data.get(key)
        name = key.removesuffix("_id") + "_record_id"
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and name not in data
            and data.get("record_id") != form.format(value)
        ):  # not its own id again
            data[name] = form.format(value)
    ids = data.get("participant_ids")
    if isinstance(ids, list) and all(isinstance(i, int) for i in ids):
        data["participant_record_ids"] = [f"C-{i:05d}" for i in ids]
    return data


def to_jsonable(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for extra in ("record_id",):
            if hasattr(value, extra):
                data[extra] = getattr(value, extra)
        return _with_record_ids(data)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return _with_record_ids({str(k): to_jsonable(v) for k, v in value.items()})
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


class Output:
    """Everything a command prints. With --json, one JSON message per line on stdout, each an
    envelope (`type` result, error or progress; docs/CLI-JSON.md); else text for people."""

    def __init__(self, json_mode: bool, command: str | None = None) -> None:
        self.json_mode = json_mode
        self.command = command

    def message(self, kind: str, **fields: Any) -> None:
        """One JSON message: the envelope, then its fields."""
        sys.stdout.write(
            safe_json({"type": kind, "command": self.command, **to_jsonable(fields)}) + "\n"
        )
        sys.stdout.flush()

    def emit(self, data: Any, text: Callable[[], str] | str | None = None) -> None:
        """Print `data` as JSON, or the human text (a string or a function producing one)."""
        if self.json_mode:
            self.message("result", data=data)
            return
        rendered = text() if callable(text) else text
        if rendered is None:
            rendered = safe_json(to_jsonable(data), indent=2)
        sys.stdout.write(safe_text(rendered).rstrip("\n") + "\n")

    def info(self, message: str) -> None:
        """A human remark on stderr (stdout stays data)."""
        if not self.json_mode:
            sys.stderr.write(safe_text(message) + "\n")

    def error(self, error: ConfideError, code: ExitCode) -> None:
        """The core's fact, then this face's hint (see hints.py) if any."""
        from .hints import hint_for  # imports backup's errors: only when there is an error

        self.failure(code, error.title, str(error), hint_for(error))

    def failure(self, code: ExitCode, title: str, message: str, hint: str | None = None) -> None:
        """A failure: one line on stderr always, and an error message on stdout with --json
        (`hint` as its own field there, appended to the message on stderr)."""
        message = " ".join(message.split())
        if self.json_mode:
            extra = {} if hint is None else {"hint": hint}
            self.message(
                "error", code=code.code, error=code.name, title=title, message=message, **extra
            )
        line = message if hint is None else f"{message}; {hint}"
        label = "usage error" if code.name == "usage" else "error"
        sys.stderr.write(f"confide: {label}: {safe_text(line)}\n")


def cell_width(text: str) -> int:
    """Columns `text` takes on a terminal: 2 for a CJK character, 0 for a combining accent."""
    if text.isascii():
        return len(text)  # the common case, without importing anything
    from rich.cells import cell_len

    return cell_len(text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    # Escaped before measuring: an escape such as \x1b prints as four columns.
    cells = [[safe_text("" if c is None else str(c)) for c in row] for row in rows]
    widths = [
        max([cell_width(h)] + [cell_width(r[i]) for r in cells]) for i, h in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v + " " * (w - cell_width(v)) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    return "\n".join([line(headers), *(line(r) for r in cells)])
