"""One run of every `confide` command with --json, in an order that makes each succeed.

Used by tests/cli/test_json_envelope.py (every command's output against the envelope) and to
write the examples in docs/CLI-JSON.md:

    .venv/bin/python -m tests.support.cli_examples > /tmp/examples.md

Placeholders: {tmp} a scratch folder, {drive} a folder used as a backup drive, {archive} the
backup the run writes, {drive_id} its drive. Synthetic names only.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli import PASSPHRASE, CliResult

EXAMPLES: list[tuple[str, ...]] = [
    ("--vault", "{tmp}/second", "init", "--kdf", "test-insecure"),
    ("status",),
    ("client", "add", "Ada Quist", "--dob", "1980-04-02", "--last-service", "2026-01-05"),
    ("client", "add", "Olin Pastdue", "--last-service", "2001-03-03"),
    ("client", "list"),
    ("client", "show", "C-00001"),
    ("client", "edit", "C-00001", "--consent-notice", "2026-01-05"),
    ("notice", "status"),
    ("notice", "template"),
    ("notice", "sections"),
    ("notice", "switch", "State-specific requirements", "--on"),
    ("notice", "edit", "--file", "{tmp}/notice-template.txt"),
    ("notice", "versions"),
    ("notice", "pdf", "C-00002", "--out", "{tmp}/notice.pdf", "--yes"),
    ("notice", "given", "C-00002", "--date", "2026-01-06"),
    ("notice", "acknowledged", "C-00002", "--date", "2026-01-06"),
    ("notice", "list", "C-00002"),
    ("note", "add", "C-00001", "--body", "First session; sleep is poor.", "--date", "2026-01-05"),
    ("note", "edit", "N-000001", "--body", "First session; sleep is poor. Plan: diary."),
    ("note", "show", "N-000001"),
    ("note", "list", "C-00001"),
    ("note", "sign", "N-000001"),
    ("note", "addend", "N-000001", "--body", "Correction: two sessions a month."),
    ("pnote", "add", "C-00001", "--body", "Impression: guarded, warming.", "--date", "2026-01-05"),
    ("pnote", "show", "P-000001"),
    ("pnote", "list", "C-00001"),
    ("pnote", "search", "guarded"),
    ("person", "add", "C-00001", "Bo Quist", "--role", "brother"),
    ("person", "list", "C-00001"),
    ("consult", "C-00001", "--note", "N-000001"),
    ("consult", "C-00001", "--note", "N-000001", "--format", "md", "--out", "{tmp}", "--yes"),
    ("person", "remove", "1"),
    ("attach", "C-00001", "{tmp}/intake.pdf", "--kind", "intake"),
    ("attachment", "list", "C-00001"),
    ("attachment", "get", "F-00001", "--out", "{tmp}/intake-copy.pdf", "--yes"),
    ("inbox", "scan", "--folder", "{tmp}/inbox"),
    ("inbox", "watch", "--once"),
    ("inbox", "list"),
    ("inbox", "assign", "F-00002", "C-00001", "--kind", "consent"),
    ("attachment", "remove", "F-00002", "--reason", "scanned for the wrong client"),
    ("search", "sleep"),
    ("audit", "verify"),
    ("audit", "list", "--limit", "2"),
    ("audit", "acknowledge-rollback"),
    ("backup", "drive", "add", "{drive}", "--label", "stick"),
    ("backup", "drive", "list"),
    ("backup", "run"),
    ("backup", "verify", "{archive}"),
    ("backup", "list"),
    ("backup", "watch", "--once", "--root", "{tmp}"),
    ("backup", "settings"),
    ("--vault", "{tmp}/restored", "restore", "{archive}"),
    ("practice", "set", "--name", "Dr. Example Practice"),
    ("practice", "show"),
    ("custodian", "contact", "C-00001", "--set", "12 Harbor Road, Springfield"),
    (
        "custodian",
        "designate",
        "--name",
        "Dr. Kim Birch",
        "--role",
        "Licensed psychologist, PSY 12345",
        "--contact",
        "kim.birch@example.org",
        "--sheet",
        "{tmp}/custodian-sheet.txt",
    ),
    ("custodian", "status"),
    ("custodian", "reissue", "--sheet", "{tmp}/custodian-sheet.pdf"),
    ("custodian", "clients"),
    ("custodian", "template"),
    ("custodian", "letter", "C-00001", "--out", "{tmp}/letter.pdf", "--yes"),
    ("custodian", "instructions", "--out", "{tmp}/instructions.pdf", "--yes"),
    ("custodian", "revoke", "--yes"),
    (
        "auth",
        "add",
        "C-00001",
        "--what",
        "progress notes",
        "--discloser",
        "Dr. Example",
        "--to",
        "Dr. Birch",
        "--for",
        "continuity of care",
        "--signed",
        "2026-01-06",
        "--expires",
        "2027-01-06",
    ),
    ("auth", "list", "C-00001"),
    (
        "release",
        "C-00001",
        "--authorization",
        "A-00001",
        "--to",
        "Dr. Birch",
        "--for",
        "continuity of care",
        "--out",
        "{tmp}/release.md",
        "--yes",
    ),
    ("access", "C-00001"),
    (
        "representative",
        "add",
        "C-00001",
        "--name",
        "Gil Quist",
        "--relation",
        "guardian",
        "--authority",
        "guardianship order of 2025-11-02",
    ),
    ("representative", "list", "C-00001"),
    (
        "minor-service",
        "add",
        "C-00001",
        "--service",
        "substance use counseling",
        "--basis",
        "minor-consented",
        "--from",
        "2026-01-01",
    ),
    ("minor-service", "list", "C-00001"),
    ("access-request", "add", "C-00001"),
    ("access-request", "add", "C-00001", "--representative", "G-00001"),
    ("access-request", "list"),
    ("access-request", "show", "X-00001"),
    (
        "access-request",
        "extend",
        "X-00001",
        "--reason",
        "records are off site",
        "--out",
        "{tmp}/extension.txt",
        "--yes",
    ),
    ("access-denial", "grounds"),
    (
        "access-denial",
        "add",
        "C-00001",
        "N-000001",
        "--ground",
        "endangerment",
        "--passage",
        "sleep is poor",
        "--text",
        "Risk assessed in session.",
    ),
    ("access-denial", "list", "C-00001"),
    ("access-denial", "letter", "C-00001", "--out", "{tmp}/denial.txt", "--yes"),
    (
        "access-denial",
        "review",
        "W-00001",
        "--reviewer",
        "Dr. Kim Birch",
        "--license",
        "PSY 12345",
        "--outcome",
        "overturned",
        "--text",
        "No risk now.",
    ),
    ("access", "C-00001", "--request", "X-00001", "--out", "{tmp}/copy.pdf", "--yes"),
    ("representative", "decline", "G-00001", "--text", "Safety concern recorded in session."),
    ("disclosures", "C-00001", "--all"),
    ("auth", "revoke", "A-00001", "--on", "2026-03-01"),
    ("amend", "request", "C-00001", "N-000001", "--text", "The date is wrong."),
    ("amend", "list", "C-00001"),
    ("amend", "extend", "M-00001", "--reason", "records are off site"),
    ("amend", "deny", "M-00001", "--text", "The date is right."),
    ("amend", "disagree", "M-00001", "--text", "I still disagree."),
    ("amend", "rebut", "M-00001", "--text", "The calendar shows the date."),
    ("amend", "request", "C-00001", "N-000001", "--text", "Add my new address."),
    ("amend", "accept", "M-00002", "--text", "Address updated."),
    ("release", "C-00001", "--type", "subpoena", "--to", "Harbor Law LLP", "--reference", "Case 7"),
    ("request", "list"),
    ("request", "show", "Q-00001"),
    ("request", "update", "Q-00001", "--client-notified", "2026-01-07"),
    ("legal-hold", "list"),
    ("legal-hold", "place", "C-00001", "--reason", "litigation expected"),
    ("legal-hold", "release", "H-00002", "--note", "settled"),
    ("retention", "policies"),
    ("retention", "list"),
    ("retention", "add", "de-psych", "--label", "Germany, 10 years", "--years", "10"),
    ("retention", "set", "C-00001", "de-psych"),
    ("retention", "default", "apa"),
    (
        "export",
        "--out",
        "{tmp}/record.age",
        "--export-passphrase-file",
        "{tmp}/export-pass",
        "--yes",
    ),
    (
        "--vault",
        "{tmp}/imported",
        "import",
        "{tmp}/record.age",
        "--export-passphrase-file",
        "{tmp}/export-pass",
        "--kdf",
        "test-insecure",
    ),
    ("dispose", "--due"),
    ("dispose", "C-00002", "--confirm", "Olin Pastdue"),
    ("dispose", "verify"),
    ("dispose", "log"),
    ("backup", "lost", "{drive_id}"),
    ("incident", "list"),
    ("incident", "show", "I-000001"),
    (
        "incident",
        "add",
        "--kind",
        "misdirected-release",
        "--description",
        "A letter went to the wrong address.",
        "--client",
        "C-00001",
    ),
    (
        "incident",
        "assess",
        "I-000002",
        "--keys-compromised",
        "unknown",
        "--nature",
        "one progress note",
        "--recipient",
        "a neighbour",
        "--acquired",
        "opened",
        "--mitigation",
        "returned unread",
    ),
    ("incident", "conclude", "I-000002", "breach", "--reason", "the letter was opened"),
    ("incident", "notice", "I-000002", "--out-dir", "{tmp}"),
    ("incident", "notice", "I-000002", "--sent", "C-00001"),
    ("incident", "notices", "I-000002"),
    ("incident", "close", "I-000002"),
    ("incident", "hhs-log"),
    ("incident", "template"),
    ("--vault", "{tmp}/second", "passwd", "--new-passphrase-file", "{tmp}/new-pass"),
    (
        "--vault",
        "{tmp}/second",
        "recover",
        "--recovery-key-file",
        "{tmp}/recovery-key",
        "--new-passphrase-file",
        "{tmp}/new-pass",
    ),
    ("--vault", "{tmp}/demo", "demo", "--no-open", "--clients", "1"),
    ("completion", "bash"),
    ("man",),
]


def command_of(example: tuple[str, ...]) -> str:
    """The command words of an example (`backup drive add`), options and values dropped."""
    from tui.cli.main import build_parser, command_name

    args = build_parser().parse_args([a if "{" not in a else "x" for a in example])
    name = command_name(args)
    assert name is not None
    return name


def run_examples(
    run: Callable[[list[str]], CliResult], tmp: Path
) -> list[tuple[list[str], CliResult]]:
    """Run every example with --json; `run` is the runner (in-process or a subprocess)."""
    drive = tmp / "stick"
    drive.mkdir(parents=True, exist_ok=True)
    (tmp / "new-pass").write_text("a new passphrase for the second vault\n")
    (tmp / "new-pass").chmod(0o600)  # secret files others can read are refused
    (tmp / "notice-template.txt").write_text(
        "## Limits\nWhat stays private.\n## Fees\nMissed sessions are charged.\n"
    )
    (tmp / "export-pass").write_text("harbor lantern tidal minor quartz\n")
    (tmp / "export-pass").chmod(0o600)
    values: dict[str, str] = {"tmp": str(tmp), "drive": str(drive)}
    # A scanned form to attach and one waiting in the inbox folder (synthetic PDFs).
    (tmp / "intake.pdf").write_bytes(b"%PDF-1.7\n(intake form of Ada Quist)\n%%EOF\n")
    (tmp / "inbox").mkdir(exist_ok=True)
    (tmp / "inbox" / "scan-0001.pdf").write_bytes(b"%PDF-1.7\n(signed consent)\n%%EOF\n")
    done: list[tuple[list[str], CliResult]] = []
    for example in EXAMPLES:
        args = [a.format(**values) if "{" in a else a for a in example] + ["--json"]
        result = run(args)
        done.append((args, result))
        if result.code != 0:
            break
        data: Any = result.json.get("data")
        if "init" in example:
            (tmp / "recovery-key").write_text(data["recovery_key"] + "\n")
            (tmp / "recovery-key").chmod(0o600)
        if example[:2] == ("backup", "run"):
            values["archive"] = data["path"]
            values["drive_id"] = data["drive_id"]
    return done


def _subprocess_runner(vault: Path, passphrase_file: Path) -> Callable[[list[str]], CliResult]:
    def run(args: list[str]) -> CliResult:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "--vault",
                str(vault),
                "--passphrase-file",
                str(passphrase_file),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


def _shorten(value: Any) -> Any:
    """Examples stay readable: lists show their first item, long strings are cut."""
    if isinstance(value, list):
        return [_shorten(v) for v in value[:1]] + (["..."] if len(value) > 1 else [])
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) > 160:
        return value[:157] + "..."
    return value


def markdown() -> str:
    with tempfile.TemporaryDirectory(prefix="confide-json-") as name:
        tmp = Path(name)
        vault = tmp / "vault"
        secret = tmp / "pass"
        secret.write_text(PASSPHRASE + "\n")
        secret.chmod(0o600)
        run = _subprocess_runner(vault, secret)
        init = run(["init", "--kdf", "test-insecure", "--json"])
        assert init.code == 0, init.stderr
        parts = []
        for args, result in run_examples(run, tmp):
            assert result.code == 0, (args, result.stderr)
            shown = shlex.join(a.replace(str(tmp), "/tmp/x") for a in args)
            body = "\n".join(
                json.dumps(_shorten(m), indent=2, ensure_ascii=False).replace(str(tmp), "/tmp/x")
                for m in result.messages
                if m["type"] == "result"
            )
            parts.append(
                f"### `{command_of(tuple(args))}`\n\n    confide {shown}\n\n```json\n{body}\n```\n"
            )
        return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(markdown())
