"""The `confide` entry point: the command line, which hands over to the app when asked to open it.

The command line never imports Textual; it receives a way to open the app from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .cli.main import main as cli_main


def open_app(folder: Path, demo_passphrase: str | None = None) -> None:
    from .app.app import ConfideApp  # Textual loads only when the app opens

    ConfideApp(folder=folder, demo_passphrase=demo_passphrase, watch_drives=True).run()


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, open_app=open_app)
