"""The confidentiality notice: versioned template, a client's notice ready to sign, given and
acknowledged with the version, and who needs one (issue 18 part 1)."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from vault import Vault
from vault.disclosures.notice import NoticeState, parse_template
from vault.errors import UsageError

HOSTILE = "[bold red]Kai[/] \x1b]8;;http://x\x1b\\Zed\u202e عربي 漢字"


def test_default_template_covers_the_exceptions_and_rights(vault: Vault) -> None:
    template = vault.disclosures.notices.template()
    assert template.version == 1
    titles = " | ".join(s.title for s in template.sections).lower()
    for needed in (
        "imminent harm",
        "abuse or neglect",
        "court orders",
        "supervision",
        "telehealth",
        "minors",
        "your rights",
    ):
        assert needed in titles
    state = next(s for s in template.sections if s.title.startswith("State-specific"))
    assert state.optional and not state.enabled and state not in template.included


def test_editing_makes_a_new_version_and_keeps_the_old_text(vault: Vault) -> None:
    notices = vault.disclosures.notices
    first = notices.template()
    second = notices.save_template(first.text + "\n\n## Fees\nMissed sessions are charged.")
    assert second.version == 2 and notices.template(1).text == first.text
    assert notices.save_template(second.text).version == 2  # unchanged: nothing saved
    third = notices.switch_section("state-specific requirements", on=True)
    assert third.version == 3
    assert any(s.title.startswith("State-specific") for s in third.included)
    with pytest.raises(UsageError, match="not optional"):
        notices.switch_section("Telehealth", on=False)
    # A kept version cannot be changed behind the record's back.
    with pytest.raises(Exception, match="kept as it was given"):
        vault.db.execute("UPDATE notice_templates SET text = 'x' WHERE version = 1")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Preamble without a heading\n## A\ntext", "before the first section"),
        ("## A\n\n## B\ntext", "has no text"),
        ("## A\ntext\n## a\nmore", "two sections"),
        ("## A (optional: off)\ntext", "switched off"),
        ("", "empty"),
        ("## A\nnul \x00 here", "U\\+0000"),
    ],
)
def test_a_broken_template_is_refused_and_nothing_changes(
    vault: Vault, text: str, error: str
) -> None:
    with pytest.raises(UsageError, match=error):
        vault.disclosures.notices.save_template(text)
    assert vault.disclosures.notices.template().version == 1


def test_given_acknowledged_and_who_needs_a_notice(vault: Vault) -> None:
    notices = vault.disclosures.notices
    missing = vault.clients.add("Avery Sampleton")
    old = vault.clients.add("Blake Sampleton", consent_notice_date="2026-01-10")
    done = vault.clients.add("Casey Sampleton")
    notices.give(done.id, "2026-02-01", acknowledged_on="2026-02-01")
    states = {s.client_id: s.state for s in notices.statuses()}
    assert states == {
        missing.id: NoticeState.MISSING,
        old.id: NoticeState.UNACKNOWLEDGED,  # client add --consent-notice records version 1
        done.id: NoticeState.CURRENT,
    }
    notices.acknowledge(old.id, "2026-01-12")
    with pytest.raises(UsageError, match="already acknowledged"):
        notices.acknowledge(old.id)
    notices.save_template(notices.template().text + "\n\n## Fees\nCharged.")
    states = {s.client_id: s.state for s in notices.statuses()}
    assert states[old.id] is NoticeState.OUTDATED and states[done.id] is NoticeState.OUTDATED
    assert "current template is version 2" in notices.status(done.id).describe()
    again = notices.give(done.id, date.today())
    assert again.template_version == 2 and again.record_id.startswith("K-")
    assert notices.status(done.id).state is NoticeState.UNACKNOWLEDGED
    assert vault.clients.get_unaudited(done.id).consent_notice_date == date.today().isoformat()
    with pytest.raises(UsageError, match="before it was given"):
        notices.give(missing.id, "2026-03-02", acknowledged_on="2026-03-01")
    with pytest.raises(UsageError, match="in the future"):
        notices.give(missing.id, "2999-01-01")
    assert notices.status(missing.id).state is NoticeState.MISSING
    actions = [e.action for e in vault.audit.entries()]
    assert actions.count("notice") == 4  # given, acknowledged, template saved, given


def test_pdf_ready_to_sign_shows_hostile_text_literally(vault: Vault, tmp_path: Path) -> None:
    client = vault.clients.add(
        HOSTILE.replace("\x1b", "").replace("\u202e", ""), date_of_birth="1990-04-05"
    )
    notices = vault.disclosures.notices
    notices.save_template("## Fees [b]bold[/b] <i>\nCharged **as** $[red]typed[/red].")
    out = notices.write(client.id, tmp_path / "notice.pdf", today=date(2026, 12, 2))
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "[bold red]Kai[/]" in text and "漢字" in text
    assert "Fees [b]bold[/b] <i>" in text and "$[red]typed[/red]" in text
    assert "1990-04-05" in text and "2026-12-02" in text and "template version 2" in text
    assert "Signature" in text and "Date" in text
    row = vault.db.one("SELECT kind, client_id FROM exports ORDER BY id DESC LIMIT 1")
    assert row is not None and int(row["client_id"]) == client.id


def test_parse_keeps_optional_on_sections() -> None:
    sections = parse_template("## A\none\n## B (optional: on)\ntwo")
    assert [(s.title, s.optional, s.enabled) for s in sections] == [
        ("A", False, True),
        ("B", True, True),
    ]


def test_the_signed_scan_links_to_its_given_notice(vault: Vault, tmp_path: Path) -> None:
    """The K-number of a given notice is what a scanned, signed copy is filed against; a
    notice of another client, or one that does not exist, is refused and nothing is stored."""
    from tests.support.attachments import fake_pdf, write
    from vault import NotFoundError
    from vault.attachments import Link

    mine = vault.clients.add("Ivo Testperson").id
    other = vault.clients.add("Una Otherperson").id
    given = vault.disclosures.notices.give(mine, "2026-11-02", acknowledged_on="2026-11-02")
    theirs = vault.disclosures.notices.give(other, "2026-11-02")
    scan = write(tmp_path / "signed-notice.pdf", fake_pdf("signed notice"))
    link = Link.parse(f"notice:{given.record_id}")
    assert link == Link.parse(f"consent_notice:{given.id}") == Link("consent_notice", given.id)
    filed = vault.attachments.add(scan, mine, "consent", link)
    assert filed.link is not None and filed.link.record_id == given.record_id
    assert vault.attachments.get_unaudited(filed.id).link == link
    with pytest.raises(UsageError, match=f"notice {theirs.record_id} belongs to another client"):
        vault.attachments.add(scan, mine, "consent", Link("consent_notice", theirs.id))
    with pytest.raises(NotFoundError, match="no notice K-00099"):
        vault.attachments.add(scan, mine, "consent", Link.parse("notice:K-00099"))
    with pytest.raises(UsageError, match="not a notice identifier"):
        Link.parse("notice:A-00001")
    assert vault.db.scalar("SELECT count(*) FROM attachments") == 1


def test_a_date_recorded_before_versions_becomes_an_outdated_notice(
    new_vault: tuple[Vault, str],
) -> None:
    """A vault from before migration 9: each client's `consent_notice_date` becomes a given
    notice of unknown version (outdated, so the client is asked to sign the current text), and
    a date typed afterwards records the current version."""
    from tests.support.cli import PASSPHRASE

    vault, _ = new_vault
    kept = vault.clients.add("Dana Sampleton").id
    none = vault.clients.add("Eli Sampleton").id
    db = vault.db
    # Undo migration 9 as an older Confide would have left the file: the date only.
    db.execute("DROP TRIGGER consent_notice_on_client_insert")
    db.execute("DROP TRIGGER consent_notice_on_client_update")
    db.execute("DROP TABLE consent_notices")
    db.execute("DROP TABLE notice_templates")
    db.execute("DELETE FROM schema_migrations WHERE version = 9")
    db.execute("UPDATE clients SET consent_notice_date = '2025-06-01' WHERE id = ?", (kept,))
    vault.lock()

    again = Vault.unlock(vault.folder, PASSPHRASE)
    try:
        notices = again.disclosures.notices
        (old,) = notices.given(kept)
        read = again.audit.entries()[0]  # a client's notices are part of the record: audited
        assert (read.action, read.object_type, read.object_id) == (
            "view",
            "consent_notices",
            str(kept),
        )
        assert read.detail == {"count": 1}
        assert (old.given_on, old.template_version, old.acknowledged_on) == (
            "2025-06-01",
            None,
            None,
        )
        status = notices.status(kept)
        assert status.state is NoticeState.OUTDATED
        assert notices.status(none).state is NoticeState.MISSING
        assert notices.template().version == 1  # the built-in text
        again.clients.update(kept, consent_notice_date="2026-02-03")
        latest = notices.latest(kept)
        assert latest is not None and latest.template_version == 1
        assert latest.given_on == "2026-02-03" and latest.id != old.id
    finally:
        again.lock()
