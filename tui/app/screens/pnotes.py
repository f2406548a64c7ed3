"""Psychotherapy notes: a separate, visibly different area, opened with the passphrase again.

Nothing here is reachable from search or the timeline. The area relocks itself after a short
idle time (the vault's `PsychotherapyNotes` keeps the clock); this screen then closes.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static, TextArea

from vault import ConfideError, OmitCategory, OmitSpan, PsychotherapyNote, PsychotherapyNotes

from ..widgets.flag_text_area import FlagTextArea, normalize_newlines, selection_to_flag
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import plain
from .base import VaultScreen
from .modals import ChoiceModal

CHECK_SECONDS = 1.0
AUTOSAVE_SECONDS = 3.0


class PsychotherapyScreen(VaultScreen):
    BINDINGS = [
        Binding("escape", "close", "Close (locks)"),
        Binding("ctrl+n", "new", "New note"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "flag", "Flag/unflag"),
    ]

    def __init__(self, client_id: int, pnotes: PsychotherapyNotes) -> None:
        super().__init__(classes="pnotes")
        self.client_id = client_id
        self.pnotes = pnotes
        self.current: PsychotherapyNote | None = None
        self._saved: tuple[str, tuple[OmitSpan, ...]] = ("", ())
        self._notes: list[PsychotherapyNote] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="pnotes-banner", markup=False)
        yield DataTable(id="pnotes-list", cursor_type="row")
        yield FlagTextArea(
            "",
            id="pnote-body",
            soft_wrap=True,
            placeholder="Type a psychotherapy note here; it saves by itself.",
        )
        yield Static("", id="pnotes-hidden", markup=False)
        yield Static("", id="pnotes-status", markup=False)
        yield AppFooter()

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
            plain(
                f"PSYCHOTHERAPY NOTES - {client} - kept apart from the record, never searched, "
                f"locks after {int(self.pnotes.idle_seconds)} s idle"
            )
        )
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
            first = note.body.split("\n", 1)[0]
            # An ellipsis where it is cut: "countertra" read as the whole of it.
            begins = "(hidden)" if hidden else first[:40] + ("…" if len(first) > 40 else "")
            # Text cells: a note beginning "[/]" as a str cell crashed the app (markup).
            table.add_row(
                plain(note.session_date or "-"),
                plain(f"P-{note.id:06d}"),
                plain(begins),
                key=str(note.id),
            )
        body = self.query_one("#pnote-body", TextArea)
        body.display = not hidden
        notice = self.query_one("#pnotes-hidden", Static)
        notice.display = hidden
        notice.update("Psychotherapy content is hidden in privacy mode (F2 shows it).")
        if self.current is None:
            self._status("ctrl+n starts a new note; enter on a row opens it.")

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#pnotes-status", Static)
        status.update(plain(message))
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
        self._load(self.current.body, self.current.spans)
        self._status(f"Editing P-{self.current.id:06d}.")

    def _load(self, text: str, spans: tuple[OmitSpan, ...] = ()) -> None:
        body = self.query_one("#pnote-body", FlagTextArea)
        # The text area keeps one style of line break; the flags move with the text.
        text, spans, _ = normalize_newlines(text, spans)
        body.load_text(text)
        body.set_spans(spans)
        self._saved = (body.text, body.spans)
        if not self.privacy:
            body.focus()

    def action_new(self) -> None:
        if self.capp.refuse_in_custodian_mode("writing psychotherapy notes"):
            return
        if self.save():
            self.current = None
            self._load("")
            self._status("New psychotherapy note: type, it saves by itself.")

    def save(self) -> bool:
        body = self.query_one("#pnote-body", FlagTextArea)
        text, spans = body.text, body.spans
        if (text, spans) == self._saved:
            return True
        try:
            if self.current is None:
                self.current = self.pnotes.add(
                    self.client_id, text, date.today().isoformat(), spans
                )
            else:
                self.current = self.pnotes.update(self.current.id, text, spans)
        except ConfideError as e:
            self._status(f"NOT SAVED: {e.message}", error=True)
            return False
        self._saved = (text, spans)
        if self.current.body != text:  # markers typed in the text became flags
            self._load(self.current.body, self.current.spans)
        self._status(f"Saved P-{self.current.id:06d} at {self.capp.wall_time()}.")
        self.reload()
        return True

    # -- flags, as in the progress-note editor: select, ctrl+o, pick why

    def action_flag(self) -> None:
        if self.capp.refuse_in_custodian_mode("flagging passages"):
            return
        if self.privacy or self.pnotes.is_locked:
            return
        body = self.query_one("#pnote-body", FlagTextArea)
        selection = selection_to_flag(body, self.notify, self._set_spans)
        if selection is None:
            return
        start, end = selection

        def picked(key: str | None) -> None:
            if key is None:
                return
            category = OmitCategory(key)
            self._set_spans(
                [*body.spans, OmitSpan(start, end, category)],
                f"Flagged as {category.label}; withheld from every release "
                "unless included on purpose.",
            )

        self.app.push_screen(
            ChoiceModal(
                "Why must this passage not leave the vault?",
                [(c.value, c.label) for c in OmitCategory],
            ),
            picked,
        )

    def _set_spans(self, spans: list[OmitSpan], done: str) -> None:
        body = self.query_one("#pnote-body", FlagTextArea)
        previous = body.spans
        body.set_spans(spans)
        if not self.save():
            body.set_spans(previous)
            return
        self._status(done)

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
