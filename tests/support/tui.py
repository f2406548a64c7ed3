"""Shared helpers for the TUI tests: a fixed synthetic practice, a fake clock, unlocking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tui.app.app import ConfideApp
from tui.workflows.demo import populate
from vault import TEST_PRESET, Vault

PASSPHRASE = "correct horse battery"
TODAY = date(2026, 11, 20)


class FakeClock:
    """A monotonic clock the tests move by hand (no sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_practice(folder: Path) -> Path:
    """The fixed practice of the snapshot tests: 8 clients x 3 notes, locked again."""
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        populate(
            vault, clients=8, notes_per_client=3, seed=1, today=TODAY, pnotes_passphrase=PASSPHRASE
        )
    finally:
        vault.lock()
    return folder


def make_empty(folder: Path) -> Path:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    vault.lock()
    return folder


async def settle(pilot: Pilot[None]) -> None:
    """Wait for workers and the message queue; never a timed sleep."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def settle_until(pilot: Pilot[None], done: Callable[[], bool], rounds: int = 100) -> None:
    """Settle until `done()` holds: for keys sent straight to the driver, whose handling (and
    the worker it starts) may not have begun when one settle looks. Counts rounds, not time."""
    for _ in range(rounds):
        await settle(pilot)
        if done():
            return


async def unlock(pilot: Pilot[None], passphrase: str = PASSPHRASE) -> None:
    await pilot.pause()
    pilot.app.screen.query_one("#passphrase", Input).value = passphrase
    await pilot.press("enter")
    await settle(pilot)


def app_for(folder: Path, **kwargs: object) -> ConfideApp:
    return ConfideApp(folder=folder, kdf=TEST_PRESET, **kwargs)  # type: ignore[arg-type]


def static_text(widget: Static) -> str:
    """What a Static shows, as plain text."""
    return str(widget.render())


def table_column(table: DataTable[object], column: int) -> list[str]:
    """One column of a DataTable, top to bottom, as text."""
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def confirm_recovery_key(pilot: Pilot[None]) -> str:
    """On the recovery-key screen: 'written down', then the two asked groups back, by keys.

    Returns the key shown."""
    from tui.app.screens.lock import RecoveryKeyScreen, key_groups

    screen = pilot.app.screen
    assert isinstance(screen, RecoveryKeyScreen)
    key = static_text(screen.query_one("#recovery-key", Static))
    groups = key_groups(key)
    await pilot.press("enter")  # "I have written it down" has the focus
    first, second = screen.asked
    await pilot.press(*groups[first].lower(), "tab", *groups[second], "enter")
    await settle(pilot)
    return key


def burst(app: ConfideApp, keys: list[str]) -> None:
    """Keys as a terminal delivers a fast paste or typist: all queued before any is handled."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        name = {" ": "space"}.get(key, key)
        event = events.Key(name, "\t" if key == "tab" else key if len(key) == 1 else None)
        event.set_sender(app)
        driver.send_message(event)
