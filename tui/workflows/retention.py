"""A client's retention as the app shows it: the policy choices and when the record is due.

Apart from `disposal` so the client form and timeline load no backup code at launch."""

from __future__ import annotations

from datetime import date

from vault import Vault


def retention_summary(vault: Vault, client_id: int, today: date | None = None) -> str:
    """One line on a client's retention: the policy and when the record becomes due for
    disposal (or that it is due, or held), as the timeline and the disposal screen say it."""
    (entry,) = vault.retention.schedule(today, [client_id])
    policy = vault.retention.get(entry.policy).label
    if entry.status == "held":
        return f"Retention: {policy}; on legal hold, never disposed of while held"
    if entry.is_due:
        return f"Retention: {policy}; due for disposal since {entry.disposal_date}"
    return f"Retention: {policy}; due for disposal on {entry.disposal_date}"


def policy_choices(vault: Vault) -> list[tuple[str, str]]:
    """(label, key) of every retention policy, the vault default first as DEFAULT_POLICY."""
    default = vault.retention.default()
    return [(f"Practice default ({default.key})", DEFAULT_POLICY)] + [
        (p.label, p.key) for p in vault.retention.policies()
    ]


DEFAULT_POLICY = "-default-"  # a client with no policy of their own follows the vault default
