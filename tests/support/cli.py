"""Vault and command-line helpers: the test passphrase and a `confide` runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PASSPHRASE = "correct horse battery"


def secret_file(path: Path, text: str) -> Path:
    """A secret file as a careful user keeps one: mode 0600 (confide refuses looser ones)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    path.chmod(0o600)  # an existing file keeps its mode through O_CREAT
    return path


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every JSON message printed with --json (one per line: progress, then the last)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def json(self) -> dict[str, Any]:
        """The final JSON envelope: `{"type": "result", ...}` or `{"type": "error", ...}`."""
        messages = self.messages
        assert messages, f"no JSON printed (exit {self.code}): {self.stderr}"
        return messages[-1]

    @property
    def data(self) -> Any:
        """The `data` of a successful command's result envelope."""
        final = self.json
        assert final["type"] == "result", final
        return final["data"]


class Cli:
    """Runs `confide` in-process (fast) or as a real subprocess (exit codes, signals)."""

    def __init__(self, vault_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
        self.vault_dir = vault_dir
        self.passphrase_file = secret_file(tmp_path / "passphrase.txt", PASSPHRASE + "\n")
        self._capsys = capsys

    def base_args(self) -> list[str]:
        return ["--vault", str(self.vault_dir), "--passphrase-file", str(self.passphrase_file)]

    def __call__(self, *args: str) -> CliResult:
        from tui.cli.main import main

        self._capsys.readouterr()
        try:
            code = main([*self.base_args(), *args])
        except SystemExit as e:  # argparse usage errors and --help
            code = int(e.code or 0)
        out, err = self._capsys.readouterr()
        return CliResult(code, out, err)

    def subprocess(self, *args: str, input: bytes | None = None, timeout: float = 60) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "tui", *self.base_args(), *args],
            input=input,
            capture_output=True,
            timeout=timeout,
        )
        return CliResult(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    def init(self) -> CliResult:
        result = self("init", "--kdf", "test-insecure", "--json")
        assert result.code == 0, result.stderr
        return result
