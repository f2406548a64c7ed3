"""Textual's Header, minus a crash when a screen closes right after it opened, and with the
title (a client's name) drawn as data."""

from __future__ import annotations

from textual.content import Content
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from .safe import visible


class SafeHeader(Header):
    """Textual 8.2.8's title watcher raises NoMatches if the header is already gone
    (open a client and press escape at once); the update is simply moot then."""

    def format_title(self) -> Content:
        # Textual builds the title as Content (never markup) but keeps control characters.
        return self.app.format_title(visible(self.screen_title), visible(self.screen_sub_title))

    def _on_mount(self, event: Mount) -> None:
        # Replaces Header._on_mount (and Widget's, which only handles overflow: scroll).
        event.prevent_default()

        async def set_title() -> None:
            try:
                self.query_one(HeaderTitle).update(self.format_title())
            except (NoScreen, NoMatches):
                return

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
