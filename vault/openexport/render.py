"""The human-readable renderings of a client document: the release `Document`, so Markdown and
PDF come from the writers releases use (fenced bodies, escaped controls, bundled fonts).

Unlike a release, nothing is withheld: this is the complete copy (the clinician's, or the records
custodian's, who is named). Flagged
passages are shown inside their `{{omit:CATEGORY}}...{{/omit}}` markers (the JSON has the exact
spans beside the text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..disclosures.document import Document, Section
from ..records.markup import to_markup
from ..records.models import OmitCategory, OmitSpan, PsychotherapyNote
from ..records.templates import TEMPLATES
from ..timefmt import local_time
from .parts import ExportContext

FLAGS_STATEMENT = (
    "Flagged passages appear between {{omit:CATEGORY}} and {{/omit}}; control characters in "
    "the text are shown as escapes such as \\x1b."
)


def statement(ctx: ExportContext) -> tuple[str, ...]:
    """Who exported and that nothing is withheld: the custodian's export says it is theirs."""
    return (
        f"The complete record as kept in Confide, exported by {ctx.exporter()}: nothing is "
        "withheld.",
        FLAGS_STATEMENT,
    )


def _spans(items: Sequence[dict[str, Any]]) -> list[OmitSpan]:
    return [
        OmitSpan(int(s["start"]), int(s["end"]), OmitCategory(s["category"]), s.get("about"))
        for s in items
    ]


def _when(stamp: str | None) -> str:
    return local_time(stamp) if stamp else "-"


def _note_section(note: dict[str, Any]) -> Section:
    s = note["session"]
    template = TEMPLATES.get(note["template"])
    title = template.title if template else note["template"]
    if note["entry_type"] == "addendum":
        heading = f"Addendum {note['record_id']} to N-{note['parent_id'] or 0:06d}"
    else:
        heading = f"{note['record_id']}  {title}"
        if note["entry_type"] == "late_entry":
            heading += "  (late entry)"
    if note["status"] == "draft":
        heading += "  (draft, unsigned)"
    meta = []
    times = "-".join(t for t in (s["start_time"], s["end_time"]) if t)
    meta.append(f"Session: {s['session_date'] or 'no date'} {times}".rstrip())
    extras = [
        f"Service: {s['service_code']}" if s["service_code"] else "",
        f"Modality: {s['modality']}" if s["modality"] else "",
        f"Diagnosis: {', '.join(s['diagnosis_codes'])}" if s["diagnosis_codes"] else "",
    ]
    if any(extras):
        meta.append("  ".join(e for e in extras if e))
    if len(note["participants"]) > 1:
        meta.append("Participants: " + ", ".join(f"C-{p:05d}" for p in note["participants"]))
    if note["late_reason"]:
        meta.append(f"Late because: {note['late_reason']}")
    if note["parent_id"] is not None and note["entry_type"] == "late_entry":
        meta.append(f"Refers to N-{note['parent_id']:06d}")
    if note["omit_category"]:
        meta.append(f"Whole note flagged: {note['omit_category']}")
    meta.append(f"Written: {_when(note['created_at'])}  Signed: {_when(note['signed_at'])}")
    body = to_markup(note["body"], _spans(note["spans"]))
    return Section(heading, tuple(meta), body, 1 if note["entry_type"] == "addendum" else 0)


def _row_section(heading: str, row: dict[str, Any], skip: Sequence[str] = ("id",)) -> Section:
    meta = tuple(
        f"{key.replace('_', ' ')}: {'-' if value is None else value}"
        for key, value in row.items()
        if key not in skip
    )
    return Section(heading, meta, "", 0)


def _letterhead(ctx: ExportContext) -> tuple[str, ...]:
    """The practice lines; the custodian, who cannot set the practice name, gets no
    "Practice name not set" reminder on every record."""
    from ..custodian import letterhead

    practice = ctx.vault.disclosures.practice()
    if ctx.exported_by.get("role") == "custodian":
        return letterhead(practice)
    return practice.lines()


def record_document(ctx: ExportContext, doc: dict[str, Any]) -> Document:
    """The client's whole record as one `Document` (rendered to Markdown and PDF)."""
    c = doc["client"]
    retention = doc["retention"]
    facts = [
        ("Client", f"{c['display_name']} ({c['record_id']})"),
        ("Legal name", c["legal_name"] or "-"),
        ("Date of birth", c["date_of_birth"] or "-"),
        ("Status", c["status"]),
        ("Confidentiality notice given", c["consent_notice_date"] or "-"),
        (
            "Retention",
            f"{retention['policy'] or '-'}, disposal date "
            f"{retention['disposal_date'] or '-'} ({retention['status'] or '-'})",
        ),
        ("Exported", _when(ctx.exported_at)),
    ]
    notes = doc["notes"]
    by_id = {n["id"]: n for n in notes}
    sections: list[Section] = []
    for note in notes:
        if note["entry_type"] == "addendum" and note["parent_id"] in by_id:
            continue  # shown under its note
        sections.append(_note_section(note))
        sections += [_note_section(by_id[a]) for a in note["addenda"] if a in by_id]
    labels = {
        "people": "Person in the client's life",
        "legal_holds": "Legal hold",
        "authorizations": "Authorization",
        "records_requests": "Records request",
        "disclosures": "Disclosure",
        "amendments": "Amendment request",
        "copies_outside": "Copy outside the vault",
    }
    for section, label in labels.items():
        for row in doc[section]:
            sections.append(_row_section(f"{label} {row['id']}", row))
    sections.append(
        Section(
            f"Audit entries about {c['record_id']}",
            (),
            "\n".join(
                f"{e['seq']}  {e['at']}  {e['action']}  {e['object_type'] or ''} "
                f"{e['object_id'] or ''}  {e['detail']}"
                for e in doc["audit"]
            )
            or "none",
        )
    )
    return Document(
        reference=c["record_id"],
        title="Clinical record",
        practice=_letterhead(ctx),
        facts=tuple(facts),
        statement=statement(ctx),
        sections=tuple(sections),
        footer_id=f"{c['record_id']} complete record",
        item=("section", "sections"),
    )


def pnotes_markdown(record_id: str, notes: Sequence[PsychotherapyNote]) -> str:
    """The psychotherapy notes of one client, in the same fenced Markdown."""
    sections = tuple(
        Section(
            f"{n.record_id}  Psychotherapy note",
            (f"Session: {n.session_date or 'no date'}", f"Written: {_when(n.created_at)}"),
            to_markup(n.body, n.spans),
        )
        for n in notes
    )
    return Document(
        reference=record_id,
        title="Psychotherapy notes",
        practice=(),
        facts=(("Client", record_id),),
        statement=("Psychotherapy notes (45 CFR 164.501), kept apart from the record.",),
        sections=sections,
        footer_id=f"{record_id} psychotherapy notes",
        item=("note", "notes"),
    ).markdown()
