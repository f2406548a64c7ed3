"""Records: clients and pseudonyms, joint sessions, templates, draft -> signed -> addenda."""

from __future__ import annotations

import pytest

from tests.support.cli import PASSPHRASE
from vault import (
    TEMPLATES,
    Action,
    AuthenticationError,
    ClientStatus,
    EntryType,
    ImmutableRecordError,
    IntegrityError,
    NoteStatus,
    NotFoundError,
    OmitCategory,
    OmitSpan,
    SessionInfo,
    UsageError,
    Vault,
)

LEGAL = "Marigold Pretendson"
ALIAS = "Client Lark"


def _last_action(vault: Vault) -> tuple[str, str | None, str | None]:
    entry = vault.audit.entries(limit=1)[0]
    return entry.action, entry.object_type, entry.object_id


def test_client_fields_round_trip(vault: Vault) -> None:
    """Every client field is stored and validated; dates come back ISO formatted."""
    client = vault.clients.add(
        "  Juniper  Synthwood ",
        date_of_birth="1990-04-05",
        status="inactive",
        last_service_date="2026-01-02",
        consent_notice_date="2025-12-01",
    )
    got = vault.clients.get(client.id)
    # Stored exactly as typed but for the surrounding spaces (the name rule, issue 10).
    assert got.display_name == "Juniper  Synthwood" and got.legal_name == "Juniper  Synthwood"
    assert (got.date_of_birth, got.status, got.last_service_date, got.consent_notice_date) == (
        "1990-04-05",
        ClientStatus.INACTIVE,
        "2026-01-02",
        "2025-12-01",
    )
    assert got.record_id == f"C-{client.id:05d}"
    with pytest.raises(UsageError, match="date of birth"):
        vault.clients.add("Bad Date", date_of_birth="05/04/1990")
    with pytest.raises(UsageError, match="unknown client status"):
        vault.clients.add("Bad Status", status="asleep")
    with pytest.raises(UsageError, match="empty"):
        vault.clients.add("   ")
    assert vault.clients.count() == 1


def test_client_update_and_status_filter(vault: Vault) -> None:
    """Editing a client changes only the named fields and is audited by field name."""
    client = vault.clients.add("Nimbus Notreal", date_of_birth="2001-02-03")
    updated = vault.clients.update(
        client.id, status=ClientStatus.DISCHARGED, consent_notice_date="2026-03-04"
    )
    assert updated.status is ClientStatus.DISCHARGED
    assert updated.date_of_birth == "2001-02-03"
    entry = vault.audit.entries(limit=1)[0]
    assert entry.action == "edit" and entry.detail["fields"] == "consent_notice_date,status"
    assert [c.id for c in vault.clients.list(status="discharged")] == [client.id]
    assert vault.clients.list(status="active") == []
    with pytest.raises(NotFoundError):
        vault.clients.update(999, status="active")


def test_pseudonym_seals_the_legal_name(vault: Vault) -> None:
    """A pseudonymous client's legal name is in no list, filter, search hit or record field."""
    client = vault.clients.add(LEGAL, pseudonym=ALIAS)
    vault.notes.create(client.id, body="discussed sleeping difficulties")
    assert client.legal_name is None and client.is_pseudonymous
    listed = vault.clients.list()
    assert [c.display_name for c in listed] == [ALIAS]
    assert all(c.legal_name is None for c in listed)
    assert vault.clients.list("Marigold") == []
    assert [c.id for c in vault.clients.list("lark")] == [client.id]
    assert vault.clients.get(client.id).legal_name is None
    hits = vault.search("sleeping")
    assert [h.client_display_name for h in hits] == [ALIAS]
    assert (
        vault.db.scalar(
            "SELECT count(*) FROM clients WHERE display_name LIKE ? OR legal_name LIKE ?",
            ("%Marigold%", "%Marigold%"),
        )
        == 0
    )
    sealed = vault.clients.sealed_name_blob(client.id)
    assert sealed is not None and LEGAL.encode() not in sealed


def test_reveal_legal_name_needs_the_passphrase_and_is_audited(vault: Vault) -> None:
    """The sealed name comes back only with the passphrase, and the reveal is in the audit log."""
    client = vault.clients.add(LEGAL, pseudonym=ALIAS)
    with pytest.raises(AuthenticationError):
        vault.reveal_legal_name(client.id, "not the passphrase")
    assert _last_action(vault)[0] != "reveal"
    assert vault.reveal_legal_name(client.id, PASSPHRASE) == LEGAL
    assert _last_action(vault) == ("reveal", "client", str(client.id))


def test_renaming_a_pseudonymous_client_changes_only_the_pseudonym(vault: Vault) -> None:
    """Editing the display name of a sealed client keeps the legal name sealed and intact."""
    client = vault.clients.add(LEGAL, pseudonym=ALIAS)
    renamed = vault.clients.update(client.id, display_name="Client Wren")
    assert renamed.display_name == "Client Wren" and renamed.legal_name is None
    assert vault.reveal_legal_name(client.id, PASSPHRASE) == LEGAL


def test_every_template_creates_a_draft_with_its_sections(vault: Vault) -> None:
    """Each template (SOAP, DAP, BIRP, GIRP, intake, plan, discharge, free) starts a draft."""
    assert set(TEMPLATES) >= {
        "soap",
        "dap",
        "birp",
        "girp",
        "intake",
        "treatment-plan",
        "discharge",
        "free",
    }
    cid = vault.clients.add("Thistle Examplar").id
    for key, template in TEMPLATES.items():
        note = vault.notes.create(cid, key)
        assert note.template == key and note.status is NoteStatus.DRAFT
        for section in template.sections:
            assert f"{section}:" in note.body
    with pytest.raises(UsageError, match="unknown template"):
        vault.notes.create(cid, "sonnet")


def test_session_metadata_is_validated_and_stored(vault: Vault) -> None:
    """Date, times, service code, modality and ICD-10 codes are checked and kept."""
    cid = vault.clients.add("Ember Mockridge").id
    session = SessionInfo(
        "2026-11-20", "9:00", "09:50", "90834", "telehealth", ("f41.1", "F32.1", "F41.1")
    )
    note = vault.notes.create(cid, "soap", session=session)
    assert note.session == SessionInfo(
        "2026-11-20", "09:00", "09:50", "90834", "telehealth", ("F41.1", "F32.1")
    )
    with pytest.raises(UsageError, match="not after start"):
        vault.notes.create(cid, session=SessionInfo("2026-11-20", "10:00", "09:00"))
    with pytest.raises(UsageError, match="ICD-10"):
        vault.notes.create(cid, session=SessionInfo(diagnosis_codes=("anxiety",)))
    assert vault.notes.count() == 1


def test_joint_session_note_appears_in_every_participants_timeline(vault: Vault) -> None:
    """A family session note names all participants and shows in each one's timeline."""
    a = vault.clients.add("Alder Sampleton").id
    b = vault.clients.add("Bramble Sampleton").id
    c = vault.clients.add("Cobalt Sampleton").id
    loner = vault.clients.add("Dune Fictive").id
    note = vault.notes.create(
        a,
        "dap",
        body="family session",
        participants=[b, c, a],
        session=SessionInfo("2026-10-01", modality="family"),
    )
    assert note.participant_ids == (a, b, c)
    for cid in (a, b, c):
        assert [s.id for s in vault.notes.timeline(cid)] == [note.id]
        assert vault.notes.timeline(cid)[0].participant_count == 3
    assert vault.notes.timeline(loner) == []
    with pytest.raises(NotFoundError):
        vault.notes.create(a, participants=[999])
    with pytest.raises(NotFoundError):
        vault.notes.timeline(999)


def test_draft_saves_then_signing_makes_it_immutable(vault: Vault) -> None:
    """Drafts change freely; a signed note refuses every change and records when it was signed."""
    cid = vault.clients.add("Garnet Dummington").id
    note = vault.notes.create(cid, "soap", body="first words")
    saved = vault.notes.save_draft(note.id, body="second words")
    assert vault.notes.get(note.id).body == "second words" == saved.body
    signed = vault.notes.sign(note.id)
    assert signed.is_signed and signed.signed_at is not None
    assert _last_action(vault) == ("sign", "note", str(note.id))
    with pytest.raises(ImmutableRecordError, match="addendum"):
        vault.notes.save_draft(note.id, body="rewritten history")
    with pytest.raises(ImmutableRecordError, match="already signed"):
        vault.notes.sign(note.id)
    assert vault.notes.get(note.id).body == "second words"


def test_signed_note_is_immutable_in_the_database_itself(vault: Vault) -> None:
    """Even raw SQL cannot update a signed note: the trigger refuses it."""
    cid = vault.clients.add("Indigo Placeholder").id
    note = vault.notes.sign(vault.notes.create(cid, body="final text").id)
    with pytest.raises(IntegrityError, match="immutable"):
        vault.db.execute("UPDATE notes SET body = 'forged' WHERE id = ?", (note.id,))
    with pytest.raises(IntegrityError, match="immutable"):
        vault.db.execute(
            "UPDATE notes SET status = 'draft', signed_at = NULL WHERE id = ?", (note.id,)
        )
    assert vault.notes.get(note.id).body == "final text"


def test_empty_note_cannot_be_signed(vault: Vault) -> None:
    """Signing an empty draft, or bare template headings, is refused; it stays a draft."""
    cid = vault.clients.add("Kestrel Fakeley").id
    note = vault.notes.create(cid, body="   ")
    with pytest.raises(UsageError, match="empty"):
        vault.notes.sign(note.id)
    assert vault.notes.get(note.id).status is NoteStatus.DRAFT
    skeleton = vault.notes.create(cid, "soap")  # only the SOAP headings
    with pytest.raises(UsageError, match="nothing under its headings"):
        vault.notes.sign(skeleton.id)
    filled = vault.notes.save_draft(
        skeleton.id, body=skeleton.body.replace("Plan:\n", "Plan:\nReview in two weeks.\n")
    )
    assert vault.notes.sign(filled.id).is_signed


def test_addendum_keeps_the_original_visible(vault: Vault) -> None:
    """An addendum is a new signed note under the original, which stays exactly as signed."""
    cid = vault.clients.add("Lumen Testwell").id
    original = vault.notes.sign(
        vault.notes.create(cid, "soap", body="original text", session=SessionInfo("2026-09-09")).id
    )
    with pytest.raises(UsageError, match="draft"):
        vault.notes.addend(vault.notes.create(cid, body="a draft").id, "too early")
    addendum = vault.notes.addend(original.id, "correction: it was Tuesday")
    assert addendum.entry_type is EntryType.ADDENDUM and addendum.parent_id == original.id
    assert addendum.is_signed and addendum.session.session_date == "2026-09-09"
    assert vault.notes.get(original.id) == original
    timeline = [(s.id, s.parent_id) for s in vault.notes.timeline(cid)]
    assert timeline.index((addendum.id, original.id)) == timeline.index((original.id, None)) + 1
    actions = [e.action for e in vault.audit.entries(limit=10)]
    assert "addendum" in actions


def test_addendum_to_an_addendum_stays_with_the_original(vault: Vault) -> None:
    """Addenda to addenda attach to the original note and list right under it."""
    cid = vault.clients.add("Marigold Nested").id
    original = vault.notes.sign(
        vault.notes.create(cid, body="original", session=SessionInfo("2026-01-01")).id
    )
    vault.notes.sign(vault.notes.create(cid, body="later", session=SessionInfo("2026-02-01")).id)
    first = vault.notes.addend(original.id, "first addendum")
    second = vault.notes.addend(first.id, "second addendum")
    assert second.parent_id == original.id
    order = [s.id for s in vault.notes.timeline(cid)]
    assert order[order.index(original.id) :][:3] == [original.id, first.id, second.id]


def test_failed_addendum_leaves_nothing_behind(vault: Vault) -> None:
    """An addendum that cannot be signed (empty) is rolled back entirely."""
    cid = vault.clients.add("Onyx Madeupski").id
    original = vault.notes.sign(vault.notes.create(cid, body="text").id)
    count = vault.notes.count()
    with pytest.raises(UsageError, match=f"addendum to {original.record_id} is empty"):
        vault.notes.addend(original.id, "   ")
    assert vault.notes.count() == count


def test_late_entry_is_labelled_with_its_reason(vault: Vault) -> None:
    """A late entry names the session it documents and why it was written late."""
    cid = vault.clients.add("Pepper Fictive").id
    late = vault.notes.late_entry(
        cid, "soap", "2026-06-01", "power outage after the session", body="late text"
    )
    assert late.entry_type is EntryType.LATE_ENTRY
    assert late.late_reason == "power outage after the session"
    assert late.session.session_date == "2026-06-01"
    assert late.created_at[:10] > "2026-06-01"
    with pytest.raises(UsageError, match="reason"):
        vault.notes.late_entry(cid, "soap", "2026-06-01", "  ", body="x")


def test_last_service_date_only_moves_forward(vault: Vault) -> None:
    """A note's session date moves the client's last service date forward, never back."""
    client = vault.clients.add("Quill Notreal")
    other = vault.clients.add("Rowan Notreal")
    vault.notes.create(client.id, session=SessionInfo("2026-05-05"), participants=[other.id])
    assert vault.clients.get(client.id).last_service_date == "2026-05-05"
    assert vault.clients.get(other.id).last_service_date == "2026-05-05"
    vault.notes.create(client.id, session=SessionInfo("2026-01-01"))
    assert vault.clients.get(client.id).last_service_date == "2026-05-05"
    draft = vault.notes.create(client.id, session=SessionInfo("2026-07-07"))
    assert vault.clients.get(client.id).last_service_date == "2026-07-07"
    vault.notes.save_draft(draft.id, session=SessionInfo("2026-08-08"))
    assert vault.clients.get(client.id).last_service_date == "2026-08-08"
    assert [c.id for c in vault.clients.list()][0] == client.id


def test_flags_on_a_signed_note_can_change_but_not_the_text(vault: Vault) -> None:
    """Span flags govern release, so they may change after signing; the body may not."""
    cid = vault.clients.add("Saffron Fakeley").id
    note = vault.notes.sign(vault.notes.create(cid, body="dreamt of the sea").id)
    flagged = vault.notes.set_flags(note.id, [OmitSpan(0, 17, OmitCategory.DREAM_FANTASY)])
    assert flagged.spans == (OmitSpan(0, 17, OmitCategory.DREAM_FANTASY),)
    assert flagged.body == "dreamt of the sea" and flagged.signed_at == note.signed_at
    with pytest.raises(ImmutableRecordError):
        vault.notes.set_flags(note.id, [], omit_category=OmitCategory.LEGAL)


def test_every_read_and_write_is_audited_by_identifier(vault: Vault) -> None:
    """Create, view, edit, sign and timeline views each append an audit entry."""
    cid = vault.clients.add("Umber Pretendson").id
    note = vault.notes.create(cid, body="x")
    vault.notes.get(note.id)
    vault.notes.save_draft(note.id, body="y")
    vault.notes.sign(note.id)
    vault.notes.timeline(cid)
    actions = [(e.action, e.object_type) for e in vault.audit.entries(limit=6, newest_first=False)]
    wanted = {
        (Action.CREATE.value, "client"),
        (Action.CREATE.value, "note"),
        (Action.VIEW.value, "note"),
        (Action.EDIT.value, "note"),
        (Action.SIGN.value, "note"),
        (Action.VIEW.value, "timeline"),
    }
    recent = {(e.action, e.object_type) for e in vault.audit.entries(limit=10)}
    assert wanted <= recent
    assert actions[0][0] == "init"


def test_unaudited_reads_return_the_record_without_a_view_entry(vault: Vault) -> None:
    """`get_unaudited` is the documented read for actions that audit themselves: same record
    as `get`, no VIEW entry; `get` still records one; an unknown id is a NotFoundError."""
    client = vault.clients.add("Perpetua Lindqvist")
    note = vault.notes.create(client.id, body="Unaudited read check")

    def views() -> list[object]:
        return [e for e in vault.audit.entries(500) if e.action == Action.VIEW.value]

    before = len(views())
    assert vault.clients.get_unaudited(client.id) == client
    assert vault.notes.get_unaudited(note.id) == note
    assert len(views()) == before
    vault.clients.get(client.id)
    vault.notes.get(note.id)
    assert len(views()) == before + 2
    with pytest.raises(NotFoundError):
        vault.clients.get_unaudited(client.id + 99)
    with pytest.raises(NotFoundError):
        vault.notes.get_unaudited(note.id + 99)
