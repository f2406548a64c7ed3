"""Issue 14: the client list filter builds only the rows it shows, and still counts the rest."""

from __future__ import annotations

from vault import Vault


def test_filter_with_a_limit_builds_only_that_many_and_counts_all(vault: Vault) -> None:
    for i in range(12):
        vault.clients.add(f"Rowan Fakeley {i}")
    vault.clients.add("Other Sampleton")
    shown = vault.clients.list("fakeley", limit=5)
    assert len(shown) == 5
    assert [c.display_name for c in shown] == [
        c.display_name for c in vault.clients.list("fakeley")[:5]
    ]
    assert vault.clients.count("fakeley") == 12
    assert vault.clients.count() == 13
    assert vault.clients.count("  ") == 13
    assert vault.clients.list("sampleton", limit=5)[0].display_name == "Other Sampleton"
