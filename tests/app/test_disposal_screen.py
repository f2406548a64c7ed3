"""The TUI disposal screen with Pilot: queue, typed-name confirmation, certificate, refusals."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Static

from tests.support.disposal import killed_disposal, make_practice
from tests.support.tui import PASSPHRASE, app_for, settle, unlock
from tui.app.screens.disposal import DisposalConfirmModal, DisposalScreen
from vault import TEST_PRESET, Vault


def _vault(folder: Path) -> Path:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    with vault:
        make_practice(vault)
    return folder


async def _open(pilot: object) -> DisposalScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await unlock(pilot)
    pilot.app.action_disposal()  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DisposalScreen)
    return screen


async def test_dispose_from_the_queue_shows_the_certificate(tmp_path: Path) -> None:
    """Select a due client, type its name and the passphrase: disposed, certificate shown."""
    folder = _vault(tmp_path / "vault")
    seen: list[Message] = []
    app = app_for(folder)
    async with app.run_test(message_hook=seen.append) as pilot:
        screen = await _open(pilot)
        table = screen.query_one("#disposal-due", DataTable)
        assert table.row_count == 2
        await pilot.press("space", "d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, DisposalConfirmModal) and modal.record_ids == ["C-00001"]
        modal.query_one("#confirm-0", Input).value = "Quillon Zabriskie"
        modal.query_one("#dispose-passphrase", Input).value = PASSPHRASE
        await pilot.click("#dispose-yes")
        await settle(pilot)
        assert app.screen is screen
        verified = [m for m in seen if isinstance(m, DisposalScreen.DisposalVerified)]
        assert len(verified) == 1 and verified[0].ok
        report = str(screen.query_one("#disposal-report", Static).content)
        assert "CERTIFICATE OF DISPOSAL D-00001" in report and "Quillon" not in report
        assert table.row_count == 1
        assert app.vault is not None and not app.vault.clients.exists(1)


async def test_wrong_name_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    """A name that does not match: the refusal is shown and the client stays."""
    folder = _vault(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test() as pilot:
        screen = await _open(pilot)
        await pilot.press("space", "d")
        await settle(pilot)
        app.screen.query_one("#confirm-0", Input).value = "Someone Else"
        app.screen.query_one("#dispose-passphrase", Input).value = PASSPHRASE
        await pilot.click("#dispose-yes")
        await settle(pilot)
        status = str(screen.query_one("#disposal-status", Static).content)
        assert "must name exactly" in status
        assert app.vault is not None and app.vault.clients.exists(1)
        assert screen.query_one("#disposal-due", DataTable).row_count == 2


async def test_privacy_mode_shows_initials_and_verify_runs(tmp_path: Path) -> None:
    """Privacy mode hides names in the queue; verify reports its checks."""
    folder = _vault(tmp_path / "vault")
    app = app_for(folder)
    async with app.run_test() as pilot:
        screen = await _open(pilot)
        await pilot.press("f2")
        await settle(pilot)
        table = screen.query_one("#disposal-due", DataTable)
        names = {str(table.get_cell_at((r, 2))) for r in range(table.row_count)}
        assert names == {"Q.Z.", "C.S."}
        await pilot.press("v")
        await settle(pilot)
        app.screen.query_one("#reauth", Input).value = PASSPHRASE
        await pilot.press("enter")
        await settle(pilot)
        report = str(screen.query_one("#disposal-report", Static).content)
        assert report.startswith("Disposal verification: PASS") and "identifiers" in report


async def test_dispose_finishes_an_interrupted_disposal_first(tmp_path: Path) -> None:
    """As the status line says, disposing finishes an interrupted disposal first (and says so);
    the new disposal then gets its own certificate."""
    folder = _vault(tmp_path / "vault")
    killed_disposal(folder, "after-delete")
    app = app_for(folder)
    async with app.run_test() as pilot:
        screen = await _open(pilot)
        status = str(screen.query_one("#disposal-status", Static).content)
        assert "1 interrupted disposal(s)" in status
        table = screen.query_one("#disposal-due", DataTable)
        assert table.row_count == 1  # client 1's records are already gone
        await pilot.press("space", "d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, DisposalConfirmModal) and modal.record_ids == ["C-00002"]
        modal.query_one("#confirm-0", Input).value = "Client Seven"
        modal.query_one("#dispose-passphrase", Input).value = PASSPHRASE
        await pilot.click("#dispose-yes")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        report = str(screen.query_one("#disposal-report", Static).content)
        status = str(screen.query_one("#disposal-status", Static).content)
        assert app.vault is not None
        assert app.vault.disposal.unfinished() == [], status
        assert not app.vault.clients.exists(2), status
    assert "Finished the interrupted disposal D-00001: PASS." in messages, messages
    assert "CERTIFICATE OF DISPOSAL D-00002" in report


async def test_saved_release_is_offered_for_overwriting(tmp_path: Path) -> None:
    """Issue 10 item 6 in the app: a release saved to a file is offered for overwriting (a
    checkbox in the confirmation); ticked, the file is overwritten and removed."""
    folder = tmp_path / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    saved = tmp_path / "release.txt"
    with vault:
        ids = make_practice(vault)
        plan = vault.disclosures.prepare(vault.disclosures.access_spec(ids["gone"]))
        vault.disclosures.write(plan, saved)
    app = app_for(folder)
    async with app.run_test() as pilot:
        screen = await _open(pilot)
        await pilot.press("space", "d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, DisposalConfirmModal) and modal.saved == 1
        modal.query_one("#dispose-overwrite", Checkbox).value = True
        modal.query_one("#confirm-0", Input).value = "Quillon Zabriskie"
        modal.query_one("#dispose-passphrase", Input).value = PASSPHRASE
        await pilot.click("#dispose-yes")
        await settle(pilot)
        assert app.screen is screen
        report = str(screen.query_one("#disposal-report", Static).content)
        assert "COPIES OUTSIDE THE VAULT" in report and "overwritten" in report
    assert not saved.exists()
