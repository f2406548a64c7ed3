"""The palette's "Export the record": where to write the open export (docs/EXPORT.md), the vault
passphrase again (sealed names, psychotherapy notes), the export passphrase twice, and whether
psychotherapy notes go in. The export itself runs in a worker (scrypt takes seconds); the app
reports the result (`ConfideApp.action_export`)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Static

from vault import ConfideError
from vault.openexport import check_export_passphrase

from ..widgets.labelled import labelled_row
from ..widgets.safe import SafeInput, plain


@dataclass(frozen=True)
class ExportRequest:
    path: str
    passphrase: str
    export_passphrase: str
    include_pnotes: bool


class ExportModal(ModalScreen[ExportRequest | None]):
    """Asks everything an export needs; checks what it can before closing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ExportModal .form-row { height: auto; }
    ExportModal .form-row Input { width: 1fr; }
    ExportModal .form-row .field-label { width: 8; padding: 1 1 0 0; color: $text-muted; }
    ExportModal .hint { color: $text-muted; }
    """

    def __init__(
        self, error: str = "", path: str = "", *, custodian: bool = False, pnotes: bool = True
    ) -> None:
        super().__init__()
        self.error = error
        self.path = path
        # In custodian mode the custodian key opens the sealed parts, and psychotherapy notes
        # are offered only when the clinician granted them (their key is not in the slot).
        self.custodian = custodian
        self.pnotes = pnotes

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(
                "Export the record: the whole vault, encrypted with age to an export "
                "passphrase (readable without Confide; see docs/EXPORT.md). The file is a "
                "copy outside the vault: disposal does not reach its copies.",
                classes="modal-question",
            )
            # Labelled beside: three hidden passphrases look alike once typed.
            yield labelled_row(
                ("File", SafeInput(self.path, placeholder="e.g. ~/record.age", id="path"))
            )
            # Before the passphrases: Enter on the last one exports, so a box after it was
            # reached only by going past the end of the form.
            yield Checkbox(
                "Include psychotherapy notes (their own part)",
                id="pnotes",
                disabled=not self.pnotes,
            )
            yield labelled_row(
                (
                    "Key" if self.custodian else "Vault",
                    Input(
                        placeholder="your custodian key, again"
                        if self.custodian
                        else "your passphrase, again",
                        password=True,
                        id="passphrase",
                    ),
                )
            )
            yield labelled_row(
                (
                    "Export",
                    Input(placeholder="a passphrase for the file", password=True, id="export1"),
                )
            )
            yield labelled_row(
                ("Again", Input(placeholder="the export passphrase", password=True, id="export2"))
            )
            yield Static(
                "Enter on Again writes the export; Esc cancels.", classes="hint", markup=False
            )
            yield Static(plain(self.error), markup=False, classes="modal-error", id="export-error")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    @on(Input.Submitted, "#passphrase")
    @on(Input.Submitted, "#export1")
    def next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#export2")
    def submitted(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        passphrase = self.query_one("#passphrase", Input).value
        first = self.query_one("#export1", Input).value
        problem = ""
        if not path:
            problem = "Name the file to write."
        elif not passphrase:
            problem = (
                "Type the custodian key again."
                if self.custodian
                else "Type the vault passphrase again."
            )
        elif first != self.query_one("#export2", Input).value:
            problem = "The two export passphrases differ."
        else:
            try:
                check_export_passphrase(first)
            except ConfideError as e:
                problem = e.message
        if problem:
            # The modal stays open with what was typed, as the change-passphrase modal does.
            self.query_one("#export-error", Static).update(plain(problem))
            return
        self.dismiss(
            ExportRequest(path, passphrase, first, self.query_one("#pnotes", Checkbox).value)
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
