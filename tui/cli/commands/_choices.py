"""The values argparse offers as choices, written out so building the parser imports no core.

`confide --help` must start as fast as Python itself (issue 13): the core's enums live in modules
that load SQLCipher, Argon2 and the record models. tests/cli/test_startup.py checks that these
lists equal the core's, so a new template or status cannot be forgotten here.
"""

from __future__ import annotations

KDF_PRESETS = ("test-insecure", "default")  # vault.PRESETS
TEMPLATES = (
    "soap",
    "dap",
    "birp",
    "girp",
    "intake",
    "treatment-plan",
    "discharge",
    "free",
)  # vault.TEMPLATES
CLIENT_STATUSES = ("active", "inactive", "discharged")  # vault.ClientStatus
# vault.disclosures.RequestType without client-access (that one is `confide access`)
RELEASE_TYPES = ("authorization", "court-order", "subpoena", "mandated-report", "duty-to-warn")
DOCUMENT_KINDS = (
    "progress-note",
    "treatment-plan",
    "assessment",
    "discharge-summary",
)  # vault.disclosures.DocumentKind, as typed
INCIDENT_KINDS = (
    "lost-device",
    "stolen-device",
    "misdirected-release",
    "unauthorised-access",
    "other",
)  # vault.incidents.IncidentKind, as typed
KEYS_COMPROMISED = ("no", "yes", "unknown")  # vault.incidents.KeysCompromised
CONCLUSIONS = ("not-breach", "low-probability", "breach")  # vault.incidents.Conclusion, as typed
SUMMARY_FORMATS = ("txt", "md", "pdf")  # vault.consult.SummaryFormat
DENIAL_GROUNDS = (
    "legal-proceedings",
    "confidential-source",
    "research",
    "inmate",
    "endangerment",
    "harm-to-other",
    "representative-harm",
)  # vault.disclosures.DenialGround
RELATIONS = ("parent", "guardian", "agent", "other")  # vault.disclosures.Relation
SERVICE_BASES = ("minor-consented", "court-authorized", "parent-agreed")  # ServiceBasis
