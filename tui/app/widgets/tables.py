"""Tables whose long columns wrap instead of running off a narrow terminal.

A DataTable sizes each column to its longest cell, so at 80 columns the last one (the audit
log's Detail, a backup's File) ran past the right edge and was cut: the user saw
`client=C-00024 e` and had to guess the rest. `add_rows_fitting` shares the room the other
columns leave among the columns allowed to wrap, and lets their cells wrap onto more lines,
only when they would not fit on one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

# The narrowest a wrapped column gets: below this the table scrolls sideways instead.
MINIMUM = 12


def add_rows_fitting(
    table: DataTable[Any],
    rows: Sequence[Sequence[Text]],
    width: int,
    wrapping: Sequence[int] = (-1,),
    minimum: int = MINIMUM,
    keys: Sequence[str] | None = None,
    whole_words: bool = False,
) -> bool:
    """Add `rows` to the (cleared) `table`, `width` cells wide; the columns at `wrapping`
    (indices) wrap when the row would not fit. `keys` are the rows' keys, if any. With
    `whole_words`, a wrapped column is never narrower than its longest word while the room
    lasts (for prose; a file name is one long word). True when any of them wraps."""
    columns = table.ordered_columns
    if not columns:
        return False
    padding = 2 * table.cell_padding
    wraps = sorted({i % len(columns) for i in wrapping})
    longest = [
        max([column.label.cell_len, *(row[i].cell_len for row in rows if i < len(row))])
        for i, column in enumerate(columns)
    ]
    # The vertical scrollbar takes its cells whenever the rows outgrow the table.
    room = width - table.styles.scrollbar_size_vertical
    room -= sum(longest[i] + padding for i in range(len(columns)) if i not in wraps)
    room -= padding * len(wraps)
    widths: dict[int, int] = {}
    # The shortest first: what one leaves unused goes to the longer ones.
    left = list(sorted(wraps, key=lambda i: longest[i]))
    while left:
        index = left.pop(0)
        share = max(minimum, room // (len(left) + 1))
        if whole_words:
            word = max(
                (len(w) for row in rows if index < len(row) for w in row[index].plain.split()),
                default=0,
            )
            share = max(share, min(word, room - minimum * len(left)))
        widths[index] = min(longest[index], share)
        room -= widths[index]
    wrap = any(widths[i] < longest[i] for i in wraps)
    for column in columns:
        # clear() keeps the widest cell ever added: a filtered list would stay as wide.
        column.content_width = column.label.cell_len
    for index in wraps:
        columns[index].auto_width = not wrap
        if wrap:
            columns[index].width = widths[index]
    for number, row in enumerate(rows):
        # height=None: each row as tall as its longest wrapped cell.
        table.add_row(
            *row, height=None if wrap else 1, key=keys[number] if keys is not None else None
        )
    return wrap
