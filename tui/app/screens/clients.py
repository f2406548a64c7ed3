"""The client list (filters as you type, most recent service first) and the client form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static

from vault import Client, ClientStatus, ConfideError, LockedError, UsageError

from ...workflows.retention import DEFAULT_POLICY, policy_choices
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from .base import Location, ReloadingScreen

if TYPE_CHECKING:
    from vault.disclosures.notice import GivenNotice, Notices

    from ..app import ConfideApp

MAX_ROWS = 60


class ClientListScreen(ReloadingScreen):
    """Home screen after unlock."""

    BINDINGS = [
        Binding("ctrl+n", "add_client", "New client"),
        Binding("down", "focus_table", "Clients", show=False),
        Binding("f3", "app.audit", "Audit log"),
    ]

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield SafeInput(placeholder="Filter clients: type part of a name", id="filter")
        yield DataTable(id="clients", cursor_type="row", zebra_stripes=True)
        yield Static("", id="client-count", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Clients"
        table = self.query_one("#clients", DataTable)
        table.add_column("Client", key="name", width=32)
        table.add_column("ID", key="id")
        table.add_column("Last service", key="last")
        table.add_column("Status", key="status")
        self.reload()
        self.query_one("#filter", Input).focus()

    def reload(self, keep_cursor: bool = True) -> None:
        text = self.query_one("#filter", Input).value
        try:
            # Only the rows shown are built (a keystroke over 2,000 clients built them all).
            clients = self.vault.clients.list(text, limit=MAX_ROWS)
            total = self.vault.clients.count(text) if len(clients) == MAX_ROWS else len(clients)
        except ConfideError as e:
            self.show_error(e)
            return
        table = self.query_one("#clients", DataTable)
        # Back from a client (or a privacy toggle) the cursor stays on the same client;
        # clear() alone would send it to the top of the list.
        was = self.highlighted_client() if keep_cursor else None
        table.clear()
        # A table measures every cell it holds, so a big practice shows the most recently
        # seen clients and the filter finds the rest.
        for client in clients:
            # Text cells: a str cell is parsed as markup (a name with "[/]" crashed the app).
            table.add_row(
                plain(self.capp.client_label(client)),
                plain(client.record_id),
                plain(client.last_service_date or "-"),
                plain(client.status.value),
                key=str(client.id),
            )
        if was is not None and str(was) in table.rows:
            table.move_cursor(row=table.get_row_index(str(was)), animate=False)
        count = self.query_one("#client-count", Static)
        if total > MAX_ROWS:
            count.update(
                f"Showing the {MAX_ROWS} most recent of {total} clients: "
                "type to filter. Enter opens, ctrl+n adds."
            )
        elif clients:
            count.update(
                f"{len(clients)} client{'s' if len(clients) != 1 else ''}"
                " - enter opens, ctrl+n adds"
            )
        elif text.strip():
            count.update("No client matches that filter.")
        else:
            count.update("No clients yet. Press ctrl+n to add your first client.")

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        self.reload(keep_cursor=False)  # a new filter's best match is on top; enter opens it

    @on(Input.Submitted, "#filter")
    def open_first(self) -> None:
        table = self.query_one("#clients", DataTable)
        if table.row_count:
            self.open_row(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowSelected, "#clients")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_row(event.row_key.value)

    def open_row(self, key: str | None) -> None:
        if key is not None:
            self.capp.open_client(int(key))

    def action_focus_table(self) -> None:
        self.query_one("#clients", DataTable).focus()

    def highlighted_client(self) -> int | None:
        """The client under the list's cursor (what enter would open), if any."""
        table = self.query_one("#clients", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_add_client(self) -> None:
        def added(client: Client | None) -> None:
            if client is not None:
                self.query_one("#filter", Input).value = ""
                self.reload()
                self.capp.open_client(client.id)

        self.app.push_screen(
            ClientFormModal(self._save_new, policies=policy_choices(self.vault)), added
        )

    def _save_new(self, fields: dict[str, Any]) -> Client:
        pseudonym = fields.pop("pseudonym") or None
        if fields.get("retention_policy") is not None:
            self.vault.retention.get(fields["retention_policy"])  # a known policy, or refused
        return self.vault.clients.add(fields.pop("name"), pseudonym=pseudonym, **fields)

    def location(self) -> Location | None:
        return None


class ClientFormModal(ModalScreen[Client | None]):
    """Add or edit a client. Saves through `save`; errors show here and nothing is lost."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ClientFormModal .notice-dates { height: auto; }
    ClientFormModal .notice-dates Input, ClientFormModal .notice-dates Select { width: 1fr; }
    """

    def __init__(
        self,
        save: Callable[[dict[str, Any]], Client],
        client: Client | None = None,
        policies: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.save = save
        self.client = client
        self.policies = policies or []  # (label, key) from policy_choices; none: no field
        self._notice: GivenNotice | None = None
        self._signed = ""

    def _notices(self) -> Notices:
        vault = cast("ConfideApp", self.app).vault
        if vault is None:
            raise LockedError("the vault is locked")
        return vault.disclosures.notices

    def compose(self) -> ComposeResult:
        client = self.client
        if client is not None:
            self._notice = self._notices().latest(client.id)
            self._signed = (self._notice.acknowledged_on or "") if self._notice else ""
        with Vertical(classes="modal-box"):
            yield Static("Edit client" if client else "New client", classes="modal-question")
            yield SafeInput(
                client.display_name if client else "",
                placeholder="Name (or pseudonym)" if client else "Legal name",
                id="name",
            )
            if client is None:
                yield SafeInput(
                    placeholder="Pseudonym (optional: seals the legal name)", id="pseudonym"
                )
            # Paired rows: the whole form, Save included, fits 80x24.
            with Horizontal(classes="notice-dates"):
                yield SafeInput(
                    client.date_of_birth or "" if client else "",
                    placeholder="Date of birth YYYY-MM-DD",
                    id="dob",
                )
                yield Select(
                    [(s.value, s.value) for s in ClientStatus],
                    value=client.status.value if client else ClientStatus.ACTIVE.value,
                    allow_blank=False,
                    id="status",
                )
            with Horizontal(classes="notice-dates"):
                yield SafeInput(
                    client.consent_notice_date or "" if client else "",
                    placeholder="Notice given YYYY-MM-DD",
                    id="notice-date",
                )
                yield SafeInput(
                    self._signed, placeholder="Notice signed YYYY-MM-DD", id="notice-signed"
                )
            yield from self._retention_field()
            with Horizontal(classes="modal-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
            yield Static("", markup=False, classes="modal-error", id="client-error")

    def _retention_field(self) -> ComposeResult:
        if not self.policies:
            return
        current = self.client.retention_policy if self.client else None
        keys = {key for _, key in self.policies}
        yield Static("Retention policy (when the record may be disposed of)", classes="field-label")
        yield Select(
            [(plain(label), key) for label, key in self.policies],
            value=current if current in keys else DEFAULT_POLICY,
            allow_blank=False,
            id="retention",
        )

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def submit(self) -> None:
        fields: dict[str, Any] = {
            "name": self.query_one("#name", Input).value,
            "date_of_birth": self.query_one("#dob", Input).value.strip() or None,
            "status": str(self.query_one("#status", Select).value),
        }
        if self.client is None:
            fields["pseudonym"] = self.query_one("#pseudonym", Input).value.strip()
        # Giving the notice is recorded (with the current template version); clearing the
        # field never erases that record, so an empty field changes nothing.
        notice_date = self.query_one("#notice-date", Input).value.strip()
        if notice_date:
            fields["consent_notice_date"] = notice_date
        signed = self.query_one("#notice-signed", Input).value.strip()
        error = self.query_one("#client-error", Static)
        if self.policies:
            chosen = str(self.query_one("#retention", Select).value)
            fields["retention_policy"] = None if chosen == DEFAULT_POLICY else chosen
        try:
            # The signature date is checked before anything is saved (bad input changes nothing).
            signing = bool(signed) and signed != self._signed
            if signing:
                self._check_signed(notice_date, signed)
            client = self.save(fields)
            if signing:
                self._notices().acknowledge(client.id, signed)
        except ConfideError as e:
            error.update(plain(e.message))
            return
        self.dismiss(client)

    def _check_signed(self, notice_date: str, signed: str) -> None:
        latest = self._notice
        if notice_date and (latest is None or notice_date != latest.given_on):
            given_on = notice_date  # a new notice: the save records it, then the signature
        elif latest is None:
            raise UsageError("type the date the notice was given before the date signed")
        elif latest.acknowledged_on:
            raise UsageError(f"{latest.record_id} was already signed on {latest.acknowledged_on}")
        else:
            given_on = latest.given_on
        self._notices().check_acknowledged(given_on, signed)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
