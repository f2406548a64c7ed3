"""The right of access done right (issue 19): the whole designated record set, denials only on
recorded grounds with a written denial and a recorded review, the 30-day clock with one
extension, personal representatives of minors (45 CFR 164.524, 164.502(g))."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.support.disclosures import (
    CATEGORY_MARKERS,
    VISIBLE,
    Practice,
    build,
    output_text,
    signed,
)
from vault import DisclosureRefusedError, MarkupError, OmitCategory, UsageError, Vault
from vault.disclosures import DenialGround

SECRET = "zqdeniedpassagemark"
TODAY = date(2026, 12, 2)


@pytest.fixture
def practice(vault: Vault) -> Practice:
    return build(vault)


def _note_with_secret(vault: Vault, client: int) -> int:
    return signed(
        vault,
        client,
        "soap",
        f"Subjective: slept well. Informant said {SECRET} about the neighbour. "
        "{{omit:dream}}zqowndreammark{{/omit}} Plan: weekly.",
        "2026-03-01",
    )


def _copy(vault: Vault, client: int, request: int | None = None) -> str:
    spec = vault.disclosures.access_spec(client, request_id=request)
    return vault.disclosures.prepare(spec, today=TODAY).preview


def _minor(vault: Vault) -> int:
    return vault.clients.add("Robin Youngling", date_of_birth="2012-05-01").id


@pytest.mark.parametrize("ground", [g for g in DenialGround if g.value != "representative-harm"])
def test_each_ground_withholds_the_passage_from_the_clients_copy(
    vault: Vault, practice: Practice, ground: DenialGround
) -> None:
    """A passage denied on any ground is marked with its ground, never shown; flagged
    passages around it stay in the copy."""
    note = _note_with_secret(vault, practice.client)
    assert SECRET in _copy(vault, practice.client)  # control: in the copy until denied
    denial = vault.disclosures.access.deny(
        practice.client, note, ground, "Risk assessed in session.", passage=SECRET
    )
    text = _copy(vault, practice.client)
    assert SECRET not in text
    assert f"[withheld: ground {ground.value}]" in text
    assert "zqowndreammark" in text and VISIBLE in text
    assert f"{denial.record_id} ({ground.value})" in text
    assert ground.citation.startswith("45 CFR 164.524(a)")
    assert ground.reviewable is ("(a)(3)" in ground.citation)


def test_representative_ground_binds_only_a_representatives_copy(vault: Vault) -> None:
    """Denied under 164.524(a)(3)(iii): withheld from the parent's copy, in the client's own."""
    minor = _minor(vault)
    note = _note_with_secret(vault, minor)
    access = vault.disclosures.access
    parent = access.add_representative(minor, "Pat Youngling", "parent", "parent of a minor")
    with pytest.raises(UsageError, match="only to a personal representative"):
        own = access.request(minor, today=TODAY)
        access.deny(minor, note, "representative-harm", "x", passage=SECRET, request_id=own.id)
    access.deny(minor, note, "representative-harm", "Harm to the client.", passage=SECRET)
    request = access.request(minor, representative_id=parent.id, today=TODAY)
    for_parent = _copy(vault, minor, request.id)
    assert SECRET not in for_parent and "[withheld: ground representative-harm]" in for_parent
    assert "Pat Youngling (parent, personal representative)" in for_parent
    assert SECRET in _copy(vault, minor)


def test_whole_note_denial_and_overlap_with_a_flag(vault: Vault, practice: Practice) -> None:
    """A note denied whole shows only the marker; a denial over a flagged passage hides both."""
    note = _note_with_secret(vault, practice.client)
    access = vault.disclosures.access
    access.deny(practice.client, note, "harm-to-other", "About the neighbour.", passage="zqown")
    text = _copy(vault, practice.client)
    assert "zqowndreammark" not in text and "dreammark" in text  # only the denied part went
    access.deny(practice.client, note, "confidential-source", "Informant.")
    text = _copy(vault, practice.client)
    assert SECRET not in text and "slept well" not in text and "dreammark" not in text
    assert "[withheld: ground confidential-source]" in text


def test_denial_needs_a_ground_and_exact_passage(vault: Vault, practice: Practice) -> None:
    """Unknown grounds, missing or repeated passages, drafts and markers are refused."""
    note = _note_with_secret(vault, practice.client)
    access = vault.disclosures.access
    with pytest.raises(UsageError, match="unknown denial ground"):
        access.deny(practice.client, note, "dislike", "x", passage=SECRET)
    with pytest.raises(UsageError, match="does not occur"):
        access.deny(practice.client, note, "endangerment", "x", passage="not in it")
    with pytest.raises(UsageError, match=r"occurs \d+ times"):
        access.deny(practice.client, note, "endangerment", "x", passage="e")
    with pytest.raises(MarkupError):
        access.deny(practice.client, note, "endangerment", "{{omit:legal}}x{{/omit}}")
    with pytest.raises(UsageError, match="not in C-00003"):
        access.deny(3, note, "endangerment", "x")
    assert access.denials(practice.client) == []


def test_review_by_another_professional_overturns_or_upholds(
    vault: Vault, practice: Practice
) -> None:
    """Only reviewable grounds are reviewed, never by the one who denied; overturned, the
    passage is provided; upheld, it stays withheld; a review is recorded once."""
    vault.disclosures.set_practice(clinician="Dr. Jane Able", credentials="PsyD")
    note = _note_with_secret(vault, practice.client)
    access = vault.disclosures.access
    source = access.deny(practice.client, note, "confidential-source", "x", passage="Informant")
    with pytest.raises(UsageError, match="unreviewable"):
        access.review(
            source.id, reviewer="Dr. Birch", reviewer_license="PSY 1", outcome="upheld", reason="x"
        )
    danger = access.deny(practice.client, note, "endangerment", "Risk.", passage=SECRET)
    assert danger.denied_by == "Dr. Jane Able, PsyD"
    with pytest.raises(UsageError, match="did not take part"):
        access.review(
            danger.id,
            reviewer="Dr. Jane Able",
            reviewer_license="PSY 2",
            outcome="upheld",
            reason="x",
        )
    upheld = access.review(
        danger.id,
        reviewer="Dr. Kim Birch",
        reviewer_license="PSY 12345",
        outcome="upheld",
        reason="The risk is current.",
    )
    assert upheld.outcome == "upheld" and SECRET not in _copy(vault, practice.client)
    with pytest.raises(UsageError, match="already reviewed"):
        access.review(
            danger.id,
            reviewer="Dr. Kim Birch",
            reviewer_license="PSY 1",
            outcome="overturned",
            reason="x",
        )
    second = access.deny(practice.client, note, "harm-to-other", "x", passage="the neighbour")
    overturned = access.review(
        second.id,
        reviewer="Dr. Kim Birch",
        reviewer_license="PSY 12345",
        outcome="overturned",
        reason="No substantial harm.",
    )
    assert not overturned.in_force
    text = _copy(vault, practice.client)
    assert "the neighbour" in text and "[withheld: ground harm-to-other]" not in text


def test_written_denial_has_what_164_524_d_2_requires(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Basis in plain words, the review right and how, complaints to the practice and to HHS;
    never the denied passage. Written as a PDF, recorded as an export of the client."""
    vault.disclosures.set_practice(name="Harbor Counseling", phone="555-0100")
    note = _note_with_secret(vault, practice.client)
    access = vault.disclosures.access
    with pytest.raises(UsageError, match="nothing is withheld"):
        access.denial_letter(practice.client)
    access.deny(practice.client, note, "endangerment", "Risk to a third person.", passage=SECRET)
    letter = access.denial_letter(practice.client, today=TODAY).text()
    flat = " ".join(letter.split())
    assert DenialGround.ENDANGERMENT.words in flat and "164.524(a)(3)(i)" in flat
    assert "Your right to a review" in flat and "did not take part" in flat
    assert "Harbor Counseling" in flat and "555-0100" in flat
    assert "https://www.hhs.gov/ocr/complaints" in flat and "1-800-368-1019" in flat
    assert SECRET not in letter
    out = tmp_path / "denial.pdf"
    access.write_denial_letter(practice.client, out, today=TODAY)
    text = " ".join(output_text(out).split())
    assert "Written denial of access" in text and "1-800-368-1019" in text
    assert SECRET not in text
    assert vault.db.scalar("SELECT count(*) FROM exports WHERE client_id = ?", (practice.client,))


def test_unreviewable_letter_offers_no_review(vault: Vault, practice: Practice) -> None:
    """A denial on an unreviewable ground says so, and offers only the complaints."""
    note = _note_with_secret(vault, practice.client)
    vault.disclosures.access.deny(practice.client, note, "legal-proceedings", "For the case.")
    letter = " ".join(vault.disclosures.access.denial_letter(practice.client).text().split())
    assert "Reviewable: no" in letter and "Your right to a review" not in letter
    assert "1-800-368-1019" in letter


def test_thirty_day_clock_and_one_extension(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Due 30 days after receipt; one extension, before the deadline, with a written notice
    of the reason and the new date; the copy that answers it closes it."""
    access = vault.disclosures.access
    request = access.request(practice.client, received_on="2026-11-20", today=TODAY)
    assert request.due_on == "2026-12-20" and request.days_left(TODAY) == 18
    with pytest.raises(UsageError, match="in the future"):
        access.request(practice.client, received_on="2026-12-03", today=TODAY)
    notice = tmp_path / "extension.pdf"
    extended = access.extend(
        request.id, "Records are being retrieved from storage.", notice, today=TODAY
    )
    assert extended.due_on == "2027-01-19" and extended.extended
    text = " ".join(output_text(notice).split())
    assert "Records are being retrieved from storage." in text and "2027-01-19" in text
    with pytest.raises(UsageError, match="only one 30-day extension"):
        access.extend(request.id, "again", tmp_path / "again.pdf", today=TODAY)
    assert not (tmp_path / "again.pdf").exists()
    late = access.request(practice.client, received_on="2026-10-01", today=TODAY)
    assert late.is_overdue(TODAY)
    with pytest.raises(UsageError, match="passed on 2026-10-31"):
        access.extend(late.id, "late", tmp_path / "late.pdf", today=TODAY)
    assert [r.id for r in access.requests(open_only=True)] == [late.id, request.id]
    plan = vault.disclosures.prepare(
        vault.disclosures.access_spec(practice.client, request_id=request.id)
    )
    record = vault.disclosures.write(plan, tmp_path / "copy.txt")
    done = access.get_request(request.id)
    assert done.status == "done" and done.disclosure_id == record.id
    assert [r.id for r in access.requests(open_only=True)] == [late.id]


def test_parent_of_a_minor_is_the_representative_except_minor_consented_services(
    vault: Vault, tmp_path: Path
) -> None:
    """164.502(g)(3): the parent's copy leaves out the notes of services the minor consented
    to alone (without saying whether any exist); the minor's own copy has them."""
    minor = _minor(vault)
    signed(vault, minor, "soap", "Family therapy zqfamilymark.", "2026-02-01")
    signed(vault, minor, "soap", "Consented alone zqaloneonemark.", "2026-06-01")
    access = vault.disclosures.access
    access.add_minor_service(minor, "substance use counseling", "minor-consented", "2026-05-01")
    parent = access.add_representative(
        minor, "Pat Youngling", "parent", "parent of a minor", "birth certificate seen"
    )
    request = access.request(minor, representative_id=parent.id, today=TODAY)
    for_parent = _copy(vault, minor, request.id)
    assert "zqfamilymark" in for_parent and "zqaloneonemark" not in for_parent
    assert "164.502(g)(3)" in for_parent
    own = _copy(vault, minor)
    assert "zqaloneonemark" in own and "164.502(g)(3)" not in own
    guardian = access.add_representative(minor, "Gil Guardian", "guardian", "order of 2026")
    by_guardian = access.request(minor, representative_id=guardian.id, today=TODAY)
    assert "zqaloneonemark" not in _copy(vault, minor, by_guardian.id)
    agent = access.add_representative(minor, "Ann Agent", "agent", "power of attorney")
    by_agent = access.request(minor, representative_id=agent.id, today=TODAY)
    assert "zqaloneonemark" in _copy(vault, minor, by_agent.id)


def test_representative_standing(vault: Vault) -> None:
    """A parent of an adult, a parent without a date of birth on file, and one the clinician
    judged could endanger the client (recorded) are refused; a guardian of an adult acts."""
    access = vault.disclosures.access
    adult = vault.clients.add("Ada Grown", date_of_birth="1990-01-01").id
    parent = access.add_representative(adult, "Old Parent", "parent", "parent")
    with pytest.raises(DisclosureRefusedError, match="is an adult"):
        access.request(adult, representative_id=parent.id, today=TODAY)
    guardian = access.add_representative(adult, "Gil Guardian", "guardian", "order of 2025-01-02")
    assert access.request(adult, representative_id=guardian.id, today=TODAY).representative_id
    unknown = vault.clients.add("No Birthdate").id
    rep = access.add_representative(unknown, "Some Parent", "parent", "parent")
    with pytest.raises(DisclosureRefusedError, match="date of birth is not recorded"):
        access.request(unknown, representative_id=rep.id, today=TODAY)
    minor = _minor(vault)
    risky = access.add_representative(minor, "Risky Parent", "parent", "parent of a minor")
    request = access.request(minor, representative_id=risky.id, today=TODAY)
    access.decline_representative(risky.id, "Disclosed abuse at home; safety plan in place.")
    with pytest.raises(DisclosureRefusedError, match=r"164\.502\(g\)\(5\)"):
        access.request(minor, representative_id=risky.id, today=TODAY)
    with pytest.raises(DisclosureRefusedError, match="could endanger"):
        vault.disclosures.prepare(vault.disclosures.access_spec(minor, request_id=request.id))
    with pytest.raises(UsageError, match="unknown relation"):
        access.add_representative(minor, "X", "neighbour", "none")


def test_hostile_text_in_every_new_field(vault: Vault, practice: Practice) -> None:
    """Markup and escapes in names and explanations are data in the letter; controls in
    one-line fields are refused."""
    access = vault.disclosures.access
    with pytest.raises(UsageError, match="ESCAPE"):
        access.add_representative(practice.client, "Bad\x1b[2J", "guardian", "order")
    rep = access.add_representative(
        practice.client, "[bold]Rep[/bold] שלום 你好", "guardian", "[red]order[/red]"
    )
    assert rep.name == "[bold]Rep[/bold] שלום 你好"
    note = _note_with_secret(vault, practice.client)
    access.deny(practice.client, note, "endangerment", "[link=x]explained[/link]\nline two")
    letter = access.denial_letter(practice.client).text()
    assert "[link=x]explained[/link]" in letter
    with pytest.raises(UsageError, match="ESCAPE"):
        access.deny(practice.client, note, "endangerment", "bad \x1b]52;c;x\x07")


def test_disposal_deletes_requests_denials_and_representatives(vault: Vault) -> None:
    """The new rows go with their client at disposal, and verification finds no trace."""
    from tests.support.cli import PASSPHRASE
    from tests.support.disposal import make_practice

    ids = make_practice(vault)
    gone = ids["gone"]
    note = next(n for n in vault.notes.timeline(gone) if n.signed_at is not None).id
    access = vault.disclosures.access
    rep = access.add_representative(gone, "Zebulon Rephold", "guardian", "order of 2009")
    request = access.request(gone, representative_id=rep.id, today=TODAY)
    access.deny(gone, note, "endangerment", "Risk.", request_id=request.id)
    access.add_minor_service(gone, "counseling", "court-authorized", "2009-01-01")
    result = vault.disposal.dispose(PASSPHRASE, [gone], ["Quillon Zabriskie"])
    assert result.verification.ok
    for table in ("access_requests", "access_denials", "client_representatives", "minor_services"):
        assert vault.db.scalar(f"SELECT count(*) FROM {table}") == 0, table


def test_access_copy_keeps_psychotherapy_notes_out(vault: Vault, practice: Practice) -> None:
    """Even with every flag released, psychotherapy notes are never part of the copy."""
    from tests.support.disclosures import PNOTE_MARKER

    text = _copy(vault, practice.client)
    assert PNOTE_MARKER not in text and CATEGORY_MARKERS[OmitCategory.HIV_STI] in text


def test_render_denied_marks_each_denial_and_overlap_once() -> None:
    """Adjacent denials keep a marker each; a denial over part of another participant's
    passage hides all of both; an included flag shows."""
    from vault import OmitSpan
    from vault.disclosures.access import Denial, render_denied

    def denial(n: int, start: int, end: int, ground: str) -> Denial:
        return Denial(
            n,
            1,
            1,
            start,
            end,
            DenialGround(ground),
            "x",
            "2026-01-01",
            "me",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "2026-01-01",
        )

    body = "aaaa bbbb cccc dddd"
    own = OmitSpan(0, 4, OmitCategory.DREAM_FANTASY)
    theirs = OmitSpan(10, 14, OmitCategory.LEGAL, about=2)
    out = render_denied(
        body,
        (own, theirs),
        {OmitCategory.DREAM_FANTASY, OmitCategory.LEGAL},
        (theirs,),
        (
            denial(1, 5, 7, "endangerment"),
            denial(2, 7, 9, "harm-to-other"),
            denial(3, 12, 16, "inmate"),
        ),
    )
    assert out == (
        "aaaa [withheld: ground endangerment][withheld: ground harm-to-other] "
        "[withheld: another participant's passage][withheld: ground inmate]ddd"
    )


MARKUP = "[bold]x[/bold] [link=https://e.x]y[/link] שלום 你好 👩‍⚕️"


def test_every_new_field_takes_hostile_text_as_data(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Markup, RTL, CJK and emoji in every new field reach the letters literally (txt and PDF);
    escapes, NUL and bidi overrides are refused in one-line fields and long texts alike."""
    access = vault.disclosures.access
    note = _note_with_secret(vault, practice.client)
    for bad in ("a\x1b[31m", "a\u202eb", "a\x00b"):
        with pytest.raises(UsageError):
            access.add_representative(practice.client, bad, "guardian", "order")
        with pytest.raises(UsageError):
            access.add_representative(practice.client, "ok", "guardian", bad)
        with pytest.raises(UsageError):
            access.add_minor_service(practice.client, bad, "minor-consented", "2026-01-01")
        with pytest.raises(UsageError):
            access.deny(practice.client, note, "endangerment", bad)
        request = access.request(practice.client, today=TODAY)
        with pytest.raises(UsageError):
            access.extend(request.id, bad, tmp_path / "bad.txt", today=TODAY)
    assert not (tmp_path / "bad.txt").exists()
    rep = access.add_representative(practice.client, MARKUP, "guardian", MARKUP, MARKUP)
    assert (rep.name, rep.authority, rep.documents) == (MARKUP, MARKUP, MARKUP)
    assert access.add_minor_service(practice.client, MARKUP, "parent-agreed", "2026-01-01").service
    denial = access.deny(practice.client, note, "harm-to-other", MARKUP, passage=SECRET)
    access.review(
        denial.id, reviewer=MARKUP, reviewer_license=MARKUP, outcome="upheld", reason=MARKUP
    )
    by_rep = access.request(practice.client, representative_id=rep.id, today=TODAY)
    letter = access.denial_letter(practice.client, by_rep.id, today=TODAY).text()
    assert letter.count(MARKUP) >= 3  # the requester, the explanation, the reviewer
    access.write_denial_letter(practice.client, tmp_path / "letter.pdf", request_id=by_rep.id)
    pdf = output_text(tmp_path / "letter.pdf")
    assert "你好" in pdf and "[bold]x[/bold]" in pdf
    access.extend(by_rep.id, MARKUP, tmp_path / "notice.md", today=TODAY)
    notice = (tmp_path / "notice.md").read_text()
    assert "你好" in notice and "\\[bold\\]" in notice  # escaped: Markdown renders no markup
