"""Printing for the command line: JSON for scripts, plain text for people, errors on stderr.

Note text is data: control characters (ANSI escapes above all) are shown as visible escapes so
a note can never move the cursor, recolour the terminal or set the clipboard.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vault import ConfideError
from vault.records.validate import BIDI_CONTROLS, LINE_SEPARATORS

from .hints import hint_for

# Lone surrogates (bytes that were not UTF-8, e.g. in a folder name) are escaped too: a strict
# stdout cannot encode them, and printing must never fail after the vault has changed.
# The same set as every release format (vault.records.validate.OUTPUT_UNSAFE), plus lone
# surrogates.
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}"
                      "\ud800-\udfff]")


def safe_text(text: str) -> str:
    """Make text harmless to print on a terminal: controls become visible `\\xNN` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text)


# json.dumps escapes C0 controls but passes C1 controls (U+009B is a CSI to some terminals) and
# bidi overrides through; inside JSON they can only occur in strings, so \uXXXX is exact.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{LINE_SEPARATORS}{BIDI_CONTROLS}\ud800-\udfff]")


def safe_json(value: Any) -> str:
    """JSON text that is safe to print on a terminal, non-ASCII letters kept readable."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for extra in ("record_id",):
            if hasattr(value, extra):
                data[extra] = getattr(value, extra)
        return data
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


class Output:
    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode

    def emit(self, data: Any, text: Callable[[], str] | str | None = None) -> None:
        """Print `data` as JSON, or the human text (a string or a function producing one)."""
        if self.json_mode:
            sys.stdout.write(safe_json(to_jsonable(data)) + "\n")
            return
        rendered = text() if callable(text) else text
        if rendered is None:
            rendered = json.dumps(to_jsonable(data), indent=2, ensure_ascii=False)
        sys.stdout.write(safe_text(rendered).rstrip("\n") + "\n")

    def info(self, message: str) -> None:
        """A human remark on stderr (stdout stays data)."""
        if not self.json_mode:
            sys.stderr.write(safe_text(message) + "\n")

    def error(self, error: ConfideError) -> None:
        """One line on stderr: the core's fact, then this face's hint (see hints.py) if any."""
        message = " ".join(str(error).split())
        hint = hint_for(error)
        if self.json_mode:
            doc = {"type": type(error).__name__, "title": error.title, "message": message}
            if hint is not None:
                doc["hint"] = hint
            sys.stdout.write(json.dumps({"error": doc}) + "\n")
        line = message if hint is None else f"{message}; {hint}"
        sys.stderr.write(f"confide: error: {safe_text(line)}\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    return "\n".join(lines)
