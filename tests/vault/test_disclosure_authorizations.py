"""Authorizations (164.508): the elements, the psychotherapy-notes kind, and refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.support.disclosures import PASSPHRASE, Practice, build
from vault import DisclosureRefusedError, UsageError, Vault
from vault.disclosures import Authorization, DocumentKind, ReleaseSpec, RequestType


@pytest.fixture
def practice(vault: Vault) -> Practice:
    return build(vault)


def _auth(vault: Vault, client: int, **extra: object) -> Authorization:
    fields: dict[str, object] = dict(
        kind="general",
        description="progress notes and treatment plans, 2026",
        discloser="Dr. Able, LPC",
        recipient_name="Dr. Birch",
        purpose="continuity of care",
        signed_on="2026-01-01",
        expires_on="2027-01-01",
        recipient_address="1 Elm St, Springfield",
    )
    fields.update(extra)
    return vault.disclosures.authorizations.add(client, **fields)  # type: ignore[arg-type]


def _spec(client: int, **extra: object) -> ReleaseSpec:
    fields: dict[str, object] = dict(
        client_id=client,
        request_type=RequestType.CLIENT_AUTHORIZATION,
        recipient_name="Dr. Birch",
        purpose="continuity of care",
    )
    fields.update(extra)
    return ReleaseSpec(**fields)  # type: ignore[arg-type]


def _count(vault: Vault) -> int:
    return int(vault.db.scalar("SELECT count(*) FROM disclosures"))


def test_authorization_records_every_element(vault: Vault, practice: Practice) -> None:
    """What, who discloses, recipient, purpose, expiry, signed date are stored and listed."""
    auth = _auth(vault, practice.client, document_kinds=["progress-note", "treatment plan"])
    listed = vault.disclosures.authorizations.list(practice.client)
    assert listed == [auth]
    assert auth.document_kinds == (DocumentKind.PROGRESS_NOTE, DocumentKind.TREATMENT_PLAN)
    assert (auth.discloser, auth.recipient_name, auth.purpose) == (
        "Dr. Able, LPC",
        "Dr. Birch",
        "continuity of care",
    )
    assert auth.status(date(2026, 6, 1)) == "valid"
    assert auth.status(date(2027, 1, 2)) == "expired"


def test_authorization_needs_an_expiry(vault: Vault, practice: Practice) -> None:
    """No expiry date and no expiry event is refused, naming the rule."""
    with pytest.raises(UsageError, match="expiry date or an expiry event"):
        _auth(vault, practice.client, expires_on=None)
    event = _auth(vault, practice.client, expires_on=None, expiry_event="end of treatment")
    assert event.expiry == "end of treatment"


def test_psychotherapy_notes_authorization_cannot_be_combined(
    vault: Vault, practice: Practice
) -> None:
    """A psychotherapy-notes authorization covering other records is refused (164.508(b)(3))."""
    with pytest.raises(UsageError, match="cannot be combined"):
        _auth(vault, practice.client, kind="psychotherapy-notes", document_kinds=["progress-note"])
    with pytest.raises(UsageError, match="own psychotherapy-notes authorization"):
        _auth(vault, practice.client, document_kinds=["psychotherapy notes"])


def test_release_under_valid_authorization(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """A valid authorization releases, is named in the document and is not accountable."""
    auth = _auth(vault, practice.client)
    plan = vault.disclosures.prepare(
        _spec(practice.client, authorization_id=auth.id), today=date(2026, 6, 1)
    )
    assert f"client authorization {auth.record_id}" in plan.preview
    record = vault.disclosures.write(plan, tmp_path / "r.txt")
    assert record.authorization_id == auth.id and record.accountable is False


@pytest.mark.parametrize(
    "problem,expected",
    [
        ("expired", "expired on 2027-01-01"),
        ("revoked", "was revoked on 2026-03-01"),
    ],
)
def test_expired_or_revoked_authorization_is_refused(
    vault: Vault, practice: Practice, tmp_path: Path, problem: str, expected: str
) -> None:
    """An expired or revoked authorization refuses the release, says why, records nothing."""
    auth = _auth(vault, practice.client)
    today = date(2027, 2, 1) if problem == "expired" else date(2026, 6, 1)
    if problem == "revoked":
        vault.disclosures.authorizations.revoke(auth.id, "2026-03-01")
    with pytest.raises(DisclosureRefusedError, match=expected):
        vault.disclosures.prepare(_spec(practice.client, authorization_id=auth.id), today=today)
    assert _count(vault) == 0
    assert list(tmp_path.iterdir()) == [tmp_path / "vault"]


def test_general_authorization_for_psychotherapy_notes_is_refused(
    vault: Vault, practice: Practice
) -> None:
    """Naming a general authorization for psychotherapy notes is refused with the reason."""
    auth = _auth(vault, practice.client)
    with pytest.raises(
        DisclosureRefusedError, match="general authorization; psychotherapy notes need their own"
    ):
        vault.disclosures.prepare(
            _spec(practice.client, authorization_id=auth.id, pnotes_authorization_id=auth.id),
            passphrase=PASSPHRASE,
            today=date(2026, 6, 1),
        )


def test_pnotes_authorization_cannot_release_general_record(
    vault: Vault, practice: Practice
) -> None:
    """A psychotherapy-notes authorization named as the general one is refused."""
    pauth = _auth(vault, practice.client, kind="psychotherapy-notes")
    with pytest.raises(DisclosureRefusedError, match="covers psychotherapy notes only"):
        vault.disclosures.prepare(
            _spec(practice.client, authorization_id=pauth.id), today=date(2026, 6, 1)
        )


def test_expired_pnotes_authorization_is_refused(vault: Vault, practice: Practice) -> None:
    """An expired psychotherapy-notes authorization releases no psychotherapy note."""
    auth = _auth(vault, practice.client)
    pauth = _auth(vault, practice.client, kind="psychotherapy-notes", expires_on="2026-02-01")
    with pytest.raises(DisclosureRefusedError, match="expired on 2026-02-01"):
        vault.disclosures.prepare(
            _spec(practice.client, authorization_id=auth.id, pnotes_authorization_id=pauth.id),
            passphrase=PASSPHRASE,
            today=date(2026, 6, 1),
        )


def test_authorization_limits_recipient_kinds_and_client(vault: Vault, practice: Practice) -> None:
    """Another recipient, an uncovered document kind or another client's form is refused."""
    auth = _auth(vault, practice.client, document_kinds=["progress-note"])
    today = date(2026, 6, 1)
    with pytest.raises(DisclosureRefusedError, match="not to 'Dr. Cedar'"):
        vault.disclosures.prepare(
            _spec(practice.client, authorization_id=auth.id, recipient_name="Dr. Cedar"),
            today=today,
        )
    with pytest.raises(DisclosureRefusedError, match="does not cover treatment plans"):
        vault.disclosures.prepare(_spec(practice.client, authorization_id=auth.id), today=today)
    with pytest.raises(DisclosureRefusedError, match="another client"):
        vault.disclosures.prepare(_spec(practice.other, authorization_id=auth.id), today=today)
    ok = vault.disclosures.prepare(
        _spec(
            practice.client,
            authorization_id=auth.id,
            recipient_name="  dr.  BIRCH ",
            document_kinds=(DocumentKind.PROGRESS_NOTE,),
        ),
        today=today,
    )
    assert f"N-{practice.plan_note:06d}" not in ok.preview


def test_release_without_naming_an_authorization_is_refused(
    vault: Vault, practice: Practice
) -> None:
    """The client-authorization type must name the authorization."""
    with pytest.raises(DisclosureRefusedError, match="must name the authorization"):
        vault.disclosures.prepare(_spec(practice.client))


def test_revoking_twice_and_before_signing_are_refused(vault: Vault, practice: Practice) -> None:
    """A revocation is recorded once, dated between the signature and today."""
    auth = _auth(vault, practice.client)
    with pytest.raises(UsageError, match="before the signed date"):
        vault.disclosures.authorizations.revoke(auth.id, "2025-12-01")
    with pytest.raises(UsageError, match="in the future"):
        vault.disclosures.authorizations.revoke(auth.id, "2999-01-01")
    vault.disclosures.authorizations.revoke(auth.id, "2026-02-01")
    with pytest.raises(UsageError, match="already revoked"):
        vault.disclosures.authorizations.revoke(auth.id, "2026-03-01")
