"""The core states facts: no message in vault/ or backup/ names a `confide` command.

Which command helps is the command line's to say (tui/cli/hints.py); the app has no commands.
Docstrings and comments may name commands; string literals the code builds messages from may
not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support import REPO

COMMAND = re.compile(r"(?<![.\w])confide [a-z]")  # not the file name keys.confide
# Not an error: the placeholder a release document shows for a practice with no name yet.
KNOWN = {
    ("vault/disclosures/facade.py", "(confide practice set --name ...)"),
    # A key-derivation label (HKDF info), never shown to anyone.
    ("vault/crypto/keyslots.py", "confide custodian x25519/"),
    # The custodian's printed instructions: a document that teaches the commands, not an error.
    ("vault/custodian/__init__.py", "(`confide restore`) only with the clinician's passphrase"),
}


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            found.add(id(body[0].value))
    return found


def _command_mentions(package: str) -> list[tuple[str, str]]:
    hits: list[tuple[str, str]] = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and COMMAND.search(node.value)
            ):
                hits.append((str(Path(path).relative_to(REPO)), node.value))
    return hits


def _known(hit: tuple[str, str]) -> bool:
    return any(hit[0] == where and text in hit[1] for where, text in KNOWN)


def test_core_and_backup_messages_name_no_command() -> None:
    hits = [h for package in ("vault", "backup") for h in _command_mentions(package)]
    assert [h for h in hits if not _known(h)] == []
