"""Small typed modals: confirm, ask for the passphrase, pick from a list, change passphrase."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.labelled import labelled_row
from ..widgets.safe import SafeInput, plain
from .lock import new_passphrase_problem


class ConfirmModal(ModalScreen[bool]):
    """Yes/no question. Dismisses with True only on an explicit yes."""

    BINDINGS = [Binding("escape,n", "no", "Cancel"), Binding("y", "yes", "Yes")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(plain(self.question), classes="modal-question")
            with Horizontal(classes="modal-buttons"):
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class PassphraseModal(ModalScreen[str | None]):
    """Asks for the passphrase again (fresh authentication). None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, reason: str, error: str = "") -> None:
        super().__init__()
        self.reason = reason
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(plain(self.reason), classes="modal-question")
            yield Input(placeholder="Passphrase", password=True, id="reauth")
            yield Static(plain(self.error), markup=False, classes="modal-error", id="reauth-error")

    def on_mount(self) -> None:
        self.query_one("#reauth", Input).focus()

    @on(Input.Submitted, "#reauth")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(ModalScreen[str | None]):
    """Pick one option by id (templates, omission categories). None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(plain(self.title_text), classes="modal-question")
            # Text prompts: an Option's str prompt is parsed as markup.
            yield OptionList(
                *(Option(plain(label), id=key) for key, label in self.choices), id="choices"
            )

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChangePassphraseModal(ModalScreen[tuple[str, str] | None]):
    """Current passphrase and the new one twice; the app does the change."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, error: str = "") -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static("Change passphrase", classes="modal-question")
            yield Input(placeholder="Current passphrase", password=True, id="current")
            yield Input(placeholder="New passphrase", password=True, id="new1")
            yield Input(placeholder="New passphrase again", password=True, id="new2")
            yield Static(plain(self.error), markup=False, classes="modal-error", id="change-error")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    @on(Input.Submitted, "#current")
    @on(Input.Submitted, "#new1")
    def next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#new2")
    def submitted(self) -> None:
        current = self.query_one("#current", Input).value
        first = self.query_one("#new1", Input).value
        # Checked here, so a too-short passphrase keeps the modal (and what was typed) open
        # instead of closing it and reporting the problem in a toast.
        problem = (
            "Type your current passphrase first."
            if not current
            else new_passphrase_problem(first, self.query_one("#new2", Input).value)
        )
        if problem:
            self.query_one("#change-error", Static).update(problem)
            return
        self.dismiss((current, first))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LateEntryModal(ModalScreen[tuple[str, str] | None]):
    """A late entry needs the session's date and why it is written late."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    LateEntryModal .form-row { height: auto; }
    LateEntryModal .form-row Input { width: 1fr; }
    LateEntryModal .form-row .field-label { width: 9; padding: 1 1 0 0; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static("Late entry: which session, and why late?", classes="modal-question")
            yield labelled_row(("Session", SafeInput(placeholder="YYYY-MM-DD", id="late-date")))
            yield labelled_row(
                ("Reason", SafeInput(placeholder="why it is written late", id="late-reason"))
            )
            yield Static("", markup=False, classes="modal-error", id="late-error")

    def on_mount(self) -> None:
        self.query_one("#late-date", Input).focus()

    @on(Input.Submitted, "#late-date")
    def next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#late-reason")
    def submitted(self) -> None:
        day = self.query_one("#late-date", Input).value.strip()
        reason = self.query_one("#late-reason", Input).value.strip()
        if not day or not reason:
            self.query_one("#late-error", Static).update("Both the date and a reason are needed.")
            return
        self.dismiss((day, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)
