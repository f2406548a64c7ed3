"""Page-level incremental backups (format 3, issue 14): chains that restore on a new machine,
cost what changed, skip when nothing did, and show any damage in any link, named."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backup import BackupSettings, Catalog, add_drive, restore, run_backup, verify_archive
from backup.chain import PAGE_SIZE, TAG_LEN, changed_pages, page_tags
from backup.errors import BackupDamagedError, BrokenChainError
from tui.workflows.demo import populate
from vault import Vault

DAY = datetime(2026, 5, 4, 9, tzinfo=UTC)


def _state(folder: Path, passphrase: str) -> dict[str, object]:
    v = Vault.unlock(folder, passphrase)
    try:
        clients = sorted(v.clients.list(), key=lambda c: c.id)
        notes = {c.id: [v.notes.get(s.id) for s in v.notes.timeline(c.id)] for c in clients}
        area = v.open_psychotherapy_notes(passphrase)
        pnotes = {c.id: area.list(c.id) for c in clients}
        return {"clients": clients, "notes": notes, "pnotes": pnotes, "audit": v.audit.verify().ok}
    finally:
        v.lock()


@pytest.fixture
def drive(vault: Vault, tmp_path: Path) -> Path:
    root = tmp_path / "usb"
    root.mkdir()
    add_drive(vault, root, "usb")
    return root


def _chain(vault: Vault, drive: Path, passphrase: str) -> list[Path]:
    """A full archive and two incrementals, each after a change."""
    populate(vault, clients=6, notes_per_client=4, pnotes_passphrase=passphrase)
    full = run_backup(vault, drive, now=DAY)
    client = vault.clients.add("Ottoline Brackenridge")
    vault.notes.create(client.id, body="first session: tangerine-harbour")
    one = run_backup(vault, drive, now=DAY + timedelta(hours=1))
    area = vault.open_psychotherapy_notes(passphrase)
    area.add(client.id, "process note: juniper-lantern")
    area.lock()
    two = run_backup(vault, drive, now=DAY + timedelta(hours=2))
    assert [r.record.kind for r in (full, one, two)] == ["full", "incremental", "incremental"]
    assert two.record.base_id == one.record.id and one.record.base_id == full.record.id
    return [full.path, one.path, two.path]


def test_chain_restores_on_a_new_machine_with_passphrase_or_recovery_key(
    new_vault: tuple[Vault, str], drive: Path, tmp_path: Path, passphrase: str
) -> None:
    vault, recovery_key = new_vault
    paths = _chain(vault, drive, passphrase)
    clients = sorted(vault.clients.list(), key=lambda c: c.id)
    notes = vault.notes.count()
    by_pass = restore(paths[-1], tmp_path / "laptop" / "vault", passphrase=passphrase)
    assert (by_pass.clients, by_pass.notes) == (len(clients), notes)
    got = _state(tmp_path / "laptop" / "vault", passphrase)
    assert got["clients"] == clients and got["audit"] is True
    assert "process note: juniper-lantern" in [p.body for p in got["pnotes"][clients[-1].id]]  # type: ignore[index]
    by_key = restore(
        paths[-1],
        tmp_path / "other" / "vault",
        recovery_key=recovery_key,
        new_passphrase="a brand new passphrase for the laptop",
    )
    assert by_key.via == "recovery key" and by_key.clients == len(clients)
    # The middle link restores the state of its day: without the psychotherapy note.
    mid = restore(paths[1], tmp_path / "mid" / "vault", passphrase=passphrase)
    assert mid.clients == len(clients)
    got = _state(tmp_path / "mid" / "vault", passphrase)
    assert got["pnotes"][clients[-1].id] == []  # type: ignore[index]


def test_an_incremental_costs_the_pages_changed_not_the_vault(
    vault: Vault, drive: Path, passphrase: str
) -> None:
    populate(vault, clients=40, notes_per_client=30, pnotes_passphrase=passphrase)
    full = run_backup(vault, drive, now=DAY)
    vault.notes.create(vault.clients.list()[0].id, body="one more note: cobalt-orchard")
    incr = run_backup(vault, drive, now=DAY + timedelta(hours=1))
    assert incr.record.kind == "incremental"
    assert incr.record.pages is not None and incr.record.pages < 60
    db_bytes = sum((vault.folder / n).stat().st_size for n in ("record.db", "pnotes.db"))
    assert full.record.size is not None and full.record.size > db_bytes
    # Fixed overhead: four 64 KiB sections and the header, plus the pages themselves.
    assert incr.record.size is not None
    assert incr.record.size <= 2 * incr.record.pages * 4096 + 4 * 64 * 1024 + 8192


def test_nothing_changed_is_skipped_and_said(vault: Vault, drive: Path, passphrase: str) -> None:
    populate(vault, clients=3, notes_per_client=2, pnotes_passphrase=passphrase)
    first = run_backup(vault, drive, now=DAY)
    files = sorted((drive / "confide-backups").iterdir())
    # Reading, searching and unlocking are logged but change nothing in the record.
    client = vault.clients.list()[0]
    for summary in vault.notes.timeline(client.id):
        vault.notes.get(summary.id)
    again = run_backup(vault, drive, now=DAY + timedelta(hours=1))
    assert again.skipped and again.record.archive_id == first.record.archive_id
    assert sorted((drive / "confide-backups").iterdir()) == files
    assert Catalog(vault).get(first.record.id).skipped_at is not None
    vault.notes.create(client.id, body="a change: saffron-quay")
    changed = run_backup(vault, drive, now=DAY + timedelta(hours=2))
    assert not changed.skipped and changed.record.kind == "incremental"


def test_a_draft_edited_in_place_is_backed_up_not_skipped(
    vault: Vault, drive: Path, tmp_path: Path, passphrase: str
) -> None:
    # An edit adds no row anywhere: every table's count stays the same, the full-text index
    # changes only inside its own (uncounted) tables. The skip check must still see it.
    populate(vault, clients=3, notes_per_client=2, pnotes_passphrase=passphrase)
    client = vault.clients.list()[0]
    draft = vault.notes.create(client.id, body="draft: amber-meadow")
    run_backup(vault, drive, now=DAY)
    vault.notes.save_draft(draft.id, body="draft: cobalt-meadow")
    edited = run_backup(vault, drive, now=DAY + timedelta(hours=1))
    assert not edited.skipped and edited.record.kind == "incremental"
    restore(edited.path, tmp_path / "laptop" / "vault", passphrase=passphrase)
    v = Vault.unlock(tmp_path / "laptop" / "vault", passphrase)
    try:
        assert v.notes.get(draft.id).body == "draft: cobalt-meadow"
        assert [h.note_id for h in v.search("cobalt")] == [draft.id]
        assert v.search("amber") == []
    finally:
        v.lock()


def test_a_page_tag_changes_exactly_when_the_page_does(vault: Vault, passphrase: str) -> None:
    # The premise of the whole format (SQLCipher 4 defaults: a fresh IV and HMAC-SHA512 in the
    # page's last 80 bytes at every write): compared with every byte of every page, the tags
    # miss no changed page, page 1 included, through the WAL and its checkpoint.
    populate(vault, clients=4, notes_per_client=3, pnotes_passphrase=passphrase)

    def pages() -> list[bytes]:
        with vault.frozen_files() as files:  # checkpoints the WAL into the file
            data = files["record.db"].read_bytes()
        return [data[i : i + PAGE_SIZE] for i in range(0, len(data), PAGE_SIZE)]

    before = pages()
    client = vault.clients.list()[0]
    for i in range(40):  # enough to grow the file, so page 1's header (page count) changes
        vault.notes.create(client.id, body=f"growth note {i}: " + "heron lantern " * 60)
    after = pages()
    assert len(after) > len(before)
    by_bytes = [i for i, page in enumerate(after) if i >= len(before) or page != before[i]]
    by_tag = changed_pages(
        b"".join(p[-TAG_LEN:] for p in before), b"".join(p[-TAG_LEN:] for p in after)
    )
    assert by_tag == by_bytes and 0 in by_tag
    assert len(by_tag) < len(after)  # and the unchanged pages are found unchanged


def test_page_tags_and_changed_pages_agree_with_a_page_by_page_reading(tmp_path: Path) -> None:
    # Sizes around the 1 MiB read block and the 256-page comparison runs, on real files.
    rng = random.Random(14)
    for pages in (0, 1, 255, 256, 257, 511, 700):
        path = tmp_path / f"db-{pages}"
        data = bytearray(rng.randbytes(pages * PAGE_SIZE))
        path.write_bytes(data)
        tail = [
            bytes(data[(i + 1) * PAGE_SIZE - TAG_LEN : (i + 1) * PAGE_SIZE]) for i in range(pages)
        ]
        before = page_tags(path)
        assert before == b"".join(tail)
        touched = sorted(rng.sample(range(pages), min(pages, 5))) if pages else []
        for i in touched:
            data[(i + 1) * PAGE_SIZE - 1 - rng.randrange(TAG_LEN)] ^= 1
        grown = rng.randrange(0, 3)
        data += rng.randbytes(grown * PAGE_SIZE)
        path.write_bytes(data)
        after = page_tags(path)
        assert after is not None and before is not None
        assert changed_pages(before, after) == touched + list(range(pages, pages + grown))
        # A file that shrank: only what is left can have changed.
        assert changed_pages(after, after[: len(after) // 2]) == []
    odd = tmp_path / "odd"
    odd.write_bytes(b"x" * (PAGE_SIZE + 1))
    assert page_tags(odd) is None


def test_full_archive_at_the_chosen_interval(vault: Vault, drive: Path) -> None:
    catalog = Catalog(vault)
    catalog.save_settings(BackupSettings(full_every=3))
    kinds = []
    for i in range(5):
        vault.clients.add(f"Client Sample {i}")
        kinds.append(run_backup(vault, drive, now=DAY + timedelta(hours=i)).record.kind)
    assert kinds == ["full", "incremental", "incremental", "full", "incremental"]


def test_rotation_keeps_the_chain_a_kept_generation_needs(
    vault: Vault, drive: Path, tmp_path: Path, passphrase: str
) -> None:
    Catalog(vault).save_settings(
        BackupSettings(keep_daily=1, keep_weekly=0, keep_monthly=0, full_every=3)
    )
    results = []
    for i in range(4):
        vault.clients.add(f"Rotation Sample {i}")
        results.append(run_backup(vault, drive, now=DAY + timedelta(days=i)))
    # Days 0-2 are a chain; day 1 and 2 kept nothing else alive, but day 2's chain needed day 0
    # and 1 until day 3's full archive replaced it.
    assert [r.pruned for r in results[:3]] == [[], [], []]
    assert {p.file_name for p in results[3].pruned} == {r.path.name for r in results[:3]}
    assert not any(r.path.exists() for r in results[:3])
    got = restore(results[3].path, tmp_path / "r" / "vault", passphrase=passphrase)
    assert got.clients == 4


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_damage_in_any_link_is_found_and_named(
    vault: Vault, drive: Path, tmp_path: Path, passphrase: str
) -> None:
    paths = _chain(vault, drive, passphrase)
    middle = paths[1]
    original = middle.read_bytes()
    # A flipped bit in the middle link's record pages (after its index, 64 KiB + frames).
    _flip(middle, len(original) // 3)
    with pytest.raises(BackupDamagedError) as caught:
        restore(paths[-1], tmp_path / "a" / "vault", passphrase=passphrase)
    message = str(caught.value)
    assert middle.name in message and "incremental 1 of 2" in message
    assert caught.value.section is not None and caught.value.section != "chain"
    assert not (tmp_path / "a" / "vault").exists()
    with pytest.raises(BackupDamagedError, match=middle.name):
        verify_archive(middle, vault=vault)
    # Truncated.
    middle.write_bytes(original[: len(original) - 100])
    with pytest.raises(BackupDamagedError, match="truncated") as caught:
        restore(paths[-1], tmp_path / "b" / "vault", passphrase=passphrase)
    assert "incremental 1 of 2" in str(caught.value)
    # The full archive gone (a drive cleaned by hand): the newest link says which base.
    middle.write_bytes(original)
    paths[0].rename(tmp_path / "elsewhere.cfbk")
    with pytest.raises(BrokenChainError, match=paths[0].name):
        restore(paths[-1], tmp_path / "c" / "vault", passphrase=passphrase)
    with pytest.raises(BrokenChainError, match=paths[0].name):
        verify_archive(paths[1], passphrase=passphrase)
    # An older archive copied over the base's name: not the base it was built on.
    other = run_backup(vault, drive, full=True, rotate=False, now=DAY + timedelta(days=1))
    other.path.rename(paths[0])
    with pytest.raises(BrokenChainError, match="not the archive"):
        restore(paths[-1], tmp_path / "d" / "vault", passphrase=passphrase)
