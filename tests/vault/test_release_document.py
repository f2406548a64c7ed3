"""The release document names the practice and the clinician, has a signature line, gives times
in the clinician's zone, and warns when the purpose is not the authorization's (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.disclosures import PASSPHRASE, build, pdf_text
from vault import TEST_PRESET, UsageError, Vault
from vault.disclosures import ReleaseSpec, RequestType

HOSTILE_NAME = "Dr. [b]Able[/b] [@click=app.quit]x[/] *Able* <i>"


@pytest.fixture
def practice_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Vault:
    monkeypatch.setenv("TZ", "Europe/Berlin")  # a fixed zone, never the machine's
    vault, _ = Vault.create(tmp_path / "vault", PASSPHRASE, TEST_PRESET)
    return vault


def _auth(vault: Vault, client: int, purpose: str = "continuity of care") -> int:
    return vault.disclosures.authorizations.add(
        client,
        kind="general",
        description="all records",
        discloser="Dr. Able",
        recipient_name="Dr. Birch",
        purpose=purpose,
        signed_on="2026-01-01",
        expires_on="2099-01-01",
    ).id


def _spec(client: int, auth: int, purpose: str = "continuity of care") -> ReleaseSpec:
    return ReleaseSpec(
        client_id=client,
        request_type=RequestType.CLIENT_AUTHORIZATION,
        recipient_name="Dr. Birch",
        purpose=purpose,
        authorization_id=auth,
    )


def test_practice_details_and_signature_reach_the_pdf(
    practice_vault: Vault, tmp_path: Path
) -> None:
    vault = practice_vault
    p = build(vault)
    vault.disclosures.set_practice(
        name="Quiet Harbor Counseling",
        clinician="Jane Able",
        credentials="PsyD, licensed psychologist",
        address="12 Example Lane, Testville",
        phone="555-0100",
    )
    plan = vault.disclosures.prepare(_spec(p.client, _auth(vault, p.client)))
    vault.disclosures.write(plan, tmp_path / "r.pdf")
    text = pdf_text(tmp_path / "r.pdf")
    assert "Quiet Harbor Counseling" in text and "555-0100" in text
    assert "Released by: Jane Able, PsyD, licensed psychologist" in text
    assert "Signature: ____" in text and "Practice name not set" not in text
    import pypdf

    assert pypdf.PdfReader(tmp_path / "r.pdf").metadata.author == "Quiet Harbor Counseling"
    assert "Released by: Jane Able" in plan.preview


def test_signed_times_are_local_with_zone(practice_vault: Vault) -> None:
    vault = practice_vault
    p = build(vault)
    plan = vault.disclosures.prepare(_spec(p.client, _auth(vault, p.client)))
    note = vault.notes.get_unaudited(p.flagged_note)
    assert note.signed_at is not None and note.signed_at.endswith("+00:00")
    from vault.timefmt import local_time

    shown = local_time(note.signed_at)
    assert shown.endswith((" CET", " CEST"))
    assert f"Signed: {shown}" in plan.preview
    assert note.signed_at not in plan.preview  # the raw UTC string is gone


def test_purpose_unlike_the_authorization_is_warned(practice_vault: Vault) -> None:
    vault = practice_vault
    p = build(vault)
    auth = _auth(vault, p.client)
    same = vault.disclosures.prepare(_spec(p.client, auth, "Continuity of care."))
    assert same.warnings == ()
    other = vault.disclosures.prepare(_spec(p.client, auth, "life insurance application"))
    assert len(other.warnings) == 1
    assert "life insurance application" in other.warnings[0]
    assert "continuity of care" in other.warnings[0] and "A-" in other.warnings[0]


def test_practice_fields_refuse_bad_text_and_keep_hostile_text_literal(
    practice_vault: Vault,
) -> None:
    vault = practice_vault
    before = vault.disclosures.practice()
    with pytest.raises(UsageError):
        vault.disclosures.set_practice(name="Harbor", clinician="Jane\nAble")
    with pytest.raises(UsageError, match="RIGHT-TO-LEFT OVERRIDE"):
        vault.disclosures.set_practice(clinician="Jane \u202eAble")
    assert vault.disclosures.practice() == before  # nothing changed, not even the name
    saved = vault.disclosures.set_practice(clinician=HOSTILE_NAME)
    assert saved.clinician == HOSTILE_NAME
    p = build(vault)
    plan = vault.disclosures.prepare(_spec(p.client, _auth(vault, p.client)))
    assert f"Released by: {HOSTILE_NAME}" in plan.preview  # literal, never interpreted
    cleared = vault.disclosures.set_practice(clinician="")
    assert cleared.clinician is None
