"""Watching drives, for both faces: a drive that missed a disposal is purged when it shows up."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from backup import Catalog, add_drive, run_backup
from backup.purge import DisposalBackups
from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from tests.support.tui import app_for, settle, unlock
from tui.app.screens.backup import watch_drives_in_app
from vault import TEST_PRESET, Vault


def _missed_a_disposal(vault_dir: Path, media: Path) -> Path:
    """A drive holding a backup of a client disposed of while it was unplugged; returns the
    old backup, still on the drive (now under `media`, as if mounted again)."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        ids = make_practice(vault)
        media.mkdir()
        stick = media.parent / "stick"
        stick.mkdir()
        add_drive(vault, stick, label="stick")
        old = run_backup(vault, stick).path
        away = media.parent / "stick-away"
        stick.rename(away)
        result = vault.disposal.dispose(
            PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
        )
        assert result.verification.result == "PASS, with backups pending"
        catalog = Catalog(vault)
        catalog.save_settings(
            replace(catalog.settings(), watch_roots=(str(media),), rescan_seconds=300)
        )
    away.rename(media / "STICK")
    return media / "STICK" / old.relative_to(stick)


def _pending(vault_dir: Path) -> list[object]:
    with Vault.unlock(vault_dir, PASSPHRASE) as vault:
        return list(vault.disposal.pending_purges())


def test_cli_watch_purges_the_drive_and_says_so(vault_dir: Path, tmp_path: Path, cli: Cli) -> None:
    old = _missed_a_disposal(vault_dir, tmp_path / "media")
    assert old.exists()
    watched = cli("backup", "watch", "--once", "--root", str(tmp_path / "media"))
    assert watched.code == 0, watched.stderr
    assert f"purged 1 old backups on {tmp_path / 'media' / 'STICK'} (disposal)" in watched.stderr
    assert not old.exists() and _pending(vault_dir) == []


async def test_app_watch_purges_the_drive_and_says_so(vault_dir: Path, tmp_path: Path) -> None:
    old = _missed_a_disposal(vault_dir, tmp_path / "media")
    app = app_for(vault_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        assert app.vault is not None
        watcher = watch_drives_in_app(app, app.vault)
        try:
            await asyncio.to_thread(watcher.scan_once)
            await settle(pilot)
        finally:
            await asyncio.to_thread(watcher.stop)
        messages = [n.message for n in app._notifications]
    assert f"purged 1 old backups on {tmp_path / 'media' / 'STICK'} (disposal)" in messages
    assert not old.exists() and _pending(vault_dir) == []


def test_after_an_idle_lock_the_reopened_vault_purges_the_drive(
    vault_dir: Path, tmp_path: Path
) -> None:
    """`backup watch` locks when idle; the drive plugged in later is purged with the vault
    opened again (not the locked one), and the watcher locks again when idle."""
    from tui.workflows.watch import drive_watcher

    media = tmp_path / "media"
    old = _missed_a_disposal(vault_dir, media)
    stick = old.parent.parent
    away = tmp_path / "unplugged"
    stick.rename(away)  # unplugged while the watcher starts and goes idle
    now = [0.0]
    reports: list[str] = []
    opened: list[Vault] = []

    def reopen() -> Vault:
        opened.append(Vault.unlock(vault_dir, PASSPHRASE))
        return opened[-1]

    first = Vault.unlock(vault_dir, PASSPHRASE)
    watcher = drive_watcher(
        first,
        lambda e: None,
        reports.append,
        roots=[media],
        idle_seconds=60,
        reopen=reopen,
        clock=lambda: now[0],
    )
    try:
        now[0] += 60
        assert watcher.lock_if_idle() and first.is_locked and opened == []
        away.rename(stick)
        kinds = [e.kind for e in watcher.scan_once()]
        assert kinds[0] == "unlocked" and "found" in kinds and len(opened) == 1
        assert f"purged 1 old backups on {stick} (disposal)" in reports
        assert not old.exists()
        now[0] += 60
        assert watcher.lock_if_idle() and opened[0].is_locked
    finally:
        watcher.vault.lock()
        first.lock()
    assert _pending(vault_dir) == []
