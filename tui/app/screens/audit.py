"""The audit log, newest first, with the hash chain's verification status."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from vault import ConfideError

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import plain
from .base import VaultScreen

SHOWN = 500


class AuditScreen(VaultScreen):
    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="audit-status", markup=False)
        yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Audit log"
        table = self.query_one("#audit", DataTable)
        for key, label in (
            ("seq", "#"),
            ("at", "When (UTC)"),
            ("action", "Action"),
            ("object", "Object"),
            ("detail", "Detail"),
        ):
            table.add_column(label, key=key)
        try:
            report = self.vault.audit.verify()
            entries = self.vault.audit.entries(limit=SHOWN, newest_first=True)
        except ConfideError as e:
            self.show_error(e)
            return
        status = self.query_one("#audit-status", Static)
        if report.ok:
            status.update(
                plain(
                    f"Chain verified: all {report.entries} entries intact. "
                    f"Showing the newest {min(SHOWN, len(entries))}."
                )
            )
        else:
            status.update(
                plain(f"CHAIN BROKEN at entry {report.first_broken_seq}: {report.reason}")
            )
        status.set_class(not report.ok, "error")
        status.set_class(report.ok, "ok")
        for entry in entries:
            obj = " ".join(p for p in (entry.object_type, entry.object_id) if p)
            detail = " ".join(f"{k}={v}" for k, v in sorted(entry.detail.items()))
            # Text cells: details can hold labels and file names (markup, escapes).
            table.add_row(
                *map(
                    plain,
                    (str(entry.seq), entry.at.replace("T", " ")[:19], entry.action, obj, detail),
                )
            )
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
