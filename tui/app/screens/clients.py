"""The client list (filters as you type, most recent service first) and the client form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from vault import Client, ClientStatus, ConfideError, LockedError, UsageError

from ...workflows.retention import DEFAULT_POLICY, policy_choices, retention_summary
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.labelled import labelled_row
from ..widgets.row_list import RowList
from ..widgets.safe import SafeInput, plain
from .base import Location, ReloadingScreen

if TYPE_CHECKING:
    from vault.disclosures.notice import GivenNotice, Notices

    from ..app import ConfideApp

MAX_ROWS = 60
# (label, width): the name cut at 32 cells, the others as wide as their widest cell; the four
# fit 80 columns (about 70 cells with padding).
COLUMNS: list[tuple[str, int | None]] = [
    ("Client", 32),
    ("ID", None),
    ("Last service", None),
    ("Status", None),
]


class ClientListScreen(ReloadingScreen):
    """Home screen after unlock."""

    BINDINGS = [
        Binding("ctrl+n", "add_client", "New client"),
        Binding("down", "focus_table", "Clients", show=False),
        Binding("f3", "app.audit", "Audit log"),
    ]
    # The count is always one line, so its text changes without a layout pass (issue 14).
    DEFAULT_CSS = """
    ClientListScreen #client-count { height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield SafeInput(placeholder="Filter clients: type part of a name", id="filter")
        yield RowList(COLUMNS, id="clients")
        yield Static("", id="client-count", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Clients"
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
        # Back from a client (or a privacy toggle) the cursor stays on the same client; a new
        # filter puts its best match on top.
        was = self.highlighted_client() if keep_cursor else None
        # One line per client, laid out once: a keystroke redraws about 34 strips where the
        # DataTable re-rendered every visible cell (issue 14). Cells are Text (plain()): a name
        # with "[/]" or an escape code is shown as typed.
        self.query_one("#clients", RowList).set_rows(
            [
                (
                    str(client.id),
                    (
                        plain(self.capp.client_label(client)),
                        plain(client.record_id),
                        plain(client.last_service_date or "-"),
                        plain(client.status.value),
                    ),
                )
                for client in clients
            ],
            cursor_key=None if was is None else str(was),
        )
        if total > MAX_ROWS:
            message = f"{MAX_ROWS} most recent of {total} clients: type to filter; enter opens"
        elif clients:
            message = (
                f"{len(clients)} client{'s' if len(clients) != 1 else ''}"
                " - enter opens, ctrl+n adds"
            )
        elif text.strip():
            message = "No client matches that filter."
        else:
            message = "No clients yet. Press ctrl+n to add your first client."
        # One line, always (every message fits 80 columns): no layout pass per keystroke.
        self.query_one("#client-count", Static).update(message, layout=False)

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        self.reload(keep_cursor=False)  # a new filter's best match is on top; enter opens it

    @on(Input.Submitted, "#filter")
    def open_first(self) -> None:
        self.openlabelled_row(self.query_one("#clients", RowList).cursor_key)

    @on(RowList.Selected, "#clients")
    def row_selected(self, event: RowList.Selected) -> None:
        self.openlabelled_row(event.key)

    def openlabelled_row(self, key: str | None) -> None:
        if key is not None:
            self.capp.open_client(int(key))

    def action_focus_table(self) -> None:
        self.query_one("#clients", RowList).focus()

    def highlighted_client(self) -> int | None:
        """The client under the list's cursor (what enter would open), if any."""
        key = self.query_one("#clients", RowList).cursor_key
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
    # Every field labelled on its left (issue 12): once filled, a placeholder is gone and two
    # bare dates (notice given, notice signed) could not be told apart. Labels beside the
    # fields, two fields a row: the whole form, Save included, still fits 80x24.
    DEFAULT_CSS = """
    ClientFormModal .form-row { height: auto; }
    ClientFormModal .form-row Input, ClientFormModal .form-row Select { width: 1fr; }
    ClientFormModal .form-row .field-label { width: 13; padding: 1 1 0 0; color: $text-muted; }
    ClientFormModal .form-row .field-label.second { width: 8; padding: 1 1 0 1; }
    ClientFormModal #client-due { color: $text-muted; padding-left: 13; }
    """

    def __init__(
        self,
        save: Callable[[dict[str, Any]], Client],
        client: Client | None = None,
        policies: list[tuple[str, str]] | None = None,
        contact: str | None = None,
    ) -> None:
        super().__init__()
        self.save = save
        self.client = client
        # How a letter reaches the client (vault.custodian), one line here: a multi-line
        # address typed at the command line shows with commas and is kept unless changed.
        self._contact = (contact or "").replace("\n", ", ")
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
            yield labelled_row(
                (
                    "Name",
                    SafeInput(
                        client.display_name if client else "",
                        placeholder="name or pseudonym" if client else "legal name",
                        id="name",
                    ),
                )
            )
            if client is None:
                yield labelled_row(
                    (
                        "Pseudonym",
                        SafeInput(placeholder="optional: seals the legal name", id="pseudonym"),
                    )
                )
            else:  # in the pseudonym's place: the form still fits 80x24
                yield labelled_row(
                    (
                        "Contact",
                        SafeInput(
                            self._contact,
                            placeholder="address, phone, e-mail (for letters)",
                            id="contact",
                        ),
                    )
                )
            yield labelled_row(
                (
                    "Born",
                    SafeInput(
                        client.date_of_birth or "" if client else "",
                        placeholder="YYYY-MM-DD",
                        id="dob",
                    ),
                ),
                (
                    "Status",
                    Select(
                        [(s.value, s.value) for s in ClientStatus],
                        value=client.status.value if client else ClientStatus.ACTIVE.value,
                        allow_blank=False,
                        id="status",
                    ),
                ),
            )
            yield labelled_row(
                (
                    "Notice given",
                    SafeInput(
                        client.consent_notice_date or "" if client else "",
                        placeholder="YYYY-MM-DD",
                        id="notice-date",
                    ),
                ),
                ("Signed", SafeInput(self._signed, placeholder="YYYY-MM-DD", id="notice-signed")),
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
        yield labelled_row(
            (
                "Retention",
                Select(
                    [(plain(label), key) for label, key in self.policies],
                    value=current if current in keys else DEFAULT_POLICY,
                    allow_blank=False,
                    id="retention",
                ),
            )
        )
        vault = cast("ConfideApp", self.app).vault
        if self.client is not None and vault is not None:
            # When the record becomes due for disposal, under the policy saved now.
            try:
                due = retention_summary(vault, self.client.id).split("; ", 1)[-1]
            except ConfideError as e:
                due = e.message
            yield Static(due[:1].upper() + due[1:], id="client-due", markup=False)

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
        else:
            contact = self.query_one("#contact", Input).value.strip()
            if contact != self._contact:
                fields["contact"] = contact
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
