"""Form rows whose fields carry a visible label on their left (issue 12: "Label every field").

A placeholder vanishes once the field is filled, so two bare dates, or a folder and a name,
could no longer be told apart. Each screen styles `.field-label` (and `.second`, the label of
a row's second field) for its own widths."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static


def labelled_row(*fields: tuple[str, Widget], classes: str = "form-row") -> Horizontal:
    """One or two fields on a row, each after its label."""
    children: list[Widget] = []
    for index, (label, widget) in enumerate(fields):
        children.append(Static(label, classes="field-label second" if index else "field-label"))
        children.append(widget)
    return Horizontal(*children, classes=classes)
