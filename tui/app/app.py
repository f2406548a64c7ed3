"""The Confide terminal app: lock screen, clients, notes, search, privacy mode, auto-lock.

Thin on purpose: every record operation is a call into `vault`; screens render the results.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import constants, events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from vault import (
    AuthenticationError,
    ConfideError,
    CustodianReadOnlyError,
    NotAVaultError,
    plainly_a_vault,
)

from ..workflows.idle import idle_from_env, idle_words
from ..workflows.unlock import finish_interrupted_restore
from .crash import crash_report
from .screens.base import Location, VaultScreen
from .screens.lock import CreateVaultScreen, LockScreen, RecoveryKeyScreen
from .widgets.safe import visible

if TYPE_CHECKING:
    from backup.watch import DriveWatcher
    from vault import Client, KdfParams, RollbackWarning, Vault
    from vault.attachments.inbox import InboxWatcher

    from ..workflows.unlock import Tidied
    from .screens.search import NoteSearchProvider
    from .screens.timeline import TimelineScreen

# Launch draws the lock screen with only what it needs (issue 14): the screens after unlock,
# the core's keys, SQLCipher and records stack, backup and watchdog load where first used.


def _note_search_provider() -> type[NoteSearchProvider]:
    """The command palette's note search, imported when the palette first opens."""
    from .screens.search import NoteSearchProvider

    return NoteSearchProvider


KEPT_TIMELINE = "timeline"
RESTORE_TITLE = "Interrupted restore"
DEFAULT_PNOTES_IDLE_SECONDS = 120.0


def close_log_channels() -> None:
    """Stop Textual from writing log lines or screenshots (which can hold note text) anywhere.

    `TEXTUAL_LOG` makes every `log()` call append to a plain file, and the `devtools`/`debug`
    features send logs and stdout to a socket. Both are read at import time, so the constant
    is reset as well as the environment (for any child process).
    """
    os.environ.pop("TEXTUAL_LOG", None)
    features = [
        f
        for f in os.environ.get("TEXTUAL", "").split(",")
        if f.strip() and f.strip().lower() not in ("devtools", "debug")
    ]
    if features:
        os.environ["TEXTUAL"] = ",".join(features)
    else:
        os.environ.pop("TEXTUAL", None)
    setattr(constants, "LOG_FILE", None)  # noqa: B010 - a Final constant, reset on purpose
    # TEXTUAL_SCREENSHOT=N would write an SVG of the screen (note text) to disk after N s.
    for name in (
        "TEXTUAL_SCREENSHOT",
        "TEXTUAL_SCREENSHOT_LOCATION",
        "TEXTUAL_SCREENSHOT_FILENAME",
    ):
        os.environ.pop(name, None)
    setattr(constants, "SCREENSHOT_DELAY", -1)  # noqa: B010 - as above


close_log_channels()


class ConfideApp(App[None]):
    """`ConfideApp(folder=...)`; tests pass `clock`, short idle times and a cheap `kdf`."""

    TITLE = "Confide"
    CSS_PATH = "confide.tcss"
    COMMANDS = App.COMMANDS | {_note_search_provider}
    # Mouse selection copies to the terminal clipboard (OSC 52): note text would leave the app.
    ALLOW_SELECT = False
    # The footer (widgets/footer.py) shows these after the screen's own keys and drops Lock,
    # Privacy and Commands first when the terminal is narrow; `?` lists them all.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "search", "Search", priority=True),
        Binding("ctrl+l", "lock", "Lock", priority=True),
        Binding("f2", "toggle_privacy", "Privacy", priority=True),
        # F1 works inside a text field too; `?` is typed there, so it helps everywhere else.
        Binding("f1", "help", "Help", priority=True),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # The client list shows F3 in its footer; from any other screen it works the same.
        Binding("f3", "audit", "Audit log", show=False),
        Binding("f4", "practice", "Practice", show=False),
        # Tab between fields in every form, safe when keys come in a burst (a paste, tmux, a
        # fast typist): a plain Tab binding runs only after the key has gone through the
        # field's own queue, so the letters after it were already in the first field. A
        # priority binding runs in the app's queue, in order. No widget here types a Tab.
        Binding("tab", "focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True),
    ]

    privacy: reactive[bool] = reactive(False, init=False)

    def __init__(
        self,
        folder: Path,
        demo_passphrase: str | None = None,
        *,
        idle_seconds: float | None = None,
        pnotes_idle_seconds: float = DEFAULT_PNOTES_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = datetime.now,
        kdf: KdfParams | None = None,
        theme: str = "textual-dark",
        watch_drives: bool = False,
        watch_inbox: bool = False,
    ) -> None:
        close_log_channels()
        super().__init__()
        self.folder = folder
        self.demo_passphrase = demo_passphrase
        self._idle_problem = ""
        self.idle_seconds = idle_seconds if idle_seconds is not None else self._idle_from_env()
        self.pnotes_idle_seconds = pnotes_idle_seconds
        self.clock = clock
        self.wall_clock = wall_clock  # the time of day shown ("Saved at"); fixed in tests
        self.kdf = kdf
        self.vault: Vault | None = None
        self._last_activity = clock()
        self._resume: list[Location] = []
        self._kept_timeline: TimelineScreen | None = None
        self._quit_warned = False
        self._initial_theme = theme
        # The real app watches for the backup drive while unlocked; tests opt in.
        self.watch_drives = watch_drives
        self._drive_watcher: DriveWatcher | None = None
        # ...and empties the scanned-forms inbox folder, when one is set (tests opt in).
        self.watch_inbox = watch_inbox
        self._inbox_watcher: InboxWatcher | None = None
        self._rollbacks_shown: list[RollbackWarning] = []

    def _idle_from_env(self) -> float:
        """`CONFIDE_IDLE_MINUTES` (1 to 60) sets the auto-lock; anything else keeps 5 minutes."""
        seconds, self._idle_problem = idle_from_env()
        return seconds

    # -- start-up

    def on_mount(self) -> None:
        self.theme = self._initial_theme
        if self._idle_problem:
            self.notify(self._idle_problem, title="Auto-lock", severity="warning", timeout=10)
        self.set_interval(1.0, self.check_idle_lock)
        self._finish_interrupted_restore()
        if not plainly_a_vault(self.folder):  # none yet, or a key file half-written: decide now
            self.push_screen(self._first_screen())
            return
        # The usual case: the lock screen at once, while a worker reads the key file (and so
        # loads the core's crypto stack); a damaged one replaces it with the reason.
        self.push_screen(LockScreen(self.folder, self.demo_passphrase))
        self.run_worker(self._first_screen, thread=True, exit_on_error=False, group="first screen")

    def _first_screen(self) -> Screen[None]:
        from vault import inspect

        try:
            inspect(self.folder)
        except NotAVaultError:
            return CreateVaultScreen(self.folder, self.kdf)
        except ConfideError as e:
            return LockScreen(self.folder, self.demo_passphrase, message=e.message)
        return LockScreen(self.folder, self.demo_passphrase)

    def _replace_first_screen(self, first: Screen[None]) -> None:
        """What the key file said, unless the lock screen was already left (or re-entered)."""
        plain_lock = isinstance(first, LockScreen) and not first.message
        if plain_lock or self.vault is not None or len(self.screen_stack) != 2:
            return
        current = self.screen
        if isinstance(current, LockScreen) and not current.message:
            self.switch_screen(first)

    def _finish_interrupted_restore(self) -> None:
        """A `restore --force` killed part-way is finished before the vault is shown, as every
        CLI command does: the old vault it kept aside may hold records disposed of since."""
        try:
            tidied = finish_interrupted_restore(self.folder)
        except ConfideError as e:
            self.notify(e.message, title=RESTORE_TITLE, severity="error", timeout=30)
            return
        self.show_tidied(tidied)

    def show_tidied(self, tidied: Tidied) -> None:
        """What finishing an interrupted restore did, and what it left to the practitioner."""
        for line in tidied.done:
            self.notify(line, title=RESTORE_TITLE, timeout=15)
        for line in tidied.problems:
            self.notify(line, title=RESTORE_TITLE, severity="warning", timeout=30)

    def exit(self, result: None = None, return_code: int = 0, message: Any | None = None) -> None:
        """Every way out (ctrl+q, the palette's Quit) saves drafts and locks first.

        A draft the vault refuses (NUL, too long) holds the first quit with a warning; a second
        quit leaves without it, knowingly."""
        unsaved = [
            s
            for s in self.screen_stack
            if isinstance(s, VaultScreen) and self.vault is not None and not s.can_close()
        ]
        if unsaved and not self._quit_warned:
            self._quit_warned = True
            self.notify(
                "A note could not be saved (see its status line). Fix it, or quit "
                "again to leave without it.",
                title="Unsaved note",
                severity="error",
                timeout=15,
            )
            return
        problem = self._save_and_lock()
        if problem:  # shown on the terminal after the app has closed
            message, return_code = f"confide: {problem}", 1
        super().exit(result, return_code, message)

    def on_unmount(self) -> None:
        self._save_and_lock()

    def _save_and_lock(self) -> str | None:
        """Save drafts and lock; the error's message if the lock entry could not be written
        (the keys are wiped and the files closed regardless)."""
        vault = self.vault
        if vault is None:
            return None
        for screen in self.screen_stack:
            if isinstance(screen, VaultScreen):
                screen.before_lock()
        self._stop_drive_watch()
        self.vault = None
        try:
            vault.lock()
        except ConfideError as e:
            return e.message
        return None

    # -- unlocking and locking

    def _start_drive_watch(self) -> None:
        if self.in_custodian_mode:
            return  # backups and the inbox write to the record: the clinician's only
        if self.watch_drives and self.vault is not None and self._drive_watcher is None:
            from .screens.backup import watch_drives_in_app  # watchdog loads only when used

            self._drive_watcher = watch_drives_in_app(self, self.vault)
        if self.watch_inbox and self.vault is not None and self._inbox_watcher is None:
            from .screens.attachments import watch_inbox_in_app

            self._inbox_watcher = watch_inbox_in_app(self, self.vault)

    def _stop_drive_watch(self) -> None:
        watcher, self._drive_watcher = self._drive_watcher, None
        if watcher is not None:
            watcher.stop(wait=False)  # waiting here could deadlock with a notification
        inbox, self._inbox_watcher = self._inbox_watcher, None
        if inbox is not None:
            inbox.stop(wait=False)

    def on_lock_screen_restore_tidied(self, message: LockScreen.RestoreTidied) -> None:
        self.show_tidied(message.tidied)

    async def on_lock_screen_unlocked(self, message: LockScreen.Unlocked) -> None:
        self.vault = message.vault
        self._mark_custodian_mode()
        self._rollbacks_shown = []
        self._start_drive_watch()
        self.refresh_bindings()
        self._last_activity = self.clock()
        await self._show_home()
        self._warn_incidents()
        resume, self._resume = self._resume, []
        for kind, ident in resume:
            if kind == "timeline":
                self.open_client(ident)
            elif kind == "editor":
                from .screens.editor import NoteEditorScreen

                await self.push_screen(NoteEditorScreen(ident))

    async def on_create_vault_screen_created(self, message: CreateVaultScreen.Created) -> None:
        self.vault = message.vault
        self._start_drive_watch()
        self.refresh_bindings()
        self._last_activity = self.clock()
        await self.switch_screen(RecoveryKeyScreen(message.recovery_key))
        if message.imported:
            self.notify(message.imported, title="Import", timeout=10)

    async def on_recovery_key_screen_confirmed(self) -> None:
        await self._show_home()

    async def _show_home(self) -> None:
        from .screens.clients import ClientListScreen

        while len(self.screen_stack) > 2:
            await self.pop_screen()
        if self.in_custodian_mode:
            from .screens.custodian import CustodianScreen

            await self.switch_screen(CustodianScreen())
            return
        await self.switch_screen(ClientListScreen())

    # -- custodian mode (issue 16 part 2): read-only, marked on every screen's header

    @property
    def in_custodian_mode(self) -> bool:
        return self.vault is not None and self.vault.custodian_mode is not None

    def _mark_custodian_mode(self) -> None:
        self.set_class(self.in_custodian_mode, "-custodian")
        self._update_sub_title()

    def _update_sub_title(self) -> None:
        from .screens.custodian import CUSTODIAN_MARK

        marks = [CUSTODIAN_MARK] if self.in_custodian_mode else []
        if self.privacy:
            marks.append("PRIVACY MODE")
        self.sub_title = " | ".join(marks)

    def refuse_in_custodian_mode(self, what: str) -> bool:
        """In custodian mode, say that `what` is the clinician's and return True (the core
        would refuse it too; this says so before a form is filled in for nothing). The vault
        audits the refusal, as it does the core's."""
        vault = self.vault
        if vault is None or vault.custodian_mode is None:
            return False
        with contextlib.suppress(CustodianReadOnlyError):
            vault.require_clinician(what)
        self.notify(
            f"Custodian mode is read-only: {what} is for the clinician.",
            title="Custodian mode",
            severity="warning",
        )
        return True

    async def lock_vault(self, message: str = "Locked.") -> None:
        """Save drafts, drop the keys, clear every screen, show the lock screen."""
        vault = self.vault
        if vault is None:
            return
        locations: list[Location] = []
        lost = False
        for screen in self.screen_stack:
            if isinstance(screen, VaultScreen):
                lost = lost or not screen.can_close()
                screen.before_lock()
                location = screen.location()
                if location is not None:
                    locations.append(location)
        self._resume = locations
        if lost:  # locking cannot wait: the keys must go
            message += " A draft change the vault refused was discarded."
        self._stop_drive_watch()
        self.vault = None  # first, so timers on closing screens see a locked vault
        self._mark_custodian_mode()
        self.refresh_bindings()
        try:
            vault.lock()  # keys are wiped and files closed even when this raises
        except ConfideError as e:
            message = f"{message} (the lock entry could not be written: {e.message})"
        self._clipboard = ""
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(LockScreen(self.folder, self.demo_passphrase, message=message))
        self._drop_kept_screens()

    async def check_idle_lock(self) -> None:
        """Lock once nothing was typed or clicked for `idle_seconds` (called every second)."""
        if self.vault is not None and self.clock() - self._last_activity >= self.idle_seconds:
            when = idle_words(self.idle_seconds)
            await self.lock_vault(f"Locked after {when} without activity.")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            events.Key
            | events.MouseDown
            | events.MouseScrollDown
            | events.MouseScrollUp
            | events.Paste,
        ):
            self._last_activity = self.clock()
        await super().on_event(event)

    async def action_lock(self) -> None:
        await self.lock_vault("Locked.")

    # -- navigation used by screens and the command palette

    def client_label(self, client: Client) -> str:
        return client.initials if self.privacy else client.display_name

    def client_label_by_id(self, client_id: int) -> str:
        if self.vault is None:
            return f"C-{client_id:05d}"
        try:
            return self.client_label(self.vault.clients.get(client_id))
        except ConfideError:
            return f"C-{client_id:05d}"

    def wall_time(self) -> str:
        return self.wall_clock().strftime("%H:%M:%S")

    def open_client(self, client_id: int) -> None:
        if self.vault is None:
            return
        from .screens.timeline import TimelineScreen

        # One timeline screen is kept (installed) and refilled: building a screen's widgets
        # costs more than loading a client's notes. A second one is made only when the kept
        # one is already on the stack (e.g. a search opened from inside a timeline).
        kept = self._kept_timeline
        if kept is None:
            kept = self._kept_timeline = TimelineScreen(client_id)
            self.install_screen(kept, name=KEPT_TIMELINE)
        elif kept in self.screen_stack:
            self.push_screen(TimelineScreen(client_id))
            return
        else:
            kept.show_client(client_id)
        self.push_screen(KEPT_TIMELINE)

    def _drop_kept_screens(self) -> None:
        if self._kept_timeline is not None:
            self.uninstall_screen(KEPT_TIMELINE)
            self._kept_timeline = None

    def open_note(self, note_id: int, replace: bool = False) -> None:
        if self.vault is None:
            return
        from .screens.editor import NoteEditorScreen

        if replace:
            self.switch_screen(NoteEditorScreen(note_id))
        else:
            self.push_screen(NoteEditorScreen(note_id))

    def _current_client(self) -> int | None:
        from .screens.editor import NoteEditorScreen
        from .screens.timeline import TimelineScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, TimelineScreen):
                return screen.client_id
            if isinstance(screen, NoteEditorScreen) and screen.note is not None:
                return screen.note.client_id
        return None

    def action_new_note(self, client_id: int | None = None) -> None:
        client = client_id if client_id is not None else self._current_client()
        if self.vault is None or self.refuse_in_custodian_mode("writing notes"):
            return
        if client is None:
            self.notify(
                "Open a client first (pick one in the list), then write the note.", title="New note"
            )
            return

        from .screens.timeline import new_note, template_picker

        def picked(key: str | None) -> None:
            screen = self.screen
            if key is None or not isinstance(screen, VaultScreen):
                return
            note_id = new_note(screen, client, key)
            if note_id is not None:
                self.open_note(note_id)

        self.push_screen(template_picker(), picked)

    def action_search(self) -> None:
        from .screens.search import SearchScreen

        if self.vault is not None and not isinstance(self.screen, SearchScreen):
            self.push_screen(SearchScreen())

    def action_audit(self) -> None:
        if self.vault is not None:
            from .screens.audit import AuditScreen  # loaded on first use: faster launch

            if not isinstance(self.screen, (AuditScreen, ModalScreen)):
                self.push_screen(AuditScreen())

    def action_disposal(self) -> None:
        from .screens.disposal import DisposalScreen  # loaded on first use: faster launch

        if self.refuse_in_custodian_mode("disposal"):
            return
        if self.vault is not None and not isinstance(self.screen, DisposalScreen):
            self.push_screen(DisposalScreen())

    def action_backup(self) -> None:
        from .screens.backup import BackupScreen  # loaded on first use: faster launch

        # A backup writes its catalog in record.db, which custodian mode refuses; the
        # custodian's instructions (i) name the drives and their last backups.
        if self.refuse_in_custodian_mode("backing up"):
            return
        if self.vault is not None and not isinstance(self.screen, BackupScreen):
            self.push_screen(BackupScreen())

    def action_incidents(self) -> None:
        from .screens.incidents import IncidentsScreen  # loaded on first use

        if self.vault is not None and not isinstance(self.screen, IncidentsScreen):
            self.push_screen(IncidentsScreen())

    def show_rollback(self, warning: RollbackWarning) -> None:
        """A rollback found at unlock, or by the drive watcher on a connected backup drive:
        on screen until dismissed, once per unlock (both may find the same one)."""
        if warning in self._rollbacks_shown:
            return
        self._rollbacks_shown.append(warning)
        self.notify(
            warning.message,
            title="This vault is older than it should be",
            severity="error",
            timeout=3600,
            markup=False,
        )

    def _warn_incidents(self) -> None:
        """A breach's 60-day clock, on every unlock until the incident is closed."""
        from ..workflows.incidents import unlock_warnings

        if self.vault is not None:
            # An older record.db or key file found at this unlock (audited by the core): it
            # stays on screen until dismissed, never silent.
            for warning in self.vault.rollback_warnings:
                self.show_rollback(warning)
            for line in unlock_warnings(self.vault):
                self.notify(
                    f"{line}. Open Incidents from the command palette.",
                    title="Breach notification deadline",
                    severity="error",
                    timeout=60,
                )
            self._warn_access_requests()

    def _warn_access_requests(self) -> None:
        """Open requests for a copy and their 30-day clock, at every unlock until answered."""
        from .screens.access import open_request_lines

        if self.vault is None:
            return
        try:
            requests = self.vault.disclosures.access.requests(open_only=True)
        except ConfideError as e:
            self.notify(e.message, title=e.title, severity="error")
            return
        lines = open_request_lines(requests, date.today())
        if lines:
            self.notify(
                "\n".join(lines[:5])
                + (f"\n... and {len(lines) - 5} more" if len(lines) > 5 else "")
                + "\nOpen Right of access from the command palette.",
                title="Requests for a copy: 30 days to act",
                severity="warning",
                timeout=30,
            )

    def action_release(self) -> None:
        from .screens.release import ReleaseScreen  # loaded on first use: faster launch

        self._for_open_client(ReleaseScreen, "Release records")

    def action_export(self, error: str = "", path: str = "") -> None:
        """The open export (issue 16): a modal asks, a worker writes (scrypt takes seconds)."""
        from .screens.export import ExportModal, ExportRequest  # loaded on first use

        def entered(request: ExportRequest | None) -> None:
            vault = self.vault
            if request is None or vault is None:
                return
            from vault.openexport import export_record

            self.run_worker(
                partial(
                    export_record,
                    vault,
                    Path(request.path).expanduser(),
                    request.export_passphrase,
                    passphrase=request.passphrase,
                    include_pnotes=request.include_pnotes,
                ),
                name=request.path,
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="export",
            )

        if self.vault is not None and not isinstance(self.screen, ModalScreen):
            slot = self.vault.custodian_mode
            self.push_screen(
                ExportModal(
                    error, path, custodian=slot is not None, pnotes=slot is None or slot.pnotes
                ),
                entered,
            )

    def _export_done(self, worker: Worker[Any], state: WorkerState) -> None:
        if state is WorkerState.SUCCESS:
            from vault.openexport import ExportSummary

            summary = worker.result
            assert isinstance(summary, ExportSummary)
            self.notify(
                f"Wrote {summary.path}: {len(summary.clients)} clients, {summary.notes} notes"
                + (
                    ""
                    if summary.psychotherapy_notes is None
                    else f", {summary.psychotherapy_notes} psychotherapy notes"
                )
                + ". It is a copy outside the vault: keep it safe.",
                title="Export written",
                timeout=15,
            )
        elif state is WorkerState.ERROR:
            error = worker.error
            if isinstance(error, ConfideError):
                # Asked again with the path kept, as a wrong passphrase is elsewhere.
                self.action_export(f"{error.message}; nothing was written.", worker.name)
            else:
                self._error(error)

    def action_consult(self) -> None:
        from .screens.consult import ConsultScreen  # loaded on first use

        self._for_open_client(ConsultScreen, "Case summary")

    def action_practice(self) -> None:
        from .screens.practice import PracticeScreen  # loaded on first use

        if self.vault is not None and not isinstance(self.screen, ModalScreen):
            self.push_screen(PracticeScreen())

    def action_access(self) -> None:
        from .screens.access import AccessScreen  # loaded on first use

        self._for_open_client(AccessScreen, "Right of access")

    def action_notices(self) -> None:
        from .screens.notices import NoticesScreen  # loaded on first use

        if self.vault is not None and not isinstance(self.screen, ModalScreen):
            self.push_screen(NoticesScreen())

    def action_authorizations(self) -> None:
        from .screens.release import AuthorizationsScreen  # loaded on first use

        self._for_open_client(AuthorizationsScreen, "Authorizations")

    def _for_open_client(self, screen_type: Callable[[int], Screen[Any]], what: str) -> None:
        client = self._current_client()
        if self.vault is None:
            return
        if client is None:
            # From the client list, the highlighted client is the one meant (its name is in
            # the opened screen's title), rather than "open a client first".
            top = next(
                (s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)), None
            )
            from .screens.clients import ClientListScreen

            if isinstance(top, ClientListScreen):
                client = top.highlighted_client()
            else:  # Release records <-> Authorizations: the same client
                shown = getattr(top, "client_id", None)
                client = shown if isinstance(shown, int) else None
        if client is None:
            self.notify(f"Pick a client in the list first, then choose {what} again.", title=what)
            return
        self.push_screen(screen_type(client))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in (
            "lock",
            "toggle_privacy",
            "search",
            "audit",
            "practice",
            "new_note",
            "change_passphrase",
        ):
            # Hidden from the footer while locked, and while the recovery key is on screen.
            return self.vault is not None and not isinstance(self.screen, RecoveryKeyScreen)
        return True

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_privacy(self) -> None:
        self.privacy = not self.privacy

    def watch_privacy(self, privacy: bool) -> None:
        self._update_sub_title()
        self.set_class(privacy, "-privacy")
        for screen in self.screen_stack:
            if isinstance(screen, VaultScreen):
                screen.privacy_changed()
        self.notify(
            "Privacy mode on: initials only, flagged and psychotherapy text hidden."
            if privacy
            else "Privacy mode off.",
            title="Privacy",
        )

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # -- psychotherapy notes: fresh authentication in a worker

    def open_pnotes(self, client_id: int, error: str = "") -> None:
        if self.vault is None:
            return
        if self.privacy:
            self.notify(
                "Psychotherapy notes stay closed in privacy mode (F2 leaves it).",
                title="Privacy mode",
                severity="warning",
            )
            return

        def entered(passphrase: str | None) -> None:
            vault = self.vault
            if passphrase is None or vault is None:
                return
            self.run_worker(
                partial(
                    vault.open_psychotherapy_notes,
                    passphrase,
                    idle_seconds=self.pnotes_idle_seconds,
                    clock=self.clock,
                    on_upgrade=self._pnotes_upgrading,
                ),
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="pnotes",
                name=str(client_id),
            )

        from .screens.modals import PassphraseModal

        self.push_screen(
            PassphraseModal(
                "Psychotherapy notes are kept apart. Enter your passphrase again to open them.",
                error,
            ),
            entered,
        )

    def _pnotes_upgrading(self, line: str) -> None:
        # From the opening worker: the psychotherapy-notes database is upgraded once after an
        # update (its search index rebuilt), which can take a while; say so meanwhile.
        self.call_from_thread(self.notify, line, title="Opening psychotherapy notes", timeout=60)

    def action_change_passphrase(self, error: str = "") -> None:
        if self.refuse_in_custodian_mode("changing the passphrase"):
            return

        def entered(result: tuple[str, str] | None) -> None:
            vault = self.vault
            if result is None or vault is None:
                return
            self.run_worker(
                partial(vault.change_passphrase, *result),
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="passphrase",
            )

        if self.vault is not None:
            from .screens.modals import ChangePassphraseModal

            self.push_screen(ChangePassphraseModal(error), entered)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.group == "first screen":
            if event.state is WorkerState.SUCCESS and isinstance(worker.result, Screen):
                self._replace_first_screen(worker.result)
            elif event.state is WorkerState.ERROR:
                self._error(worker.error)
        elif worker.group == "pnotes":
            if event.state is WorkerState.SUCCESS and self.vault is not None:
                from vault import PsychotherapyNotes

                assert isinstance(worker.result, PsychotherapyNotes)
                from .screens.pnotes import PsychotherapyScreen  # loaded on first use

                self.push_screen(PsychotherapyScreen(int(worker.name), worker.result))
            elif event.state is WorkerState.ERROR:
                if isinstance(worker.error, AuthenticationError):
                    self.open_pnotes(int(worker.name), "Wrong passphrase. Try again.")
                else:
                    self._error(worker.error)
        elif worker.group == "export":
            self._export_done(worker, event.state)
        elif worker.group == "passphrase":
            if event.state is WorkerState.SUCCESS:
                self.notify("Passphrase changed. Use the new one from now on.", title="Passphrase")
            elif event.state is WorkerState.ERROR:
                error = worker.error
                if isinstance(error, AuthenticationError):
                    # Asked again at once, like the psychotherapy-notes re-entry.
                    self.action_change_passphrase(
                        "The current passphrase is wrong; nothing was changed. Try again."
                    )
                else:
                    self._error(error)

    def _error(self, error: BaseException | None) -> None:
        if isinstance(error, ConfideError):
            self.notify(error.message, title=error.title, severity="error", timeout=10)
        else:
            self.notify(f"Unexpected error ({type(error).__name__}).", severity="error")

    # -- the command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's own commands minus "Screenshot", which writes the screen (note text) to disk.
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command
        yield SystemCommand(
            "Light/dark", "Switch between the light and dark theme", self.action_toggle_dark
        )
        if self.vault is None:
            return
        yield SystemCommand("Lock", "Lock the vault now (ctrl+l)", self.action_lock)
        yield SystemCommand("New note", "Write a note for the open client", self.action_new_note)
        yield SystemCommand(
            "Search notes", "Search the general record (ctrl+f)", self.action_search
        )
        from .screens.editor import NoteEditorScreen

        if (
            isinstance(screen, NoteEditorScreen)
            and screen.note is not None
            and not screen.note.is_signed
        ):
            yield SystemCommand(
                "Discard draft", "Delete this unsigned draft (asks first)", screen.action_discard
            )
        yield SystemCommand(
            "Privacy mode", "Initials only, flagged text hidden (F2)", self.action_toggle_privacy
        )
        yield SystemCommand(
            "Change passphrase",
            "Re-wrap the keys under a new passphrase",
            self.action_change_passphrase,
        )
        yield SystemCommand(
            "Audit log", "The audit log and its chain verification", self.action_audit
        )
        yield SystemCommand(
            "Disposal",
            "Clients past retention: dispose of them, verify, certificates",
            self.action_disposal,
        )
        yield SystemCommand(
            "Backup", "Drives and backups: back up now, verify, test a restore", self.action_backup
        )
        yield SystemCommand(
            "Incidents",
            "Lost drives and other incidents: assess, conclude, notify (the breach clock)",
            self.action_incidents,
        )
        yield SystemCommand(
            "Release records",
            "Release the open client's records (preview first)",
            self.action_release,
        )
        yield SystemCommand(
            "Authorizations", "The open client's release authorizations", self.action_authorizations
        )
        yield SystemCommand(
            "Right of access",
            "The open client's access requests and due dates, denials, representatives",
            self.action_access,
        )
        yield SystemCommand(
            "Confidentiality notice",
            "Active clients whose notice is missing, outdated or unsigned; write and record it",
            self.action_notices,
        )
        yield SystemCommand(
            "Export the record",
            "The whole record as an age-encrypted open export, readable without Confide",
            self.action_export,
        )
        yield SystemCommand(
            "Case summary",
            "A de-identified summary of the open client's notes, for supervision (reviewed first)",
            self.action_consult,
        )
        yield SystemCommand(
            "Practice settings",
            "Practice name, clinician, address and phone on every release (F4)",
            self.action_practice,
        )

    # -- no plaintext escape hatches

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is plain text: messages carry drive labels, file names and error
        text that a hostile USB stick or note could fill with `[@click=...]` markup."""
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    def action_help_quit(self) -> None:
        """Ctrl+C: Textual's own hint is written in markup, which a plain notification would
        show as `[b]ctrl+q[/b]`."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app.", title="Do you want to quit?")
                return

    # -- the crash handler

    def _handle_exception(self, error: Exception) -> None:
        """Any unhandled error ends the app with one generic line and a reference.

        Textual's handler prints a traceback with every frame's local variables (a note's
        text, a client's name) to the terminal, where it stays in scrollback. Here the keys
        are dropped, the terminal is restored as on any exit, and only the error's type and
        code locations are kept (`crash_report`): never its message, never a local."""
        self._return_code = 1
        if self._exception is None:  # Pilot re-raises it at the end of a test, as Textual does
            self._exception = error
            self._exception_event.set()
        try:
            self._save_and_lock()
        except Exception:  # noqa: BLE001 - already failing: at least drop the keys
            vault, self.vault = self.vault, None
            if vault is not None:
                with contextlib.suppress(Exception):
                    vault.lock()
        self._exit_renderables.append(Text(crash_report(error), end="\n"))
        self._close_messages_no_wait()

    def copy_to_clipboard(self, text: str) -> None:
        """Copy within the app only: no OSC 52, so nothing reaches the terminal's clipboard."""
        self._clipboard = text

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self._refuse_screenshot()

    def save_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str:
        self._refuse_screenshot()
        return ""

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        self._refuse_screenshot()
        return None

    def _refuse_screenshot(self) -> None:
        self.notify(
            "Screenshots are disabled: they would write note text to disk.",
            title="Not allowed",
            severity="warning",
        )
