"""Disposal verification and names that contain one another (issue 14: the FAIL at 200k notes,
100 clients, where "Alder Sampleton 1" was "found" inside the kept "Alder Sampleton 12")."""

from __future__ import annotations

from tests.support.cli import PASSPHRASE
from vault import SessionInfo, Vault
from vault.crypto.forensics import Fingerprints


def test_disposed_name_inside_a_kept_name_is_no_trace(vault: Vault) -> None:
    """Disposing of "Alder Sampleton 1" passes while "Alder Sampleton 12" and "Alder
    Sampleton 1N" stay, named in their own rows, notes and the index."""
    gone = vault.clients.add("Alder Sampleton 1", last_service_date="2010-01-05")
    kept = [
        vault.clients.add(name, last_service_date="2025-06-01")
        for name in ("Alder Sampleton 12", "Alder Sampleton 1N")
    ]
    vault.notes.create(
        gone.id,
        body="Talked through the quarrel at the allotment",
        session=SessionInfo(session_date="2009-04-04"),
    )
    for client in kept:
        vault.notes.create(
            client.id,
            body=f"{client.display_name} practised breathing",
            session=SessionInfo(session_date="2025-05-01"),
        )
    result = vault.disposal.dispose(PASSPHRASE, [gone.id], ["Alder Sampleton 1"])
    traces = {c.name: c for c in result.verification.checks if c.name.endswith("traces")}
    assert traces and all(c.ok for c in traces.values()), traces
    assert result.verification.ok
    assert sorted(c.display_name for c in vault.clients.list()) == [
        "Alder Sampleton 12",
        "Alder Sampleton 1N",
    ]


def test_a_leftover_row_is_found_even_glued_to_the_next_column() -> None:
    """SQLite writes a row's columns back to back: a leftover clients row reads "Alder
    Sampleton 1Alder Sampleton 11970-02-02". Only occurrences inside a kept name are excused;
    word boundaries alone would have missed this row."""
    prints = Fingerprints()
    prints.add_name("Alder Sampleton 1", ["Alder Sampleton 12", "Alder Sampleton 1N"])
    name = b"Alder Sampleton 1"
    assert prints.search(b"\x00\x17Alder Sampleton 12\x00Alder Sampleton 1N") == set()
    assert prints.search(b"\x00Alder Sampleton 1Alder Sampleton 11970-02-02active") == {name}
    assert prints.search(b"kept: Alder Sampleton 12; gone: Alder Sampleton 1.") == {name}
    assert prints.search(b"Alder Sampleton 1") == {name}
    bare = Fingerprints()
    bare.add_name("Alder Sampleton 1")
    assert bare.search(b"Alder Sampleton 12") == {name}  # no kept name given: found
