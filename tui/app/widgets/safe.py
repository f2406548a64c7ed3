"""Showing untrusted text: never parsed as markup, control characters as visible symbols.

Note text is data. A plain `str` handed to a DataTable cell, an Option, a palette hit or a
notification is parsed as markup: `[/]` crashes the app, `[link=...]` makes a hyperlink and
`[@click=...]` binds an action. Every piece of user or record text therefore goes to a widget
through `plain()`, which returns a `rich.text.Text` (never parsed) with `visible()` applied.

Rich strips only a few control codes, so an ESC or CSI inside a note could reach the terminal
and restyle it; a bidirectional override (U+202E) makes the rest of a line read backwards.
Each is swapped for a same-length visible stand-in (U+241B for ESC), so offsets into the text
stay valid for spans and cursors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import StyleType
from rich.text import Text
from textual.widgets import Input

if TYPE_CHECKING:
    from .safe_text_area import SafeTextArea as SafeTextArea

_TABLE = {code: 0x2400 + code for code in range(32) if code not in (9, 10)}
_TABLE[0x7F] = 0x2421
_TABLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})
# Bidirectional embeddings, overrides and isolates (the ones the vault refuses in one-line
# fields): shown as a replacement character rather than reordering what follows.
_TABLE.update({code: 0xFFFD for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def visible(text: str) -> str:
    """`text` with every control character but tab and newline replaced, one for one."""
    return text.translate(_TABLE)


def plain(text: object, style: StyleType = "") -> Text:
    """User or record text for any widget: a Text that is never parsed as markup.

    `str(text)` for anything else (a path, a number), so a caller never formats it into a
    markup string first. Control characters become symbols (`visible`)."""
    return Text(visible(str(text)), style=style, end="")


class SafeInput(Input):
    """An Input that draws control characters (a pasted ESC, a NUL) as symbols."""

    @property
    def _value(self) -> Text:
        text = super()._value
        if self.password:
            return text
        return Text(visible(text.plain), no_wrap=True, overflow="ignore", end="")


def __getattr__(name: str) -> object:
    # `SafeTextArea` lives in safe_text_area.py and loads on first use: Textual's TextArea is
    # 5% of the app's launch, and the lock screen has none (issue 14). Imported from here
    # as before.
    if name == "SafeTextArea":
        from .safe_text_area import SafeTextArea as SafeTextArea

        return SafeTextArea
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
