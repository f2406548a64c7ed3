"""The records custodian in the app: the custodian's home screen (clients with contact details
and retention dates; release, access copy, export, letters, instructions through the existing
screens) and, for the clinician, designating, re-issuing and revoking (from Practice settings).

Thin: every rule is in `vault.custodian`; custodian mode's refusals come from the core.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Static, TextArea
from textual.worker import Worker, WorkerState

from vault import ConfideError
from vault.custodian import PLACEHOLDERS

from ...workflows.custodian import backup_places
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from .base import ReloadingScreen, VaultScreen, written_outcome
from .modals import ConfirmModal, PassphraseModal

if TYPE_CHECKING:
    from vault import Designation, Vault
    from vault.custodian import LetterTemplate

CUSTODIAN_MARK = "CUSTODIAN MODE - read-only"


class PathModal(ModalScreen[str | None]):
    """Asks where to write a file (or, `empty_ok`, one line that may be left empty). None when
    cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, default: str, *, empty_ok: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.empty_ok = empty_ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(plain(self.question), classes="modal-question")
            yield SafeInput(value=self.default, id="path")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() or self.empty_ok:
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class LetterTemplateModal(ModalScreen[None]):
    """The notification letter's template, edited in place: ctrl+s saves a new version (the
    older ones are kept, never changed); Esc closes without saving."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save version", priority=True),
        Binding("escape", "close", "Close"),
    ]
    DEFAULT_CSS = """
    LetterTemplateModal #template-text { height: 12; }
    LetterTemplateModal .hint { color: $text-muted; }
    """

    def __init__(self, vault: Vault, current: LetterTemplate) -> None:
        super().__init__()
        self.vault = vault
        self.current = current
        self.version = current.version

    def compose(self) -> ComposeResult:
        current = self.current
        with Vertical(classes="modal-box"):
            yield Static(
                plain(f"Notification letter template (version {current.version}):"),
                id="template-title",
                classes="modal-question",
            )
            yield TextArea(current.text, id="template-text", soft_wrap=True)
            yield Static(
                " ".join("{" + name + "}" for name in PLACEHOLDERS)
                + " are filled in per client. ctrl+s saves a new version; Esc closes.",
                markup=False,
                classes="hint",
            )
            yield Static("", markup=False, classes="modal-error", id="template-error")

    def on_mount(self) -> None:
        self.query_one("#template-text", TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one("#template-text", TextArea).text
        error = self.query_one("#template-error", Static)
        try:
            saved = self.vault.custodian.save_template(text)
        except ConfideError as e:
            error.update(plain(e.message))  # the text stays as typed, nothing saved
            return
        if saved.version == self.version:
            error.update(plain(f"Nothing changed: version {saved.version} stays."))
            return
        self.version = saved.version
        self.query_one("#template-title", Static).update(
            plain(f"Notification letter template (version {saved.version}):")
        )
        error.update(plain(f"Saved as version {saved.version}."))

    def action_close(self) -> None:
        self.dismiss(None)


class CustodianScreen(ReloadingScreen):
    """The custodian's home: every client, how to reach them, how long the record is kept."""

    BINDINGS = [
        # In the order a custodian needs them: at 80 columns the footer keeps the first five
        # (Instructions, Template and Audit log then live on ? help).
        Binding("e", "app.export", "Export"),
        Binding("r", "app.release", "Release"),
        Binding("a", "app.access", "Access copy"),
        Binding("l", "letter", "Letter"),
        Binding("c", "contact", "Contact"),
        Binding("i", "instructions", "Instructions"),
        Binding("t", "template", "Template"),
        Binding("f3", "app.audit", "Audit log"),
    ]
    # Said with the next letter written: the client has no contact details (no address).
    _warning: str | None = None

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="custodian-who", markup=False)
        yield DataTable(id="custodian-clients", cursor_type="row", zebra_stripes=True)
        yield Static("", id="custodian-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Records custodian"
        table = self.query_one("#custodian-clients", DataTable)
        table.add_column("Client", key="name", width=20)
        table.add_column("ID", key="id")
        table.add_column("Contact", key="contact", width=22)
        table.add_column("Kept until", key="until")
        table.add_column("Hold", key="hold")
        self.reload()
        table.focus()

    def reload(self) -> None:
        try:
            clients = self.vault.custodian.clients()
            slot = self.vault.custodian_mode
        except ConfideError as e:
            self.show_error(e)
            return
        who = (
            f"Opened with the custodian key of {slot.name}: read-only, every access audited."
            if slot is not None
            else "Opened by the clinician."
        )
        self.query_one("#custodian-who", Static).update(plain(who))
        table = self.query_one("#custodian-clients", DataTable)
        table.clear()
        for c in clients:
            name = c.display_name
            if self.privacy:
                name = "".join(part[:1] + "." for part in name.split())
            table.add_row(
                plain(name),
                plain(c.record_id),
                plain((c.contact or "-").replace("\n", ", ")),
                plain(c.retained_until),
                plain("HOLD" if c.held else ""),
                key=str(c.client_id),
            )
        self.query_one("#custodian-status", Static).update(
            plain(f"{len(clients)} clients. Enter opens a record (read-only).")
        )

    @property
    def client_id(self) -> int | None:
        """The highlighted client: what Release and Access copy act on."""
        table = self.query_one("#custodian-clients", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key is None else int(key)

    @on(DataTable.RowSelected, "#custodian-clients")
    def open_client(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.capp.open_client(int(event.row_key.value))

    def _say(self, message: str, error: bool = False) -> None:
        self.query_one("#custodian-status", Static).update(plain(message))
        if error:
            self.notify(message, title="Records custodian", severity="error", timeout=8)
        else:
            self.notify(message, title="Records custodian")

    def action_contact(self) -> None:
        """Set or replace how the highlighted client is reached (the letter's address)."""
        client = self.client_id
        if client is None:
            self._say("No client to set contact details for.", error=True)
            return
        try:
            current = self.vault.custodian.contact(client) or ""
        except ConfideError as e:
            self.show_error(e)
            return
        shown = current.replace("\n", ", ")

        def entered(text: str | None) -> None:
            if text is None or text == shown:
                return  # cancelled, or unchanged (a multi-line address is kept as it was)
            try:
                self.vault.custodian.set_contact(client, text)
            except ConfideError as e:
                self._say(e.message, error=True)
                return
            self.reload()
            self._say(f"Contact details of C-{client:05d} saved.")

        self.app.push_screen(
            PathModal(
                f"How to reach C-{client:05d} (address, phone, e-mail; the letter uses it):",
                shown,
                empty_ok=True,
            ),
            entered,
        )

    def action_letter(self) -> None:
        client = self.client_id
        if client is None:
            self._say("No client to write to.", error=True)
            return
        default = str(Path.home() / f"letter-C-{client:05d}.pdf")
        custodian = self.vault.custodian
        try:
            sealed = custodian.needs_secret(client)
            self._warning = custodian.missing_contact(client)
        except ConfideError as e:
            self.show_error(e)
            return

        def write(path: str, secret: str | None) -> None:
            self.write_file(partial(custodian.write_letter, client, path, secret=secret), path)

        def chosen(path: str | None) -> None:
            if not path:
                return
            if not sealed:
                write(path, None)
                return
            self.app.push_screen(
                PassphraseModal(
                    f"The legal name of C-{client:05d} is sealed; the custodian key (or the "
                    "passphrase) again, to address the letter:"
                ),
                lambda secret: write(path, secret) if secret else None,
            )

        self.app.push_screen(
            PathModal(f"Write the notification letter to C-{client:05d} as (a PDF):", default),
            chosen,
        )

    def action_template(self) -> None:
        try:
            current = self.vault.custodian.template()
        except ConfideError as e:
            self.show_error(e)
            return
        self.app.push_screen(LetterTemplateModal(self.vault, current))

    def action_instructions(self) -> None:
        self._warning = None
        default = str(Path.home() / "custodian-instructions.pdf")

        def chosen(path: str | None) -> None:
            if path:
                vault = self.vault

                def write() -> Path:
                    return vault.custodian.write_instructions(path, backup_places(vault))

                self.write_file(write, path)

        self.app.push_screen(
            PathModal(
                "Write the custodian's instructions as (a PDF; it names every client):", default
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="custodian-write")
    def write_file(self, write: Callable[[], Path], path: str) -> Path:
        del path  # named for the worker's outcome message
        return write()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        outcome = written_outcome(event, "custodian-write")
        if outcome is None:
            return
        message, error = outcome
        if not error and event.state is WorkerState.SUCCESS:
            message = f"Wrote {event.worker.result}."
            if self._warning:
                message += f" Warning: {self._warning} Press c to set them."
        self._warning = None
        self._say(message, error)


class CustodianSettingsScreen(VaultScreen):
    """The clinician names, re-issues or revokes the records custodian (Practice settings)."""

    BINDINGS = [Binding("escape", "close", "Close")]

    DEFAULT_CSS = """
    CustodianSettingsScreen #custodian-form { height: 1fr; padding: 0 1; }
    CustodianSettingsScreen .field-label { color: $text-muted; height: 1; }
    CustodianSettingsScreen #custodian-current, CustodianSettingsScreen #custodian-key {
        height: auto; margin: 0 1;
    }
    CustodianSettingsScreen #custodian-key { color: $warning; }
    CustodianSettingsScreen #custodian-buttons { height: auto; margin: 0 1; }
    CustodianSettingsScreen #custodian-who { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="custodian-current", markup=False)
        yield Static("", id="custodian-key", markup=False)
        # The actions first: at 80x24 they stay in view above the form.
        with Horizontal(id="custodian-buttons"):
            yield Button("Designate", variant="primary", id="designate")
            yield Button("Re-issue key", id="reissue")
            yield Button("Revoke", variant="error", id="revoke")
        with VerticalScroll(id="custodian-form"):
            yield Static("Write the custodian sheet to (.pdf or .txt)", classes="field-label")
            yield SafeInput(value=str(Path.home() / "custodian-sheet.pdf"), id="custodian-sheet")
            with Vertical(id="custodian-who"):
                yield Static("Name", classes="field-label")
                yield SafeInput(id="custodian-name")
                yield Static("Licence or role", classes="field-label")
                yield SafeInput(id="custodian-role")
                yield Static("Contact (how clients reach them)", classes="field-label")
                yield SafeInput(id="custodian-contact")
                yield Checkbox("Include the psychotherapy notes", id="custodian-pnotes")
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Records custodian"
        self.show_current()
        first = "#custodian-sheet" if self.vault.key_file.custodian else "#custodian-name"
        self.query_one(first, Input).focus()

    def show_current(self) -> None:
        try:
            info = self.vault.custodian.info()
        except ConfideError as e:
            self.query_one("#custodian-current", Static).update(plain(e.message))
            return
        text = (
            "No custodian is designated. Name the person who takes the records over if you "
            "cannot continue; they get a key of their own (read-only)."
            if info is None
            else f"Custodian: {info.describe()}. Contact: {info.contact}."
        )
        self.query_one("#custodian-current", Static).update(plain(text))
        designated = info is not None
        self.query_one("#designate", Button).disabled = designated
        self.query_one("#reissue", Button).disabled = not designated
        self.query_one("#revoke", Button).disabled = not designated
        # Who the custodian is is asked only to designate one; a re-issue keeps it.
        self.query_one("#custodian-who").display = not designated

    def _value(self, key: str) -> str:
        return self.query_one(f"#custodian-{key}", Input).value.strip()

    def _ask_passphrase(self, action: str) -> None:
        def entered(passphrase: str | None) -> None:
            if passphrase:
                self.issue(action, passphrase)

        self.app.push_screen(
            PassphraseModal("Your passphrase, to seal the keys for the custodian:"), entered
        )

    @on(Button.Pressed, "#designate")
    def designate(self) -> None:
        self._ask_passphrase("designate")

    @on(Button.Pressed, "#reissue")
    def reissue(self) -> None:
        self._ask_passphrase("reissue")

    @on(Button.Pressed, "#revoke")
    def revoke(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                info = self.vault.custodian.revoke()
            except ConfideError as e:
                self.show_error(e)
                return
            self.query_one("#custodian-key", Static).update("")
            self.notify(f"Revoked {info.name}'s key; their sheet opens nothing now.")
            self.show_current()

        self.app.push_screen(
            ConfirmModal("Revoke the custodian? Their sheet stops working.", yes="Revoke"),
            confirmed,
        )

    def issue(self, action: str, passphrase: str) -> None:
        custodian = self.vault.custodian
        sheet = self._value("sheet")
        try:
            if sheet:
                from vault.disclosures.writer import check_target  # before the key is issued

                check_target(Path(sheet), force=False)
            designation: Designation
            if action == "designate":
                designation = custodian.designate(
                    passphrase,
                    name=self._value("name"),
                    role=self._value("role"),
                    contact=self._value("contact"),
                    pnotes=self.query_one("#custodian-pnotes", Checkbox).value,
                )
            else:
                designation = custodian.reissue(passphrase)
        except ConfideError as e:
            self.show_error(e)
            return
        written = ""
        if sheet:
            try:
                written = f" The sheet is at {custodian.write_sheet(designation, sheet)}."
            except ConfideError as e:
                written = f" The sheet was not written ({e.message}): copy the key by hand."
        self.query_one("#custodian-key", Static).update(
            plain(
                f"Custodian key (shown once): {designation.key}.{written} Print it for "
                f"{designation.info.name} and keep it away from the computer."
            )
        )
        self.notify(f"Custodian key {designation.info.serial} issued.", title="Records custodian")
        self.show_current()

    def action_close(self) -> None:
        self.query_one("#custodian-key", Static).update("")
        self.dismiss()
