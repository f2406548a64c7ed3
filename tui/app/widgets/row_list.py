"""A list of one-line rows in fixed columns, drawn one strip per row (issue 14).

DataTable renders every visible cell through Rich on each refill (its render cache is keyed on
its update count), which made a keystroke in the client filter cost 2.5-3.3x a bare Input.
Here a row is one `Text`, laid out and turned into one strip when it is first drawn; moving
the cursor redraws from cached strips. Cells are `rich.text.Text` (never parsed as markup;
callers pass `plain()`), cut and padded by cell width, so a CJK name keeps the columns aligned.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

PAD = 1  # blank cells either side of a column's text, as DataTable draws them


class RowList(ScrollView, can_focus=True):
    """Rows of `Text` cells under a header line; up/down/page/home/end move the cursor, enter or
    a click selects (posts `RowList.Selected` with the row's key)."""

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES = {
        "row-list--header",
        "row-list--cursor",
        "row-list--even-row",
    }
    DEFAULT_CSS = """
    RowList {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .row-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .row-list--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .row-list--even-row {
            background: $surface-darken-1 40%;
        }
        & > .row-list--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .row-list--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .row-list--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .row-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Selected(Message):
        """A row was chosen (enter or a click)."""

        def __init__(self, row_list: RowList, key: str) -> None:
            super().__init__()
            self.row_list = row_list
            self.key = key

        @property
        def control(self) -> RowList:
            return self.row_list

    def __init__(
        self,
        columns: Sequence[tuple[str, int | None]],
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's own keyword
        classes: str | None = None,
    ) -> None:
        """`columns`: (label, width) each; a width of None fits the column to its widest cell."""
        super().__init__(name=name, id=id, classes=classes)
        self._columns = [(label, width) for label, width in columns]
        self._keys: list[str] = []
        self._cells: list[tuple[Text, ...]] = []
        self._lines: list[Text | None] = []
        self._header = Text()
        self._strips: dict[tuple[int, Style], Strip] = {}
        self._layout()

    # -- content

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def cells(self, row: int) -> tuple[str, ...]:
        """Row `row`'s cells as plain text (what is drawn, before truncation)."""
        return tuple(cell.plain for cell in self._cells[row])

    def column(self, index: int) -> list[str]:
        """One column, top to bottom, as plain text."""
        return [cells[index].plain for cells in self._cells]

    def set_rows(
        self, rows: Sequence[tuple[str, Sequence[Text]]], cursor_key: str | None = None
    ) -> None:
        """Replace every row: (key, cells) each. The cursor goes to `cursor_key`'s row when it is
        still there, else to the top."""
        self._keys = [key for key, _ in rows]
        self._cells = [tuple(cells) for _, cells in rows]
        self._layout()
        row = self._keys.index(cursor_key) if cursor_key in self._keys else 0
        self.virtual_size = Size(self._width, len(self._keys) + 1)
        self.cursor = row
        if row == 0:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, None when the list is empty."""
        return self._keys[self.cursor] if self._keys else None

    def move_cursor(self, row: int) -> None:
        self.cursor = row

    def _layout(self) -> None:
        widths = []
        for index, (label, width) in enumerate(self._columns):
            if width is None:
                width = max([cell_len(label), *(cells[index].cell_len for cells in self._cells)])
            widths.append(width)
        self._widths = widths
        self._width = sum(w + 2 * PAD for w in widths)
        self._header = self._line([Text(label) for label, _ in self._columns])
        # Laid out when first drawn: a refill of 60 rows shows about 34.
        self._lines = [None] * len(self._cells)
        self._strips.clear()

    def _line(self, cells: Sequence[Text]) -> Text:
        line = Text(no_wrap=True, end="")
        for cell, width in zip(cells, self._widths, strict=True):
            cell = cell.copy()
            cell.no_wrap = True
            # Cut and padded by cell width (a CJK character is two cells), with an ellipsis.
            cell.truncate(width, overflow="ellipsis", pad=True)
            line.append(" " * PAD)
            line.append_text(cell)
            line.append(" " * PAD)
        return line

    # -- drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if y == 0:  # the header stays put while the rows scroll under it
            style = base + self.get_component_rich_style("row-list--header")
            return self._strip(self._header, style).crop_extend(scroll_x, scroll_x + width, style)
        row = scroll_y + y - 1
        if row >= len(self._cells):
            return Strip.blank(width, base)
        if row == self.cursor:
            style = base + self.get_component_rich_style("row-list--cursor")
        elif row % 2 == 0:
            style = base + self.get_component_rich_style("row-list--even-row")
        else:
            style = base
        strip = self._strips.get((row, style))
        if strip is None:
            text = self._lines[row]
            if text is None:
                text = self._lines[row] = self._line(self._cells[row])
            strip = self._strips[(row, style)] = self._strip(text, style)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _strip(self, text: Text, style: Style) -> Strip:
        segments = list(text.render(self.app.console))
        return Strip(segments, text.cell_len).apply_style(style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._scroll_to_cursor()

    # -- the cursor

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self._keys) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        shown = max(1, self.scrollable_content_region.height - 1)  # the header takes a line
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + shown:
            self.scroll_to(y=self.cursor - shown + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= self._page()

    def action_page_down(self) -> None:
        self.cursor += self._page()

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self._keys) - 1

    def action_select(self) -> None:
        if self._keys:
            self.post_message(self.Selected(self, self._keys[self.cursor]))

    async def _on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = self.scroll_offset.y + event.y - 1
        if row < len(self._keys):
            self.cursor = row
            self.post_message(self.Selected(self, self._keys[row]))
