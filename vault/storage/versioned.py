"""Texts kept version by version: a table of (version INTEGER PRIMARY KEY, text, created_at)
whose triggers refuse UPDATE and DELETE, so every saved text stays as it was. The notice and
the custodian's letter keep their templates this way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..errors import NotFoundError
from .database import Database, now_utc

# The tables that hold versioned texts; a table name cannot be a bound SQL parameter.
VersionedTable = Literal["notice_templates", "custodian_letter_templates"]


@dataclass(frozen=True)
class TextVersion:
    version: int
    text: str
    created_at: str


class VersionedTexts:
    def __init__(self, db: Database, table: VersionedTable, what: str) -> None:
        self._db = db
        self._table = table
        self._what = what  # "notice template": how a missing version is named

    def get(self, version: int | None = None) -> TextVersion:
        """The newest version, or the one asked for."""
        row = (
            self._db.one(f"SELECT * FROM {self._table} ORDER BY version DESC LIMIT 1")
            if version is None
            else self._db.one(f"SELECT * FROM {self._table} WHERE version = ?", (version,))
        )
        if row is None:
            raise NotFoundError(f"no {self._what} version {version}")
        return TextVersion(int(row["version"]), str(row["text"]), str(row["created_at"]))

    def all(self) -> list[TextVersion]:
        return [
            TextVersion(int(r["version"]), str(r["text"]), str(r["created_at"]))
            for r in self._db.query(f"SELECT * FROM {self._table} ORDER BY version")
        ]

    def save(self, checked: str, audit: Callable[[int], None]) -> int:
        """A new version from `checked` text, with `audit(version)` in the same transaction;
        text equal to the newest saves nothing. Returns the version now current."""
        current = self.get()
        if checked == current.text.strip():
            return current.version
        version = current.version + 1
        with self._db.atomic():
            self._db.execute(
                f"INSERT INTO {self._table} (version, text, created_at) VALUES (?, ?, ?)",
                (version, checked, now_utc()),
            )
            audit(version)
        return version
