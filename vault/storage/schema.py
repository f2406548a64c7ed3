"""Migrations for the two databases. Each migration is a list of statements run in one transaction.

Add a migration by appending to the list with the next version number; never edit a shipped one.
"""

from __future__ import annotations

from collections.abc import Callable

from .database import Database, Migration, now_utc

# FTS5 keeps the tokens of deleted rows in its segments unless 'secure-delete' is on; with it a
# delete removes them (docs/ARCHITECTURE.md, Pitfalls). External content keeps one copy of each
# body.
_FTS_SECURE = "INSERT INTO {t}({t}, rank) VALUES('secure-delete', 1)"

RECORD_V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE clients (
        id INTEGER PRIMARY KEY,
        display_name TEXT NOT NULL,
        legal_name TEXT,
        legal_name_sealed BLOB,
        date_of_birth TEXT,
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'inactive', 'discharged')),
        last_service_date TEXT,
        consent_notice_date TEXT,
        retention_policy TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((legal_name IS NULL) != (legal_name_sealed IS NULL))
    )""",
    """CREATE INDEX clients_last_service ON clients(last_service_date)""",
    """CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        template TEXT NOT NULL,
        entry_type TEXT NOT NULL DEFAULT 'original'
            CHECK (entry_type IN ('original', 'addendum', 'late_entry')),
        parent_id INTEGER REFERENCES notes(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
        session_date TEXT,
        start_time TEXT,
        end_time TEXT,
        service_code TEXT,
        modality TEXT,
        diagnosis_codes TEXT NOT NULL DEFAULT '[]',
        body TEXT NOT NULL DEFAULT '',
        omit_category TEXT,
        late_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        signed_at TEXT,
        CHECK ((status = 'signed') = (signed_at IS NOT NULL))
    )""",
    """CREATE INDEX notes_client_date ON notes(client_id, session_date, id)""",
    """CREATE INDEX notes_parent ON notes(parent_id)""",
    """CREATE TABLE note_participants (
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        PRIMARY KEY (note_id, client_id)
    ) WITHOUT ROWID""",
    """CREATE INDEX participants_client ON note_participants(client_id, note_id)""",
    """CREATE TABLE omit_spans (
        id INTEGER PRIMARY KEY,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        category TEXT NOT NULL,
        CHECK (start >= 0 AND end > start)
    )""",
    """CREATE INDEX omit_spans_note ON omit_spans(note_id)""",
    # Signed notes are immutable in the database itself, not only in the API.
    """CREATE TRIGGER notes_signed_immutable BEFORE UPDATE ON notes
       WHEN OLD.status = 'signed'
       BEGIN SELECT RAISE(ABORT, 'signed notes are immutable'); END""",
    """CREATE VIRTUAL TABLE notes_fts USING fts5(
        body, content='notes', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')""",
    _FTS_SECURE.format(t="notes_fts"),
    """CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
        INSERT INTO notes_fts(rowid, body) VALUES (NEW.id, NEW.body); END""",
    """CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body); END""",
    """CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
        INSERT INTO notes_fts(rowid, body) VALUES (NEW.id, NEW.body); END""",
    """CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        object_type TEXT,
        object_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]

PNOTES_V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    # By design no fields for what 45 CFR 164.501 excludes: no times, medications, modality,
    # diagnosis, test results or progress summaries. Only the session date and the text.
    """CREATE TABLE pnotes (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL,
        session_date TEXT,
        body TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE INDEX pnotes_client ON pnotes(client_id, session_date, id)""",
    """CREATE VIRTUAL TABLE pnotes_fts USING fts5(
        body, content='pnotes', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')""",
    _FTS_SECURE.format(t="pnotes_fts"),
    """CREATE TRIGGER pnotes_fts_insert AFTER INSERT ON pnotes BEGIN
        INSERT INTO pnotes_fts(rowid, body) VALUES (NEW.id, NEW.body); END""",
    """CREATE TRIGGER pnotes_fts_delete AFTER DELETE ON pnotes BEGIN
        INSERT INTO pnotes_fts(pnotes_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body); END""",
    """CREATE TRIGGER pnotes_fts_update AFTER UPDATE OF body ON pnotes BEGIN
        INSERT INTO pnotes_fts(pnotes_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
        INSERT INTO pnotes_fts(rowid, body) VALUES (NEW.id, NEW.body); END""",
]


def _run(statements: list[str]) -> Callable[[Database], None]:
    def apply(db: Database) -> None:
        db.execute_all(statements)

    return apply


RECORD_MIGRATIONS: list[Migration] = [Migration(1, "initial schema", _run(RECORD_V1))]
PNOTES_MIGRATIONS: list[Migration] = [Migration(1, "initial schema", _run(PNOTES_V1))]

# -- 4: retention and disposal (issue 5). Custom retention policies, the disposal log (one row per
# disposal, kept for good: it is the record that the records were destroyed), and backup copies
# still to purge on drives that were absent at disposal time.
RECORD_V4 = [
    """CREATE TABLE retention_policies (
        key TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        years_after_service INTEGER NOT NULL CHECK (years_after_service BETWEEN 0 AND 100),
        minor_years_after_majority INTEGER CHECK (minor_years_after_majority BETWEEN 0 AND 100),
        age_of_majority INTEGER NOT NULL DEFAULT 18 CHECK (age_of_majority BETWEEN 1 AND 30),
        source TEXT NOT NULL DEFAULT 'custom',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE disposals (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('records_deleted', 'keys_rotated', 'complete')),
        started_at TEXT NOT NULL,
        completed_at TEXT,
        performed_by TEXT NOT NULL,
        client_ids TEXT NOT NULL,
        certificate TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TRIGGER disposals_no_delete BEFORE DELETE ON disposals
       BEGIN SELECT RAISE(ABORT, 'the disposal log is permanent'); END""",
    """CREATE TABLE backup_purges (
        id INTEGER PRIMARY KEY,
        disposal_id INTEGER NOT NULL REFERENCES disposals(id),
        drive TEXT NOT NULL,
        location TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
        recorded_at TEXT NOT NULL,
        done_at TEXT
    )""",
    """CREATE INDEX backup_purges_state ON backup_purges(state, drive)""",
]
RECORD_MIGRATIONS.append(Migration(4, "retention and disposal", _run(RECORD_V4)))

# -- 3: once the backup catalog (issue 4), whose tables this step created. The catalog now belongs
# to `backup` (backup/catalog.py: its own migrations, recorded in `backup_schema_migrations`),
# and the vault's schema no longer knows its tables. The step stays, as a no-op, so that version
# 3 means the same in every vault: vaults that ran the old step keep its tables, which backup's
# first migration (CREATE TABLE IF NOT EXISTS, the same columns) adopts as they are; a new vault
# gets them from backup the first time it uses the catalog. Never reuse the number.
RECORD_MIGRATIONS.append(Migration(3, "backup catalog (now created by backup)", _run([])))

# -- 2: disclosures (issue 6). Legal holds (shared with retention/disposal: a hold blocks
# disposal), authorizations (45 CFR 164.508), records requests (subpoena checklist), the
# accounting of disclosures (164.528) and amendment requests (164.526). Every reference cascades
# or clears on delete, so disposal can delete these rows table by table in any order (a
# disclosure row is never updated, so its references cascade rather than clear).
RECORD_V2 = [
    """CREATE TABLE legal_holds (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        placed_at TEXT NOT NULL,
        placed_by TEXT NOT NULL,
        released_at TEXT,
        release_note TEXT
    )""",
    """CREATE INDEX legal_holds_client ON legal_holds(client_id, released_at)""",
    """CREATE TABLE authorizations (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('general', 'psychotherapy_notes')),
        description TEXT NOT NULL,
        document_kinds TEXT NOT NULL DEFAULT '[]',
        discloser TEXT NOT NULL,
        recipient_name TEXT NOT NULL,
        recipient_address TEXT,
        purpose TEXT NOT NULL,
        expires_on TEXT,
        expiry_event TEXT,
        signed_on TEXT NOT NULL,
        revoked_on TEXT,
        created_at TEXT NOT NULL,
        CHECK (expires_on IS NOT NULL OR expiry_event IS NOT NULL)
    )""",
    """CREATE INDEX authorizations_client ON authorizations(client_id)""",
    """CREATE TABLE records_requests (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        request_type TEXT NOT NULL,
        requester_name TEXT NOT NULL,
        requester_address TEXT,
        reference TEXT,
        received_on TEXT NOT NULL,
        hold_id INTEGER REFERENCES legal_holds(id) ON DELETE SET NULL,
        client_notified_on TEXT,
        counsel_consulted_on TEXT,
        authorization_id INTEGER REFERENCES authorizations(id) ON DELETE SET NULL,
        court_order TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fulfilled', 'closed')),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE disclosures (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        disclosed_at TEXT NOT NULL,
        request_type TEXT NOT NULL,
        recipient_name TEXT NOT NULL,
        recipient_address TEXT,
        purpose TEXT NOT NULL,
        description TEXT NOT NULL,
        authorization_id INTEGER REFERENCES authorizations(id) ON DELETE CASCADE,
        pnotes_authorization_id INTEGER REFERENCES authorizations(id) ON DELETE CASCADE,
        request_id INTEGER REFERENCES records_requests(id) ON DELETE CASCADE,
        basis TEXT,
        date_from TEXT,
        date_to TEXT,
        document_kinds TEXT NOT NULL DEFAULT '[]',
        note_ids TEXT NOT NULL DEFAULT '[]',
        pnote_count INTEGER NOT NULL DEFAULT 0,
        included_categories TEXT NOT NULL DEFAULT '[]',
        withheld_categories TEXT NOT NULL DEFAULT '[]',
        format TEXT NOT NULL,
        encrypted INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT NOT NULL,
        accountable INTEGER NOT NULL
    )""",
    """CREATE INDEX disclosures_client ON disclosures(client_id, disclosed_at)""",
    # The accounting of disclosures must be kept six years (164.528, 164.530(j)): no edits.
    """CREATE TRIGGER disclosures_no_update BEFORE UPDATE ON disclosures
       BEGIN SELECT RAISE(ABORT, 'the accounting of disclosures is append-only'); END""",
    """CREATE TABLE amendments (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        requested_on TEXT NOT NULL,
        request_text TEXT NOT NULL,
        due_on TEXT NOT NULL,
        extended INTEGER NOT NULL DEFAULT 0,
        extension_reason TEXT,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'accepted', 'denied')),
        decided_on TEXT,
        addendum_note_id INTEGER REFERENCES notes(id) ON DELETE SET NULL,
        denial_reason TEXT,
        disagreement TEXT,
        disagreement_on TEXT,
        rebuttal TEXT,
        rebuttal_on TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE INDEX amendments_note ON amendments(note_id)""",
]
RECORD_MIGRATIONS.append(Migration(2, "disclosures, authorizations, legal holds", _run(RECORD_V2)))

# -- 5 (record) and 2 (pnotes): flags in every kind of text (issue 11).
# A flag may name the participant whose passage it is (joint notes). Privacy-mode search matches
# only unflagged text: `notes_open_fts` holds, for each note that has any flag, its body with
# the flagged passages blanked out (a note flagged whole has an empty row); notes without flags
# are matched in `notes_fts` as before, so the extra index costs only what flagged notes hold.
# It keeps its own content (a contentless table would leave a deleted row's tokens behind) and
# uses secure-delete; the trigger below drops a note's row when the note goes (discard,
# disposal). The store keeps the rows current: FTS5 cannot render spans in SQL.
RECORD_V5 = [
    """ALTER TABLE omit_spans ADD COLUMN about INTEGER""",
    """CREATE VIRTUAL TABLE notes_open_fts USING fts5(
        body, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')""",
    _FTS_SECURE.format(t="notes_open_fts"),
    """CREATE TRIGGER notes_open_fts_delete AFTER DELETE ON notes BEGIN
        DELETE FROM notes_open_fts WHERE rowid = OLD.id; END""",
]


def _record_v5(db: Database) -> None:
    from ..errors import MarkupError
    from ..records.markup import marked_regions, open_text
    from ..records.models import OmitCategory, OmitSpan

    db.execute_all(RECORD_V5)
    # Text that bypassed the parser (an accepted amendment's addendum) kept its markers as
    # written, and a signed note's text can never change: flag each marked passage, markers
    # and all, so it is withheld from now on.
    for row in db.query("SELECT id, body FROM notes WHERE body LIKE '%{{%'"):
        try:
            regions = marked_regions(row["body"])
        except MarkupError:
            continue
        taken = [
            (int(r[0]), int(r[1]))
            for r in db.query("SELECT start, end FROM omit_spans WHERE note_id = ?", (row["id"],))
        ]
        for start, end, category in regions:
            if not any(s < end and start < e for s, e in taken):
                db.execute(
                    "INSERT INTO omit_spans (note_id, start, end, category) VALUES (?, ?, ?, ?)",
                    (row["id"], start, end, category.value),
                )
    rows = db.query(
        "SELECT n.id, n.body, n.omit_category FROM notes n WHERE "
        "n.omit_category IS NOT NULL OR EXISTS "
        "(SELECT 1 FROM omit_spans s WHERE s.note_id = n.id)"
    )
    for row in rows:
        spans = [
            OmitSpan(int(r[0]), int(r[1]), OmitCategory(r[2]))
            for r in db.query(
                "SELECT start, end, category FROM omit_spans WHERE note_id = ?", (row["id"],)
            )
        ]
        whole = OmitCategory(row["omit_category"]) if row["omit_category"] else None
        db.execute(
            "INSERT INTO notes_open_fts(rowid, body) VALUES (?, ?)",
            (row["id"], open_text(row["body"], spans, whole)),
        )


RECORD_MIGRATIONS.append(Migration(5, "flag attribution, privacy-mode search index", _record_v5))

# Psychotherapy notes get flags like general-record notes: spans beside the text.
PNOTES_V2 = [
    """CREATE TABLE pnote_spans (
        id INTEGER PRIMARY KEY,
        pnote_id INTEGER NOT NULL REFERENCES pnotes(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        category TEXT NOT NULL,
        CHECK (start >= 0 AND end > start)
    )""",
    """CREATE INDEX pnote_spans_note ON pnote_spans(pnote_id)""",
]


def _pnotes_v2(db: Database) -> None:
    """Before this, markers typed in a psychotherapy note were stored as literal text (and
    released as such): turn the ones that parse into real flags."""
    from ..errors import MarkupError
    from ..records.markup import parse_omissions

    db.execute_all(PNOTES_V2)
    for row in db.query("SELECT id, body FROM pnotes WHERE body LIKE '%{{%'"):
        try:
            body, spans = parse_omissions(row["body"])
        except MarkupError:
            continue  # not markup after all (or broken): left as written
        if not spans or any(s.about is not None for s in spans):
            continue
        db.execute("UPDATE pnotes SET body = ? WHERE id = ?", (body, row["id"]))
        for span in spans:
            db.execute(
                "INSERT INTO pnote_spans (pnote_id, start, end, category) VALUES (?, ?, ?, ?)",
                (row["id"], span.start, span.end, span.category.value),
            )


PNOTES_MIGRATIONS.append(Migration(2, "flags in psychotherapy notes", _pnotes_v2))

# -- 6: the incident register (issue 17): breaches and suspected breaches (45 CFR 164.402-414).
# Kept for good (164.530(j) asks six years; nothing here is ever deleted) and it must outlive
# disposal of the clients it names, like the disposal log: clients are stored as record-id text
# ('C-00012') with counts, never as a client_id column or a foreign key, so disposal neither
# cascades into these rows nor finds them. No note text, no names.
RECORD_V6 = [
    """CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('lost_device', 'stolen_device',
                                           'misdirected_release', 'unauthorised_access',
                                           'other')),
        occurred_on TEXT,
        discovered_on TEXT NOT NULL,
        description TEXT NOT NULL,
        media TEXT NOT NULL DEFAULT '',
        containment TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        copies TEXT NOT NULL DEFAULT '[]',
        keys_compromised TEXT CHECK (keys_compromised IN ('no', 'yes', 'unknown')),
        factor_nature TEXT NOT NULL DEFAULT '',
        factor_recipient TEXT NOT NULL DEFAULT '',
        factor_acquired TEXT NOT NULL DEFAULT '',
        factor_mitigation TEXT NOT NULL DEFAULT '',
        conclusion TEXT CHECK (conclusion IN ('not_breach', 'low_probability', 'breach')),
        conclusion_reason TEXT,
        concluded_on TEXT,
        letter TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_on TEXT,
        close_note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((conclusion IS NULL) = (conclusion_reason IS NULL)),
        CHECK (status = 'open' OR conclusion IS NOT NULL)
    )""",
    """CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
       BEGIN SELECT RAISE(ABORT, 'the incident register is permanent'); END""",
    """CREATE TABLE incident_clients (
        incident_id INTEGER NOT NULL REFERENCES incidents(id),
        record_id TEXT NOT NULL,
        kinds TEXT NOT NULL DEFAULT '[]',
        notes INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL,
        PRIMARY KEY (incident_id, record_id)
    ) WITHOUT ROWID""",
    """CREATE TRIGGER incident_clients_no_delete BEFORE DELETE ON incident_clients
       BEGIN SELECT RAISE(ABORT, 'the incident register is permanent'); END""",
    """CREATE TABLE incident_notices (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES incidents(id),
        record_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('written', 'sent')),
        method TEXT,
        sent_on TEXT,
        format TEXT,
        sha256 TEXT,
        recorded_at TEXT NOT NULL
    )""",
    """CREATE INDEX incident_notices_incident ON incident_notices(incident_id, record_id)""",
    """CREATE TRIGGER incident_notices_append_only BEFORE UPDATE ON incident_notices
       BEGIN SELECT RAISE(ABORT, 'the record of notices is append-only'); END""",
    """CREATE TRIGGER incident_notices_no_delete BEFORE DELETE ON incident_notices
       BEGIN SELECT RAISE(ABORT, 'the record of notices is append-only'); END""",
]
RECORD_MIGRATIONS.append(Migration(6, "incident register (breach notification)", _run(RECORD_V6)))

# -- 7: copies that left the vault (issue 10 item 6). Every file an export wrote (a release, an
# accounting, a certificate): where and what (digest, size), so disposal can find the copies
# still at their saved path, overwrite them on request, and the certificate can list the rest as
# out of reach. Rows naming a client go with it at disposal (client_id).
RECORD_V7_EXPORTS = [
    """CREATE TABLE exports (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('release', 'accounting', 'certificate')),
        client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
        disclosure_id INTEGER,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        written_at TEXT NOT NULL
    )""",
    """CREATE INDEX exports_client ON exports(client_id)""",
]
RECORD_MIGRATIONS.append(
    Migration(7, "exports: copies that left the vault", _run(RECORD_V7_EXPORTS))
)


# -- 12 (record) and 3 (pnotes): prefix indexes for short prefixes (issue 14). A query such as
# `an*` or `par*` made FTS5 merge the doclists of every token with that prefix: CPU p95 150 ms
# at 50,000 notes. With `prefix='2 3'` FTS5 keeps every two- and three-character
# prefixes as index entries of their own: p95 16 ms (bench/README.md). FTS5 options cannot be
# changed in place, so each index is made again (the external-content ones rebuild from their
# table; the privacy-mode one keeps its own rows and is copied). A one-time cost at the first
# unlock after the upgrade: about 9-30 s at 50,000 notes on this machine, depending on load.
_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"
PREFIXES = "prefix='2 3'"


def _external_fts_again(db: Database, table: str, content: str) -> None:
    db.execute(f"DROP TABLE {table}")  # its triggers live on `content` and keep their text
    db.execute(
        f"CREATE VIRTUAL TABLE {table} USING fts5(body, content='{content}', "
        f"content_rowid='id', {_TOKENIZE}, {PREFIXES})"
    )
    db.execute(_FTS_SECURE.format(t=table))
    db.execute(f"INSERT INTO {table}({table}) VALUES('rebuild')")


def _has_prefixes(db: Database, table: str) -> bool:
    # New vaults are created with the prefix option (the statements above): nothing to redo.
    sql = db.scalar("SELECT sql FROM sqlite_master WHERE name = ?", (table,))
    return PREFIXES in str(sql)


def _record_v12(db: Database) -> None:
    if _has_prefixes(db, "notes_fts") and _has_prefixes(db, "notes_open_fts"):
        return
    _external_fts_again(db, "notes_fts", "notes")
    # The privacy-mode index holds its own text: copy it into a new table, then swap names.
    db.execute("DROP TRIGGER notes_open_fts_delete")
    db.execute(f"CREATE VIRTUAL TABLE notes_open_fts_v12 USING fts5(body, {_TOKENIZE}, {PREFIXES})")
    db.execute(_FTS_SECURE.format(t="notes_open_fts_v12"))
    db.execute("INSERT INTO notes_open_fts_v12(rowid, body) SELECT rowid, body FROM notes_open_fts")
    db.execute("DROP TABLE notes_open_fts")
    db.execute("ALTER TABLE notes_open_fts_v12 RENAME TO notes_open_fts")
    db.execute(
        "CREATE TRIGGER notes_open_fts_delete AFTER DELETE ON notes BEGIN "
        "DELETE FROM notes_open_fts WHERE rowid = OLD.id; END"
    )


# Said before the rebuild starts (the CLI on stderr, the app on the lock screen).
UPGRADING_SEARCH = "Upgrading the search index (once); this can take a minute on a large vault..."
RECORD_MIGRATIONS.append(
    Migration(12, "prefix indexes for short search prefixes", _record_v12, UPGRADING_SEARCH)
)
PNOTES_MIGRATIONS.append(
    Migration(
        3,
        "prefix index for short search prefixes",
        lambda db: (
            None
            if _has_prefixes(db, "pnotes_fts")
            else _external_fts_again(db, "pnotes_fts", "pnotes")
        ),
        UPGRADING_SEARCH,
    )
)
# -- 13: people in a client's life (issue 15), named with their role, so a de-identified case
# summary replaces "June" with "the client's sister". Deleted with the client (disposal).
RECORD_V13 = [
    """CREATE TABLE client_people (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE INDEX client_people_client ON client_people(client_id)""",
]
RECORD_MIGRATIONS.append(Migration(13, "people in a client's life", _run(RECORD_V13)))
# Version 8 (issue 10 item 8): each audit entry gains `mac`, an HMAC of its hash under the audit
# key kept in the key file, so the chain cannot be recomputed with the database key alone. The
# append-only trigger now lets exactly one change through: a missing tag filled in once (the
# upgrade of a chain written before tags), every other field unchanged.
RECORD_V8 = [
    """ALTER TABLE audit_log ADD COLUMN mac TEXT""",
    """DROP TRIGGER audit_no_update""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
       WHEN NOT (OLD.mac IS NULL AND NEW.mac IS NOT NULL AND NEW.seq = OLD.seq
                 AND NEW.at IS OLD.at AND NEW.action IS OLD.action
                 AND NEW.object_type IS OLD.object_type AND NEW.object_id IS OLD.object_id
                 AND NEW.detail IS OLD.detail AND NEW.prev_hash IS OLD.prev_hash
                 AND NEW.hash IS OLD.hash)
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
RECORD_MIGRATIONS.append(Migration(8, "keyed audit chain", _run(RECORD_V8)))

# -- 11: the right of access (issue 19, 45 CFR 164.524 and 164.502(g)). Access requests with
# their 30-day clock and one extension; the people who may act for a client (personal
# representatives) and the services a minor consented to alone (their records are not the
# parent's to see); denials of specific passages or notes, each on an enumerated ground, with
# the review by another licensed professional. Every row names its client and cascades with it,
# so disposal deletes them like every other client table; nothing here is append-only by
# trigger (disposal must be able to delete), the API never updates a decided row.
RECORD_V11 = [
    """CREATE TABLE client_representatives (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        relation TEXT NOT NULL CHECK (relation IN ('parent', 'guardian', 'agent', 'other')),
        authority TEXT NOT NULL,
        documents TEXT NOT NULL DEFAULT '',
        declined_on TEXT,
        declined_reason TEXT,
        created_at TEXT NOT NULL,
        CHECK ((declined_on IS NULL) = (declined_reason IS NULL))
    )""",
    """CREATE INDEX client_representatives_client ON client_representatives(client_id)""",
    """CREATE TABLE minor_services (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        service TEXT NOT NULL,
        basis TEXT NOT NULL
            CHECK (basis IN ('minor-consented', 'court-authorized', 'parent-agreed')),
        service_code TEXT,
        date_from TEXT,
        date_to TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE INDEX minor_services_client ON minor_services(client_id)""",
    """CREATE TABLE access_requests (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        representative_id INTEGER REFERENCES client_representatives(id) ON DELETE SET NULL,
        requester_name TEXT NOT NULL,
        received_on TEXT NOT NULL,
        due_on TEXT NOT NULL,
        extended INTEGER NOT NULL DEFAULT 0,
        extension_reason TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
        done_on TEXT,
        disclosure_id INTEGER,
        created_at TEXT NOT NULL
    )""",
    """CREATE INDEX access_requests_open ON access_requests(status, due_on)""",
    """CREATE TABLE access_denials (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        start INTEGER,
        end INTEGER,
        ground TEXT NOT NULL,
        explanation TEXT NOT NULL,
        denied_on TEXT NOT NULL,
        denied_by TEXT NOT NULL,
        request_id INTEGER REFERENCES access_requests(id) ON DELETE SET NULL,
        reviewer TEXT,
        reviewer_license TEXT,
        review_requested_on TEXT,
        reviewed_on TEXT,
        outcome TEXT CHECK (outcome IN ('upheld', 'overturned')),
        review_reason TEXT,
        created_at TEXT NOT NULL,
        CHECK ((start IS NULL) = (end IS NULL)),
        CHECK (start IS NULL OR (start >= 0 AND end > start)),
        CHECK ((outcome IS NULL) = (reviewed_on IS NULL))
    )""",
    """CREATE INDEX access_denials_client ON access_denials(client_id, note_id)""",
]
RECORD_MIGRATIONS.append(
    Migration(11, "right of access: requests, denials, representatives", _run(RECORD_V11))
)
# -- 10: attachments (issue 18 part 2): scanned forms and other files kept inside record.db, so
# SQLCipher encrypts them and backups, restore, rekeying and disposal's re-encryption cover them
# with no path of their own. The content is split into chunk rows (1 MiB) so a large file streams
# in and out. `client_id` NULL is an inbox item not yet assigned; disposal deletes a client's
# attachments through `client_id` (the chunks cascade). An assigned attachment is part of the
# record: its content and client never change and it is never deleted but by disposal; a
# mistake is marked entered in error (kept, with the reason). `attachment_copies` records each
# file written out of the vault (like `exports`), so disposal can find and overwrite it.
RECORD_V10 = [
    """CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
        kind TEXT NOT NULL
            CHECK (kind IN ('intake', 'consent', 'authorization', 'amendment', 'other')),
        -- consent_notice: for the limits-of-confidentiality notices of issue 18 part 1 (the
        -- API accepts it once that table exists; allowed here so no rebuild is needed then).
        link_type TEXT CHECK (link_type IN ('authorization', 'amendment', 'consent_notice')),
        link_id INTEGER,
        file_name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size > 0),
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('attach', 'inbox')),
        added_at TEXT NOT NULL,
        assigned_at TEXT,
        entered_in_error_at TEXT,
        error_reason TEXT,
        CHECK ((link_type IS NULL) = (link_id IS NULL)),
        CHECK (client_id IS NOT NULL OR (link_type IS NULL AND assigned_at IS NULL)),
        CHECK ((entered_in_error_at IS NULL) = (error_reason IS NULL))
    )""",
    """CREATE INDEX attachments_client ON attachments(client_id, id)""",
    """CREATE TABLE attachment_chunks (
        id INTEGER PRIMARY KEY,
        attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (attachment_id, seq)
    )""",
    # Content is written once, when the attachment is added.
    """CREATE TRIGGER attachment_chunks_immutable BEFORE UPDATE ON attachment_chunks
       BEGIN SELECT RAISE(ABORT, 'attachment content is immutable'); END""",
    # Once assigned, only the entered-in-error mark may be added (once).
    """CREATE TRIGGER attachments_assigned_immutable BEFORE UPDATE ON attachments
       WHEN OLD.client_id IS NOT NULL AND NOT (
            NEW.client_id IS OLD.client_id AND NEW.kind IS OLD.kind
            AND NEW.link_type IS OLD.link_type AND NEW.link_id IS OLD.link_id
            AND NEW.file_name IS OLD.file_name AND NEW.media_type IS OLD.media_type
            AND NEW.size IS OLD.size AND NEW.sha256 IS OLD.sha256
            AND NEW.source IS OLD.source AND NEW.added_at IS OLD.added_at
            AND NEW.assigned_at IS OLD.assigned_at AND OLD.entered_in_error_at IS NULL)
       BEGIN SELECT RAISE(ABORT, 'an assigned attachment is part of the record'); END""",
    """CREATE TABLE attachment_copies (
        id INTEGER PRIMARY KEY,
        attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
        client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        written_at TEXT NOT NULL
    )""",
    """CREATE INDEX attachment_copies_client ON attachment_copies(client_id)""",
]
RECORD_MIGRATIONS.append(Migration(10, "attachments and the scanned-forms inbox", _run(RECORD_V10)))

# -- 9: the confidentiality notice (issue 18 part 1). Template versions are never changed or
# deleted: the record shows the exact text each client was given. Version 1 is the built-in
# text. A date already recorded as `consent_notice_date` becomes a notice of unknown version,
# and the triggers keep `client add --consent-notice` / the client form's date recording one.
_NEXT_NOTICE_ID = (
    "(SELECT max(coalesce((SELECT max(id) FROM consent_notices), 0), coalesce((SELECT"
    " CAST(value AS INTEGER) FROM meta WHERE key = 'id_floor.consent_notices'), 0)) + 1)"
)
RECORD_V9 = [
    """CREATE TABLE notice_templates (
        version INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TRIGGER notice_templates_no_update BEFORE UPDATE ON notice_templates
       BEGIN SELECT RAISE(ABORT, 'a notice template version is kept as it was given'); END""",
    """CREATE TRIGGER notice_templates_no_delete BEFORE DELETE ON notice_templates
       BEGIN SELECT RAISE(ABORT, 'a notice template version is kept as it was given'); END""",
    """CREATE TABLE consent_notices (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        template_version INTEGER REFERENCES notice_templates(version),
        given_on TEXT NOT NULL,
        acknowledged_on TEXT,
        created_at TEXT NOT NULL,
        CHECK (acknowledged_on IS NULL OR acknowledged_on >= given_on)
    )""",
    """CREATE INDEX consent_notices_client ON consent_notices(client_id, given_on)""",
    """INSERT INTO consent_notices (client_id, template_version, given_on, created_at)
       SELECT id, NULL, consent_notice_date, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
       FROM clients WHERE consent_notice_date IS NOT NULL""",
    f"""CREATE TRIGGER consent_notice_on_client_insert AFTER INSERT ON clients
       WHEN NEW.consent_notice_date IS NOT NULL BEGIN
         INSERT INTO consent_notices (id, client_id, template_version, given_on, created_at)
         VALUES ({_NEXT_NOTICE_ID}, NEW.id, (SELECT max(version) FROM notice_templates),
                 NEW.consent_notice_date, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
       END""",
    f"""CREATE TRIGGER consent_notice_on_client_update AFTER UPDATE OF consent_notice_date
       ON clients WHEN NEW.consent_notice_date IS NOT NULL
         AND NEW.consent_notice_date IS NOT OLD.consent_notice_date
         AND NOT EXISTS (SELECT 1 FROM consent_notices
                         WHERE client_id = NEW.id AND given_on = NEW.consent_notice_date)
       BEGIN
         INSERT INTO consent_notices (id, client_id, template_version, given_on, created_at)
         VALUES ({_NEXT_NOTICE_ID}, NEW.id, (SELECT max(version) FROM notice_templates),
                 NEW.consent_notice_date, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
       END""",
]


def _record_v9(db: Database) -> None:
    from ..disclosures.notice_default import DEFAULT_NOTICE

    db.execute_all(RECORD_V9[:3])
    db.execute(
        "INSERT INTO notice_templates (version, text, created_at) VALUES (1, ?, ?)",
        (DEFAULT_NOTICE.strip(), now_utc()),
    )
    db.execute_all(RECORD_V9[3:])


RECORD_MIGRATIONS.append(Migration(9, "confidentiality notice template and notices", _record_v9))


def _exports_of_kinds(version: int, kinds: tuple[str, ...]) -> list[str]:
    """The `exports` table made again with `kinds` in its CHECK, every row kept."""
    new = f"exports_v{version}"
    allowed = ", ".join(f"'{kind}'" for kind in kinds)
    columns = "id, kind, client_id, disclosure_id, path, sha256, size, written_at"
    return [
        f"""CREATE TABLE {new} (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ({allowed})),
        client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
        disclosure_id INTEGER,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        written_at TEXT NOT NULL
    )""",
        f"INSERT INTO {new} ({columns}) SELECT {columns} FROM exports",
        "DROP TABLE exports",
        f"ALTER TABLE {new} RENAME TO exports",
        "CREATE INDEX exports_client ON exports(client_id)",
    ]


# -- 14: the open export (issue 16). An export of the whole record (`confide export`) is a copy
# outside the vault like a release: recorded in `exports` per client it holds, so disposal
# finds it and the certificate lists it. SQLite cannot widen a CHECK in place: the table is
# made again with the same columns and rows.
RECORD_V14 = _exports_of_kinds(14, ("release", "accounting", "certificate", "open_export"))
RECORD_MIGRATIONS.append(
    Migration(14, "open exports are copies outside the vault", _run(RECORD_V14))
)

# -- 15: the records custodian (issue 16 part 2). The notification letter's template is kept
# like the notice's: every saved change a new version, none changed or deleted (version 1 is
# the built-in text). A client's contact details (how a letter reaches them) live beside the
# client, removed with it at disposal.
RECORD_V15 = [
    """CREATE TABLE custodian_letter_templates (
        version INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TRIGGER custodian_letter_templates_no_update BEFORE UPDATE
       ON custodian_letter_templates
       BEGIN SELECT RAISE(ABORT, 'a letter template version is kept as it was'); END""",
    """CREATE TRIGGER custodian_letter_templates_no_delete BEFORE DELETE
       ON custodian_letter_templates
       BEGIN SELECT RAISE(ABORT, 'a letter template version is kept as it was'); END""",
    """CREATE TABLE client_contacts (
        client_id INTEGER PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
]


def _record_v15(db: Database) -> None:
    from ..custodian.letter_default import DEFAULT_LETTER

    db.execute_all(RECORD_V15)
    db.execute(
        "INSERT INTO custodian_letter_templates (version, text, created_at) VALUES (1, ?, ?)",
        (DEFAULT_LETTER.strip(), now_utc()),
    )


RECORD_MIGRATIONS.append(
    Migration(15, "the records custodian: letter template, client contacts", _record_v15)
)

# -- 16: attachments in releases (issue 18). The accounting of disclosures records exactly which
# scanned forms left inside each release's PDF, as `note_ids` records the notes (a JSON list of
# attachment ids). Adding a column is not an UPDATE: the append-only trigger stays as it is.
RECORD_V16 = [
    """ALTER TABLE disclosures ADD COLUMN attachment_ids TEXT NOT NULL DEFAULT '[]'""",
]
RECORD_MIGRATIONS.append(
    Migration(16, "the scanned forms each disclosure carried", _run(RECORD_V16))
)

# -- 17: the custodian's letters and instructions are copies outside the vault of their own
# kinds (issue 16 review M5): a letter was recorded as an `accounting`, so a certificate called
# it an "accounting of disclosures", and the instructions, which name every client, had no
# client. Now one row per client named, so a disposal certificate lists them truthfully. The
# CHECK is widened by making the table again, as in migration 14.
RECORD_V17 = _exports_of_kinds(
    17,
    (
        "release",
        "accounting",
        "certificate",
        "open_export",
        "custodian_letter",
        "custodian_instructions",
    ),
)
RECORD_MIGRATIONS.append(
    Migration(
        17, "custodian letters and instructions are copies of their own kind", _run(RECORD_V17)
    )
)
