"""Showing untrusted text: control characters become visible symbols, one for one.

Note text is data. Rich strips only a few control codes, so an ESC or CSI inside a note could
reach the terminal and restyle it. Each control character is swapped for a same-length visible
stand-in (U+241B for ESC), so offsets into the text stay valid for spans and cursors.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import TextArea

_TABLE = {code: 0x2400 + code for code in range(32) if code not in (9, 10)}
_TABLE[0x7F] = 0x2421
_TABLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})


def visible(text: str) -> str:
    """`text` with every control character but tab and newline replaced, one for one."""
    return text.translate(_TABLE)


class SafeTextArea(TextArea):
    """A TextArea that draws control characters as symbols instead of sending them out."""

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        shown = visible(line.plain)
        if shown != line.plain:
            line = Text(shown, end="", no_wrap=True)
        return line
