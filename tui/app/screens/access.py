"""The right of access for one client (45 CFR 164.524, 164.502(g)).

Three lists: the client's access requests with their due dates (open first, OVERDUE when past),
the denials of passages or notes with their grounds and reviews, and the people who may act
for the client (with whether each may act today). Below them, small forms: record a request,
take the one extension (writes its notice), deny a passage on a ground, record a review,
write the written denial, add a representative or a minor-consented service, decline a
representative. The copy itself is made on the release screen (type: client's right of
access, choosing the request), so it is previewed before it is written, like every release.

Thin: every rule is in `vault.disclosures.access`; the two letters are written in a thread
worker. User text is shown as `rich.text.Text` through `plain`, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Input, Select, Static
from textual.worker import Worker

from vault import ConfideError, UsageError
from vault.disclosures import (
    AccessRequest,
    Denial,
    DenialGround,
    Relation,
    Representative,
    ServiceBasis,
)

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain
from .base import ReloadingScreen, written_outcome


def clock(request: AccessRequest, today: date) -> str:
    """`18 days left`, `OVERDUE by 2 days`, `done 2026-12-01`: what the lists show."""
    if request.status == "done":
        return f"done {request.done_on}"
    left = request.days_left(today)
    return f"{left} days left" if left >= 0 else f"OVERDUE by {-left} days"


def open_request_lines(requests: list[AccessRequest], today: date) -> list[str]:
    """One line per open request, soonest due first: shown at unlock until each is done."""
    return [
        f"{r.record_id} for C-{r.client_id:05d}: due {r.due_on} ({clock(r, today)})"
        for r in requests
        if r.status == "open"
    ]


class AccessScreen(ReloadingScreen):
    """A client's access requests, denials and representatives."""

    BINDINGS = [Binding("escape", "close", "Close")]

    DEFAULT_CSS = """
    AccessScreen .field-label { color: $text-muted; margin: 1 0 0 1; }
    AccessScreen #access-status { margin: 0 1; height: auto; }
    AccessScreen #access-status.error { color: $error; }
    AccessScreen .access-row { height: auto; }
    AccessScreen .access-row Input, AccessScreen .access-row Select { width: 1fr; }
    AccessScreen .access-row Button { width: auto; }
    /* Each field labelled beside it: a filled field loses its placeholder. */
    AccessScreen .access-row .inline-label { width: auto; padding: 1 1 0 1; color: $text-muted; }
    """

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.requests: list[AccessRequest] = []
        self.denials: list[Denial] = []
        self.representatives: list[Representative] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="access-status", markup=False)
        with VerticalScroll(id="access-body"):
            yield Static(
                "Access requests (30 days to act, one 30-day extension)", classes="field-label"
            )
            yield DataTable(id="access-requests", cursor_type="row")
            yield Static("Denials (what copies withhold, and why)", classes="field-label")
            yield DataTable(id="access-denials", cursor_type="row")
            yield Static("Personal representatives", classes="field-label")
            yield DataTable(id="access-reps", cursor_type="row")

            yield Static("Record a request from", classes="field-label")
            with Horizontal(classes="access-row"):
                yield Static("From", classes="inline-label")
                yield Select([(Text("the client"), 0)], id="access-requester", allow_blank=False)
                yield Static("Received", classes="inline-label")
                yield SafeInput(id="access-received", placeholder="today")
                yield Button("Record request", id="access-request-add")
            yield Static(
                "Extend the selected request once (writes the notice)", classes="field-label"
            )
            with Horizontal(classes="access-row"):
                yield Static("Reason", classes="inline-label")
                yield SafeInput(id="access-extend-reason", placeholder="for the delay")
                yield Static("File", classes="inline-label")
                yield SafeInput(id="access-extend-out", placeholder="/path/notice.pdf")
                yield Button("Extend", id="access-extend")

            yield Static("Deny a passage or a whole note, on a ground", classes="field-label")
            with Horizontal(classes="access-row"):
                yield Static("Note", classes="inline-label")
                yield SafeInput(id="access-deny-note", placeholder="N-000012")
                yield Static("Ground", classes="inline-label")
                yield Select(
                    [(Text(f"{g.value} ({g.citation})"), g.value) for g in DenialGround],
                    id="access-deny-ground",
                    prompt="choose",
                )
            with Horizontal(classes="access-row"):
                yield Static("Passage", classes="inline-label")
                yield SafeInput(id="access-deny-passage", placeholder="empty: whole note")
                yield Static("Why", classes="inline-label")
                yield SafeInput(id="access-deny-why", placeholder="your explanation")
                yield Button("Record denial", id="access-deny")
            yield Static(
                "Review of the selected denial (another licensed professional)",
                classes="field-label",
            )
            with Horizontal(classes="access-row"):
                yield Static("Reviewer", classes="inline-label")
                yield SafeInput(id="access-reviewer", placeholder="name")
                yield Static("License", classes="inline-label")
                yield SafeInput(id="access-reviewer-license", placeholder="number")
                yield Static("Outcome", classes="inline-label")
                yield Select(
                    [(Text("upheld"), "upheld"), (Text("overturned"), "overturned")],
                    id="access-outcome",
                    prompt="choose",
                )
            with Horizontal(classes="access-row"):
                yield Static("Reasons", classes="inline-label")
                yield SafeInput(id="access-review-why", placeholder="the reviewer's reasons")
                yield Button("Record review", id="access-review")
            yield Static("The written denial", classes="field-label")
            with Horizontal(classes="access-row"):
                yield Static("File", classes="inline-label")
                yield SafeInput(id="access-letter-out", placeholder="/path/denial.pdf")
                yield Button("Write letter", id="access-letter")

            yield Static("Add a personal representative", classes="field-label")
            with Horizontal(classes="access-row"):
                yield Static("Name", classes="inline-label")
                yield SafeInput(id="access-rep-name", placeholder="name")
                yield Static("Relation", classes="inline-label")
                yield Select(
                    [(Text(r.value), r.value) for r in Relation],
                    id="access-rep-relation",
                    value=Relation.PARENT.value,
                    allow_blank=False,
                )
            with Horizontal(classes="access-row"):
                yield Static("Authority", classes="inline-label")
                yield SafeInput(id="access-rep-authority", placeholder="court order...")
                yield Static("Documents", classes="inline-label")
                yield SafeInput(id="access-rep-documents", placeholder="seen")
                yield Button("Add", id="access-rep-add")
            with Horizontal(classes="access-row"):
                yield Static("Decline", classes="inline-label")
                yield SafeInput(
                    id="access-decline-why",
                    placeholder="why recognising them could endanger the client",
                )
                yield Button("Decline", id="access-rep-decline")
            yield Static("A service the minor consented to alone", classes="field-label")
            with Horizontal(classes="access-row"):
                yield Static("Service", classes="inline-label")
                yield SafeInput(id="access-service", placeholder="what")
                yield Static("Basis", classes="inline-label")
                yield Select(
                    [(Text(b.words), b.value) for b in ServiceBasis],
                    id="access-service-basis",
                    value=ServiceBasis.MINOR_CONSENTED.value,
                    allow_blank=False,
                )
            with Horizontal(classes="access-row"):
                yield Static("From", classes="inline-label")
                yield SafeInput(id="access-service-from", placeholder="YYYY-MM-DD")
                yield Static("Until", classes="inline-label")
                yield SafeInput(id="access-service-until", placeholder="optional")
            with Horizontal(classes="access-row"):
                yield Static("Code", classes="inline-label")
                yield SafeInput(id="access-service-code", placeholder="optional")
                yield Button("Add service", id="access-service-add")
        yield AppFooter()

    def on_mount(self) -> None:
        if self.app.screen is not self:
            return  # closed before it finished mounting
        self.title = f"Right of access: {self.capp.client_label_by_id(self.client_id)}"
        for table_id, labels in (
            ("access-requests", ("ID", "Due", "Clock", "For", "Received")),
            ("access-denials", ("ID", "Note", "What", "Ground", "Review")),
            ("access-reps", ("ID", "Name", "Relation", "May act", "Authority")),
        ):
            table = self.query_one(f"#{table_id}", DataTable)
            # Inline: the app's stylesheet gives every DataTable 1fr, which inside this
            # scrolling column leaves a table two lines tall.
            table.styles.height = 6
            for label in labels:
                table.add_column(label)
        self._loaded = True
        self.reload()
        self.query_one("#access-requests", DataTable).focus()

    def privacy_changed(self) -> None:
        # The title carries the client's name: initials once F2 is pressed.
        self.title = f"Right of access: {self.capp.client_label_by_id(self.client_id)}"
        if self._loaded:
            self.reload()

    def reload(self) -> None:
        try:
            access = self.vault.disclosures.access
            self.requests = access.requests(self.client_id)
            self.denials = access.denials(self.client_id)
            self.representatives = access.representatives(self.client_id)
            standing = {r.id: access.standing(r) for r in self.representatives}
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        today = date.today()
        hide = self.privacy  # names of representatives are people's names
        rows = self.query_one("#access-requests", DataTable)
        rows.clear()
        for r in self.requests:
            who = "(hidden)" if hide else r.requester_name
            rows.add_row(
                *map(plain, (r.record_id, r.due_on, clock(r, today), who, r.received_on)),
                key=str(r.id),
            )
        table = self.query_one("#access-denials", DataTable)
        table.clear()
        for d in self.denials:
            review = (
                f"{d.outcome} {d.reviewed_on}"
                if d.reviewed_on
                else ("not reviewed" if d.ground.reviewable else "not reviewable")
            )
            what = "whole note" if d.start is None else "passage"
            table.add_row(
                *map(plain, (d.record_id, f"N-{d.note_id:06d}", what, d.ground.value, review)),
                key=str(d.id),
            )
        reps = self.query_one("#access-reps", DataTable)
        reps.clear()
        for rep in self.representatives:
            problem = standing[rep.id]
            reps.add_row(
                *map(
                    plain,
                    (
                        rep.record_id,
                        "(hidden)" if hide else rep.name,
                        rep.relation.value,
                        "yes" if problem is None else "no: " + problem,
                        "(hidden)" if hide else rep.authority,
                    ),
                ),
                key=str(rep.id),
            )
        requester = self.query_one("#access-requester", Select)
        requester.set_options(
            [(Text("the client"), 0)]
            + [
                (plain(f"{r.record_id} {'' if hide else r.name} ({r.relation.value})"), r.id)
                for r in self.representatives
            ]
        )
        requester.value = 0
        open_count = sum(1 for r in self.requests if r.status == "open")
        self._status(
            f"{open_count} open request{'s' if open_count != 1 else ''}. Make the copy on the "
            "release screen (command palette, Release records; type: client's right of access)."
        )

    # -- helpers

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _selected(self, table_id: str, items: list[Any]) -> Any:
        table = self.query_one(f"#{table_id}", DataTable)
        if not items or table.cursor_row < 0 or table.cursor_row >= len(items):
            raise UsageError("select a row in the list above first")
        return items[table.cursor_row]

    def _run(self, call: Callable[[], str]) -> None:
        """A quick record (no file): its message on success, the core's reason on refusal."""
        try:
            message = call()
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self.reload()
        self._status(message)

    # -- requests

    @on(Button.Pressed, "#access-request-add")
    def add_request(self) -> None:
        value = self.query_one("#access-requester", Select).value
        rep = value if isinstance(value, int) and value > 0 else None

        def call() -> str:
            r = self.vault.disclosures.access.request(
                self.client_id,
                representative_id=rep,
                received_on=self._text("access-received") or None,
            )
            return f"Recorded {r.record_id}: act by {r.due_on} (30 days)."

        self._run(call)

    @on(Button.Pressed, "#access-extend")
    def extend(self) -> None:
        try:
            request: AccessRequest = self._selected("access-requests", self.requests)
            reason, out = self._text("access-extend-reason"), self._text("access-extend-out")
            if not out:
                raise UsageError(
                    "say where to write the notice: a path ending in .pdf, .txt or .md"
                )
            self.vault.disclosures.access.extension_notice(request.id, reason)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self._status(f"Writing the notice for {request.record_id}...")
        self.run_worker(
            partial(self.vault.disclosures.access.extend, request.id, reason, out),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="access-write",
            name=f"extended {request.record_id}; notice written to {out}",
        )

    # -- denials and reviews

    @on(Button.Pressed, "#access-deny")
    def deny(self) -> None:
        ground = self.query_one("#access-deny-ground", Select).value

        def call() -> str:
            if not isinstance(ground, str):
                raise UsageError("choose the ground of the denial")
            note = self._text("access-deny-note").upper().removeprefix("N-").lstrip("0")
            if not note.isdigit():
                raise UsageError("name the note, for example N-000012")
            d = self.vault.disclosures.access.deny(
                self.client_id,
                int(note),
                ground,
                self._text("access-deny-why"),
                passage=self.query_one("#access-deny-passage", Input).value or None,
            )
            for widget_id in ("access-deny-passage", "access-deny-why"):
                self.query_one(f"#{widget_id}", Input).value = ""
            return f"Recorded {d.record_id}: copies show {d.marker} in its place."

        self._run(call)

    @on(Button.Pressed, "#access-review")
    def review(self) -> None:
        outcome = self.query_one("#access-outcome", Select).value

        def call() -> str:
            denial: Denial = self._selected("access-denials", self.denials)
            if not isinstance(outcome, str):
                raise UsageError("choose the outcome of the review")
            d = self.vault.disclosures.access.review(
                denial.id,
                reviewer=self._text("access-reviewer"),
                reviewer_license=self._text("access-reviewer-license"),
                outcome=outcome,
                reason=self._text("access-review-why"),
            )
            return f"{d.record_id} {d.outcome}" + (
                ": the passage is provided from now on." if d.outcome == "overturned" else "."
            )

        self._run(call)

    @on(Button.Pressed, "#access-letter")
    def letter(self) -> None:
        out = self._text("access-letter-out")
        try:
            if not out:
                raise UsageError("say where to write it: a path ending in .pdf, .txt or .md")
            self.vault.disclosures.access.denial_letter(self.client_id)
        except ConfideError as e:
            self._status(e.message, error=True)
            return
        self._status("Writing the written denial...")
        self.run_worker(
            partial(self.vault.disclosures.access.write_denial_letter, self.client_id, out),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="access-write",
            name=f"written denial written to {out}",
        )

    # -- representatives

    @on(Button.Pressed, "#access-rep-add")
    def add_rep(self) -> None:
        relation = str(self.query_one("#access-rep-relation", Select).value)

        def call() -> str:
            rep = self.vault.disclosures.access.add_representative(
                self.client_id,
                self._text("access-rep-name"),
                relation,
                self._text("access-rep-authority"),
                self._text("access-rep-documents") or None,
            )
            for widget_id in ("access-rep-name", "access-rep-authority", "access-rep-documents"):
                self.query_one(f"#{widget_id}", Input).value = ""
            return f"Recorded {rep.record_id}."

        self._run(call)

    @on(Button.Pressed, "#access-rep-decline")
    def decline_rep(self) -> None:
        def call() -> str:
            rep: Representative = self._selected("access-reps", self.representatives)
            done = self.vault.disclosures.access.decline_representative(
                rep.id, self._text("access-decline-why")
            )
            return f"{done.record_id} is not treated as a personal representative (164.502(g)(5))."

        self._run(call)

    @on(Button.Pressed, "#access-service-add")
    def add_service(self) -> None:
        basis = str(self.query_one("#access-service-basis", Select).value)

        def call() -> str:
            s = self.vault.disclosures.access.add_minor_service(
                self.client_id,
                self._text("access-service"),
                basis,
                self._text("access-service-from"),
                self._text("access-service-until") or None,
                self._text("access-service-code") or None,
            )
            return (
                f"Recorded {s.record_id}: those notes are not part of a parent's or "
                "guardian's copy."
            )

        self._run(call)

    # -- workers and duties

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        outcome = written_outcome(event, "access-write")
        if outcome is None:
            return
        message, error = outcome
        if not error:
            self.reload()
        self._status(message, error=error)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#access-status", Static)
        status.update(plain(message))
        status.set_class(error, "error")

    def action_close(self) -> None:
        self.dismiss()
