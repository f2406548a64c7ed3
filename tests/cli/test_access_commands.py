"""The right-of-access commands end to end (issue 19): a parent's request for a minor's record,
a denial and its written letter, the copy that answers the request; bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Cli

SECRET = "zqclideniedmark"


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    assert cli("client", "add", "Robin Youngling", "--dob", "2012-05-01", "--json").code == 0
    note = cli(
        "note",
        "add",
        "1",
        "--date",
        "2026-03-01",
        "--body",
        f"Slept well. {SECRET} at school. {{{{omit:dream}}}}zqclidreammark{{{{/omit}}}}",
        "--sign",
        "--json",
    )
    assert note.code == 0, note.stderr
    return cli


def test_parent_request_denial_letter_and_copy(ready: Cli, tmp_path: Path) -> None:
    """The whole path from the command line, each step in JSON."""
    rep = ready(
        "representative",
        "add",
        "C-1",
        "--name",
        "Pat Youngling",
        "--relation",
        "parent",
        "--authority",
        "parent of a minor",
        "--json",
    )
    assert rep.code == 0, rep.stderr
    assert isinstance(rep.data, dict) and rep.data["may_act"] is True
    request = ready("access-request", "add", "C-1", "--representative", "G-1", "--json")
    assert request.code == 0, request.stderr
    assert isinstance(request.data, dict) and request.data["days_left"] == 30
    denied = ready(
        "access-denial",
        "add",
        "C-1",
        "N-1",
        "--ground",
        "representative-harm",
        "--passage",
        SECRET,
        "--text",
        "Harm to the client.",
        "--request",
        "X-1",
        "--json",
    )
    assert denied.code == 0, denied.stderr
    letter = tmp_path / "denial.txt"
    # Leaving the vault without a terminal needs --yes; nothing is written without it.
    refused = ready("access-denial", "letter", "C-1", "--request", "X-1", "--out", str(letter))
    assert refused.code == 2 and not letter.exists()
    assert (
        ready(
            "access-denial", "letter", "C-1", "--request", "X-1", "--out", str(letter), "--yes"
        ).code
        == 0
    )
    text = letter.read_text()
    assert "Pat Youngling (parent, personal representative)" in text and SECRET not in text
    copy = tmp_path / "copy.txt"
    made = ready("access", "C-1", "--request", "X-1", "--out", str(copy), "--yes", "--json")
    assert made.code == 0, made.stderr
    body = copy.read_text()
    assert "zqclidreammark" in body and SECRET not in body
    assert "[withheld: ground representative-harm]" in body
    listed = ready("access-request", "list", "--json").data
    assert listed == []  # answered: no longer open
    everything = ready("access-request", "list", "--all").stdout
    assert "X-00001" in everything and "done" in everything


def test_bad_input_is_refused_and_changes_nothing(ready: Cli) -> None:
    """Unknown grounds are usage errors; a passage not in the note, a parent of an adult and a
    review of an unreviewable ground are refused with one line; no traceback."""
    assert (
        ready(
            "access-denial", "add", "C-1", "N-1", "--ground", "spite", "--whole", "--text", "x"
        ).code
        == 2
    )
    missing = ready(
        "access-denial",
        "add",
        "C-1",
        "N-1",
        "--ground",
        "endangerment",
        "--passage",
        "not there",
        "--text",
        "x",
    )
    assert missing.code == 2 and "does not occur" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert ready("client", "add", "Ada Grown", "--dob", "1980-01-01", "--json").code == 0
    assert (
        ready(
            "representative",
            "add",
            "C-2",
            "--name",
            "Old Parent",
            "--relation",
            "parent",
            "--authority",
            "parent",
        ).code
        == 0
    )
    refused = ready("access-request", "add", "C-2", "--representative", "G-1")
    assert refused.code == 15 and "is an adult" in refused.stderr
    assert (
        ready(
            "access-denial",
            "add",
            "C-1",
            "N-1",
            "--ground",
            "legal-proceedings",
            "--whole",
            "--text",
            "For the case.",
        ).code
        == 0
    )
    review = ready(
        "access-denial",
        "review",
        "W-1",
        "--reviewer",
        "Dr. B",
        "--license",
        "L",
        "--outcome",
        "overturned",
        "--text",
        "x",
    )
    assert review.code == 2 and "unreviewable" in review.stderr
    assert ready("access-request", "list", "--json").data == []
    grounds = ready("access-denial", "grounds", "--json").data
    assert isinstance(grounds, list) and len(grounds) == 7


def test_choices_written_out_for_the_parser_match_the_core() -> None:
    """The grounds, relations and bases --help offers are the core's, in its order."""
    from tui.cli.commands import _choices
    from vault.disclosures import DenialGround, Relation, ServiceBasis

    assert list(_choices.DENIAL_GROUNDS) == [g.value for g in DenialGround]
    assert list(_choices.RELATIONS) == [r.value for r in Relation]
    assert list(_choices.SERVICE_BASES) == [b.value for b in ServiceBasis]
