"""Release of records and authorizations, for one client.

`ReleaseScreen` is a guided flow, one step at a time so each fits 80x24: who asks and why ->
basis -> what -> format -> preview; Write (F6) then asks, naming where the file goes. Next
(pgdn) checks the step before moving on and says why it cannot; Back (pgup) never checks.
Any change to the request after the preview disables Write until the next preview, so what is
written is always what was reviewed. `AuthorizationsScreen`: the client's authorizations with
their status, a labelled form to record a signed one, `r` to revoke.

Thin: every rule is in `vault.disclosures`; slow work (PDF layout, fsync) runs in thread workers.
User text is shown as `rich.text.Text` or in a read-only SafeTextArea, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    DataTable,
    Input,
    Select,
    SelectionList,
    Static,
)
from textual.worker import Worker, WorkerState

from vault import AuthenticationError, ConfideError, OmitCategory, UsageError
from vault.attachments import Attachment, human_size
from vault.disclosures import (
    Authorization,
    AuthorizationKind,
    Disclosure,
    DocumentKind,
    RecordsRequest,
    ReleasePlan,
    ReleaseSpec,
    RequestType,
)
from vault.disclosures.authorizations import same_party
from vault.disclosures.facade import ExportFormat
from vault.disclosures.writer import check_target
from vault.records import validate
from vault.timefmt import local_time

from ...workflows.disclosures import default_document_kinds
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.labelled import labelled_row
from ..widgets.safe import SafeInput, SafeTextArea, plain
from ..widgets.tables import add_rows_fitting
from .base import VaultScreen
from .modals import ConfirmModal, PassphraseModal

RELEASE_TYPES = [
    RequestType.CLIENT_AUTHORIZATION,
    RequestType.COURT_ORDER,
    RequestType.SUBPOENA,
    RequestType.MANDATED_REPORT,
    RequestType.DUTY_TO_WARN,
    RequestType.CLIENT_ACCESS,
]

# The steps, in order: (container id, title in the step line).
STEPS = [
    ("step-who", "Who asks and why"),
    ("step-basis", "Basis"),
    ("step-what", "What"),
    # Only for a client with scanned forms on file, in a release to someone else (a client's
    # own copy carries every form): nothing is sent unless ticked here.
    ("step-files", "Files"),
    ("step-format", "Format"),
    ("step-preview", "Preview"),
]
STEP_IDS = [step for step, _ in STEPS]

FILE_NAME_HIDDEN = "(name hidden: privacy mode)"

FORMATS = [
    (ExportFormat.PDF, "PDF"),
    (ExportFormat.TEXT, "Plain text (.txt)"),
    (ExportFormat.MARKDOWN, "Markdown (.md)"),
]

BASIS_HINTS = {
    RequestType.CLIENT_AUTHORIZATION: "The client's signed authorization (164.508). A valid one "
    "on file is chosen already; record a new one from the command palette (Authorizations).",
    RequestType.COURT_ORDER: "Name the order: court, case number and date. Only what the order "
    "covers should leave.",
    RequestType.SUBPOENA: "A subpoena alone releases nothing. Record it (a legal hold is placed), "
    "with the client's authorization or the court order when you have one; Record again adds "
    "one to a recorded subpoena.",
    RequestType.MANDATED_REPORT: "Permitted by law without an authorization, but only what the "
    "report needs: the next step asks for the notes item by item.",
    RequestType.DUTY_TO_WARN: "Permitted by law without an authorization, but only what the "
    "warning needs: the next step asks for the notes item by item.",
    RequestType.CLIENT_ACCESS: "The client's own copy of their record (164.524): no "
    "authorization is needed, and psychotherapy notes are not part of it.",
}


@dataclass(frozen=True)
class _Form:
    """The release form's values, compared to know whether a preview is still current."""

    kind: RequestType
    recipient: str
    address: str
    purpose: str
    authorization: int | None
    pnotes_authorization: int | None
    court_order: str
    date_from: str
    date_to: str
    kinds: tuple[DocumentKind, ...]
    include: tuple[OmitCategory, ...]
    items: str
    access_request: int | None = None
    request: int | None = None  # the recorded subpoena this answers
    attachments: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Output:
    """Where and how a previewed release is written (checked on the Format step)."""

    target: Path
    password: str | None
    paper: str
    force: bool


class _StepProblem(Exception):
    """A step's field that stops Next, with the reason shown to the user."""

    def __init__(self, step: str, field: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.field = field
        self.message = message


def mark_current_row(screen: Widget, focused: Widget) -> None:
    """Highlight the label of the field with focus (`:focus-within` was not restyled when
    focus moved on, so a label stayed lit beside a field no longer focused)."""
    for row in screen.query(".current"):
        row.remove_class("current")
    parent = focused.parent
    if parent is not None and (parent.has_class("row") or parent.has_class("list-box")):
        parent.add_class("current")


def _row(label: str, *widgets: Widget, row_id: str | None = None) -> Horizontal:
    """A labelled field: the label on the left, always visible once the field is filled."""
    return Horizontal(Static(label, classes="field-label"), *widgets, classes="row", id=row_id)


class ReleaseScreen(VaultScreen):
    """Release one client's records, step by step: request, basis, what, format, preview."""

    BINDINGS = [
        Binding("pageup", "back", "Back", priority=True),
        Binding("pagedown", "next", "Next", priority=True),
        Binding("f5", "preview", "Preview", priority=True),
        # Priority: the preview TextArea has focus and binds f6 (select line) itself.
        Binding("f6", "write", "Write", priority=True),
        Binding("escape", "close", "Close"),
    ]

    DEFAULT_CSS = """
    ReleaseScreen #release-steps { height: 1; margin: 0 1; }
    ReleaseScreen #release-switcher { height: 1fr; }
    ReleaseScreen .step { padding: 0 1; height: 1fr; }
    ReleaseScreen .row { height: 3; }
    ReleaseScreen .row .field-label { width: 25; padding: 1 1 0 0; color: $text-muted; }
    ReleaseScreen .row.current .field-label { color: $accent; text-style: bold; }
    ReleaseScreen .row Input, ReleaseScreen .row Select { width: 1fr; }
    ReleaseScreen .row .inner-label { width: auto; padding: 1 1 0 1; color: $text-muted; }
    ReleaseScreen .row Checkbox { width: 1fr; }
    ReleaseScreen .hint { color: $text-muted; margin: 0 0 0 1; height: auto; }
    ReleaseScreen #release-lists { height: auto; }
    ReleaseScreen #release-lists > Vertical { width: 1fr; height: auto; }
    ReleaseScreen .list-label { color: $text-muted; margin: 0 0 0 1; }
    ReleaseScreen .list-box.current .list-label {
        color: $accent; text-style: bold;
    }
    ReleaseScreen #release-kinds, ReleaseScreen #release-include { height: auto; max-height: 10; }
    ReleaseScreen #release-files { height: auto; max-height: 12; }
    ReleaseScreen #release-record-request { width: 10; min-width: 10; margin: 0 1 0 0; }
    ReleaseScreen #release-buttons { height: auto; }
    ReleaseScreen #release-status { margin: 0 1; height: auto; max-height: 4; }
    ReleaseScreen #release-status.error { color: $error; }
    ReleaseScreen #release-preview { height: 1fr; }
    ReleaseScreen #release-hidden { margin: 1; color: $text-muted; }
    """

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.plan: ReleasePlan | None = None
        self._plan_form: _Form | None = None
        self._pending_form: _Form | None = None
        self._passphrase: str | None = None
        self.written: Disclosure | None = None
        self._general_auths = 0
        self._kinds_for: int | None = None  # the authorization the kinds were preselected for
        self._auth_offered = False
        self._auth_auto: int | None = None  # the authorization offered, not chosen by the user
        self._files: list[Attachment] = []  # the client's forms that may go (not in error)
        self._subpoenas: list[RecordsRequest] = []  # open recorded subpoenas of this client
        self.step = STEP_IDS[0]

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="release-steps")
        with ContentSwitcher(initial=STEP_IDS[0], id="release-switcher"):
            with VerticalScroll(id="step-who", classes="step"):
                yield _row(
                    "Request type",
                    Select(
                        [(Text(t.label), t.value) for t in RELEASE_TYPES],
                        value=RequestType.CLIENT_AUTHORIZATION.value,
                        allow_blank=False,
                        id="release-type",
                    ),
                )
                yield _row(
                    "Access request",
                    Select([], id="release-access-request", prompt="none recorded"),
                    row_id="row-access-request",
                )
                yield _row(
                    "Released to (recipient)",
                    SafeInput(id="release-recipient", placeholder="who receives the records"),
                    row_id="row-recipient",
                )
                yield _row(
                    "Recipient's address",
                    SafeInput(id="release-address", placeholder="optional"),
                )
                yield _row(
                    "Released for (purpose)",
                    SafeInput(id="release-purpose", placeholder="why they are asked for"),
                    row_id="row-purpose",
                )
                yield Static(
                    "Who asks for the records and why, as the request says. Next: pgdn.",
                    id="who-hint",
                    classes="hint",
                    markup=False,
                )
            with VerticalScroll(id="step-basis", classes="step"):
                yield _row(
                    "Recorded subpoena",
                    Select([], id="release-request", prompt="not recorded yet"),
                    Button("Record", id="release-record-request"),
                    row_id="row-request",
                )
                yield _row(
                    "Subpoena reference",
                    SafeInput(id="release-subpoena-ref", placeholder="case no."),
                    Static("received", classes="inner-label"),
                    SafeInput(id="release-subpoena-received", placeholder="YYYY-MM-DD"),
                    row_id="row-subpoena",
                )
                yield _row(
                    "Authorization",
                    Select([], id="release-auth", prompt="none"),
                    row_id="row-auth",
                )
                yield _row(
                    "Psychotherapy notes",
                    Select([], id="release-pnotes-auth", prompt="none (excluded)"),
                    row_id="row-pnotes",
                )
                yield _row(
                    "Court order",
                    SafeInput(id="release-court-order", placeholder="court, case, date"),
                    row_id="row-court",
                )
                yield Static("", id="basis-hint", classes="hint", markup=False)
            with VerticalScroll(id="step-what", classes="step"):
                yield _row(
                    "Session dates from",
                    SafeInput(id="release-from", placeholder="YYYY-MM-DD (optional)"),
                    Static("until", classes="inner-label"),
                    SafeInput(id="release-until", placeholder="YYYY-MM-DD (optional)"),
                )
                yield _row(
                    "Notes, item by item",
                    SafeInput(id="release-items", placeholder="N-000012, N-000015 (optional)"),
                )
                with Horizontal(id="release-lists"):
                    with Vertical(classes="list-box"):
                        yield Static("Document kinds", classes="list-label")
                        yield SelectionList[str](
                            *[(k.plural, k.value, True) for k in DocumentKind],
                            id="release-kinds",
                        )
                    with Vertical(classes="list-box"):
                        yield Static("Include flagged on purpose", classes="list-label")
                        yield SelectionList[str](
                            *[(c.label, c.value, False) for c in OmitCategory],
                            id="release-include",
                        )
            with VerticalScroll(id="step-files", classes="step"):
                yield Static(
                    "Scanned forms to send (nothing is sent unless ticked; space ticks)",
                    classes="list-label",
                    markup=False,
                )
                yield SelectionList[int](id="release-files")
                yield Static("", id="files-hint", classes="hint", markup=False)
            with VerticalScroll(id="step-format", classes="step"):
                yield _row(
                    "Format",
                    Select(
                        [(Text(label), fmt.value) for fmt, label in FORMATS],
                        value=ExportFormat.PDF.value,
                        allow_blank=False,
                        id="release-format",
                    ),
                    Static("paper", classes="inner-label"),
                    Select(
                        [(Text("Letter"), "letter"), (Text("A4"), "a4")],
                        value="letter",
                        allow_blank=False,
                        id="release-paper",
                    ),
                    row_id="row-format",
                )
                yield _row(
                    "Write to (file path)",
                    SafeInput(id="release-out", placeholder="/path/to/release.pdf"),
                )
                yield _row(
                    "PDF password",
                    Checkbox("Protect the PDF (AES-256)", value=True, id="release-protect"),
                    row_id="row-protect",
                )
                yield _row(
                    "Password",
                    SafeInput(id="release-password", password=True, placeholder="password"),
                    Static("again", classes="inner-label"),
                    SafeInput(id="release-password-again", password=True, placeholder="again"),
                    row_id="row-password",
                )
                yield _row(
                    "If the file exists",
                    Checkbox("Replace it", id="release-force"),
                )
            with Vertical(id="step-preview", classes="step"):
                yield SafeTextArea("", id="release-preview", read_only=True, soft_wrap=True)
                yield Static(
                    "The preview is hidden in privacy mode (F2 shows it).",
                    id="release-hidden",
                    markup=False,
                )
                with Horizontal(id="release-buttons"):
                    yield Button("Preview again (F5)", id="release-preview-button")
                    yield Button(
                        "Write (F6)", id="release-write-button", variant="warning", disabled=True
                    )
        yield Static("", id="release-status", markup=False)
        yield AppFooter()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        mark_current_row(self, event.widget)

    def on_mount(self) -> None:
        if self.app.screen is not self:
            return  # closed (escape) before it finished mounting: its widgets are going away
        self.title = f"Release of records: {self.capp.client_label_by_id(self.client_id)}"
        self.query_one("#release-hidden", Static).display = False
        try:
            paper = self.vault.disclosures.practice().paper
        except ConfideError:
            paper = None
        if paper in ("a4", "letter"):
            self.query_one("#release-paper", Select).value = paper
        self.reload_authorizations()
        self.reload_files()
        self._basis_fields()
        self._format_fields()
        self._show_step(STEP_IDS[0])
        self._status("Step by step: Next (pgdn), Back (pgup). Nothing leaves before Write (F6).")
        # Otherwise the scrolling form itself has focus, and the first Tab or keystroke
        # seems to go nowhere.
        self.query_one("#release-type", Select).focus()

    def reload_authorizations(self) -> None:
        try:
            auths = self.vault.disclosures.authorizations.list(self.client_id)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        today = date.today()
        try:
            requests = self.vault.disclosures.access.requests(self.client_id, open_only=True)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        chooser = self.query_one("#release-access-request", Select)
        was_request = chooser.value
        chooser.set_options(
            [
                (plain(f"{r.record_id} for {r.requester_name}, due {r.due_on}"), r.id)
                for r in requests
            ]
        )
        if any(r.id == was_request for r in requests):
            chooser.value = was_request
        self.reload_subpoenas()
        general = [a for a in auths if a.kind is AuthorizationKind.GENERAL]
        pnotes = [a for a in auths if a.kind is AuthorizationKind.PSYCHOTHERAPY_NOTES]
        self._general_auths = len(general)
        for widget_id, group in (("release-auth", general), ("release-pnotes-auth", pnotes)):
            select = self.query_one(f"#{widget_id}", Select)
            was = select.value
            select.set_options([(_auth_label(a, today), a.id) for a in group])
            if any(a.id == was for a in group):
                select.value = was  # a reload keeps what the user had chosen
            elif widget_id == "release-auth" and not self._auth_offered:
                # Offered once, when the screen opens: an authorization the user set aside
                # (none, for a subpoena without one) is not chosen again by a reload.
                valid = [a for a in group if a.problem(today) is None]
                if valid:  # the valid authorization is the one meant (the newest of several)
                    select.value = valid[0].id
                    self._auth_offered = True
                    self._auth_auto = valid[0].id

    def reload_subpoenas(self, choose: int | None = None) -> None:
        """The client's open recorded subpoenas, each saying whether it can be answered."""
        try:
            found = self.vault.disclosures.requests.list(self.client_id)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self._subpoenas = [
            r for r in found if r.request_type is RequestType.SUBPOENA and r.status == "open"
        ]
        chooser = self.query_one("#release-request", Select)
        was = chooser.value if choose is None else choose
        chooser.set_options(
            [
                (
                    # Short: the Select is about 35 columns at 80x24, and wraps no further.
                    plain(
                        f"{r.record_id} {r.requester_name}"
                        + ("" if r.can_release else " (no basis yet)")
                    ),
                    r.id,
                )
                for r in self._subpoenas
            ]
        )
        if any(r.id == was for r in self._subpoenas):
            chooser.value = was
        elif len(self._subpoenas) == 1:
            chooser.value = self._subpoenas[0].id

    def reload_files(self, audited: bool = True) -> None:
        """The client's scanned forms that may go with a release (entered in error: never).
        Audited once, when the screen opens; a refresh after a modal closes is the same view."""
        files = self.vault.attachments
        try:
            found = (
                files.list(self.client_id)
                if audited
                else files.for_client_unaudited(self.client_id)
            )
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self._files = [a for a in found if not a.entered_in_error]
        self._file_labels()

    def _file_labels(self) -> None:
        """(Re)draw the Files list, keeping the ticks: names are data, hidden in privacy mode."""
        listing = self.query_one("#release-files", SelectionList)
        ticked = set(listing.selected)
        row = listing.highlighted
        listing.clear_options()
        listing.add_options(
            [
                (
                    plain(
                        f"{a.record_id}  {a.kind.value:<13} {human_size(a.size):>9}  "
                        + (FILE_NAME_HIDDEN if self.privacy else a.file_name)
                    ),
                    a.id,
                    a.id in ticked,
                )
                for a in self._files
            ]
        )
        if self._files:
            # Clearing dropped the highlight: space would then tick nothing.
            listing.highlighted = min(row or 0, len(self._files) - 1)

    def on_screen_resume(self) -> None:
        # Back from the Authorizations screen (palette): a form just recorded is offered here.
        if self.capp.vault is not None and self.app.screen is self:
            self.reload_authorizations()
            self.reload_files(audited=False)

    # -- the steps

    def _steps(self) -> list[tuple[str, str]]:
        """The steps of this release: Files only when there are forms one may choose."""
        kind = RequestType(str(self.query_one("#release-type", Select).value))
        files = bool(self._files) and kind is not RequestType.CLIENT_ACCESS
        return [s for s in STEPS if s[0] != "step-files" or files]

    def _show_step(self, step: str, focus: str | None = None) -> None:
        self.step = step
        self.query_one("#release-switcher", ContentSwitcher).current = step
        steps = self._steps()
        ids = [step_id for step_id, _ in steps]
        line = Text(f"Step {ids.index(step) + 1} of {len(steps)}: ", style="bold")
        for index, (step_id, title) in enumerate(steps):
            if index:
                line.append(" > ", style="dim")
            line.append(title, style="bold reverse" if step_id == step else "dim")
        self.query_one("#release-steps", Static).update(line)
        target = self.query_one(f"#{focus}") if focus else self._fields(step)[:1]
        if isinstance(target, list):
            if target:
                target[0].focus()
        else:
            target.focus()

    def _fields(self, step: str) -> list[Widget]:
        """The fields of a step a user can reach now, in Tab order."""
        container = self.query_one(f"#{step}")

        def shown(widget: Widget) -> bool:
            node: Any = widget
            while node is not None and node is not container:
                if not node.display:
                    return False
                node = node.parent
            return True

        return [
            w
            for w in container.query("Input, Select, SelectionList, Checkbox, TextArea, Button")
            if w.focusable and shown(w)
        ]

    def action_next(self) -> None:
        steps = self._steps()
        index = [step_id for step_id, _ in steps].index(self.step)
        try:
            self._check(self.step)
        except _StepProblem as problem:
            self._refuse(problem)
            return
        if self.step == "step-format":
            self.action_preview()
        elif self.step == "step-preview":
            self.action_write()
        else:
            self._show_step(steps[index + 1][0])
            self._status(f"{steps[index + 1][1]}: fill in what applies, then Next (pgdn).")

    def action_back(self) -> None:
        steps = self._steps()
        index = [step_id for step_id, _ in steps].index(self.step)
        if index:
            self._show_step(steps[index - 1][0])
            self._status("Back: changes here need a new preview before writing.")

    @on(Input.Submitted)
    def field_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the step's next field, and from its last field to the next step."""
        if event.input.id == "reauth":
            return
        event.stop()
        fields = self._fields(self.step)
        if event.input in fields and event.input is not fields[-1]:
            following = fields[fields.index(event.input) + 1 :]
            nxt = next((w for w in following if not isinstance(w, Button)), None)
            if nxt is not None:
                nxt.focus()
                return
        self.action_next()

    def _refuse(self, problem: _StepProblem) -> None:
        if problem.step != self.step:
            self._show_step(problem.step, focus=problem.field)
        else:
            self.query_one(f"#{problem.field}").focus()
        self._status(problem.message, error=True)

    def _check(self, step: str) -> None:
        """Raise _StepProblem when `step` cannot be left forward."""
        if step == "step-who":
            self._check_who(self.form())
        elif step == "step-basis":
            self._check_basis(self.form())
        elif step == "step-what":
            self._check_what(self.form())
        elif step == "step-format":
            self.output()

    def _check_who(self, form: _Form) -> None:
        if form.kind is RequestType.CLIENT_ACCESS:
            return  # the client is the recipient and the purpose is their own access
        if not form.recipient:
            raise _StepProblem(
                "step-who",
                "release-recipient",
                "Say who receives the records (Released to): a release needs a recipient.",
            )
        if not form.purpose:
            raise _StepProblem(
                "step-who",
                "release-purpose",
                "Say what the records are for (Released for): the accounting records it.",
            )

    def _check_basis(self, form: _Form) -> None:
        if form.kind is RequestType.CLIENT_AUTHORIZATION and form.authorization is None:
            # Said here in the app's terms; the vault's message names a CLI command, which
            # cannot run while this app holds the vault open.
            raise _StepProblem(
                "step-basis",
                "release-auth",
                "Choose the client's signed authorization under Authorization."
                if self._general_auths
                else "This client has no authorization on file: record the signed "
                "form first (command palette, Authorizations), then come back here.",
            )
        if form.authorization is not None and form.kind is RequestType.CLIENT_AUTHORIZATION:
            auth = self.vault.disclosures.authorizations.get(form.authorization)
            problem = auth.problem(date.today())
            if problem is not None:
                raise _StepProblem("step-basis", "release-auth", _sentence(problem))
        if form.kind is RequestType.SUBPOENA:
            self._check_subpoena(form)
        if form.kind is RequestType.COURT_ORDER and not form.court_order:
            raise _StepProblem(
                "step-basis",
                "release-court-order",
                "Name the court order (court, case number, date): it is the basis of release.",
            )

    def _check_subpoena(self, form: _Form) -> None:
        request = next((r for r in self._subpoenas if r.id == form.request), None)
        if request is None:
            raise _StepProblem(
                "step-basis",
                "release-record-request",
                "Record the subpoena first (Record): a legal hold is placed, and a subpoena "
                "alone releases nothing.",
            )
        if not request.can_release:
            typed = self._subpoena_basis()
            raise _StepProblem(
                "step-basis",
                "release-record-request" if typed != (None, None) else "release-auth",
                f"Press Record to add the {'authorization' if typed[0] else 'court order'} "
                f"to {request.record_id}."
                if typed != (None, None)
                else f"{request.record_id} has neither the client's authorization nor a court "
                "order: a subpoena alone releases nothing. Choose one, then Record.",
            )

    def _subpoena_basis(self) -> tuple[int | None, str | None]:
        """The authorization chosen and the court order typed on the Basis step."""
        value = self.query_one("#release-auth", Select).value
        order = self.query_one("#release-court-order", Input).value.strip()
        return (value if isinstance(value, int) else None), (order or None)

    @on(Button.Pressed, "#release-record-request")
    def record_subpoena(self) -> None:
        """Record the subpoena (what `confide release --type subpoena` records: who issued it,
        the reference, the date received; a legal hold is placed), with the authorization or
        court order given; on a recorded one, add them (`confide request update`)."""
        form = self.form()
        authorization, order = self._subpoena_basis()
        requests = self.vault.disclosures.requests
        if authorization is not None:
            auth = self.vault.disclosures.authorizations.get(authorization)
            if not same_party(auth.recipient_name, form.recipient):
                # The release would be refused for it; better not to file it on the request.
                self._status(
                    f"{auth.record_id} authorizes disclosure to {auth.recipient_name}, not to "
                    f"{form.recipient}: choose the client's authorization for this subpoena, "
                    "or none.",
                    error=True,
                )
                self.query_one("#release-auth").focus()
                return
        current = next((r for r in self._subpoenas if r.id == form.request), None)
        if current is not None:
            if authorization is None and order is None:
                self._status(
                    f"{current.record_id} is recorded. To answer it, choose the client's "
                    "authorization or type the court order, then Record.",
                    error=not current.can_release,
                )
                return
            try:
                updated = requests.update(
                    current.id, authorization_id=authorization, court_order=order
                )
            except ConfideError as e:
                self._status(_sentence(e.message), error=True)
                return
            self._recorded(updated, "updated")
            return
        if not form.recipient:
            self._refuse(
                _StepProblem(
                    "step-who",
                    "release-recipient",
                    "Say who issued the subpoena (Released to) before recording it.",
                )
            )
            return
        ref = self.query_one("#release-subpoena-ref", Input).value.strip()
        received = self.query_one("#release-subpoena-received", Input).value.strip()
        try:
            validate.iso_date(received or None, "received date")
        except ConfideError as e:
            self._refuse(
                _StepProblem("step-basis", "release-subpoena-received", _sentence(e.message))
            )
            return
        client = self.capp.client_label_by_id(self.client_id)
        question = (
            f"Record the subpoena from {form.recipient}"
            + (f" ({ref})" if ref else "")
            + f", received {received or 'today'}"
            + (f", with the client's authorization A-{authorization:05d}" if authorization else "")
            + (f", with the court order {order}" if order else "")
            + f"?\nIt places {client} on legal hold (disposal waits until the hold ends). "
            "Nothing is released."
        )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self._status("Not recorded.")
                return
            try:
                request = requests.open_subpoena(
                    self.client_id, form.recipient, form.address or None, ref or None,
                    received or None,
                )  # fmt: skip
                if authorization is not None or order is not None:
                    request = requests.update(
                        request.id, authorization_id=authorization, court_order=order
                    )
            except ConfideError as e:
                self._status(_sentence(e.message), error=True)
                return
            self._recorded(request, "recorded")

        self.app.push_screen(ConfirmModal(question, yes="Record", no="Cancel"), confirmed)

    def _recorded(self, request: RecordsRequest, verb: str) -> None:
        self.reload_subpoenas(choose=request.id)
        ticks = "; ".join(
            f"[{'x' if item.done else ' '}] {item.text.split(' (')[0]}"
            for item in request.checklist
        )
        ready = (
            "it can be answered: Next (pgdn)."
            if request.can_release
            else "add the client's authorization or the court order to answer it."
        )
        self._status(
            f"{request.record_id} {verb}: the client is on legal hold; {ready} Checklist: {ticks}.",
            error=not request.can_release,
        )

    def _check_what(self, form: _Form) -> None:
        for field, value, label in (
            ("release-from", form.date_from, "from date"),
            ("release-until", form.date_to, "until date"),
        ):
            try:
                validate.iso_date(value or None, label)
            except ConfideError as e:
                raise _StepProblem("step-what", field, _sentence(e.message)) from None
        if form.date_from and form.date_to and form.date_from > form.date_to:
            raise _StepProblem(
                "step-what", "release-until", "The until date is before the from date."
            )
        try:
            items = _note_ids(form.items)
        except ConfideError as e:
            raise _StepProblem("step-what", "release-items", _sentence(e.message)) from None
        if form.kind.minimum_necessary and not items:
            raise _StepProblem(
                "step-what",
                "release-items",
                f"A {form.kind.label} releases only what it needs: list the notes item by "
                "item (N-000012, N-000015).",
            )
        if not form.kinds:
            raise _StepProblem(
                "step-what", "release-kinds", "Choose at least one document kind to release."
            )

    def output(self) -> _Output:
        """Where and how to write, checked; raises _StepProblem on the Format step."""

        def problem(field: str, message: str) -> _StepProblem:
            return _StepProblem("step-format", field, message)

        text = self.query_one("#release-out", Input).value.strip()
        if not text:
            raise problem(
                "release-out", "Say where to write it: a path ending in .pdf, .txt or .md."
            )
        target = Path(text).expanduser().absolute()
        if target.suffix.lower().lstrip(".") in {f.value for f in ExportFormat}:
            # The name typed decides (the Format field follows it as it is typed).
            fmt = ExportFormat.choose(target, None)
        else:
            fmt = ExportFormat(str(self.query_one("#release-format", Select).value))
            target = target.with_name(target.name + "." + fmt.value)
        if fmt is not ExportFormat.PDF and self.form().attachments:
            raise problem(
                "release-out",
                "The scanned forms ticked travel inside a PDF: write a .pdf, or untick them "
                "(Files, pgup).",
            )
        force = self.query_one("#release-force", Checkbox).value
        if (target.exists() or target.is_symlink()) and not force:
            raise problem(
                "release-out",
                f"{target} already exists: choose another name, or tick Replace it.",
            )
        try:
            check_target(target, force)
        except ConfideError as e:
            raise problem("release-out", _sentence(e.message)) from None
        password: str | None = None
        if fmt is ExportFormat.PDF and self.query_one("#release-protect", Checkbox).value:
            password = self.query_one("#release-password", Input).value
            again = self.query_one("#release-password-again", Input).value
            if not password:
                raise problem(
                    "release-password",
                    "Type a PDF password (give it to the recipient another way), "
                    "or untick Protect the PDF.",
                )
            if password != again:
                raise problem(
                    "release-password-again",
                    "The two PDF passwords differ: type the same password in both.",
                )
            from vault.disclosures.pdf import check_password  # loads fpdf2: only for a PDF

            try:
                check_password(password)
            except ConfideError as e:
                raise problem("release-password", _sentence(e.message)) from None
        paper = str(self.query_one("#release-paper", Select).value)
        return _Output(target, password, paper, force)

    def _basis_fields(self) -> None:
        kind = RequestType(str(self.query_one("#release-type", Select).value))
        subpoena = kind is RequestType.SUBPOENA
        auth = self.query_one("#release-auth", Select)
        if self._auth_auto is not None:
            # The authorization offered is for a release under it; a subpoena comes with the
            # client's authorization only when the user chooses one.
            if subpoena and auth.value == self._auth_auto:
                auth.clear()
            elif kind is RequestType.CLIENT_AUTHORIZATION and not isinstance(auth.value, int):
                auth.value = self._auth_auto
        # For a subpoena the authorization and the order are recorded on the request (Record),
        # as `confide request update` does; the release then answers the request.
        self.query_one("#row-auth").display = kind is RequestType.CLIENT_AUTHORIZATION or subpoena
        self.query_one("#row-court").display = kind is RequestType.COURT_ORDER or subpoena
        self.query_one("#row-request").display = subpoena
        self.query_one("#row-subpoena").display = subpoena
        self.query_one("#files-hint", Static).update(
            "Each form goes whole, inside the PDF (a text file cannot carry it), and the "
            "accounting records which. "
            + (
                "An authorization lists document kinds, not forms: check that the signed "
                "form covers what you tick. "
                if kind is RequestType.CLIENT_AUTHORIZATION
                else "Send only what the request needs. "
            )
            + "Next: pgdn."
        )
        self.query_one("#row-pnotes").display = kind is not RequestType.CLIENT_ACCESS
        access = kind is RequestType.CLIENT_ACCESS
        self.query_one("#row-access-request").display = access
        self.query_one("#row-recipient").display = not access
        self.query_one("#row-purpose").display = not access
        self.query_one("#basis-hint", Static).update(BASIS_HINTS[kind])
        self.query_one("#who-hint", Static).update(
            "The client asks for their own copy: it goes to them. Choose the access request "
            "it answers, if one is recorded. Next: pgdn."
            if access
            else "Released to: whoever issued the subpoena (the court, an attorney); why, as "
            "it says. Next: pgdn."
            if subpoena
            else "Who asks for the records and why, as the request says. Next: pgdn."
        )

    def _format_fields(self) -> None:
        pdf = str(self.query_one("#release-format", Select).value) == ExportFormat.PDF.value
        self.query_one("#release-paper", Select).display = pdf
        self.query_one("#row-protect").display = pdf
        protect = self.query_one("#release-protect", Checkbox).value
        self.query_one("#row-password").display = pdf and protect

    @on(Select.Changed, "#release-type")
    def type_changed(self) -> None:
        self._basis_fields()

    @on(Select.Changed, "#release-format")
    def format_changed(self) -> None:
        self._format_fields()
        fmt = str(self.query_one("#release-format", Select).value)
        out = self.query_one("#release-out", Input)
        path = Path(out.value.strip())
        known = path.suffix.lower().lstrip(".") in {f.value for f in ExportFormat}
        if out.value.strip() and known and path.suffix.lower() != "." + fmt:
            out.value = str(path.with_suffix("." + fmt))  # the name follows the format

    @on(Checkbox.Changed, "#release-protect")
    def protect_changed(self) -> None:
        self._format_fields()

    @on(Input.Changed, "#release-out")
    def out_changed(self) -> None:
        suffix = Path(self.query_one("#release-out", Input).value.strip()).suffix.lower()
        select = self.query_one("#release-format", Select)
        if suffix.lstrip(".") in {f.value for f in ExportFormat} and select.value != suffix[1:]:
            select.value = suffix[1:]  # typing report.txt picks plain text

    # -- the form

    def form(self) -> _Form:
        def text(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value.strip()

        def chosen(widget_id: str) -> int | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return value if isinstance(value, int) else None

        kind = RequestType(str(self.query_one("#release-type", Select).value))
        kinds = self.query_one("#release-kinds", SelectionList).selected
        include = self.query_one("#release-include", SelectionList).selected
        # Fields hidden for this kind of request do not count (a court order typed, then
        # the type changed back to an authorization, is not sent).
        return _Form(
            kind=kind,
            recipient=text("release-recipient"),
            address=text("release-address"),
            purpose=text("release-purpose"),
            authorization=chosen("release-auth")
            if kind is RequestType.CLIENT_AUTHORIZATION
            else None,
            pnotes_authorization=chosen("release-pnotes-auth")
            if kind is not RequestType.CLIENT_ACCESS
            else None,
            court_order=text("release-court-order") if kind is RequestType.COURT_ORDER else "",
            date_from=text("release-from"),
            date_to=text("release-until"),
            kinds=tuple(DocumentKind(str(k)) for k in kinds),
            include=tuple(OmitCategory(str(c)) for c in include),
            items=text("release-items"),
            access_request=chosen("release-access-request"),
            request=chosen("release-request") if kind is RequestType.SUBPOENA else None,
            # Ticked forms count only where the Files step is part of this release.
            attachments=tuple(
                sorted(int(v) for v in self.query_one("#release-files", SelectionList).selected)
            )
            if any(step == "step-files" for step, _ in self._steps())
            else (),
        )

    def spec(self, form: _Form) -> ReleaseSpec:
        items = _note_ids(form.items)
        if form.kind is RequestType.CLIENT_ACCESS:
            # The whole designated record set: flags are not chosen here, denials withhold.
            spec = self.vault.disclosures.access_spec(
                self.client_id,
                date_from=form.date_from or None,
                date_to=form.date_to or None,
                document_kinds=form.kinds,
                recipient_address=form.address or None,
                request_id=form.access_request,
            )
            return spec
        return ReleaseSpec(
            client_id=self.client_id,
            request_type=form.kind,
            recipient_name=form.recipient,
            purpose=form.purpose,
            recipient_address=form.address or None,
            date_from=form.date_from or None,
            date_to=form.date_to or None,
            document_kinds=form.kinds,
            include_categories=form.include,
            authorization_id=form.authorization,
            pnotes_authorization_id=form.pnotes_authorization,
            note_ids=items,
            court_order=form.court_order or None,
            request_id=form.request,
            attachment_ids=form.attachments,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def form_changed(self, event: Any) -> None:
        widget_id = getattr(getattr(event, "control", None), "id", None) or ""
        if widget_id.startswith(("release-out", "release-password", "release-format")):
            return  # where and how it is written does not change what leaves
        if widget_id == "release-paper":
            return
        if self.plan is not None and self._plan_form != self.form():
            self._invalidate("The request changed: preview again (F5) before writing.")

    @on(Select.Changed, "#release-auth")
    def authorization_changed(self) -> None:
        """Preselect the document kinds the chosen authorization covers, as `confide release`
        does when no kind is named."""
        value = self.query_one("#release-auth", Select).value
        chosen = value if isinstance(value, int) else None
        if chosen == self._kinds_for:
            return  # a reload that kept the choice: the kinds the user picked stay
        self._kinds_for = chosen
        try:
            kinds = default_document_kinds(self.vault, chosen)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        selection = self.query_one("#release-kinds", SelectionList)
        selection.deselect_all()
        for kind in kinds:
            selection.select(kind.value)
        if chosen is not None:
            # Empty fields take the signed form's wording; typed ones are kept (and checked).
            auth = self.vault.disclosures.authorizations.get(chosen)
            for widget_id, value in (
                ("release-recipient", auth.recipient_name),
                ("release-address", auth.recipient_address or ""),
                ("release-purpose", auth.purpose),
            ):
                field = self.query_one(f"#{widget_id}", Input)
                if not field.value.strip():
                    field.value = value

    def _invalidate(self, message: str) -> None:
        self.plan = None
        self._plan_form = None
        self.query_one("#release-write-button", Button).disabled = True
        self.query_one("#release-preview", SafeTextArea).load_text("")
        self._status(message)

    # -- preview

    @on(Button.Pressed, "#release-preview-button")
    def action_preview(self) -> None:
        """Check the request's steps (the first one that fails is shown), then prepare."""
        if self.plan is not None and self._plan_form != self.form():
            # Now, not when the change's message arrives (after this): it would overwrite
            # the reason this preview is refused.
            self._invalidate("The request changed.")
        try:
            form = self.form()
            self._check_who(form)
            self._check_basis(form)
            self._check_what(form)
            spec = self.spec(form)
        except _StepProblem as problem:
            self._refuse(problem)
            return
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        if form.pnotes_authorization is not None and self._passphrase is None:
            self._ask_passphrase(
                "Psychotherapy notes are kept apart. Enter your passphrase again to include them."
            )
            return
        self._status("Preparing the preview...")
        self._pending_form = form
        self.run_worker(
            partial(self.vault.disclosures.prepare, spec, passphrase=self._passphrase),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="release-preview",
            name="preview",
        )

    def _ask_passphrase(self, reason: str, error: str = "") -> None:
        def entered(passphrase: str | None) -> None:
            if passphrase is None:
                self._status("Cancelled: nothing was prepared.")
                return
            self._passphrase = passphrase
            self.action_preview()

        self.app.push_screen(PassphraseModal(reason, error), entered)

    def show_plan(self, plan: ReleasePlan) -> None:
        self.plan = plan
        self._plan_form = self._pending_form
        self.query_one("#release-preview", SafeTextArea).load_text(plan.preview)
        self.query_one("#release-write-button", Button).disabled = False
        withheld = ", ".join(c.label for c in plan.withheld_categories) or "nothing flagged"
        self._show_step("step-preview", focus="release-preview")
        self._status(
            f"{plan.reference}: {len(plan.note_ids)} documents"
            f"{f' and {plan.pnote_count} psychotherapy notes' if plan.pnote_count else ''}"
            f"{_forms(plan)}"
            f"; withheld: {withheld}. This is exactly what will leave. Write (F6)."
            + "".join(f" Warning: {w}." for w in plan.warnings),
            error=bool(plan.warnings),
        )
        self.privacy_changed()

    # -- write

    @on(Button.Pressed, "#release-write-button")
    def action_write(self) -> None:
        plan = self.plan
        if plan is None or self._plan_form != self.form():
            self._status("Preview first (F5): only a previewed release can be written.", error=True)
            return
        try:
            out = self.output()
        except _StepProblem as problem:
            self._refuse(problem)
            return
        where = str(out.target)
        lock = ", PDF password set" if out.password is not None else ""
        paper = f", {out.paper} paper" if out.target.suffix.lower() == ".pdf" else ""
        warned = "".join(f"\nWarning: {w}." for w in plan.warnings)
        question = (
            f"Write {plan.reference} ({len(plan.note_ids)} documents{_forms(plan)}) for "
            f"{plan.spec.recipient_name} to\n{where}{paper}{lock}?"
            + (" It replaces the file there." if out.force and out.target.exists() else "")
            + warned
        )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self._status("Not written: nothing left the vault. Write (F6) when ready.")
                return
            if self.plan is not plan:
                return  # the form changed or the vault locked while the question was open
            self._status(f"Writing {plan.reference}...")
            self.run_worker(
                partial(
                    self.vault.disclosures.write,
                    plan,
                    out.target,
                    force=out.force,
                    password=out.password,
                    paper=out.paper,
                ),
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="release-write",
                name=where,
            )

        # Records leave the practice here: asked first, with where they go (as the CLI asks).
        self.app.push_screen(ConfirmModal(question, yes="Write", no="Cancel"), confirmed)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        if worker.group not in ("release-preview", "release-write"):
            return
        event.stop()
        if event.state is WorkerState.SUCCESS:
            if worker.group == "release-preview":
                assert isinstance(worker.result, ReleasePlan)
                self.show_plan(worker.result)
            else:
                assert isinstance(worker.result, Disclosure)
                self.written = worker.result
                self._invalidate(
                    f"Wrote {worker.result.record_id} to {worker.name} at "
                    f"{local_time(worker.result.disclosed_at)}; recorded "
                    "in the accounting of disclosures."
                )
                for field in ("release-password", "release-password-again"):
                    self.query_one(f"#{field}", Input).value = ""  # not kept once used
                self.notify(
                    f"{worker.result.record_id} written and recorded.", title="Release written"
                )
        elif event.state is WorkerState.ERROR:
            error = worker.error
            if isinstance(error, AuthenticationError):
                self._passphrase = None
                self._ask_passphrase("Enter your passphrase again.", "Wrong passphrase.")
            elif (
                isinstance(error, UsageError)
                and "passphrase" in error.message
                and self._passphrase is None
            ):
                self._ask_passphrase(error.message[:1].upper() + error.message[1:] + ".")
            elif isinstance(error, ConfideError):
                self._status(error.message, error=True)
            else:
                self._status(
                    f"Unexpected error ({type(error).__name__}); nothing was written.", error=True
                )

    # -- screen duties

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#release-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    def privacy_changed(self) -> None:
        hidden = self.privacy
        # The title carries the client's name: initials once F2 is pressed on this screen.
        self.title = f"Release of records: {self.capp.client_label_by_id(self.client_id)}"
        self.query_one("#release-preview", SafeTextArea).display = not hidden
        self.query_one("#release-hidden", Static).display = hidden
        self._file_labels()

    def before_lock(self) -> None:
        self._passphrase = None
        self.plan = None
        for field in ("release-password", "release-password-again"):
            self.query_one(f"#{field}", Input).value = ""

    def action_close(self) -> None:
        self._passphrase = None
        self.dismiss()


class AuthorizationsScreen(VaultScreen):
    """A client's authorizations: status at a glance, record a signed one, revoke."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("r", "revoke", "Revoke selected"),
    ]

    DEFAULT_CSS = """
    AuthorizationsScreen #auths { height: auto; max-height: 7; }
    AuthorizationsScreen #auth-form { height: 1fr; border-top: solid $panel; padding: 0 1; }
    AuthorizationsScreen .row { height: 3; }
    AuthorizationsScreen .row .field-label { width: 16; padding: 1 1 0 0; color: $text-muted; }
    AuthorizationsScreen .row .field-label.second { width: 13; padding: 1 1 0 1; }
    AuthorizationsScreen .row Input, AuthorizationsScreen .row Select { width: 1fr; }
    AuthorizationsScreen .row.current .field-label { color: $accent; }
    AuthorizationsScreen #auth-status { margin: 0 1; height: auto; }
    AuthorizationsScreen #auth-status.error { color: $error; }
    """

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.auths: list[Authorization] = []
        self._rows: list[tuple[Text, ...]] = []

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        mark_current_row(self, event.widget)

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield DataTable(id="auths", cursor_type="row")
        yield Static("", id="auth-status", markup=False)
        with VerticalScroll(id="auth-form"):
            # Every field labelled: once filled, placeholders vanish and two bare dates
            # (signed, expires) could not be told apart.
            yield labelled_row(
                (
                    "Kind",
                    Select(
                        [
                            (Text("general"), "general"),
                            (Text("psychotherapy notes"), "psychotherapy_notes"),
                        ],
                        value="general",
                        allow_blank=False,
                        id="auth-kind",
                    ),
                ),
                ("Signed on", SafeInput(id="auth-signed", placeholder="YYYY-MM-DD")),
                classes="row",
            )
            yield labelled_row(
                ("May disclose", SafeInput(id="auth-what", placeholder="what, as the form says")),
                classes="row",
            )
            yield labelled_row(
                ("Discloser", SafeInput(id="auth-discloser", placeholder="who discloses")),
                ("Recipient", SafeInput(id="auth-to", placeholder="who receives")),
                classes="row",
            )
            yield labelled_row(
                ("Address", SafeInput(id="auth-address", placeholder="optional")),
                ("Purpose", SafeInput(id="auth-purpose", placeholder="what for")),
                classes="row",
            )
            yield labelled_row(
                ("Expires on", SafeInput(id="auth-expires", placeholder="YYYY-MM-DD")),
                ("or on event", SafeInput(id="auth-event", placeholder="e.g. end of treatment")),
                classes="row",
            )
            yield Button("Record authorization", id="auth-add", variant="primary")
        yield AppFooter()

    def on_mount(self) -> None:
        if self.app.screen is not self:
            return  # closed (escape) before it finished mounting: its widgets are going away
        self.privacy_changed()
        table = self.query_one("#auths", DataTable)
        # Status second: the one column that must always be seen. At 80 columns the status and
        # the free-text columns wrap onto more lines rather than run off the right edge.
        for label in ("ID", "Status", "Kind", "To", "Purpose", "Expires", "Signed"):
            table.add_column(label)
        self.reload()

    def privacy_changed(self) -> None:
        # The title carries the client's name: initials once F2 is pressed on this screen.
        self.title = f"Authorizations: {self.capp.client_label_by_id(self.client_id)}"

    def reload(self) -> None:
        try:
            self.auths = self.vault.disclosures.authorizations.list(self.client_id)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        today = date.today()
        self._rows = [
            tuple(
                map(
                    plain,
                    (
                        a.record_id,
                        a.status(today),
                        "general" if a.kind is AuthorizationKind.GENERAL else "pnotes",
                        a.recipient_name,
                        a.purpose,
                        a.expiry,
                        a.signed_on,
                    ),
                )
            )
            for a in self.auths
        ]
        self._fill()
        if not self.auths:
            self._status("No authorizations yet. Record a signed form below.")

    def _fill(self) -> None:
        table = self.query_one("#auths", DataTable)
        row = table.cursor_row
        table.clear()
        # Status, To, Purpose and Expires wrap when narrow (narrower than the usual minimum:
        # seven columns share 80 cells); ID, Kind and the signed date never need to.
        add_rows_fitting(
            table,
            self._rows,
            table.size.width or self.app.size.width,
            wrapping=(1, 3, 4, 5),
            minimum=8,
            keys=[str(a.id) for a in self.auths],
            whole_words=True,
        )
        if self._rows:
            table.move_cursor(row=min(max(row, 0), len(self._rows) - 1))

    def on_resize(self, event: events.Resize) -> None:
        if self._rows:
            self.call_after_refresh(self._fill)

    @on(Button.Pressed, "#auth-add")
    def add(self) -> None:
        def text(widget_id: str) -> str | None:
            return self.query_one(f"#{widget_id}", Input).value.strip() or None

        try:
            auth = self.vault.disclosures.authorizations.add(
                self.client_id,
                kind=str(self.query_one("#auth-kind", Select).value),
                description=text("auth-what") or "",
                discloser=text("auth-discloser") or "",
                recipient_name=text("auth-to") or "",
                recipient_address=text("auth-address"),
                purpose=text("auth-purpose") or "",
                signed_on=text("auth-signed") or "",
                expires_on=text("auth-expires"),
                expiry_event=text("auth-event"),
            )
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        for widget in self.query("#auth-form Input").results(Input):
            widget.value = ""
        self._status(f"Recorded {auth.record_id}.")
        self.reload()

    def action_revoke(self) -> None:
        table = self.query_one("#auths", DataTable)
        if not self.auths or table.cursor_row < 0:
            return
        auth = self.auths[table.cursor_row]

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.vault.disclosures.authorizations.revoke(auth.id)
            except ConfideError as e:
                self._status(e.message, error=True)
                return
            self._status(f"{auth.record_id} revoked today; it no longer authorizes a release.")
            self.reload()

        self.app.push_screen(
            ConfirmModal(f"Record that the client revoked {auth.record_id} today?", yes="Revoke"),
            confirmed,
        )

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#auth-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    def action_close(self) -> None:
        self.dismiss()


def _auth_label(auth: Authorization, today: date) -> Text:
    return plain(f"{auth.record_id} to {auth.recipient_name} ({auth.status(today)})")


def _forms(plan: ReleasePlan) -> str:
    n = len(plan.attachments)
    return f" and {n} scanned form{'s' if n != 1 else ''}" if n else ""


def _note_ids(text: str) -> tuple[int, ...]:
    return tuple(_note_id(part) for part in text.replace(";", ",").split(",") if part.strip())


def _sentence(message: str) -> str:
    """A vault message (lower case, no stop) as a sentence on the status line."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _note_id(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("N-").removeprefix("N").lstrip("0") or "0"
    if not cleaned.isdigit():
        raise UsageError(f"{text.strip()!r} is not a note identifier (for example N-000012)")
    return int(cleaned)
