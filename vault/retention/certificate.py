"""The certificate of disposal, after the NIST SP 800-88 Rev. 2 sample Certificate of Sanitization.

Built from the disposal log row (which survives every later disposal). It names clients by record
identifier, counts and date ranges only: never a name, never note content. Text and PDF forms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..disclosures.writer import check_target
from ..disclosures.writer import write_export as write_atomically
from ..errors import NotFoundError, UsageError
from ..storage.database import sqlcipher_version
from ..storage.fsutil import mount_of
from .types import LOST_COPY

if TYPE_CHECKING:
    from ..vault import Vault

METHOD_TYPE = "Purge"
METHOD = ("cryptographic erase (every data key replaced by a new random 256-bit key, the key "
          "slots overwritten in place) plus logical deletion (SQLite secure_delete, FTS5 "
          "secure-delete, compacting re-encryption leaving no free pages, WAL or journal)")
LIMITS = ("Flash wear-levelling and copy-on-write filesystems can keep old blocks that no "
          "overwrite reaches. Only the destruction of the old keys protects those blocks, and "
          "only if every wrapped copy of the old keys is gone: backups pending below still hold "
          "one until they are purged. NIST SP 800-88 advises encryption from the first write, "
          "cryptographic erase, and physical destruction of media that cannot be verified.")


def certificate_id(disposal_id: int) -> str:
    return f"D-{disposal_id:05d}"


def parse_certificate_id(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("D-").removeprefix("D").lstrip("0") or "0"
    if not cleaned.isdigit() or int(cleaned) <= 0:
        raise UsageError(f"{text!r} is not a certificate identifier (for example D-00001)")
    return int(cleaned)


def certificate(vault: Vault, disposal_id: int) -> dict[str, Any]:
    """The certificate as data (for JSON, text and PDF)."""
    from .. import __version__

    row = vault.db.one("SELECT * FROM disposals WHERE id = ?", (disposal_id,))
    if row is None:
        raise NotFoundError(f"no disposal {certificate_id(disposal_id)} in the disposal log")
    body = json.loads(row["certificate"])
    device, mount_point, fstype = mount_of(vault.folder)
    verification = body.get("verification", {})
    backups = body.get("backups", {})
    return {
        "certificate_id": certificate_id(disposal_id),
        "state": row["state"],
        "vault_id": vault.vault_id,
        "performed_by": row["performed_by"],
        "started_at": row["started_at"],
        "completed_at": row["completed_at"],
        "media": {
            "type": "encrypted vault files (SQLCipher databases and key-slot file)",
            "location": str(vault.folder),
            "filesystem": fstype,
            "device": f"{device} mounted at {mount_point}" if mount_point else "unknown",
            "backups": "catalogued Confide backup archives, listed below",
        },
        "records": body.get("clients", []),
        "method_type": METHOD_TYPE,
        "method": METHOD,
        "tool": f"Confide {__version__}, SQLCipher {sqlcipher_version(vault.db)}",
        "key_epoch": {"before": body.get("epoch_before"), "after": body.get("epoch_after")},
        "verification": {"type": "full (every page of every vault file decrypted)",
                         **verification},
        "backups": {"replaced": backups.get("replaced", []),
                    "written": backups.get("written", []),
                    "pending": backups.get("pending", []),
                    "completed_later": backups.get("completed_later", [])},
        "post_sanitization": "the vault and backup media stay in service; the disposed records "
                             "are unrecoverable from them",
        "limits": LIMITS,
    }


def disposal_log(vault: Vault) -> list[dict[str, Any]]:
    """Every disposal ever made, newest first (identifiers only)."""
    rows = vault.db.query("SELECT id, state, started_at, completed_at, performed_by, client_ids, "
                          "certificate FROM disposals ORDER BY id DESC")
    result = []
    for r in rows:
        body = json.loads(r["certificate"])
        result.append({"certificate_id": certificate_id(int(r["id"])), "state": r["state"],
                       "started_at": r["started_at"], "completed_at": r["completed_at"],
                       "performed_by": r["performed_by"],
                       "clients": [f"C-{int(c):05d}" for c in json.loads(r["client_ids"])],
                       "result": body.get("verification", {}).get("result", "not verified"),
                       "backups_pending": len(body.get("backups", {}).get("pending", []))})
    return result


def _range(first: str | None, last: str | None) -> str:
    if not first and not last:
        return "no dates"
    return f"{first or '?'} to {last or '?'}"


def render_text(cert: dict[str, Any]) -> str:
    lines = [
        f"CERTIFICATE OF DISPOSAL {cert['certificate_id']}",
        "(fields after the NIST SP 800-88 Rev. 2 sample Certificate of Sanitization)",
        "",
        f"Person performing:   {cert['performed_by']}",
        f"Started:             {cert['started_at']}",
        f"Completed:           {cert['completed_at'] or 'NOT COMPLETE (' + cert['state'] + ')'}",
        f"Vault:               {cert['vault_id']}",
        "",
        "MEDIA",
        f"  Type:              {cert['media']['type']}",
        f"  Location:          {cert['media']['location']} "
        f"(filesystem: {cert['media']['filesystem']})",
        f"  Device:            {cert['media'].get('device', 'unknown')}",
        f"  Backed up:         {cert['media']['backups']}",
        "",
        "RECORDS DESTROYED (identifiers and date ranges only)",
    ]
    for rec in cert["records"]:
        pn = rec.get("pnotes")
        lines.append(
            f"  {rec['record_id']}  policy {rec['policy']}, due {rec['disposal_date']}: "
            f"{rec['notes']} notes ({_range(rec.get('first_session'), rec.get('last_session'))})"
            + (f", {pn} psychotherapy notes ("
               f"{_range(rec.get('pnotes_first'), rec.get('pnotes_last'))})"
               if pn is not None else "")
            + f", {rec.get('attachments', 0)} attachments"
            + (f"; {rec['joint_notes_kept']} joint notes of other clients kept, without them"
               if rec.get("joint_notes_kept") else "")
            + ("; related rows: " + ", ".join(f"{k} {v}" for k, v in
                                              sorted(rec.get("related_rows", {}).items()))
               if rec.get("related_rows") else ""))
    epoch = cert["key_epoch"]
    ver = cert["verification"]
    lines += [
        "",
        f"Method type:         {cert['method_type']}",
        f"Method used:         {cert['method']}",
        f"Tool and version:    {cert['tool']}",
        f"Key epoch:           {epoch['before']} -> {epoch['after']}",
        "",
        f"VERIFICATION ({ver['type']}): {ver.get('result', 'not run')}",
    ]
    for check in ver.get("checks", []):
        lines.append(f"  [{'ok' if check['ok'] else 'FAIL'}] {check['name']}: {check['detail']}")
    backups = cert["backups"]
    lines += ["", "BACKUPS"]
    lines += [f"  replaced:  {loc}" for loc in backups["replaced"]] or ["  replaced:  none"]
    lines += [f"  written:   {loc}" for loc in backups["written"]]
    lines += [f"  PENDING:   {p['location']} on drive {p['drive']} (purged when next connected)"
              for p in backups["pending"]]
    lines += [f"  purged later: {p['location']} on {p['done_at']}"
              for p in backups["completed_later"]]
    # A copy on a lost drive is out of reach: it still opens with the passphrase of its day.
    lines += [f"  ON A LOST DRIVE: {rec['record_id']} in {loc}"
              for rec in cert["records"] for loc in rec.get("backups", ())
              if loc.endswith(LOST_COPY)]
    lines += [
        "",
        f"Post-sanitization:   {cert['post_sanitization']}",
        "",
        "LIMITS",
        f"  {cert['limits']}",
        "",
        "Signature of person performing: ______________________   Date: __________",
        "Signature of validator:         ______________________   Date: __________",
    ]
    return "\n".join(lines)


def render_pdf(cert: dict[str, Any]) -> bytes:
    """The text form laid out on US Letter pages (fpdf2, the library disclosures use)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="Letter")
    pdf.set_title(f"Certificate of disposal {cert['certificate_id']}")
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


def write_export(cert: dict[str, Any], path: Path, pdf: bool, force: bool = False) -> Path:
    """Write the certificate where the user asked; an existing file only with `force`.

    Written as releases are (a partial file renamed into place), so --force never leaves a
    half-replaced certificate.
    """
    target = check_target(path, force)
    data = render_pdf(cert) if pdf else (render_text(cert) + "\n").encode("utf-8")
    write_atomically(target, data, force, lambda publish: publish())
    return target


__all__ = ["certificate", "certificate_id", "disposal_log", "parse_certificate_id",
           "render_pdf", "render_text", "write_export"]
