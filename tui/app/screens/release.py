"""Release of records and authorizations, for one client.

`ReleaseScreen`: fill in the request, press Preview (F5) to see exactly the text that will leave,
then Write (F6). Any change to the form after the preview disables Write until the next preview,
so what is written is always what was reviewed. `AuthorizationsScreen`: the client's
authorizations with their status, a form to record a signed one, `r` to revoke.

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
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Select,
    SelectionList,
    Static,
)
from textual.worker import Worker, WorkerState

from vault import AuthenticationError, ConfideError, OmitCategory, UsageError
from vault.disclosures import (
    Authorization,
    AuthorizationKind,
    Disclosure,
    DocumentKind,
    ReleasePlan,
    ReleaseSpec,
    RequestType,
)
from vault.timefmt import local_time

from ...workflows.disclosures import default_document_kinds
from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, SafeTextArea, plain
from .base import VaultScreen
from .modals import ConfirmModal, PassphraseModal

RELEASE_TYPES = [
    RequestType.CLIENT_AUTHORIZATION,
    RequestType.COURT_ORDER,
    RequestType.MANDATED_REPORT,
    RequestType.DUTY_TO_WARN,
    RequestType.CLIENT_ACCESS,
]


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


class ReleaseScreen(VaultScreen):
    """Release one client's records: request, preview, write."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f5", "preview", "Preview"),
        Binding("f6", "write", "Write"),
    ]

    DEFAULT_CSS = """
    ReleaseScreen #release-form { width: 52; border-right: solid $panel; }
    ReleaseScreen #release-form Input, ReleaseScreen #release-form Select { margin: 0 0 0 0; }
    ReleaseScreen .field-label { color: $text-muted; margin: 1 0 0 1; }
    ReleaseScreen #release-kinds, ReleaseScreen #release-include { height: auto; max-height: 10; }
    ReleaseScreen #release-buttons { height: auto; margin: 1 0; }
    ReleaseScreen #release-status { margin: 0 1; height: auto; }
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

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        with Horizontal():
            with VerticalScroll(id="release-form"):
                yield Static("Request type", classes="field-label")
                yield Select(
                    [(Text(t.label), t.value) for t in RELEASE_TYPES],
                    value=RequestType.CLIENT_AUTHORIZATION.value,
                    allow_blank=False,
                    id="release-type",
                )
                yield Static("Access request (right of access only)", classes="field-label")
                yield Select([], id="release-access-request", prompt="none recorded")
                yield Static("Released to (recipient)", classes="field-label")
                yield SafeInput(id="release-recipient", placeholder="name")
                yield SafeInput(id="release-address", placeholder="address (optional)")
                yield Static("Released for (purpose)", classes="field-label")
                yield SafeInput(id="release-purpose", placeholder="purpose")
                yield Static("Authorization", classes="field-label")
                yield Select([], id="release-auth", prompt="none")
                yield Static("Psychotherapy-notes authorization", classes="field-label")
                yield Select([], id="release-pnotes-auth", prompt="none (excluded)")
                yield Static("Court order (court, case, date)", classes="field-label")
                yield SafeInput(id="release-court-order")
                yield Static("Session dates (YYYY-MM-DD)", classes="field-label")
                yield SafeInput(id="release-from", placeholder="from")
                yield SafeInput(id="release-until", placeholder="until")
                yield Static("Notes, item by item (minimum necessary)", classes="field-label")
                yield SafeInput(id="release-items", placeholder="N-000012, N-000015")
                yield Static("Document kinds", classes="field-label")
                yield SelectionList[str](
                    *[(k.plural, k.value, True) for k in DocumentKind], id="release-kinds"
                )
                yield Static("Include flagged categories on purpose", classes="field-label")
                yield SelectionList[str](
                    *[(c.label, c.value, False) for c in OmitCategory], id="release-include"
                )
                yield Static("Write to (.pdf, .txt or .md)", classes="field-label")
                yield SafeInput(id="release-out", placeholder="/path/to/release.pdf")
                yield SafeInput(
                    id="release-password",
                    password=True,
                    placeholder="PDF password (optional, AES-256)",
                )
                yield Checkbox("Replace the file if it exists", id="release-force")
                with Horizontal(id="release-buttons"):
                    yield Button("Preview (F5)", id="release-preview-button", variant="primary")
                    yield Button(
                        "Write (F6)", id="release-write-button", variant="warning", disabled=True
                    )
            with Vertical():
                yield Static("", id="release-status", markup=False)
                yield SafeTextArea("", id="release-preview", read_only=True, soft_wrap=True)
                yield Static(
                    "The preview is hidden in privacy mode (F2 shows it).",
                    id="release-hidden",
                    markup=False,
                )
        yield AppFooter()

    def on_mount(self) -> None:
        if self.app.screen is not self:
            return  # closed (escape) before it finished mounting: its widgets are going away
        self.title = f"Release of records: {self.capp.client_label_by_id(self.client_id)}"
        self.query_one("#release-hidden", Static).display = False
        self.reload_authorizations()
        self._status("Fill in the request, then Preview (F5): nothing leaves before Write (F6).")
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
        general = [a for a in auths if a.kind is AuthorizationKind.GENERAL]
        pnotes = [a for a in auths if a.kind is AuthorizationKind.PSYCHOTHERAPY_NOTES]
        self._general_auths = len(general)
        for widget_id, group in (("release-auth", general), ("release-pnotes-auth", pnotes)):
            select = self.query_one(f"#{widget_id}", Select)
            was = select.value
            select.set_options([(_auth_label(a, today), a.id) for a in group])
            if any(a.id == was for a in group):
                select.value = was  # a reload keeps what the user had chosen
            elif widget_id == "release-auth":
                valid = [a for a in group if a.problem(today) is None]
                if valid:  # the valid authorization is the one meant (the newest of several)
                    select.value = valid[0].id

    def on_screen_resume(self) -> None:
        # Back from the Authorizations screen (palette): a form just recorded is offered here.
        if self.capp.vault is not None and self.app.screen is self:
            self.reload_authorizations()

    # -- the form

    def form(self) -> _Form:
        def text(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value.strip()

        def chosen(widget_id: str) -> int | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return value if isinstance(value, int) else None

        kind_value = self.query_one("#release-type", Select).value
        kinds = self.query_one("#release-kinds", SelectionList).selected
        include = self.query_one("#release-include", SelectionList).selected
        return _Form(
            kind=RequestType(str(kind_value)),
            recipient=text("release-recipient"),
            address=text("release-address"),
            purpose=text("release-purpose"),
            authorization=chosen("release-auth"),
            pnotes_authorization=chosen("release-pnotes-auth"),
            court_order=text("release-court-order"),
            date_from=text("release-from"),
            date_to=text("release-until"),
            kinds=tuple(DocumentKind(str(k)) for k in kinds),
            include=tuple(OmitCategory(str(c)) for c in include),
            items=text("release-items"),
            access_request=chosen("release-access-request"),
        )

    def spec(self, form: _Form) -> ReleaseSpec:
        items = tuple(
            _note_id(part) for part in form.items.replace(";", ",").split(",") if part.strip()
        )
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
        )

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def form_changed(self, event: Any) -> None:
        widget_id = getattr(getattr(event, "control", None), "id", None) or ""
        if widget_id in ("release-out", "release-password"):
            return  # where and how it is written does not change what leaves
        if self.plan is not None and self._plan_form != self.form():
            self._invalidate("The form changed: preview again before writing.")

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
        try:
            form = self.form()
            spec = self.spec(form)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        if form.kind is RequestType.CLIENT_AUTHORIZATION and form.authorization is None:
            # Said here in the app's terms; the vault's message names a CLI command, which
            # cannot run while this app holds the vault open.
            self._status(
                "Choose the client's signed authorization under Authorization."
                if self._general_auths
                else "This client has no authorization on file: record the signed "
                "form first (command palette, Authorizations), then come back here.",
                error=True,
            )
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
        self._status(
            f"{plan.reference}: {len(plan.note_ids)} documents"
            f"{f' and {plan.pnote_count} psychotherapy notes' if plan.pnote_count else ''}"
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
        target = self.query_one("#release-out", Input).value.strip()
        if not target:
            self._status("Say where to write it: a path ending in .pdf, .txt or .md.", error=True)
            return
        password = self.query_one("#release-password", Input).value or None
        force = self.query_one("#release-force", Checkbox).value
        where = str(Path(target).expanduser().absolute())
        lock = ", PDF password set" if password is not None else ""
        warned = "".join(f"\nWarning: {w}." for w in plan.warnings)
        question = (
            f"Write {plan.reference} ({len(plan.note_ids)} documents) for "
            f"{plan.spec.recipient_name} to\n{where}{lock}?"
            + (" It replaces the file there." if force and Path(where).exists() else "")
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
                partial(self.vault.disclosures.write, plan, target, force=force, password=password),
                thread=True,
                exclusive=True,
                exit_on_error=False,
                group="release-write",
                name=target,
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

    def before_lock(self) -> None:
        self._passphrase = None
        self.plan = None

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
    AuthorizationsScreen #auths { height: 1fr; }
    AuthorizationsScreen #auth-form { height: auto; max-height: 60%; border-top: solid $panel; }
    AuthorizationsScreen #auth-status { margin: 0 1; height: auto; }
    AuthorizationsScreen #auth-status.error { color: $error; }
    """

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.auths: list[Authorization] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield DataTable(id="auths", cursor_type="row")
        yield Static("", id="auth-status", markup=False)
        with VerticalScroll(id="auth-form"):
            yield Select(
                [
                    (Text("general"), "general"),
                    (Text("psychotherapy notes (its own kind)"), "psychotherapy_notes"),
                ],
                value="general",
                allow_blank=False,
                id="auth-kind",
            )
            yield SafeInput(id="auth-what", placeholder="what may be disclosed")
            yield SafeInput(id="auth-discloser", placeholder="who discloses")
            yield SafeInput(id="auth-to", placeholder="recipient")
            yield SafeInput(id="auth-address", placeholder="recipient address (optional)")
            yield SafeInput(id="auth-purpose", placeholder="purpose")
            yield SafeInput(id="auth-signed", placeholder="signed on YYYY-MM-DD")
            yield SafeInput(id="auth-expires", placeholder="expires on YYYY-MM-DD")
            yield SafeInput(id="auth-event", placeholder="or expiry event")
            yield Button("Record authorization", id="auth-add", variant="primary")
        yield AppFooter()

    def on_mount(self) -> None:
        if self.app.screen is not self:
            return  # closed (escape) before it finished mounting: its widgets are going away
        self.privacy_changed()
        table = self.query_one("#auths", DataTable)
        for label in ("ID", "Kind", "To", "Purpose", "Signed", "Expires", "Status"):
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
        table = self.query_one("#auths", DataTable)
        table.clear()
        for a in self.auths:
            table.add_row(
                *map(
                    plain,
                    (
                        a.record_id,
                        a.kind.value.replace("_", " "),
                        a.recipient_name,
                        a.purpose,
                        a.signed_on,
                        a.expiry,
                        a.status(today),
                    ),
                ),
                key=str(a.id),
            )
        if not self.auths:
            self._status("No authorizations yet. Record a signed form below.")

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


def _note_id(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("N-").removeprefix("N").lstrip("0") or "0"
    if not cleaned.isdigit():
        raise UsageError(f"{text.strip()!r} is not a note identifier (for example N-000012)")
    return int(cleaned)
