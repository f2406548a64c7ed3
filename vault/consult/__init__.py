"""De-identified case summaries for supervision and consultation (issue 15)."""

from .detect import Finding, Kind, Knowledge, KnownPerson, detect
from .summary import CaseSummary, Consult, Person, SummaryFormat

__all__ = [
    "CaseSummary",
    "Consult",
    "Finding",
    "Kind",
    "Knowledge",
    "KnownPerson",
    "Person",
    "SummaryFormat",
    "detect",
]
