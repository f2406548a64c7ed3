"""Psychotherapy notes (45 CFR 164.501): their own file, their own key, their own API.

An instance exists only after fresh authentication (the passphrase again) and relocks itself
after `idle_seconds` without use: the key is wiped and the connection closed. Nothing here is
reachable from `Vault`'s general-record API, and general search never opens this file.
"""

from __future__ import annotations

import builtins
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from ..errors import LockedError, NotFoundError, UsageError
from ..storage.database import Database, Row, now_utc
from . import markup, validate
from .audit import Action, AuditLog
from .models import OmitCategory, OmitSpan, PsychotherapyNote
from .search import SNIPPET_CLOSE, SNIPPET_OPEN, build_match, split_snippet

DEFAULT_IDLE_SECONDS = 120.0

Clock = Callable[[], float]
PnoteHit = tuple[PsychotherapyNote, tuple[tuple[str, bool], ...]]


def _pnote(row: Row, spans: tuple[OmitSpan, ...] = ()) -> PsychotherapyNote:
    return PsychotherapyNote(
        int(row["id"]),
        int(row["client_id"]),
        row["session_date"],
        row["body"],
        row["created_at"],
        row["updated_at"],
        spans,
    )


def _text(body: str, spans: Sequence[OmitSpan]) -> tuple[str, tuple[OmitSpan, ...]]:
    text, flags = markup.flagged_text(validate.body(body, "psychotherapy note"), spans)
    if any(s.about is not None for s in flags):
        raise UsageError(
            "a psychotherapy note has no other participants; flag the passage without @CLIENT"
        )
    return text, flags


def _spans_of(db: Database, note_ids: Sequence[int]) -> dict[int, tuple[OmitSpan, ...]]:
    found: dict[int, list[OmitSpan]] = {i: [] for i in note_ids}
    if not note_ids:
        return {}
    marks = ", ".join("?" * len(note_ids))
    for r in db.query(
        f"SELECT pnote_id, start, end, category FROM pnote_spans WHERE pnote_id "
        f"IN ({marks}) ORDER BY pnote_id, start",
        tuple(note_ids),
    ):
        found[int(r["pnote_id"])].append(
            OmitSpan(int(r["start"]), int(r["end"]), OmitCategory(r["category"]))
        )
    return {i: tuple(s) for i, s in found.items()}


class PsychotherapyNotes:
    """The unlocked psychotherapy-notes area. Get one from `Vault.open_psychotherapy_notes`."""

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        client_exists: Callable[[int], bool],
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        clock: Clock = time.monotonic,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._db: Database | None = db
        self._audit = audit
        self._client_exists = client_exists
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._last_use = clock()
        self._lock = threading.RLock()
        self._on_close = on_close

    # -- lifecycle

    @property
    def is_locked(self) -> bool:
        with self._lock:
            self._expire_if_idle()
            return self._db is None

    def seconds_left(self) -> float:
        with self._lock:
            if self.is_locked:
                return 0.0
            return max(0.0, self.idle_seconds - (self._clock() - self._last_use))

    def lock(self) -> None:
        with self._lock:
            if self._db is None:
                return
            self._db.close()
            self._db = None
            if self._on_close:
                self._on_close()
            self._audit.record(Action.PNOTES_LOCK, "pnotes")

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """While open, hold the area still (checkpointed, no writes) for a byte copy of its file."""
        with self._lock:
            if self._db is None:
                yield
                return
            with self._db.frozen():
                yield

    def _expire_if_idle(self) -> None:
        if self._db is not None and self._clock() - self._last_use >= self.idle_seconds:
            self.lock()

    def _use(self) -> Database:
        with self._lock:
            self._expire_if_idle()
            if self._db is None:
                raise LockedError("psychotherapy notes are locked; enter the passphrase again")
            self._last_use = self._clock()
            return self._db

    # -- records

    def add(
        self,
        client_id: int,
        body: str,
        session_date: str | None = None,
        spans: Sequence[OmitSpan] = (),
    ) -> PsychotherapyNote:
        """A new note. Markers in `body` and `spans` (offsets into `body`) become its flags."""
        db = self._use()
        text, flags = _text(body, spans)
        if not text.strip():
            raise UsageError("the psychotherapy note is empty; write something first")
        day = validate.iso_date(session_date, "session date")
        if not self._client_exists(client_id):
            raise NotFoundError(f"no client C-{client_id:05d}")
        stamp = now_utc()
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO pnotes (id, client_id, session_date, body, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (db.next_id("pnotes"), client_id, day, text, stamp, stamp),
            )
            note_id = int(cursor.lastrowid or 0)
            self._write_spans(db, note_id, flags)
        self._audit.record(Action.CREATE, "pnote", note_id, client=client_id)
        return self._get(db, note_id)

    def update(
        self, note_id: int, body: str, spans: Sequence[OmitSpan] | None = None
    ) -> PsychotherapyNote:
        """Replace the text; without `spans` the note's flags stay where they were."""
        db = self._use()
        current = self._get(db, note_id)
        text, flags = _text(body, current.spans if spans is None else spans)
        with db.atomic():
            db.execute(
                "UPDATE pnotes SET body = ?, updated_at = ? WHERE id = ?",
                (text, now_utc(), note_id),
            )
            db.execute("DELETE FROM pnote_spans WHERE pnote_id = ?", (note_id,))
            self._write_spans(db, note_id, flags)
        self._audit.record(Action.EDIT, "pnote", note_id)
        return self._get(db, note_id)

    def set_flags(self, note_id: int, spans: Sequence[OmitSpan]) -> PsychotherapyNote:
        """Change the flags alone, the text as it is."""
        db = self._use()
        current = self._get(db, note_id)
        _, flags = _text(current.body, spans)
        with db.atomic():
            db.execute("DELETE FROM pnote_spans WHERE pnote_id = ?", (note_id,))
            self._write_spans(db, note_id, flags)
        self._audit.record(Action.FLAG, "pnote", note_id, spans=len(flags))
        return self._get(db, note_id)

    @staticmethod
    def _write_spans(db: Database, note_id: int, spans: Sequence[OmitSpan]) -> None:
        for span in spans:
            db.execute(
                "INSERT INTO pnote_spans (pnote_id, start, end, category) VALUES (?, ?, ?, ?)",
                (note_id, span.start, span.end, span.category.value),
            )

    def for_export(self, client_ids: Sequence[int]) -> builtins.list[PsychotherapyNote]:
        """Every note of the given clients with its flags, oldest first. Unaudited here: the
        open export that asks records its own entry (the notes it holds, per client)."""
        db = self._use()
        found: builtins.list[PsychotherapyNote] = []
        for client_id in sorted(set(client_ids)):
            rows = db.query("SELECT * FROM pnotes WHERE client_id = ? ORDER BY id", (client_id,))
            spans = _spans_of(db, [int(r["id"]) for r in rows])
            found += [_pnote(r, spans.get(int(r["id"]), ())) for r in rows]
        return found

    def restore(self, notes: Sequence[PsychotherapyNote]) -> None:
        """Put notes from an open export back as they were (ids, times, flags), in one
        transaction: only into a vault made by the import (`openexport.restore`)."""
        db = self._use()
        with db.atomic():
            for note in notes:
                # Checked, not parsed: the stored text is restored byte for byte, and text
                # that looks like a marker stays text, as it was in the exported vault.
                text = validate.body(note.body, "psychotherapy note")
                flags = markup.validate_spans(text, note.spans)
                db.execute(
                    "INSERT INTO pnotes (id, client_id, session_date, body, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        note.id,
                        note.client_id,
                        note.session_date,
                        text,
                        note.created_at,
                        note.updated_at,
                    ),
                )
                self._write_spans(db, note.id, flags)

    def get(self, note_id: int) -> PsychotherapyNote:
        db = self._use()
        note = self._get(db, note_id)
        self._audit.record(Action.VIEW, "pnote", note_id, client=note.client_id)
        return note

    def list(self, client_id: int) -> builtins.list[PsychotherapyNote]:
        db = self._use()
        rows = db.query(
            "SELECT * FROM pnotes WHERE client_id = ? ORDER BY session_date DESC, id DESC",
            (client_id,),
        )
        self._audit.record(Action.VIEW, "pnotes", client_id, notes=len(rows))
        spans = _spans_of(db, [int(r["id"]) for r in rows])
        return [_pnote(r, spans[int(r["id"])]) for r in rows]

    def search(self, query: str, limit: int = 50) -> builtins.list[PnoteHit]:
        db = self._use()
        rows = db.query(
            "SELECT p.*, "
            f"snippet(pnotes_fts, 0, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 12) AS snip "
            "FROM pnotes_fts JOIN pnotes p ON p.id = pnotes_fts.rowid "
            "WHERE pnotes_fts MATCH ? ORDER BY bm25(pnotes_fts) LIMIT ?",
            (build_match(query), limit),
        )
        self._audit.record(Action.SEARCH, "pnotes", None, hits=len(rows))
        spans = _spans_of(db, [int(r["id"]) for r in rows])
        return [(_pnote(r, spans[int(r["id"])]), split_snippet(r["snip"])) for r in rows]

    def count(self) -> int:
        return int(self._use().scalar("SELECT count(*) FROM pnotes"))

    @staticmethod
    def _get(db: Database, note_id: int) -> PsychotherapyNote:
        row = db.one("SELECT * FROM pnotes WHERE id = ?", (note_id,))
        if row is None:
            raise NotFoundError(f"no psychotherapy note P-{note_id:06d}")
        return _pnote(row, _spans_of(db, [note_id])[note_id])
