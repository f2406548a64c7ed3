"""The footer of every vault screen: the keys that matter first, whatever the width.

Textual's Footer lists a screen's keys, then the app's, and cuts the line at the terminal's
edge: at 80 columns the timeline ended at `f2 Pr` and the search key was never seen. This one
drops the least important keys until the line fits (all of them stay on the help screen, `?`),
so the screen's first keys, Search, Help and Quit are always shown.
"""

from __future__ import annotations

import dataclasses

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# App-wide keys by importance: the lower, the longer it stays. A screen's own keys rank
# between the essential and the optional ones, in the order the screen declares them.
ESSENTIAL = {"help": 0, "quit": 1, "search": 2}
OPTIONAL = {"lock": 100, "toggle_privacy": 101, "command_palette": 102}
SCREEN_RANK = 10
# A screen key that does not apply to what is selected (a screen's `footer_idle` says which):
# dropped before the keys that do, so at 80 columns the incident register keeps `x Close`
# for a concluded incident rather than `c Conclude` again.
IDLE_RANK = 30
# Where the app's keys go, after the screen's: Quit last, as in most programs.
APP_ORDER = ["search", "lock", "toggle_privacy", "help", "command_palette", "quit"]
# Shorter words for a narrow terminal, used before any key is dropped: at 80 columns the
# timeline could not show its attachments and case-summary keys. The help screen keeps the
# full descriptions.
SHORT = {
    "New note": "New",
    "Late entry": "Late",
    "New incident": "New",
    "Psych notes": "Psych",
    "Attachments": "Files",
    "Case summary": "Summary",
    "Clear filters": "Clear",
    "Back up now": "Back up",
    "Verify all": "Verify",
    "Dispose selected": "Dispose",
    "Revoke selected": "Revoke",
    "Notice sent": "Sent",
    "Redact more": "Redact",
    "Close (locks)": "Close",
    "Access copy": "Access",
}


def _action(binding: Binding) -> str:
    return binding.action.removeprefix("app.")


def item_width(key_display: str, description: str) -> int:
    """Cells a compact footer key takes: `key description` and one space after it."""
    return len(key_display) + 1 + len(description) + 1


# (rank, place in the bindings, binding, enabled, tooltip)
Item = tuple[int, int, Binding, bool, str]


def short_binding(binding: Binding) -> Binding:
    """`binding` with its short description, when it has one."""
    short = SHORT.get(binding.description)
    if short is None:
        return binding
    return dataclasses.replace(binding, description=short)


class AppFooter(Footer):
    """A compact footer that keeps the essential keys when the terminal is narrow."""

    DEFAULT_CSS = """
    AppFooter FooterKey.-command-palette { dock: none; border-left: none; }
    """

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)

    def shown_keys(self, width: int) -> list[tuple[Binding, bool, str]]:
        """The keys that fit in `width` cells, in display order (the screen's keys first)."""
        seen: set[str] = set()
        idle_of = getattr(self.screen, "footer_idle", None)
        idle: set[str] = set(idle_of()) if callable(idle_of) else set()
        items: list[Item] = []
        app_items: list[Item] = []
        for index, (node, binding, enabled, tooltip) in enumerate(
            self.screen.active_bindings.values()
        ):
            action = _action(binding)
            if action == "command_palette":
                binding = Binding(binding.key, binding.action, "Commands")
            elif not binding.show:
                continue
            if action in seen:  # the same action under two keys: shown once
                continue
            seen.add(action)
            is_app = node is self.app
            rank = ESSENTIAL.get(action, OPTIONAL.get(action, 50 if is_app else SCREEN_RANK))
            if not is_app and action in idle:
                rank = IDLE_RANK
            (app_items if is_app else items).append((rank, index, binding, enabled, tooltip))
        place = {action: i for i, action in enumerate(APP_ORDER)}
        ordered = items + sorted(
            app_items, key=lambda i: (place.get(_action(i[2]), len(APP_ORDER)), i[1])
        )
        # The last key needs no space after it.
        room = width + 1
        kept = self._fit(ordered, room)
        if any(item[0] < min(OPTIONAL.values()) for item in ordered if item not in kept):
            # A screen key would go: shorter words first (n New, a Files...), then drop.
            kept = self._fit([(r, i, short_binding(b), e, t) for r, i, b, e, t in ordered], room)
        return [(binding, enabled, tooltip) for _, _, binding, enabled, tooltip in kept]

    def _fit(self, ordered: list[Item], room: int) -> list[Item]:
        """`ordered` less its least important keys until it fits `room` cells: optional app
        keys, then the screen's last keys; help, quit and search always stay."""
        kept = list(ordered)
        widths = {
            id(item[2]): item_width(self.app.get_key_display(item[2]), item[2].description)
            for item in kept
        }
        total = sum(widths.values())
        for item in sorted(kept, key=lambda i: (-i[0], -i[1])):
            if total <= room or item[0] < SCREEN_RANK:
                break
            kept.remove(item)
            total -= widths[id(item[2])]
        return kept

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        for binding, enabled, tooltip in self.shown_keys(width):
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready:
            self.call_after_refresh(self.recompose)
