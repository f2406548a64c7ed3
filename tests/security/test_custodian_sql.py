"""Custodian mode attacked below the API: a custodian who opened the vault with their key (as
`Vault.unlock_custodian` does) and sends SQL straight down the connection. The database layer
must refuse what the API would never do: rewrite the vault's own settings in `meta`, run a
PRAGMA that changes the file or the connection (a rekey, foreign keys off), ATTACH a plaintext
database (a decrypted dump), change the schema (drop the audit log's triggers), delete or edit
the accounting of disclosures, the audit log, legal holds, or an authorization's scope, and
write to the psychotherapy notes even when they were granted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from vault import (
    TEST_PRESET,
    ConfideError,
    CustodianReadOnlyError,
    SessionInfo,
    Vault,
)
from vault.records.audit import Action


@dataclass(frozen=True)
class Practice:
    folder: Path
    key: str
    client: int
    other: int
    note: int
    auth: int
    other_auth: int
    hold: int
    request: int
    access_request: int
    pnote: int


@pytest.fixture
def practice(vault_dir: Path, tmp_path: Path) -> Practice:
    """A vault with a client, a signed note, an authorization, a hold, a records request, an
    access request, a release (a disclosure and its copy's record), a psychotherapy note and a
    custodian designated with the psychotherapy notes."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    try:
        client = vault.clients.add("Ada Quist", last_service_date="2026-01-05").id
        other = vault.clients.add("Olin Other").id
        session = SessionInfo("2026-01-05", "10:00", "10:50", "90834", "individual", ("F41.1",))
        note = vault.notes.create(client, body="Sleep is poor.", session=session)
        vault.notes.sign(note.id)
        vault.notes.sign(vault.notes.create(other, body="Other note.", session=session).id)
        auths = vault.disclosures.authorizations
        terms = dict(
            kind="general",
            description="progress notes",
            discloser="Dr. A. Able",
            recipient_name="Dr. B. Birch",
            purpose="continuity of care",
            signed_on="2026-01-01",
            expires_on="2026-02-01",
        )
        auth = auths.add(client, **terms).id  # type: ignore[arg-type]
        other_auth = auths.add(other, **terms).id  # type: ignore[arg-type]
        hold = vault.holds.place(client, "litigation pending").id
        request = vault.disclosures.requests.open_subpoena(
            client, "Counsel", received_on="2026-01-06"
        ).id
        access_request = vault.disclosures.access.request(client).id
        plan = vault.disclosures.prepare(vault.disclosures.access_spec(client))
        vault.disclosures.write(plan, tmp_path / "copy.txt")
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        pnote = area.add(client, "Impression zqcustsqlmark.").id
        key = vault.custodian.designate(
            PASSPHRASE,
            name="Dr. Kim Birch",
            role="Psychologist",
            contact="kim@example.org",
            pnotes=True,
        ).key
    finally:
        vault.lock()
    return Practice(
        vault_dir,
        key,
        client,
        other,
        note.id,
        auth,
        other_auth,
        hold,
        request,
        access_request,
        pnote,
    )


@pytest.fixture
def custodian(practice: Practice) -> Iterator[Vault]:
    vault = Vault.unlock_custodian(practice.folder, practice.key)
    try:
        yield vault
    finally:
        vault.lock()


def _meta(vault: Vault) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in vault.db.query("SELECT key, value FROM meta")}


def _refused(vault: Vault, sql: str, params: tuple[object, ...] = ()) -> None:
    """Refused in the database, and the refusal audited once as the custodian's."""
    head = vault.audit.head()
    assert head is not None
    with pytest.raises(CustodianReadOnlyError, match="custodian mode is read-only") as refusal:
        vault.db.execute(sql, params)
        pytest.fail(f"not refused: {sql}")
    added = [e for e in vault.audit.entries(limit=5) if e.seq > head[0]]
    said = str(refusal.value).removeprefix("custodian mode is read-only: ")
    assert [(e.action, e.detail["what"], e.detail["actor"]) for e in added] == [
        ("custodian_refused", said, "custodian:1")
    ], sql


# -- 1. meta: only the audit head and the key file's sequence move, and only to the truth

META_ATTACKS = {
    # The public key new legal names are sealed to: the clinician's later clients' names would
    # be sealed to a key of the custodian's choosing.
    "swap the sealed-names key": (
        "UPDATE meta SET value = ? WHERE key = 'sealed_public'",
        ("00" * 32,),
    ),
    # A record.db that no longer names its key file: the clinician's next unlock fails.
    "change the vault id": ("UPDATE meta SET value = 'another' WHERE key = 'vault_id'", ()),
    # Identifier floors: lowered, a disposed client's C-number is handed out again.
    "lower an id floor": (
        "INSERT INTO meta (key, value) VALUES ('id_floor.clients', '0') "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (),
    ),
    "reset the custodian serial": (
        "UPDATE meta SET value = '0' WHERE key = 'custodian_serial'",
        (),
    ),
    # The rollback detection's two marks: a false head hides entries, a false sequence raises
    # a false alarm (or hides a true one) at the clinician's next unlock.
    "forge the audit head": ("UPDATE meta SET value = '1:forged' WHERE key = 'audit_head'", ()),
    "push keyfile_seq ahead": (
        "INSERT INTO meta (key, value) VALUES ('keyfile_seq', '999999') "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (),
    ),
    "delete a meta row": ("DELETE FROM meta WHERE key = 'custodian_serial'", ()),
    "add a meta row": ("INSERT INTO meta (key, value) VALUES ('custodian_note', 'x')", ()),
}


@pytest.mark.parametrize("attack", sorted(META_ATTACKS))
def test_custodian_cannot_rewrite_the_vaults_own_settings(custodian: Vault, attack: str) -> None:
    sql, params = META_ATTACKS[attack]
    before = _meta(custodian)
    _refused(custodian, sql, params)
    after = _meta(custodian)
    # The refusal's own audit entry moved the head, to the truth; nothing else changed.
    head = custodian.audit.head()
    assert head is not None and after.pop("audit_head") == f"{head[0]}:{head[1]}"
    del before["audit_head"]
    assert after == before


def test_the_custodians_own_reads_still_move_the_audit_head_and_anchor(practice: Practice) -> None:
    """What the custodian's session must write in meta still works: many audited reads advance
    the audit head and the key file's anchor, and the clinician then opens without a warning."""
    vault = Vault.unlock_custodian(practice.folder, practice.key)
    try:
        for _ in range(70):  # past ANCHOR_EVERY: the anchor moves during the session
            vault.notes.get(practice.note)
        seq = vault.audit.head()
        assert seq is not None
        assert _meta(vault)["audit_head"] == f"{seq[0]}:{seq[1]}"
        assert int(_meta(vault)["keyfile_seq"]) > 60
    finally:
        vault.lock()
    clinician = Vault.unlock(practice.folder, PASSPHRASE)
    try:
        assert clinician.rollback_warnings == []
        assert clinician.audit.verify().ok
    finally:
        clinician.lock()


# -- 2. PRAGMA, ATTACH, VACUUM, schema changes


def test_custodian_cannot_attach_a_plaintext_database_and_dump_the_record(
    custodian: Vault, tmp_path: Path
) -> None:
    """ATTACH with an empty key plus sqlcipher_export writes the whole record decrypted."""
    dump = tmp_path / "plain.db"
    _refused(custodian, f"ATTACH DATABASE '{dump}' AS plain KEY ''")
    with pytest.raises(ConfideError):
        custodian.db.execute("SELECT sqlcipher_export('plain')")
    assert not dump.exists()


@pytest.mark.parametrize(
    "sql",
    [
        "PRAGMA rekey = 'the custodian''s own key'",  # the clinician locked out of record.db
        "PRAGMA key = 'another'",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA secure_delete = OFF",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA writable_schema = ON",
        "PRAGMA user_version = 7",
        "PRAGMA cipher_compatibility = 3",
        "VACUUM",
        "DETACH DATABASE temp",
        "DROP TRIGGER audit_no_delete",
        "DROP TRIGGER disclosures_no_update",
        "CREATE TABLE mine (x)",
        "CREATE TEMP TABLE mine (x)",
        "ALTER TABLE notes ADD COLUMN custodian TEXT",
        "ANALYZE",
        "REINDEX",
        "SELECT sqlcipher_export('main')",
    ],
)
def test_custodian_cannot_change_the_file_the_schema_or_the_connection(
    custodian: Vault, sql: str
) -> None:
    _refused(custodian, sql)
    assert custodian.db.scalar("PRAGMA foreign_keys") == 1
    assert custodian.db.scalar("PRAGMA secure_delete") == 1
    assert custodian.db.scalar("PRAGMA user_version") == 0


def test_custodian_vacuum_into_writes_no_copy(custodian: Vault, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    _refused(custodian, f"VACUUM INTO '{copy}'")
    assert not copy.exists()


def test_the_read_only_pragmas_the_code_uses_still_work(custodian: Vault) -> None:
    assert custodian.db.integrity_problems() == []
    assert custodian.db.query("PRAGMA table_info(notes)")
    assert custodian.db.query("SELECT name FROM pragma_table_list WHERE schema = 'main'")
    assert custodian.db.scalar("PRAGMA cipher_version")


# -- 3. the tables a custodian adds to are append-only for them


def test_custodian_cannot_erase_or_edit_the_accounting_of_disclosures(
    custodian: Vault, practice: Practice
) -> None:
    accounted = [d.id for d in custodian.disclosures.accounting(practice.client, include_all=True)]
    assert accounted
    _refused(custodian, "DELETE FROM disclosures")
    _refused(custodian, "UPDATE disclosures SET recipient_name = 'nobody'")
    _refused(custodian, "DELETE FROM exports")
    _refused(custodian, "UPDATE exports SET path = '/elsewhere'")
    _refused(custodian, "DELETE FROM attachment_copies")
    again = [d.id for d in custodian.disclosures.accounting(practice.client, include_all=True)]
    assert again == accounted


def test_custodian_cannot_erase_or_rewrite_the_audit_log(custodian: Vault) -> None:
    """Every entry stays as written; what grows is the two refusals, each audited."""
    query = "SELECT seq, action, detail, hash FROM audit_log ORDER BY seq"
    before = [tuple(r) for r in custodian.db.query(query)]
    _refused(custodian, "DELETE FROM audit_log")
    _refused(custodian, "UPDATE audit_log SET detail = '{}'")
    after = [tuple(r) for r in custodian.db.query(query)]
    assert after[: len(before)] == before
    assert [(r[1], json.loads(r[2])["what"]) for r in after[len(before) :]] == [
        ("custodian_refused", "the audit log cannot be changed with the custodian key")
    ] * 2
    assert custodian.audit.verify().ok


def test_custodian_cannot_write_audit_entries_in_the_clinicians_name(custodian: Vault) -> None:
    """Every entry of a custodian's session names the custodian: one written without the actor
    (as if the clinician had signed a note) is refused in the database."""
    head = custodian.audit.head()
    custodian.audit.actor = None
    with pytest.raises(CustodianReadOnlyError):
        custodian.audit.record(Action.SIGN, "note", 1)
    custodian.audit.actor = "custodian:1"
    assert custodian.audit.head() == head
    # One in their name that does not follow the chain (a forged history) is refused too.
    assert head is not None
    _refused(
        custodian,
        "INSERT INTO audit_log (seq, at, action, object_type, object_id, detail, prev_hash, "
        "hash, mac) VALUES (?, '2026-01-01T00:00:00+00:00', 'view', 'note', '1', "
        "'{\"actor\":\"custodian:1\"}', ?, 'f', NULL)",
        (head[0] + 1, "0" * 64),
    )
    custodian.audit.record(Action.VIEW, "note", 1)  # their own entry goes in
    assert custodian.audit.head() != head


def test_custodian_places_holds_but_never_releases_or_deletes_them(
    custodian: Vault, practice: Practice
) -> None:
    held = custodian.holds.place(practice.other, "a subpoena arrived")
    assert custodian.holds.is_held(practice.other)
    _refused(custodian, "DELETE FROM legal_holds")
    _refused(custodian, "UPDATE legal_holds SET released_at = '2026-01-01', release_note = 'x'")
    _refused(custodian, "UPDATE legal_holds SET reason = 'nothing'")
    with pytest.raises(CustodianReadOnlyError):
        custodian.holds.release(held.id, "case closed")
    assert custodian.holds.is_held(practice.client) and custodian.holds.is_held(practice.other)


def test_custodian_cannot_widen_an_authorization_or_undo_a_revocation(
    custodian: Vault, practice: Practice
) -> None:
    """An expired authorization stretched, or a revocation undone, would let a release pass."""
    auths = custodian.disclosures.authorizations
    _refused(custodian, "UPDATE authorizations SET expires_on = '2099-12-31'")
    _refused(custodian, "UPDATE authorizations SET recipient_name = 'Mallory'")
    _refused(custodian, "DELETE FROM authorizations")
    # Recording a client's written revocation is the custodian's to do, once.
    revoked = auths.revoke(practice.auth, "2026-01-20")
    assert revoked.revoked_on == "2026-01-20"
    _refused(custodian, "UPDATE authorizations SET revoked_on = NULL")
    _refused(custodian, "UPDATE authorizations SET revoked_on = '2026-01-21'")
    assert auths.get(practice.auth).revoked_on == "2026-01-20"
    assert auths.get(practice.auth).expires_on == "2026-02-01"


def test_custodian_cannot_rest_a_request_on_another_clients_authorization(
    custodian: Vault, practice: Practice
) -> None:
    _refused(
        custodian,
        "UPDATE records_requests SET authorization_id = ? WHERE id = ?",
        (practice.other_auth, practice.request),
    )
    _refused(
        custodian,
        "INSERT INTO records_requests (client_id, request_type, requester_name, received_on, "
        "authorization_id, created_at) VALUES (?, 'subpoena', 'Counsel', '2026-01-06', ?, "
        "'2026-01-06')",
        (practice.client, practice.other_auth),
    )
    _refused(custodian, "DELETE FROM records_requests")
    # Through the API, with this client's own authorization, it is theirs to do.
    updated = custodian.disclosures.requests.update(
        practice.request, authorization_id=practice.auth
    )
    assert updated.authorization_id == practice.auth


def test_custodian_cannot_move_an_access_deadline(custodian: Vault, practice: Practice) -> None:
    """The 30-day deadline moves once, with the extension notice; never by hand."""
    before = custodian.disclosures.access.get_request(practice.access_request).due_on
    _refused(
        custodian,
        "UPDATE access_requests SET due_on = '2099-01-01' WHERE id = ?",
        (practice.access_request,),
    )
    _refused(custodian, "DELETE FROM access_requests")
    _refused(custodian, "DELETE FROM custodian_letter_templates")
    assert custodian.disclosures.access.get_request(practice.access_request).due_on == before


def test_custodian_cannot_extend_an_access_deadline_past_30_days(
    custodian: Vault, practice: Practice
) -> None:
    """The one extension is 30 days (164.524(b)(2)(iii)): taking it by hand to any later date,
    or a day more, is refused; so is extending a request already done."""
    access = custodian.disclosures.access
    before = access.get_request(practice.access_request)
    for due in ("'2099-01-01'", "date(due_on, '+31 days')", "date(due_on, '+1 year')"):
        _refused(
            custodian,
            "UPDATE access_requests SET extended = 1, extension_reason = 'storage', "
            f"due_on = {due} WHERE id = ?",
            (practice.access_request,),
        )
    _refused(
        custodian,
        "UPDATE access_requests SET extended = 2 WHERE id = ?",
        (practice.access_request,),
    )
    after = access.get_request(practice.access_request)
    assert (after.due_on, after.extended, after.extension_reason) == (
        before.due_on,
        False,
        None,
    )


def test_custodian_cannot_close_an_access_request_without_its_copy(
    custodian: Vault, practice: Practice
) -> None:
    """Marked done by hand, a request leaves the open requests and their deadlines although
    no copy answered it: done only with a disclosure of this client (as `mark_done` does)."""
    access = custodian.disclosures.access
    _refused(
        custodian,
        "UPDATE access_requests SET status = 'done', done_on = '2026-01-07' WHERE id = ?",
        (practice.access_request,),
    )
    _refused(
        custodian,
        "UPDATE access_requests SET status = 'done', done_on = '2026-01-07', "
        "disclosure_id = 999999 WHERE id = ?",
        (practice.access_request,),
    )
    assert access.get_request(practice.access_request).status == "open"
    assert [r.id for r in access.requests(open_only=True)] == [practice.access_request]


def test_custodian_cannot_rewrite_a_denials_review(custodian: Vault, practice: Practice) -> None:
    """A denial's review is recorded once: once reviewed (by the custodian, through the API),
    its outcome, reviewer and reason stay as recorded."""
    access = custodian.disclosures.access
    denial = access.deny(practice.client, practice.note, "endangerment", "Risk to the client.")
    reviewed = access.review(
        denial.id,
        reviewer="Dr. C. Cole",
        reviewer_license="PSY 777",
        outcome="upheld",
        reason="The risk stands.",
    )
    for sql in (
        "UPDATE access_denials SET outcome = 'overturned' WHERE id = ?",
        "UPDATE access_denials SET reviewer = 'Mallory', reviewer_license = 'none' WHERE id = ?",
        "UPDATE access_denials SET review_reason = 'changed' WHERE id = ?",
        "UPDATE access_denials SET reviewed_on = NULL, outcome = NULL WHERE id = ?",
    ):
        _refused(custodian, sql, (denial.id,))
    assert access.denial(denial.id) == reviewed
    with pytest.raises(ConfideError, match="already reviewed"):
        access.review(
            denial.id,
            reviewer="Dr. D. Dunn",
            reviewer_license="PSY 8",
            outcome="overturned",
            reason="x",
        )


def test_custodian_cannot_undo_a_representatives_decline(
    custodian: Vault, practice: Practice
) -> None:
    """A representative declined (their requests refused, 164.502(g)(5)) is declined once:
    the decline is neither undone nor reworded."""
    access = custodian.disclosures.access
    rep = access.add_representative(practice.client, "Rex Quist", "agent", "power of attorney")
    declined = access.decline_representative(rep.id, "Treating him so could endanger Ada.")
    for sql in (
        "UPDATE client_representatives SET declined_on = NULL, declined_reason = NULL WHERE id = ?",
        "UPDATE client_representatives SET declined_reason = 'a mistake' WHERE id = ?",
        "UPDATE client_representatives SET declined_on = '2099-01-01' WHERE id = ?",
    ):
        _refused(custodian, sql, (rep.id,))
    assert access.representative(rep.id) == declined


@pytest.mark.parametrize("blank", ["", "   ", "\n\t ", "\u00a0", "\u3000"])
def test_custodian_cannot_remove_contact_details_below_the_api(
    custodian: Vault, practice: Practice, blank: str
) -> None:
    """Set to blank by SQL, a contact is removed as surely as deleted: refused, on an update,
    on an insert and on an upsert; the API's setting and replacing still work."""
    custodian.custodian.set_contact(practice.client, "12 Harbor Road")
    _refused(
        custodian,
        "UPDATE client_contacts SET contact = ? WHERE client_id = ?",
        (blank, practice.client),
    )
    _refused(
        custodian,
        "INSERT INTO client_contacts (client_id, contact, updated_at) VALUES (?, ?, 't') "
        "ON CONFLICT(client_id) DO UPDATE SET contact = excluded.contact",
        (practice.client, blank),
    )
    _refused(
        custodian,
        "INSERT INTO client_contacts (client_id, contact, updated_at) VALUES (?, ?, 't')",
        (practice.other, blank),
    )
    assert custodian.custodian.contact(practice.client) == "12 Harbor Road"
    assert custodian.custodian.contact(practice.other) is None


def test_custodian_sets_and_replaces_contact_details_but_never_removes_them(
    custodian: Vault, practice: Practice
) -> None:
    """The custodian's letters need a current address: set and replaced, audited as theirs;
    removing them (or any row) is refused."""
    custodian.custodian.set_contact(practice.client, "12 Harbor Road\nSpringfield")
    custodian.custodian.set_contact(practice.client, "3 New Street, Springfield")
    assert custodian.custodian.contact(practice.client) == "3 New Street, Springfield"
    with pytest.raises(CustodianReadOnlyError, match="removing a client's contact details"):
        custodian.custodian.set_contact(practice.client, "")
    _refused(custodian, "DELETE FROM client_contacts")
    _refused(custodian, "UPDATE client_contacts SET client_id = ?", (practice.other,))
    assert custodian.custodian.contact(practice.client) == "3 New Street, Springfield"
    edits = [e for e in custodian.audit.entries(limit=20) if e.object_type == "client_contact"]
    assert [e.detail.get("actor") for e in edits] == ["custodian:1", "custodian:1"]


# -- 4. psychotherapy notes: read-only even when granted


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM pnotes",
        "UPDATE pnotes SET body = 'rewritten'",
        "INSERT INTO meta (key, value) VALUES ('x', 'y')",
        "PRAGMA rekey = 'mine'",
        "DROP TABLE pnotes",
        "VACUUM",
    ],
)
def test_granted_psychotherapy_notes_stay_read_only_below_the_api(
    custodian: Vault, practice: Practice, sql: str
) -> None:
    area = custodian.open_psychotherapy_notes(practice.key)
    db = area._db  # the area's own connection, as a custodian in the process could reach it
    assert db is not None
    head = custodian.audit.head()
    assert head is not None
    with pytest.raises(CustodianReadOnlyError):
        db.execute(sql)
    added = [e for e in custodian.audit.entries(limit=5) if e.seq > head[0]]
    assert [(e.action, e.detail["actor"]) for e in added] == [("custodian_refused", "custodian:1")]
    assert "zqcustsqlmark" in area.get(practice.pnote).body


# -- and what the role needs still goes through


def test_custodian_still_answers_a_subpoena_and_an_access_request_end_to_end(
    custodian: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Within the guards: a subpoena opened (its hold placed), its checklist ticked, released
    on a court order (the request marked fulfilled); an access request extended once and
    answered by a copy (marked done); a new letter template version; all named the custodian."""
    from vault.disclosures import ReleaseSpec, RequestType

    start = custodian.audit.head()
    assert start is not None
    requests = custodian.disclosures.requests
    subpoena = requests.open_subpoena(practice.other, "Harbor Law LLP", received_on="2026-01-07")
    assert custodian.holds.is_held(practice.other)
    requests.update(
        subpoena.id,
        client_notified_on="2026-01-08",
        counsel_consulted_on="2026-01-09",
        court_order="Superior Court order of 2026-01-10",
    )
    spec = ReleaseSpec(
        client_id=practice.other,
        request_type=RequestType.SUBPOENA,
        recipient_name="Harbor Law LLP",
        purpose="litigation",
        request_id=subpoena.id,
    )
    custodian.disclosures.write(custodian.disclosures.prepare(spec), tmp_path / "r.txt")
    assert requests.get(subpoena.id).status == "fulfilled"

    access = custodian.disclosures.access
    extended = access.extend(practice.access_request, "records are in storage", tmp_path / "x.txt")
    assert extended.extended
    copy = custodian.disclosures.access_spec(practice.client, request_id=practice.access_request)
    custodian.disclosures.write(custodian.disclosures.prepare(copy), tmp_path / "copy2.txt")
    assert access.get_request(practice.access_request).status == "done"

    custodian.custodian.save_template("Dear {client}, your records are with {custodian}.")
    actors = {e.detail.get("actor") for e in custodian.audit.entries(limit=200) if e.seq > start[0]}
    assert actors == {"custodian:1"}
    assert custodian.audit.verify().ok
