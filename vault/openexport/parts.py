"""The parts of an open export, each produced by one function (docs/EXPORT.md).

A part is a function `(ExportContext) -> list[ExportFile]`: the client documents, their Markdown
and PDF renderings, the psychotherapy notes (only when asked), the practice settings, the
vault's audit log, the disposal certificates. `PARTS` lists them in archive order; a feature
with records of its own adds a function there and a section to the schema.

The JSON keeps every text exactly as stored (hostile text included: JSON escapes it); the
renderings go through the release `Document`, which shows control characters as visible escapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..records.audit import AuditEntry
from ..records.models import Client, Note, OmitSpan, PsychotherapyNote

if TYPE_CHECKING:
    from ..vault import Vault

FORMAT = "confide-export"
FORMAT_VERSION = 1
ROOT = "confide-export"

# Per-client tables exported row by row, every column but `client_id` (the document is the
# client's). JSON-text columns are given as JSON values. `tests/vault/test_open_export.py`
# checks that these lists and the schema name every column the database has.
TABLES: dict[str, tuple[str, ...]] = {
    "client_people": ("id", "name", "role", "created_at"),
    "legal_holds": ("id", "reason", "placed_at", "placed_by", "released_at", "release_note"),
    "authorizations": (
        "id",
        "kind",
        "description",
        "document_kinds",
        "discloser",
        "recipient_name",
        "recipient_address",
        "purpose",
        "expires_on",
        "expiry_event",
        "signed_on",
        "revoked_on",
        "created_at",
    ),
    "records_requests": (
        "id",
        "request_type",
        "requester_name",
        "requester_address",
        "reference",
        "received_on",
        "hold_id",
        "client_notified_on",
        "counsel_consulted_on",
        "authorization_id",
        "court_order",
        "status",
        "created_at",
    ),
    "disclosures": (
        "id",
        "disclosed_at",
        "request_type",
        "recipient_name",
        "recipient_address",
        "purpose",
        "description",
        "authorization_id",
        "pnotes_authorization_id",
        "request_id",
        "basis",
        "date_from",
        "date_to",
        "document_kinds",
        "note_ids",
        "pnote_count",
        "included_categories",
        "withheld_categories",
        "format",
        "encrypted",
        "sha256",
        "accountable",
        "attachment_ids",  # record migration 16; absent from exports made before it
    ),
    "amendments": (
        "id",
        "note_id",
        "requested_on",
        "request_text",
        "due_on",
        "extended",
        "extension_reason",
        "status",
        "decided_on",
        "addendum_note_id",
        "denial_reason",
        "disagreement",
        "disagreement_on",
        "rebuttal",
        "rebuttal_on",
        "created_at",
    ),
    "client_representatives": (
        "id",
        "name",
        "relation",
        "authority",
        "documents",
        "declined_on",
        "declined_reason",
        "created_at",
    ),
    "minor_services": (
        "id",
        "service",
        "basis",
        "service_code",
        "date_from",
        "date_to",
        "created_at",
    ),
    "access_requests": (
        "id",
        "representative_id",
        "requester_name",
        "received_on",
        "due_on",
        "extended",
        "extension_reason",
        "status",
        "done_on",
        "disclosure_id",
        "created_at",
    ),
    "access_denials": (
        "id",
        "note_id",
        "start",
        "end",
        "ground",
        "explanation",
        "denied_on",
        "denied_by",
        "request_id",
        "reviewer",
        "reviewer_license",
        "review_requested_on",
        "reviewed_on",
        "outcome",
        "review_reason",
        "created_at",
    ),
    "consent_notices": ("id", "template_version", "given_on", "acknowledged_on", "created_at"),
    "attachments": (
        "id",
        "kind",
        "link_type",
        "link_id",
        "file_name",
        "media_type",
        "size",
        "sha256",
        "source",
        "added_at",
        "assigned_at",
        "entered_in_error_at",
        "error_reason",
    ),
    "exports": ("id", "kind", "disclosure_id", "path", "sha256", "size", "written_at"),
    # How a letter reaches the client (record migration 15, the records custodian).
    "client_contacts": ("contact", "updated_at"),
}
JSON_COLUMNS = frozenset(
    {"document_kinds", "note_ids", "included_categories", "withheld_categories", "attachment_ids"}
)
# Columns added after schema v1 was published: optional in the schema, and an export made
# before them imports with these values.
ADDED_COLUMNS: dict[tuple[str, str], object] = {("disclosures", "attachment_ids"): []}
# Sections of the client document named apart from their table.
SECTION_OF = {
    "client_people": "people",
    "exports": "copies_outside",
    "client_contacts": "contact_details",
}
# What an import restores. The copies outside the old vault (`exports`) come too: those files
# still hold the clients, and a disposal in the new vault must list them.
RESTORED_TABLES = (
    "client_people",
    "legal_holds",
    "authorizations",
    "records_requests",
    "disclosures",
    "exports",
    "amendments",
    "client_representatives",
    "minor_services",
    "access_requests",
    "access_denials",
    "consent_notices",
    "client_contacts",
)
VAULT_SETTINGS = ("practice.", "retention.default")
POLICY_COLUMNS = (
    "key",
    "label",
    "years_after_service",
    "minor_years_after_majority",
    "age_of_majority",
    "source",
    "created_at",
)


@dataclass(frozen=True)
class ExportFile:
    """One file of the archive: its path under `confide-export/` and its bytes."""

    path: str
    data: bytes


@dataclass
class ExportContext:
    """What every part reads: the vault, the chosen clients, and what was gathered once."""

    vault: Vault
    clients: list[Client]
    exported_at: str
    paper: str
    pnotes: list[PsychotherapyNote] | None  # None: psychotherapy notes not included
    audit: list[AuditEntry] = field(default_factory=list)
    documents: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (phase, done, total) for a face's progress line: the PDFs take seconds per hundred clients.
    progress: Callable[[str, int, int], None] = field(default=lambda phase, done, total: None)
    # Who made the export (the manifest's `exported_by`): the records say so, not "the
    # clinician" when the custodian exported.
    exported_by: dict[str, Any] = field(
        default_factory=lambda: {"role": "clinician", "name": None, "serial": None}
    )

    def exporter(self) -> str:
        """`the clinician`, or `the records custodian Dr. Kim Birch (custodian key 2)`."""
        if self.exported_by.get("role") == "custodian":
            return (
                f"the records custodian {self.exported_by.get('name')} "
                f"(custodian key {self.exported_by.get('serial')})"
            )
        return "the clinician"


Part = Callable[[ExportContext], list[ExportFile]]


def dumps(value: Any) -> bytes:
    """JSON as every part writes it: UTF-8, keys in a stable order, one trailing newline."""
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode()


def _spans(spans: Iterable[OmitSpan], with_about: bool = True) -> list[dict[str, Any]]:
    out = []
    for s in spans:
        item: dict[str, Any] = {"start": s.start, "end": s.end, "category": s.category.value}
        if with_about:
            item["about"] = s.about
        out.append(item)
    return out


def _note(note: Note, addenda: Sequence[int]) -> dict[str, Any]:
    return {
        "id": note.id,
        "record_id": note.record_id,
        "participants": list(note.participant_ids),
        "template": note.template,
        "entry_type": note.entry_type.value,
        "parent_id": note.parent_id,
        "status": note.status.value,
        "session": {
            "session_date": note.session.session_date,
            "start_time": note.session.start_time,
            "end_time": note.session.end_time,
            "service_code": note.session.service_code,
            "modality": note.session.modality,
            "diagnosis_codes": list(note.session.diagnosis_codes),
        },
        "body": note.body,
        "spans": _spans(note.spans),
        "omit_category": note.omit_category.value if note.omit_category else None,
        "late_reason": note.late_reason,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "signed_at": note.signed_at,
        "addenda": list(addenda),
    }


def _rows(vault: Vault, table: str, client_id: int) -> list[dict[str, Any]]:
    columns = TABLES[table]
    rows = vault.db.query(
        f"SELECT {', '.join(columns)} FROM {table} WHERE client_id = ? ORDER BY rowid",
        (client_id,),
    )
    return [{c: json.loads(r[c]) if c in JSON_COLUMNS else r[c] for c in columns} for r in rows]


def client_audit(entries: Sequence[AuditEntry], client_id: int, note_ids: set[int]) -> list[int]:
    """The seq numbers of the entries about this client: the client itself, its timeline, its
    notes, and every entry naming it (`client` in the detail)."""
    cid = str(client_id)
    notes = {str(n) for n in note_ids}
    found = []
    for e in entries:
        if (
            (e.object_type in ("client", "timeline", "pnotes") and e.object_id == cid)
            or (e.object_type == "note" and e.object_id in notes)
            or e.detail.get("client") == client_id
        ):
            found.append(e.seq)
    return found


def audit_entry(e: AuditEntry, raw_detail: str) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "detail": raw_detail,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _raw_details(vault: Vault) -> dict[int, str]:
    # The exact text the chain hashes: a reader re-checks the chain from it (docs/EXPORT.md).
    return {int(r[0]): str(r[1]) for r in vault.db.query("SELECT seq, detail FROM audit_log")}


def build_documents(ctx: ExportContext, legal_names: Mapping[int, str]) -> None:
    """One JSON document per chosen client, kept in `ctx.documents` for the other parts."""
    vault = ctx.vault
    raw = _raw_details(vault)
    by_seq = {e.seq: e for e in ctx.audit}
    schedule = {
        r.client_id: r for r in vault.retention.schedule(client_ids=[c.id for c in ctx.clients])
    }
    for client in ctx.clients:
        note_ids = [
            int(r[0])
            for r in vault.db.query(
                "SELECT id FROM notes WHERE client_id = ? ORDER BY id", (client.id,)
            )
        ]
        notes = [vault.notes.get_unaudited(i) for i in note_ids]
        addenda: dict[int, list[int]] = {}
        for n in notes:
            if n.parent_id is not None:
                addenda.setdefault(n.parent_id, []).append(n.id)
        joint = [
            int(r[0])
            for r in vault.db.query(
                "SELECT p.note_id FROM note_participants p JOIN notes n ON n.id = p.note_id "
                "WHERE p.client_id = ? AND n.client_id != ? ORDER BY p.note_id",
                (client.id, client.id),
            )
        ]
        plan = schedule.get(client.id)
        doc: dict[str, Any] = {
            "format": FORMAT,
            "schema_version": FORMAT_VERSION,
            "exported_at": ctx.exported_at,
            "vault_id": vault.vault_id,
            "client": {
                "id": client.id,
                "record_id": client.record_id,
                "display_name": client.display_name,
                "legal_name": legal_names.get(client.id, client.legal_name),
                "pseudonymous": client.is_pseudonymous,
                "date_of_birth": client.date_of_birth,
                "status": client.status.value,
                "last_service_date": client.last_service_date,
                "consent_notice_date": client.consent_notice_date,
                "retention_policy": client.retention_policy,
                "created_at": client.created_at,
                "updated_at": client.updated_at,
            },
            "notes": [_note(n, addenda.get(n.id, ())) for n in notes],
            "joint_notes_elsewhere": joint,
            "retention": {
                "policy": plan.policy if plan else None,
                "disposal_date": plan.disposal_date if plan else None,
                "minor_rule": plan.minor_rule if plan else False,
                "status": plan.status if plan else None,
            },
        }
        for table in TABLES:
            doc[SECTION_OF.get(table, table)] = _rows(vault, table, client.id)
        seqs = client_audit(ctx.audit, client.id, set(note_ids) | set(joint))
        doc["audit"] = [audit_entry(by_seq[s], raw.get(s, "{}")) for s in seqs]
        ctx.documents[client.id] = doc


def client_json(ctx: ExportContext) -> list[ExportFile]:
    return [
        ExportFile(f"clients/{doc['client']['record_id']}/record.json", dumps(doc))
        for doc in ctx.documents.values()
    ]


def client_markdown(ctx: ExportContext) -> list[ExportFile]:
    from .render import record_document

    return [
        ExportFile(
            f"clients/{doc['client']['record_id']}/record.md",
            record_document(ctx, doc).markdown().encode("utf-8"),
        )
        for doc in ctx.documents.values()
    ]


def client_pdf(ctx: ExportContext) -> list[ExportFile]:
    from ..disclosures.pdf import render_pdf
    from .render import record_document

    files = []
    docs = list(ctx.documents.values())
    for done, doc in enumerate(docs):
        ctx.progress("PDF records", done, len(docs))
        files.append(
            ExportFile(
                f"clients/{doc['client']['record_id']}/record.pdf",
                render_pdf(record_document(ctx, doc), None, ctx.paper),
            )
        )
    ctx.progress("PDF records", len(docs), len(docs))
    return files


def psychotherapy_notes(ctx: ExportContext) -> list[ExportFile]:
    """Their own part, only when asked for with the passphrase again."""
    if ctx.pnotes is None:
        return []
    files = []
    for client in ctx.clients:
        mine = [n for n in ctx.pnotes if n.client_id == client.id]
        doc = {
            "format": FORMAT,
            "schema_version": FORMAT_VERSION,
            "kind": "psychotherapy_notes",
            "exported_at": ctx.exported_at,
            "client_id": client.id,
            "record_id": client.record_id,
            "pnotes": [
                {
                    "id": n.id,
                    "record_id": n.record_id,
                    "session_date": n.session_date,
                    "body": n.body,
                    "spans": _spans(n.spans, with_about=False),
                    "created_at": n.created_at,
                    "updated_at": n.updated_at,
                }
                for n in mine
            ],
        }
        files.append(ExportFile(f"psychotherapy-notes/{client.record_id}.json", dumps(doc)))
        from .render import pnotes_markdown

        files.append(
            ExportFile(
                f"psychotherapy-notes/{client.record_id}.md",
                pnotes_markdown(client.record_id, mine).encode("utf-8"),
            )
        )
    return files


def practice(ctx: ExportContext) -> list[ExportFile]:
    """The practice details, the default retention policy and the custom policies."""
    db = ctx.vault.db
    settings = {
        str(r[0]): str(r[1])
        for r in db.query("SELECT key, value FROM settings ORDER BY key")
        if str(r[0]).startswith(VAULT_SETTINGS)
    }
    policies = [
        {c: r[c] for c in POLICY_COLUMNS}
        for r in db.query(
            f"SELECT {', '.join(POLICY_COLUMNS)} FROM retention_policies ORDER BY key"
        )
    ]
    doc = {
        "format": FORMAT,
        "schema_version": FORMAT_VERSION,
        "kind": "practice",
        "settings": settings,
        "retention_policies": policies,
        "notice_templates": [
            {"version": int(r[0]), "text": str(r[1]), "created_at": str(r[2])}
            for r in db.query(
                "SELECT version, text, created_at FROM notice_templates ORDER BY version"
            )
        ],
    }
    return [ExportFile("practice.json", dumps(doc))]


def attachment_files(ctx: ExportContext) -> list[ExportFile]:
    """Each chosen client's attachments, byte for byte (entered-in-error ones too: they are
    part of the record, marked in the JSON)."""
    out: list[ExportFile] = []
    for client in ctx.clients:
        found = ctx.vault.attachments.for_export(client.id, include_entered_in_error=True)
        for attachment, chunks in found:
            out.append(
                ExportFile(
                    f"clients/{client.record_id}/attachments/{attachment.export_name}",
                    b"".join(chunks),
                )
            )
    return out


def audit_log(ctx: ExportContext) -> list[ExportFile]:
    """The whole audit log as of the export, with what a reader needs to re-check the chain."""
    raw = _raw_details(ctx.vault)
    report = ctx.vault.audit.verify()
    doc = {
        "format": FORMAT,
        "schema_version": FORMAT_VERSION,
        "kind": "audit_log",
        "chain": {
            "genesis": "0" * 64,
            "hash": "sha256 of the compact JSON array [prev_hash, seq, at, action, "
            "object_type, object_id, detail] (ASCII, separators ',' and ':')",
            "status_at_export": report.status,
        },
        "entries": [audit_entry(e, raw.get(e.seq, "{}")) for e in ctx.audit],
    }
    return [ExportFile("audit-log.json", dumps(doc))]


def certificates(ctx: ExportContext) -> list[ExportFile]:
    """Every disposal certificate, as JSON and as the text the clinician signs."""
    from ..retention.certificate import render_text

    files = []
    for entry in ctx.vault.disposal.log():
        disposal_id = int(entry.certificate_id.split("-")[1])
        cert = ctx.vault.disposal.certificate(disposal_id)
        files.append(ExportFile(f"certificates/{cert.certificate_id}.json", dumps(cert.to_json())))
        files.append(
            ExportFile(f"certificates/{cert.certificate_id}.txt", render_text(cert).encode())
        )
    return files


# The archive's parts, in order. Attachments (issue 16's other half) plug in here.
PARTS: list[Part] = [
    client_json,
    client_markdown,
    client_pdf,
    attachment_files,
    psychotherapy_notes,
    practice,
    audit_log,
    certificates,
]
