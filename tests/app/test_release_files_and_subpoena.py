"""The guided release in the app at 80x24 (issues 18 and 12): a Files step to tick the client's
scanned forms (names shown literally, hidden in privacy mode; a .txt refused once one is
ticked; the PDF carries it byte for byte), and a subpoena recorded and answered with no CLI.

Pilot on a real temp vault, keys where a user would press keys; no sleeps.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.widgets import Input, Select, SelectionList, Static

from tests.app.test_hostile_text import assert_safe, screen_lines
from tests.support.attachments import fake_pdf, fake_png, write
from tests.support.disclosures import PASSPHRASE, signed
from tests.support.tui import app_for, settle, settle_until, unlock
from tui.app.screens.modals import ConfirmModal
from tui.app.screens.release import ReleaseScreen
from vault import TEST_PRESET, Vault

HOSTILE = "[bold red]con\u202esent\x1b]8;;x\x07"
SHOWN = "[bold red]con\\u202esent\\x1b]8;;x\\x07.png"  # as the vault keeps it


def _practice(folder: Path, tmp: Path, *, forms: bool = True) -> tuple[int, bytes]:
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    scan = fake_pdf("zqappintakemarker")
    try:
        client = vault.clients.add("Quill Sampleton").id
        signed(vault, client, "soap", "Session went well.", "2026-03-01")
        if forms:
            vault.attachments.add(write(tmp / "intake.pdf", scan), client, "intake")
            vault.attachments.add(write(tmp / f"{HOSTILE}.png", fake_png()), client, "consent")
        vault.disclosures.authorizations.add(
            client,
            kind="general",
            description="all records",
            discloser="Dr. Able",
            recipient_name="Dr. Birch",
            purpose="continuity of care",
            signed_on="2026-01-01",
            expires_on="2099-01-01",
        )
    finally:
        vault.lock()
    return client, scan


def _status(screen: ReleaseScreen) -> str:
    return str(screen.query_one("#release-status", Static).render())


async def test_tick_a_form_and_release_it_at_80x24(tmp_path: Path) -> None:
    client, scan = _practice(tmp_path / "vault", tmp_path)
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        for _ in range(3):  # who (from the authorization) -> basis -> what -> files
            await pilot.press("pagedown")
            await settle(pilot)
        assert screen.step == "step-files"
        lines = "\n".join(screen_lines(app))
        assert "Step 4 of 6" in lines and "Files" in lines
        assert "F-00001  intake" in lines and "intake.pdf" in lines
        # The hostile name drawn as text (cut at 80 columns): no link, no escape, no markup.
        assert_safe(app, SHOWN[:32])
        files = screen.query_one("#release-files", SelectionList)
        assert app.focused is files and files.selected == []  # nothing goes unless ticked
        await pilot.press("f2")  # privacy mode: names hidden, identifiers kept
        await settle(pilot)
        hidden = "\n".join(screen_lines(app))
        assert "intake.pdf" not in hidden and "[bold red]" not in hidden
        assert "name hidden" in hidden and "F-00002" in hidden
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("space")  # tick F-00001
        await settle(pilot)
        assert files.selected == [1]
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-format"
        screen.query_one("#release-out", Input).value = str(tmp_path / "birch.txt")
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-format" and screen.plan is None
        assert "travel inside a PDF" in _status(screen)
        out = tmp_path / "birch.pdf"
        screen.query_one("#release-out", Input).value = str(out)
        screen.query_one("#release-protect").value = False  # type: ignore[attr-defined]
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-preview" and screen.plan is not None
        assert [a.id for a in screen.plan.attachments] == [1]
        assert "1 scanned form" in _status(screen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one(".modal-question", Static).render())
        assert "1 scanned form" in question
        await pilot.press("y")
        await settle_until(pilot, lambda: "Wrote R-000001" in _status(screen))
        assert "Wrote R-000001" in _status(screen)
    folder = tmp_path / "files"
    folder.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(folder), str(out)], check=True)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"F-00001.pdf": scan}
    vault = Vault.unlock(tmp_path / "vault", PASSPHRASE)
    try:
        assert vault.disclosures.get(1).attachment_ids == (1,)
    finally:
        vault.lock()


async def test_no_files_step_without_forms(tmp_path: Path) -> None:
    client, _ = _practice(tmp_path / "vault", tmp_path, forms=False)
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        assert "Step 1 of 5" in "\n".join(screen_lines(app))
        for _ in range(3):
            await pilot.press("pagedown")
            await settle(pilot)
        assert screen.step == "step-format"


async def test_a_subpoena_is_recorded_and_answered_in_the_app(tmp_path: Path) -> None:
    """A new user, no CLI: the subpoena is recorded from the Basis step (a legal hold is
    placed), refused until a court order is on it, then released in answer to it."""
    client, _ = _practice(tmp_path / "vault", tmp_path, forms=False)
    app = app_for(tmp_path / "vault")
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(client)
        await app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#release-type", Select).value = "subpoena"
        await settle(pilot)
        screen.query_one("#release-recipient", Input).value = "Harbor Law LLP"
        screen.query_one("#release-purpose", Input).value = "Case 7 discovery"
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.step == "step-basis"
        lines = "\n".join(screen_lines(app))
        assert "Recorded subpoena" in lines and "Record" in lines
        await pilot.press("pagedown")  # nothing recorded yet: refused, with the way on
        await settle(pilot)
        assert screen.step == "step-basis" and "Record the subpoena first" in _status(screen)
        assert app.focused is not None and app.focused.id == "release-record-request"
        # The authorization offered for a release under it is not offered for a subpoena.
        assert not isinstance(screen.query_one("#release-auth", Select).value, int)
        # An authorization for someone else is not filed on the subpoena.
        screen.query_one("#release-auth", Select).value = 1
        await settle(pilot)
        screen.query_one("#release-record-request").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and "not to Harbor Law LLP" in _status(screen)
        screen.query_one("#release-auth", Select).clear()
        screen.query_one("#release-record-request").focus()
        screen.query_one("#release-subpoena-ref", Input).value = "Case 7"
        screen.query_one("#release-subpoena-received", Input).value = "2026-02-01"
        await pilot.press("enter")  # the Record button has focus
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one(".modal-question", Static).render())
        assert "legal hold" in question and "Harbor Law LLP" in question
        assert "Case 7" in question and "authorization" not in question
        await pilot.press("y")
        await settle(pilot)
        assert "Q-00001 recorded" in _status(screen)
        assert screen.query_one("#release-request", Select).value == 1
        await pilot.press("pagedown")  # a subpoena alone releases nothing
        await settle(pilot)
        assert screen.step == "step-basis" and "neither" in _status(screen)
        screen.query_one("#release-court-order", Input).value = "Superior Court, case 7, 2026-02-03"
        await settle(pilot)
        screen.query_one("#release-record-request").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Q-00001 updated" in _status(screen) and "can be answered" in _status(screen)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert screen.step == "step-format"
        out = tmp_path / "harbor.pdf"
        screen.query_one("#release-out", Input).value = str(out)
        screen.query_one("#release-protect").value = False  # type: ignore[attr-defined]
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.plan is not None
        assert "subpoena Q-00001 with court order" in screen.plan.preview
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("y")
        await settle_until(pilot, lambda: "Wrote R-000001" in _status(screen))
        assert out.exists()
    vault = Vault.unlock(tmp_path / "vault", PASSPHRASE)
    try:
        request = vault.disclosures.requests.get(1)
        assert request.status == "fulfilled" and request.hold_id is not None
        assert vault.disclosures.get(1).request_id == 1
    finally:
        vault.lock()
