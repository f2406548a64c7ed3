"""`?` / F1: every key of the screen underneath and the app-wide ones, on one page.

The footer drops keys that do not fit a narrow terminal; this page never does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..widgets.footer import APP_ORDER
from ..widgets.safe import plain

# Keys every screen has whose bindings live in Textual itself or carry no description.
EXTRA_GLOBAL = [("^p", "All commands (backup, disposal, release...)")]
_ACTIONS = {"Search": "search", "Lock": "lock", "Privacy": "toggle_privacy", "Help": "help"}
_ACTIONS |= {"Quit": "quit"}
HIDDEN_ACTIONS = {"help_quit", "focus_table", "focus_results", "focus_next", "focus_previous"}
# Textual's screen-level "Copy selected text": the app allows no screen selection
# (ALLOW_SELECT is off), so the key does nothing there and listing it only misled.
HIDDEN_ACTIONS |= {"copy_text"}


def key_rows(screen: Screen[object]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(this screen's keys, app-wide keys) as (key, what it does), each action once."""
    here: list[tuple[str, str]] = []
    everywhere: list[tuple[str, str]] = []
    seen: dict[str, list[tuple[str, str]]] = {}
    app = screen.app
    for node, binding, enabled, _tooltip in screen.active_bindings.values():
        action = binding.action.removeprefix("app.").removeprefix("screen.")
        if not enabled or action in HIDDEN_ACTIONS or not binding.description:
            continue
        if node is not app and node is not screen:
            continue  # a text field's own editing keys (home, ctrl+a...) are not news
        if action == "command_palette":
            continue
        key = "f1 / ?" if action == "help" else app.get_key_display(binding)
        rows = everywhere if node is app else here
        previous = seen.get(action)
        if previous is not None:  # a second key for the same thing: `?` next to F1
            index = next(i for i, (_, d) in enumerate(previous) if d == binding.description)
            shown, description = previous[index]
            # Help's row already reads `f1 / ?`: its second binding adds nothing (it read
            # `f1 / ? / f1 / ?`).
            parts = shown.split(" / ")
            new = [part for part in key.split(" / ") if part not in parts]
            previous[index] = (" / ".join(parts + new), description)
            continue
        seen[action] = rows
        rows.append((key, binding.description))
    place = {action: i for i, action in enumerate(APP_ORDER)}
    everywhere.sort(key=lambda row: place.get(_ACTIONS.get(row[1], ""), len(APP_ORDER)))
    everywhere.extend(EXTRA_GLOBAL)
    return here, everywhere


def help_text(screen: Screen[object]) -> Text:
    here, everywhere = key_rows(screen)
    width = max((len(k) for k, _ in here + everywhere), default=0) + 2
    text = Text()
    for heading, rows in (("On this screen", here), ("Everywhere", everywhere)):
        if not rows:
            continue
        if text:
            text.append("\n")
        text.append(f"{heading}\n", style="bold")
        for key, description in rows:
            text.append(f"  {key:<{width}}", style="bold")
            text.append_text(plain(description))
            text.append("\n")
    text.append("\nEscape closes this page.", style="italic")
    return text


class HelpScreen(ModalScreen[None]):
    """The keys of `screen` (the one it was opened over) and the app-wide keys."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen #help-box { width: 72; max-width: 100%; height: auto; max-height: 100%; }
    HelpScreen #help-scroll { height: auto; max-height: 20; }
    """

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.under = screen

    def compose(self) -> ComposeResult:
        title = self.under.title or type(self.under).__name__
        with Vertical(classes="modal-box", id="help-box"):
            yield Static(plain(f"Keys: {title}"), classes="modal-question")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.under), id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
