"""Importing an open export into a NEW vault: every record back as it was (ids, texts, flags,
signatures' times, addenda links), in one transaction, audited in the new vault.

The export is decrypted and checked whole (manifest digests, format version, every document)
before any vault is made; a vault made and then refused is removed again, so a failed import
leaves the target folder as it was. What is not brought in, and why, is in docs/EXPORT.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..attachments.content import CHUNK_BYTES, extension_of
from ..errors import ConfideError, DamagedFileError, StorageError, UsageError
from ..records import markup, validate
from ..records.audit import Action
from ..records.models import OmitCategory, OmitSpan, PsychotherapyNote
from ..storage.database import now_utc
from .container import decrypt, read_tar
from .parts import (
    ADDED_COLUMNS,
    FORMAT,
    FORMAT_VERSION,
    JSON_COLUMNS,
    POLICY_COLUMNS,
    RESTORED_TABLES,
    SECTION_OF,
    TABLES,
    VAULT_SETTINGS,
)

if TYPE_CHECKING:
    from ..crypto.kdf import KdfParams
    from ..vault import Vault

MAX_EXPORT_BYTES = 4 << 30


@dataclass(frozen=True)
class OpenExport:
    """A decrypted, checked export, in memory: the documents an import restores."""

    manifest: dict[str, Any]
    clients: list[dict[str, Any]]
    pnotes: list[dict[str, Any]]
    practice: dict[str, Any]
    sha256: str
    # Each client's attachment files (scanned forms), by their name in the export.
    attachments: dict[str, bytes] = field(default_factory=dict)
    # The export file itself (absolute path, size): it holds every client it names, so the
    # new vault records it as a copy outside, and a later disposal lists it.
    source: str | None = None
    size: int = 0


@dataclass(frozen=True)
class ImportSummary:
    folder: str
    clients: int
    notes: int
    pnotes: int
    attachments: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "clients": self.clients,
            "notes": self.notes,
            "psychotherapy_notes": self.pnotes,
            "attachments": self.attachments,
        }


def _json(files: dict[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name].decode("utf-8"))
    except KeyError:
        raise DamagedFileError(f"the export has no {name}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DamagedFileError(f"{name} in the export is not valid JSON") from None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise DamagedFileError(f"{name} in the export is not a Confide export document")
    if value.get("schema_version") != FORMAT_VERSION:
        raise UsageError(
            f"{name} is format version {value.get('schema_version')!r}; this Confide reads "
            f"version {FORMAT_VERSION}"
        )
    return value


def read_export(path: str | Path, export_passphrase: str) -> OpenExport:
    """Decrypt and check an export: every file its manifest lists, with the same digest."""
    source = Path(path).expanduser()
    try:
        if source.stat().st_size > MAX_EXPORT_BYTES:
            raise UsageError(f"{source} is larger than any export Confide writes")
        ciphertext = source.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {source}: {e.strerror}") from None
    files = read_tar(decrypt(ciphertext, export_passphrase))
    manifest = _json(files, "manifest.json")
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise DamagedFileError("the export's manifest lists no files")
    for name, facts in listed.items():
        data = files.get(name)
        if data is None:
            raise DamagedFileError(f"the export lacks {name}, which its manifest lists")
        if not isinstance(facts, dict) or hashlib.sha256(data).hexdigest() != facts.get("sha256"):
            raise DamagedFileError(f"{name} in the export does not match its manifest")
    clients = [_json(files, f"clients/{rid}/record.json") for rid in manifest.get("clients", [])]
    pnotes = (
        [_json(files, f"psychotherapy-notes/{rid}.json") for rid in manifest.get("clients", [])]
        if manifest.get("psychotherapy_notes")
        else []
    )
    practice = _json(files, "practice.json")
    attachments = {
        name: data
        for name, data in files.items()
        if name.startswith("clients/") and "/attachments/" in name and name in listed
    }
    from ..disclosures.writer import saved_path

    return OpenExport(
        manifest,
        clients,
        pnotes,
        practice,
        hashlib.sha256(ciphertext).hexdigest(),
        attachments,
        saved_path(source),
        len(ciphertext),
    )


def _spans(items: Any, with_about: bool = True) -> list[OmitSpan]:
    return [
        OmitSpan(
            int(s["start"]),
            int(s["end"]),
            OmitCategory(s["category"]),
            None if not with_about or s.get("about") is None else int(s["about"]),
        )
        for s in items
    ]


def _insert(vault: Vault, table: str, row: dict[str, Any]) -> None:
    columns = list(row)
    vault.db.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        tuple(row.values()),
    )


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise DamagedFileError(f"{what} in the export is not text")
    return value


def _restore_client(vault: Vault, doc: dict[str, Any]) -> int:
    c = doc["client"]
    cid = int(c["id"])
    legal = c["legal_name"]
    if not isinstance(legal, str):
        raise DamagedFileError(f"{c['record_id']} has no legal name in the export")
    sealed = vault.clients.seal_legal_name(legal) if c["pseudonymous"] else None
    _insert(
        vault,
        "clients",
        {
            "id": cid,
            "display_name": _text(c["display_name"], "a client's name"),
            "legal_name": None if sealed else legal,
            "legal_name_sealed": sealed,
            "date_of_birth": c["date_of_birth"],
            "status": c["status"],
            "last_service_date": c["last_service_date"],
            "consent_notice_date": c["consent_notice_date"],
            "retention_policy": c["retention_policy"],
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
        },
    )
    return cid


def _restore_notes(vault: Vault, export: OpenExport, present: set[int]) -> int:
    # Every note in id order, after every client: a parent note is always older than its
    # addenda and late entries, and joint notes name other clients.
    notes = sorted(
        ((int(d["client"]["id"]), n) for d in export.clients for n in d["notes"]),
        key=lambda pair: int(pair[1]["id"]),
    )
    for cid, n in notes:
        s = n["session"]
        # Checked, not parsed: the text is restored as stored (marker-like text stays text).
        body = validate.body(n["body"])
        spans = markup.validate_spans(body, _spans(n["spans"]))
        whole = OmitCategory(n["omit_category"]) if n["omit_category"] else None
        _insert(
            vault,
            "notes",
            {
                "id": int(n["id"]),
                "client_id": cid,
                "template": n["template"],
                "entry_type": n["entry_type"],
                "parent_id": n["parent_id"],
                "status": n["status"],
                "session_date": s["session_date"],
                "start_time": s["start_time"],
                "end_time": s["end_time"],
                "service_code": s["service_code"],
                "modality": s["modality"],
                "diagnosis_codes": json.dumps(list(s["diagnosis_codes"])),
                "body": body,
                "omit_category": whole.value if whole else None,
                "late_reason": n["late_reason"],
                "created_at": n["created_at"],
                "updated_at": n["updated_at"],
                "signed_at": n["signed_at"],
            },
        )
        for person in dict.fromkeys([cid, *(int(p) for p in n["participants"])]):
            # A participant left out of a partial export cannot be named in the new vault.
            if person in present:
                _insert(vault, "note_participants", {"note_id": int(n["id"]), "client_id": person})
        for span in spans:
            _insert(
                vault,
                "omit_spans",
                {
                    "note_id": int(n["id"]),
                    "start": span.start,
                    "end": span.end,
                    "category": span.category.value,
                    "about": span.about,
                },
            )
        if spans or whole is not None:
            _insert(
                vault,
                "notes_open_fts",
                {"rowid": int(n["id"]), "body": markup.open_text(body, spans, whole)},
            )
    return len(notes)


def _restore_tables(vault: Vault, doc: dict[str, Any]) -> None:
    cid = int(doc["client"]["id"])
    for table in RESTORED_TABLES:
        # .get: a section added later (contact_details) is absent from older exports.
        for row in doc.get(SECTION_OF.get(table, table), []):
            # An export made before a column was added lacks it: its default is restored.
            full = {
                col: row[col]
                if col in row or (table, col) not in ADDED_COLUMNS
                else ADDED_COLUMNS[(table, col)]
                for col in TABLES[table]
            }
            values = {
                col: json.dumps(value) if col in JSON_COLUMNS else value
                for col, value in full.items()
            }
            _insert(vault, table, {**values, "client_id": cid})


def _restore_attachments(vault: Vault, export: OpenExport, doc: dict[str, Any]) -> int:
    """A client's scanned forms: each row as it was (kind, link, name, times, an entered-in-
    error mark), its content from the export's file, checked against the row's size and
    SHA-256, stored in chunks as `attachments.add` stores them."""
    cid = int(doc["client"]["id"])
    rid = str(doc["client"]["record_id"])
    rows = doc.get("attachments", [])
    for row in rows:
        aid = int(row["id"])
        name = f"clients/{rid}/attachments/F-{aid:05d}.{extension_of(str(row['media_type']))}"
        data = export.attachments.get(name)
        if data is None:
            raise DamagedFileError(f"the export lacks {name}, the content of F-{aid:05d}")
        if len(data) != row["size"] or hashlib.sha256(data).hexdigest() != row["sha256"]:
            raise DamagedFileError(f"{name} in the export is not the file its record describes")
        _insert(
            vault,
            "attachments",
            {**{col: row[col] for col in TABLES["attachments"]}, "client_id": cid},
        )
        for seq, start in enumerate(range(0, len(data), CHUNK_BYTES)):
            _insert(
                vault,
                "attachment_chunks",
                {"attachment_id": aid, "seq": seq, "data": data[start : start + CHUNK_BYTES]},
            )
    return len(rows)


def _restore_practice(vault: Vault, practice: dict[str, Any]) -> None:
    for key, value in practice["settings"].items():
        if str(key).startswith(VAULT_SETTINGS):
            vault.save_setting(str(key), str(value))
    for policy in practice["retention_policies"]:
        _insert(vault, "retention_policies", {c: policy[c] for c in POLICY_COLUMNS})
    # Version 1 is every vault's built-in text; the practice's own versions follow it.
    for template in practice.get("notice_templates", []):
        vault.db.execute(
            "INSERT OR IGNORE INTO notice_templates (version, text, created_at) VALUES (?, ?, ?)",
            (int(template["version"]), str(template["text"]), str(template["created_at"])),
        )


def _restore_pnotes(vault: Vault, export: OpenExport, passphrase: str) -> int:
    notes = [
        PsychotherapyNote(
            int(p["id"]),
            int(doc["client_id"]),
            p["session_date"],
            p["body"],
            p["created_at"],
            p["updated_at"],
            tuple(_spans(p["spans"], with_about=False)),
        )
        for doc in export.pnotes
        for p in doc["pnotes"]
    ]
    if notes:
        area = vault.open_psychotherapy_notes(passphrase)
        try:
            area.restore(notes)
        finally:
            area.lock()
    return len(notes)


def _record_source(vault: Vault, export: OpenExport) -> None:
    """The export file is a copy outside the new vault too, of every client it holds: one
    `open_export` row each (after the restored ones), as `export_record` records it."""
    if export.source is None:
        return
    written = export.manifest.get("exported_at")
    for doc in export.clients:
        _insert(
            vault,
            "exports",
            {
                "kind": "open_export",
                "client_id": int(doc["client"]["id"]),
                "disclosure_id": None,
                "path": export.source,
                "sha256": export.sha256,
                "size": export.size,
                "written_at": written if isinstance(written, str) else now_utc(),
            },
        )


def _restore(vault: Vault, export: OpenExport, passphrase: str) -> ImportSummary:
    present = {int(d["client"]["id"]) for d in export.clients}
    with vault.db.atomic():
        _restore_practice(vault, export.practice)
        for doc in export.clients:
            _restore_client(vault, doc)
        notes = _restore_notes(vault, export, present)
        # A client's notice date made a notice row by trigger; the export's own rows (with
        # their template versions and signatures) replace those.
        vault.db.execute("DELETE FROM consent_notices")
        for doc in export.clients:
            _restore_tables(vault, doc)
        attachments = sum(_restore_attachments(vault, export, doc) for doc in export.clients)
        _record_source(vault, export)
        for table, floor in export.manifest.get("id_floors", {}).items():
            if table in ("clients", "notes", *TABLES) and isinstance(floor, int):
                vault.db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                    (f"id_floor.{table}", str(floor)),
                )
    pnotes = _restore_pnotes(vault, export, passphrase)
    # Exports from before `exported_by` do not say who made them.
    by = export.manifest.get("exported_by") or {}
    if not isinstance(by, dict):
        by = {}
    serial = by.get("serial")
    vault.audit.record(
        Action.IMPORT,
        "vault",
        None,
        clients=len(export.clients),
        notes=notes,
        pnotes=pnotes,
        attachments=attachments,
        source_vault=str(export.manifest.get("vault_id")),
        exported_at=str(export.manifest.get("exported_at")),
        exported_by=str(by.get("role", "unknown")),
        exported_by_serial=serial if isinstance(serial, int) else None,
        sha256=export.sha256,
    )
    return ImportSummary(str(vault.folder), len(export.clients), notes, pnotes, attachments)


def import_export(
    export: OpenExport, folder: Path, passphrase: str, kdf: KdfParams
) -> tuple[Vault, str, ImportSummary]:
    """Make a new vault at `folder` (empty or new) holding the export; returns it unlocked, its
    recovery key (shown once) and what was restored. Refused, the folder is left as it was."""
    from ..vault import Vault, _remove_partial_vault, check_free_for_a_vault

    check_free_for_a_vault(folder)
    existed = folder.exists()
    vault, recovery_key = Vault.create(folder, passphrase, kdf)
    try:
        summary = _restore(vault, export, passphrase)
    except BaseException as e:
        vault.lock()
        _remove_partial_vault(folder)
        if not existed:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(e, (StorageError, DamagedFileError)):
            raise
        if isinstance(e, (ConfideError, KeyError, TypeError, ValueError, AttributeError)):
            raise DamagedFileError(
                f"the export's records could not be restored ({type(e).__name__}: {e}); "
                "no vault was made"
            ) from None
        raise
    return vault, recovery_key, summary
