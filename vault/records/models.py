"""The records model: plain, immutable values returned by the vault API."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import UsageError


class OmitCategory(StrEnum):
    """Why a passage must not leave the vault in an export."""

    DREAM_FANTASY = "dream-fantasy"
    THIRD_PARTY = "third-party"
    SUBSTANCE_USE = "substance-use"
    SEXUAL_REPRODUCTIVE = "sexual-reproductive"
    HIV_STI = "hiv-sti"
    LEGAL = "legal"
    CLIENT_REQUESTED = "client-requested"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> OmitCategory:
        key = text.strip().lower().replace("_", "-").replace("/", "-").replace(" ", "-")
        if key in _CATEGORY_ALIASES:
            return _CATEGORY_ALIASES[key]
        for category in cls:
            if key in (category.value, category.label.lower().replace(" ", "-").replace("/", "-")):
                return category
        valid = ", ".join(c.value for c in cls)
        # Quote only a short prefix: a mistyped marker may have swallowed note text.
        shown = text.strip()
        shown = shown if len(shown) <= 24 else shown[:20] + "…"
        raise UsageError(f"unknown omission category {shown!r}; use one of: {valid}")


_CATEGORY_LABELS = {
    OmitCategory.DREAM_FANTASY: "dream/fantasy",
    OmitCategory.THIRD_PARTY: "third-party information",
    OmitCategory.SUBSTANCE_USE: "substance use",
    OmitCategory.SEXUAL_REPRODUCTIVE: "sexual/reproductive health",
    OmitCategory.HIV_STI: "HIV/STI",
    OmitCategory.LEGAL: "legal",
    OmitCategory.CLIENT_REQUESTED: "client-requested",
    OmitCategory.OTHER: "other",
}


# Short forms a clinician is likely to type.
_CATEGORY_ALIASES = {
    "dream": OmitCategory.DREAM_FANTASY,
    "fantasy": OmitCategory.DREAM_FANTASY,
    "third-party-information": OmitCategory.THIRD_PARTY,
    "substance": OmitCategory.SUBSTANCE_USE,
    "sexual": OmitCategory.SEXUAL_REPRODUCTIVE,
    "reproductive": OmitCategory.SEXUAL_REPRODUCTIVE,
    "sexual-health": OmitCategory.SEXUAL_REPRODUCTIVE,
    "hiv": OmitCategory.HIV_STI,
    "sti": OmitCategory.HIV_STI,
    "client": OmitCategory.CLIENT_REQUESTED,
}


class ClientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISCHARGED = "discharged"


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class EntryType(StrEnum):
    ORIGINAL = "original"
    ADDENDUM = "addendum"
    LATE_ENTRY = "late_entry"


@dataclass(frozen=True)
class OmitSpan:
    """A flagged passage: characters [start, end) of the note body.

    In a joint note, `about` names the participant (client id) whose passage it is; a passage
    naming no one belongs to the note's own client. Another participant's passage never leaves
    in a client's release, whatever categories are included.
    """

    start: int
    end: int
    category: OmitCategory
    about: int | None = None


@dataclass(frozen=True)
class Client:
    """A client as the faces show it; the legal name only when not sealed."""

    id: int
    display_name: str  # the pseudonym when the legal name is sealed
    legal_name: str | None  # None when sealed behind re-authentication
    is_pseudonymous: bool
    date_of_birth: str | None
    status: ClientStatus
    last_service_date: str | None
    consent_notice_date: str | None
    retention_policy: str | None
    created_at: str
    updated_at: str

    @property
    def record_id(self) -> str:
        return f"C-{self.id:05d}"

    @property
    def initials(self) -> str:
        return initials_of(self.display_name)


def initials_of(name: str) -> str:
    """Initials for screen-share-safe views ("Alder Sampleton" -> "A.S.")."""
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() + "." for p in parts[:3]) or "?"


@dataclass(frozen=True)
class SessionInfo:
    """Session metadata of a general-record note (none of it belongs in psychotherapy notes)."""

    session_date: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    service_code: str | None = None
    modality: str | None = None
    diagnosis_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A general-record note, whole."""

    id: int
    client_id: int
    participant_ids: tuple[int, ...]  # every client in the session, the owner first
    template: str
    entry_type: EntryType
    parent_id: int | None
    status: NoteStatus
    session: SessionInfo
    body: str
    spans: tuple[OmitSpan, ...]
    omit_category: OmitCategory | None  # set when the whole note is flagged
    late_reason: str | None
    created_at: str
    updated_at: str
    signed_at: str | None

    @property
    def record_id(self) -> str:
        return f"N-{self.id:06d}"

    @property
    def is_signed(self) -> bool:
        return self.status is NoteStatus.SIGNED


@dataclass(frozen=True)
class NoteSummary:
    """A timeline row: what a list needs, never the body."""

    id: int
    client_id: int
    template: str
    entry_type: EntryType
    parent_id: int | None
    status: NoteStatus
    session_date: str | None
    created_at: str
    signed_at: str | None
    omit_category: OmitCategory | None
    participant_count: int
    flagged_passages: int = 0  # omission-flagged spans in the note

    @property
    def record_id(self) -> str:
        return f"N-{self.id:06d}"


@dataclass(frozen=True)
class PsychotherapyNote:
    """A psychotherapy note (kept apart from the general record), whole."""

    id: int
    client_id: int
    session_date: str | None
    body: str
    created_at: str
    updated_at: str
    spans: tuple[OmitSpan, ...] = ()  # flagged passages, as in general-record notes

    @property
    def record_id(self) -> str:
        return f"P-{self.id:06d}"


@dataclass(frozen=True)
class SearchHit:
    """One search result: the note, its client and a snippet."""

    note_id: int
    client_id: int
    client_display_name: str
    session_date: str | None
    template: str
    score: float
    # The snippet as (text, is_match) parts, so no UI has to parse markers out of note text.
    snippet: tuple[tuple[str, bool], ...] = field(default_factory=tuple)
    # An addendum is listed as one, naming the note it amends (not as its "free" template).
    entry_type: EntryType = EntryType.ORIGINAL
    parent_id: int | None = None

    @property
    def snippet_text(self) -> str:
        return "".join(part for part, _ in self.snippet)
