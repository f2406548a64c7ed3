"""The open export (issue 16 part 1): the whole record, or chosen clients, in a documented open
format readable without Confide, and the import of such an export into a new vault.

`export_record` gathers every part (`parts.PARTS`), builds the tar archive in memory, encrypts it
with age to the export passphrase and writes only the ciphertext, at the path named, recorded
as a copy outside the vault (one `exports` row per client it holds) and audited, in one
transaction. `read_export` and `import_export` (in `restore`) go the other way. The format is
docs/EXPORT.md; the JSON Schema is `export-schema-v1.json` beside this file (docs/ links it).
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files as _package_files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..crypto.strength import check_passphrase
from ..errors import UsageError
from ..records.audit import Action
from ..storage.database import now_utc
from .container import build_tar, encrypt
from .parts import (
    FORMAT,
    FORMAT_VERSION,
    PARTS,
    ExportContext,
    ExportFile,
    build_documents,
    dumps,
)

if TYPE_CHECKING:
    from ..vault import Vault

SCHEMA_NAME = "export-schema-v1.json"
MIN_EXPORT_PASSPHRASE_CHARS = 8
Progress = Callable[[str, int, int], None]  # (phase, done, total); total 0: not known

README = """\
CONFIDE OPEN EXPORT (format version 1)

This folder is a complete export of clinical records from Confide. Everything here is plain
UTF-8 JSON, Markdown or PDF; no Confide is needed to read it.

  manifest.json                  what the export holds, who made it (the clinician or the
                                 records custodian), and the SHA-256 of every file
  schema/export-schema-v1.json   JSON Schema (draft 2020-12) of every JSON file here
  clients/C-NNNNN/record.json    one client's whole record: notes with their session data,
                                 drafts, addenda, late entries, flags (as character spans
                                 beside the text), amendments, authorizations, disclosures,
                                 legal holds, retention, people, the client's audit entries
  clients/C-NNNNN/record.md      the same record to read (Markdown)
  clients/C-NNNNN/record.pdf     the same record to read or print (PDF)
  psychotherapy-notes/           only when chosen at export: psychotherapy notes per client
  practice.json                  practice details and retention policies
  audit-log.json                 the vault's whole audit log (hash-chained; see chain)
  certificates/                  every disposal certificate (JSON and text)

Flag spans count Unicode code points: characters start..end-1 of the body.
Keep this folder as safely as the vault: it is not encrypted once unpacked.
"""


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: `to_json` is the `confide export --json` shape."""

    path: str
    clients: tuple[str, ...]
    notes: int
    psychotherapy_notes: int | None  # None: not included
    files: int
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "clients": list(self.clients),
            "notes": self.notes,
            "psychotherapy_notes": self.psychotherapy_notes,
            "files": self.files,
            "size": self.size,
            "sha256": self.sha256,
        }


def schema_text() -> bytes:
    """The JSON Schema of format version 1, as shipped (docs/export-schema-v1.json)."""
    return _package_files(__package__).joinpath(SCHEMA_NAME).read_bytes()


def check_export_passphrase(passphrase: str) -> None:
    """The export passphrase guards a file that leaves the vault, behind scrypt only: held to
    the vault passphrase's strength rule (zxcvbn, crypto.strength)."""
    if len(passphrase) < MIN_EXPORT_PASSPHRASE_CHARS:
        raise UsageError(
            f"the export passphrase must have at least {MIN_EXPORT_PASSPHRASE_CHARS} characters"
        )
    if "\0" in passphrase or passphrase != passphrase.strip("\r\n"):
        raise UsageError(
            "the export passphrase must not contain a NUL character, nor begin or end with a "
            "line break"
        )
    check_passphrase(passphrase, "the export passphrase")


def exported_by(vault: Vault) -> dict[str, Any]:
    """Who is making the export: the custodian by name and key number, else the clinician."""
    slot = vault.custodian_mode
    if slot is not None:
        return {"role": "custodian", "name": slot.name, "serial": slot.serial}
    return {"role": "clinician", "name": vault.disclosures.practice().clinician, "serial": None}


def _manifest(ctx: ExportContext, files: Sequence[ExportFile]) -> ExportFile:
    db = ctx.vault.db
    floors = {
        str(r[0]).removeprefix("id_floor."): int(r[1])
        for r in db.query("SELECT key, value FROM meta WHERE key LIKE 'id_floor.%'")
    }
    from .. import __version__

    doc = {
        "format": FORMAT,
        "schema_version": FORMAT_VERSION,
        "kind": "manifest",
        "exported_at": ctx.exported_at,
        "confide_version": __version__,
        "vault_id": ctx.vault.vault_id,
        "clients": [c.record_id for c in ctx.clients],
        "psychotherapy_notes": ctx.pnotes is not None,
        "exported_by": ctx.exported_by,
        # Ids never to hand out again (retired by discards and disposals): an import keeps them.
        "id_floors": floors,
        "files": {
            f.path: {"sha256": hashlib.sha256(f.data).hexdigest(), "size": len(f.data)}
            for f in files
        },
    }
    return ExportFile("manifest.json", dumps(doc))


def build_archive(
    vault: Vault,
    passphrase: str,
    client_ids: Sequence[int] | None = None,
    *,
    include_pnotes: bool = False,
    paper: str | None = None,
    progress: Progress | None = None,
) -> tuple[bytes, ExportContext, list[ExportFile]]:
    """The plaintext tar (in memory only) and what went into it. `passphrase` is the vault's,
    asked again: it opens sealed legal names and, when included, psychotherapy notes."""
    vault.verify_passphrase(passphrase)
    wanted = list(vault.clients.ids()) if client_ids is None else list(dict.fromkeys(client_ids))
    clients = [vault.clients.get_unaudited(cid) for cid in wanted]
    legal = vault.reveal_legal_names([c.id for c in clients], passphrase)
    pnotes = None
    if include_pnotes:
        area = vault.open_psychotherapy_notes(passphrase)
        try:
            pnotes = area.for_export([c.id for c in clients])
        finally:
            area.lock()
    exported_at = now_utc()
    ctx = ExportContext(
        vault,
        clients,
        exported_at,
        paper or vault.disclosures.practice().paper or "letter",
        pnotes,
        vault.audit.entries(limit=1 << 62, newest_first=False),
    )
    if progress is not None:
        ctx.progress = progress
    ctx.exported_by = exported_by(vault)
    build_documents(ctx, legal)
    files = [
        ExportFile("README.txt", README.encode()),
        ExportFile(f"schema/{SCHEMA_NAME}", schema_text()),
    ]
    for part in PARTS:
        files += part(ctx)
    files.append(_manifest(ctx, files))
    mtime = calendar.timegm(datetime.fromisoformat(exported_at).utctimetuple())
    return build_tar(files, mtime), ctx, files


def export_record(
    vault: Vault,
    out: str | Path,
    export_passphrase: str,
    *,
    passphrase: str,
    client_ids: Sequence[int] | None = None,
    include_pnotes: bool = False,
    force: bool = False,
    paper: str | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the open export to `out`: age ciphertext only, recorded and audited."""
    from ..disclosures.writer import check_target, record_export, saved_path, write_export

    target = check_target(Path(out), force)
    check_export_passphrase(export_passphrase)
    plain, ctx, files = build_archive(
        vault, passphrase, client_ids, include_pnotes=include_pnotes, paper=paper, progress=progress
    )
    if progress is not None:
        progress("encrypting", 0, 0)
    data = encrypt(plain, export_passphrase)
    del plain  # the only plaintext copy; Python cannot wipe it, but it is not kept
    notes = sum(len(d["notes"]) for d in ctx.documents.values())
    pnote_count = None if ctx.pnotes is None else len(ctx.pnotes)

    def record(publish: Callable[[], None]) -> None:
        with vault.db.atomic():
            owners: list[int | None] = [c.id for c in ctx.clients] or [None]
            for owner in owners:
                record_export(vault.db, target, data, "open_export", owner)
            for client in ctx.clients:
                # One entry per client, so each client's own audit trail shows the export.
                vault.audit.record(
                    Action.EXPORT,
                    "vault_export",
                    None,
                    client=client.id,
                    notes=len(ctx.documents[client.id]["notes"]),
                    pnotes=sum(1 for n in ctx.pnotes or () if n.client_id == client.id),
                )
            vault.audit.record(
                Action.EXPORT,
                "vault_export",
                None,
                clients=len(ctx.clients),
                notes=notes,
                pnotes=pnote_count or 0,
                files=len(files),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            publish()

    write_export(target, data, force, record)
    return ExportSummary(
        saved_path(target),
        tuple(c.record_id for c in ctx.clients),
        notes,
        pnote_count,
        len(files),
        len(data),
        hashlib.sha256(data).hexdigest(),
    )


from .restore import ImportSummary, OpenExport, import_export, read_export  # noqa: E402

__all__ = [
    "ExportSummary",
    "ImportSummary",
    "OpenExport",
    "build_archive",
    "check_export_passphrase",
    "export_record",
    "import_export",
    "read_export",
    "schema_text",
]
