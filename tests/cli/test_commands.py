"""The `confide` command line end to end: every command with --json, exit codes, errors, env."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import PASSPHRASE, Cli, secret_file
from tui.cli.main import main


def _ok(result: Any) -> Any:
    assert result.code == 0, result.stderr
    assert result.stderr == "" or "Traceback" not in result.stderr
    return result.data


def _one_line_error(result: Any, code: int = 1) -> str:
    """A failure: the expected exit code (tui/cli/exitcodes.py) and one line on stderr (a
    usage error found while parsing also shows the usage), no traceback."""
    assert result.code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip("\n").split("\n")
    assert lines[-1].startswith("confide: usage error: " if code == 2 else "confide: error: ")
    if not (code == 2 and lines[0].startswith("usage:")):
        assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[-1]


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    return cli


def test_init_json_shows_recovery_key_once_and_refuses_a_second_init(
    cli: Cli, tmp_path: Path
) -> None:
    """init --json reports the vault, a weak test KDF and the recovery key; a second init fails."""
    sheet = tmp_path / "sheet.txt"
    data = _ok(cli("init", "--kdf", "test-insecure", "--recovery-sheet", str(sheet), "--json"))
    assert data["kdf_weak"] is True and data["kdf"]["preset"] == "test-insecure"
    assert len(data["recovery_key"]) == 39 and data["recovery_key"] in sheet.read_text()
    assert (sheet.stat().st_mode & 0o777) == 0o600
    assert data["folder"] == str(cli.vault_dir)
    again = cli("init", "--kdf", "test-insecure", "--json")
    assert "already exists" in _one_line_error(again)
    assert again.json["type"] == "error" and again.json["error"] == "failure"


def test_status_text_warns_about_a_weak_kdf(ready: Cli) -> None:
    """The human status output warns loudly when the test preset is in use."""
    out = ready("status")
    assert out.code == 0 and "WEAK" in out.stdout


def test_client_commands_json(ready: Cli) -> None:
    """client add/list/show/edit all work with --json."""
    added = _ok(
        ready(
            "client",
            "add",
            "Hazel Fakeley",
            "--dob",
            "1980-01-02",
            "--consent-notice",
            "2026-01-01",
            "--json",
        )
    )
    assert added["display_name"] == "Hazel Fakeley" and added["record_id"] == "C-00001"
    listed = _ok(ready("client", "list", "--json"))
    assert [c["id"] for c in listed] == [added["id"]]
    shown = _ok(ready("client", "show", "C-00001", "--json"))
    assert shown["client"]["date_of_birth"] == "1980-01-02"
    edited = _ok(
        ready(
            "client",
            "edit",
            "1",
            "--status",
            "discharged",
            "--last-service",
            "2026-02-02",
            "--json",
        )
    )
    assert edited["status"] == "discharged" and edited["last_service_date"] == "2026-02-02"
    assert _ok(ready("client", "list", "--status", "active", "--json")) == []
    assert _ok(ready("client", "list", "--filter", "hazel", "--json"))[0]["id"] == 1
    assert "no client C-00009" in _one_line_error(ready("client", "show", "C-00009"), 14)


def test_pseudonymous_client_never_shows_the_legal_name(ready: Cli) -> None:
    """The legal name is in no list or show output until --reveal-name, which is audited."""
    _ok(ready("client", "add", "Saffron Realname", "--pseudonym", "Client Finch", "--json"))
    for args in (
        ("client", "list", "--json"),
        ("client", "list"),
        ("client", "show", "1"),
        ("client", "show", "1", "--json"),
    ):
        result = ready(*args)
        assert result.code == 0 and "Realname" not in result.stdout + result.stderr
        assert "Client Finch" in result.stdout
    revealed = _ok(ready("client", "show", "1", "--reveal-name", "--json"))
    assert revealed["revealed_legal_name"] == "Saffron Realname"
    entries = _ok(ready("audit", "list", "--json"))
    assert any(e["action"] == "reveal" for e in entries)


def test_note_commands_json(ready: Cli, tmp_path: Path) -> None:
    """note add/show/list/edit/sign/addend all work with --json, with flags and metadata."""
    _ok(ready("client", "add", "Ember Testwell", "--json"))
    _ok(ready("client", "add", "Fennel Testwell", "--json"))
    body = tmp_path / "body.txt"
    body.write_text("Subjective: {{omit:dream}}dreamt of the sea{{/omit}} and slept well\n")
    note = _ok(
        ready(
            "note",
            "add",
            "C-00001",
            "--template",
            "soap",
            "--body-file",
            str(body),
            "--date",
            "2026-11-20",
            "--start",
            "10:00",
            "--end",
            "10:50",
            "--service-code",
            "90834",
            "--modality",
            "family",
            "--dx",
            "F41.1",
            "--with",
            "C-00002",
            "--json",
        )
    )
    assert note["status"] == "draft" and note["participant_ids"] == [1, 2]
    assert note["spans"] == [{"start": 12, "end": 29, "category": "dream-fantasy", "about": None}]
    assert note["session"]["diagnosis_codes"] == ["F41.1"]
    edited = _ok(
        ready("note", "edit", note["record_id"], "--body", "Subjective: slept well", "--json")
    )
    assert edited["body"] == "Subjective: slept well" and edited["spans"] == []
    assert edited["session"]["service_code"] == "90834"  # untouched without session options
    redated = _ok(ready("note", "edit", "1", "--date", "2026-11-21", "--json"))
    assert redated["session"] == {**note["session"], "session_date": "2026-11-21"}
    shown = _ok(ready("note", "show", "N-000001", "--json"))
    assert shown["note"]["body"] == "Subjective: slept well"
    assert [n["id"] for n in _ok(ready("note", "list", "C-00002", "--json"))] == [1]
    signed = _ok(ready("note", "sign", "1", "--json"))
    assert signed["status"] == "signed" and signed["signed_at"]
    refused = ready("note", "edit", "1", "--body", "changed", "--json")
    assert "signed" in _one_line_error(refused, 15)
    addendum = _ok(ready("note", "addend", "1", "--body", "Addendum: correct date", "--json"))
    assert addendum["entry_type"] == "addendum" and addendum["parent_id"] == 1
    timeline = _ok(ready("note", "list", "1", "--json"))
    assert [(n["id"], n["parent_id"]) for n in timeline] == [(1, None), (addendum["id"], 1)]
    text = ready("note", "show", "1")
    assert text.code == 0 and "Ember Testwell" in text.stdout and "signed at" in text.stdout


def test_note_add_late_entry_whole_flag_and_withheld_show(ready: Cli) -> None:
    """--late labels the entry, --omit-whole flags it, show --withheld hides flagged text."""
    _ok(ready("client", "add", "Garnet Mockridge", "--json"))
    late = _ok(
        ready(
            "note",
            "add",
            "1",
            "--late",
            "laptop was in repair",
            "--date",
            "2026-10-01",
            "--body",
            "late text",
            "--omit-whole",
            "legal",
            "--json",
        )
    )
    assert late["entry_type"] == "late_entry" and late["late_reason"] == "laptop was in repair"
    assert late["omit_category"] == "legal"
    shown = _ok(ready("note", "show", str(late["id"]), "--withheld", "--json"))
    assert shown["withheld_text"] == "[withheld: legal]"
    text = ready("note", "show", str(late["id"]), "--withheld")
    assert "late text" not in text.stdout and "LATE ENTRY" in text.stdout
    no_date = ready("note", "add", "1", "--late", "why", "--body", "x")
    assert "--date" in _one_line_error(no_date, 2)
    signed = _ok(ready("note", "add", "1", "--body", "signed at once", "--sign", "--json"))
    assert signed["status"] == "signed"


def test_pnote_commands_json(ready: Cli) -> None:
    """pnote add/show/list/search work with --json; general search never sees them."""
    _ok(ready("client", "add", "Hazel Dummington", "--json"))
    pnote = _ok(
        ready(
            "pnote",
            "add",
            "1",
            "--body",
            "sensed a quietude of grief",
            "--date",
            "2026-11-20",
            "--json",
        )
    )
    assert pnote["client_id"] == 1 and pnote["session_date"] == "2026-11-20"
    assert (
        _ok(ready("pnote", "show", f"P-{pnote['id']:06d}", "--json"))["body"]
        == "sensed a quietude of grief"
    )
    listed = _ok(ready("pnote", "list", "1", "--json"))
    assert [n["record_id"] for n in listed] == [f"P-{pnote['id']:06d}"]
    # A list finds notes; it does not print them: no body in pnote list --json.
    assert (
        "body" not in listed[0] and "quietude" not in ready("pnote", "list", "1", "--json").stdout
    )
    hits = _ok(ready("pnote", "search", "quietude", "--json"))
    assert [h["id"] for h in hits] == [pnote["id"]] and "body" not in hits[0]
    assert _ok(ready("search", "quietude", "--json")) == []
    assert "quietude" not in ready("note", "list", "1").stdout


def test_search_and_audit_commands_json(ready: Cli) -> None:
    """search --json returns ranked hits with snippets; audit verify/list answer in JSON."""
    _ok(ready("client", "add", "Indigo Synthwood", "--json"))
    _ok(ready("note", "add", "1", "--body", "insomnia and more insomnia", "--json"))
    _ok(ready("note", "add", "1", "--body", "a word on insomnia", "--json"))
    hits = _ok(ready("search", "insomnia", "--limit", "5", "--json"))
    assert [h["note_id"] for h in hits] == [1, 2]
    assert [h["record_id"] for h in hits] == ["N-000001", "N-000002"]
    assert hits[0]["client_record_id"] == "C-00001"
    # A relevance: never negative, the better match first.
    assert hits[0]["score"] >= hits[1]["score"] >= 0
    assert hits[0]["matches"] == ["insomnia", "insomnia"]
    assert hits[0]["client"] == "Indigo Synthwood"
    text = ready("search", "insomnia")
    assert "[insomnia]" in text.stdout
    assert "search for at least one word" in _one_line_error(ready("search", "***"), 2)
    report = _ok(ready("audit", "verify", "--json"))
    assert report["ok"] is True and report["entries"] > 5
    entries = _ok(ready("audit", "list", "--limit", "3", "--json"))
    assert len(entries) == 3 and entries[0]["seq"] > entries[-1]["seq"]


def test_passwd_then_recover_json(
    ready: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """passwd changes the passphrase; recover with the recovery key sets another one."""
    recovery = _ok(ready("status", "--json"))  # the vault exists
    assert recovery["key_epoch"] == 1
    record_before = (ready.vault_dir / "record.db").read_bytes()
    new = secret_file(tmp_path / "new.txt", "second passphrase here\n")
    assert _ok(ready("passwd", "--new-passphrase-file", str(new), "--json")) == {"changed": True}
    # No re-encryption: only the pages the audit entries touched differ (a rekey changes all).
    record_after = (ready.vault_dir / "record.db").read_bytes()
    pages = [
        (record_before[i : i + 4096], record_after[i : i + 4096])
        for i in range(0, len(record_before), 4096)
    ]
    same = sum(1 for old, new_page in pages if old == new_page)
    assert len(pages) > 20 and same >= 0.8 * len(pages), (same, len(pages))
    assert "wrong passphrase" in _one_line_error(ready("client", "list"), 12)
    ready.passphrase_file.write_text("second passphrase here\n")
    assert ready("client", "list").code == 0
    # Recovery: the key shown at init was lost by this test, so re-init elsewhere.
    (tmp_path / "o").mkdir()
    other = Cli(tmp_path / "other", tmp_path / "o", capsys)
    key = other.init().data["recovery_key"]  # type: ignore[index]
    key_file = secret_file(tmp_path / "rk.txt", key.lower().replace("-", " ") + "\n")
    third = secret_file(tmp_path / "third.txt", "third passphrase now\n")
    done = _ok(
        other(
            "recover",
            "--recovery-key-file",
            str(key_file),
            "--new-passphrase-file",
            str(third),
            "--json",
        )
    )
    assert done == {"recovered": True, "passphrase_changed": True}
    assert "wrong passphrase" in _one_line_error(other("client", "list"), 12)
    other.passphrase_file.write_text("third passphrase now\n")
    assert other("client", "list", "--json").code == 0
    key_file.write_text("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH\n")
    assert "recovery key" in _one_line_error(
        other("recover", "--recovery-key-file", str(key_file), "--new-passphrase-file", str(third)),
        12,
    )


def test_demo_no_open_creates_a_strong_synthetic_vault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """demo --no-open --json creates a demo vault once, with a strong (default) KDF."""
    folder = tmp_path / "demo"
    demo = Cli(folder, tmp_path, capsys)
    data = _ok(demo("demo", "--no-open", "--clients", "3", "--json"))
    assert data["created"] is True and data["folder"] == str(folder)
    status = _ok(demo("status", "--json"))
    assert status["kdf_weak"] is False and status["kdf"]["memory_kib"] >= 256 * 1024
    again = _ok(demo("demo", "--no-open", "--json"))
    assert again["created"] is False
    demo.passphrase_file.write_text(data["passphrase"] + "\n")
    assert len(_ok(demo("client", "list", "--json"))) == 3


def test_exit_codes_usage_is_2(ready: Cli) -> None:
    """Unknown commands, missing or bad arguments exit 2 with a usage message."""
    for args in (
        ("frobnicate",),
        ("client", "add"),
        ("note", "add", "1", "--template", "sonnet"),
        ("search",),
        ("client", "list", "--status", "asleep"),
    ):
        result = ready(*args)
        assert result.code == 2, args
        assert "usage" in result.stderr and "Traceback" not in result.stderr
    group_only = ready("note")
    assert group_only.code == 2
    no_terminal = ready.subprocess(input=b"")  # no command, no terminal: not a hung app
    assert no_terminal.code == 2 and "needs a terminal" in no_terminal.stderr
    assert no_terminal.stdout == ""


def test_failures_are_one_line_with_their_exit_code(ready: Cli, tmp_path: Path) -> None:
    """Every ConfideError exits with its code (2 bad input, 10 no vault, 14 not found) and one
    line on stderr, and a JSON error on stdout with --json."""
    _ok(ready("client", "add", "Juniper Placeholder", "--json"))
    cases = [
        (("client", "show", "X-12"), "not a client identifier", 2),
        (("note", "show", "N-000042"), "no note N-000042", 14),
        (("note", "add", "1", "--body", "{{omit:astrology}}x{{/omit}}"), "astrology", 2),
        (("note", "add", "1", "--body", "{{omit:legal}}open"), "never closed", 2),
        (("note", "add", "1", "--date", "yesterday"), "YYYY-MM-DD", 2),
        (("note", "add", "1", "--omit-whole", "nope"), "unknown omission category", 2),
        (("note", "add", "1", "--body-file", str(tmp_path / "missing.txt")), "cannot read", 2),
        (("client", "edit", "1", "--dob", "1.2.3"), "not a date", 2),
        (("--vault", str(tmp_path / "empty"), "status"), "no Confide vault", 10),
        (("note", "show", "99999999999999999999"), "too large", 2),
        (("client", "show", "99999999999999999999"), "too large", 2),
        (("pnote", "show", "99999999999999999999"), "too large", 2),
        (
            ("--vault", str(tmp_path / "passphrase.txt"), "init", "--kdf", "test-insecure"),
            "is a file, not a folder",
            2,
        ),
        (("--passphrase-file", "/dev/zero", "client", "list"), "far too large", 2),
        (("--passphrase-file", str(tmp_path), "client", "list"), "cannot read the passphrase", 2),
    ]
    for args, message, code in cases:
        result = ready(*args)
        assert message in _one_line_error(result, code), args
        as_json = ready(*args, "--json")
        assert as_json.code == result.code and message in as_json.json["message"]
        assert as_json.json["type"] == "error" and as_json.json["code"] == result.code


def test_wrong_passphrase_in_a_real_process(ready: Cli) -> None:
    """A real subprocess with a wrong passphrase exits 12 with a one-line reason."""
    ready.passphrase_file.write_text("definitely wrong\n")
    result = ready.subprocess("client", "list")
    assert _one_line_error(result, 12) == "confide: error: wrong passphrase"
    assert result.stdout == ""


def test_env_vars_choose_vault_and_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """CONFIDE_VAULT and CONFIDE_PASSPHRASE_FILE replace --vault and --passphrase-file."""
    folder = tmp_path / "from-env"
    secret = secret_file(tmp_path / "pp.txt", PASSPHRASE + "\n")
    monkeypatch.setenv("CONFIDE_VAULT", str(folder))
    monkeypatch.setenv("CONFIDE_PASSPHRASE_FILE", str(secret))
    assert main(["init", "--kdf", "test-insecure", "--json"]) == 0
    assert (folder / "keys.confide").exists()
    assert main(["client", "add", "Kestrel Envtest", "--json"]) == 0
    capsys.readouterr()
    assert main(["client", "list"]) == 0
    assert "Kestrel Envtest" in capsys.readouterr().out
    # An explicit flag wins over the variable.
    assert main(["--vault", str(tmp_path / "elsewhere"), "status"]) == 10
    assert "no Confide vault" in capsys.readouterr().err


def test_no_passphrase_source_is_a_clear_error(
    ready: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a terminal and without a passphrase file the command says how to give one."""
    monkeypatch.delenv("CONFIDE_PASSPHRASE_FILE", raising=False)
    capsys.readouterr()
    assert main(["--vault", str(ready.vault_dir), "client", "list"]) == 2
    err = capsys.readouterr().err
    assert "--passphrase-file" in err and err.count("\n") == 1


def test_ansi_escapes_in_notes_are_printed_escaped(ready: Cli) -> None:
    """Note text with terminal escapes reaches stdout as visible text, never a raw ESC byte."""
    _ok(ready("client", "add", "Lumen Examplar", "--json"))
    hostile = "calm\x1b[2J\x1b]52;c;aGVsbG8=\x07 session \x9b31m red [bold]markup[/bold]"
    _ok(ready("note", "add", "1", "--body", hostile, "--json"))
    _ok(ready("pnote", "add", "1", "--body", hostile, "--json"))
    for args in (
        ("note", "show", "1"),
        ("note", "show", "1", "--json"),
        ("search", "calm"),
        ("search", "calm", "--json"),
        ("pnote", "show", "1"),
        ("pnote", "list", "1"),
        ("pnote", "search", "session"),
    ):
        result = ready(*args)
        assert result.code == 0, (args, result.stderr)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, args
        assert "\x9b" not in result.stdout, args
    shown = ready("note", "show", "1").stdout
    assert "\\x1b[2J" in shown and "[bold]markup[/bold]" in shown
    assert ready("note", "show", "1", "--json").data["note"]["body"] == hostile


def test_installed_confide_script_runs_from_any_folder(tmp_path: Path) -> None:
    """The `confide` console script (what the README runs) works outside the checkout."""
    script = Path(sys.executable).parent / "confide"
    assert script.exists(), "confide is not installed in this environment (run scripts/setup)"
    proc = subprocess.run(
        [str(script), "status", "--vault", str(tmp_path / "none"), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 10, proc.stderr
    assert proc.stderr.startswith("confide: error: no Confide vault")


_HOSTILE = [
    "\x1b[31m",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x9b2J",
    "\x07",
    "\r",
    "\t",
    "\u202e",
    "\u2066",
    "[bold red]",
    "[/]",
    "😀",
    "e\u0301",
    "שלום",
    "\x7f",
    "\x08",
    "\\x1b",
    "'",
    '"',
    "%s",
    "$(rm -rf ~)",
    " ",
    "\n",
    "word",
]


def test_random_hostile_text_round_trips_and_prints_safely(ready: Cli) -> None:
    """Random hostile text round-trips exactly and never prints raw control characters."""
    rng = random.Random(20261127)
    _ok(ready("client", "add", "Willow Hostile", "--json"))
    for _ in range(12):
        body = "".join(rng.choice(_HOSTILE) for _ in range(rng.randint(1, 40))) + " word"
        note = _ok(ready("note", "add", "1", "--body", body, "--json"))
        assert note["body"] == body
        for args in (
            ("note", "show", str(note["id"])),
            ("note", "show", str(note["id"]), "--json"),
        ):
            out = ready(*args).stdout
            assert not [
                c
                for c in out
                if (ord(c) < 32 and c not in "\n\t")
                or 0x7F <= ord(c) <= 0x9F
                or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
            ], args
        assert ready("note", "show", str(note["id"]), "--json").data["note"]["body"] == body
    hits = ready("search", "word", "--limit", "50")
    assert hits.code == 0 and "\x1b" not in hits.stdout
