"""Tables measured in terminal cells, and progress on long work (issue 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.cells import cell_len

from tests.support.cli import Cli


def _column_starts(line: str, values: list[str]) -> list[int]:
    """The display column at which each value starts in a printed table row."""
    starts, at = [], 0
    for value in values:
        index = line.index(value, at)
        starts.append(cell_len(line[:index]))
        at = index + len(value)
    return starts


def test_client_table_lines_up_with_cjk_and_accented_names(cli: Cli) -> None:
    cli.init()
    names = ["山田太郎", "Ada Quist", "Zoë Ångström", "김민준 박"]
    for name in names:
        assert cli("client", "add", name, "--last-service", "2026-01-05").code == 0
    lines = cli("client", "list").stdout.splitlines()
    rows = {name: next(line for line in lines if name in line) for name in names}
    starts = {
        name: _column_starts(row, [name, "active", "2026-01-05"]) for name, row in rows.items()
    }
    header = lines[0]
    expected = _column_starts(header, ["NAME", "STATUS", "LAST SERVICE"])
    assert all(s == expected for s in starts.values()), (starts, expected, lines)


def _backup_env(cli: Cli, tmp_path: Path) -> Path:
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive)).code == 0
    return drive


def test_backup_json_reports_progress_events_then_the_result(cli: Cli, tmp_path: Path) -> None:
    _backup_env(cli, tmp_path)
    run = cli("backup", "run", "--json")
    assert run.code == 0, run.stderr
    *events, final = run.messages
    assert final["type"] == "result" and final["data"]["status"] == "good"
    assert events and all(e["type"] == "progress" and e["command"] == "backup run" for e in events)
    assert {e["phase"] for e in events} == {"write", "verify"}
    writes = [e["done"] for e in events if e["phase"] == "write"]
    assert writes == sorted(writes) and events[0]["total"] > 0


def test_no_progress_on_a_pipe(cli: Cli, tmp_path: Path) -> None:
    _backup_env(cli, tmp_path)
    run = cli.subprocess("backup", "run")
    assert run.code == 0, run.stderr
    assert run.stderr == "" and "\r" not in run.stdout
    assert run.stdout.startswith("Backup written and verified")


def test_a_progress_bar_on_a_terminal(cli: Cli, tmp_path: Path) -> None:
    """stderr a terminal (a pty): a live bar with the phase and the amount written."""
    _backup_env(cli, tmp_path)
    leader, follower = os.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tui", *cli.base_args(), "backup", "run"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            env={**os.environ, "COLUMNS": "100"},
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the writer is gone and all was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    drawn = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "write" in drawn and ("kB" in drawn or "bytes" in drawn), drawn[:400]
    assert b"Backup written and verified" in proc.stdout


def test_dispose_reports_its_phases_in_json(cli: Cli) -> None:
    from tests.support.cli import PASSPHRASE
    from tests.support.disposal import make_practice
    from vault import Vault

    cli.init()
    with Vault.unlock(cli.vault_dir, PASSPHRASE) as vault:
        make_practice(vault)
    done = cli("dispose", "C-00001", "--confirm", "Quillon Zabriskie", "--json")
    assert done.code == 0, done.stderr
    *events, final = done.messages
    assert final["type"] == "result" and final["data"]["certificate_id"] == "D-00001"
    assert events and events[0]["phase"] == "dispose"
