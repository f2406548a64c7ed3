"""The audit log, newest first, with the hash chain's verification status and filters.

Filters (client, action, a range of the clinician's local days) run in the vault's query, so
a long log is searched whole, not only its newest page.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Select, Static

from vault import ConfideError, UsageError
from vault.records import validate
from vault.records.audit import Action
from vault.timefmt import local_day_start, local_time

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from ..widgets.tables import add_rows_fitting
from .base import VaultScreen

SHOWN = 500

# Record ids as the CLI and every other screen show them, not the internal numbers.
RECORD_IDS = {
    "client": "C-{:05d}",
    "note": "N-{:06d}",
    "pnote": "P-{:06d}",
    "disclosure": "R-{:06d}",
    "incident": "I-{:06d}",
    "hold": "H-{:05d}",
    "authorization": "A-{:05d}",
    "amendment": "M-{:05d}",
    "records_request": "Q-{:05d}",
    "access_request": "X-{:05d}",
    "access_denial": "W-{:05d}",
    "representative": "G-{:05d}",
    "minor_service": "V-{:05d}",
    "consent_notice": "K-{:05d}",
    "attachment": "F-{:05d}",
}
# Detail keys that hold another record's number.
DETAIL_KINDS = {"client": "client", "parent": "note", "hold": "hold", "note": "note"}


def record_id(kind: str | None, number: object) -> str:
    """`C-00001` for ("client", "1"); anything else unchanged."""
    pattern = RECORD_IDS.get(kind or "")
    text = str(number)
    if pattern is None or not text.isdigit():
        return text
    return pattern.format(int(text))


# Objects named by the client they are about: "timeline C-00008".
ABOUT_CLIENT = {"timeline", "pnotes", "attachments"}


def object_text(kind: str | None, number: str | None) -> str:
    if number is None:
        return kind or ""
    if kind in RECORD_IDS:
        return record_id(kind, number)
    if kind in ABOUT_CLIENT:
        return f"{kind} {record_id('client', number)}"
    return " ".join(p for p in (kind, number) if p)


def detail_text(detail: dict[str, object]) -> str:
    return " ".join(f"{k}={record_id(DETAIL_KINDS.get(k), v)}" for k, v in sorted(detail.items()))


class AuditScreen(VaultScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "clear_filters", "Clear filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # The shown entries as cells, kept to lay them out again when the terminal resizes.
        self._rows: list[tuple[Text, ...]] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        with Horizontal(id="audit-filters"):
            with Vertical(classes="audit-filter", id="audit-client-box"):
                yield Label("Client")
                yield Select[int]([], prompt="Any client", id="audit-client", compact=True)
            with Vertical(classes="audit-filter", id="audit-action-box"):
                yield Label("Action")
                yield Select[str](
                    [(a.value, a.value) for a in Action],
                    prompt="Any action",
                    id="audit-action",
                    compact=True,
                )
            with Vertical(classes="audit-filter audit-day"):
                yield Label("From day")
                yield SafeInput(id="audit-from", compact=True, placeholder="YYYY-MM-DD")
            with Vertical(classes="audit-filter audit-day"):
                yield Label("To day")
                yield SafeInput(id="audit-to", compact=True, placeholder="YYYY-MM-DD")
        yield Static("", id="audit-status", markup=False)
        yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Audit log"
        table = self.query_one("#audit", DataTable)
        for key, label in (
            ("seq", "#"),
            ("at", "When"),
            ("action", "Action"),
            ("object", "Object"),
            ("detail", "Detail"),
        ):
            table.add_column(label, key=key)
        self._fill_clients()
        self.load()
        table.focus()

    def _fill_clients(self) -> None:
        try:
            clients = self.vault.clients.list()
        except ConfideError as e:
            self.show_error(e)
            return
        # Labels are client text (privacy mode gives initials): Text, never markup.
        options = sorted(
            ((plain(f"{c.record_id} {self.capp.client_label(c)}"), c.id) for c in clients),
            key=lambda o: o[1],
        )
        self.query_one("#audit-client", Select).set_options(options)

    def privacy_changed(self) -> None:
        chosen = self.query_one("#audit-client", Select).value
        self._fill_clients()
        if isinstance(chosen, int):
            with self.prevent(Select.Changed):
                self.query_one("#audit-client", Select).value = chosen

    def load(self) -> None:
        """Verify the chain and show the newest entries that pass the filters."""
        status = self.query_one("#audit-status", Static)
        try:
            client, action, since, before = self._filters()
        except ConfideError as e:
            status.update(plain(f"Filter not applied: {e.message}"))
            status.set_class(True, "error")
            status.set_class(False, "ok")
            return
        filtered = any(f is not None for f in (client, action, since, before))
        try:
            report = self.vault.audit.verify()
            entries = self.vault.audit.entries(
                limit=SHOWN,
                newest_first=True,
                client=client,
                action=action,
                since=since,
                before=before,
            )
        except ConfideError as e:
            self.show_error(e)
            return
        if report.ok:
            shown = (
                f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} match the filters"
                + (f" (newest {SHOWN} shown)" if len(entries) >= SHOWN else "")
                if filtered
                else f"Showing the newest {min(SHOWN, len(entries))}"
            )
            status.update(plain(f"Chain verified: all {report.entries} entries intact. {shown}."))
        else:
            status.update(
                plain(f"CHAIN BROKEN at entry {report.first_broken_seq}: {report.reason}")
            )
        status.set_class(not report.ok, "error")
        status.set_class(report.ok, "ok")
        # Text cells: details can hold labels and file names (markup, escapes).
        self._rows = [
            tuple(
                map(
                    plain,
                    (
                        str(entry.seq),
                        local_time(entry.at),
                        entry.action,
                        object_text(entry.object_type, entry.object_id),
                        detail_text(entry.detail),
                    ),
                )
            )
            for entry in entries
        ]
        self._fill()

    def _fill(self) -> None:
        """The rows, the Detail column wrapped when the terminal is too narrow for it."""
        table = self.query_one("#audit", DataTable)
        table.clear()
        add_rows_fitting(
            table, self._rows, table.size.width or self.app.size.width, wrapping=(3, 4)
        )

    def on_resize(self, event: events.Resize) -> None:
        if self._rows:
            self.call_after_refresh(self._fill)

    def _filters(self) -> tuple[int | None, str | None, str | None, str | None]:
        client = self.query_one("#audit-client", Select).value
        action = self.query_one("#audit-action", Select).value
        first = validate.day(self.query_one("#audit-from", Input).value, "from")
        last = validate.day(self.query_one("#audit-to", Input).value, "to")
        if first is not None and last is not None and last < first:
            raise UsageError(f"to {last} is before from {first}")
        return (
            client if isinstance(client, int) else None,
            action if isinstance(action, str) else None,
            local_day_start(first) if first is not None else None,
            # Up to the end of the last day: the start of the next one.
            local_day_start(last + timedelta(days=1)) if last is not None else None,
        )

    @on(Select.Changed)
    @on(Input.Submitted)
    def filter_changed(self) -> None:
        self.load()

    def action_clear_filters(self) -> None:
        with self.prevent(Select.Changed):
            self.query_one("#audit-client", Select).clear()
            self.query_one("#audit-action", Select).clear()
        self.query_one("#audit-from", Input).value = ""
        self.query_one("#audit-to", Input).value = ""
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
