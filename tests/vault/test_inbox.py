"""The scanned-forms inbox (issue 18 part 2): a dropped scan ends encrypted in the vault, its
plaintext original overwritten and gone from the folder."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.support.attachments import fake_pdf, fake_png, write
from tests.support.fsimage import make_image, mount_image, needs_root, unmount
from vault import ImmutableRecordError, UsageError, Vault
from vault.attachments.content import CHUNK_BYTES
from vault.attachments.inbox import InboxWatcher, ScanResult

MARKER = "Ysolde Inboxperson consent signature"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "Scans"
    folder.mkdir()
    return folder


def test_a_dropped_scan_is_pulled_in_unassigned_and_its_original_removed(
    vault: Vault, inbox: Path, tmp_path: Path
) -> None:
    data = fake_pdf(MARKER, size=300_000)
    write(inbox / "scan-0001.pdf", data)
    # A second name for the same blocks: after the scan it shows what the disk holds there.
    os.link(inbox / "scan-0001.pdf", tmp_path / "inode-view")
    result = vault.attachments.inbox.scan(inbox)
    (item,) = result.items
    assert item.outcome == "added" and item.removed and item.attachment is not None
    assert not (inbox / "scan-0001.pdf").exists()
    view = (tmp_path / "inode-view").read_bytes()
    assert len(view) == len(data) and view == bytes(len(view))  # zeroed before the unlink
    (waiting,) = vault.attachments.unassigned()
    assert waiting.file_name == "scan-0001.pdf" and waiting.client_id is None
    assert b"".join(vault.attachments.chunks_unaudited(waiting.id)) == data
    assert vault.attachments.inbox.folder() == inbox  # remembered for the next scan
    assert vault.attachments.inbox.scan().items == ()

    client = vault.clients.add("Ysolde Inboxperson").id
    filed = vault.attachments.assign(waiting.id, client, "consent")
    assert filed.client_id == client and filed.assigned_at and filed.kind.value == "consent"
    assert vault.attachments.unassigned() == []
    steps = [
        e.detail.get("step", e.action)
        for e in vault.audit.entries(newest_first=False)
        if e.object_type == "attachment"
    ]
    assert steps == ["create", "assign"]
    with pytest.raises(ImmutableRecordError):
        vault.attachments.assign(waiting.id, client)


def test_what_the_inbox_leaves_alone(vault: Vault, inbox: Path, tmp_path: Path) -> None:
    """Links (and what they point at), hidden and partial files, other formats, folders and a
    scan still being written stay as they are; the half-written one is taken once finished."""
    outside = write(tmp_path / "private.pdf", fake_pdf("not for the inbox"))
    (inbox / "link.pdf").symlink_to(outside)
    write(inbox / ".hidden.pdf", fake_pdf("hidden"))
    write(inbox / "scan.pdf.part", fake_pdf("partial"))
    write(inbox / "letter.txt", b"Dear Dr,\n")
    (inbox / "sub").mkdir()
    full = fake_pdf(MARKER, size=50_000)
    write(inbox / "scan.pdf", full[:20_000])  # the scanner has not finished
    result = vault.attachments.inbox.scan(inbox)
    outcomes = {i.name: i.outcome for i in result.items}
    assert outcomes == {"letter.txt": "refused", "scan.pdf": "waiting"}
    assert sorted(p.name for p in inbox.iterdir()) == sorted(
        ["link.pdf", ".hidden.pdf", "scan.pdf.part", "letter.txt", "sub", "scan.pdf"]
    )
    assert outside.read_bytes() == fake_pdf_prefix(outside)  # the link's target untouched
    assert vault.db.scalar("SELECT count(*) FROM attachments") == 0
    write(inbox / "scan.pdf", full)
    result = vault.attachments.inbox.scan(inbox)
    assert [(i.name, i.outcome) for i in result.items] == [
        ("letter.txt", "refused"),
        ("scan.pdf", "added"),
    ]
    assert not (inbox / "scan.pdf").exists()


def fake_pdf_prefix(path: Path) -> bytes:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and b"not for the inbox" in data
    return data


def test_a_scan_killed_after_the_commit_removes_the_original_next_time(
    vault: Vault, inbox: Path
) -> None:
    """The original is removed only after the vault holds it; found again, it is not added
    twice."""
    data = fake_png(10_000)
    write(inbox / "photo.png", data)
    vault.attachments.inbox.scan(inbox)
    write(inbox / "photo.png", data)  # as if the overwrite never happened
    (item,) = vault.attachments.inbox.scan(inbox).items
    assert item.outcome == "already" and item.removed and "F-00001" in item.message
    assert vault.db.scalar("SELECT count(*) FROM attachments") == 1
    assert not (inbox / "photo.png").exists()


def test_an_overwrite_cut_short_is_finished_by_the_next_scan(vault: Vault, inbox: Path) -> None:
    """A kill during the overwrite leaves zeros up to some point, then the scan's bytes: the
    next scan knows the rest is already in the vault and finishes the overwrite."""
    data = fake_pdf(MARKER, size=3 * CHUNK_BYTES)
    write(inbox / "scan.pdf", data)
    vault.attachments.inbox.scan(inbox)
    write(inbox / "scan.pdf", bytes(CHUNK_BYTES + 4096) + data[CHUNK_BYTES + 4096 :])
    (item,) = vault.attachments.inbox.scan(inbox).items
    assert item.outcome == "already" and item.removed and "F-00001" in item.message
    assert list(inbox.iterdir()) == []
    # A different file of the same size is not mistaken for it.
    other = bytearray(bytes(CHUNK_BYTES) + data[CHUNK_BYTES:])
    other[-100] ^= 1
    write(inbox / "other.pdf", bytes(other))
    (item,) = vault.attachments.inbox.scan(inbox).items
    assert item.outcome == "refused" and (inbox / "other.pdf").exists()


def test_an_unassigned_item_can_be_discarded(vault: Vault, inbox: Path) -> None:
    write(inbox / "blank.pdf", fake_pdf("blank page"))
    vault.attachments.inbox.scan(inbox)
    (item,) = vault.attachments.unassigned()
    vault.attachments.discard(item.id)
    assert vault.db.scalar("SELECT count(*) FROM attachment_chunks") == 0
    write(inbox / "next.pdf", fake_pdf("next"))
    vault.attachments.inbox.scan(inbox)
    (after,) = vault.attachments.unassigned()
    assert after.id == item.id + 1  # a discarded number is never handed out again


def test_inbox_folder_rules(vault: Vault, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no inbox folder yet"):
        vault.attachments.inbox.scan()
    with pytest.raises(UsageError, match="does not exist"):
        vault.attachments.inbox.scan(tmp_path / "missing")
    with pytest.raises(UsageError, match="inside the vault folder"):
        vault.attachments.inbox.scan(vault.folder)


def test_the_watcher_pulls_in_a_file_dropped_while_it_watches(vault: Vault, inbox: Path) -> None:
    """watchdog's event, not the periodic rescan (set to an hour), brings the scan."""
    seen: list[ScanResult] = []
    done = threading.Event()

    def on_scan(result: ScanResult) -> None:
        seen.append(result)
        if any(i.outcome == "added" for i in result.items):
            done.set()

    watcher = InboxWatcher(vault, inbox, on_scan=on_scan, rescan_seconds=3600)
    watcher.start()
    try:
        write(inbox / "dropped.pdf", fake_pdf(MARKER))
        assert done.wait(60), "the watcher never scanned after the drop"
    finally:
        watcher.stop()
    assert not (inbox / "dropped.pdf").exists()
    assert [a.file_name for a in vault.attachments.unassigned()] == ["dropped.pdf"]


@needs_root
def test_on_ext4_the_scan_bytes_are_not_in_the_inbox_files_old_blocks(
    vault: Vault, tmp_path: Path
) -> None:
    """The inbox on a real ext4 (loop image): before the scan the form's text is on the raw
    device, after it nowhere on it (the overwrite reached the same blocks); the vault itself
    lives elsewhere."""
    image = make_image(tmp_path / "scans.img", 16, label="SCANS")
    mount = tmp_path / "scans"
    mount_image(image, mount)
    needle = MARKER.encode()
    try:
        write(mount / "form.pdf", fake_pdf(MARKER, size=200_000))
        os.sync()
        unmount(mount)
        assert needle in image.read_bytes()
        mount_image(image, mount)
        result = vault.attachments.inbox.scan(mount)
        assert [i.outcome for i in result.items] == ["added"] and result.limits == ()
    finally:
        unmount(mount)
    assert needle not in image.read_bytes()
    (item,) = vault.attachments.unassigned()
    assert needle in b"".join(vault.attachments.chunks_unaudited(item.id))


@needs_root
def test_on_data_journalling_ext4_the_scan_says_the_overwrite_may_not_erase(
    vault: Vault, tmp_path: Path
) -> None:
    image = make_image(tmp_path / "scans.img", 64, label="SCANS")
    mount = tmp_path / "scans"
    mount_image(image, mount, options="data=journal")
    try:
        write(mount / "form.pdf", fake_pdf(MARKER))
        result = vault.attachments.inbox.scan(mount)
    finally:
        unmount(mount)
    assert [i.outcome for i in result.items] == ["added"]
    assert any("journals data" in limit for limit in result.limits)
