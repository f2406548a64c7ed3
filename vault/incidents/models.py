"""The incident register's values: kinds, conclusions, affected copies and clients, notices.

An incident names clients by record id (`C-00012`) and counts, never by name or content, so it
outlives disposal of the clients it names (docs/ARCHITECTURE.md, Disposal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from ..crypto.kdf import MIN_MEMORY_KIB, MIN_TIME_COST
from ..errors import UsageError

NOTICE_DAYS = 60  # 164.404(b): without unreasonable delay, at the latest 60 days after discovery
HHS_DAYS_AFTER_YEAR = 60  # 164.408(c): breaches under 500, within 60 days of the year's end
MEDIA_THRESHOLD = 500  # 164.406 / 164.408(b): 500 or more residents -> media and HHS at once


class IncidentStepError(UsageError):
    """A step of the register refused because an earlier one is missing: `needs` names it
    ('keys': the keys-compromised answer, 'conclusion', 'notices'), for the faces' hints."""

    title = "Incident"

    def __init__(self, message: str, incident: str, needs: str) -> None:
        super().__init__(message)
        self.incident = incident
        self.needs = needs


class IncidentKind(StrEnum):
    LOST_DEVICE = "lost_device"
    STOLEN_DEVICE = "stolen_device"
    MISDIRECTED_RELEASE = "misdirected_release"
    UNAUTHORISED_ACCESS = "unauthorised_access"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def hhs_type(self) -> str:
        """The 'type of breach' HHS's breach portal asks for."""
        return _HHS_TYPES[self]


_KIND_LABELS = {
    IncidentKind.LOST_DEVICE: "lost laptop or drive",
    IncidentKind.STOLEN_DEVICE: "stolen laptop or drive",
    IncidentKind.MISDIRECTED_RELEASE: "records released to the wrong person",
    IncidentKind.UNAUTHORISED_ACCESS: "unauthorised access",
    IncidentKind.OTHER: "other",
}
_HHS_TYPES = {
    IncidentKind.LOST_DEVICE: "Loss",
    IncidentKind.STOLEN_DEVICE: "Theft",
    IncidentKind.MISDIRECTED_RELEASE: "Unauthorized Access/Disclosure",
    IncidentKind.UNAUTHORISED_ACCESS: "Unauthorized Access/Disclosure",
    IncidentKind.OTHER: "Other",
}


class Conclusion(StrEnum):
    NOT_BREACH = "not_breach"  # the encryption safe harbor: secured PHI, keys not compromised
    LOW_PROBABILITY = "low_probability"  # the four-factor assessment shows it (164.402(2))
    BREACH = "breach"

    @property
    def label(self) -> str:
        return {
            Conclusion.NOT_BREACH: "not a breach (encryption safe harbor, keys not compromised)",
            Conclusion.LOW_PROBABILITY: "not a breach (low probability of compromise)",
            Conclusion.BREACH: "breach: notify every affected client",
        }[self]


class KeysCompromised(StrEnum):
    """Whether the passphrase or the recovery sheet may also have been compromised."""

    NO = "no"
    YES = "yes"
    UNKNOWN = "unknown"


# What kinds of record a copy or a release carried, in words a client reads.
RECORD_KINDS: dict[str, str] = {
    "identity": "your name and date of birth",
    "notes": "the notes of your sessions (dates, services, diagnoses and what was discussed)",
    "psychotherapy_notes": "your therapist's separate psychotherapy notes",
    "release": "the records in a release of information",
}


@dataclass(frozen=True)
class MediaCopy:
    """One encrypted copy that was on the lost media: what protected it (catalog facts)."""

    label: str  # the backup file name
    created_at: str
    archive_cipher: str
    archive_key_bits: int
    database_cipher: str
    kdf: dict[str, Any]
    record_ids: tuple[str, ...] = ()
    key_epoch: int | None = None

    @property
    def weak_kdf(self) -> bool:
        """The test preset (or anything under the floor `confide status` calls weak)."""
        try:
            memory = int(self.kdf.get("memory_kib", 0))
            time_cost = int(self.kdf.get("time_cost", 0))
        except (TypeError, ValueError):
            return True
        return (
            memory < MIN_MEMORY_KIB
            or time_cost < MIN_TIME_COST
            or str(self.kdf.get("preset")) == "test-insecure"
        )

    @property
    def encrypted(self) -> bool:
        return bool(self.archive_cipher) and self.archive_key_bits >= 128

    def describe_kdf(self) -> str:
        k = self.kdf
        try:
            mib = int(k.get("memory_kib", 0)) // 1024
        except (TypeError, ValueError):
            mib = 0
        return (
            f"Argon2id t={k.get('time_cost')}, m={mib} MiB, p={k.get('parallelism')} "
            f"({k.get('preset', 'unknown preset')})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "created_at": self.created_at,
            "archive_cipher": self.archive_cipher,
            "archive_key_bits": self.archive_key_bits,
            "database_cipher": self.database_cipher,
            "kdf": dict(self.kdf),
            "record_ids": list(self.record_ids),
            "key_epoch": self.key_epoch,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> MediaCopy:
        return cls(
            str(doc.get("label", "")),
            str(doc.get("created_at", "")),
            str(doc.get("archive_cipher", "")),
            int(doc.get("archive_key_bits", 0)),
            str(doc.get("database_cipher", "")),
            dict(doc.get("kdf") or {}),
            tuple(str(r) for r in doc.get("record_ids", ())),
            None if doc.get("key_epoch") is None else int(doc["key_epoch"]),
        )


@dataclass(frozen=True)
class AffectedClient:
    record_id: str  # C-00012: text, so the register outlives the client's disposal
    kinds: tuple[str, ...]
    notes: int  # how many general-record notes the media or release held
    source: str  # catalog, disclosure or chosen
    in_vault: bool = True  # False once the client was disposed of

    @property
    def client_id(self) -> int:
        return int(self.record_id.removeprefix("C-"))


@dataclass(frozen=True)
class Notice:
    id: int
    incident_id: int
    record_id: str
    state: str  # written (a letter was produced) or sent
    method: str | None
    sent_on: str | None
    format: str | None
    sha256: str | None
    recorded_at: str


@dataclass(frozen=True)
class Incident:
    id: int
    kind: IncidentKind
    occurred_on: str | None
    discovered_on: str
    description: str
    media: str
    containment: str
    source: str
    copies: tuple[MediaCopy, ...]
    clients: tuple[AffectedClient, ...]
    keys_compromised: KeysCompromised | None
    nature: str
    recipient: str
    acquired: str
    mitigation: str
    conclusion: Conclusion | None
    conclusion_reason: str | None
    concluded_on: str | None
    letter: dict[str, str]
    status: str
    closed_on: str | None
    close_note: str | None
    created_at: str
    notices: tuple[Notice, ...] = field(default=())

    @property
    def record_id(self) -> str:
        return f"I-{self.id:06d}"

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def presumed_breach(self) -> bool:
        """Until an assessment concludes otherwise, an incident is presumed a breach
        (164.402(2)): its clock runs from discovery."""
        return self.conclusion in (None, Conclusion.BREACH)

    @property
    def deadline(self) -> date | None:
        """The last day for the notices (discovery + 60 days), while it matters."""
        if not self.presumed_breach:
            return None
        return date.fromisoformat(self.discovered_on) + timedelta(days=NOTICE_DAYS)

    @property
    def affected(self) -> int:
        return len(self.clients)

    @property
    def weak_copies(self) -> tuple[MediaCopy, ...]:
        return tuple(c for c in self.copies if c.weak_kdf)

    @property
    def sent_to(self) -> frozenset[str]:
        return frozenset(n.record_id for n in self.notices if n.state == "sent")

    @property
    def unnotified(self) -> tuple[str, ...]:
        sent = self.sent_to
        return tuple(c.record_id for c in self.clients if c.record_id not in sent)

    @property
    def factors_complete(self) -> bool:
        return all(x.strip() for x in (self.nature, self.recipient, self.acquired, self.mitigation))


def hhs_due(year: int) -> date:
    """The day the log of a year's breaches under 500 is due at HHS."""
    return date(year, 12, 31) + timedelta(days=HHS_DAYS_AFTER_YEAR)
