"""Search over the general record (never psychotherapy notes) and the command-palette provider."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from vault import ConfideError, EntryType, SearchHit, UsageError
from vault.records.models import initials_of

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import SafeInput, plain, visible
from .base import VaultScreen
from .timeline import template_title

if TYPE_CHECKING:
    from ..app import ConfideApp


def hit_heading(hit: SearchHit, privacy: bool) -> str:
    name = initials_of(hit.client_display_name) if privacy else hit.client_display_name
    return f"{name}  {hit.session_date or '-'}  {hit_kind(hit)}  N-{hit.note_id:06d}"


def hit_kind(hit: SearchHit) -> str:
    """What the hit is: an addendum names the note it amends (its template is only "free")."""
    if hit.entry_type is EntryType.ADDENDUM:
        return f"Addendum to N-{hit.parent_id or 0:06d}"
    if hit.entry_type is EntryType.LATE_ENTRY:
        return f"Late entry: {template_title(hit.template)}"
    return template_title(hit.template)


SNIPPET_CONTEXT = 80  # characters of context kept on each side of a match


def snippet_text(hit: SearchHit) -> Text:
    """The snippet as Text: matches highlighted, note text never parsed as markup.

    Context is cut to SNIPPET_CONTEXT characters beside each match: a 10,000-character line
    without spaces would otherwise fill the whole list as one result."""
    text = Text(no_wrap=False)
    parts = hit.snippet
    for index, (part, is_match) in enumerate(parts):
        shown = part.replace("\n", " ")
        if not is_match and len(shown) > 2 * SNIPPET_CONTEXT:
            before = shown[:SNIPPET_CONTEXT] if index else ""
            after = shown[-SNIPPET_CONTEXT:] if index < len(parts) - 1 else ""
            shown = f"{before}…{after}"
        text.append(visible(shown), style="bold reverse" if is_match else "")
    return text


class SearchScreen(VaultScreen):
    """Type words; results are ranked by relevance. Enter opens the note."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query
        self.hits: list[SearchHit] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield SafeInput(
            self.initial_query,
            placeholder="Search notes: type words (prefix*)",
            id="query",
            select_on_focus=False,
        )
        yield OptionList(id="results")
        yield Static(
            "Psychotherapy notes are never searched here.", id="search-status", markup=False
        )
        yield AppFooter()

    def on_mount(self) -> None:
        self.title = "Search"
        self.query_one("#query", Input).focus()
        if self.initial_query:
            self.run_search(self.initial_query, self.privacy)

    def on_screen_resume(self) -> None:
        # Back from a result, the note's editor had the focus: typing goes to the query again.
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def changed(self, event: Input.Changed) -> None:
        self.run_search(event.value, self.privacy)

    @on(Input.Submitted, "#query")
    def submitted(self) -> None:
        if self.hits:
            self.capp.open_note(self.hits[0].note_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, query: str, privacy: bool) -> list[SearchHit]:
        if not query.strip():
            return []
        # In privacy mode nothing inside a flagged passage may match (a hit would tell).
        return self.vault.search(query, limit=50, include_flagged=not privacy)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "search":
            return
        status = self.query_one("#search-status", Static)
        if event.state is WorkerState.SUCCESS:
            self.hits = cast(list[SearchHit], event.worker.result)
            self.show_hits()
            status.update(
                plain(
                    f"{len(self.hits)} result{'s' if len(self.hits) != 1 else ''} - enter opens"
                    if self.hits
                    else "No notes match."
                    if self.query_one("#query", Input).value.strip()
                    else "Psychotherapy notes are never searched here."
                )
            )
        elif event.state is WorkerState.ERROR:
            self.hits = []
            self.show_hits()
            error = event.worker.error
            status.update(
                plain(
                    error.message
                    if isinstance(error, UsageError | ConfideError)
                    else "Search failed."
                )
            )

    def show_hits(self) -> None:
        results = self.query_one("#results", OptionList)
        results.clear_options()
        for hit in self.hits:
            prompt = Text()
            prompt.append_text(plain(hit_heading(hit, self.privacy), style="bold"))
            prompt.append("\n")
            if self.privacy:
                prompt.append("(snippet hidden in privacy mode)", style="italic")
            else:
                prompt.append_text(snippet_text(hit))
            prompt.append("\n")  # a blank line between results
            results.add_option(Option(prompt, id=str(hit.note_id)))

    def privacy_changed(self) -> None:
        # Which notes match depends on privacy mode too: no earlier hit stays listed while
        # the search runs again.
        self.hits = []
        self.show_hits()
        self.run_search(self.query_one("#query", Input).value, self.privacy)

    @on(OptionList.OptionSelected, "#results")
    def selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.capp.open_note(int(event.option.id))

    def action_focus_results(self) -> None:
        results = self.query_one("#results", OptionList)
        if results.option_count and results.highlighted is None:
            results.highlighted = 0
        results.focus()

    def action_back(self) -> None:
        self.app.pop_screen()


class NoteSearchProvider(Provider):
    """Command palette: notes by content and clients by name. Nothing when locked."""

    # One palette session is one audit entry (recorded when the palette closes), not one
    # `search notes` per keystroke burying the real events.
    lookups = 0
    most_hits = 0
    flagged_hidden = False

    @property
    def capp(self) -> ConfideApp:
        return cast("ConfideApp", self.app)

    async def shutdown(self) -> None:
        vault = self.capp.vault
        if vault is not None and self.lookups:
            try:
                vault.record_lookups(
                    self.lookups, self.most_hits, include_flagged=not self.flagged_hidden
                )
            except ConfideError:
                return
        self.lookups = 0

    async def search(self, query: str) -> Hits:
        vault = self.capp.vault
        if vault is None or not query.strip():
            return
        privacy = self.capp.privacy
        matcher = self.matcher(query)
        for client in vault.clients.list(query)[:8]:
            label = self.capp.client_label(client)
            yield Hit(
                matcher.match(client.display_name) or 0.5,
                plain(f"Client: {label}  {client.record_id}"),
                partial(self.capp.open_client, client.id),
                text=client.record_id,
            )
        try:
            hits = vault.search(query, limit=10, include_flagged=not privacy, audit=False)
        except ConfideError:
            return
        self.lookups += 1
        self.most_hits = max(self.most_hits, len(hits))
        self.flagged_hidden = self.flagged_hidden or privacy
        for rank, hit in enumerate(hits):
            # A Text prompt, never a str: the palette parses str prompts and help as markup.
            prompt = plain(f"Note: {hit_heading(hit, privacy)}")
            if not privacy:
                prompt.append("\n")
                prompt.append_text(snippet_text(hit))
            yield Hit(
                0.9 - rank * 0.05,
                prompt,
                partial(self.capp.open_note, hit.note_id),
                text=f"N-{hit.note_id:06d}",
            )
