"""A TextArea for untrusted text (see safe.py), apart so the lock screen does not load TextArea."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import TextArea

from .safe import visible


class SafeTextArea(TextArea):
    """A TextArea that draws control characters as symbols instead of sending them out."""

    def get_line(self, line_index: int) -> Text:
        # From the document, not from TextArea's Text: Rich drops BEL, BS, VT, FF and CR,
        # which would shift every later character (and flag) on the line by one.
        return Text(visible(self.document.get_line(line_index)), end="", no_wrap=True)
