"""backup/ asks the vault through its API: no SQL and no database handle outside the catalog,
and the catalog's SQL touches only the catalog's own tables."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support import REPO

SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE|PRAGMA|DROP TABLE)\b")
TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|EXISTS|ON|REFERENCES)\s+([a-z_]+)(?![.\w])")
CATALOG = REPO / "backup" / "catalog.py"
OWN = {
    "backup_drives",
    "backups",
    "backup_clients",
    "backups_drive",
    "backup_clients_client",
    "backup_removals",
    "backups_base",  # catalogue version 4: an incremental's base
}
DB_CALLS = {"execute", "execute_all", "query", "one", "scalar"}


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # the literal parts of an f-string, joined
            out.append(
                "".join(
                    v.value
                    for v in node.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
    return out


def test_no_sql_and_no_database_handle_outside_the_catalog() -> None:
    for path in sorted((REPO / "backup").rglob("*.py")):
        if path == CATALOG:
            continue
        assert not [s for s in _strings(path) if SQL.search(s)], path
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                assert node.attr != "db", f"{path}:{node.lineno} uses the vault's database"
                if isinstance(node.ctx, ast.Load) and node.attr in DB_CALLS:
                    # `.execute(` and friends are database calls in this package.
                    raise AssertionError(f"{path}:{node.lineno} .{node.attr}")


def test_the_catalog_queries_only_its_own_tables() -> None:
    named = {
        t for s in _strings(CATALOG) if SQL.search(s) or "EXISTS" in s for t in TABLE.findall(s)
    }
    assert named and named <= OWN, named - OWN
