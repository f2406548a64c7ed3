"""The incident register: safe harbor and breach paths, the 60-day clock, notice letters, the HHS
log, survival of disposal, and hostile text."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import DEFAULT_PRESET, TEST_PRESET, UsageError, Vault
from vault.errors import NotFoundError
from vault.incidents import Conclusion, MediaCopy
from vault.retention.certificate import render_text

TODAY = date(2026, 11, 20)


def _copy(kdf: dict[str, object], *record_ids: str) -> MediaCopy:
    return MediaCopy(
        "confide-2026-11-18.cfb",
        "2026-11-18T09:00:00+00:00",
        "AES-256-GCM",
        256,
        "SQLCipher 4: AES-256-CBC pages with HMAC-SHA512 per page",
        kdf,
        record_ids,
        1,
    )


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _two_clients(vault: Vault) -> tuple[int, int]:
    a = vault.clients.add("Marigold Testperson", date_of_birth="1980-04-04")
    b = vault.clients.add("Tobias Sampleton")
    vault.notes.create(a.id, body="session about sleep")
    return a.id, b.id


def test_lost_drive_with_strong_kdf_and_safe_keys_is_not_a_breach(vault: Vault) -> None:
    """Safe harbor: every copy strongly encrypted, keys not compromised -> not a breach, no
    clock, no letters."""
    a, b = _two_clients(vault)
    incident = vault.incidents.open(
        "lost_device",
        "2026-11-19",
        "The backup stick fell out of my bag on the bus.",
        occurred_on="2026-11-18",
        media="USB drive 'blue stick'",
        copies=[_copy(DEFAULT_PRESET.to_json(), "C-00001", "C-00002")],
        today=TODAY,
    )
    assert incident.record_id == "I-000001"
    assert [c.record_id for c in incident.clients] == ["C-00001", "C-00002"]
    assert incident.clients[0].notes == 1 and incident.clients[0].source == "catalog"
    assert "2 client(s)" in incident.nature  # factor 1 pre-filled from what Confide knows
    facts = "\n".join(vault.incidents.known_facts(incident))
    assert "AES-256-GCM 256-bit" in facts and "Argon2id t=3, m=256 MiB, p=2" in facts
    assert "WARNING" not in facts and "Not answered yet" in facts
    # Presumed a breach until concluded: the clock runs from discovery.
    assert vault.incidents.warnings(TODAY) == [
        "Incident I-000001 is not assessed yet: presumed a breach, notices due by 2027-01-18 "
        "(59 days left)"
    ]
    with pytest.raises(UsageError, match="keys uncompromised"):
        vault.incidents.conclude(incident.id, "not-breach", "encrypted")
    vault.incidents.assess(
        incident.id, keys_compromised="no", recipient="Unknown finder; the drive was not recovered."
    )
    done = vault.incidents.conclude(
        incident.id,
        "safe-harbor",
        "Encrypted with AES-256; the passphrase was never written "
        "down and the recovery sheet is in the safe.",
        today=TODAY,
    )
    assert done.conclusion is Conclusion.NOT_BREACH and done.deadline is None
    assert vault.incidents.warnings(TODAY) == []
    with pytest.raises(UsageError, match="not concluded a breach"):
        vault.incidents.notice_document(incident.id, a, today=TODAY)
    closed = vault.incidents.close(incident.id, "Drive replaced.", today=TODAY)
    assert not closed.is_open and b


def test_weak_test_preset_is_flagged_and_refuses_the_safe_harbor(vault: Vault) -> None:
    _two_clients(vault)
    incident = vault.incidents.open(
        "stolen_device",
        "2026-11-19",
        "Laptop bag stolen.",
        copies=[_copy(TEST_PRESET.to_json(), "C-00001")],
        today=TODAY,
    )
    facts = vault.incidents.known_facts(incident)
    assert any(
        line.startswith("WARNING: confide-2026-11-18.cfb was written with the weak test")
        for line in facts
    )
    vault.incidents.assess(incident.id, keys_compromised="no")
    with pytest.raises(UsageError, match="weak test key-derivation preset"):
        vault.incidents.conclude(incident.id, "not_breach", "it was encrypted")
    assert vault.incidents.get(incident.id).conclusion is None  # nothing changed


def test_low_probability_needs_all_four_factors(vault: Vault) -> None:
    a, _ = _two_clients(vault)
    incident = vault.incidents.open(
        "misdirected_release",
        "2026-11-10",
        "Fax sent to the wrong clinic.",
        clients=[a],
        today=TODAY,
    )
    with pytest.raises(UsageError, match="who got it, whether it was acquired"):
        vault.incidents.conclude(incident.id, "low", "the clinic shredded it")
    vault.incidents.assess(
        incident.id,
        nature="Name and one session date.",
        recipient="Another covered entity, bound by HIPAA.",
        acquired="Opened, read only far enough to see it was misdirected.",
        mitigation="Written assurance of destruction received.",
    )
    done = vault.incidents.conclude(incident.id, "low-probability", "All four factors low.")
    assert done.conclusion is Conclusion.LOW_PROBABILITY and done.deadline is None


def test_breach_letters_clock_notices_close_and_hhs_log(vault: Vault, tmp_path: Path) -> None:
    """A breach: a PDF letter per client with the 164.404(c) elements, the deadline until
    closed, each notice recorded, and the year's HHS log lists it."""
    a, b = _two_clients(vault)
    vault.disclosures.set_practice(
        name="Harbor Counseling", phone="555-0100", address="1 Quay Street"
    )
    incident = vault.incidents.open(
        "stolen_device",
        "2026-11-02",
        "The practice laptop was stolen from my car.",
        occurred_on="2026-11-01",
        media="Laptop",
        clients=[a, b],
        kinds=["identity", "notes"],
        containment="Reported to police; passphrase changed.",
        today=TODAY,
    )
    vault.incidents.assess(
        incident.id,
        keys_compromised="yes",
        acquired="Unknown; the passphrase was on a note in the bag.",
    )
    concluded = vault.incidents.conclude(
        incident.id, "breach", "The passphrase was with the laptop.", today=TODAY
    )
    assert concluded.deadline == date(2027, 1, 1)
    assert vault.incidents.warnings(TODAY) == [
        "BREACH I-000001: notify 2 of 2 affected client(s) by 2027-01-01 (42 days left); "
        "then close it"
    ]
    with pytest.raises(UsageError, match="no notice recorded as sent"):
        vault.incidents.close(incident.id, today=TODAY)
    letters = {}
    for client in (a, b):
        path = tmp_path / f"notice-C-{client:05d}.pdf"
        notice = vault.incidents.write_notice(incident.id, client, path, today=TODAY)
        assert notice.state == "written" and notice.format == "pdf" and path.is_file()
        letters[client] = " ".join(_pdf_text(path).split())
    first = letters[a]
    for expected in (
        "Notice of a breach of your health information",
        "Dear Marigold Testperson",
        "The practice laptop was stolen from my car.",
        "happened on 2026-11-01",
        "discovered it on 2026-11-02",
        "Your name and date of birth and the notes of your sessions",
        "Review the statements from your health insurer",
        "Reported to police; passphrase changed.",
        "555-0100",
        "1 Quay Street",
        "I-000001-C-00001",
    ):
        assert expected in first, expected
    assert "Tobias" not in first and "Dear Tobias Sampleton" in letters[b]
    vault.incidents.record_sent(incident.id, a, sent_on="2026-11-20", today=TODAY)
    assert "notify 1 of 2" in vault.incidents.warnings(TODAY)[0]
    # The clock shows overdue days when it has run out.
    assert "(4 days OVERDUE)" in vault.incidents.warnings(date(2027, 1, 5))[0]
    vault.incidents.record_sent(incident.id, "C-00002", method="email", today=TODAY)
    assert vault.incidents.warnings(TODAY) == [
        "BREACH I-000001: every affected client has a notice recorded as sent; close the incident"
    ]
    closed = vault.incidents.close(incident.id, "All notified.", today=TODAY)
    assert not closed.is_open and vault.incidents.warnings(TODAY) == []
    # Early the next year, until the HHS log is due, unlocking reminds of it.
    assert vault.incidents.warnings(date(2027, 1, 10)) == [
        "HHS log 2026: 1 breach(es) affecting fewer than 500 people to report to HHS by 2027-03-01"
    ]
    assert vault.incidents.warnings(date(2027, 3, 2)) == []
    log = vault.incidents.hhs_log(2026)
    assert log.due == "2027-03-01" and [e.incident for e in log.under_500] == ["I-000001"]
    entry = log.under_500[0]
    assert entry.individuals == 2 and entry.type == "Theft" and entry.location == "Laptop"
    assert entry.notice_dates == "yes, 2 of 2, 2026-11-20"
    text = log.text()
    assert "Discovery date: 2026-11-02" in text and "by 2027-03-01" in text
    assert "Marigold" not in text and "Tobias" not in text  # counts, never names
    assert vault.incidents.hhs_log(2025).under_500 == ()
    actions = [e.action for e in vault.audit.entries(limit=50)]
    for action in (
        "incident_open",
        "incident_assess",
        "incident_conclude",
        "incident_notice",
        "incident_close",
        "incident_hhs_log",
    ):
        assert action in actions
    assert vault.audit.verify().ok
    assert "Marigold" not in json.dumps([e.detail for e in vault.audit.entries(limit=100)])


def test_the_register_survives_disposal_of_a_named_client(vault: Vault) -> None:
    """Record ids and counts stay after the client is disposed of; disposal still verifies."""
    ids = make_practice(vault)
    incident = vault.incidents.open(
        "misdirected_release",
        "2026-11-01",
        "Release of C-00001 mailed to the wrong address.",
        clients=[ids["gone"], ids["kept"]],
        kinds=["identity", "notes"],
        today=TODAY,
    )
    vault.incidents.conclude(incident.id, "breach", "Read by a stranger.", today=TODAY)
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert result.verification.ok, render_text(result.certificate)
    after = vault.incidents.get(incident.id)
    gone = {c.record_id: c for c in after.clients}
    assert set(gone) == {"C-00001", "C-00003"}
    assert gone["C-00001"].notes == 12 and not gone["C-00001"].in_vault
    assert gone["C-00003"].in_vault
    with pytest.raises(NotFoundError, match="no longer in the vault"):
        vault.incidents.notice_document(incident.id, ids["gone"], today=TODAY)
    # The notice can still be recorded as sent (written outside Confide).
    vault.incidents.record_sent(incident.id, "C-00001", today=TODAY)
    assert vault.incidents.get(incident.id).unnotified == ("C-00003",)


def test_hostile_text_stays_text(vault: Vault, tmp_path: Path) -> None:
    """Markup, template placeholders and control characters in what the clinician types."""
    a, _ = _two_clients(vault)
    with pytest.raises(UsageError, match="U\\+001B ESCAPE"):
        vault.incidents.open("other", "2026-11-01", "bad \x1b[31m red", today=TODAY)
    assert vault.incidents.list() == []  # nothing recorded
    # The media is a one-line field under the one rule for names: a tab or a bidi override is
    # refused by name, never silently folded into a space.
    with pytest.raises(UsageError, match="U\\+0009 CHARACTER TABULATION"):
        vault.incidents.open("other", "2026-11-01", "lost", media="USB\tstick", today=TODAY)
    with pytest.raises(UsageError, match="U\\+202E"):
        vault.incidents.open("other", "2026-11-01", "lost", media="USB\u202estick", today=TODAY)
    assert vault.incidents.list() == []
    hostile = "[/] [bold]x[/bold] {client_name} {steps} \\x41 <script>"
    incident = vault.incidents.open("other", "2026-11-01", hostile, clients=[a], today=TODAY)
    vault.incidents.conclude(incident.id, "breach", "[/]", today=TODAY)
    doc = vault.incidents.notice_document(incident.id, a, today=TODAY)
    assert hostile in doc.text()  # placeholders inside the description are not filled
    assert doc.text().count("Marigold Testperson") == 2  # To: and Dear ..., nothing more
    path = tmp_path / "n.pdf"
    vault.incidents.write_notice(incident.id, a, path, today=TODAY)
    assert "{client_name} {steps}" in _pdf_text(path)
    with pytest.raises(UsageError, match="in the future"):
        vault.incidents.open("other", "2030-01-01", "x", today=TODAY)
    with pytest.raises(UsageError, match="unknown incident kind"):
        vault.incidents.open("flood", "2026-11-01", "x", today=TODAY)


def test_the_letter_template_is_editable_but_keeps_every_element(vault: Vault) -> None:
    a, _ = _two_clients(vault)
    default = vault.incidents.template()
    with pytest.raises(UsageError, match=r"the steps individuals should take.*\{steps\}"):
        vault.incidents.set_template(default.replace("{steps}", "nothing"))
    with pytest.raises(UsageError, match="unknown placeholder"):
        vault.incidents.set_template(default + "{ssn}\n")
    custom = default.replace("Dear {client_name},", "Hello {client_name}, from {practice_name}.")
    vault.incidents.set_template(custom)
    incident = vault.incidents.open(
        "other", "2026-11-01", "Email to wrong person.", clients=[a], today=TODAY
    )
    vault.incidents.conclude(incident.id, "breach", "It was read.", today=TODAY)
    vault.incidents.set_letter(incident.id, steps="Call us; change nothing.")
    text = vault.incidents.notice_document(incident.id, a, today=TODAY).text()
    assert "Hello Marigold Testperson, from Practice name not set" in text
    assert "Call us; change nothing." in text
    assert vault.incidents.set_template(None) == default


def test_a_misdirected_release_names_its_client_from_the_disclosure_log(
    vault: Vault, tmp_path: Path
) -> None:
    a, _ = _two_clients(vault)
    note = vault.notes.create(a, body="second session")
    vault.notes.sign(note.id)
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(a))
    release = vault.disclosures.write(plan, tmp_path / "copy.txt")
    incident = vault.incidents.open(
        "misdirected_release",
        "2026-11-19",
        f"{release.record_id} was mailed to an old address.",
        releases=[release.id],
        today=TODAY,
    )
    [client] = incident.clients
    assert (client.record_id, client.source, client.notes) == ("C-00001", "disclosure", 1)
    assert client.kinds == ("identity", "release")
    vault.incidents.conclude(incident.id, "breach", "Opened by the new tenant.", today=TODAY)
    text = vault.incidents.notice_document(incident.id, a, today=TODAY).text()
    assert "Your name and date of birth and the records in a release of information." in text
    with pytest.raises(NotFoundError, match="no disclosure R-000009"):
        vault.incidents.open("misdirected_release", "2026-11-19", "x", releases=[9], today=TODAY)


def test_a_client_name_in_the_register_is_refused(vault: Vault) -> None:
    """The register outlives disposal and letter wording goes to every client: record ids only."""
    a, _ = _two_clients(vault)
    with pytest.raises(UsageError, match=r"names a client; write their record id \(C-00001\)"):
        vault.incidents.open(
            "other",
            "2026-11-01",
            "Sent marigold testperson's file to a stranger.",
            clients=[a],
            today=TODAY,
        )
    assert vault.incidents.list() == []
    incident = vault.incidents.open(
        "other", "2026-11-01", "Sent C-00001's file to a stranger.", clients=[a], today=TODAY
    )
    with pytest.raises(UsageError, match="the assessment names a client"):
        vault.incidents.assess(incident.id, recipient="Tobias Sampleton's neighbour")
    with pytest.raises(UsageError, match="the letter's steps names a client"):
        vault.incidents.set_letter(incident.id, steps="Ask Marigold Testperson")
    assert vault.incidents.get(incident.id).recipient == ""
