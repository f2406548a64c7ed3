"""What the README promises, as a new user meets it (issue 13, README truth)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support import REPO
from tests.support.cli import Cli


def test_init_on_an_existing_vault_refuses_before_calibrating(cli: Cli) -> None:
    """A second `init` (calibrated KDF) refuses at once: no passphrase asked, no calibration."""
    cli.init()
    again = cli.subprocess("init")
    assert again.code == 1 and "already exists" in again.stderr
    assert "Calibrating" not in again.stderr and again.stderr.count("\n") == 1


def test_note_list_flags_a_note_with_a_flagged_passage(cli: Cli) -> None:
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    assert cli("note", "add", "1", "--body", "plain session").code == 0
    assert (
        cli(
            "note",
            "add",
            "1",
            "--body",
            "talked about {{omit:legal}}the court case{{/omit}} and sleep",
        ).code
        == 0
    )
    assert cli("note", "add", "1", "--body", "whole", "--omit-whole", "legal").code == 0
    rows = {line.split()[0]: line for line in cli("note", "list", "1").stdout.splitlines()[1:]}
    assert rows["N-000002"].rstrip().endswith("1 passage")
    assert rows["N-000003"].rstrip().endswith("legal")
    assert rows["N-000001"].rstrip().endswith("original")


def _demo_copy(tmp_path: Path) -> Path:
    """scripts/demo in a folder of its own, with a setup that only leaves a mark."""
    root = tmp_path / "clone"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "demo", root / "scripts" / "demo")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    setup = root / "scripts" / "setup"
    setup.write_text(
        '#!/usr/bin/env bash\nset -e\ncd "$(dirname "$0")/.."\n'
        "mkdir -p .venv/bin\necho ran >> setup-runs\n"
        "printf '#!/bin/sh\\necho demo \"$@\"\\n' > .venv/bin/confide\n"
        "chmod +x .venv/bin/confide\n"
        "sha256sum pyproject.toml | cut -d' ' -f1 > .venv/.confide-setup\n"
    )
    setup.chmod(0o755)
    return root


def test_demo_sets_up_once_then_starts_at_once(tmp_path: Path) -> None:
    root = _demo_copy(tmp_path)
    demo = root / "scripts" / "demo"

    def launch() -> str:
        done = subprocess.run(
            [str(demo), "--no-open"], capture_output=True, text=True, timeout=60, env={**os.environ}
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert launch().strip() == "demo demo --no-open"  # fresh clone: set up, then started
    assert launch().strip() == "demo demo --no-open"  # again: no setup
    assert (root / "setup-runs").read_text().count("ran") == 1
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    launch()  # the dependencies changed: set up again
    assert (root / "setup-runs").read_text().count("ran") == 2


def test_the_real_setup_writes_the_stamp_demo_checks() -> None:
    setup = (REPO / "scripts" / "setup").read_text()
    demo = (REPO / "scripts" / "demo").read_text()
    assert ".venv/.confide-setup" in setup and ".venv/.confide-setup" in demo
