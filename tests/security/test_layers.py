"""Layers: vault and backup import no Textual; tui imports no database or crypto and has no SQL;
tui.workflows sits below both faces; the command line never loads Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

ROOT = REPO
FORBIDDEN_IN_TUI = {"sqlcipher3", "sqlite3", "argon2", "cryptography"}
SQL_WORDS = (
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    "PRAGMA ",
    "DROP TABLE",
)


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


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules_resolved(path: Path, root: Path = ROOT) -> set[str]:
    """Like `_imported_modules`, with relative imports (`from ..app import x`) made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _loaded_in_fresh_process(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """Import `package` and every module under it in a new interpreter; which of the modules
    it then holds fall under one of `forbidden` (a top-level name or a dotted prefix)."""
    modules = sorted(_module_name(p) for p in _python_files(package.replace(".", "/")))
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') "
        f"for f in {forbidden!r}))\nprint(','.join(bad))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return [m for m in proc.stdout.strip().split(",") if m]


@pytest.mark.parametrize("package", ["vault", "backup"])
def test_core_packages_import_no_textual(package: str) -> None:
    """Importing vault (or backup) and all its modules in a fresh process loads no Textual."""
    modules = [
        f"{package}." + ".".join(p.relative_to(ROOT / package).with_suffix("").parts)
        for p in _python_files(package)
        if p.name != "__init__.py"
    ]
    code = (
        f"import sys, importlib\nimport {package}\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'tui'))\nprint(','.join(bad))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
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
                assert node.func.attr not in ("execute", "executemany", "executescript"), (
                    f"{path}:{node.lineno} calls {node.func.attr}()"
                )
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                upper = node.value.upper()
                hits = [
                    w
                    for w in SQL_WORDS
                    if w in node.value
                    and any(
                        k in upper
                        for k in (" FROM ", " WHERE ", " VALUES", " SET ", " TABLE ", "PRAGMA ")
                    )
                ]
                assert not hits, f"{path}:{node.lineno} has SQL-like text {node.value[:60]!r}"


WORKFLOWS_MAY_NOT_IMPORT = ("textual", "rich", "tui.app", "tui.cli")


def test_workflows_import_no_face() -> None:
    """tui.workflows sits below both faces: no Textual, no Rich, no tui.app, no tui.cli, in
    the source (relative imports included) and in a fresh process importing all of it."""
    files = _python_files("tui/workflows")
    assert len(files) > 1
    for path in files:
        bad = {
            name
            for name in _imported_modules_resolved(path)
            if any(name == f or name.startswith(f + ".") for f in WORKFLOWS_MAY_NOT_IMPORT)
        }
        assert not bad, f"{path} imports {sorted(bad)}"
    assert _loaded_in_fresh_process("tui.workflows", WORKFLOWS_MAY_NOT_IMPORT) == []


def test_command_line_never_loads_textual() -> None:
    """Importing tui.cli and all its modules (and the entry point) in a fresh process loads no
    Textual module and nothing of the app: the app is handed in from tui.entry when opened."""
    assert len(_python_files("tui/cli")) > 5
    assert _loaded_in_fresh_process("tui.cli", ("textual", "tui.app")) == []
    code = (
        "import sys, tui.entry\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_layer_checks_see_a_face_import(tmp_path: Path) -> None:
    """The source check resolves relative imports, so `from ..app import x` is caught."""
    module = tmp_path / "tui" / "workflows" / "bad.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..app.app import ConfideApp\nfrom . import unlock\n")
    names = _imported_modules_resolved(module, tmp_path)
    assert {"tui.app.app", "tui.app.app.ConfideApp", "tui.workflows.unlock"} <= names
