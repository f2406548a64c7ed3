"""The note editor: session metadata, the body, omission flags, autosave, sign and addenda."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import ScreenSuspend
from textual.widgets import Input, Label, Static, TextArea

from vault import ConfideError, EntryType, Note, OmitCategory, OmitSpan, SessionInfo
from vault.records.markup import render_withheld
from vault.timefmt import local_time

from ..widgets.flag_text_area import (
    FlagTextArea,
    category_style,
    normalize_newlines,
    selection_to_flag,
    spans_back,
)
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain, visible
from .base import Location, VaultScreen
from .modals import ChoiceModal, ConfirmModal
from .timeline import template_title

AUTOSAVE_SECONDS = 3.0

# (input id, label, SessionInfo field)
META_FIELDS = [
    ("meta-date", "Date", "session_date"),
    ("meta-start", "Start", "start_time"),
    ("meta-end", "End", "end_time"),
    ("meta-code", "Code", "service_code"),
    ("meta-modality", "Modality", "modality"),
    ("meta-dx", "Diagnoses", "diagnosis_codes"),
]
# Compact inputs have no border: an empty one looked like blank space, not a field to fill.
META_PLACEHOLDERS = {
    "meta-date": "YYYY-MM-DD",
    "meta-start": "HH:MM",
    "meta-end": "HH:MM",
    "meta-code": "e.g. 90834",
    "meta-modality": "e.g. in person",
    "meta-dx": "e.g. F41.1, F32.0",
}


class NoteEditorScreen(VaultScreen):
    """Drafts are editable and saved every few seconds; signed notes are read-only."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "flag", "Flag/unflag"),
        Binding("ctrl+g", "sign", "Sign"),
        Binding("ctrl+n", "addendum", "Addendum"),
    ]

    def __init__(self, note_id: int) -> None:
        super().__init__()
        self.note_id = note_id
        self.note: Note | None = None
        self._saved: tuple[str, tuple[OmitSpan, ...], SessionInfo] | None = None
        self._last_error = ""
        self._in_span = False
        self._back: list[int] | None = None  # new -> stored offsets, if line breaks changed
        # Shown beside the body, read-only: the note an addendum amends, a note's addenda.
        self.amended: Note | None = None
        self.addenda: list[Note] = []

    # -- layout

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="note-title", markup=False)
        with Horizontal(id="meta"):
            for field_id, label, _ in META_FIELDS:
                with Vertical(classes="meta-field", id=f"{field_id}-box"):
                    yield Label(label)
                    yield SafeInput(
                        id=field_id, compact=True, placeholder=META_PLACEHOLDERS[field_id]
                    )
        with VerticalScroll(id="amends-box", classes="related"):
            yield Static("", id="amends", markup=False)
        yield FlagTextArea("", id="body", soft_wrap=True)
        yield Static("", id="privacy-view", markup=False)
        with VerticalScroll(id="addenda-box", classes="related"):
            yield Static("", id="addenda", markup=False)
        yield Static("", id="flags", markup=False)
        yield Static("", id="editor-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        try:
            self.note = self.vault.notes.get(self.note_id)
        except ConfideError as e:
            self.show_error(e)
            self.app.pop_screen()
            return
        note = self.note
        try:
            if note.entry_type is EntryType.ADDENDUM and note.parent_id is not None:
                self.amended = self.vault.notes.get(note.parent_id)
            elif note.is_signed:
                self.addenda = self.vault.notes.addenda(note.id)
        except ConfideError as e:
            self.show_error(e)
        body = self.query_one("#body", FlagTextArea)
        text, spans, self._back = normalize_newlines(note.body, note.spans)
        body.load_text(text)
        body.set_spans(spans)
        for field_id, _, attr in META_FIELDS:
            value = getattr(note.session, attr)
            if attr == "diagnosis_codes":
                value = ", ".join(value)
            self.query_one(f"#{field_id}", Input).value = value or ""
        self._saved = self._state()
        self._apply_mode()
        self.set_interval(AUTOSAVE_SECONDS, self.autosave)
        body.focus()

    def _apply_mode(self) -> None:
        note = self.note
        if note is None:
            return
        signed = note.is_signed
        # In custodian mode a draft is shown as it is and cannot be typed into (the core
        # refuses any save; this keeps autosave from failing every few seconds).
        locked = signed or self.capp.in_custodian_mode
        body = self.query_one("#body", FlagTextArea)
        body.read_only = locked
        for field_id, _, _ in META_FIELDS:
            field = self.query_one(f"#{field_id}", Input)
            field.disabled = locked
            field.placeholder = "" if signed else META_PLACEHOLDERS[field_id]
        if note.entry_type is EntryType.ADDENDUM:
            self.query_one("#meta").display = False
        client = self.capp.client_label_by_id(note.client_id)
        kind = {
            EntryType.ADDENDUM: f"Addendum to N-{note.parent_id or 0:06d}",
            EntryType.LATE_ENTRY: f"LATE ENTRY ({note.late_reason}) "
            f"{template_title(note.template)}",
        }.get(note.entry_type, template_title(note.template))
        # The clinician's own clock and zone, not the stored UTC.
        state = f"SIGNED {local_time(note.signed_at)}" if signed else "DRAFT"
        self.title = f"{note.record_id} {client}"
        title = self.query_one("#note-title", Static)
        title.update(plain(f"{client}  {note.record_id}  {kind}  [{state}]"))
        title.set_class(signed, "signed")
        title.set_class(not signed, "draft")
        privacy = self.privacy
        body.display = not privacy
        view = self.query_one("#privacy-view", Static)
        view.display = privacy
        if privacy:
            view.update(plain(render_withheld(body.text, body.spans, note.omit_category)))
        self._show_related()
        self._show_flags()
        self._status(
            "Custodian mode: read-only."
            if self.capp.in_custodian_mode
            else "Signed: read-only. ctrl+n writes an addendum."
            if signed
            else "Draft: saved automatically every few seconds."
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        signed = self.note is not None and self.note.is_signed
        if action == "sign" or action == "save":
            return not signed
        if action == "addendum":
            return (
                signed and self.note is not None and self.note.entry_type is not EntryType.ADDENDUM
            )
        return True

    def _note_text(self, note: Note) -> str:
        """A related note's text as this screen shows text: withheld in privacy mode."""
        if self.privacy:
            return render_withheld(note.body, note.spans, note.omit_category)
        return note.body

    def _show_related(self) -> None:
        amends_box = self.query_one("#amends-box")
        addenda_box = self.query_one("#addenda-box")
        parent = self.amended
        amends_box.display = parent is not None
        if parent is not None:
            stamp = local_time(parent.signed_at) if parent.signed_at else "draft"
            text = Text.assemble(
                (f"Amends {parent.record_id}", "bold"),
                plain(
                    f"  {template_title(parent.template)}  session "
                    f"{parent.session.session_date or '-'}  signed {stamp} (read-only)"
                ),
                "\n",
                plain(self._note_text(parent)),
            )
            self.query_one("#amends", Static).update(text)
        addenda_box.display = bool(self.addenda)
        if self.addenda:
            count = len(self.addenda)
            text = Text(f"{count} addendum" if count == 1 else f"{count} addenda", style="bold")
            for addendum in self.addenda:
                stamp = (
                    f"signed {local_time(addendum.signed_at)}" if addendum.signed_at else "DRAFT"
                )
                text.append("\n")
                text.append_text(plain(f"{addendum.record_id}  {stamp}", style="bold"))
                text.append("\n")
                text.append_text(plain(self._note_text(addendum)))
            self.query_one("#addenda", Static).update(text)

    def _show_flags(self) -> None:
        body = self.query_one("#body", FlagTextArea)
        flags = self.query_one("#flags", Static)
        if not body.spans:
            flags.update(plain("No flagged passages. Select text and press ctrl+o to flag it."))
            return
        text = Text("Flagged: ")
        for index, span in enumerate(body.spans):
            if index:
                text.append("  ")
            label = span.category.label
            note = self.note
            if note is not None and span.about not in (None, note.client_id):
                label += f" ({self.capp.client_label_by_id(span.about or 0)}'s)"
            if not self.privacy:
                excerpt = visible(body.text[span.start : span.end].replace("\n", " "))
                label += ": " + (excerpt[:24] + "…" if len(excerpt) > 25 else excerpt)
            text.append(f" {label} ", style=category_style(span.category))
        flags.update(text)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#editor-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    def privacy_changed(self) -> None:
        self._apply_mode()
        if not self.privacy and self.is_current:
            self.query_one("#body", FlagTextArea).focus()  # it lost focus while hidden

    def location(self) -> Location | None:
        return ("editor", self.note_id)

    # -- saving

    def _state(self) -> tuple[str, tuple[OmitSpan, ...], SessionInfo]:
        body = self.query_one("#body", FlagTextArea)
        values = {
            attr: self.query_one(f"#{field_id}", Input).value.strip() or None
            for field_id, _, attr in META_FIELDS
        }
        codes = tuple(c for c in re.split(r"[,\s]+", values.pop("diagnosis_codes") or "") if c)
        return body.text, body.spans, SessionInfo(**values, diagnosis_codes=codes)

    @property
    def dirty(self) -> bool:
        note = self.note
        return note is not None and not note.is_signed and self._state() != self._saved

    def save(self) -> bool:
        """Save the draft if it changed. On error the text stays here and the error shows."""
        note = self.note
        if note is None or note.is_signed or self.capp.vault is None:
            return True
        state = self._state()
        if state == self._saved:
            return True
        body, spans, session = state
        try:
            self.note = self.vault.notes.save_draft(
                note.id,
                body=body,
                spans=spans,
                session=None if note.entry_type is EntryType.ADDENDUM else session,
            )
        except ConfideError as e:
            message = f"NOT SAVED: {e.message}. Your text is still here; fix it and save again."
            self._status(message, error=True)
            if message != self._last_error:
                self.notify(e.message, title="Note not saved", severity="error", timeout=10)
            self._last_error = message
            return False
        self._saved = state
        if self.note.body != body:
            # Omission markers typed in the text became flags: show them as flags.
            area = self.query_one("#body", FlagTextArea)
            text, spans, self._back = normalize_newlines(self.note.body, self.note.spans)
            area.load_text(text)
            area.set_spans(spans)
            self._saved = self._state()
            self._show_flags()
        self._last_error = ""
        self._status(f"Saved at {self.capp.wall_time()}.")
        return True

    def autosave(self) -> None:
        if self.capp.vault is not None and self.dirty:
            self.save()

    def before_lock(self) -> None:
        self.save()

    def can_close(self) -> bool:
        return self.save()

    def on_screen_suspend(self, event: ScreenSuspend) -> None:
        self.autosave()

    @on(TextArea.Changed, "#body")
    def body_changed(self) -> None:
        self._show_flags()

    @on(TextArea.SelectionChanged, "#body")
    def cursor_moved(self) -> None:
        """Name the category of the flagged passage under the cursor."""
        body = self.query_one("#body", FlagTextArea)
        start, end = body.selection_offsets()
        span = body.span_at(start) if start == end else None
        if span is not None:
            self._status(f"In a flagged passage ({span.category.label}): ctrl+o unflags it.")
            self._in_span = True
        elif self._in_span:
            self._in_span = False
            self._status(
                "Select text and press ctrl+o to flag it."
                if not self.note or not self.note.is_signed
                else "Signed: read-only."
            )

    def action_save(self) -> None:
        if self.capp.refuse_in_custodian_mode("writing notes"):
            return
        note = self.note
        if note is not None and not note.is_signed and not self.dirty:
            # ctrl+s with nothing new said nothing: say that the draft is already stored.
            self._status(
                f"Nothing to save: no changes since the last save. {note.record_id} is stored.",
            )
            self.notify("No changes to save.", title="Save")
            return
        self.save()

    def action_back(self) -> None:
        if self.save():
            self.app.pop_screen()

    # -- flags

    def action_flag(self) -> None:
        if self.capp.refuse_in_custodian_mode("flagging passages"):
            return
        note = self.note
        if note is None or self.privacy:
            return
        body = self.query_one("#body", FlagTextArea)
        selection = selection_to_flag(body, self.notify, self._set_spans)
        if selection is None:
            return
        start, end = selection

        def picked(key: str | None) -> None:
            if key is None:
                return
            category = OmitCategory(key)
            if len(note.participant_ids) < 2:
                self._set_spans(
                    [*body.spans, OmitSpan(start, end, category)], f"Flagged as {category.label}."
                )
                return

            def whose(person: str | None) -> None:
                # A joint note: another participant's passage never leaves in this client's
                # release, even when its category is included on purpose.
                if person is None:
                    return
                about = int(person)
                self._set_spans(
                    [*body.spans, OmitSpan(start, end, category, about)],
                    f"Flagged as {category.label}, "
                    f"{self.capp.client_label_by_id(about)}'s passage.",
                )

            self.app.push_screen(
                ChoiceModal(
                    "Whose passage is this? Only their own release can carry it.",
                    [(str(c), self.capp.client_label_by_id(c)) for c in note.participant_ids],
                ),
                whose,
            )

        self.app.push_screen(
            ChoiceModal(
                "Why must this passage not leave the vault?",
                [(c.value, c.label) for c in OmitCategory],
            ),
            picked,
        )

    def _set_spans(self, spans: list[OmitSpan], done: str) -> None:
        body = self.query_one("#body", FlagTextArea)
        previous = body.spans
        body.set_spans(spans)
        note = self.note
        assert note is not None
        if note.is_signed:
            try:
                # A signed body is never rewritten, so its flags go back in its own offsets.
                self.note = self.vault.notes.set_flags(note.id, spans_back(body.spans, self._back))
            except ConfideError as e:
                body.set_spans(previous)
                self.show_error(e)
                return
        elif not self.save():
            return
        self._show_flags()
        self._status(done)

    # -- sign and addenda

    def action_sign(self) -> None:
        if self.capp.refuse_in_custodian_mode("signing notes"):
            return
        note = self.note
        if note is None or note.is_signed or not self.save():
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.note = self.vault.notes.sign(note.id)
            except ConfideError as e:
                self.show_error(e)
                return
            self._saved = self._state()
            self._apply_mode()
            self.notify(f"{note.record_id} signed.")

        self.app.push_screen(
            ConfirmModal(
                f"Sign {note.record_id}? A signed note can never be changed; later corrections "
                "become addenda.",
                yes="Sign",
            ),
            confirmed,
        )

    def action_discard(self) -> None:
        """Delete this draft after confirmation (from the command palette)."""
        if self.capp.refuse_in_custodian_mode("discarding drafts"):
            return
        note = self.note
        if note is None or note.is_signed:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.vault.notes.discard_draft(note.id)
            except ConfideError as e:
                self.show_error(e)
                return
            self.note = None  # nothing left to save
            self.notify(f"Draft {note.record_id} discarded.")
            self.app.pop_screen()

        self.app.push_screen(
            ConfirmModal(
                f"Discard the draft {note.record_id}? Its text is deleted from the vault; this "
                "cannot be undone.",
                yes="Discard",
            ),
            confirmed,
        )

    def action_addendum(self) -> None:
        if self.capp.refuse_in_custodian_mode("writing addenda"):
            return
        note = self.note
        if note is None or not note.is_signed:
            return
        try:
            addendum = self.vault.notes.addend(note.id, "", sign=False)
        except ConfideError as e:
            self.show_error(e)
            return
        self.capp.open_note(addendum.id, replace=True)
