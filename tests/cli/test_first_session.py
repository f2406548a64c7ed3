"""End-to-end: a practitioner's first session with the command line, all in --json."""

from __future__ import annotations

from tests.support.cli import Cli


def test_init_add_client_write_sign_and_search(cli: Cli) -> None:
    """The basic path works and every step answers in JSON."""
    init = cli.init()
    assert len(init.data["recovery_key"].split("-")) == 8
    client = cli("client", "add", "Quill Sampleton", "--json").data
    note = cli(
        "note",
        "add",
        str(client["id"]),
        "--template",
        "soap",
        "--body",
        "Subjective: worried about {{omit:legal}}the hearing{{/omit}} at work",
        "--date",
        "2026-11-20",
        "--sign",
        "--json",
    ).data
    assert note["status"] == "signed"
    shown = cli("note", "show", note["record_id"], "--withheld", "--json").data
    assert "[withheld: legal]" in shown["withheld_text"]
    assert "the hearing" not in shown["withheld_text"]
    hits = cli("search", "worried", "--json").data
    assert [h["note_id"] for h in hits] == [note["id"]]
    assert cli("audit", "verify", "--json").data["ok"] is True
