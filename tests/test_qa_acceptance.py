"""Rough edges found in acceptance QA of issues 2, 4, 5 and 6, walking the CLI as a new user."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import Cli


def _client_with_two_kinds(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Quill Sampleton", "--dob", "1990-04-02").code == 0
    day = (date.today() - timedelta(days=30)).isoformat()
    for template, text in (("dap", "Data: qaprogressword"), ("intake", "Intake: qaintakeword")):
        made = cli("note", "add", "1", "--template", template, "--date", day, "--body", text,
                   "--sign")
        assert made.code == 0, made.stderr


def test_release_defaults_to_the_kinds_the_authorization_covers(cli: Cli) -> None:
    """As in the README: an authorization for progress notes and treatment plans, a release
    without --kind sends what it covers instead of failing on assessments."""
    _client_with_two_kinds(cli)
    signed = (date.today() - timedelta(days=1)).isoformat()
    expires = (date.today() + timedelta(days=365)).isoformat()
    auth = cli("auth", "add", "C-00001", "--what", "progress notes and treatment plan",
               "--discloser", "Dr. Able", "--to", "Dr. Birch", "--address", "1 Elm St",
               "--for", "continuity of care", "--signed", signed, "--expires", expires,
               "--doc-kind", "progress-note", "--doc-kind", "treatment-plan")
    assert auth.code == 0, auth.stderr
    preview = cli("release", "C-00001", "--authorization", "A-00001", "--to", "Dr. Birch",
                  "--for", "continuity of care", "--preview", "--json")
    assert preview.code == 0, preview.stderr
    data = preview.json
    assert isinstance(data, dict)
    assert "qaprogressword" in data["preview"] and "qaintakeword" not in data["preview"]
    # Asking for a kind the form does not cover is still refused with the reason.
    refused = cli("release", "C-00001", "--authorization", "A-00001", "--to", "Dr. Birch",
                  "--for", "continuity of care", "--kind", "assessment", "--preview")
    assert refused.code == 1 and "does not cover" in refused.stderr
