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

# Record ids as the CLI and every other screen show them, not the internal numbers.
RECORD_IDS = {
    "client": "C-{:05d}",
    "note": "N-{:06d}",
    "pnote": "P-{:06d}",
    "disclosure": "R-{:06d}",
    "incident": "I-{:06d}",
    "hold": "H-{:05d}",
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
ABOUT_CLIENT = {"timeline", "pnotes"}


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
            obj = object_text(entry.object_type, entry.object_id)
            detail = detail_text(entry.detail)
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
