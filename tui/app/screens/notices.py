"""The confidentiality notice: which active clients still need it, and recording it.

Lists every active client whose notice is missing, outdated (an older template version) or not
yet signed; the selected client's notice can be written ready to sign (asked first, at the path
typed), and giving and signing recorded with the current template version.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker

from vault import ConfideError, UsageError
from vault.disclosures.notice import NoticeState, NoticeStatus

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from ..widgets.tables import add_rows_fitting
from .base import ReloadingScreen, written_outcome
from .modals import ConfirmModal


class NoticesScreen(ReloadingScreen):
    """Active clients and their confidentiality notice."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("a", "show_all", "All/needing"),
    ]

    DEFAULT_CSS = """
    NoticesScreen .field-label { color: $text-muted; margin: 1 0 0 1; }
    NoticesScreen #notice-status { margin: 0 1; height: auto; }
    NoticesScreen #notice-status.error { color: $error; }
    NoticesScreen .notice-row { height: auto; }
    NoticesScreen .notice-row Input { width: 1fr; }
    NoticesScreen .notice-row Button { width: auto; }
    NoticesScreen .notice-row .inline-label { width: 8; padding: 1 1 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[NoticeStatus] = []
        self.show_every = False
        self._loaded = False
        # The shown rows as cells, kept to lay them out again when the terminal resizes.
        self._rows: list[tuple[Text, ...]] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="notice-status", markup=False)
        with VerticalScroll(id="notice-body"):
            yield Static("", id="notice-template", classes="field-label", markup=False)
            yield DataTable(id="notice-clients", cursor_type="row", zebra_stripes=True)
            # The date format in the label: at 80 columns a placeholder holding it was cut
            # ("signed YYYY-MM-D").
            yield Static(
                "Selected client: notice given and signed (YYYY-MM-DD)", classes="field-label"
            )
            # Labelled beside the fields: once filled, two bare dates could not be told apart.
            # One date a row: side by side at 80 columns the dates were cut to `2026-11-`.
            with Horizontal(classes="notice-row"):
                yield Static("Given", classes="inline-label")
                yield SafeInput(id="notice-given", placeholder="today")
                yield Button("Record given", id="notice-give")
            with Horizontal(classes="notice-row"):
                yield Static("Signed", classes="inline-label")
                yield SafeInput(id="notice-signed", placeholder="not yet")
                yield Button("Record signed", id="notice-ack")
            yield Static("Selected client: write the notice, ready to sign", classes="field-label")
            with Horizontal(classes="notice-row"):
                yield Static("File", classes="inline-label")
                yield SafeInput(id="notice-out", placeholder="/path/notice.pdf")
                yield Button("Write notice", id="notice-write")
        yield AppFooter()

    def on_mount(self) -> None:
        if self.app.screen is not self:
            return  # closed before it finished mounting
        self.title = "Confidentiality notice"
        table = self.query_one("#notice-clients", DataTable)
        for label in ("Client", "Name", "Notice", "Detail"):
            table.add_column(label)
        self._loaded = True
        self.reload()
        table.focus()

    def privacy_changed(self) -> None:
        if self._loaded:
            self.reload()

    def reload(self) -> None:
        try:
            notices = self.vault.disclosures.notices
            template = notices.template()
            statuses = notices.statuses()
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        needing = [s for s in statuses if s.state is not NoticeState.CURRENT]
        self.statuses = statuses if self.show_every else needing
        self.query_one("#notice-template", Static).update(
            plain(
                f"Template version {template.version} (saved {template.created_at[:10]}); "
                f"{len(needing)} of {len(statuses)} active clients need the notice. "
                + ("Showing all (a: only those)." if self.show_every else "a: show all.")
            )
        )
        self._rows = [
            (
                plain(f"C-{s.client_id:05d}"),
                plain(self.capp.client_label_by_id(s.client_id)),
                plain(s.state.value),
                plain(s.describe()),
            )
            for s in self.statuses
        ]
        self._fill()
        if not self.statuses:
            self._status("Every active client has signed the current notice.")

    def _fill(self) -> None:
        """The rows, name and detail wrapped when the terminal is narrow (the detail ran off
        the right edge at 80 columns)."""
        table = self.query_one("#notice-clients", DataTable)
        was = table.cursor_row
        table.clear()
        # Before the first layout the table's width is unknown: the screen's, less the
        # scrollbar of the scrolling body around it.
        width = table.size.width or self.app.size.width - 2
        keys = [str(s.client_id) for s in self.statuses]
        add_rows_fitting(table, self._rows, width, wrapping=(1, 3), keys=keys)
        # The app gives every DataTable 1fr; this one is as tall as its rows (at most 10, then
        # it scrolls inside) so that at 80x24 the rows below it stay in view.
        table.styles.height = min(max(table.row_count, 1), 10) + 2  # header, scrollbar
        if 0 <= was < table.row_count:
            table.move_cursor(row=was, animate=False)

    def on_resize(self, event: events.Resize) -> None:
        if self._rows:
            self.call_after_refresh(self._fill)

    def _selected(self) -> NoticeStatus:
        table = self.query_one("#notice-clients", DataTable)
        if not self.statuses or not 0 <= table.cursor_row < len(self.statuses):
            raise UsageError("select a client in the list above first")
        return self.statuses[table.cursor_row]

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def action_show_all(self) -> None:
        self.show_every = not self.show_every
        self.reload()

    @on(Button.Pressed, "#notice-give")
    def give(self) -> None:
        try:
            status = self._selected()
            given = self.vault.disclosures.notices.give(
                status.client_id,
                self._text("notice-given") or None,
                self._text("notice-signed") or None,
            )
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self.reload()
        self._status(
            f"Recorded {given.record_id} for C-{given.client_id:05d}: version "
            f"{given.template_version} given {given.given_on}"
            + (f", signed {given.acknowledged_on}." if given.acknowledged_on else ".")
        )

    @on(Button.Pressed, "#notice-ack")
    def acknowledge(self) -> None:
        try:
            status = self._selected()
            done = self.vault.disclosures.notices.acknowledge(
                status.client_id, self._text("notice-signed") or None
            )
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self.reload()
        self._status(f"Recorded: {done.record_id} signed {done.acknowledged_on}.")

    @on(Button.Pressed, "#notice-write")
    def write(self) -> None:
        out = self._text("notice-out")
        try:
            status = self._selected()
            if not out:
                raise UsageError("say where to write it: a path ending in .pdf, .txt or .md")
            self.vault.disclosures.notices.document(status.client_id)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        client = status.client_id

        def answered(yes: bool | None) -> None:
            if not yes:
                self._status("Nothing was written.")
                return
            self._status("Writing the notice...")
            self.run_worker(
                lambda: self.vault.disclosures.notices.write(client, out),
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="notice-write",
                name=f"notice for C-{client:05d} written to {out}",
            )

        self.app.push_screen(
            ConfirmModal(
                f"Write C-{client:05d}'s notice to {out}? The file is outside the vault.",
                yes="Write",
            ),
            answered,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        outcome = written_outcome(event, "notice-write")
        if outcome is None:
            return
        message, error = outcome
        self._status(message, error=error)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#notice-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    def action_close(self) -> None:
        self.dismiss()
