"""The disposal queue: clients past retention, what would go, dispose (typed names + passphrase),
verify, and the certificate. The work runs in thread workers; the screen only shows results."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from backup.purge import DisposalBackups
from vault import ConfideError
from vault.records.models import initials_of
from vault.retention.certificate import Certificate, render_text
from vault.retention.execute import DisposalResult
from vault.retention.exports import PRESENT
from vault.retention.plan import ClientDisposal
from vault.retention.policies import ClientRetention
from vault.retention.verify import Verification

from ...workflows import disposal as flows
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from .base import VaultScreen


class DisposalConfirmModal(ModalScreen[tuple[str, list[str], bool] | None]):
    """Type each client's name and the passphrase; (passphrase, names, overwrite saved
    copies). None when cancelled. `warnings`: what the media do to an overwrite; `saved`:
    release files still unchanged at their saved path (offered for overwriting)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, record_ids: list[str], warnings: list[str] | None = None, saved: int = 0
    ) -> None:
        super().__init__()
        self.record_ids = record_ids
        self.warnings = warnings or []
        self.saved = saved

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(
                f"Dispose of {len(self.record_ids)} client(s) for good: their records, "
                "psychotherapy notes and every backup copy. This cannot be undone. "
                "Type each client's name to confirm, then your passphrase.",
                markup=False,
                classes="modal-question",
            )
            for warning in self.warnings:
                yield Static(plain(f"Warning: {warning}"), classes="modal-warning")
            if self.saved:
                yield Checkbox(
                    f"Also overwrite the {self.saved} saved release file(s) still "
                    "at the path they were saved to",
                    id="dispose-overwrite",
                )
            for i, record_id in enumerate(self.record_ids):
                yield SafeInput(placeholder=f"name of {record_id}", id=f"confirm-{i}")
            yield SafeInput(placeholder="Passphrase", password=True, id="dispose-passphrase")
            with Horizontal(classes="modal-buttons"):
                yield Button("Dispose", variant="error", id="dispose-yes")
                yield Button("Cancel", id="dispose-no")

    @on(Button.Pressed, "#dispose-yes")
    @on(Input.Submitted, "#dispose-passphrase")
    def confirm(self) -> None:
        names = [self.query_one(f"#confirm-{i}", Input).value for i in range(len(self.record_ids))]
        overwrite = bool(self.saved) and self.query_one("#dispose-overwrite", Checkbox).value
        self.dismiss((self.query_one("#dispose-passphrase", Input).value, names, overwrite))

    @on(Button.Pressed, "#dispose-no")
    def action_cancel(self) -> None:
        self.dismiss(None)


class DisposalScreen(VaultScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "pick", "Select"),
        Binding("d", "dispose", "Dispose selected"),
        Binding("v", "verify", "Verify"),
    ]

    class DisposalVerified(Message):
        """A disposal finished and was verified.

        Handler: `on_disposal_screen_disposal_verified`."""

        def __init__(self, certificate: Certificate, ok: bool) -> None:
            super().__init__()
            self.certificate = certificate
            self.ok = ok

    DEFAULT_CSS = """
    DisposalScreen #disposal-due { height: auto; max-height: 10; }
    DisposalScreen #disposal-upcoming-label { color: $text-muted; margin: 1 1 0 1; }
    DisposalScreen #disposal-upcoming { height: auto; max-height: 10; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.selected: set[int] = set()
        self.rows: list[ClientDisposal] = []
        self.upcoming: list[ClientRetention] = []
        self.warnings: list[str] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="disposal-status", markup=False)
        yield DataTable(id="disposal-due", cursor_type="row", zebra_stripes=True)
        # Not only "none is due": when each client will be, soonest first.
        yield Static("Not yet due, soonest first", id="disposal-upcoming-label", markup=False)
        yield DataTable(id="disposal-upcoming", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="disposal-report-box"):
            yield Static("", id="disposal-report", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Disposal"
        table = self.query_one("#disposal-due", DataTable)
        for key, label in (
            ("sel", " "),
            ("client", "Client"),
            ("name", "Name"),
            ("policy", "Policy"),
            ("due", "Due since"),
            ("notes", "Notes"),
            ("sessions", "Sessions"),
            ("backups", "Backup copies"),
        ):
            table.add_column(label, key=key)
        upcoming = self.query_one("#disposal-upcoming", DataTable)
        for key, label in (
            ("client", "Client"),
            ("name", "Name"),
            ("policy", "Policy"),
            ("due", "Due on"),
            ("last", "Last service"),
            ("status", "Status"),
        ):
            upcoming.add_column(label, key=key)
        self.load()

    def load(self) -> None:
        try:
            self.rows = self.vault.disposal.plan(backups=DisposalBackups())
            pending = self.vault.disposal.unfinished()
            due = {r.client_id for r in self.rows}
            self.upcoming = [r for r in self.vault.retention.schedule() if r.client_id not in due]
            self.warnings = [m.summary() for m in flows.media(self.vault) if m.limited]
        except ConfideError as e:
            self.show_error(e)
            return
        self.selected &= {r.client_id for r in self.rows}
        self._fill_table()
        status = (
            (
                f"{len(self.rows)} client(s) past retention and on no legal hold. Space "
                "selects, d disposes, v verifies past disposals."
            )
            if self.rows
            else ("No client is past retention (clients on legal hold are never listed).")
        )
        soonest = next((r for r in self.upcoming if r.status != "held"), None)
        if soonest is not None:
            status += f" Next due: {soonest.record_id} on {soonest.disposal_date}."
        if pending:
            status += (
                f" {len(pending)} interrupted disposal(s): disposing or verifying finishes them."
            )
        for warning in self.warnings:
            status += f"\nWarning: {warning}"
        self.query_one("#disposal-status", Static).update(plain(status))

    def _fill_table(self) -> None:
        table = self.query_one("#disposal-due", DataTable)
        table.clear()
        for r in self.rows:
            name = initials_of(r.display_name) if self.privacy else r.display_name
            # Text cells: a str cell is parsed as markup (a name with "[/]" crashed the app).
            cells = (
                "x" if r.client_id in self.selected else "",
                r.record_id,
                name,
                r.policy,
                r.disposal_date,
                str(r.notes),
                f"{r.first_session or '-'} .. {r.last_session or '-'}",
                str(len(r.backups)),
            )
            table.add_row(*map(plain, cells), key=str(r.client_id))
        upcoming = self.query_one("#disposal-upcoming", DataTable)
        upcoming.clear()
        for u in self.upcoming:
            name = initials_of(u.display_name) if self.privacy else u.display_name
            state = "on legal hold" if u.status == "held" else "retained"
            line = (u.record_id, name, u.policy, u.disposal_date, u.last_service_date, state)
            upcoming.add_row(*map(plain, line), key=str(u.client_id))

    def privacy_changed(self) -> None:
        self._fill_table()

    def action_pick(self) -> None:
        table = self.query_one("#disposal-due", DataTable)
        if not self.rows:
            return
        row = self.rows[table.cursor_row]
        self.selected ^= {row.client_id}
        self._fill_table()
        table.move_cursor(row=self.rows.index(row))

    @on(DataTable.RowSelected, "#disposal-due")
    def row_selected(self) -> None:
        self.action_pick()

    def action_dispose(self) -> None:
        chosen = [r for r in self.rows if r.client_id in self.selected]
        if not chosen:
            self.notify("Select the clients to dispose of first (space).", title="Disposal")
            return
        ids = [r.client_id for r in chosen]

        def answered(result: tuple[str, list[str], bool] | None) -> None:
            if result is not None:
                self.query_one("#disposal-status", Static).update(
                    "Disposing, rotating keys, replacing backups and verifying..."
                )
                self.run_dispose(result[0], ids, result[1], result[2])

        saved = sum(o.copy == PRESENT for r in chosen for o in r.outside)
        self.app.push_screen(
            DisposalConfirmModal([r.record_id for r in chosen], self.warnings, saved), answered
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="disposal")
    def run_dispose(
        self, passphrase: str, ids: list[int], names: list[str], overwrite: bool = False
    ) -> DisposalResult:
        return flows.dispose(
            self.vault, passphrase, ids, names, self._resumed, overwrite_exports=overwrite
        )

    def action_verify(self) -> None:
        from .modals import PassphraseModal

        def entered(passphrase: str | None) -> None:
            if passphrase:
                self.query_one("#disposal-status", Static).update("Verifying...")
                self.run_verify(passphrase)

        self.app.push_screen(
            PassphraseModal(
                "Verification decrypts every page of the vault "
                "and of the connected backups. Enter your "
                "passphrase."
            ),
            entered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="disposal-verify")
    def run_verify(self, passphrase: str) -> Verification:
        return flows.verify(self.vault, passphrase, self._resumed).verification

    def _resumed(self, resumed: flows.Resumed) -> None:
        """Interrupted disposals and pending purges finished first (from a worker thread)."""
        for line in resumed.lines():
            self.app.call_from_thread(
                self.notify, line[:1].upper() + line[1:] + ".", title="Disposal"
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if event.state is WorkerState.ERROR:
            error = worker.error
            self.query_one("#disposal-status", Static).update(
                plain(
                    f"{error.title}: {error.message}"
                    if isinstance(error, ConfideError)
                    else f"Unexpected error ({type(error).__name__})."
                )
            )
            if isinstance(error, ConfideError):
                self.show_error(error)
            return
        if event.state is not WorkerState.SUCCESS:
            return
        report = self.query_one("#disposal-report", Static)
        if worker.group == "disposal":
            result = worker.result
            assert isinstance(result, DisposalResult)
            self.selected.clear()
            self.load()
            report.update(plain(render_text(result.certificate)))
            self.post_message(self.DisposalVerified(result.certificate, result.verification.ok))
        elif worker.group == "disposal-verify":
            verification = worker.result
            assert isinstance(verification, Verification)
            report.update(
                plain(
                    "\n".join(
                        [f"Disposal verification: {verification.result}"]
                        + [
                            f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}"
                            for c in verification.checks
                        ]
                        + [f"PENDING: {p}" for p in verification.pending]
                    )
                )
            )
            self.query_one("#disposal-status", Static).update(
                plain(f"Verification: {verification.result}")
            )

    def action_back(self) -> None:
        self.app.pop_screen()
