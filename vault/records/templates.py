"""Note templates: the structured formats clinicians write in."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError


@dataclass(frozen=True)
class Template:
    """A note template: its sections and what a release calls it."""

    key: str
    title: str
    document_kind: str  # what a release calls it: progress note, assessment, ...
    sections: tuple[str, ...]

    def skeleton(self) -> str:
        """The empty body a new note starts from."""
        return "".join(f"{section}:\n\n" for section in self.sections)


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template(
            "soap",
            "SOAP progress note",
            "progress_note",
            ("Subjective", "Objective", "Assessment", "Plan"),
        ),
        Template("dap", "DAP progress note", "progress_note", ("Data", "Assessment", "Plan")),
        Template(
            "birp",
            "BIRP progress note",
            "progress_note",
            ("Behavior", "Intervention", "Response", "Plan"),
        ),
        Template(
            "girp",
            "GIRP progress note",
            "progress_note",
            ("Goal", "Intervention", "Response", "Plan"),
        ),
        Template(
            "intake",
            "Intake assessment",
            "assessment",
            (
                "Presenting problem",
                "History",
                "Mental status",
                "Risk assessment",
                "Diagnostic impressions",
                "Recommendations",
            ),
        ),
        Template(
            "treatment-plan",
            "Treatment plan",
            "treatment_plan",
            ("Problems", "Goals", "Objectives", "Interventions", "Target dates", "Review date"),
        ),
        Template(
            "discharge",
            "Discharge summary",
            "discharge_summary",
            (
                "Reason for discharge",
                "Course of treatment",
                "Status at discharge",
                "Diagnosis at discharge",
                "Referrals and recommendations",
            ),
        ),
        Template("free", "Free-form note", "progress_note", ()),
    )
}


def get_template(key: str) -> Template:
    try:
        return TEMPLATES[key.strip().lower()]
    except KeyError:
        raise UsageError(f"unknown template {key!r}; use one of: {', '.join(TEMPLATES)}") from None
