"""Psychotherapy notes: a separate, visibly different area, opened with the passphrase again.

Nothing here is reachable from search or the timeline. The area relocks itself after a short
idle time (the vault's `PsychotherapyNotes` keeps the clock); this screen then closes.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static, TextArea

from vault import ConfideError, PsychotherapyNote, PsychotherapyNotes

from ..widgets.header import SafeHeader
from ..widgets.safe import SafeTextArea, visible
from .base import VaultScreen

CHECK_SECONDS = 1.0
AUTOSAVE_SECONDS = 3.0


class PsychotherapyScreen(VaultScreen):
    BINDINGS = [
        Binding("escape", "close", "Close (locks)"),
        Binding("ctrl+n", "new", "New note"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, client_id: int, pnotes: PsychotherapyNotes) -> None:
        super().__init__(classes="pnotes")
        self.client_id = client_id
        self.pnotes = pnotes
        self.current: PsychotherapyNote | None = None
        self._saved_body = ""
        self._notes: list[PsychotherapyNote] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="pnotes-banner", markup=False)
        yield DataTable(id="pnotes-list", cursor_type="row")
        yield SafeTextArea("", id="pnote-body", soft_wrap=True,
                           placeholder="Type a psychotherapy note here; it saves by itself.")
        yield Static("", id="pnotes-hidden", markup=False)
        yield Static("", id="pnotes-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#pnotes-list", DataTable)
        table.add_column("Session", key="date")
        table.add_column("Note", key="id")
        table.add_column("Begins", key="begins")
        self.set_interval(CHECK_SECONDS, self.check_relock)
        self.set_interval(AUTOSAVE_SECONDS, self.autosave)
        self.reload()
        self.query_one("#pnote-body", TextArea).focus()

    def reload(self) -> None:
        client = self.capp.client_label_by_id(self.client_id)
        self.title = f"Psychotherapy notes: {client}"
        self.query_one("#pnotes-banner", Static).update(
            f"PSYCHOTHERAPY NOTES - {client} - kept apart from the record, never searched, "
            f"locks after {int(self.pnotes.idle_seconds)} s idle")
        try:
            self._notes = self.pnotes.list(self.client_id)
        except ConfideError as e:
            self.show_error(e)
            self.check_relock()
            return
        hidden = self.privacy
        table = self.query_one("#pnotes-list", DataTable)
        table.clear()
        for note in self._notes:
            begins = "(hidden)" if hidden else visible(note.body.split("\n", 1)[0][:40])
            table.add_row(note.session_date or "-", f"P-{note.id:06d}", begins,
                          key=str(note.id))
        body = self.query_one("#pnote-body", TextArea)
        body.display = not hidden
        notice = self.query_one("#pnotes-hidden", Static)
        notice.display = hidden
        notice.update("Psychotherapy content is hidden in privacy mode (F2 shows it).")
        if self.current is None:
            self._status("ctrl+n starts a new note; enter on a row opens it.")

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#pnotes-status", Static)
        status.update(message)
        status.set_class(error, "error")

    def privacy_changed(self) -> None:
        self.reload()

    @on(DataTable.RowSelected, "#pnotes-list")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if not self.save() or event.row_key.value is None:
            return
        try:
            self.current = self.pnotes.get(int(event.row_key.value))
        except ConfideError as e:
            self.show_error(e)
            return
        self._load(self.current.body)
        self._status(f"Editing P-{self.current.id:06d}.")

    def _load(self, text: str) -> None:
        body = self.query_one("#pnote-body", TextArea)
        body.load_text(text)
        self._saved_body = text
        if not self.privacy:
            body.focus()

    def action_new(self) -> None:
        if self.save():
            self.current = None
            self._load("")
            self._status("New psychotherapy note: type, it saves by itself.")

    def save(self) -> bool:
        text = self.query_one("#pnote-body", TextArea).text
        if text == self._saved_body:
            return True
        try:
            if self.current is None:
                self.current = self.pnotes.add(self.client_id, text, date.today().isoformat())
            else:
                self.current = self.pnotes.update(self.current.id, text)
        except ConfideError as e:
            self._status(f"NOT SAVED: {e.message}", error=True)
            return False
        self._saved_body = text
        self._status(f"Saved P-{self.current.id:06d} at {self.capp.wall_time()}.")
        self.reload()
        return True

    def action_save(self) -> None:
        self.save()

    def autosave(self) -> None:
        if not self.pnotes.is_locked:
            self.save()

    def before_lock(self) -> None:
        if not self.pnotes.is_locked:
            self.save()

    def check_relock(self) -> None:
        """Close the area once the vault's idle timer has locked it."""
        if not self.pnotes.is_locked or self not in self.app.screen_stack:
            return
        # Hidden at once, even under a modal; closed as soon as it is on top again.
        self.query_one("#pnote-body").display = False
        self.query_one("#pnotes-list", DataTable).clear()
        if self.app.screen is self:  # `is_current` is also true under a modal dialog
            self.notify("Psychotherapy notes locked after inactivity.", title="Locked")
            self.dismiss()

    def action_close(self) -> None:
        if self.app.screen is not self:
            return
        self.save()
        self.pnotes.lock()
        self.dismiss()
