"""The client list drawn as one line per client (issue 14: it replaced a DataTable that made a
filter keystroke cost 2.5-3.3x a bare Input): what a user does with it still works."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from textual.widgets import DataTable, Input

from tests.support.tui import PASSPHRASE, app_for, settle, unlock
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.row_list import RowList
from vault import TEST_PRESET, SessionInfo, Vault

NAMES = [
    "Alder Sampleton",
    "患者 田中 [u]",  # two cells a character
    "مريم أحمد",
    "Bartholomew Maximilian Featherstonehaugh-Worthington III",  # wider than its column
    "[red]Evil[/red] Name",
    *(f"Filler Client {n}" for n in range(30)),
]


def _practice(folder: Path) -> dict[str, int]:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        return {name: vault.clients.add(name).id for name in NAMES}
    finally:
        vault.lock()


def _lines(rows: RowList) -> list[str]:
    """What the list draws, header first, as text."""
    return [rows.render_line(y).text for y in range(rows.size.height)]


async def test_columns_stay_aligned_for_wide_and_long_names(tmp_path: Path) -> None:
    _practice(tmp_path / "v")
    app = app_for(tmp_path / "v")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        rows = app.screen.query_one("#clients", RowList)
        shown: dict[str, str] = {}
        for name in ("患者", "مريم", "Bartholomew", "Evil"):
            app.screen.query_one("#filter").value = name  # type: ignore[attr-defined]
            await settle(pilot)
            header, line = _lines(rows)[:2]
            # The ID column starts at the same cell for every name, as under the header.
            id_at = cell_len(line[: line.index("C-0")])
            assert id_at == header.index("ID"), (name, line)
            assert cell_len(line) <= 80
            shown[name] = line
        assert " Bartholomew Maximilian Feathers…  C-0" in shown["Bartholomew"]  # cut to 32
        assert " [red]Evil[/red] Name " in shown["Evil"]  # markup shown as typed
        assert " 患者 田中 [u] " in shown["患者"]


async def test_keys_and_a_click_open_the_client_under_the_cursor(tmp_path: Path) -> None:
    ids = _practice(tmp_path / "v")
    app = app_for(tmp_path / "v")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        home = app.screen
        assert isinstance(home, ClientListScreen)
        rows = home.query_one("#clients", RowList)
        assert rows.row_count == len(NAMES)
        await pilot.press("down")  # from the filter into the list
        assert rows.has_focus and rows.cursor == 0
        await pilot.press("end")
        assert rows.cursor == len(NAMES) - 1
        # The last row is drawn (scrolled into view) and marked as the cursor's.
        assert rows.cells(rows.cursor)[0] in "\n".join(_lines(rows))
        await pilot.press("home", "down", "down", "pagedown", "pageup")
        assert rows.cursor == 2
        wanted = rows.cells(2)[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        assert wanted in str(app.screen.title)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home and rows.cursor == 2  # back on the same client
        # A click on a row opens that client: at the top of the list, y=2 is the second row
        # (y=0 is the header).
        await pilot.press("home")
        assert rows.scroll_offset.y == 0
        second = rows.cells(1)[0]
        await pilot.click(RowList, offset=(3, 2))
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        assert app.screen.client_id == ids[second]


async def test_a_group_note_without_flags_reads_group_in_its_flags_cell(tmp_path: Path) -> None:
    """`group (2)` alone in the Flags column, without the space it had when it followed a flag
    (" group (2)" stood one cell out of the column)."""
    folder = tmp_path / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    with vault:
        first = vault.clients.add("Fern Testwell").id
        other = vault.clients.add("Moss Testwell").id
        vault.notes.create(
            first, body="Joint session.", session=SessionInfo("2026-01-05"), participants=[other]
        )
    app = app_for(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        app.screen.query_one("#filter", Input).value = "Fern"
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#timeline", DataTable)
        assert str(table.get_row_at(0)[4]) == "group (2)"
