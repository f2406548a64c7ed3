"""Psychotherapy notes: own file and key, fresh authentication, idle relock, never in general APIs;
and omission flags: markup parsing, round trip, withheld rendering."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.cli import PASSPHRASE
from vault import (
    AuthenticationError,
    DamagedFileError,
    LockedError,
    MarkupError,
    NotFoundError,
    OmitCategory,
    OmitSpan,
    PsychotherapyNote,
    UsageError,
    Vault,
    parse_omissions,
    render_withheld,
    to_markup,
    withheld_marker,
)
from vault.crypto.keyslots import KeyName
from vault.records.markup import validate_spans
from vault.storage.database import Database
from vault.vault import PNOTES_DB

SECRET = "zanzibarquokka process impression"


class FakeClock:
    """An injected monotonic clock: tests move time forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pnotes_live_in_their_own_file_under_their_own_key(vault: Vault) -> None:
    """The general-record key cannot open pnotes.db; only the psychotherapy-notes key can."""
    cid = vault.clients.add("Vesper Testwell").id
    vault.open_psychotherapy_notes(PASSPHRASE).add(cid, SECRET)
    keys = vault.key_file.unwrap_with_passphrase(PASSPHRASE, [KeyName.RECORD, KeyName.PNOTES])
    assert keys[KeyName.RECORD].reveal() != keys[KeyName.PNOTES].reveal()
    vault.lock()
    with pytest.raises(DamagedFileError):
        Database.open(vault.folder / PNOTES_DB, keys[KeyName.RECORD])
    db = Database.open(vault.folder / PNOTES_DB, keys[KeyName.PNOTES])
    try:
        assert db.scalar("SELECT body FROM pnotes") == SECRET
    finally:
        db.close()


def test_opening_pnotes_needs_the_passphrase_again(vault: Vault) -> None:
    """A wrong passphrase does not open the psychotherapy-notes area."""
    with pytest.raises(AuthenticationError):
        vault.open_psychotherapy_notes("not the passphrase")
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    assert not area.is_locked
    assert vault.audit.entries(limit=1)[0].action == "pnotes_unlock"


def test_pnotes_add_get_list_search_update(vault: Vault) -> None:
    """The area's own API writes, reads, lists, searches and updates psychotherapy notes."""
    cid = vault.clients.add("Willow Mockridge").id
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    first = area.add(cid, "countertransference noticed around lateness", "2026-11-01")
    second = area.add(cid, "wonder about the brother theme", "2026-11-08")
    assert [n.id for n in area.list(cid)] == [second.id, first.id]
    assert area.get(first.id).body.startswith("countertransference")
    hits = area.search("brother")
    assert [n.id for n, _ in hits] == [second.id]
    assert any(match and "brother" in text for text, match in hits[0][1])
    updated = area.update(first.id, "revised impression")
    assert updated.body == "revised impression" and area.count() == 2
    with pytest.raises(NotFoundError):
        area.add(999, "no such client")
    with pytest.raises(NotFoundError):
        area.get(999)


def test_pnote_model_has_no_fields_hipaa_excludes() -> None:
    """A psychotherapy note carries no times, medications, diagnoses or modality (its omission
    flags are about its own text)."""
    names = {f.name for f in dataclasses.fields(PsychotherapyNote)}
    assert names == {"id", "client_id", "session_date", "body", "created_at", "updated_at", "spans"}


def test_pnotes_relock_after_idle_time(vault: Vault) -> None:
    """After idle_seconds without use the area locks itself and demands the passphrase again."""
    cid = vault.clients.add("Yarrow Fictive").id
    clock = FakeClock()
    area = vault.open_psychotherapy_notes(PASSPHRASE, idle_seconds=60, clock=clock)
    note = area.add(cid, SECRET)
    clock.now += 59
    assert area.get(note.id).body == SECRET  # use resets the idle timer
    clock.now += 59
    assert not area.is_locked and area.seconds_left() == pytest.approx(1)
    clock.now += 1
    assert area.is_locked
    with pytest.raises(LockedError, match="passphrase"):
        area.get(note.id)
    assert vault.audit.entries(limit=1)[0].action == "pnotes_lock"
    again = vault.open_psychotherapy_notes(PASSPHRASE, clock=clock)
    assert again.get(note.id).body == SECRET


def test_pnotes_lock_with_the_vault(vault: Vault) -> None:
    """Locking the vault locks the psychotherapy-notes area and opening it needs an open vault."""
    cid = vault.clients.add("Zephyr Dummington").id
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    area.add(cid, SECRET)
    vault.lock()
    assert area.is_locked
    with pytest.raises(LockedError):
        area.list(cid)
    with pytest.raises(LockedError):
        vault.open_psychotherapy_notes(PASSPHRASE)


def test_pnotes_never_reach_general_record_apis(vault: Vault) -> None:
    """Search, timeline, notes and audit details never show psychotherapy-note text or ids."""
    cid = vault.clients.add("Alder Fakeley").id
    vault.notes.create(cid, body="ordinary progress note")
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    area.add(cid, SECRET)
    with pytest.raises(UsageError):
        vault.search("")
    assert vault.search("zanzibarquokka") == []
    assert vault.search("impression") == []
    timeline = vault.notes.timeline(cid)
    assert len(timeline) == 1
    bodies = [vault.notes.get(s.id).body for s in timeline]
    assert all("zanzibarquokka" not in b for b in bodies)
    assert vault.notes.count() == 1
    assert vault.db.scalar("SELECT count(*) FROM notes WHERE body LIKE '%zanzibar%'") == 0
    for entry in vault.audit.entries(limit=100):
        assert "zanzibar" not in str(entry)


def test_opening_the_area_twice_locks_the_first_handle(vault: Vault) -> None:
    """A second fresh authentication replaces the first area; the old handle is locked."""
    first = vault.open_psychotherapy_notes(PASSPHRASE)
    second = vault.open_psychotherapy_notes(PASSPHRASE)
    assert first.is_locked and not second.is_locked


# ---------------------------------------------------------------------------- omission flags


def test_markup_parses_spans_apart_from_the_text() -> None:
    """{{omit:CAT}}...{{/omit}} markers vanish from the text and become spans."""
    body, spans = parse_omissions(
        "Reports {{omit:dream}}a flooded house{{/omit}} and\n{{ OMIT: Third Party }}"
        "a friend's debt{{/omit}}."
    )
    assert body == "Reports a flooded house and\na friend's debt."
    assert spans == (
        OmitSpan(8, 23, OmitCategory.DREAM_FANTASY),
        OmitSpan(28, 43, OmitCategory.THIRD_PARTY),
    )
    assert body[8:23] == "a flooded house" and body[28:43] == "a friend's debt"
    assert parse_omissions("no markers at all") == ("no markers at all", ())


@pytest.mark.parametrize(
    ("marked", "message"),
    [
        ("a {{omit:legal}}b {{omit:other}}c{{/omit}} d{{/omit}}", "cannot nest"),
        ("line one\nline two {{omit:legal}}never closed", "line 2"),
        ("text{{/omit}} closes nothing", "no matching"),
        ("\n\n{{omit:astrology}}stars{{/omit}}", "unknown omission category 'astrology'"),
        ("empty {{omit:legal}}{{/omit}} span", "empty omission span at line 1"),
    ],
)
def test_malformed_markup_is_a_markup_error_with_its_line(marked: str, message: str) -> None:
    """Nested, unbalanced, unknown or empty markers fail with a one-line error naming the place."""
    with pytest.raises(MarkupError, match=message) as info:
        parse_omissions(marked)
    assert "\n" not in str(info.value)
    assert "line " in str(info.value)


def test_every_category_and_its_aliases_parse() -> None:
    """Each category parses from its value and label; short forms map to the right one."""
    for category in OmitCategory:
        assert OmitCategory.parse(category.value) is category
        assert OmitCategory.parse(category.label) is category
    assert OmitCategory.parse("HIV") is OmitCategory.HIV_STI
    assert OmitCategory.parse("substance") is OmitCategory.SUBSTANCE_USE


def test_to_markup_round_trips() -> None:
    """to_markup(parse_omissions(x)) gives back canonical markup that parses to the same thing."""
    marked = (
        "A {{omit:substance-use}}weekend cannabis use{{/omit}}; "
        "{{omit:hiv-sti}}test results{{/omit}} pending."
    )
    body, spans = parse_omissions(marked)
    assert to_markup(body, spans) == marked
    assert parse_omissions(to_markup(body, spans)) == (body, spans)


def test_render_withheld_replaces_flagged_spans_with_markers() -> None:
    """Withheld rendering shows [withheld: CATEGORY] in place of each flagged passage."""
    body, spans = parse_omissions(
        "Mood low. {{omit:dream}}Dreamt of wolves.{{/omit}} "
        "Plan: {{omit:legal}}see lawyer{{/omit}} Friday."
    )
    out = render_withheld(body, spans)
    assert out == "Mood low. [withheld: dream/fantasy] Plan: [withheld: legal] Friday."
    assert "wolves" not in out and "lawyer" not in out
    released = render_withheld(body, spans, include=[OmitCategory.LEGAL])
    assert "see lawyer" in released and "wolves" not in released


def test_whole_note_flag_withholds_everything(vault: Vault) -> None:
    """A note flagged as a whole renders as one marker; the flag is stored with the note."""
    cid = vault.clients.add("Bramble Examplar").id
    note = vault.notes.create(
        cid, body="entire note about a custody case", omit_category=OmitCategory.LEGAL
    )
    stored = vault.notes.get(note.id)
    assert stored.omit_category is OmitCategory.LEGAL
    assert (
        render_withheld(stored.body, stored.spans, stored.omit_category)
        == withheld_marker(OmitCategory.LEGAL)
        == "[withheld: legal]"
    )
    assert vault.notes.timeline(cid)[0].omit_category is OmitCategory.LEGAL


def test_spans_are_stored_apart_and_checked(vault: Vault) -> None:
    """Spans round-trip through the vault; out-of-range or overlapping spans are refused."""
    cid = vault.clients.add("Cobalt Pretendson").id
    body, spans = parse_omissions("x {{omit:other}}secret{{/omit}} y")
    note = vault.notes.create(cid, body=body, spans=spans)
    assert vault.notes.get(note.id).spans == spans
    assert vault.notes.get(note.id).body == "x secret y"
    with pytest.raises(MarkupError, match="outside"):
        vault.notes.create(cid, body="short", spans=[OmitSpan(0, 50, OmitCategory.OTHER)])
    with pytest.raises(MarkupError, match="overlap"):
        validate_spans(
            "0123456789", [OmitSpan(0, 5, OmitCategory.OTHER), OmitSpan(3, 8, OmitCategory.LEGAL)]
        )
    assert vault.notes.count() == 1
