"""SVG snapshots of the main screens on the fixed synthetic practice (looked at by a human)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.support.tui import PASSPHRASE, app_for, make_practice, settle, unlock
from tui.app.app import ConfideApp
from tui.app.screens.editor import NoteEditorScreen

Snap = Callable[..., bool]


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text cursor never blinks in a snapshot: whether it was drawn depended on when the
    half-second blink timer last fired, so a loaded machine produced a different picture."""
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    # A toast lives 5 seconds of real time: on a loaded machine it was gone or still there
    # when the picture was taken. In a snapshot every toast stays until the end.
    monkeypatch.setattr(ConfideApp, "NOTIFICATION_TIMEOUT", 3600.0)
    original = ConfideApp.notify

    def lasting(self: ConfideApp, message: str, **kwargs: Any) -> None:
        kwargs["timeout"] = 3600.0
        original(self, message, **kwargs)

    monkeypatch.setattr(ConfideApp, "notify", lasting)


@pytest.fixture
def practice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The practice under a relative path, so the lock screen shows the same folder each run."""
    monkeypatch.chdir(tmp_path)
    make_practice(Path("vault"))
    return Path("vault")


async def to_client(pilot: Pilot[Any], name: str) -> None:
    await unlock(pilot)
    pilot.app.screen.query_one("#filter", Input).value = name
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


async def to_flagged_draft(pilot: Pilot[Any]) -> None:
    await to_client(pilot, "Hazel")
    await pilot.press("enter")  # the newest note is the draft, with a flagged passage
    await settle(pilot)
    assert isinstance(pilot.app.screen, NoteEditorScreen)


def test_snapshot_lock_screen(practice: Path, snap_compare: Snap) -> None:
    """Lock screen with the demo hint."""
    assert snap_compare(app_for(practice, demo_passphrase="demo passphrase"))


def test_snapshot_client_list(practice: Path, snap_compare: Snap) -> None:
    """Client list after unlock, most recent service first."""
    assert snap_compare(app_for(practice), run_before=unlock)


def test_snapshot_client_list_light(practice: Path, snap_compare: Snap) -> None:
    """Client list in the light theme."""
    assert snap_compare(app_for(practice, theme="textual-light"), run_before=unlock)


def test_snapshot_timeline(practice: Path, snap_compare: Snap) -> None:
    """A client's timeline with draft and signed notes."""

    async def before(pilot: Pilot[Any]) -> None:
        await to_client(pilot, "Hazel")

    assert snap_compare(app_for(practice), run_before=before)


def test_snapshot_editor_with_flag(practice: Path, snap_compare: Snap) -> None:
    """The editor on a draft with a highlighted flagged passage, at 80x24."""
    assert snap_compare(app_for(practice), run_before=to_flagged_draft)


def test_snapshot_editor_privacy(practice: Path, snap_compare: Snap) -> None:
    """The same draft in privacy mode: initials and withheld markers."""

    async def before(pilot: Pilot[Any]) -> None:
        await to_flagged_draft(pilot)
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(app_for(practice), run_before=before)


def test_snapshot_search(practice: Path, snap_compare: Snap) -> None:
    """Search results with highlighted snippets."""

    async def before(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("ctrl+f")
        pilot.app.screen.query_one("#query", Input).value = "cannabis"
        await settle(pilot)

    assert snap_compare(app_for(practice), run_before=before, terminal_size=(100, 30))


def test_snapshot_pnotes(practice: Path, snap_compare: Snap) -> None:
    """The psychotherapy-notes area, visibly different."""

    async def before(pilot: Pilot[Any]) -> None:
        await to_client(pilot, "Alder")
        await pilot.press("p")
        await pilot.pause()
        pilot.app.screen.query_one("#reauth", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app_for(practice), run_before=before)


async def to_release(pilot: Pilot[Any]) -> None:
    """Hazel's release, opened from her timeline, recipient and purpose typed."""
    from tui.app.screens.release import ReleaseScreen

    await to_client(pilot, "Hazel")
    pilot.app.action_release()
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReleaseScreen)
    await pilot.press("tab")
    await pilot.press(*"Dr. Birch")
    for _ in range(2):
        await pilot.press("tab")
    await pilot.press(*"second opinion")
    await settle(pilot)


def test_snapshot_release_first_step(practice: Path, snap_compare: Snap) -> None:
    """The release flow's first step at 80x24: labelled fields, the step line, Back/Next keys."""
    assert snap_compare(app_for(practice), run_before=to_release, terminal_size=(80, 24))


def test_snapshot_release_format_step(practice: Path, snap_compare: Snap) -> None:
    """The Format step at 80x24: PDF with a password offered by default, paper, the path."""

    async def before(pilot: Pilot[Any]) -> None:
        from textual.widgets import Select

        await to_release(pilot)
        pilot.app.screen.query_one("#release-type", Select).value = "client-access"
        await settle(pilot)
        for _ in range(3):
            await pilot.press("pagedown")
            await settle(pilot)

    assert snap_compare(app_for(practice), run_before=before, terminal_size=(80, 24))


def test_snapshot_authorizations(practice: Path, snap_compare: Snap) -> None:
    """The authorizations screen at 80x24: Status column in view, every form field labelled."""

    async def before(pilot: Pilot[Any]) -> None:
        await to_client(pilot, "Hazel")
        pilot.app.action_authorizations()
        await settle(pilot)

    assert snap_compare(app_for(practice), run_before=before, terminal_size=(80, 24))


def test_readme_screenshot_is_the_checked_main_screen() -> None:
    """The README's picture of the app is the client-list snapshot above, so it is the current
    main screen whenever test_snapshot_client_list passes (a stale copy elsewhere could not be)."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = "tests/app/__snapshots__/test_snapshots/test_snapshot_client_list.svg"
    assert f"]({shown})" in readme
    images = [line for line in readme.splitlines() if line.startswith("![")]
    assert images == [f"![The client list]({shown})"]
    assert (root / shown).is_file()
