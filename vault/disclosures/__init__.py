"""Disclosures: records release, right of access, authorizations, accounting, amendments.

The facade (`Disclosures`, reached as `vault.disclosures`) is in `facade.py`; this package
re-exports it and the records it hands out, so `from vault.disclosures import X` keeps working.
"""

from .access import (
    Access,
    AccessRequest,
    Denial,
    DenialGround,
    MinorService,
    Relation,
    Representative,
    ServiceBasis,
)
from .amendments import Amendment, Amendments
from .authorizations import (
    ALL_KINDS,
    Authorization,
    AuthorizationKind,
    Authorizations,
    DocumentKind,
)
from .document import Document, Section
from .facade import Disclosure, Disclosures, ExportFormat, Practice
from .release import ReleasePlan, ReleaseSpec
from .requests import ChecklistItem, RecordsRequest, RecordsRequests, RequestType

__all__ = [
    "ALL_KINDS",
    "Access",
    "AccessRequest",
    "Denial",
    "DenialGround",
    "MinorService",
    "Relation",
    "Representative",
    "ServiceBasis",
    "Amendment",
    "Amendments",
    "Authorization",
    "AuthorizationKind",
    "Authorizations",
    "ChecklistItem",
    "Disclosure",
    "Disclosures",
    "Document",
    "DocumentKind",
    "ExportFormat",
    "Practice",
    "RecordsRequest",
    "RecordsRequests",
    "ReleasePlan",
    "ReleaseSpec",
    "RequestType",
    "Section",
]
