"""Backups: drives, generations, last verification, progress, and a restore test.

All work (writing, verifying, the restore test) runs in thread workers; progress comes back
through `call_from_thread`. No file formats or crypto here: everything goes through `backup`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from backup import (
    BackupProgress,
    BackupResult,
    Catalog,
    DriveWatcher,
    RestoreResult,
    VerifyOutcome,
    WatchEvent,
    add_drive,
    connected_drives,
    restore_test,
    run_backup,
    verify_catalogued,
)
from vault import ConfideError, NotFoundError, Vault
from vault.timefmt import local_time

from ...workflows.watch import drive_watcher
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.labelled import labelled_row
from ..widgets.safe import SafeInput, plain
from ..widgets.tables import add_rows_fitting
from .base import VaultScreen
from .modals import PassphraseModal

PHASES = {"write": "Writing", "verify": "Reading back and verifying", "restore": "Restoring"}
NO_DRIVE = (
    "No backup drive yet. Press a to designate one: the folder where a USB drive is "
    "mounted, or a folder on another disk."
)


class AddDriveModal(ModalScreen[tuple[str, str] | None]):
    """Where the backup drive is mounted, and a name for it. None when cancelled."""

    # The CLI's `backup drive add` cannot run while this app holds the vault open, so the
    # screen itself must be able to designate a drive.
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    # Each field labelled (issue 12): a filled folder and name lose their placeholders.
    DEFAULT_CSS = """
    AddDriveModal .form-row { height: auto; }
    AddDriveModal .form-row Input { width: 1fr; }
    AddDriveModal .form-row .field-label { width: 8; padding: 1 1 0 0; color: $text-muted; }
    AddDriveModal #drive-hint { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(
                "Designate a backup drive: type the folder where it is mounted "
                "(for example /media/you/STICK). Confide marks it as this vault's.",
                markup=False,
                classes="modal-question",
            )
            yield labelled_row(
                ("Folder", SafeInput(placeholder="mount point of the drive", id="drive-path"))
            )
            yield labelled_row(("Name", SafeInput(placeholder="optional", id="drive-label")))
            yield Static("Enter on the name designates the drive; Esc cancels.", id="drive-hint")
            yield Static("", markup=False, classes="modal-error", id="drive-error")

    def on_mount(self) -> None:
        self.query_one("#drive-path", Input).focus()

    @on(Input.Submitted, "#drive-path")
    def next_field(self) -> None:
        self.query_one("#drive-label", Input).focus()

    @on(Input.Submitted, "#drive-label")
    def submitted(self) -> None:
        path = self.query_one("#drive-path", Input).value.strip()
        if not path:
            self.query_one("#drive-error", Static).update(plain("Type the drive's folder first."))
            self.query_one("#drive-path", Input).focus()
            return
        self.dismiss((path, self.query_one("#drive-label", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


class BackupScreen(VaultScreen):
    """Drives, every catalogued backup, and the buttons to back up, verify and test-restore."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "add_drive", "Add drive"),
        Binding("b", "backup_now", "Back up now"),
        Binding("v", "verify_all", "Verify all"),
        Binding("t", "restore_test", "Restore test"),
    ]

    class BackupWritten(Message):
        """A backup was written and verified; handled by `on_backup_screen_backup_written`."""

        def __init__(self, result: BackupResult) -> None:
            super().__init__()
            self.result = result

    class BackupsVerified(Message):
        """verify --all finished; handled by `on_backup_screen_backups_verified`."""

        def __init__(self, outcomes: list[VerifyOutcome]) -> None:
            super().__init__()
            self.outcomes = outcomes

    class RestoreTested(Message):
        """The restore test passed; handled by `on_backup_screen_restore_tested`."""

        def __init__(self, result: RestoreResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self) -> None:
        super().__init__()
        # The backups as cells, kept to lay them out again when the terminal resizes.
        self._generations: list[tuple[Text, ...]] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="backup-summary", markup=False)
        yield DataTable(id="backup-drives", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="backup-generations", cursor_type="row", zebra_stripes=True)
        yield Static("", id="backup-phase", markup=False)
        yield ProgressBar(id="backup-progress", show_eta=False)
        with Horizontal(id="backup-buttons"):
            yield Button("Back up now", id="backup-now", variant="primary")
            yield Button("Verify all", id="backup-verify")
            yield Button("Restore test", id="backup-restore-test")
            yield Button("Add drive", id="backup-add-drive")
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Backups"
        drives = self.query_one("#backup-drives", DataTable)
        for key, label in (
            ("drive", "Drive"),
            ("label", "Label"),
            ("status", "Status"),
            ("connected", "Connected"),
            ("last", "Last good backup"),
        ):
            drives.add_column(label, key=key)
        gens = self.query_one("#backup-generations", DataTable)
        # Status and verification first: at 80 columns the long file name is what gets cut.
        for key, label in (
            ("created", "Made"),
            ("status", "Status"),
            ("verified", "Verified"),
            ("drive", "Drive"),
            ("clients", "Clients"),
            ("size", "Size"),
            ("file", "File"),
        ):
            gens.add_column(label, key=key)
        # Until there is work to show, an idle bar would pulse as if something were running.
        self.query_one("#backup-progress", ProgressBar).display = False
        self.refresh_tables()

    # -- display

    def refresh_tables(self) -> None:
        try:
            catalog = Catalog(self.vault)
            drives = catalog.drives()
            records = catalog.backups(statuses=["good", "damaged", "failed", "lost"])
            connected = {marker.drive_id for _, marker in connected_drives(self.vault)}
        except ConfideError as e:
            self.show_error(e)
            return
        table = self.query_one("#backup-drives", DataTable)
        table.clear()
        for d in drives:
            last = next(
                (r.created_at for r in records if r.drive_id == d.drive_id and r.is_good), None
            )
            # Text cells: a drive label comes from a file on the drive (markup, escapes).
            table.add_row(
                *map(
                    plain,
                    (
                        d.drive_id,
                        d.label,
                        d.status,
                        "yes" if d.drive_id in connected else "no",
                        local_time(last) if last else "-",
                    ),
                )
            )
        labels = {d.drive_id: d.label for d in drives}
        self._generations = [
            tuple(
                map(
                    plain,
                    (
                        local_time(r.created_at),
                        r.status,
                        local_time(r.verified_at) if r.verified_at else "-",
                        labels.get(r.drive_id or "", r.drive_id or "-"),
                        str(len(r.client_ids)),
                        f"{(r.size or 0) / 2**20:.1f} MiB",
                        r.file_name,
                    ),
                )
            )
            for r in records
        ]
        self._fill_generations()
        verified = max(
            (r.verified_at for r in records if r.is_good and r.verified_at), default=None
        )
        summary = (
            f"{len(drives)} drive(s), {len(connected)} connected. "
            f"{sum(r.is_good for r in records)} good backup(s); last verified "
            f"{local_time(verified) if verified else 'never'}."
        )
        if not drives:
            summary = NO_DRIVE
        self.query_one("#backup-summary", Static).update(plain(summary))

    def _fill_generations(self) -> None:
        """The backups, their times and file name wrapped when the terminal is narrow."""
        gens = self.query_one("#backup-generations", DataTable)
        gens.clear()
        add_rows_fitting(
            gens, self._generations, gens.size.width or self.app.size.width, wrapping=(0, 2, 6)
        )

    def on_resize(self, event: events.Resize) -> None:
        if self._generations:
            self.call_after_refresh(self._fill_generations)

    def show_progress(self, progress: BackupProgress) -> None:
        bar = self.query_one("#backup-progress", ProgressBar)
        bar.display = True
        bar.update(total=max(progress.total, 1), progress=progress.done)
        self.query_one("#backup-phase", Static).update(
            plain(
                f"{PHASES.get(progress.phase, progress.phase)}: "
                f"{progress.done / 2**20:.1f} of {progress.total / 2**20:.1f} MiB"
            )
        )

    def _progress_from_thread(self, progress: BackupProgress) -> None:
        self.app.call_from_thread(self.show_progress, progress)

    # -- actions (each a thread worker; results come back as messages)

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#backup-add-drive")
    def action_add_drive(self) -> None:
        vault = self.vault

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            path, label = answer
            try:
                drive = add_drive(vault, Path(path).expanduser(), label)
            except ConfideError as e:
                self.show_error(e)
                return
            self.notify(
                f"{drive.label} is now a backup drive. Press b to back up to it.",
                title="Backup drive",
            )
            self.refresh_tables()

        self.app.push_screen(AddDriveModal(), chosen)

    @on(Button.Pressed, "#backup-now")
    def action_backup_now(self) -> None:
        try:
            designated = [d for d in Catalog(self.vault).drives() if not d.is_lost]
        except ConfideError as e:
            self.show_error(e)
            return
        if not designated:
            # Said here, before any work: "plug it in" misleads someone who has no drive yet.
            self.notify(NO_DRIVE, title="Back up", severity="warning", timeout=10)
            return
        self._backup_worker(self.vault)

    @on(Button.Pressed, "#backup-verify")
    def action_verify_all(self) -> None:
        self._verify_worker(self.vault)

    @on(Button.Pressed, "#backup-restore-test")
    def action_restore_test(self) -> None:
        vault = self.vault
        try:
            has_good = bool(Catalog(vault).backups(statuses=["good"]))
        except ConfideError as e:
            self.show_error(e)
            return
        if not has_good:
            # Asking for the passphrase first, only to say there is nothing to test, wastes it.
            self.notify(
                "There is no backup to test yet. Press b to back up first.",
                title="Restore test",
                severity="warning",
            )
            return

        def entered(passphrase: str | None) -> None:
            if passphrase:
                self._restore_test_worker(vault, passphrase)

        self.app.push_screen(
            PassphraseModal(
                "The restore test restores the newest backup into a temporary folder, checks it "
                "and erases it. Enter your passphrase (the one of the backup's day)."
            ),
            entered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup")
    def _backup_worker(self, vault: Vault) -> BackupResult:
        drives = connected_drives(vault)
        if not drives:
            raise NotFoundError("no designated backup drive is connected; plug it in")
        result = run_backup(vault, drives[0][0], progress=self._progress_from_thread)
        self.post_message(self.BackupWritten(result))
        return result

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup")
    def _verify_worker(self, vault: Vault) -> list[VerifyOutcome]:
        outcomes = verify_catalogued(vault, progress=self._progress_from_thread)
        self.post_message(self.BackupsVerified(outcomes))
        return outcomes

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup")
    def _restore_test_worker(self, vault: Vault, passphrase: str) -> RestoreResult:
        catalog = Catalog(vault)
        newest: Path | None = None
        for record in catalog.backups(statuses=["good"]):
            drive = next((d for d in catalog.drives() if d.drive_id == record.drive_id), None)
            candidate = (
                Path(drive.last_path) / "confide-backups" / record.file_name
                if drive is not None and drive.last_path
                else Path(record.path)
            )
            if candidate.exists():
                newest = candidate
                break
        if newest is None:
            raise NotFoundError("no good backup is reachable; connect the backup drive")
        result = restore_test(
            newest, beside=vault.folder, passphrase=passphrase, progress=self._progress_from_thread
        )
        self.post_message(self.RestoreTested(result))
        return result

    # -- results

    def on_backup_screen_backup_written(self, message: BackupWritten) -> None:
        r = message.result
        if r.skipped:
            self.notify(
                f"Nothing changed since the last backup ({r.path.name}); nothing was written.",
                title="Backup",
            )
            self.refresh_tables()
            return
        kind = f" (incremental, {r.record.pages} pages)" if r.record.is_incremental else ""
        self.notify(
            f"Backup written and verified: {r.path.name}{kind}"
            + (f"; {len(r.pruned)} old generation(s) pruned" if r.pruned else ""),
            title="Backup",
        )
        self.refresh_tables()

    def on_backup_screen_backups_verified(self, message: BackupsVerified) -> None:
        bad = [o for o in message.outcomes if not o.ok and o.reachable]
        if bad:
            self.notify(
                "; ".join(f"{o.record.file_name}: {o.message}" for o in bad[:3]),
                title="Verification",
                severity="warning",
                timeout=12,
            )
        else:
            self.notify(
                f"All {sum(o.ok for o in message.outcomes)} connected backup(s) verified.",
                title="Verification",
            )
        self.refresh_tables()

    def on_backup_screen_restore_tested(self, message: RestoreTested) -> None:
        r = message.result
        self.notify(
            f"Restore test passed: {r.clients} clients, {r.notes} notes, audit chain "
            f"of {r.audit_entries} entries verified; the test copy was erased.",
            title="Restore test",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "backup":
            return
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, ConfideError):
                self.show_error(error)
            else:
                self.notify(f"Unexpected error ({type(error).__name__}).", severity="error")
            self.query_one("#backup-phase", Static).update("")
            self.refresh_tables()


def watch_drives_in_app(app: App[Any], vault: Vault) -> DriveWatcher:
    """Start the drive watcher for an unlocked vault; its events become notifications.

    The app calls this after unlocking and `.stop(wait=False)` on the result before locking
    (waiting from the app's thread could deadlock with a notification in flight).
    """

    def on_event(event: WatchEvent) -> None:
        if event.rollback is not None:
            show = getattr(app, "show_rollback", None)  # ConfideApp's: once per unlock
            if show is not None:
                app.call_from_thread(show, event.rollback)
            else:
                app.call_from_thread(
                    app.notify, event.message, title="Backup drive", severity="error", markup=False
                )
        elif event.kind in ("done", "failed", "error"):
            severity = "information" if event.kind == "done" else "error"
            text = event.message or event.kind
            app.call_from_thread(app.notify, text, title="Backup drive", severity=severity)
        elif event.kind == "started":
            app.call_from_thread(
                app.notify,
                f"Backup drive connected at {event.path}; writing a backup...",
                title="Backup drive",
            )

    def report(text: str) -> None:
        app.call_from_thread(app.notify, text, title="Backup drive")

    watcher = drive_watcher(vault, on_event, report)
    watcher.start()
    return watcher
