"""The certificate of disposal, after the NIST SP 800-88 Rev. 2 sample Certificate of Sanitization.

Built from the disposal log row (which survives every later disposal). It names clients by record
identifier, counts and date ranges only: never a name, never note content. Text and PDF forms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, UsageError
from ..storage.database import sqlcipher_version
from ..storage.fsutil import mount_of
from ..storage.media import MediaFinding, examine, limits_line
from .types import DestroyedRecord, HeldCopy
from .verify import Check

if TYPE_CHECKING:
    from ..vault import Vault

METHOD_TYPE = "Purge"
METHOD = (
    "cryptographic erase (every data key replaced by a new random 256-bit key, the key "
    "slots overwritten in place) plus logical deletion (SQLite secure_delete, FTS5 "
    "secure-delete, every page re-encrypted with free pages zero-filled, leaving no WAL or "
    "journal)"
)
LIMITS = (
    "Flash wear-levelling, filesystems that journal data, copy-on-write filesystems and "
    "snapshots can keep old blocks that no overwrite reaches (the media lines above say "
    "what was found). Only the destruction of the old keys protects those blocks, and "
    "only if every wrapped copy of the old keys is gone: backups pending below still hold "
    "one until they are purged, and a journal or snapshot may hold an old key file. "
    "Copies outside the vault are not covered: each release listed below went to its "
    "recipient, and a saved file that was moved, copied or deleted before disposal (a "
    "deleted file's blocks can stay in free space) is out of reach; a saved file still "
    "unchanged at its recorded path is overwritten only when asked. NIST SP 800-88 "
    "advises encryption from the first write, cryptographic erase, and physical "
    "destruction of media that cannot be verified."
)
MEDIA_LIMITS = (
    "Old copies of the key file and of the vault files may survive there, and they "
    "open with the passphrase of their day: on such media this disposal is not a "
    "cryptographic erase. Keep the vault and backups on a filesystem that overwrites "
    "in place, or destroy the medium."
)
POST_SANITIZATION = (
    "the vault and backup media stay in service; the disposed records are unrecoverable from them"
)
VERIFICATION_TYPE = "full (every page of every vault file decrypted)"


def certificate_id(disposal_id: int) -> str:
    return f"D-{disposal_id:05d}"


def parse_certificate_id(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("D-").removeprefix("D").lstrip("0") or "0"
    if not cleaned.isdigit() or int(cleaned) <= 0:
        raise UsageError(f"{text!r} is not a certificate identifier (for example D-00001)")
    return int(cleaned)


@dataclass(frozen=True)
class CertificateMedia:
    """What held the records: the vault files and, listed under `backups`, the archives."""

    type: str
    location: str
    filesystem: str
    device: str
    backups: str
    # What each medium does to an overwrite, as found at disposal (`storage.media`).
    findings: tuple[MediaFinding, ...] = ()

    @property
    def limits(self) -> str:
        return limits_line(list(self.findings))

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "location": self.location,
            "filesystem": self.filesystem,
            "device": self.device,
            "backups": self.backups,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class VerificationRecord:
    """The verification as the disposal log recorded it (its result is not recomputed)."""

    result: str
    ok: bool
    checks: tuple[Check, ...]
    pending: tuple[str, ...]
    media: tuple[MediaFinding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "ok": self.ok,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "pending": list(self.pending),
            "media": [m.to_json() for m in self.media],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerificationRecord:
        return cls(
            str(data["result"]),
            bool(data["ok"]),
            tuple(
                Check(str(c["name"]), bool(c["ok"]), str(c["detail"]))
                for c in data.get("checks", [])
            ),
            tuple(str(p) for p in data.get("pending", [])),
            tuple(MediaFinding.from_json(m) for m in data.get("media", [])),
        )


@dataclass(frozen=True)
class PendingCopy:
    """A backup copy still to purge when its drive is next connected."""

    drive: str
    location: str

    def to_json(self) -> dict[str, Any]:
        return {"drive": self.drive, "location": self.location}


@dataclass(frozen=True)
class LaterPurge:
    """A backup copy purged after the disposal, when its drive came back."""

    location: str
    drive: str
    done_at: str
    replaced_by: str | None
    # What the verification after the purge searched for with the stored fingerprints.
    content_check: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "drive": self.drive,
            "done_at": self.done_at,
            "replaced_by": self.replaced_by,
            "content_check": self.content_check,
        }


@dataclass(frozen=True)
class CertificateBackups:
    replaced: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    pending: tuple[PendingCopy, ...] = ()
    completed_later: tuple[LaterPurge, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "replaced": list(self.replaced),
            "written": list(self.written),
            "pending": [p.to_json() for p in self.pending],
            "completed_later": [p.to_json() for p in self.completed_later],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CertificateBackups:
        return cls(
            tuple(str(x) for x in data.get("replaced", [])),
            tuple(str(x) for x in data.get("written", [])),
            tuple(
                PendingCopy(str(p["drive"]), str(p["location"])) for p in data.get("pending", [])
            ),
            tuple(
                LaterPurge(
                    str(p["location"]),
                    str(p["drive"]),
                    str(p["done_at"]),
                    p.get("replaced_by"),
                    p.get("content_check"),
                )
                for p in data.get("completed_later", [])
            ),
        )


@dataclass(frozen=True)
class Certificate:
    """A certificate of disposal: who, when, what media, which records (identifiers only), how,
    and how it was verified. `to_json` is the `confide dispose ... --json` form."""

    certificate_id: str
    state: str
    vault_id: str
    performed_by: str
    started_at: str
    completed_at: str | None
    media: CertificateMedia
    records: tuple[DestroyedRecord, ...]
    tool: str
    epoch_before: int | None
    epoch_after: int | None
    verification: VerificationRecord | None  # None until the disposal completed
    backups: CertificateBackups
    method_type: str = METHOD_TYPE
    method: str = METHOD
    post_sanitization: str = POST_SANITIZATION
    limits: str = LIMITS
    # The audit log's newest entry the key file had seen (seq, hash) when this certificate was
    # produced (issue 10 item 8): a later vault older than this is a rollback.
    audit_anchor: tuple[int, str] | None = None

    @property
    def lost_copies(self) -> list[tuple[str, HeldCopy]]:
        """(record id, copy) for each copy on a drive reported lost: out of reach for good."""
        return [(r.record_id, b) for r in self.records for b in r.backups if b.lost]

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate_id": self.certificate_id,
            "state": self.state,
            "vault_id": self.vault_id,
            "performed_by": self.performed_by,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "media": self.media.to_json(),
            "records": [r.to_json() for r in self.records],
            "method_type": self.method_type,
            "method": self.method,
            "tool": self.tool,
            "key_epoch": {"before": self.epoch_before, "after": self.epoch_after},
            "verification": {
                "type": VERIFICATION_TYPE,
                **(self.verification.to_json() if self.verification else {}),
            },
            "backups": self.backups.to_json(),
            "post_sanitization": self.post_sanitization,
            "limits": self.limits,
            "audit_anchor": (
                None
                if self.audit_anchor is None
                else {"seq": self.audit_anchor[0], "head": self.audit_anchor[1]}
            ),
        }


@dataclass(frozen=True)
class DisposalLogEntry:
    """One line of the disposal log (identifiers only)."""

    certificate_id: str
    state: str
    started_at: str
    completed_at: str | None
    performed_by: str
    clients: tuple[str, ...]
    result: str
    backups_pending: int

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate_id": self.certificate_id,
            "state": self.state,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "performed_by": self.performed_by,
            "clients": list(self.clients),
            "result": self.result,
            "backups_pending": self.backups_pending,
        }


def certificate(vault: Vault, disposal_id: int) -> Certificate:
    """The certificate, from the disposal log row (for JSON, text and PDF)."""
    from .. import __version__

    row = vault.db.one("SELECT * FROM disposals WHERE id = ?", (disposal_id,))
    if row is None:
        raise NotFoundError(f"no disposal {certificate_id(disposal_id)} in the disposal log")
    body = json.loads(row["certificate"])
    device, mount_point, fstype = mount_of(vault.folder)
    verification = body.get("verification")
    record = VerificationRecord.from_json(verification) if verification else None
    # The media as found at disposal; an older certificate (or an unfinished one) gets the
    # vault's filesystem as it is now.
    findings = record.media if record and record.media else (examine(vault.folder, "vault"),)
    return Certificate(
        certificate_id=certificate_id(disposal_id),
        state=row["state"],
        vault_id=vault.vault_id,
        performed_by=row["performed_by"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        media=CertificateMedia(
            type="encrypted vault files (SQLCipher databases and key-slot file)",
            location=str(vault.folder),
            filesystem=fstype,
            device=f"{device} mounted at {mount_point}" if mount_point else "unknown",
            backups="catalogued Confide backup archives, listed below",
            findings=findings,
        ),
        records=tuple(DestroyedRecord.from_json(e) for e in body.get("clients", [])),
        tool=f"Confide {__version__}, SQLCipher {sqlcipher_version(vault.db)}",
        epoch_before=body.get("epoch_before"),
        epoch_after=body.get("epoch_after"),
        verification=record,
        backups=CertificateBackups.from_json(body.get("backups", {})),
        audit_anchor=_anchor_of(body),
    )


def _anchor_of(body: dict[str, Any]) -> tuple[int, str] | None:
    """The anchor recorded when the disposal completed (none for older certificates)."""
    anchor = body.get("audit_anchor")
    if not isinstance(anchor, dict):
        return None
    return int(anchor["seq"]), str(anchor["head"])


def disposal_log(vault: Vault) -> list[DisposalLogEntry]:
    """Every disposal ever made, newest first (identifiers only)."""
    rows = vault.db.query(
        "SELECT id, state, started_at, completed_at, performed_by, client_ids, "
        "certificate FROM disposals ORDER BY id DESC"
    )
    result = []
    for r in rows:
        body = json.loads(r["certificate"])
        result.append(
            DisposalLogEntry(
                certificate_id(int(r["id"])),
                r["state"],
                r["started_at"],
                r["completed_at"],
                r["performed_by"],
                tuple(f"C-{int(c):05d}" for c in json.loads(r["client_ids"])),
                body.get("verification", {}).get("result", "not verified"),
                len(body.get("backups", {}).get("pending", [])),
            )
        )
    return result


def _range(first: str | None, last: str | None) -> str:
    if not first and not last:
        return "no dates"
    return f"{first or '?'} to {last or '?'}"


def render_text(cert: Certificate) -> str:
    media = cert.media
    lines = [
        f"CERTIFICATE OF DISPOSAL {cert.certificate_id}",
        "(fields after the NIST SP 800-88 Rev. 2 sample Certificate of Sanitization)",
        "",
        f"Person performing:   {cert.performed_by}",
        f"Started:             {cert.started_at}",
        f"Completed:           {cert.completed_at or 'NOT COMPLETE (' + cert.state + ')'}",
        f"Vault:               {cert.vault_id}",
        "",
        "MEDIA",
        f"  Type:              {media.type}",
        f"  Location:          {media.location} (filesystem: {media.filesystem})",
        f"  Device:            {media.device}",
        f"  Backed up:         {media.backups}",
    ]
    lines += [f"  Overwrite:         {f.summary()}" for f in media.findings]
    lines += [
        "",
        "RECORDS DESTROYED (identifiers and date ranges only)",
    ]
    for rec in cert.records:
        lines.append(
            f"  {rec.record_id}  policy {rec.policy}, due {rec.disposal_date}: "
            f"{rec.notes} notes ({_range(rec.first_session, rec.last_session)})"
            + (
                f", {rec.pnotes} psychotherapy notes ({_range(rec.pnotes_first, rec.pnotes_last)})"
                if rec.pnotes is not None
                else ""
            )
            + f", {rec.attachments} attachments"
            + (
                f"; {rec.joint_notes_kept} joint notes of other clients kept, without them"
                if rec.joint_notes_kept
                else ""
            )
            + (
                "; related rows: "
                + ", ".join(f"{k} {v}" for k, v in sorted(rec.related_rows.items()))
                if rec.related_rows
                else ""
            )
        )
    ver = cert.verification
    lines += [
        "",
        f"Method type:         {cert.method_type}",
        f"Method used:         {cert.method}",
        f"Tool and version:    {cert.tool}",
        f"Key epoch:           {cert.epoch_before} -> {cert.epoch_after}",
        "",
        f"VERIFICATION ({VERIFICATION_TYPE}): {ver.result if ver else 'not run'}",
    ]
    for check in ver.checks if ver else ():
        lines.append(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    backups = cert.backups
    lines += ["", "BACKUPS"]
    lines += [f"  replaced:  {loc}" for loc in backups.replaced] or ["  replaced:  none"]
    lines += [f"  written:   {loc}" for loc in backups.written]
    lines += [
        f"  PENDING:   {p.location} on drive {p.drive} (purged when next connected)"
        for p in backups.pending
    ]
    for p in backups.completed_later:
        lines.append(f"  purged later: {p.location} on {p.done_at}")
        if p.content_check:
            lines.append(f"    {p.content_check}")
    # A copy on a lost drive is out of reach: it still opens with the passphrase of its day.
    lines += [f"  ON A LOST DRIVE: {record_id} in {copy}" for record_id, copy in cert.lost_copies]
    outside = [(r.record_id, o) for r in cert.records for o in r.outside]
    lines += ["", "COPIES OUTSIDE THE VAULT, NOT COVERED (releases go to their recipients)"]
    lines += [f"  {record_id}  {o.describe()}" for record_id, o in outside] or ["  none recorded"]
    lines += [
        "",
        f"Post-sanitization:   {cert.post_sanitization}",
        "",
        "LIMITS",
        f"  {cert.limits}",
    ]
    if media.limits:
        lines.append(f"  ON THESE MEDIA: {media.limits}. {MEDIA_LIMITS}")
    lines += [
        "",
        "Signature of person performing: ______________________   Date: __________",
        "Signature of validator:         ______________________   Date: __________",
    ]
    return "\n".join(lines)


def render_pdf(cert: Certificate) -> bytes:
    """The text form laid out on US Letter pages (fpdf2, the library disclosures use)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="Letter")
    pdf.set_title(f"Certificate of disposal {cert.certificate_id}")
    pdf.set_creator("Confide")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    text = render_text(cert).split("\n")
    pdf.multi_cell(0, 7, text[0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", "", 8)
    for line in text[1:]:
        # Core fonts are Latin-1; paths or names of people performing could be wider.
        safe = line.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 3.8, safe or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_export(
    cert: Certificate, path: Path, pdf: bool, force: bool = False, vault: Vault | None = None
) -> Path:
    """Write the certificate where the user asked; an existing file only with `force`.

    Written as releases are (a partial file renamed into place), so --force never leaves a
    half-replaced certificate. With `vault` the file is noted in its exports (path, digest).
    """
    # Local: the queue, disposal and the log never load the disclosures package.
    from ..disclosures.writer import check_target, record_export
    from ..disclosures.writer import write_export as write_atomically

    target = check_target(path, force)
    data = render_pdf(cert) if pdf else (render_text(cert) + "\n").encode("utf-8")

    def record(publish: Callable[[], None]) -> None:
        if vault is None:
            publish()
            return
        with vault.db.atomic():
            record_export(vault.db, target, data, "certificate", None)
            publish()

    write_atomically(target, data, force, record)
    return target


__all__ = [
    "LIMITS",
    "MEDIA_LIMITS",
    "METHOD",
    "METHOD_TYPE",
    "Certificate",
    "CertificateBackups",
    "CertificateMedia",
    "DisposalLogEntry",
    "LaterPurge",
    "PendingCopy",
    "VerificationRecord",
    "certificate",
    "certificate_id",
    "disposal_log",
    "parse_certificate_id",
    "render_pdf",
    "render_text",
    "write_export",
]
