"""The Textual app: screens and widgets. Only `tui.entry` opens it."""
