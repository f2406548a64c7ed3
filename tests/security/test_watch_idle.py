"""`backup watch` does not keep the vault unlocked all day (issue 10 item 12).

The attack: someone at the practitioner's unattended machine, or anything reading the watcher's
memory, hours after the last backup. With the idle rule the watcher's vault is locked (keys
wiped, the process lock released), and it asks for the passphrase again only when the drive
comes back. The clock is driven by hand: nothing here waits for time to pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from backup import Catalog, DriveWatcher, WatchEvent, add_drive
from tests.support.cli import PASSPHRASE
from vault import TEST_PRESET, Vault, VaultBusyError
from vault.errors import ConfideError

IDLE = 300.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watcher(
    vault: Vault, media: Path, clock: Clock, reopen: Callable[[], Vault]
) -> tuple[DriveWatcher, list[WatchEvent]]:
    events: list[WatchEvent] = []
    # Every connection is due, so a drive plugged in again is backed up again.
    settings = replace(Catalog(vault).settings(), interval_hours=0.0)
    watcher = DriveWatcher(
        vault,
        roots=[media],
        settings=settings,
        on_event=events.append,
        idle_seconds=IDLE,
        reopen=reopen,
        clock=clock,
    )
    return watcher, events


def _setup(tmp_path: Path) -> tuple[Vault, Path, Path]:
    vault, _ = Vault.create(tmp_path / "vault", PASSPHRASE, TEST_PRESET)
    media = tmp_path / "media"
    stick = media / "STICK"
    stick.mkdir(parents=True)
    add_drive(vault, stick, label="stick")
    return vault, media, stick


def _unplug(stick: Path) -> Path:
    away = stick.parent.parent / "away"
    stick.rename(away)
    return away


def test_idle_watcher_holds_no_unlocked_vault(tmp_path: Path) -> None:
    vault, media, stick = _setup(tmp_path)
    clock = Clock()
    opened: list[Vault] = []

    def reopen() -> Vault:
        opened.append(Vault.unlock(tmp_path / "vault", PASSPHRASE))
        return opened[-1]

    watcher, events = _watcher(vault, media, clock, reopen)
    try:
        assert [e.kind for e in watcher.scan_once()] == ["found", "started", "done"]
        clock.now += IDLE - 1
        assert not watcher.lock_if_idle() and not vault.is_locked
        with pytest.raises(VaultBusyError):  # still held: the app cannot open it either
            Vault.unlock(tmp_path / "vault", PASSPHRASE).lock()
        clock.now += 1
        assert watcher.lock_if_idle()
        # The attack fails: the watcher's vault is closed and its keys overwritten...
        assert vault.is_locked and watcher.vault is vault
        assert vault._record_key.wiped and vault._audit_key.wiped
        with pytest.raises(ConfideError):
            vault.clients.list()
        # ...and the process lock is released: the app (here, another unlock) opens it.
        Vault.unlock(tmp_path / "vault", PASSPHRASE).lock()
        assert events[-1].kind == "locked"

        # Rescans while locked with the drive still connected ask for nothing.
        assert watcher.scan_once() == [] and opened == []

        # The drive unplugged and plugged in again: unlocked, backed up, locked when idle.
        away = _unplug(stick)
        assert watcher.scan_once() == [] and opened == []
        away.rename(stick)
        kinds = [e.kind for e in watcher.scan_once()]
        assert kinds == ["unlocked", "found", "started", "done"]
        assert len(opened) == 1 and watcher.vault is opened[0] and not opened[0].is_locked
        # Nothing changed since: the backup finds that and says so (no second archive).
        assert Catalog(opened[0]).backups(statuses=["good"])[0].skipped_at
        clock.now += IDLE
        assert watcher.lock_if_idle() and opened[0].is_locked
    finally:
        watcher.vault.lock()
        vault.lock()


def test_a_failed_unlock_is_not_retried_until_the_drive_comes_back(tmp_path: Path) -> None:
    vault, media, stick = _setup(tmp_path)
    clock = Clock()
    tries: list[str] = []

    def reopen() -> Vault:
        tries.append("wrong")
        return Vault.unlock(tmp_path / "vault", "not the passphrase")

    watcher, events = _watcher(vault, media, clock, reopen)
    try:
        watcher.scan_once()
        clock.now += IDLE
        assert watcher.lock_if_idle()
        away = _unplug(stick)
        watcher.scan_once()
        away.rename(stick)
        failed = watcher.scan_once()
        assert [e.kind for e in failed] == ["error"] and "could not unlock" in failed[0].message
        assert watcher.vault.is_locked and tries == ["wrong"]
        assert watcher.scan_once() == [] and tries == ["wrong"]  # not tried again every rescan
        away = _unplug(stick)
        watcher.scan_once()
        away.rename(stick)
        watcher.scan_once()
        assert tries == ["wrong", "wrong"] and watcher.vault.is_locked
    finally:
        vault.lock()


def test_a_drive_of_another_vault_never_asks_for_the_passphrase(tmp_path: Path) -> None:
    """While locked only a designated drive's marker makes the watcher unlock."""
    vault, media, stick = _setup(tmp_path)
    other, _ = Vault.create(tmp_path / "other", PASSPHRASE, TEST_PRESET)
    foreign = tmp_path / "FOREIGN"
    foreign.mkdir()
    with other:
        add_drive(other, foreign)
    clock = Clock()
    asked: list[int] = []

    def reopen() -> Vault:
        asked.append(1)
        return Vault.unlock(tmp_path / "vault", PASSPHRASE)

    watcher, _ = _watcher(vault, media, clock, reopen)
    try:
        away = _unplug(stick)
        clock.now += IDLE
        assert watcher.lock_if_idle()
        foreign.rename(media / "FOREIGN")
        assert watcher.scan_once() == [] and asked == []
        away.rename(stick)
        assert watcher.scan_once()[0].kind == "unlocked" and asked == [1]
    finally:
        watcher.vault.lock()
        vault.lock()


def test_a_vault_open_elsewhere_asks_for_no_passphrase(tmp_path: Path) -> None:
    """The app holds the vault when the drive comes: the watcher says so instead of asking
    for a passphrase it could not use, and asks once the drive is plugged in again later."""
    vault, media, stick = _setup(tmp_path)
    clock = Clock()
    asked: list[int] = []

    def reopen() -> Vault:
        asked.append(1)
        return Vault.unlock(tmp_path / "vault", PASSPHRASE)

    watcher, _ = _watcher(vault, media, clock, reopen)
    try:
        away = _unplug(stick)
        clock.now += IDLE
        assert watcher.lock_if_idle()
        app = Vault.unlock(tmp_path / "vault", PASSPHRASE)  # the app, unlocked meanwhile
        with app:
            away.rename(stick)
            refused = watcher.scan_once()
        assert [e.kind for e in refused] == ["error"] and asked == []
        assert "open in another Confide process" in refused[0].message
        away = _unplug(stick)
        watcher.scan_once()
        away.rename(stick)
        assert watcher.scan_once()[0].kind == "unlocked" and asked == [1]
    finally:
        watcher.vault.lock()
        vault.lock()
