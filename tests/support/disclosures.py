"""A synthetic client record for the disclosure tests, with a unique marker word in every place
that must stay in the vault (each omission category, a psychotherapy note, another participant's
name and passage, a draft, another client) and in every place that must leave."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pypdf

from vault import OmitCategory, SessionInfo, Vault, parse_omissions

PASSPHRASE = "correct horse battery"

# Letters only, so no extractor splits them; each appears nowhere else.
CATEGORY_MARKERS = {c: "zq" + c.value.replace("-", "") + "mark" for c in OmitCategory}
PNOTE_MARKER = "zqpsychotherapymark"
PNOTE_FLAGGED = "zqpnoteflaggedmark"  # flagged third-party inside the psychotherapy note
AMEND_VISIBLE = "zqamendvisiblemark"  # an accepted amendment's addendum...
AMEND_FLAGGED = "zqamendhivmark"  # ...and the HIV passage flagged in it
JOINT_PASSAGE = "zqjointpassagemark"
OTHER_FIRST, OTHER_LAST = "Maravel", "Oddfellowe"
WHOLE_NOTE = "zqwholenotemark"
DRAFT = "zqdraftnotemark"
OTHER_CLIENT = "zqotherclientmark"
VISIBLE = "zqgeneralvisiblemark"
ADDENDUM = "zqaddendumvisiblemark"
PLAN_MARKER = "zqtreatmentplanmark"


@dataclass
class Practice:
    client: int
    other: int
    flagged_note: int
    joint_note: int
    plan_note: int
    whole_note: int
    pnote: int


def signed(
    vault: Vault,
    client: int,
    template: str,
    marked: str,
    day: str,
    participants: tuple[int, ...] = (),
) -> int:
    body, spans = parse_omissions(marked)
    note = vault.notes.create(
        client,
        template,
        body=body,
        spans=spans,
        session=SessionInfo(day, "10:00", "10:50", "90834", "individual", ("F41.1",)),
        participants=participants,
    )
    return vault.notes.sign(note.id).id


def build(vault: Vault) -> Practice:
    client = vault.clients.add("Quill Sampleton", date_of_birth="1990-04-02").id
    other = vault.clients.add(f"{OTHER_FIRST} {OTHER_LAST}").id
    stranger = vault.clients.add("Ivo Unrelated").id
    flagged = " ".join(
        f"{{{{omit:{c.value}}}}}{m}{{{{/omit}}}}" for c, m in CATEGORY_MARKERS.items()
    )
    flagged_note = signed(
        vault,
        client,
        "soap",
        f"Subjective: {VISIBLE} reports better sleep. {flagged}\nPlan: continue weekly.",
        "2026-01-10",
    )
    vault.notes.addend(flagged_note, f"Correction: {ADDENDUM} dose was discussed.")
    joint_note = signed(
        vault,
        client,
        "dap",
        f"Data: family session. {OTHER_FIRST} said the move was hard; "
        f"{OTHER_LAST.upper()} family rules discussed. {OTHER_FIRST} "
        f"{OTHER_LAST} left early. {{{{omit:substance@C-{other:05d}}}}}"
        f"{JOINT_PASSAGE}{{{{/omit}}}} Assessment: engaged.",
        "2026-02-01",
        (other,),
    )
    plan_note = signed(
        vault, client, "treatment-plan", f"Goals: {PLAN_MARKER} sleep 7h.", "2026-01-03"
    )
    whole = vault.notes.create(
        client,
        "free",
        body=f"Whole note {WHOLE_NOTE}.",
        session=SessionInfo("2026-01-20"),
        omit_category=OmitCategory.LEGAL,
    )
    whole_note = vault.notes.sign(whole.id).id
    vault.notes.create(client, "soap", body=f"Draft {DRAFT}", session=SessionInfo("2026-01-21"))
    signed(vault, stranger, "soap", f"Other client {OTHER_CLIENT}.", "2026-01-10")
    amendments = vault.disclosures.amendments
    request = amendments.request(client, flagged_note, "Please correct the medication dose.")
    amendments.accept(
        request.id, f"Dose corrected: {AMEND_VISIBLE}. {{{{omit:hiv}}}}{AMEND_FLAGGED}{{{{/omit}}}}"
    )
    pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
    pnote = pnotes.add(
        client,
        f"Process impressions {PNOTE_MARKER}. {{{{omit:third-party}}}}{PNOTE_FLAGGED}{{{{/omit}}}}",
        "2026-01-10",
    ).id
    pnotes.lock()
    return Practice(client, other, flagged_note, joint_note, plan_note, whole_note, pnote)


def pdf_text(path: Path, password: str | None = None) -> str:
    """Everything a reader could get out of a PDF: page text (two extractors), metadata,
    outline titles."""
    reader = pypdf.PdfReader(path)
    if reader.is_encrypted:
        assert password is not None, "encrypted PDF without a password"
        assert reader.decrypt(password) != pypdf.PasswordType.NOT_DECRYPTED
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [f"{k}={v}" for k, v in (reader.metadata or {}).items()]
    parts += [_outline_titles(reader.outline)]
    args = ["pdftotext", "-layout"]
    if password is not None:
        args += ["-upw", password]
    parts.append(
        subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout
    )
    return "\n".join(parts)


def _outline_titles(outline: object) -> str:
    if isinstance(outline, list):
        return "\n".join(_outline_titles(item) for item in outline)
    title = getattr(outline, "title", None)
    return str(title) if title else ""


def outline_titles(path: Path) -> list[str]:
    reader = pypdf.PdfReader(path)
    return [t for t in _outline_titles(reader.outline).split("\n") if t]


def output_text(path: Path, password: str | None = None) -> str:
    """The text of any output, plus the names of every file beside it."""
    names = "\n".join(p.name for p in path.parent.iterdir())
    if path.suffix == ".pdf":
        return pdf_text(path, password) + "\n" + names
    return path.read_text(encoding="utf-8") + "\n" + names
