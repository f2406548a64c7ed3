"""A de-identified case summary for supervision or consultation (issue 15), in the app.

Two steps on one screen, as `confide consult` does them: pick the notes (tick them one by one,
or give a range of session dates; psychotherapy notes only when ticked, and only with the
passphrase again), then review the proposed summary, every replacement highlighted beside its
reason, redact more or restore a rule-based guess, and write it (asked first, showing where,
under a name that does not identify the client). `vault.consult` does the detection, the
naming check, the writing and the audit entry: this screen only shows and asks.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static

from vault import Client, ConfideError, EntryType
from vault.consult import CaseSummary, Consult, SummaryFormat
from vault.records.audit import Action

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain, visible
from .base import Location, VaultScreen
from .modals import ConfirmModal, PassphraseModal
from .timeline import template_title

TICK = "[x]"
UNTICKED = "[ ]"
# Replacements the clinician may restore, and those the vault knows (never restorable).
GUESS_STYLE = "bold reverse yellow"
KNOWN_STYLE = "bold reverse red"


def review_text(summary: CaseSummary) -> Text:
    """The summary as review shows it: each replacement highlighted and numbered in place.

    Note text is data: every piece goes through `plain` (never markup, controls visible)."""
    text = Text()
    number = 0
    for part in summary.parts:
        if text:
            text.append("\n\n")
        text.append_text(plain(part.heading, style="bold underline"))
        text.append("\n")
        position = 0
        for finding in part.findings:
            number += 1
            text.append_text(plain(part.text[position : finding.start]))
            style = GUESS_STYLE if finding.restorable else KNOWN_STYLE
            text.append_text(plain(f"[{number}: {finding.replacement}]", style=style))
            position = finding.end
        text.append_text(plain(part.text[position:]))
    return text


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class RedactModal(ModalScreen[str | None]):
    """Asks for words to redact wherever they occur in the summary."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(
                "Redact more: words that identify in context (a rare job, an event). "
                "Every occurrence is replaced.",
                classes="modal-question",
            )
            yield SafeInput(placeholder="Words to redact", id="redact-text")

    def on_mount(self) -> None:
        self.query_one("#redact-text", Input).focus()

    @on(Input.Submitted, "#redact-text")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConsultScreen(VaultScreen):
    """Pick notes, review the de-identified summary, write it."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "tick", "Tick", show=False),
        Binding("f5", "prepare", "Summary"),
        Binding("p", "list_pnotes", "Psych notes"),
        Binding("r", "restore", "Restore"),
        Binding("x", "redact", "Redact more"),
        Binding("f6", "write", "Write"),
    ]

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.ticked: set[int] = set()
        self.ticked_pnotes: set[int] = set()
        self.pnotes_listed = False
        self.summary: CaseSummary | None = None
        self.written: Path | None = None
        self.client: Client | None = None

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="consult-status", markup=False)
        with Vertical(id="consult-pick"):
            with Horizontal(id="consult-range"):
                with Vertical(classes="consult-field"):
                    yield Label("From (session date)")
                    yield SafeInput(id="consult-from", compact=True, placeholder="YYYY-MM-DD")
                with Vertical(classes="consult-field"):
                    yield Label("To (session date)")
                    yield SafeInput(id="consult-to", compact=True, placeholder="YYYY-MM-DD")
                yield Checkbox(
                    "Psych notes in the range",
                    id="consult-pnotes",
                    compact=True,
                )
            yield DataTable(id="consult-notes", cursor_type="row", zebra_stripes=True)
        with Vertical(id="consult-review"):
            with VerticalScroll(id="consult-text-box"):
                yield Static("", id="consult-text", markup=False)
            yield DataTable(id="consult-replacements", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="consult-out"):
                with Vertical(classes="consult-field", id="consult-format-box"):
                    yield Label("Format")
                    yield Select[str](
                        [(f.value, f.value) for f in SummaryFormat],
                        value=SummaryFormat.TXT.value,
                        allow_blank=False,
                        id="consult-format",
                        compact=True,
                    )
                with Vertical(classes="consult-field", id="consult-path-box"):
                    yield Label("Write to (a folder or a file; empty: the current folder)")
                    yield SafeInput(id="consult-path", compact=True, placeholder=str(Path.cwd()))
        yield AppFooter()

    def on_mount(self) -> None:
        notes = self.query_one("#consult-notes", DataTable)
        for key, label in (
            ("tick", ""),
            ("date", "Session"),
            ("id", "Note"),
            ("kind", "Kind"),
            ("status", "Status"),
        ):
            notes.add_column(label, key=key)
        found = self.query_one("#consult-replacements", DataTable)
        for key, label in (
            ("n", "#"),
            ("original", "Original"),
            ("becomes", "Becomes"),
            ("reason", "Reason"),
        ):
            found.add_column(label, key=key)
        self.query_one("#consult-review").display = False
        self._load_notes()
        notes.focus()

    def _load_notes(self) -> None:
        try:
            client = self.vault.clients.get(self.client_id)
            timeline = self.vault.notes.timeline(self.client_id)
        except ConfideError as e:
            self.show_error(e)
            return
        self.client = client
        self._set_title()
        table = self.query_one("#consult-notes", DataTable)
        table.clear()
        for note in timeline:
            kind = (
                f"addendum to N-{note.parent_id or 0:06d}"
                if note.entry_type is EntryType.ADDENDUM
                else template_title(note.template)
            )
            table.add_row(
                TICK if note.id in self.ticked else UNTICKED,
                plain(note.session_date or "-"),
                plain(note.record_id),
                plain(kind),
                "signed" if note.signed_at else "DRAFT",
                key=str(note.id),
            )
        self._status(
            "Step 1 of 2: tick notes (space) or give session dates, then F5; p lists "
            "psychotherapy notes. Nothing is written before you confirm."
        )

    def location(self) -> Location | None:
        return None  # a summary under review is not kept over a lock: it is prepared again

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#consult-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    @property
    def reviewing(self) -> bool:
        return self.summary is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("tick", "prepare"):
            return not self.reviewing
        if action == "list_pnotes":
            return not self.reviewing and not self.pnotes_listed
        if action in ("restore", "redact", "write"):
            return self.reviewing
        return True

    # -- step 1: pick

    def action_tick(self) -> None:
        table = self.query_one("#consult-notes", DataTable)
        if not table.row_count or not table.has_focus:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if key.value is None:
            return
        # Psychotherapy notes are keyed "p<id>": a separate record, never mixed with notes.
        chosen = self.ticked_pnotes if key.value.startswith("p") else self.ticked
        record = int(key.value.removeprefix("p"))
        chosen ^= {record}
        table.update_cell(key, "tick", TICK if record in chosen else UNTICKED)

    def action_list_pnotes(self) -> None:
        """Add the client's psychotherapy notes (dates only) to the list, to tick one by one.

        The passphrase is asked now and again at F5: it is not kept in between."""
        if self.reviewing or self.pnotes_listed:
            return

        def entered(passphrase: str | None) -> None:
            if passphrase is None:
                return
            try:
                area = self.vault.open_psychotherapy_notes(passphrase)
                try:
                    pnotes = area.list(self.client_id)
                finally:
                    area.lock()
            except ConfideError as e:
                self._status(f"Psychotherapy notes not listed: {e.message}", error=True)
                return
            self.pnotes_listed = True
            table = self.query_one("#consult-notes", DataTable)
            for pnote in pnotes:
                table.add_row(
                    UNTICKED,
                    plain(pnote.session_date or "-"),
                    plain(pnote.record_id),
                    Text("Psychotherapy note", style="bold red"),
                    "",
                    key=f"p{pnote.id}",
                )
            self._status(
                f"{len(pnotes)} psychotherapy note(s) listed: tick the ones to include; F5 asks "
                "the passphrase again."
            )
            self.refresh_bindings()

        self.app.push_screen(
            PassphraseModal("The passphrase again, to list the psychotherapy notes."), entered
        )

    @on(DataTable.RowSelected, "#consult-notes")
    def row_chosen(self) -> None:
        self.action_tick()

    def action_prepare(self) -> None:
        if self.reviewing:
            return
        want_pnotes = self.query_one("#consult-pnotes", Checkbox).value or bool(self.ticked_pnotes)
        try:
            client = self.vault.clients.get_unaudited(self.client_id)
        except ConfideError as e:
            self.show_error(e)
            return
        if not (want_pnotes or client.is_pseudonymous):
            self._prepare(None)
            return
        reason = (
            "The passphrase again: psychotherapy notes are kept apart."
            if want_pnotes
            else "The passphrase again, to find the client's sealed legal name in the notes."
        )

        def entered(passphrase: str | None) -> None:
            if passphrase is None:
                self._status("Not prepared: the passphrase was not given.")
                return
            self._prepare(passphrase)

        self.app.push_screen(PassphraseModal(reason), entered)

    def _prepare(self, passphrase: str | None) -> None:
        consult = Consult(self.vault)
        ticked = sorted(self.ticked)
        date_from = self.query_one("#consult-from", Input).value.strip() or None
        date_to = self.query_one("#consult-to", Input).value.strip() or None
        try:
            summary = consult.prepare(
                self.client_id,
                note_ids=ticked,
                date_from=date_from,
                date_to=date_to,
                pnote_ids=sorted(self.ticked_pnotes),
                pnotes_in_range=self.query_one("#consult-pnotes", Checkbox).value,
                passphrase=passphrase,
            )
            # The notes are now on screen: a read of client data, recorded as one.
            self.vault.audit.record(
                Action.VIEW,
                "client",
                self.client_id,
                consult_review=len(summary.note_ids),
                pnotes=len(summary.pnote_ids),
            )
        except ConfideError as e:
            self._status(f"Not prepared: {e.message}", error=True)
            return
        self.summary = summary
        self.query_one("#consult-pick").display = False
        self.query_one("#consult-review").display = True
        self._show_summary()
        self.query_one("#consult-replacements", DataTable).focus()
        self.refresh_bindings()

    # -- step 2: review

    def _show_summary(self, message: str = "") -> None:
        summary = self.summary
        if summary is None:
            return
        self.query_one("#consult-text", Static).update(review_text(summary))
        table = self.query_one("#consult-replacements", DataTable)
        row = table.cursor_row
        table.clear()
        for item in summary.replacements():
            original = "(privacy mode)" if self.privacy else str(item["original"])
            # A star marks what the vault knows (never restorable); long cells are cut so the
            # reason still fits 80 columns.
            number = f"{item['number']}{'' if item['restorable'] else '*'}"
            table.add_row(
                plain(number),
                plain(_cut(original.replace("\n", " "), 20)),
                plain(_cut(str(item["replacement"]), 18)),
                plain(item["reason"]),
                key=str(item["number"]),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        self._status(
            message
            or f"Step 2 of 2: {len(summary.findings)} replacements (* known to the vault, "
            "kept). r restores a guess, x redacts more, F6 writes; esc: back to the notes."
        )

    def _set_title(self) -> None:
        if self.client is not None:
            self.title = f"Case summary: {self.capp.client_label(self.client)}"

    def privacy_changed(self) -> None:
        self._set_title()
        self._show_summary()

    def action_restore(self) -> None:
        summary = self.summary
        table = self.query_one("#consult-replacements", DataTable)
        if summary is None or not table.row_count:
            return
        number = table.cursor_row + 1
        try:
            summary.restore(number)
        except ConfideError as e:
            self._status(f"Not restored: {e.message}", error=True)
            return
        self._show_summary(f"Restored replacement {number}: its words are back in the summary.")

    def action_redact(self) -> None:
        if self.summary is None:
            return

        def given(words: str | None) -> None:
            summary = self.summary
            if words is None or summary is None:
                return
            try:
                added = summary.redact(words)
            except ConfideError as e:
                self._status(f"Not redacted: {e.message}", error=True)
                return
            self._show_summary(f"Redacted {visible(words)!r}: {added} more replacement(s).")

        self.app.push_screen(RedactModal(), given)

    def action_write(self) -> None:
        summary = self.summary
        if summary is None:
            return
        fmt = SummaryFormat(str(self.query_one("#consult-format", Select).value))
        typed = self.query_one("#consult-path", Input).value.strip()
        try:
            target = Consult.target(fmt, Path(typed) if typed else None)
            # Refused before asking: a name that identifies the client is never offered.
            Consult.check_file_name(summary, target)
        except ConfideError as e:
            self._status(f"Not written: {e.message}", error=True)
            return
        where = target.expanduser().absolute()
        question = (
            f"Write the de-identified case summary ({len(summary.note_ids)} notes, "
            f"{len(summary.pnote_ids)} psychotherapy notes, {len(summary.findings)} "
            f"replacements) as {fmt.value} to\n{where}?\n"
            "You remain responsible for the final read: details can identify in context."
        )

        def confirmed(yes: bool | None) -> None:
            if not yes or self.summary is not summary:
                self._status("Not written: nothing left the vault. F6 when ready.")
                return
            try:
                path = Consult(self.vault).write(summary, fmt, where, force=False)
            except ConfideError as e:
                self._status(f"Not written: {e.message}", error=True)
                return
            self.written = path
            self._status(f"Wrote {path}. Read it through before sharing it.")
            self.notify(f"Wrote {path}.", title="Case summary written")

        self.app.push_screen(ConfirmModal(question, yes="Write", no="Cancel"), confirmed)

    def action_back(self) -> None:
        if self.summary is not None:
            # Back to the choice of notes; the proposed summary is dropped, nothing written.
            self.summary = None
            self.query_one("#consult-review").display = False
            self.query_one("#consult-pick").display = True
            self.query_one("#consult-notes", DataTable).focus()
            self._status("Step 1 of 2: tick notes (space) or give session dates, then F5.")
            self.refresh_bindings()
            return
        self.app.pop_screen()
