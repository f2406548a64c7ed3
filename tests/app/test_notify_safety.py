"""Notifications never interpret markup: their text can come from a drive label or an error."""

from __future__ import annotations

from pathlib import Path

from tests.support.tui import app_for, make_empty, settle


async def test_notification_markup_is_shown_literally(tmp_path: Path) -> None:
    """`[@click=app.quit]` in a message stays text: no action link, the app keeps running."""
    app = app_for(make_empty(tmp_path / "vault"))
    async with app.run_test() as pilot:
        hostile = "Drive /media/[@click=app.quit]EVIL[/] failed [bold]x[/bold]"
        app.notify(hostile, title="Backup", severity="error")
        app.screen.notify(hostile)
        await settle(pilot)
        notes = list(app._notifications)
        assert len(notes) == 2
        assert all(n.markup is False and n.message == hostile for n in notes)
        assert app.is_running
