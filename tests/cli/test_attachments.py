"""`confide attach`, `attachment ...` and `inbox ...` (issue 18 part 2) end to end."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.attachments import fake_pdf, write
from tests.support.cli import Cli
from tests.support.kill import killed_cli

FORM = "Ada Quist intake form"


def _error(result: object, code: int) -> str:
    assert result.code == code, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    lines = stderr.strip("\n").split("\n")
    assert "Traceback" not in stderr
    assert lines[-1].startswith("confide: usage error: " if code == 2 else "confide: error: ")
    if not (code == 2 and lines[0].startswith("usage:")):
        assert len(lines) == 1, stderr
    return lines[-1]


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    return cli


def test_attach_list_and_get_with_yes(ready: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "intake.pdf", fake_pdf(FORM, 200_000))
    added = ready("attach", "C-00001", str(source), "--kind", "intake", "--json").data
    assert added["record_id"] == "F-00001" and added["client_record_id"] == "C-00001"
    listed = ready("attachment", "list", "1", "--json").data
    assert [a["record_id"] for a in listed] == ["F-00001"]
    text = ready("attachment", "list", "C-00001").stdout
    assert "F-00001" in text and "intake.pdf" in text and "intake" in text
    out = tmp_path / "copy.pdf"
    got = ready("attachment", "get", "F-00001", "--out", str(out), "--yes", "--json").data
    assert out.read_bytes() == source.read_bytes() and got["path"] == str(out)


def test_bad_input_is_one_line_and_changes_nothing(ready: Cli, tmp_path: Path) -> None:
    text = write(tmp_path / "notes.pdf", b"just text\n")
    form = write(tmp_path / "form.pdf", fake_pdf(FORM))
    assert "not a PDF or an image" in _error(ready("attach", "C-00001", str(text)), 2)
    assert "cannot read" in _error(ready("attach", "C-00001", str(tmp_path / "no.pdf")), 2)
    assert "no client C-00009" in _error(ready("attach", "C-00009", str(form)), 14)
    assert "authorization:ID" in _error(ready("attach", "1", str(form), "--for", "note:1"), 2)
    assert "no authorization A-00003" in _error(
        ready("attach", "1", str(form), "--for", "authorization:3"), 14
    )
    assert ready("attachment", "list", "1", "--json").data == []
    assert "not a client identifier" in _error(ready("attachment", "list", "x"), 2)
    bad_id = ready("attachment", "get", "N-1", "--out", "x", "--yes")
    assert "is not a file attachment identifier (for example F-00001" in _error(bad_id, 2)


def test_get_without_a_terminal_needs_yes_and_writes_nothing(ready: Cli, tmp_path: Path) -> None:
    ready("attach", "1", str(write(tmp_path / "form.pdf", fake_pdf(FORM))))
    out = tmp_path / "copy.pdf"
    message = _error(ready("attachment", "get", "F-00001", "--out", str(out)), 2)
    assert "--yes" in message and "nothing was written" in message
    assert not out.exists()
    assert "no attachment F-00007" in _error(
        ready("attachment", "get", "7", "--out", str(out), "--yes"), 14
    )


def test_inbox_scan_assign_and_remove(ready: Cli, tmp_path: Path) -> None:
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    write(inbox / "scan-0001.pdf", fake_pdf(FORM))
    write(inbox / "letter.txt", b"hello")
    scanned = ready("inbox", "scan", "--folder", str(inbox), "--json").data
    assert [(i["name"], i["outcome"]) for i in scanned["items"]] == [
        ("letter.txt", "refused"),
        ("scan-0001.pdf", "added"),
    ]
    assert sorted(p.name for p in inbox.iterdir()) == ["letter.txt"]
    text = ready("inbox", "scan").stdout  # the folder is remembered
    assert "refused: letter.txt" in text
    assert [a["record_id"] for a in ready("inbox", "list", "--json").data] == ["F-00001"]
    filed = ready("inbox", "assign", "F-00001", "C-00001", "--kind", "consent", "--json").data
    assert filed["client_id"] == 1 and filed["kind"] == "consent"
    assert ready("inbox", "list").stdout.strip() == "The inbox is empty."
    assert "already filed" in _error(ready("inbox", "assign", "1", "1"), 15)
    assert "give --reason" in _error(ready("attachment", "remove", "1"), 2)
    done = ready("attachment", "remove", "1", "--reason", "wrong client", "--json").data
    assert done["outcome"] == "entered_in_error"
    assert "entered in error" in ready("attachment", "list", "1").stdout
    # An unassigned item is discarded outright.
    write(inbox / "blank.pdf", fake_pdf("blank"))
    ready("inbox", "scan")
    gone = ready("attachment", "remove", "F-00002", "--json").data
    assert gone["outcome"] == "discarded" and ready("inbox", "list", "--json").data == []


def test_hostile_file_names_print_as_data(ready: Cli, tmp_path: Path) -> None:
    name = "[red]x\x1b[2J\x1b]52;c;aGk=\x07.pdf"
    ready("attach", "1", str(write(tmp_path / name, fake_pdf(FORM))))
    out = ready("attachment", "list", "1").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "[red]x\\x1b[2J\\x1b]52;c;aGk=\\x07.pdf" in out


def test_inbox_watch_pulls_in_a_dropped_scan_until_ctrl_c(ready: Cli, tmp_path: Path) -> None:
    """The real command in its own process: it says it is watching, a scan saved to the folder
    is reported pulled in, Ctrl-C (SIGINT) ends it cleanly. Each step waits for the line
    before it, never for a time."""
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *ready.base_args(), "inbox", "watch", "--folder", str(inbox)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    killer = threading.Timer(120, proc.kill)  # only a hung test: the steps below do not wait
    killer.start()
    try:
        assert proc.stderr is not None
        assert "Watching" in proc.stderr.readline()
        write(inbox / "scan-0007.pdf", fake_pdf(FORM))
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("added: scan-0007.pdf"):
                break
        assert seen and "pulled in as F-00001" in seen[-1]
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate()
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "Stopped watching." in rest and "Traceback" not in rest
    assert list(inbox.iterdir()) == []
    assert [a["record_id"] for a in ready("inbox", "list", "--json").data] == ["F-00001"]


@pytest.mark.parametrize(
    ("module", "attr", "stored"),
    [
        # Inside the transaction that adds it: nothing is stored, the original stays.
        ("vault.records.audit", "AuditLog.record", 0),
        # Committed, original not yet overwritten: the next scan removes it, adds nothing.
        ("vault.attachments.inbox", "secure_unlink", 1),
    ],
)
def test_a_scan_killed_midway_loses_nothing_and_stores_nothing_twice(
    ready: Cli, tmp_path: Path, module: str, attr: str, stored: int
) -> None:
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    data = fake_pdf(FORM, 300_000)
    write(inbox / "scan.pdf", data)
    args = [*ready.base_args(), "inbox", "scan", "--folder", str(inbox)]
    killed_cli(module, attr, "before", args, match="" if stored else "create")
    assert (inbox / "scan.pdf").read_bytes() == data  # the only copy until the vault has it
    listed = ready("inbox", "list", "--json").data
    assert len(listed) == stored
    again = ready("inbox", "scan", "--json").data
    assert [i["outcome"] for i in again["items"]] == ["already" if stored else "added"]
    assert list(inbox.iterdir()) == []
    (item,) = ready("inbox", "list", "--json").data
    assert item["sha256"] == hashlib.sha256(data).hexdigest()
