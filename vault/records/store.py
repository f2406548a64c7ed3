"""Clients and general-record notes. Every read and write is audited (identifiers only)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..crypto.sealing import seal
from ..errors import ImmutableRecordError, NotFoundError, UsageError
from ..storage.database import Database, Row, now_utc
from . import markup, validate
from .audit import Action, AuditLog
from .models import (
    Client,
    ClientStatus,
    EntryType,
    Note,
    NoteStatus,
    NoteSummary,
    OmitCategory,
    OmitSpan,
    SessionInfo,
)
from .templates import get_template

SEALED_NAME_PURPOSE = b"sealed-legal-name"


def sealed_name_aad(vault_id: str) -> bytes:
    return f"confide/{vault_id}/legal-name".encode()


def _client(row: Row) -> Client:
    return Client(
        id=int(row["id"]),
        display_name=row["display_name"],
        legal_name=row["legal_name"],
        is_pseudonymous=row["legal_name_sealed"] is not None,
        date_of_birth=row["date_of_birth"],
        status=ClientStatus(row["status"]),
        last_service_date=row["last_service_date"],
        consent_notice_date=row["consent_notice_date"],
        retention_policy=row["retention_policy"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


_UNSET: Any = object()


class ClientRecords:
    def __init__(self, db: Database, audit: AuditLog, vault_id: str, sealed_public: bytes) -> None:
        self._db = db
        self._audit = audit
        self._vault_id = vault_id
        self._sealed_public = sealed_public

    def add(
        self,
        name: str,
        *,
        pseudonym: str | None = None,
        date_of_birth: str | None = None,
        status: ClientStatus | str = ClientStatus.ACTIVE,
        last_service_date: str | None = None,
        consent_notice_date: str | None = None,
        retention_policy: str | None = None,
    ) -> Client:
        """Add a client. With a pseudonym, the legal name is sealed and shown nowhere."""
        legal = validate.name(name, "client name")
        alias = validate.name(pseudonym, "pseudonym") if pseudonym is not None else None
        status = _status(status)
        dob = validate.iso_date(date_of_birth, "date of birth")
        last = validate.iso_date(last_service_date, "last service date")
        notice = validate.iso_date(consent_notice_date, "consent notice date")
        policy = validate.short_text(retention_policy, "retention policy")
        sealed = (
            seal(
                self._sealed_public,
                legal.encode(),
                sealed_name_aad(self._vault_id),
                SEALED_NAME_PURPOSE,
            )
            if alias
            else None
        )
        stamp = now_utc()
        with self._db.atomic():
            cursor = self._db.execute(
                "INSERT INTO clients (id, display_name, legal_name, legal_name_sealed, "
                "date_of_birth, status, last_service_date, consent_notice_date, "
                "retention_policy, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._db.next_id("clients"),
                    alias or legal,
                    None if alias else legal,
                    sealed,
                    dob,
                    status.value,
                    last,
                    notice,
                    policy,
                    stamp,
                    stamp,
                ),
            )
            client_id = int(cursor.lastrowid or 0)
            self._audit.record(Action.CREATE, "client", client_id, pseudonymous=bool(alias))
        return self._get(client_id)

    def update(
        self,
        client_id: int,
        *,
        display_name: str | None = None,
        date_of_birth: str | None = _UNSET,
        status: ClientStatus | str | None = None,
        last_service_date: str | None = _UNSET,
        consent_notice_date: str | None = _UNSET,
        retention_policy: str | None = _UNSET,
    ) -> Client:
        current = self._get(client_id)
        changes: dict[str, Any] = {}
        if display_name is not None:
            new_name = validate.name(
                display_name, "pseudonym" if current.is_pseudonymous else "client name"
            )
            changes["display_name"] = new_name
            if not current.is_pseudonymous:
                changes["legal_name"] = new_name
        if date_of_birth is not _UNSET:
            changes["date_of_birth"] = validate.iso_date(date_of_birth, "date of birth")
        if status is not None:
            changes["status"] = _status(status).value
        if last_service_date is not _UNSET:
            changes["last_service_date"] = validate.iso_date(last_service_date, "last service date")
        if consent_notice_date is not _UNSET:
            changes["consent_notice_date"] = validate.iso_date(
                consent_notice_date, "consent notice date"
            )
        if retention_policy is not _UNSET:
            changes["retention_policy"] = validate.short_text(retention_policy, "retention policy")
        if not changes:
            return current
        changes["updated_at"] = now_utc()
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self._db.atomic():
            self._db.execute(
                f"UPDATE clients SET {assignments} WHERE id = ?", (*changes.values(), client_id)
            )
            self._audit.record(
                Action.EDIT,
                "client",
                client_id,
                fields=",".join(sorted(k for k in changes if k != "updated_at")),
            )
        return self._get(client_id)

    def get(self, client_id: int) -> Client:
        client = self._get(client_id)
        self._audit.record(Action.VIEW, "client", client_id)
        return client

    def get_unaudited(self, client_id: int) -> Client:
        """The client, without a VIEW entry in the audit log (NotFoundError if unknown).

        Only for a read that is part of another action with its own audit entry: a note view
        naming its participants, a release or an accounting being prepared, a legal hold or
        an authorization being recorded, or a check that the client exists. Showing a client
        to the user on its own goes through `get`, which is audited.
        """
        return self._get(client_id)

    def _get(self, client_id: int) -> Client:
        row = self._db.one("SELECT * FROM clients WHERE id = ?", (client_id,))
        if row is None:
            raise NotFoundError(f"no client C-{client_id:05d}")
        return _client(row)

    def exists(self, client_id: int) -> bool:
        return self._db.scalar("SELECT 1 FROM clients WHERE id = ?", (client_id,)) is not None

    def list(
        self,
        filter_text: str | None = None,
        status: ClientStatus | str | None = None,
        limit: int | None = None,
    ) -> list[Client]:
        """Clients by most recent service first, at most `limit`. Filters on the display name
        only."""
        clause, params = _client_filter(filter_text, status)
        tail = ""
        if limit is not None:
            tail = " LIMIT ?"
            params.append(max(0, int(limit)))
        rows = self._db.query(
            f"SELECT * FROM clients {clause} ORDER BY last_service_date IS NULL, "
            f"last_service_date DESC, display_name COLLATE NOCASE{tail}",
            params,
        )
        return [_client(r) for r in rows]

    def count(self, filter_text: str | None = None) -> int:
        """How many clients `list(filter_text)` would give, without building them."""
        clause, params = _client_filter(filter_text, None)
        return int(self._db.scalar(f"SELECT count(*) FROM clients {clause}", params))

    def ids(self) -> tuple[int, ...]:
        """Every client's id, ascending. Unaudited: no one's record is read (backups list the
        clients an archive holds, so disposal can find every copy)."""
        return tuple(int(r[0]) for r in self._db.query("SELECT id FROM clients ORDER BY id"))

    def sealed_name_blob(self, client_id: int) -> bytes | None:
        blob = self._db.scalar("SELECT legal_name_sealed FROM clients WHERE id = ?", (client_id,))
        return None if blob is None else bytes(blob)

    def seal_legal_name(self, name: str) -> bytes:
        """A legal name sealed to this vault's sealed-names key, as `add` stores it (an import
        re-seals each pseudonymous client's name for the new vault, as it was stored)."""
        return seal(
            self._sealed_public,
            name.encode("utf-8"),
            sealed_name_aad(self._vault_id),
            SEALED_NAME_PURPOSE,
        )

    def note_service_date(self, client_ids: Iterable[int], session_date: str | None) -> None:
        """Move each client's last service date forward to `session_date`."""
        if session_date is None:
            return
        for client_id in client_ids:
            self._db.execute(
                "UPDATE clients SET last_service_date = ? WHERE id = ? AND "
                "(last_service_date IS NULL OR last_service_date < ?)",
                (session_date, client_id, session_date),
            )


def _client_filter(
    filter_text: str | None, status: ClientStatus | str | None
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filter_text and filter_text.strip():
        where.append("instr(lower(display_name), ?) > 0")
        params.append(filter_text.strip().lower())
    if status is not None:
        where.append("status = ?")
        params.append(_status(status).value)
    return (f"WHERE {' AND '.join(where)}" if where else ""), params


def _check_about(spans: Iterable[OmitSpan], people: Sequence[int]) -> None:
    for span in spans:
        if span.about is not None and span.about not in people:
            raise UsageError(
                f"a flagged passage is marked as C-{span.about:05d}'s, who is not "
                "a participant of this note"
            )


def _status(value: ClientStatus | str) -> ClientStatus:
    try:
        return ClientStatus(value)
    except ValueError:
        raise UsageError(
            f"unknown client status {value!r}; use one of: "
            f"{', '.join(s.value for s in ClientStatus)}"
        ) from None


# ---------------------------------------------------------------------------- notes


def _session(session: SessionInfo) -> SessionInfo:
    start = validate.clock_time(session.start_time, "start time")
    end = validate.clock_time(session.end_time, "stop time")
    if start and end and end <= start:
        raise UsageError(f"stop time {end} is not after start time {start}")
    return SessionInfo(
        session_date=validate.iso_date(session.session_date, "session date"),
        start_time=start,
        end_time=end,
        service_code=validate.service_code(session.service_code),
        modality=validate.short_text(session.modality, "modality"),
        diagnosis_codes=validate.diagnosis_codes(list(session.diagnosis_codes)),
    )


def _has_content(body: str, template: str) -> bool:
    """True when the body holds more than the template's section headings."""
    headings = {f"{section}:" for section in get_template(template).sections}
    return any(line.strip() and line.strip() not in headings for line in body.splitlines())


class NoteRecords:
    def __init__(self, db: Database, audit: AuditLog, clients: ClientRecords) -> None:
        self._db = db
        self._audit = audit
        self._clients = clients

    # -- writing

    def create(
        self,
        client_id: int,
        template: str = "free",
        *,
        body: str | None = None,
        spans: Sequence[OmitSpan] = (),
        session: SessionInfo | None = None,
        participants: Sequence[int] = (),
        omit_category: OmitCategory | None = None,
        entry_type: EntryType = EntryType.ORIGINAL,
        parent_id: int | None = None,
        late_reason: str | None = None,
    ) -> Note:
        """A new draft. `body=None` starts from the template's section headings."""
        tmpl = get_template(template)
        text, checked_spans = markup.flagged_text(
            validate.body(tmpl.skeleton() if body is None else body), spans
        )
        meta = _session(session or SessionInfo())
        if entry_type is EntryType.LATE_ENTRY:
            late_reason = validate.short_text(late_reason, "late-entry reason")
            if not late_reason:
                raise UsageError("a late entry needs a reason (why it is written late)")
            markup.refuse_markers(late_reason, "a late-entry reason")
            if meta.session_date is None:
                raise UsageError("a late entry needs the date of the session it documents")
        people = self._participants(client_id, participants)
        _check_about(checked_spans, people)
        stamp = now_utc()
        with self._db.atomic():
            cursor = self._db.execute(
                "INSERT INTO notes (id, client_id, template, entry_type, parent_id, status, "
                "session_date, start_time, end_time, service_code, modality, diagnosis_codes, "
                "body, omit_category, late_reason, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._db.next_id("notes"),
                    client_id,
                    tmpl.key,
                    entry_type.value,
                    parent_id,
                    meta.session_date,
                    meta.start_time,
                    meta.end_time,
                    meta.service_code,
                    meta.modality,
                    json.dumps(list(meta.diagnosis_codes)),
                    text,
                    omit_category.value if omit_category else None,
                    late_reason,
                    stamp,
                    stamp,
                ),
            )
            note_id = int(cursor.lastrowid or 0)
            self._write_participants(note_id, people)
            self._write_spans(note_id, checked_spans)
            self._index_open(note_id, text, checked_spans, omit_category if omit_category else None)
            self._clients.note_service_date(people, meta.session_date)
            self._audit.record(
                Action.CREATE,
                "note",
                note_id,
                client=client_id,
                entry_type=entry_type.value,
                participants=len(people),
            )
        return self._get(note_id)

    def save_draft(
        self,
        note_id: int,
        *,
        body: str | None = None,
        spans: Sequence[OmitSpan] | None = None,
        session: SessionInfo | None = None,
        participants: Sequence[int] | None = None,
        omit_category: OmitCategory | None = _UNSET,
        template: str | None = None,
    ) -> Note:
        """Save a draft in one transaction; signed notes refuse every change."""
        current = self._get(note_id)
        if current.is_signed:
            raise ImmutableRecordError(
                f"{current.record_id} is signed and cannot change; write an addendum instead"
            )
        # Given spans are offsets into the text as given (markers and all); without any, the
        # note's flags stay where they were.
        text, new_spans = markup.flagged_text(
            validate.body(body) if body is not None else current.body,
            spans if spans is not None else current.spans,
        )
        meta = _session(session) if session is not None else current.session
        people = (
            self._participants(current.client_id, participants)
            if participants is not None
            else list(current.participant_ids)
        )
        _check_about(new_spans, people)
        category = current.omit_category if omit_category is _UNSET else omit_category
        tmpl = get_template(template).key if template is not None else current.template
        with self._db.atomic():
            self._db.execute(
                "UPDATE notes SET body = ?, template = ?, session_date = ?, start_time = ?, "
                "end_time = ?, service_code = ?, modality = ?, diagnosis_codes = ?, "
                "omit_category = ?, updated_at = ? WHERE id = ?",
                (
                    text,
                    tmpl,
                    meta.session_date,
                    meta.start_time,
                    meta.end_time,
                    meta.service_code,
                    meta.modality,
                    json.dumps(list(meta.diagnosis_codes)),
                    category.value if category else None,
                    now_utc(),
                    note_id,
                ),
            )
            self._db.execute("DELETE FROM omit_spans WHERE note_id = ?", (note_id,))
            self._write_spans(note_id, new_spans)
            self._index_open(note_id, text, new_spans, category)
            if participants is not None:
                self._db.execute("DELETE FROM note_participants WHERE note_id = ?", (note_id,))
                self._write_participants(note_id, people)
            self._clients.note_service_date(people, meta.session_date)
            self._audit.record(Action.EDIT, "note", note_id, client=current.client_id)
        return self._get(note_id)

    def sign(self, note_id: int) -> Note:
        current = self._get(note_id)
        if current.is_signed:
            raise ImmutableRecordError(
                f"{current.record_id} was already signed at {current.signed_at}"
            )
        if not _has_content(current.body, current.template):
            # A signed note can never change: signing bare template headings would leave an
            # empty record for good.
            raise UsageError(
                f"{current.record_id} is empty (nothing under its headings); "
                "write something before signing"
            )
        with self._db.atomic():
            self._db.execute(
                "UPDATE notes SET status = 'signed', signed_at = ?, updated_at = ? WHERE id = ?",
                (now_utc(), now_utc(), note_id),
            )
            self._audit.record(Action.SIGN, "note", note_id, client=current.client_id)
        return self._get(note_id)

    def addend(
        self, parent_id: int, body: str, spans: Sequence[OmitSpan] = (), *, sign: bool = True
    ) -> Note:
        """An addendum to a signed note; the original stays as it was, visibly."""
        parent = self._get(parent_id)
        while parent.entry_type is EntryType.ADDENDUM and parent.parent_id is not None:
            # An addendum to an addendum belongs to the original note: the timeline groups
            # addenda under their parent, and a nested one was shown detached from it.
            parent = self._get(parent.parent_id)
        if not parent.is_signed:
            raise UsageError(
                f"{parent.record_id} is still a draft; edit it instead of adding an addendum"
            )
        if sign and not body.strip():
            # Checked first: otherwise the error names the rolled-back addendum's id.
            raise UsageError(f"the addendum to {parent.record_id} is empty; write something")
        with self._db.atomic():
            note = self.create(
                parent.client_id,
                "free",
                body=body,
                spans=spans,
                session=SessionInfo(session_date=parent.session.session_date),
                participants=parent.participant_ids,
                entry_type=EntryType.ADDENDUM,
                parent_id=parent.id,
            )
            self._audit.record(Action.ADDENDUM, "note", note.id, parent=parent.id)
            if sign:
                note = self.sign(note.id)
        return note

    def discard_draft(self, note_id: int) -> None:
        """Delete a draft that was never signed (an addendum started by mistake, say).

        Signed notes are the record and never go; a draft another note refers to stays too.
        Its number is retired so the audit log's mention of it stays unambiguous.
        """
        current = self._get(note_id)
        if current.is_signed:
            raise ImmutableRecordError(
                f"{current.record_id} is signed and part of the record; it cannot be discarded"
            )
        if self._db.scalar("SELECT 1 FROM notes WHERE parent_id = ?", (note_id,)) is not None:
            raise UsageError(f"another note refers to {current.record_id}; it cannot be discarded")
        with self._db.atomic():
            self._db.retire_ids("notes")
            self._db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
            self._audit.record(Action.DISCARD, "note", note_id, client=current.client_id)

    def late_entry(
        self,
        client_id: int,
        template: str,
        session_date: str,
        reason: str,
        *,
        body: str | None = None,
        spans: Sequence[OmitSpan] = (),
        session: SessionInfo | None = None,
        refers_to: int | None = None,
    ) -> Note:
        """A note written after the fact: labelled late, dated now, pointing at its session."""
        if refers_to is not None:
            self._get(refers_to)
        meta = replace(session or SessionInfo(), session_date=session_date)
        return self.create(
            client_id,
            template,
            body=body,
            spans=spans,
            session=meta,
            entry_type=EntryType.LATE_ENTRY,
            parent_id=refers_to,
            late_reason=reason,
        )

    def set_flags(
        self, note_id: int, spans: Sequence[OmitSpan], omit_category: OmitCategory | None = _UNSET
    ) -> Note:
        """Change omission flags. Allowed on signed notes: flags govern release, not content."""
        current = self._get(note_id)
        new_spans = markup.validate_spans(current.body, spans)
        _check_about(new_spans, current.participant_ids)
        whole = current.omit_category if omit_category is _UNSET else omit_category
        with self._db.atomic():
            self._db.execute("DELETE FROM omit_spans WHERE note_id = ?", (note_id,))
            self._write_spans(note_id, new_spans)
            if omit_category is not _UNSET:
                # The whole-note flag is a column of the note row itself, which the database
                # keeps immutable once signed: only drafts can change it.
                self._set_whole_note_flag(current, omit_category)
            self._index_open(note_id, current.body, new_spans, whole)
            self._audit.record(
                Action.FLAG,
                "note",
                note_id,
                spans=len(new_spans),
                whole=bool(omit_category)
                if omit_category is not _UNSET
                else bool(current.omit_category),
            )
        return self._get(note_id)

    def _set_whole_note_flag(self, note: Note, category: OmitCategory | None) -> None:
        if note.is_signed:
            raise ImmutableRecordError(
                f"{note.record_id} is signed; flag its passages instead of the whole note"
            )
        self._db.execute(
            "UPDATE notes SET omit_category = ? WHERE id = ?",
            (category.value if category else None, note.id),
        )

    def _participants(self, owner: int, others: Iterable[int]) -> list[int]:
        people = [owner] + [c for c in dict.fromkeys(others) if c != owner]
        for client_id in people:
            if not self._clients.exists(client_id):
                raise NotFoundError(f"no client C-{client_id:05d}")
        return people

    def _write_participants(self, note_id: int, people: Sequence[int]) -> None:
        for client_id in people:
            self._db.execute(
                "INSERT INTO note_participants (note_id, client_id) VALUES (?, ?)",
                (note_id, client_id),
            )

    def _write_spans(self, note_id: int, spans: Sequence[OmitSpan]) -> None:
        for span in spans:
            self._db.execute(
                "INSERT INTO omit_spans (note_id, start, end, category, about) "
                "VALUES (?, ?, ?, ?, ?)",
                (note_id, span.start, span.end, span.category.value, span.about),
            )

    def _index_open(
        self, note_id: int, body: str, spans: Sequence[OmitSpan], whole: OmitCategory | None
    ) -> None:
        """Keep the privacy-mode search index current: a row only for a note with flags."""
        self._db.execute("DELETE FROM notes_open_fts WHERE rowid = ?", (note_id,))
        if spans or whole is not None:
            self._db.execute(
                "INSERT INTO notes_open_fts(rowid, body) VALUES (?, ?)",
                (note_id, markup.open_text(body, spans, whole)),
            )

    # -- reading

    def get(self, note_id: int) -> Note:
        note = self._get(note_id)
        self._audit.record(Action.VIEW, "note", note_id, client=note.client_id)
        return note

    def get_unaudited(self, note_id: int) -> Note:
        """The note, without a VIEW entry in the audit log (NotFoundError if unknown).

        Only for a read that is part of another action with its own audit entry: a release
        being prepared (its preview and its export are audited) or an amendment request being
        recorded. Showing a note to the user goes through `get`, which is audited.
        """
        return self._get(note_id)

    def _get(self, note_id: int) -> Note:
        row = self._db.one("SELECT * FROM notes WHERE id = ?", (note_id,))
        if row is None:
            raise NotFoundError(f"no note N-{note_id:06d}")
        participants = [
            int(r[0])
            for r in self._db.query(
                "SELECT client_id FROM note_participants WHERE note_id = ?", (note_id,)
            )
        ]
        owner = int(row["client_id"])
        ordered = [owner] + sorted(c for c in participants if c != owner)
        spans = tuple(
            OmitSpan(
                int(r["start"]),
                int(r["end"]),
                OmitCategory(r["category"]),
                None if r["about"] is None else int(r["about"]),
            )
            for r in self._db.query(
                "SELECT start, end, category, about FROM "
                "omit_spans WHERE note_id = ? ORDER BY start",
                (note_id,),
            )
        )
        return Note(
            id=int(row["id"]),
            client_id=owner,
            participant_ids=tuple(ordered),
            template=row["template"],
            entry_type=EntryType(row["entry_type"]),
            parent_id=row["parent_id"],
            status=NoteStatus(row["status"]),
            session=SessionInfo(
                row["session_date"],
                row["start_time"],
                row["end_time"],
                row["service_code"],
                row["modality"],
                tuple(json.loads(row["diagnosis_codes"])),
            ),
            body=row["body"],
            spans=spans,
            omit_category=OmitCategory(row["omit_category"]) if row["omit_category"] else None,
            late_reason=row["late_reason"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            signed_at=row["signed_at"],
        )

    def addenda(self, note_id: int) -> list[Note]:
        """The addenda of a note, oldest first; each one read is a VIEW in the audit log."""
        rows = self._db.query(
            "SELECT id FROM notes WHERE parent_id = ? AND entry_type = ? ORDER BY id",
            (note_id, EntryType.ADDENDUM.value),
        )
        return [self.get(int(r["id"])) for r in rows]

    def timeline(self, client_id: int) -> list[NoteSummary]:
        """Every note the client took part in, newest session first, addenda under parents."""
        self._clients._get(client_id)  # raises NotFoundError for an unknown client
        rows = self._db.query(
            "SELECT n.id, n.client_id, n.template, n.entry_type, n.parent_id, n.status, "
            "n.session_date, n.created_at, n.signed_at, n.omit_category, "
            "(SELECT count(*) FROM note_participants q WHERE q.note_id = n.id) AS people, "
            "(SELECT count(*) FROM omit_spans s WHERE s.note_id = n.id) AS flagged "
            "FROM note_participants p JOIN notes n ON n.id = p.note_id "
            "WHERE p.client_id = ? "
            "ORDER BY coalesce((SELECT session_date FROM notes o WHERE o.id = n.parent_id), "
            "n.session_date) DESC, coalesce(n.parent_id, n.id) DESC, n.id",
            (client_id,),
        )
        self._audit.record(Action.VIEW, "timeline", client_id, notes=len(rows))
        return [
            NoteSummary(
                id=int(r["id"]),
                client_id=int(r["client_id"]),
                template=r["template"],
                entry_type=EntryType(r["entry_type"]),
                parent_id=r["parent_id"],
                status=NoteStatus(r["status"]),
                session_date=r["session_date"],
                created_at=r["created_at"],
                signed_at=r["signed_at"],
                omit_category=OmitCategory(r["omit_category"]) if r["omit_category"] else None,
                participant_count=int(r["people"]),
                flagged_passages=int(r["flagged"]),
            )
            for r in rows
        ]

    def count(self) -> int:
        return int(self._db.scalar("SELECT count(*) FROM notes"))
