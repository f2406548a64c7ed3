"""Release defaults both faces offer, so the app and `confide release` send the same thing."""

from __future__ import annotations

from vault import Vault
from vault.disclosures import ALL_KINDS, DocumentKind


def default_document_kinds(vault: Vault, authorization_id: int | None) -> tuple[DocumentKind, ...]:
    """The document kinds a release covers when none are chosen: what the named authorization
    covers rather than refusing the kinds it does not; with no authorization, every kind.

    A psychotherapy-notes authorization covers no general kind: every kind is offered, and its
    own refusal then applies.
    """
    if authorization_id is None:
        return ALL_KINDS
    covered = vault.disclosures.authorizations.get(authorization_id).document_kinds
    return tuple(covered) or ALL_KINDS
