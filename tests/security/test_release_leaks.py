"""Leak tests: nothing withheld leaves in any output format, and what is released does."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from tests.support.disclosures import (
    ADDENDUM,
    AMEND_FLAGGED,
    AMEND_VISIBLE,
    CATEGORY_MARKERS,
    DRAFT,
    JOINT_PASSAGE,
    OTHER_CLIENT,
    OTHER_FIRST,
    OTHER_LAST,
    PASSPHRASE,
    PLAN_MARKER,
    PNOTE_FLAGGED,
    PNOTE_MARKER,
    VISIBLE,
    WHOLE_NOTE,
    Practice,
    build,
    outline_titles,
    output_text,
    pdf_text,
    signed,
)
from vault import MarkupError, OmitCategory, SessionInfo, UsageError, Vault
from vault.disclosures import ReleaseSpec, RequestType

PDF_PASSWORD = "granite orchard violin ember"
INCLUDED = OmitCategory.SUBSTANCE_USE


@pytest.fixture
def practice(vault: Vault) -> Practice:
    return build(vault)


def _court_release(vault: Vault, p: Practice, **extra: object) -> ReleaseSpec:
    fields: dict[str, object] = dict(
        client_id=p.client,
        request_type=RequestType.COURT_ORDER,
        recipient_name="County Court Clerk",
        purpose="court-ordered production",
        court_order="Superior Court, case 26-CV-101, order of 2026-11-01",
        include_categories=(INCLUDED,),
    )
    fields.update(extra)
    return ReleaseSpec(**fields)  # type: ignore[arg-type]


def _withheld_markers(pnotes_released: bool = False) -> list[str]:
    markers = [m for c, m in CATEGORY_MARKERS.items() if c is not INCLUDED]
    markers += [
        JOINT_PASSAGE,
        OTHER_FIRST,
        OTHER_LAST,
        WHOLE_NOTE,
        DRAFT,
        OTHER_CLIENT,
        AMEND_FLAGGED,
        PNOTE_FLAGGED,
    ]
    if not pnotes_released:
        markers.append(PNOTE_MARKER)
    return markers


RELEASED = [VISIBLE, ADDENDUM, PLAN_MARKER, CATEGORY_MARKERS[INCLUDED], AMEND_VISIBLE]


def _assert_no_leak(text: str, pnotes_released: bool = False) -> None:
    lowered = text.lower()
    leaked = [m for m in _withheld_markers(pnotes_released) if m.lower() in lowered]
    assert leaked == [], f"withheld content leaked: {leaked}"
    missing = [m for m in RELEASED if m.lower() not in lowered]
    assert missing == [], f"released content missing: {missing}"


@pytest.mark.parametrize(
    "name,password",
    [
        ("release.pdf", None),
        ("protected.pdf", PDF_PASSWORD),
        ("release.txt", None),
        ("release.md", None),
    ],
)
def test_no_withheld_marker_in_any_format(
    vault: Vault, practice: Practice, tmp_path: Path, name: str, password: str | None
) -> None:
    """Flagged passages, psychotherapy notes, drafts, other participants leave in no format."""
    out = tmp_path / "out" / name
    out.parent.mkdir()
    plan = vault.disclosures.prepare(_court_release(vault, practice))
    _assert_no_leak(plan.preview)
    vault.disclosures.write(plan, out, password=password)
    text = output_text(out, password)
    _assert_no_leak(text)
    for category in OmitCategory:
        if category is not INCLUDED:
            assert f"[withheld: {category.label}]".lower() in " ".join(text.lower().split())
    raw = out.read_bytes()
    assert not any(m.encode() in raw for m in _withheld_markers())
    assert sorted(p.name for p in out.parent.iterdir()) == [name]


def test_pdf_metadata_and_bookmarks_carry_no_content(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """PDF title/author/subject/keywords and outline name only the release and note ids."""
    out = tmp_path / "r.pdf"
    vault.disclosures.write(vault.disclosures.prepare(_court_release(vault, practice)), out)
    meta = pypdf.PdfReader(out).metadata or {}
    assert meta.get("/Title") == "Release of records R-000001"
    for value in meta.values():
        assert "Sampleton" not in str(value)
        assert not any(m.lower() in str(value).lower() for m in _withheld_markers())
    titles = outline_titles(out)
    assert titles and all(t.startswith(("N-", "Addendum N-")) for t in titles)
    assert f"N-{practice.joint_note:06d}  DAP progress note" in titles


def test_encrypted_pdf_needs_the_password(vault: Vault, practice: Practice, tmp_path: Path) -> None:
    """A password-protected PDF is AES-256 and unreadable without the password."""
    out = tmp_path / "p.pdf"
    vault.disclosures.write(
        vault.disclosures.prepare(_court_release(vault, practice)), out, password=PDF_PASSWORD
    )
    reader = pypdf.PdfReader(out)
    assert reader.is_encrypted
    assert reader.decrypt("wrong password") == pypdf.PasswordType.NOT_DECRYPTED
    encrypt = reader.trailer["/Encrypt"]
    assert encrypt["/V"] == 5 and encrypt["/R"] in (5, 6)  # AES-256
    assert VISIBLE.encode() not in out.read_bytes()
    assert VISIBLE in pdf_text(out, PDF_PASSWORD)


@pytest.mark.parametrize("name", ["with-pnotes.pdf", "with-pnotes.txt", "with-pnotes.md"])
def test_psychotherapy_notes_leave_only_with_their_own_authorization(
    vault: Vault, practice: Practice, tmp_path: Path, name: str
) -> None:
    """With a valid psychotherapy-notes authorization (and the passphrase) they are released,
    their flagged passages withheld like any note's (in every format)."""
    auth = vault.disclosures.authorizations.add(
        practice.client,
        kind="psychotherapy_notes",
        description="psychotherapy notes 2026",
        discloser="Dr. Able",
        recipient_name="County Court Clerk",
        purpose="court-ordered production",
        signed_on="2026-10-01",
        expires_on="2099-10-01",
    )
    spec = _court_release(vault, practice, pnotes_authorization_id=auth.id)
    plan = vault.disclosures.prepare(spec, passphrase=PASSPHRASE)
    assert plan.pnote_count == 1
    out = tmp_path / name
    vault.disclosures.write(plan, out)
    text = output_text(out)
    _assert_no_leak(text, pnotes_released=True)
    assert PNOTE_MARKER in text
    assert "[withheld: third-party information]" in " ".join(text.split())
    assert "{{" not in text


def test_every_marker_is_in_the_vault(vault: Vault, practice: Practice, tmp_path: Path) -> None:
    """Control: including every category on purpose releases every category's marker, so the
    leak tests above would fail if withholding were switched off."""
    spec = _court_release(vault, practice, include_categories=tuple(OmitCategory))
    out = tmp_path / "all.txt"
    record = vault.disclosures.write(vault.disclosures.prepare(spec), out)
    text = out.read_text()
    for category, marker in CATEGORY_MARKERS.items():
        assert marker in text, category
    assert sorted(record.included_categories) == sorted(c.value for c in OmitCategory)
    # Even on purpose, another participant's passage and name stay out of a joint note.
    assert JOINT_PASSAGE not in text and OTHER_FIRST not in text


def test_joint_note_withholds_other_participants(vault: Vault, practice: Practice) -> None:
    """In a family note, the other participant's names (any case) and list entry are withheld;
    the client's own name stays."""
    plan = vault.disclosures.prepare(_court_release(vault, practice))
    section = next(
        s for s in plan.document.sections if s.heading.startswith(f"N-{practice.joint_note:06d}")
    )
    assert OTHER_FIRST not in section.body and OTHER_LAST.upper() not in section.body
    # "Maravel", "ODDFELLOWE" and "Maravel Oddfellowe" (the full name counts once).
    assert section.body.count("[withheld: other participant]") == 3
    assert any("1 other participant (withheld)" in m for m in section.meta)
    assert any("Quill Sampleton (C-00001)" in m for m in section.meta)
    assert plan.joint_notes == 1


def test_joint_note_releases_the_clients_own_flagged_passages_on_purpose(
    vault: Vault, tmp_path: Path
) -> None:
    """In a joint note, a category included on purpose releases the client's own flagged
    passages; the other participant's passages and name stay withheld, whatever is included,
    and the same holds the other way round."""
    ana = vault.clients.add("Ana Jointly").id
    ben = vault.clients.add("Benedikt Ferrowmere").id
    note = signed(
        vault,
        ana,
        "dap",
        "Data: couple session. {{omit:substance}}zqanaowndrinkmark{{/omit}} "
        f"Benedikt spoke. {{{{omit:substance@C-{ben:05d}}}}}zqbensecretmark"
        f"{{{{/omit}}}} {{{{omit:hiv@C-{ana:05d}}}}}zqanahivmark{{{{/omit}}}}",
        "2026-02-01",
        (ben,),
    )
    spans = vault.notes.get(note).spans
    assert [s.about for s in spans] == [None, ben, ana]
    whole = vault.notes.create(
        ana,
        "free",
        body="Joint call zqwholejointmark.",
        session=SessionInfo("2026-02-02"),
        participants=(ben,),
        omit_category=OmitCategory.LEGAL,
    )
    vault.notes.sign(whole.id)

    def release(client: int, *include: OmitCategory) -> str:
        spec = ReleaseSpec(
            client_id=client,
            request_type=RequestType.COURT_ORDER,
            recipient_name="Clerk",
            purpose="order",
            court_order="Order 3",
            include_categories=include,
        )
        out = tmp_path / f"r{client}-{len(include)}.txt"  # every run its own file
        vault.disclosures.write(vault.disclosures.prepare(spec), out)
        return out.read_text()

    for_ana = release(ana, OmitCategory.SUBSTANCE_USE, OmitCategory.HIV_STI, OmitCategory.LEGAL)
    assert "zqanaowndrinkmark" in for_ana and "zqanahivmark" in for_ana
    assert "zqwholejointmark" in for_ana  # her note, flagged whole, included on purpose
    assert "zqbensecretmark" not in for_ana and "Benedikt" not in for_ana
    assert "[withheld: another participant's passage]" in for_ana
    # Not included: the client's own passages are withheld with their category, as anywhere.
    plain = release(ana)
    assert "zqanaowndrinkmark" not in plain and "[withheld: substance use]" in plain
    for_ben = release(ben, OmitCategory.SUBSTANCE_USE, OmitCategory.HIV_STI, OmitCategory.LEGAL)
    assert "zqbensecretmark" in for_ben
    assert "zqwholejointmark" not in for_ben and "[withheld: legal]" in for_ben
    assert "zqanaowndrinkmark" not in for_ben and "zqanahivmark" not in for_ben
    assert for_ben.count("[withheld: another participant's passage]") == 2
    # Naming someone who is not in the note is refused.
    with pytest.raises(UsageError, match="not a participant"):
        vault.notes.create(ana, "free", body="{{omit:legal@C-00099}}x{{/omit}}")


def test_release_of_other_participant_keeps_first_client_out(
    vault: Vault, practice: Practice
) -> None:
    """The same joint note released for the other participant withholds the first client."""
    spec = ReleaseSpec(
        client_id=practice.other,
        request_type=RequestType.COURT_ORDER,
        recipient_name="Clerk",
        purpose="order",
        court_order="Order 7",
    )
    plan = vault.disclosures.prepare(spec)
    assert len(plan.document.sections) == 1
    text = plan.preview
    assert "Quill" not in text and "Sampleton" not in text
    assert OTHER_FIRST in text  # their own name, in the header


def test_sealed_legal_name_of_another_participant_is_withheld(vault: Vault, tmp_path: Path) -> None:
    """A pseudonymous participant's sealed legal name is unsealed (passphrase) and withheld."""
    client = vault.clients.add("Pat Clientson").id
    famous = vault.clients.add("Zephyrine Starbright", pseudonym="Client Kestrel").id
    signed(
        vault,
        client,
        "soap",
        "Zephyrine said the press followed her; Starbright "
        "family name came up. Kestrel joined late.",
        "2026-01-02",
        (famous,),
    )
    spec = ReleaseSpec(
        client_id=client,
        request_type=RequestType.COURT_ORDER,
        recipient_name="Clerk",
        purpose="order",
        court_order="Order 9",
    )
    with pytest.raises(UsageError, match="legal name is sealed"):
        vault.disclosures.prepare(spec)
    plan = vault.disclosures.prepare(spec, passphrase=PASSPHRASE)
    for word in ("Zephyrine", "Starbright", "Kestrel"):
        assert word not in plan.preview


def test_pseudonymous_client_release_can_carry_the_legal_name(vault: Vault) -> None:
    """By default the release shows the pseudonym; on request, the unsealed legal name."""
    client = vault.clients.add("Orla Realname", pseudonym="Client Wren").id
    signed(vault, client, "soap", "Weekly session.", "2026-01-02")
    spec = ReleaseSpec(
        client_id=client,
        request_type=RequestType.COURT_ORDER,
        recipient_name="Clerk",
        purpose="order",
        court_order="Order 9",
    )
    assert "Client Wren (C-00001)" in vault.disclosures.prepare(spec).preview
    named = ReleaseSpec(**{**spec.__dict__, "legal_name": True})
    with pytest.raises(UsageError, match="passphrase is needed again"):
        vault.disclosures.prepare(named)
    assert (
        "Orla Realname (C-00001)" in vault.disclosures.prepare(named, passphrase=PASSPHRASE).preview
    )


def test_leak_check_fails_when_withholding_is_switched_off(
    vault: Vault, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With span withholding disabled, the leak assertion used above does fail."""
    import vault.disclosures.release as release

    monkeypatch.setattr(
        release, "render_withheld", lambda body, spans, whole=None, include=(), foreign=(): body
    )
    plan = vault.disclosures.prepare(_court_release(vault, practice))
    with pytest.raises(AssertionError, match="withheld content leaked"):
        _assert_no_leak(plan.preview)


# -- every path that stores text goes through the one parser (issue 11)

PATH_VISIBLE = "zqpathvisiblemark"
PATH_SECRET = "zqpathhivsecretmark"
PATH_MARKED = f"Seen {PATH_VISIBLE}. {{{{omit:hiv}}}}{PATH_SECRET}{{{{/omit}}}} Plan: weekly."
TEXT_PATHS = [
    "note add",
    "note edit",
    "addendum",
    "late entry",
    "amendment accepted",
    "pnote add",
    "pnote edit",
]
FORMATS = ["release.txt", "release.md", "release.pdf"]


def _store_via(vault: Vault, path: str) -> ReleaseSpec:
    """Store PATH_MARKED the way `path` does, and the release that would carry it."""
    client = vault.clients.add("Pax Pathson").id
    session = SessionInfo("2026-03-01", "10:00", "10:50")
    base = signed(vault, client, "soap", "Plain session.", "2026-03-01")
    pnotes_auth = None
    if path == "note add":
        vault.notes.sign(vault.notes.create(client, "soap", body=PATH_MARKED, session=session).id)
    elif path == "note edit":
        draft = vault.notes.create(client, "soap", body="first words", session=session)
        vault.notes.sign(vault.notes.save_draft(draft.id, body=PATH_MARKED).id)
    elif path == "addendum":
        vault.notes.addend(base, PATH_MARKED)
    elif path == "late entry":
        vault.notes.sign(
            vault.notes.late_entry(
                client, "soap", "2026-02-20", "written late", body=PATH_MARKED
            ).id
        )
    elif path == "amendment accepted":
        amendments = vault.disclosures.amendments
        amendments.accept(amendments.request(client, base, "Add the result.").id, PATH_MARKED)
    else:
        area = vault.open_psychotherapy_notes(PASSPHRASE)
        if path == "pnote add":
            area.add(client, PATH_MARKED, "2026-03-01")
        else:
            area.update(area.add(client, "first words", "2026-03-01").id, PATH_MARKED)
        area.lock()
        pnotes_auth = vault.disclosures.authorizations.add(
            client,
            kind="psychotherapy_notes",
            description="psychotherapy notes 2026",
            discloser="Dr. Able",
            recipient_name="County Court Clerk",
            purpose="court-ordered production",
            signed_on="2026-10-01",
            expires_on="2099-10-01",
        ).id
    return ReleaseSpec(
        client_id=client,
        request_type=RequestType.COURT_ORDER,
        recipient_name="County Court Clerk",
        purpose="court-ordered production",
        court_order="Superior Court, case 26-CV-102",
        pnotes_authorization_id=pnotes_auth,
    )


def _released_via(vault: Vault, path: str, out: Path) -> str:
    plan = vault.disclosures.prepare(_store_via(vault, path), passphrase=PASSPHRASE)
    vault.disclosures.write(plan, out)
    return plan.preview + "\n" + output_text(out)


def _assert_flag_held(text: str) -> None:
    flat = " ".join(text.split())
    assert PATH_SECRET not in flat, "a flagged passage left the vault"
    assert "{{omit" not in flat and "{{/omit" not in flat, "markers printed as text"
    assert PATH_VISIBLE in flat and "[withheld: HIV/STI]" in flat


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("path", TEXT_PATHS)
def test_flags_hold_on_every_path_that_stores_text(
    vault: Vault, tmp_path: Path, path: str, name: str
) -> None:
    """Markers typed through each way of writing text (progress notes, drafts, addenda, late
    entries, accepted amendments, psychotherapy notes) are flags in every release format."""
    _assert_flag_held(_released_via(vault, path, tmp_path / name))


@pytest.mark.parametrize("path", TEXT_PATHS)
def test_flag_paths_leak_with_the_parser_bypassed(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Control: with the one parser entry point bypassed (markers kept as text, as before the
    fix), every path's release does carry the flagged words, so the test above would fail."""
    import vault.records.markup as markup

    monkeypatch.setattr(markup, "flagged_text", lambda text, spans=(): (text, tuple(spans)))
    text = _released_via(vault, path, tmp_path / "release.txt")
    with pytest.raises(AssertionError, match="flagged passage left the vault"):
        _assert_flag_held(text)


def test_flagged_passage_in_a_psychotherapy_note_is_released_only_on_purpose(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Including the category on purpose releases a psychotherapy note's flagged passage."""
    auth = vault.disclosures.authorizations.add(
        practice.client,
        kind="psychotherapy_notes",
        description="psychotherapy notes 2026",
        discloser="Dr. Able",
        recipient_name="County Court Clerk",
        purpose="court-ordered production",
        signed_on="2026-10-01",
        expires_on="2099-10-01",
    )
    spec = _court_release(
        vault,
        practice,
        pnotes_authorization_id=auth.id,
        include_categories=(OmitCategory.THIRD_PARTY,),
    )
    plan = vault.disclosures.prepare(spec, passphrase=PASSPHRASE)
    assert PNOTE_FLAGGED in plan.preview and PNOTE_MARKER in plan.preview
    assert OmitCategory.THIRD_PARTY in plan.included_categories


def test_text_that_keeps_no_flags_refuses_markers(vault: Vault, practice: Practice) -> None:
    """A late-entry reason or an amendment request cannot hold flags: a marker there is refused
    (it would be printed as typed), and nothing is saved."""
    before = vault.notes.count()
    with pytest.raises(MarkupError, match="cannot carry omission flags"):
        vault.notes.late_entry(
            practice.client, "soap", "2026-02-20", "{{omit:hiv}}late{{/omit}}", body="Session."
        )
    with pytest.raises(MarkupError, match="cannot carry omission flags"):
        vault.disclosures.amendments.request(
            practice.client, practice.flagged_note, "{{omit:hiv}}x{{/omit}}"
        )
    assert vault.notes.count() == before
    assert vault.disclosures.amendments.list(practice.client)[0].status == "accepted"


# -- the right of access (issue 19): the client's copy carries every flag; a denial never leaks

DENIED = "zqdeniedaccessmark"
DENIED_WHOLE = "zqdeniedwholenotemark"


def _access_practice(vault: Vault, p: Practice) -> None:
    """A passage denied on a reviewable ground, and a whole note on an unreviewable one."""
    passage_note = signed(
        vault, p.client, "soap", f"Risk discussed: {DENIED} named a person.", "2026-03-02"
    )
    whole_note = signed(vault, p.client, "soap", f"From the school: {DENIED_WHOLE}.", "2026-03-03")
    access = vault.disclosures.access
    access.deny(p.client, passage_note, "endangerment", "Risk to a named person.", passage=DENIED)
    access.deny(p.client, whole_note, "confidential-source", "Informant at the school.")


def _assert_access_copy(text: str) -> None:
    lowered = " ".join(text.lower().split())
    leaked = [
        m
        for m in (
            DENIED,
            DENIED_WHOLE,
            PNOTE_MARKER,
            PNOTE_FLAGGED,
            DRAFT,
            OTHER_CLIENT,
            JOINT_PASSAGE,
            OTHER_FIRST,
            OTHER_LAST,
        )
        if m.lower() in lowered
    ]
    assert leaked == [], f"withheld content leaked: {leaked}"
    flags = [*CATEGORY_MARKERS.values(), WHOLE_NOTE, AMEND_FLAGGED, VISIBLE, ADDENDUM]
    missing = [m for m in flags if m.lower() not in lowered]
    assert missing == [], f"the client's own record is missing: {missing}"
    assert "[withheld: ground endangerment]" in lowered
    assert "[withheld: ground confidential-source]" in lowered


@pytest.mark.parametrize(
    "name,password",
    [("copy.pdf", None), ("protected.pdf", PDF_PASSWORD), ("copy.txt", None), ("copy.md", None)],
)
def test_access_copy_has_every_flag_and_no_denied_passage(
    vault: Vault, practice: Practice, tmp_path: Path, name: str, password: str | None
) -> None:
    """A client's copy carries every flagged passage (they are the client's), never a denied
    passage or note, psychotherapy notes, drafts or another participant's passages."""
    _access_practice(vault, practice)
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(practice.client))
    _assert_access_copy(plan.preview)
    out = tmp_path / "out" / name
    out.parent.mkdir()
    vault.disclosures.write(plan, out, password=password)
    _assert_access_copy(output_text(out, password))
    raw = out.read_bytes()
    assert DENIED.encode() not in raw and DENIED_WHOLE.encode() not in raw


def test_access_leak_check_fails_when_denials_are_switched_off(
    vault: Vault, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: with denial rendering disabled, the access assertion above does fail."""
    import vault.disclosures.release as release

    _access_practice(vault, practice)
    monkeypatch.setattr(release, "render_denied", lambda body, *args: body)
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(practice.client))
    with pytest.raises(AssertionError, match="withheld content leaked"):
        _assert_access_copy(plan.preview)
