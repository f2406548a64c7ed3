"""The `confide` command line. It never imports Textual."""

from .main import main

__all__ = ["main"]
