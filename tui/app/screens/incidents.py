"""The incident register: incidents and their 60-day deadlines, the four-factor assessment with
what Confide knows, the clinician's conclusion, the notice letters.

Every rule lives in `vault.incidents`; this screen shows its answers. All text typed by the
clinician (or taken from a drive's label) is shown as data: rich `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static

from vault import ConfideError
from vault.incidents import Conclusion, Incident, IncidentKind

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.labelled import labelled_row
from ..widgets.safe import SafeTextArea, visible
from .base import ReloadingScreen


def shown(text: str) -> Text:
    """User text as plain data: no markup, control characters drawn as symbols."""
    return Text(visible(text))


def _deadline(incident: Incident, today: date) -> str:
    if incident.deadline is None or not incident.is_open:
        return ""
    left = (incident.deadline - today).days
    return (
        f"{incident.deadline} ({left} days left)"
        if left >= 0
        else f"{incident.deadline} ({-left} days OVERDUE)"
    )


def _state(incident: Incident) -> str:
    if incident.conclusion is None:
        return "not concluded (presumed a breach)"
    return f"{incident.status}: {incident.conclusion.value.replace('_', ' ')}"


@dataclass(frozen=True)
class NewIncident:
    kind: str
    discovered_on: str
    occurred_on: str | None
    description: str
    media: str
    clients: list[str]
    containment: str


class NewIncidentModal(ModalScreen[NewIncident | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    # Labels on the left of their fields (labelled_row), as in the client form.
    DEFAULT_CSS = """
    NewIncidentModal .incident-form { height: 90%; }
    NewIncidentModal .incident-form SafeTextArea { height: 4; }
    NewIncidentModal .form-row { height: auto; }
    NewIncidentModal .form-row Input, NewIncidentModal .form-row Select { width: 1fr; }
    NewIncidentModal .form-row .field-label { width: 13; padding: 1 1 0 0; color: $text-muted; }
    NewIncidentModal .form-row .field-label.second { width: 10; padding: 1 1 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box incident-form"):
            yield Static(
                "Record an incident. Name clients by record id (C-00012), never by "
                "name: the register outlives the records.",
                markup=False,
                classes="modal-question",
            )
            # Every field labelled: the two dates, once filled, could not be told apart.
            yield labelled_row(
                (
                    "Kind",
                    Select(
                        [(Text(k.label), k.value) for k in IncidentKind],
                        value=IncidentKind.LOST_DEVICE.value,
                        allow_blank=False,
                        id="incident-kind",
                    ),
                )
            )
            yield labelled_row(
                (
                    "Discovered",
                    Input(
                        value=date.today().isoformat(),
                        placeholder="YYYY-MM-DD",
                        id="incident-discovered",
                    ),
                ),
                ("Happened", Input(placeholder="if known", id="incident-occurred")),
            )
            yield Static("What happened", classes="field-label", markup=False)
            yield SafeTextArea(id="incident-description")
            yield labelled_row(
                ("Media", Input(placeholder="laptop, fax, email...", id="incident-media"))
            )
            yield labelled_row(
                ("Clients", Input(placeholder="C-00001, C-00002", id="incident-clients"))
            )
            yield labelled_row(
                (
                    "Containment",
                    Input(placeholder="what was done to contain it", id="incident-containment"),
                )
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Record", variant="primary", id="incident-save")
                yield Button("Cancel", id="incident-cancel")

    @on(Button.Pressed, "#incident-save")
    def save(self) -> None:
        kind = self.query_one("#incident-kind", Select).value
        clients = [
            c.strip()
            for c in self.query_one("#incident-clients", Input).value.replace(";", ",").split(",")
            if c.strip()
        ]
        self.dismiss(
            NewIncident(
                str(kind),
                self.query_one("#incident-discovered", Input).value,
                self.query_one("#incident-occurred", Input).value or None,
                self.query_one("#incident-description", SafeTextArea).text,
                self.query_one("#incident-media", Input).value,
                clients,
                self.query_one("#incident-containment", Input).value,
            )
        )

    @on(Button.Pressed, "#incident-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


_FACTORS = (
    ("nature", "1. Nature and extent of the information"),
    ("recipient", "2. Who used it, or to whom it went"),
    ("acquired", "3. Was it actually acquired or viewed?"),
    ("mitigation", "4. How far was the risk mitigated?"),
)


class AssessModal(ModalScreen[dict[str, str] | None]):
    """The four factors, pre-filled, under what Confide knows about the affected copies."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    # Here, not on IncidentsScreen: a screen's CSS is scoped to that screen, so the form's
    # height and the text areas' never reached the modals (4-line boxes drawn as 2).
    DEFAULT_CSS = """
    AssessModal .incident-form { height: 90%; }
    AssessModal .incident-form SafeTextArea { height: 4; }
    """

    def __init__(self, incident: Incident, facts: list[str]) -> None:
        super().__init__()
        self.incident = incident
        self.facts = facts

    def compose(self) -> ComposeResult:
        i = self.incident
        with VerticalScroll(classes="modal-box incident-form"):
            yield Static(
                f"Risk assessment of {i.record_id} (45 CFR 164.402(2))",
                markup=False,
                classes="modal-question",
            )
            facts = Text()
            for line in self.facts:
                facts.append(
                    visible("- " + line) + "\n",
                    style="bold red" if line.startswith("WARNING") else "",
                )
            yield Static(facts, id="assess-facts")
            yield Static(
                "May the passphrase or the recovery sheet also be compromised?",
                classes="field-label",
                markup=False,
            )
            yield Select(
                [(Text("no"), "no"), (Text("yes"), "yes"), (Text("unknown"), "unknown")],
                value=i.keys_compromised.value if i.keys_compromised else Select.NULL,
                prompt="not answered",
                id="assess-keys",
            )
            for key, label in _FACTORS:
                yield Static(label, classes="field-label", markup=False)
                yield SafeTextArea(getattr(i, key), id=f"assess-{key}")
            with Horizontal(classes="modal-buttons"):
                yield Button("Save", variant="primary", id="assess-save")
                yield Button("Cancel", id="assess-cancel")

    @on(Button.Pressed, "#assess-save")
    def save(self) -> None:
        result = {key: self.query_one(f"#assess-{key}", SafeTextArea).text for key, _ in _FACTORS}
        keys = self.query_one("#assess-keys", Select).value
        if isinstance(keys, str):
            result["keys_compromised"] = keys
        self.dismiss(result)

    @on(Button.Pressed, "#assess-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConcludeModal(ModalScreen[tuple[str, str] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    # Labels on the left of their fields (labelled_row), as in the client form.
    DEFAULT_CSS = """
    ConcludeModal .form-row { height: auto; }
    ConcludeModal .form-row Input, ConcludeModal .form-row Select { width: 1fr; }
    ConcludeModal .form-row .field-label { width: 13; padding: 1 1 0 0; color: $text-muted; }
    ConcludeModal .form-row .field-label.second { width: 10; padding: 1 1 0 1; }
    """

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.incident = incident

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(
                f"Your conclusion on {self.incident.record_id}, with your reasoning.",
                markup=False,
                classes="modal-question",
            )
            yield labelled_row(
                (
                    "Conclusion",
                    Select(
                        [(Text(c.label), c.value) for c in Conclusion],
                        value=Conclusion.BREACH.value,
                        allow_blank=False,
                        id="conclude-choice",
                    ),
                )
            )
            yield labelled_row(
                ("Reasoning", Input(placeholder="why, in your words", id="conclude-reason"))
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Conclude", variant="primary", id="conclude-save")
                yield Button("Cancel", id="conclude-cancel")

    @on(Button.Pressed, "#conclude-save")
    @on(Input.Submitted, "#conclude-reason")
    def save(self) -> None:
        self.dismiss(
            (
                str(self.query_one("#conclude-choice", Select).value),
                self.query_one("#conclude-reason", Input).value,
            )
        )

    @on(Button.Pressed, "#conclude-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FolderModal(ModalScreen[str | None]):
    """One line of input: a folder for the letters, or a client's record id."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, placeholder: str = "folder", button: str = "Write") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.button = button

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(self.question, markup=False, classes="modal-question")
            yield Input(placeholder=self.placeholder, id="folder-path")
            with Horizontal(classes="modal-buttons"):
                yield Button(self.button, variant="primary", id="folder-ok")
                yield Button("Cancel", id="folder-cancel")

    @on(Button.Pressed, "#folder-ok")
    @on(Input.Submitted, "#folder-path")
    def ok(self) -> None:
        self.dismiss(self.query_one("#folder-path", Input).value)

    @on(Button.Pressed, "#folder-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class IncidentsScreen(ReloadingScreen):
    DEFAULT_CSS = """
    IncidentsScreen #incidents { height: auto; max-height: 12; }
    IncidentsScreen #incident-detail-box { height: 1fr; border-top: solid $primary; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("n", "new", "New incident"),
        Binding("a", "assess", "Assess"),
        Binding("c", "conclude", "Conclude"),
        Binding("l", "letters", "Letters"),
        Binding("s", "sent", "Notice sent"),
        Binding("x", "close_incident", "Close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.incidents: list[Incident] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="incidents-status", markup=False)
        yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="incident-detail-box"):
            yield Static("", id="incident-detail", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Incidents"
        table = self.query_one("#incidents", DataTable)
        for key, label in (
            ("id", "Incident"),
            ("kind", "Kind"),
            ("found", "Discovered"),
            ("state", "State"),
            ("clients", "Clients"),
            ("deadline", "Notices due by"),
        ):
            table.add_column(label, key=key)
        self.reload()
        table.focus()

    def reload(self) -> None:
        try:
            self.incidents = self.vault.incidents.list()
            warnings = self.vault.incidents.warnings()
        except ConfideError as e:
            self.show_error(e)
            return
        today = date.today()
        table = self.query_one("#incidents", DataTable)
        row = table.cursor_row
        table.clear()
        for i in self.incidents:
            table.add_row(
                Text(i.record_id),
                Text(i.kind.label),
                Text(i.discovered_on),
                Text(_state(i)),
                Text(str(i.affected)),
                Text(_deadline(i, today)),
                key=str(i.id),
            )
        if self.incidents:
            table.move_cursor(row=min(row, len(self.incidents) - 1))
        status = self.query_one("#incidents-status", Static)
        if warnings:
            status.update(Text("\n".join(visible(w) for w in warnings), style="bold"))
        elif self.incidents:
            status.update("No incident's notice clock is running. n records a new one.")
        else:
            status.update(
                "No incidents recorded. n records one; reporting a backup drive "
                "lost opens one by itself."
            )
        status.set_class(bool(warnings), "error")
        self._show_detail()

    def footer_idle(self) -> set[str]:
        """The keys that do not apply to the selected incident: the footer drops these first
        when the terminal is narrow (they still work, and `?` lists them)."""
        i = self.current()
        if i is None or not i.is_open:
            return {"assess", "conclude", "letters", "sent", "close_incident"}
        if i.conclusion is None:
            return {"letters", "sent", "close_incident"}  # closing needs a conclusion
        idle = {"assess", "conclude"}  # done; they can still be changed while it is open
        if i.conclusion is not Conclusion.BREACH:
            idle |= {"letters", "sent"}
        return idle

    def current(self) -> Incident | None:
        if not self.incidents:
            return None
        row = self.query_one("#incidents", DataTable).cursor_row
        return self.incidents[min(max(row, 0), len(self.incidents) - 1)]

    @on(DataTable.RowHighlighted, "#incidents")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        self.refresh_bindings()  # the footer's keys follow the selected incident's state
        box = self.query_one("#incident-detail", Static)
        i = self.current()
        if i is None:
            box.update("")
            return
        text = Text()

        def line(label: str, value: str, style: str = "") -> None:
            text.append(label, style="bold")
            text.append(visible(value) + "\n", style=style)

        line(f"{i.record_id}  ", f"{i.kind.label} ({_state(i)})")
        line("Happened: ", i.occurred_on or "unknown")
        line("Discovered: ", i.discovered_on)
        if i.deadline is not None and i.is_open:
            line("Notices due by: ", _deadline(i, date.today()), "bold red")
        line("Media: ", i.media or "-")
        line("What happened: ", i.description)
        line("Containment: ", i.containment or "-")
        text.append("What Confide knows:\n", style="bold")
        for fact in self.vault.incidents.known_facts(i):
            text.append(
                visible(f"  - {fact}") + "\n",
                style="bold red" if fact.startswith("WARNING") else "",
            )
        keys = i.keys_compromised.value if i.keys_compromised else "not answered"
        line("Passphrase or recovery sheet compromised: ", keys)
        for key, label in _FACTORS:
            line(label + ": ", getattr(i, key) or "-")
        if i.conclusion is not None:
            line("Conclusion: ", f"{i.conclusion.label} ({i.concluded_on})")
            line("Reasoning: ", i.conclusion_reason or "")
        if i.clients:
            sent = i.sent_to
            line(
                "Affected clients: ",
                ", ".join(
                    c.record_id
                    + (" (notified)" if c.record_id in sent else "")
                    + ("" if c.in_vault else " (no longer in the vault)")
                    for c in i.clients
                ),
            )
        box.update(text)

    # -- actions

    def _run(self, work: Callable[[], object]) -> None:
        """Call into the vault; a refusal is shown and changes nothing."""
        try:
            work()
        except ConfideError as e:
            self.show_error(e)
        self.reload()

    def action_new(self) -> None:
        if self.capp.refuse_in_custodian_mode("recording incidents"):
            return

        def entered(new: NewIncident | None) -> None:
            if new is not None:
                self._run(
                    lambda: self.vault.incidents.open(
                        new.kind,
                        new.discovered_on,
                        new.description,
                        occurred_on=new.occurred_on,
                        media=new.media,
                        containment=new.containment,
                        clients=new.clients,
                        kinds=("identity", "notes"),
                    )
                )

        self.app.push_screen(NewIncidentModal(), entered)

    def action_assess(self) -> None:
        if self.capp.refuse_in_custodian_mode("assessing incidents"):
            return
        incident = self.current()
        if incident is None:
            return

        def entered(result: dict[str, str] | None) -> None:
            if result is not None:
                self._run(lambda: self.vault.incidents.assess(incident.id, **result))

        self.app.push_screen(
            AssessModal(incident, self.vault.incidents.known_facts(incident)), entered
        )

    def action_conclude(self) -> None:
        if self.capp.refuse_in_custodian_mode("concluding incidents"):
            return
        incident = self.current()
        if incident is None:
            return

        def entered(result: tuple[str, str] | None) -> None:
            if result is not None:
                self._run(lambda: self.vault.incidents.conclude(incident.id, *result))

        self.app.push_screen(ConcludeModal(incident), entered)

    def action_letters(self) -> None:
        incident = self.current()
        if incident is None:
            return
        if incident.conclusion is not Conclusion.BREACH:
            self.notify("Letters are for an incident concluded a breach.", title="Letters")
            return

        def entered(folder: str | None) -> None:
            if not folder:
                return
            target = Path(folder).expanduser()

            def write() -> None:
                written = 0
                for c in incident.clients:
                    if c.in_vault:
                        self.vault.incidents.write_notice(
                            incident.id,
                            c.record_id,
                            target / f"notice-{incident.record_id}-{c.record_id}.pdf",
                        )
                        written += 1
                self.notify(
                    f"{written} letter(s) written to {target}. Record each one sent "
                    "with s (Notice sent).",
                    title="Letters",
                    timeout=15,
                )

            self._run(write)

        self.app.push_screen(
            FolderModal(
                f"Write one PDF letter per affected client of "
                f"{incident.record_id} into which folder?"
            ),
            entered,
        )

    def action_sent(self) -> None:
        if self.capp.refuse_in_custodian_mode("recording breach notices"):
            return
        incident = self.current()
        if incident is None:
            return

        def entered(client: str | None) -> None:
            if client:
                self._run(lambda: self.vault.incidents.record_sent(incident.id, client))

        self.app.push_screen(
            FolderModal(
                f"Record a notice of {incident.record_id} sent today by mail: which client?",
                "C-00001",
                "Record",
            ),
            entered,
        )

    def action_close_incident(self) -> None:
        if self.capp.refuse_in_custodian_mode("closing incidents"):
            return
        incident = self.current()
        if incident is not None:
            self._run(lambda: self.vault.incidents.close(incident.id))

    def action_back(self) -> None:
        self.app.pop_screen()
