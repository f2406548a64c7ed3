"""The forensic examiner of the threat model (docs/ARCHITECTURE.md): raw disk images of the vault
and the backup drive, the passphrase and the recovery key in hand, every block carved and decrypted
with every key found.

Before disposal the examiner finds the clients (so the test can fail); after it, nothing of the
disposed clients, while the kept client is still found (the examiner still works).
The Sleuth Kit gives an independent view of deleted files and unallocated blocks.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backup import Catalog, add_drive, run_backup
from backup.archive import MAGIC as BACKUP_MAGIC
from backup.archive import ArchiveHeader, ArchiveKeys, read_archive
from backup.keys import HIDDEN_EPOCH, unwrap_hidden_epoch
from backup.purge import DisposalBackups
from tests.support.attachments import fake_pdf
from tests.support.fsimage import make_image, mount_image, needs_root, unmount
from vault import TEST_PRESET, SessionInfo, Vault
from vault.crypto.forensics import PAGE_SIZE, cbc_stream, decrypt_page, hmac_key
from vault.crypto.keyslots import MAGIC as KEY_MAGIC
from vault.crypto.keyslots import KeyFile, KeyName, derive_subkey
from vault.crypto.secret import SecretBytes
from vault.errors import ConfideError

PASSPHRASE = "examiner knows this one"
GONE = ["Thaddeus Wolfsbane", "Philippa Quenneville"]
KEPT = "Marigold Keepsake"
GONE_TEXTS = [
    "Wolfsbane described the lantern ferry and the orchid ledger at length",
    "Quenneville recalled the copper thimble argument with her landlord",
]
GONE_PNOTE = "private hunch: the saffron carousel dream means grief"
# A scanned form kept as an attachment (chunk rows in record.db).
GONE_FORM = "Wolfsbane signed the juniper tandem consent form"
KEPT_TEXT = "Keepsake practised breathing with the periwinkle metronome"

HAVE_TSK = all(shutil.which(t) for t in ("fls", "icat", "blkls"))


@dataclass
class Findings:
    keys: set[bytes] = field(default_factory=set)
    key_files: int = 0
    archives: int = 0
    hits: dict[bytes, list[str]] = field(default_factory=dict)

    def found(self, needle: str) -> list[str]:
        return self.hits.get(needle.encode(), [])


def _needles(texts: list[str]) -> list[bytes]:
    """Each text, and 20-byte pieces of it (a note split over two pages is still found)."""
    out: set[bytes] = set()
    for text in texts:
        raw = text.encode()
        out.add(raw)
        out.add(text.lower().encode())
        out.update(raw[i : i + 20] for i in range(0, max(1, len(raw) - 20), 10))
    return sorted(out)


def _search(data: bytes, where: str, needles: list[bytes], findings: Findings) -> None:
    for needle in needles:
        if needle in data:
            findings.hits.setdefault(needle, []).append(where)


def _keys_from_key_file(blob: bytes, recovery_key: str, findings: Findings) -> list[bytes]:
    try:
        keyfile = KeyFile.from_bytes(blob)
    except ConfideError:
        return []
    findings.key_files += 1
    found: list[bytes] = []
    # An archive's copy names no epoch (format 2): the examiner tries each, as restore does.
    for unwrap in (
        (
            lambda: unwrap_hidden_epoch(keyfile, list(KeyName), PASSPHRASE, None),
            lambda: unwrap_hidden_epoch(keyfile, list(KeyName), None, recovery_key),
        )
        if keyfile.epoch == HIDDEN_EPOCH
        else (
            lambda: keyfile.unwrap_with_passphrase(PASSPHRASE, list(KeyName)),
            lambda: keyfile.unwrap_with_recovery(recovery_key, list(KeyName)),
        )
    ):
        try:
            keys = unwrap()
        except ConfideError:
            continue
        found += [k.reveal() for k in keys.values()]
    return found


def _in_use(raw: bytes) -> bytes:
    """The image without its all-zero 4 KiB blocks (never written, or zeroed): nothing can be
    carved from those, and skipping them keeps the many decryption passes fast. Neighbouring
    written blocks stay adjacent, so pages (and WAL frames) in them stay whole."""
    zero = bytes(4096)
    return b"".join(
        raw[i : i + 4096] for i in range(0, len(raw), 4096) if raw[i : i + 4096] != zero
    )


def examine(images: list[Path], recovery_key: str, needles: list[bytes]) -> Findings:
    """Carve key files and backup archives, unwrap every key, decrypt everything, search."""
    findings = Findings()
    raws = {image.name: _in_use(image.read_bytes()) for image in images}
    archive_pages: list[tuple[str, bytes]] = []
    for name, raw in raws.items():
        _search(raw, f"{name} raw", needles, findings)  # plaintext anywhere would be a bug
        at = raw.find(KEY_MAGIC)
        while at >= 0:
            findings.keys.update(_keys_from_key_file(raw[at : at + 4096], recovery_key, findings))
            at = raw.find(KEY_MAGIC, at + 1)
        at = raw.find(BACKUP_MAGIC)
        while at >= 0:
            archive_pages += _carve_archive(raw, at, recovery_key, findings)
            at = raw.find(BACKUP_MAGIC, at + 1)
    for key in sorted(findings.keys):
        for name, raw in raws.items():
            # CBC decryption needs only the previous block: one pass per alignment decrypts
            # every page on the disk, wherever it lies (database pages at 0, WAL frames at 0/8).
            for align in (0, 8):
                _search(
                    cbc_stream(raw[align:], key),
                    f"{name} under a key (align {align})",
                    needles,
                    findings,
                )
        for where, section in archive_pages:
            for index in range(len(section) // PAGE_SIZE):
                page = section[index * PAGE_SIZE : (index + 1) * PAGE_SIZE]
                _, plain = decrypt_page(page, index + 1, key, hmac_key(key, section[:16]))
                _search(plain, where, needles, findings)
    return findings


def _read_carved(raw: bytes, at: int, record_key: bytes) -> list[tuple[str, bytes]]:
    """Read a carved archive with one candidate record key; keep whatever decrypted."""
    buffers: dict[str, io.BytesIO] = {}

    def sink(name: str) -> Callable[[bytes], None]:
        buffer = buffers[name] = io.BytesIO()

        def write(data: bytes) -> None:
            buffer.write(data)

        return write

    def keys_for(h: ArchiveHeader) -> ArchiveKeys:
        secret = SecretBytes(record_key)
        return ArchiveKeys.derive(
            lambda salt, info: derive_subkey(secret, salt, info), h.archive_id, h.vault_id, h.format
        )

    # The wrong key, or a carve that runs into other data, stops the read: keep what was read.
    with contextlib.suppress(ConfideError):
        read_archive(io.BytesIO(raw[at:]), keys_for, sink=sink)
    return [
        (f"archive at {at}: {name}", buf.getvalue())
        for name, buf in buffers.items()
        if buf.getvalue()
    ]


def _carve_archive(
    raw: bytes, at: int, recovery_key: str, findings: Findings
) -> list[tuple[str, bytes]]:
    """A backup archive found on the raw disk: its key-file copy, then its sections."""
    try:
        length = int.from_bytes(raw[at + 8 : at + 12], "big")
        header = ArchiveHeader.from_bytes(raw[at + 12 : at + 12 + length])
    except (ConfideError, ValueError):
        return []
    findings.archives += 1
    record_keys = _keys_from_key_file(header.key_file, recovery_key, findings)
    findings.keys.update(record_keys)
    sections: list[tuple[str, bytes]] = []
    for candidate in record_keys:
        sections += _read_carved(raw, at, candidate)
    return sections


def _tsk(image: Path, needles: list[bytes], keys: set[bytes]) -> dict[str, int]:
    """Sleuth Kit: deleted files (fls -d), their content (icat), unallocated blocks (blkls),
    searched as they are and decrypted with `keys`."""
    listing = subprocess.run(
        ["fls", "-r", "-d", "-p", str(image)], capture_output=True, text=True, check=True
    ).stdout
    deleted = [line for line in listing.splitlines() if line.strip()]
    blobs: list[bytes] = []
    for line in deleted:
        # "r/r * 14(realloc):	path" or "r/r * 14:	path"
        inode = line.split("\t")[0].split()[-1].rstrip(":").split("(")[0].split("-")[0]
        if inode.isdigit() and inode != "0":
            blobs.append(subprocess.run(["icat", str(image), inode], capture_output=True).stdout)
    blobs.append(
        _in_use(subprocess.run(["blkls", str(image)], capture_output=True, check=True).stdout)
    )
    hits = 0
    for blob in blobs:
        hits += sum(n in blob for n in needles)
        for key in keys:
            for align in (0, 8):
                plain = cbc_stream(blob[align:], key)
                hits += sum(n in plain for n in needles)
    return {"deleted": len(deleted), "unallocated_bytes": len(blobs[-1]), "hits": hits}


@needs_root
@pytest.mark.parametrize(
    "sabotage", [None, "workers", "no-key-rotation", "no-backup-rewrite", "data-journal"]
)
def test_examiner_finds_clients_before_disposal_and_nothing_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sabotage: str | None
) -> None:
    """Carving both raw images: the disposed clients are found before, zero hits after; and
    with key rotation or the backup rewrite switched off, the examiner finds them again.

    "data-journal": the laptop's ext4 is mounted `data=journal` (issue 10 item 5). The journal
    keeps the old key file, which opens with the passphrase: the examiner finds the clients,
    so the certificate must say so (never a bare PASS)."""
    if sabotage == "workers":
        # No sabotage: the re-encryption and the page check split with worker processes, as
        # for a large vault.
        import vault.crypto.rekey

        monkeypatch.setattr(vault.crypto.rekey, "PARALLEL_BYTES", 0)
        sabotage = None
    if sabotage == "no-key-rotation":
        import vault.retention.execute

        monkeypatch.setattr(
            vault.retention.execute, "_rotate_all", lambda v, *rest: v.key_file.epoch
        )
    journal = sabotage == "data-journal"
    # A journal large enough (16 MiB at this size) not to wrap during the test: what it keeps
    # is then deterministic.
    vault_img = make_image(tmp_path / "laptop.img", 512 if journal else 48, label="LAPTOP")
    usb_img = make_image(tmp_path / "usb.img", 48, label="USB")
    laptop, usb = tmp_path / "laptop", tmp_path / "usb"
    laptop_options = "data=journal" if journal else ""
    mount_image(vault_img, laptop, options=laptop_options)
    mount_image(usb_img, usb)
    try:
        vault, recovery_key = Vault.create(laptop / "vault", PASSPHRASE, TEST_PRESET)
        with vault:
            ids = [vault.clients.add(name, last_service_date="2012-02-02").id for name in GONE]
            kept = vault.clients.add(KEPT, last_service_date="2025-02-02").id
            for round_ in range(3):
                for cid, text in zip(ids, GONE_TEXTS, strict=True):
                    for i in range(8):
                        vault.notes.create(
                            cid,
                            body=f"{text} ({round_}.{i}) " + "filler " * 60,
                            session=SessionInfo(session_date="2011-05-05"),
                        )
                vault.notes.create(
                    kept,
                    body=KEPT_TEXT + f" ({round_})",
                    session=SessionInfo(session_date="2025-01-01"),
                )
                vault.open_psychotherapy_notes(PASSPHRASE).add(ids[0], GONE_PNOTE, "2011-05-05")
                if round_ == 0:
                    form = tmp_path / "form.pdf"
                    form.write_bytes(fake_pdf(GONE_FORM, size=150_000))
                    vault.attachments.add(form, ids[0], "consent")
                    form.unlink()
                if round_ == 0:
                    add_drive(vault, usb, label="USB")
                run_backup(vault, usb, rotate=False)  # three generations on the drive
            # ...as one chain (format 3): a full archive and two incrementals on it.
            kinds = [r.kind for r in Catalog(vault).backups()]
            assert sorted(kinds) == ["full", "incremental", "incremental"]
        unmount(laptop)
        unmount(usb)
        gone_needles = _needles(GONE + GONE_TEXTS + [GONE_PNOTE, GONE_FORM])
        kept_needles = _needles([KEPT, KEPT_TEXT])

        before = examine([vault_img, usb_img], recovery_key, gone_needles + kept_needles)
        assert before.key_files >= 4 and before.archives == 3
        for needle in (*GONE, GONE_TEXTS[0], GONE_PNOTE, GONE_FORM):
            assert any("laptop" in w for w in before.found(needle)), needle
            assert any("archive" in w for w in before.found(needle)), needle
        assert not any("raw" in w for hits in before.hits.values() for w in hits)

        mount_image(vault_img, laptop, options=laptop_options)
        mount_image(usb_img, usb)
        with Vault.unlock(laptop / "vault", PASSPHRASE) as vault:
            backups = None if sabotage == "no-backup-rewrite" else DisposalBackups()
            result = vault.disposal.dispose(PASSPHRASE, ids, GONE, backups=backups)
            assert result.verification.ok == (sabotage != "no-key-rotation")
            # The finding is on the result exactly when the filesystem keeps old blocks.
            assert result.verification.result.startswith("PASS with limits") == journal
            if backups is not None:
                # Every link of the chain destroyed; one fresh full archive in its place.
                rows = Catalog(vault).backups()
                assert sorted(r.status for r in rows) == [
                    "good",
                    "replaced",
                    "replaced",
                    "replaced",
                ]
                assert [r.kind for r in rows if r.status == "good"] == ["full"]
        unmount(laptop)
        unmount(usb)

        after = examine([vault_img, usb_img], recovery_key, gone_needles + kept_needles)
        leaked = {n.decode(errors="replace"): w for n, w in after.hits.items() if n in gone_needles}
        assert after.found(KEPT_TEXT) and any("archive" in w for w in after.found(KEPT))
        if sabotage is not None:
            assert leaked, "the examiner must find the clients when a safeguard is off"
            return
        assert leaked == {}, json.dumps(leaked, indent=1)[:2000]
        assert after.keys and not (after.keys & before.keys)  # every old key is gone

        if HAVE_TSK:
            views = {
                image.name: _tsk(image, gone_needles, after.keys) for image in (vault_img, usb_img)
            }
            assert all(v["hits"] == 0 for v in views.values()), views
            assert views["laptop.img"]["deleted"] > 0  # the replaced database files...
            assert views["laptop.img"]["unallocated_bytes"] > 0  # ...left written free blocks
            # Why key destruction matters: the old pages are still in the laptop's free blocks
            # (a laptop SSD would keep them too); only the retired keys could read them.
            assert _tsk(vault_img, gone_needles[:4], before.keys)["hits"] > 0
    finally:
        for mount in (laptop, usb):
            unmount(mount)


@pytest.mark.skipif(not HAVE_TSK, reason="The Sleuth Kit (Debian sleuthkit) is not installed")
@needs_root
def test_sleuth_kit_finds_plain_deletes_but_not_replaced_backups(tmp_path: Path) -> None:
    """A backup removed by plain unlink is still in unallocated blocks; one replaced by disposal
    is not (overwritten before unlink), though Sleuth Kit still lists the deleted inode."""
    usb_img = make_image(tmp_path / "usb.img", 16, label="USB")
    usb = tmp_path / "usb"
    mount_image(usb_img, usb)
    try:
        vault, _ = Vault.create(tmp_path / "vault", PASSPHRASE, TEST_PRESET)
        with vault:
            cid = vault.clients.add(GONE[0], last_service_date="2012-02-02").id
            vault.notes.create(cid, body=GONE_TEXTS[0])
            add_drive(vault, usb, label="USB")
            old = run_backup(vault, usb, rotate=False).path
            control = usb / "control.bin"
            control.write_bytes(old.read_bytes())
            os.sync()
            vault.disposal.dispose(PASSPHRASE, [cid], [GONE[0]], backups=DisposalBackups())
        # Deleted only now: while it exists the rewritten archive cannot be put on its blocks
        # (deleted first, whether it was depended on the archive's size).
        control.unlink()  # what a careless delete leaves behind
        os.sync()
        assert not old.exists()
        unmount(usb)
        listing = subprocess.run(
            ["fls", "-r", "-d", str(usb_img)], capture_output=True, text=True, check=True
        ).stdout
        assert listing.strip()  # deleted entries are visible to the examiner
        free = subprocess.run(["blkls", str(usb_img)], capture_output=True, check=True).stdout
        assert free.count(BACKUP_MAGIC) == 1  # the control copy only, not the replaced archive
    finally:
        unmount(usb)
