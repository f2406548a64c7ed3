"""Request types: subpoenas hold and wait, minimum necessary is item by item, access (164.524)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.support.disclosures import (
    ADDENDUM,
    AMEND_FLAGGED,
    CATEGORY_MARKERS,
    PASSPHRASE,
    PNOTE_MARKER,
    VISIBLE,
    WHOLE_NOTE,
    Practice,
    build,
)
from vault import DisclosureRefusedError, OmitCategory, UsageError, Vault
from vault.disclosures import ReleaseSpec, RequestType


@pytest.fixture
def practice(vault: Vault) -> Practice:
    return build(vault)


def _spec(client: int, kind: RequestType, **extra: object) -> ReleaseSpec:
    fields: dict[str, object] = dict(
        client_id=client, request_type=kind, recipient_name="Harbor Law LLP", purpose="litigation"
    )
    fields.update(extra)
    return ReleaseSpec(**fields)  # type: ignore[arg-type]


def test_subpoena_places_a_hold_and_releases_nothing(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """A subpoena opens a checklist and a legal hold; a release on it alone is refused."""
    request = vault.disclosures.requests.open_subpoena(
        practice.client, "Harbor Law LLP", "9 Dock Rd", "Case 26-CV-7", "2026-11-02"
    )
    assert vault.holds.is_held(practice.client)
    assert [h.id for h in vault.holds.active(practice.client)] == [request.hold_id]
    assert [item.done for item in request.checklist] == [False, False, False]
    assert "consult counsel" in request.checklist[2].text.lower()
    for spec in (
        _spec(practice.client, RequestType.SUBPOENA),
        _spec(practice.client, RequestType.SUBPOENA, request_id=request.id),
    ):
        with pytest.raises(DisclosureRefusedError, match="a subpoena alone releases nothing"):
            vault.disclosures.prepare(spec)
    assert int(vault.db.scalar("SELECT count(*) FROM disclosures")) == 0
    refused = [e for e in vault.audit.entries(500) if e.action == "export_refused"]
    assert len(refused) == 2


def test_subpoena_with_court_order_releases_and_is_accounted(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Once a court order is recorded the release goes out, accountable, request fulfilled."""
    request = vault.disclosures.requests.open_subpoena(practice.client, "Harbor Law LLP")
    request = vault.disclosures.requests.update(
        request.id,
        client_notified_on="2026-11-03",
        counsel_consulted_on="2026-11-04",
        court_order="Superior Court order of 2026-11-20",
    )
    assert all(item.done for item in request.checklist)
    plan = vault.disclosures.prepare(
        _spec(practice.client, RequestType.SUBPOENA, request_id=request.id)
    )
    record = vault.disclosures.write(plan, tmp_path / "r.pdf")
    assert record.accountable and record.request_id == request.id
    assert vault.disclosures.requests.get(request.id).status == "fulfilled"
    # The hold outlives the release: the litigation is still going on.
    assert vault.holds.is_held(practice.client)


def test_subpoena_with_client_authorization(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """The client's authorization answers a subpoena; such a disclosure is not accountable."""
    auth = vault.disclosures.authorizations.add(
        practice.client,
        kind="general",
        description="all records",
        discloser="Dr. Able",
        recipient_name="Harbor Law LLP",
        purpose="litigation",
        signed_on="2026-11-01",
        expires_on="2027-11-01",
    )
    request = vault.disclosures.requests.open_subpoena(practice.client, "Harbor Law LLP")
    vault.disclosures.requests.update(request.id, authorization_id=auth.id)
    plan = vault.disclosures.prepare(
        _spec(practice.client, RequestType.SUBPOENA, request_id=request.id), today=date(2026, 12, 1)
    )
    record = vault.disclosures.write(plan, tmp_path / "r.txt")
    assert record.accountable is False and record.authorization_id == auth.id


def test_legal_hold_place_and_release(vault: Vault, practice: Practice) -> None:
    """A hold is active until released with a note; releasing twice is refused."""
    hold = vault.holds.place(practice.client, "licensing board investigation")
    assert hold.is_active and vault.holds.is_held(practice.client)
    released = vault.holds.release(hold.id, "investigation closed")
    assert not released.is_active and released.release_note == "investigation closed"
    assert not vault.holds.is_held(practice.client)
    with pytest.raises(UsageError, match="already released"):
        vault.holds.release(hold.id, "again")
    with pytest.raises(UsageError, match="empty"):
        vault.holds.place(practice.client, "  ")


@pytest.mark.parametrize("kind", [RequestType.MANDATED_REPORT, RequestType.DUTY_TO_WARN])
def test_minimum_necessary_is_item_by_item(
    vault: Vault, practice: Practice, tmp_path: Path, kind: RequestType
) -> None:
    """Mandated reports and duty to warn release only the notes chosen one by one."""
    with pytest.raises(DisclosureRefusedError, match="minimum necessary: choose the notes"):
        vault.disclosures.prepare(_spec(practice.client, kind))
    with pytest.raises(UsageError, match="date range does not apply"):
        vault.disclosures.prepare(
            _spec(practice.client, kind, note_ids=(practice.plan_note,), date_from="2026-01-01")
        )
    plan = vault.disclosures.prepare(_spec(practice.client, kind, note_ids=(practice.plan_note,)))
    assert plan.note_ids == (practice.plan_note,)
    assert VISIBLE not in plan.preview and ADDENDUM not in plan.preview
    assert "Minimum necessary" in plan.preview
    record = vault.disclosures.write(plan, tmp_path / "report.txt")
    assert record.accountable and record.note_ids == (practice.plan_note,)


def test_minimum_necessary_refuses_drafts_and_other_clients_notes(
    vault: Vault, practice: Practice
) -> None:
    """An item that is a draft or belongs to another client is refused by name."""
    draft = int(vault.db.scalar("SELECT id FROM notes WHERE status = 'draft'"))
    with pytest.raises(UsageError, match="is a draft"):
        vault.disclosures.prepare(
            _spec(practice.client, RequestType.DUTY_TO_WARN, note_ids=(draft,))
        )
    stranger_note = int(
        vault.db.scalar(
            "SELECT id FROM notes WHERE client_id NOT IN (?, ?)", (practice.client, practice.other)
        )
    )
    with pytest.raises(UsageError, match="not in this client's record"):
        vault.disclosures.prepare(
            _spec(practice.client, RequestType.DUTY_TO_WARN, note_ids=(stranger_note,))
        )


def test_court_order_must_be_identified(vault: Vault, practice: Practice) -> None:
    """A court-order release without the order's identification is refused."""
    with pytest.raises(DisclosureRefusedError, match="must identify the order"):
        vault.disclosures.prepare(_spec(practice.client, RequestType.COURT_ORDER))
    request = vault.disclosures.requests.open_subpoena(practice.client, "Harbor Law LLP")
    with pytest.raises(UsageError, match="use --type subpoena"):
        vault.disclosures.prepare(
            _spec(
                practice.client,
                RequestType.COURT_ORDER,
                court_order="Order 1",
                request_id=request.id,
            )
        )


def test_right_of_access_excludes_psychotherapy_notes(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """The client's copy has the designated record set, never psychotherapy notes."""
    pauth = vault.disclosures.authorizations.add(
        practice.client,
        kind="psychotherapy-notes",
        description="pnotes",
        discloser="Dr. Able",
        recipient_name="Quill Sampleton (the client)",
        purpose="copy",
        signed_on="2026-01-01",
        expires_on="2027-01-01",
    )
    spec = vault.disclosures.access_spec(practice.client)
    plan = vault.disclosures.prepare(spec)
    assert plan.document.title == "Copy of records"
    assert VISIBLE in plan.preview and PNOTE_MARKER not in plan.preview
    # Flags keep passages from third parties, not from the client (issue 19).
    assert CATEGORY_MARKERS[OmitCategory.DREAM_FANTASY] in plan.preview
    assert "[withheld: dream/fantasy]" not in plan.preview
    record = vault.disclosures.write(plan, tmp_path / "copy.pdf")
    assert record.request_type is RequestType.CLIENT_ACCESS and not record.accountable
    forced = ReleaseSpec(**{**spec.__dict__, "pnotes_authorization_id": pauth.id})
    with pytest.raises(DisclosureRefusedError, match="164.524"):
        vault.disclosures.prepare(forced, passphrase=PASSPHRASE)


def test_access_copy_carries_every_flagged_passage(vault: Vault, practice: Practice) -> None:
    """The client's copy is the whole designated record set: every category's flagged
    passage, the note flagged whole, the flagged passage of an accepted amendment."""
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(practice.client))
    for category, marker in CATEGORY_MARKERS.items():
        assert marker in plan.preview, category
    assert WHOLE_NOTE in plan.preview and AMEND_FLAGGED in plan.preview
    assert "designated record set" in plan.preview and "Included on purpose" not in plan.preview
    assert plan.withheld_categories == ()
