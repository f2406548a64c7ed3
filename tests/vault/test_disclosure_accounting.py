"""Accounting of disclosures (164.528), the audit trail of exports, amendments (164.526)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.disclosures import (
    CATEGORY_MARKERS,
    VISIBLE,
    Practice,
    build,
    pdf_text,
)
from vault import ConfideError, UsageError, Vault
from vault.disclosures import ReleaseSpec, RequestType


@pytest.fixture
def practice(vault: Vault) -> Practice:
    return build(vault)


def _court(client: int, recipient: str = "County Court Clerk") -> ReleaseSpec:
    return ReleaseSpec(
        client_id=client,
        request_type=RequestType.COURT_ORDER,
        recipient_name=recipient,
        recipient_address="1 Court Sq, Springfield",
        purpose="court-ordered production",
        court_order="Order 26-CV-101",
    )


def test_every_release_is_in_the_accounting(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Date, recipient name and address, description and purpose are recorded automatically."""
    record = vault.disclosures.write(
        vault.disclosures.prepare(_court(practice.client)), tmp_path / "r.pdf"
    )
    entries = vault.disclosures.accounting(practice.client)
    assert [e.id for e in entries] == [record.id]
    entry = entries[0]
    assert entry.disclosed_at[:10] == datetime.now(UTC).date().isoformat()  # stored in UTC
    assert (entry.recipient_name, entry.recipient_address, entry.purpose) == (
        "County Court Clerk",
        "1 Court Sq, Springfield",
        "court-ordered production",
    )
    assert (
        "signed documents" in entry.description and "withheld: dream/fantasy" in entry.description
    )
    assert entry.format == "pdf" and len(entry.sha256) == 64


def test_accounting_covers_six_years_and_excludes_what_the_rule_excludes(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Client access and authorized releases are left out; entries older than 6 years too."""
    vault.disclosures.write(
        vault.disclosures.prepare(_court(practice.client)), tmp_path / "court.txt"
    )
    vault.disclosures.write(
        vault.disclosures.prepare(vault.disclosures.access_spec(practice.client)),
        tmp_path / "copy.txt",
    )
    assert len(vault.disclosures.accounting(practice.client)) == 1
    assert len(vault.disclosures.accounting(practice.client, include_all=True)) == 2
    in_six = date.today() + timedelta(days=365 * 6 - 10)
    in_seven = date.today() + timedelta(days=365 * 7)
    assert len(vault.disclosures.accounting(practice.client, today=in_six)) == 1
    assert vault.disclosures.accounting(practice.client, today=in_seven) == []


def test_accounting_prints_as_text_and_pdf(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """The accounting document lists each disclosure and writes as PDF, audited."""
    vault.disclosures.write(
        vault.disclosures.prepare(_court(practice.client, "Dr. Zoë Ng")), tmp_path / "r.txt"
    )
    entries = vault.disclosures.accounting(practice.client)
    document = vault.disclosures.accounting_document(practice.client, entries)
    assert "Dr. Zoë Ng" in document.text() and "1 Court Sq" in document.text()
    out = vault.disclosures.write_document(document, practice.client, tmp_path / "aod.pdf")
    text = pdf_text(out)
    assert "Accounting of disclosures" in text and "Dr. Zoë Ng" in text
    assert "court-ordered production" in text
    assert VISIBLE not in text  # the accounting describes, it does not copy
    actions = [(e.action, e.object_type) for e in vault.audit.entries(200)]
    assert ("export", "accounting") in actions and ("view", "accounting") in actions


def test_audit_log_has_every_release_and_preview_without_content(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Each preview and each written release is audited with identifiers and counts only."""
    plan = vault.disclosures.prepare(_court(practice.client))
    record = vault.disclosures.write(plan, tmp_path / "r.txt")
    entries = vault.audit.entries(500)
    exports = [e for e in entries if e.action == "export"]
    previews = [e for e in entries if e.action == "export_preview"]
    assert [e.object_id for e in exports] == [str(record.id)]
    assert exports[0].detail["notes"] == len(plan.note_ids)
    assert len(previews) == 1
    dump = json.dumps([e.detail for e in entries]) + " ".join(str(e.object_id) for e in entries)
    for secret in [
        "County Court",
        "Sampleton",
        "court-ordered",
        VISIBLE,
        *CATEGORY_MARKERS.values(),
    ]:
        assert secret not in dump
    assert vault.audit.verify().ok


def test_accounting_cannot_be_edited(vault: Vault, practice: Practice, tmp_path: Path) -> None:
    """The database refuses to change a recorded disclosure."""
    vault.disclosures.write(vault.disclosures.prepare(_court(practice.client)), tmp_path / "r.txt")
    with pytest.raises(ConfideError, match="append-only"):
        vault.db.execute("UPDATE disclosures SET recipient_name = 'someone else'")


def test_amendment_accepted_is_a_linked_addendum(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Accepting adds a signed addendum to the note; the original stays; due in 60 days."""
    original = vault.notes.get(practice.plan_note).body
    amendment = vault.disclosures.amendments.request(
        practice.client, practice.plan_note, "My sleep goal was 8 hours, not 7."
    )
    assert amendment.due_on == (date.today() + timedelta(days=60)).isoformat()
    accepted = vault.disclosures.amendments.accept(amendment.id, "Goal corrected: 8 hours.")
    assert accepted.status == "accepted" and accepted.addendum_note_id is not None
    addendum = vault.notes.get(accepted.addendum_note_id)
    assert addendum.parent_id == practice.plan_note and addendum.is_signed
    assert "Goal corrected: 8 hours." in addendum.body
    assert vault.notes.get(practice.plan_note).body == original
    plan = vault.disclosures.prepare(_court(practice.client))
    assert "Goal corrected: 8 hours." in plan.preview
    with pytest.raises(UsageError, match="already accepted"):
        vault.disclosures.amendments.deny(amendment.id, "late")


def test_denial_disagreement_and_rebuttal_travel_with_the_note(
    vault: Vault, practice: Practice
) -> None:
    """A denial, the statement of disagreement and the rebuttal go out with the note."""
    m = vault.disclosures.amendments.request(
        practice.client, practice.plan_note, "Remove the sleep goal."
    )
    with pytest.raises(UsageError, match="answers a denial"):
        vault.disclosures.amendments.disagree(m.id, "too early")
    vault.disclosures.amendments.deny(m.id, "The record is accurate and complete.")
    with pytest.raises(UsageError, match="no statement of disagreement"):
        vault.disclosures.amendments.rebut(m.id, "nothing to rebut")
    vault.disclosures.amendments.disagree(m.id, "I never agreed to that goal.")
    final = vault.disclosures.amendments.rebut(m.id, "The goal was set together on 01-03.")
    assert final.status == "denied" and final.rebuttal is not None
    preview = vault.disclosures.prepare(_court(practice.client)).preview
    for text in (
        "Remove the sleep goal.",
        "The record is accurate and complete.",
        "I never agreed to that goal.",
        "The goal was set together on 01-03.",
    ):
        assert text in preview


def test_amendment_deadline_and_single_extension(vault: Vault, practice: Practice) -> None:
    """One 30-day extension before the deadline; a second or a late one is refused."""
    received = date.today() - timedelta(days=10)
    m = vault.disclosures.amendments.request(
        practice.client, practice.flagged_note, "Correct my employer's name.", received
    )
    extended = vault.disclosures.amendments.extend(m.id, "waiting for the prior records")
    assert extended.due_on == (received + timedelta(days=90)).isoformat()
    with pytest.raises(UsageError, match="only one 30-day extension"):
        vault.disclosures.amendments.extend(m.id, "again")
    late = vault.disclosures.amendments.request(
        practice.client, practice.flagged_note, "Another.", date.today() - timedelta(days=61)
    )
    assert late.is_overdue(date.today())
    with pytest.raises(UsageError, match="passed on"):
        vault.disclosures.amendments.extend(late.id, "too late")
    with pytest.raises(UsageError, match="in the future"):
        vault.disclosures.amendments.request(
            practice.client, practice.flagged_note, "x", date.today() + timedelta(days=1)
        )


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_disclosure_rows_never_block_deleting_a_client(
    vault: Vault, practice: Practice, tmp_path: Path, order: str
) -> None:
    """Disposal deletes table by table: every disclosure table can go first or last."""

    auth = vault.disclosures.authorizations.add(
        practice.client,
        kind="general",
        description="all",
        discloser="Dr. Able",
        recipient_name="Harbor Law LLP",
        purpose="litigation",
        signed_on="2026-01-01",
        expires_on="2099-01-01",
    )
    request = vault.disclosures.requests.open_subpoena(practice.client, "Harbor Law LLP")
    vault.disclosures.requests.update(request.id, authorization_id=auth.id)
    vault.disclosures.write(
        vault.disclosures.prepare(
            ReleaseSpec(
                client_id=practice.client,
                request_type=RequestType.SUBPOENA,
                recipient_name="Harbor Law LLP",
                purpose="litigation",
                request_id=request.id,
            )
        ),
        tmp_path / "r.txt",
    )
    m = vault.disclosures.amendments.request(practice.client, practice.plan_note, "Fix it.")
    vault.disclosures.amendments.accept(m.id, "Fixed.")
    assert request.hold_id is not None
    vault.holds.release(request.hold_id, "case closed")
    tables = ["legal_holds", "authorizations", "records_requests", "disclosures", "amendments"]
    if order == "reverse":
        tables.reverse()
    db = vault.db
    with db.atomic():
        for table in tables:
            db.execute(f"DELETE FROM {table} WHERE client_id = ?", (practice.client,))
        db.execute("DELETE FROM notes WHERE client_id = ?", (practice.client,))
        db.execute("DELETE FROM clients WHERE id = ?", (practice.client,))
    assert all(db.scalar(f"SELECT count(*) FROM {t}") == 0 for t in tables)
