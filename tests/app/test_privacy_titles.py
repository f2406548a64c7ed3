"""Privacy-mode polish found in hands-on QA: F2 on every screen hides the client's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tui import app_for, make_practice, settle, unlock
from tui.app.widgets.row_list import RowList


@pytest.mark.parametrize("action", ["action_release", "action_authorizations"])
async def test_f2_on_release_and_authorizations_hides_the_name(tmp_path: Path, action: str) -> None:
    """Toggling privacy on the open screen replaces the name in its title; off brings it back."""
    folder = make_practice(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        table = app.screen.query_one("#clients", RowList)
        name = table.cells(0)[0]
        getattr(app, action)()
        await settle(pilot)
        screen = app.screen
        assert name in str(screen.title)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is screen
        assert name not in str(screen.title)
        assert name.split()[-1] not in app.export_screenshot()
        await pilot.press("f2")
        await settle(pilot)
        assert name in str(screen.title)
