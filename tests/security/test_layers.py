"""Layers: vault and backup import no Textual; tui imports no database or crypto and has no SQL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

ROOT = REPO
FORBIDDEN_IN_TUI = {"sqlcipher3", "sqlite3", "argon2", "cryptography"}
SQL_WORDS = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE", "PRAGMA ",
             "DROP TABLE")


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["vault", "backup"])
def test_core_packages_import_no_textual(package: str) -> None:
    """Importing vault (or backup) and all its modules in a fresh process loads no Textual."""
    modules = [f"{package}." + ".".join(p.relative_to(ROOT / package).with_suffix("").parts)
               for p in _python_files(package) if p.name != "__init__.py"]
    code = (f"import sys, importlib\nimport {package}\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('textual', 'rich', 'tui'))\nprint(','.join(bad))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_vault_never_imports_backup_or_tui() -> None:
    """No module of vault/ imports backup, tui or textual (checked in the source)."""
    for path in _python_files("vault"):
        roots = {name.split(".")[0] for name in _imported_modules(path)}
        assert not roots & {"backup", "tui", "textual", "rich"}, path


def test_backup_never_imports_tui() -> None:
    """No module of backup/ imports tui or textual."""
    for path in _python_files("backup"):
        roots = {name.split(".")[0] for name in _imported_modules(path)}
        assert not roots & {"tui", "textual"}, path


def test_tui_imports_no_database_or_crypto_library() -> None:
    """tui/ never imports sqlcipher3, sqlite3, argon2 or cryptography."""
    files = _python_files("tui")
    assert files
    for path in files:
        roots = {name.split(".")[0] for name in _imported_modules(path)}
        assert not roots & FORBIDDEN_IN_TUI, f"{path} imports {roots & FORBIDDEN_IN_TUI}"


def test_tui_contains_no_sql() -> None:
    """tui/ has no execute() calls and no SQL statements in its string literals."""
    for path in _python_files("tui"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in ("execute", "executemany", "executescript"), \
                    f"{path}:{node.lineno} calls {node.func.attr}()"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                upper = node.value.upper()
                hits = [w for w in SQL_WORDS if w in node.value and
                        any(k in upper for k in (" FROM ", " WHERE ", " VALUES", " SET ",
                                                 " TABLE ", "PRAGMA "))]
                assert not hits, f"{path}:{node.lineno} has SQL-like text {node.value[:60]!r}"
