"""A client's attachments (issue 18 part 2): scanned forms and other files kept in the vault.

List, add a file by path, save a copy to a path, file a scan waiting in the inbox, mark one
entered in error. File names are data (shown literally) and hidden in privacy mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from vault import ConfideError, Vault
from vault.attachments import Attachment, AttachmentKind, human_size
from vault.attachments.inbox import InboxWatcher, ScanResult
from vault.timefmt import local_date

from ..widgets.footer import AppFooter
from ..widgets.header import SafeHeader
from ..widgets.safe import plain
from .base import ReloadingScreen
from .incidents import FolderModal
from .modals import ChoiceModal, ConfirmModal

HIDDEN = "(hidden: privacy mode)"


def kind_choices() -> list[tuple[str, str]]:
    return [(k.value, k.value) for k in AttachmentKind]


class AttachmentsScreen(ReloadingScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "add", "Add"),
        Binding("g", "get", "Save copy"),
        Binding("i", "inbox", "From inbox"),
        Binding("x", "entered_in_error", "In error"),
    ]

    def __init__(self, client_id: int) -> None:
        super().__init__()
        self.client_id = client_id
        self.attachments: list[Attachment] = []

    def compose(self) -> ComposeResult:
        yield SafeHeader()
        yield Static("", id="attachments-header", markup=False)
        yield DataTable(id="attachments", cursor_type="row", zebra_stripes=True)
        yield Static("", id="attachments-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#attachments", DataTable)
        for label, key in (
            ("ID", "id"),
            ("Added", "added"),
            ("Kind", "kind"),
            ("Size", "size"),
            ("Status", "note"),
            # Last: a long name scrolls off the right edge, not the columns after it.
            ("File name", "name"),
        ):
            table.add_column(label, key=key)
        self.reload()
        table.focus()

    def file_label(self, a: Attachment) -> Text:
        return plain(HIDDEN if self.privacy else a.file_name)

    def reload(self) -> None:
        try:
            client = self.vault.clients.get_unaudited(self.client_id)
            self.attachments = self.vault.attachments.list(self.client_id)
            waiting = self.vault.attachments.unassigned_count()
        except ConfideError as e:
            self.show_error(e)
            return
        name = self.capp.client_label(client)
        self.title = f"{name}: attachments"
        self.query_one("#attachments-header", Static).update(
            plain(f"{name}  {client.record_id}  attachments")
        )
        table = self.query_one("#attachments", DataTable)
        # Reloaded whenever a modal closes: the cursor stays on the row it was on.
        was = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if table.row_count
            else None
        )
        table.clear()
        for a in self.attachments:
            note = (
                Text("IN ERROR", style="bold reverse")
                if a.entered_in_error
                else plain(f"for {a.link.record_id}" if a.link else "filed")
            )
            table.add_row(
                plain(a.record_id),
                plain(local_date(a.added_at)),
                plain(a.kind.value),
                plain(human_size(a.size)),
                note,
                self.file_label(a),
                key=str(a.id),
            )
        if was is not None and was in table.rows:
            table.move_cursor(row=table.get_row_index(was), animate=False)
        count = len(self.attachments)
        inbox = f"; {waiting} in the inbox (i files one here)" if waiting else ""
        self.query_one("#attachments-hint", Static).update(
            (f"{count} attachment{'s' if count != 1 else ''}" if count else "No attachments yet")
            + inbox
            + ". a adds a file by path."
        )

    def selected(self) -> Attachment | None:
        table = self.query_one("#attachments", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((a for a in self.attachments if str(a.id) == key), None)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_add(self) -> None:
        if self.capp.refuse_in_custodian_mode("adding attachments"):
            return
        chosen: dict[str, str] = {}

        def kind_picked(kind: str | None) -> None:
            if kind is None:
                return
            try:
                added = self.vault.attachments.add(Path(chosen["path"]), self.client_id, kind)
            except ConfideError as e:
                self.show_error(e)
                return
            self.notify(
                f"Added {added.record_id}. The file you chose is still where it was; delete it "
                "if it should not stay in the clear.",
                title="Attachment added",
            )
            self.reload()

        def path_given(path: str | None) -> None:
            if not path or not path.strip():
                return
            chosen["path"] = path.strip()
            self.app.push_screen(ChoiceModal("What is it?", kind_choices()), kind_picked)

        self.app.push_screen(
            FolderModal("File to add (a PDF or an image)", "path of the file", "Next"), path_given
        )

    def action_get(self) -> None:
        item = self.selected()
        if item is None:
            return

        def write(target: str, confirmed: bool) -> None:
            if not confirmed:
                return
            try:
                saved = self.vault.attachments.save_copy(item.id, Path(target))
            except ConfideError as e:
                self.show_error(e)
                return
            self.notify(
                f"Wrote {item.record_id} to {saved.path}; the copy is recorded.",
                title="Copy saved",
            )

        def path_given(path: str | None) -> None:
            if not path or not path.strip():
                return
            target = str(Path(path.strip()).expanduser())
            self.app.push_screen(
                ConfirmModal(f"Write {item.record_id} in the clear to {target}?", yes="Write"),
                lambda ok: write(target, bool(ok)),
            )

        self.app.push_screen(
            FolderModal(f"Save a copy of {item.record_id} to", "path of the new file", "Next"),
            path_given,
        )

    def action_inbox(self) -> None:
        if self.capp.refuse_in_custodian_mode("filing scanned forms"):
            return
        try:
            waiting = self.vault.attachments.unassigned()
        except ConfideError as e:
            self.show_error(e)
            return
        if not waiting:
            self.notify("The inbox is empty.", title="Inbox")
            return
        chosen: dict[str, int] = {}

        def kind_picked(kind: str | None) -> None:
            if kind is None:
                return
            try:
                filed = self.vault.attachments.assign(chosen["id"], self.client_id, kind)
            except ConfideError as e:
                self.show_error(e)
                return
            self.notify(f"Filed {filed.record_id} here.", title="Attachment filed")
            self.reload()

        def item_picked(key: str | None) -> None:
            if key is None:
                return
            chosen["id"] = int(key)
            self.app.push_screen(ChoiceModal("What is it?", kind_choices()), kind_picked)

        choices = [
            (
                str(a.id),
                f"{a.record_id}  {local_date(a.added_at)}  {human_size(a.size)}  "
                + (HIDDEN if self.privacy else a.file_name),
            )
            for a in waiting
        ]
        self.app.push_screen(ChoiceModal("File which scan here?", choices), item_picked)

    def action_entered_in_error(self) -> None:
        if self.capp.refuse_in_custodian_mode("marking attachments"):
            return
        item = self.selected()
        if item is None:
            return

        def reason_given(reason: str | None) -> None:
            if not reason or not reason.strip():
                return
            try:
                self.vault.attachments.mark_entered_in_error(item.id, reason)
            except ConfideError as e:
                self.show_error(e)
                return
            self.notify(f"{item.record_id} is marked entered in error (kept).", title="Marked")
            self.reload()

        self.app.push_screen(
            FolderModal(
                f"Why is {item.record_id} entered in error? (It stays in the record, marked.)",
                "reason",
                "Mark",
            ),
            reason_given,
        )


def watch_inbox_in_app(app: App[Any], vault: Vault) -> InboxWatcher | None:
    """While unlocked, pull in what the scanner saves to the inbox folder (when one is set:
    `confide inbox watch --folder DIR` or `inbox scan --folder DIR` sets it). Notifications name
    record ids and counts only, never a file name (they show in privacy mode too)."""
    folder = vault.attachments.inbox.folder()
    if folder is None or not folder.is_dir():
        return None

    def on_scan(result: ScanResult) -> None:
        added = [i.attachment.record_id for i in result.added if i.attachment is not None]
        left = [i for i in result.items if i.outcome in ("refused", "failed")]
        if added:
            text = (
                f"{len(added)} scan{'s' if len(added) != 1 else ''} pulled into the vault "
                f"({', '.join(added)}), waiting for a client: file from a client's attachments (i)."
            )
            if result.limits:
                text += " The originals may survive on disk: " + result.limits[0]
            app.call_from_thread(app.notify, text, title="Inbox")
        if left:
            app.call_from_thread(
                app.notify,
                f"{len(left)} file{'s' if len(left) != 1 else ''} in the inbox folder could not "
                "be pulled in (confide inbox scan says why).",
                title="Inbox",
                severity="warning",
            )

    def on_error(error: Exception) -> None:
        app.call_from_thread(app.notify, str(error), title="Inbox", severity="error")

    watcher = InboxWatcher(vault, folder, on_scan=on_scan, on_error=on_error)
    watcher.start()
    return watcher
