"""Practice settings: the letterhead, running header and PDF author of every release, and the
clinician who signs it. The same fields as `confide practice set`; every rule is in
`vault.disclosures.set_practice` (one line of visible text each, an empty field clears it).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Static

from vault import ConfideError

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from .base import VaultScreen

# (field, label, hint): the order they appear on a release's letterhead.
FIELDS = (
    ("name", "Practice name", "letterhead, running header, PDF author"),
    ("clinician", "Clinician name", "printed above the signature line"),
    ("credentials", "Credentials", "e.g. PsyD, licensed psychologist"),
    ("address", "Address", "one line"),
    ("phone", "Phone", ""),
    ("license", "License", "type and number"),
)


class PracticeScreen(VaultScreen):
    """Edit the practice details; ctrl+s saves, escape closes (unsaved changes are dropped)."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "custodian", "Custodian"),
    ]

    DEFAULT_CSS = """
    PracticeScreen #practice-form { height: 1fr; padding: 0 1; }
    PracticeScreen .field-label { color: $text-muted; height: 1; }
    PracticeScreen #practice-status { margin: 0 1; height: auto; }
    PracticeScreen #practice-status.error { color: $error; }
    """

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="practice-status", markup=False)
        with VerticalScroll(id="practice-form"):
            for key, label, hint in FIELDS:
                yield Static(
                    plain(f"{label}" + (f" ({hint})" if hint else "")), classes="field-label"
                )
                yield SafeInput(id=f"practice-{key}")
            yield Button("Save (ctrl+s)", id="practice-save", variant="primary")
            yield Button("Records custodian (ctrl+o)", id="practice-custodian")
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Practice settings"
        if self.app.screen is not self:
            return
        try:
            practice = self.vault.disclosures.practice()
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        for key, _, _ in FIELDS:
            self.query_one(f"#practice-{key}", Input).value = getattr(practice, key) or ""
        self._status("Printed on every release. An empty field is left off.")
        self.query_one("#practice-name", Input).focus()

    def values(self) -> dict[str, str]:
        # Exactly what is typed, trimmed at the ends; the core refuses what is not one line.
        return {key: self.query_one(f"#practice-{key}", Input).value.strip() for key, *_ in FIELDS}

    @on(Input.Submitted)
    @on(Button.Pressed, "#practice-save")
    def action_save(self) -> None:
        if self.capp.refuse_in_custodian_mode("changing practice settings"):
            return
        try:
            saved = self.vault.disclosures.set_practice(**self.values())
        except ConfideError as e:
            self._status(f"Not saved: {e.message}", error=True)
            return
        shown = saved.name or "(no practice name)"
        self._status(f"Saved. Releases now say: {shown}.")
        self.notify("Practice settings saved.", title="Practice settings")

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#practice-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    @on(Button.Pressed, "#practice-custodian")
    def action_custodian(self) -> None:
        """Who takes the records over if you cannot continue (designate, re-issue, revoke)."""
        if self.capp.refuse_in_custodian_mode("naming the custodian"):
            return
        from .custodian import CustodianSettingsScreen

        self.app.push_screen(CustodianSettingsScreen())

    def action_close(self) -> None:
        self.dismiss()
