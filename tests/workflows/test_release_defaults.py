"""Release defaults, for both faces: with an authorization and no kind chosen, the document
kinds are what the authorization covers, in the app as on the command line."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, SelectionList

from tests.support.cli import Cli
from tests.support.disclosures import PASSPHRASE, PLAN_MARKER, VISIBLE, Practice, build
from tests.support.tui import app_for, settle, unlock
from tui.app.screens.release import ReleaseScreen
from tui.workflows.disclosures import default_document_kinds
from vault import TEST_PRESET, Vault
from vault.disclosures import ALL_KINDS, DocumentKind

PROGRESS_ONLY = (DocumentKind.PROGRESS_NOTE,)


def _practice(folder: Path) -> tuple[Practice, int]:
    """The disclosure practice, with a signed authorization for progress notes only."""
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        practice = build(vault)
        auth = vault.disclosures.authorizations.add(
            practice.client,
            kind="general",
            description="progress notes",
            discloser="Dr. Able",
            recipient_name="Dr. Birch",
            purpose="continuity of care",
            signed_on="2026-01-01",
            expires_on="2099-01-01",
            document_kinds=PROGRESS_ONLY,
        )
        assert default_document_kinds(vault, auth.id) == PROGRESS_ONLY
        assert default_document_kinds(vault, None) == ALL_KINDS
    finally:
        vault.lock()
    return practice, auth.id


def _selected(screen: ReleaseScreen) -> set[str]:
    return {str(v) for v in screen.query_one("#release-kinds", SelectionList).selected}


async def test_app_preselects_what_the_cli_releases(vault_dir: Path, cli: Cli) -> None:
    practice, auth_id = _practice(vault_dir)
    released = cli(
        "release",
        str(practice.client),
        "--to",
        "Dr. Birch",
        "--for",
        "continuity of care",
        "--authorization",
        str(auth_id),
        "--preview",
        "--json",
    )
    assert released.code == 0, released.stderr
    by_cli = released.data["plan"]["note_ids"]  # type: ignore[index,call-overload]
    assert practice.plan_note not in by_cli and practice.flagged_note in by_cli

    app = app_for(vault_dir)
    async with app.run_test(size=(160, 50)) as pilot:
        await unlock(pilot)
        screen = ReleaseScreen(practice.client)
        await app.push_screen(screen)
        await settle(pilot)
        assert _selected(screen) == {k.value for k in PROGRESS_ONLY}  # valid one preselected
        screen.query_one("#release-recipient", Input).value = "Dr. Birch"
        screen.query_one("#release-purpose", Input).value = "continuity of care"
        screen.query_one("#release-auth", Select).value = auth_id
        await settle(pilot)
        assert _selected(screen) == {k.value for k in PROGRESS_ONLY}
        await pilot.press("f5")
        await settle(pilot)
        assert screen.plan is not None
        assert list(screen.plan.note_ids) == by_cli  # the same documents leave
        assert VISIBLE in screen.plan.preview and PLAN_MARKER not in screen.plan.preview

        # The practitioner widens the choice; reloading the authorizations keeps it.
        screen.query_one("#release-kinds", SelectionList).select(DocumentKind.TREATMENT_PLAN)
        screen.reload_authorizations()
        await settle(pilot)
        assert _selected(screen) == {
            DocumentKind.PROGRESS_NOTE.value,
            DocumentKind.TREATMENT_PLAN.value,
        }
        screen.query_one("#release-auth", Select).clear()  # no authorization: every kind
        await settle(pilot)
        assert _selected(screen) == {k.value for k in ALL_KINDS}
