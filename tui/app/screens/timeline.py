"""A client's timeline: every general-record note, newest session first, addenda under parents."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from vault import TEMPLATES, Client, ConfideError, EntryType, NoteSummary, SessionInfo

from ...workflows.retention import policy_choices, retention_summary
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import plain
from .base import Location, ReloadingScreen, VaultScreen
from .clients import ClientFormModal
from .modals import ChoiceModal, LateEntryModal


def template_title(key: str) -> str:
    template = TEMPLATES.get(key)
    return template.title if template else key


def entry_label(note: NoteSummary) -> Text:
    """The kind column: addenda and late entries are marked so they cannot be missed."""
    if note.entry_type is EntryType.ADDENDUM:
        return Text(f"  ↳ ADDENDUM to N-{note.parent_id or 0:06d}", style="bold")
    label = plain(template_title(note.template))
    if note.entry_type is EntryType.LATE_ENTRY:
        label = Text.assemble(("LATE ENTRY ", "bold reverse"), label)
    return label


def status_label(note: NoteSummary, addenda: int = 0) -> Text:
    if note.signed_at:
        # The time is in the note itself; its addenda are counted so they cannot be missed.
        if addenda:
            return Text(f"signed +{addenda} add.", style="bold")
        return Text("signed")
    return Text("DRAFT", style="bold reverse")


class TimelineScreen(ReloadingScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "new_note", "New note"),
        Binding("l", "late_entry", "Late entry"),
        Binding("e", "edit_client", "Edit"),
        Binding("p", "pnotes", "Psych notes"),
        Binding("a", "attachments", "Attachments"),
        Binding("c", "consult", "Case summary"),
    ]

    DEFAULT_CSS = """
    TimelineScreen #client-retention { padding: 0 1; color: $text-muted; }
    """

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.client: Client | None = None

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="client-header", markup=False)
        yield Static("", id="client-retention", markup=False)
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static("", id="timeline-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#timeline", DataTable)
        table.add_column("Session", key="date")
        table.add_column("Note", key="id")
        table.add_column("Kind", key="kind")
        table.add_column("Status", key="status")
        table.add_column("Flags", key="flags")
        self.reload()
        table.focus()

    def reload(self) -> None:
        try:
            self.client = self.vault.clients.get(self.client_id)
            notes = self.vault.notes.timeline(self.client_id)
        except ConfideError as e:
            self.show_error(e)
            return
        client = self.client
        name = self.capp.client_label(client)
        self.title = name
        born = "" if self.privacy or not client.date_of_birth else f"  born {client.date_of_birth}"
        notice = self.vault.disclosures.notices.status(client.id).state.value
        self.query_one("#client-header", Static).update(
            plain(f"{name}  {client.record_id}  {client.status.value}{born}  notice: {notice}")
        )
        try:
            retention = retention_summary(self.vault, self.client_id)
        except ConfideError as e:
            retention = f"Retention: {e.message}"
        self.query_one("#client-retention", Static).update(plain(retention))
        table = self.query_one("#timeline", DataTable)
        # Back from a note the cursor stays on that note, not on the newest one.
        was = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if table.row_count
            else None
        )
        table.clear()
        addenda = Counter(n.parent_id for n in notes if n.entry_type is EntryType.ADDENDUM)
        for note in notes:
            flags = Text("")
            if note.omit_category:
                flags = Text(f"whole note: {note.omit_category.label}")
            elif note.flagged_passages:
                flags = Text(f"{note.flagged_passages} flagged")
            if note.participant_count > 1:
                # A space only after a flag: alone, " group (2)" stood out of its column.
                flags.append(f"{' ' if flags.plain else ''}group ({note.participant_count})")
            table.add_row(
                plain(note.session_date or "-"),
                plain(note.record_id),
                entry_label(note),
                status_label(note, addenda[note.id]),
                flags,
                key=str(note.id),
            )
        if was is not None and was in table.rows:
            table.move_cursor(row=table.get_row_index(was), animate=False)
        self.query_one("#timeline-hint", Static).update(
            f"{len(notes)} note{'s' if len(notes) != 1 else ''}. Enter opens; n writes a new note."
            if notes
            else "No notes yet. Press n to write the first note."
        )

    def show_client(self, client_id: int) -> None:
        """Refill this (kept) screen for another client before it is shown again."""
        self.client_id = client_id
        self.client = None
        self.reload()
        self.query_one("#timeline", DataTable).move_cursor(row=0)
        self._fresh = True  # the resume that follows needs no second load

    def location(self) -> Location | None:
        return ("timeline", self.client_id)

    @on(DataTable.RowSelected, "#timeline")
    def open_note(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.capp.open_note(int(event.row_key.value))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_new_note(self) -> None:
        self.capp.action_new_note(self.client_id)

    def action_late_entry(self) -> None:
        if self.capp.refuse_in_custodian_mode("writing late entries"):
            return

        def reason_given(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            template, (day, reason) = chosen["template"], result
            try:
                note = self.vault.notes.late_entry(self.client_id, template, day, reason)
            except ConfideError as e:
                self.show_error(e)
                return
            self.capp.open_note(note.id)

        chosen: dict[str, Any] = {}

        def template_picked(key: str | None) -> None:
            if key is None:
                return
            chosen["template"] = key
            self.app.push_screen(LateEntryModal(), reason_given)

        # Said in the question: the same picker as a new note's, and a late entry is not one.
        self.app.push_screen(
            template_picker("Late entry (a note written after the fact): its template"),
            template_picked,
        )

    def action_edit_client(self) -> None:
        if self.client is None or self.capp.refuse_in_custodian_mode("editing clients"):
            return
        client_id = self.client_id

        def save(fields: dict[str, Any]) -> Client:
            policy = fields["retention_policy"]
            if policy is not None:
                self.vault.retention.get(policy)  # a known policy, or refused before saving
            if "contact" in fields:
                from vault.custodian import check_contact

                check_contact(fields["contact"])  # refused before anything is saved
            with self.vault.atomic():
                client = self.vault.clients.update(
                    client_id,
                    display_name=fields["name"],
                    date_of_birth=fields["date_of_birth"],
                    status=fields["status"],
                    **{k: v for k, v in fields.items() if k == "consent_notice_date"},
                    retention_policy=policy,
                )
                if "contact" in fields:
                    self.vault.custodian.set_contact(client_id, fields["contact"])
            return client

        try:
            contact = self.vault.custodian.contact(client_id)
        except ConfideError as e:
            self.show_error(e)
            return
        self.app.push_screen(
            ClientFormModal(
                save, self.client, policies=policy_choices(self.vault), contact=contact
            ),
            lambda _c: self.reload(),
        )

    def action_pnotes(self) -> None:
        self.capp.open_pnotes(self.client_id)

    def action_attachments(self) -> None:
        from .attachments import AttachmentsScreen

        self.app.push_screen(AttachmentsScreen(self.client_id))

    def action_consult(self) -> None:
        self.capp.action_consult()


def template_picker(question: str = "Template for the new note") -> ChoiceModal:
    return ChoiceModal(question, [(t.key, t.title) for t in TEMPLATES.values()])


def new_note(screen: VaultScreen, client_id: int, template: str) -> int | None:
    """Create a draft dated today; returns its id (None after showing an error)."""
    try:
        note = screen.vault.notes.create(
            client_id, template, session=SessionInfo(session_date=date.today().isoformat())
        )
    except ConfideError as e:
        screen.show_error(e)
        return None
    return note.id
