"""Lock screen, first-run vault creation, recovery-key display and recovery-key unlock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from vault import AuthenticationError, ConfideError, UsageError

from ...workflows import unlock as opening
from ..widgets.footer import AppFooter
from ..widgets.safe import SafeInput, plain

if TYPE_CHECKING:
    from vault import KdfParams, Vault

    from ...workflows.unlock import Tidied

# The rest of the core (keys, SQLCipher, records) is imported where it is used, in the unlock
# and create workers: the lock screen is drawn before it loads (issue 14, launch).


class BurstSafeFields(Screen[None]):
    """Tab, shift+tab and enter between passphrase fields, safe when keys come in a burst.

    A key reaches a field through the field's own queue, and a plain Tab binding runs only
    once the key has bubbled back up from there: a fast typist's (or a paste's) characters
    after the Tab were already queued for the first field and landed in it. Priority bindings
    run in the app's queue, in order, before the next key is handed to any field."""

    # The fields enter moves through, in order; enter on the last one submits.
    FIELDS: tuple[str, ...] = ()

    BINDINGS = [
        Binding("tab", "move(1)", "Next field", show=False, priority=True),
        Binding("shift+tab", "move(-1)", "Previous field", show=False, priority=True),
    ]

    def action_move(self, step: int) -> None:
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        """Enter in a field moves to the next one (on the last, the screen submits)."""
        field = event.input.id
        if field in self.FIELDS[:-1]:
            self.query_one(f"#{self.FIELDS[self.FIELDS.index(field) + 1]}").focus()


def _error_text(error: BaseException | None) -> str:
    """A plain sentence for the user; never a traceback."""
    if isinstance(error, AuthenticationError):
        return "Wrong passphrase. Check it and try again."
    if isinstance(error, ConfideError):
        return error.message
    return f"Unexpected error ({type(error).__name__}); the vault was not changed."


def new_passphrase_problem(first: str, second: str) -> str | None:
    """Why a new passphrase typed twice is refused, or None. The rule is the core's, and so is
    its message, shown as it is: a stronger rule there needs no change here."""
    try:
        from vault import check_new_passphrase

        check_new_passphrase(first)
    except UsageError as e:
        return e.message
    if first != second:
        return "The two passphrases differ. Type the same passphrase twice."
    return None


class LockScreen(Screen[None]):
    """Passphrase entry. Argon2 runs in a thread worker while a loading indicator spins."""

    BINDINGS = [
        Binding("ctrl+r", "recover", "Use recovery key"),
        Binding("ctrl+o", "custodian", "Records custodian"),
    ]

    class Unlocked(Message):
        """The vault opened; handled by `ConfideApp.on_lock_screen_unlocked`."""

        def __init__(self, vault: Vault) -> None:
            super().__init__()
            self.vault = vault

    class RestoreTidied(Message):
        """An interrupted restore was finished on unlocking; handled by
        `ConfideApp.on_lock_screen_restore_tidied`."""

        def __init__(self, tidied: Tidied) -> None:
            super().__init__()
            self.tidied = tidied

    def __init__(
        self, folder: Path, demo_passphrase: str | None = None, message: str | None = None
    ) -> None:
        super().__init__()
        self.folder = folder
        self.demo_passphrase = demo_passphrase
        self.message = message
        # "Open as records custodian": the key on the custodian sheet instead of the
        # passphrase, and the vault opens read-only (issue 16 part 2).
        self.as_custodian = False

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static("Confide", id="lock-title")
            yield Static(plain(f"Vault: {self.folder}"), id="lock-folder")
            if self.message:
                yield Static(plain(self.message), id="lock-message")
            yield Input(placeholder="Passphrase", password=True, id="passphrase")
            with Horizontal(id="lock-buttons"):
                yield Button("Unlock", variant="primary", id="unlock")
                yield Button("Open as records custodian", id="lock-custodian")
            yield LoadingIndicator(id="unlocking")
            yield Static("", id="lock-error", markup=False)
            if self.demo_passphrase:
                yield Static(
                    f"Demo practice (synthetic clients). Passphrase: {self.demo_passphrase}",
                    id="demo-hint",
                    markup=False,
                )
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#unlocking").display = False
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#unlock")
    def submit(self) -> None:
        field = self.query_one("#passphrase", Input)
        if not field.value:
            what = "the custodian key" if self.as_custodian else "your passphrase"
            self.query_one("#lock-error", Static).update(f"Type {what} first.")
            return
        self._busy(True)
        self.unlock(field.value)

    @on(Button.Pressed, "#lock-custodian")
    def action_custodian(self) -> None:
        """Switch between the passphrase and the custodian sheet's key."""
        self.as_custodian = not self.as_custodian
        field = self.query_one("#passphrase", Input)
        field.value = ""
        field.placeholder = (
            "Custodian key (from the custodian sheet)" if self.as_custodian else "Passphrase"
        )
        self.query_one("#lock-custodian", Button).label = (
            "Use the passphrase instead" if self.as_custodian else "Open as records custodian"
        )
        self.query_one("#lock-error", Static).update(
            "Records custodian: the vault opens read-only, and every access is audited."
            if self.as_custodian
            else ""
        )
        field.focus()

    def _busy(self, busy: bool) -> None:
        self.query_one("#unlocking").display = busy
        self.query_one("#passphrase", Input).disabled = busy
        self.query_one("#unlock", Button).disabled = busy
        self.query_one("#lock-custodian", Button).disabled = busy
        if busy:
            self.query_one("#lock-error", Static).update("Unlocking...")

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock")
    def unlock(self, passphrase: str) -> Vault:
        return opening.unlock(
            self.folder,
            lambda: passphrase,
            self._show_tidied,
            custodian=self.as_custodian,
            upgrading=self._show_upgrading,
        )

    def _show_upgrading(self, line: str) -> None:
        # From the unlock worker: a long schema upgrade is about to run; say so under the
        # spinner instead of "Unlocking..." for what can be a minute.
        self.app.call_from_thread(self.query_one("#lock-error", Static).update, line)

    def _show_tidied(self, tidied: Tidied) -> None:
        # Usually nothing: the app finished any interrupted restore when it started.
        if tidied.done or tidied.problems:
            self.post_message(self.RestoreTidied(tidied))  # thread-safe

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "unlock":
            return
        if event.state is WorkerState.SUCCESS:
            from vault import Vault  # loaded by the worker that made it

            vault = event.worker.result
            assert isinstance(vault, Vault)
            self.post_message(self.Unlocked(vault))
        elif event.state is WorkerState.ERROR:
            self._busy(False)
            field = self.query_one("#passphrase", Input)
            field.value = ""
            field.focus()
            self.query_one("#lock-error", Static).update(plain(_error_text(event.worker.error)))

    def action_recover(self) -> None:
        self.app.push_screen(RecoverScreen(self.folder))


class CreateVaultScreen(BurstSafeFields):
    """First run: choose a passphrase (twice); the KDF is calibrated in a worker. ctrl+o
    makes the new vault from an open export instead (`confide import`, issue 16)."""

    DEFAULT_CSS = """
    CreateVaultScreen #import-fields { height: auto; }
    """
    FIELDS: tuple[str, ...] = ("new1", "new2")
    IMPORT_FIELDS = ("import-file", "import-passphrase", "new1", "new2")
    BINDINGS = [
        *BurstSafeFields.BINDINGS,
        Binding("ctrl+o", "import_mode", "Import an export"),
    ]

    class Created(Message):
        """A new vault exists; handled by `ConfideApp.on_create_vault_screen_created`."""

        def __init__(self, vault: Vault, recovery_key: str, imported: str = "") -> None:
            super().__init__()
            self.vault = vault
            self.recovery_key = recovery_key
            self.imported = imported  # what an import brought in, one line; "" for a new vault

    def __init__(self, folder: Path, kdf: KdfParams | None = None) -> None:
        super().__init__()
        self.folder = folder
        self.kdf = kdf
        self.importing = False

    def compose(self) -> ComposeResult:
        from vault import PASSPHRASE_RULE

        with Vertical(id="lock-box"):
            yield Static("Create your Confide vault", id="lock-title")
            yield Static(
                plain(
                    f"No vault yet at {self.folder}. Choose a passphrase of "
                    f"{PASSPHRASE_RULE}. Nobody can reset it for you; you will get "
                    "a recovery key next. ctrl+o: make it from an open export instead."
                ),
                id="lock-folder",
            )
            with Vertical(id="import-fields"):
                yield SafeInput(placeholder="Export file (record.age)", id="import-file")
                yield Input(placeholder="Export passphrase", password=True, id="import-passphrase")
            yield Input(placeholder="New passphrase", password=True, id="new1")
            yield Input(placeholder="Same passphrase again", password=True, id="new2")
            yield Button("Create vault", variant="primary", id="create")
            yield LoadingIndicator(id="creating")
            yield Static("", id="lock-error", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#creating").display = False
        self.query_one("#import-fields").display = False
        self.query_one("#new1", Input).focus()

    def action_import_mode(self) -> None:
        """Show the export's file and passphrase: the new vault is made from the export."""
        if self.importing:
            return
        self.importing = True
        self.FIELDS = self.IMPORT_FIELDS
        self.query_one("#import-fields").display = True
        self.query_one("#lock-title", Static).update("Make a vault from an open export")
        self.query_one("#lock-folder", Static).update(
            plain(
                f"The export's clients, notes and records come back into a new vault at "
                f"{self.folder}, with a new passphrase (typed twice below) and recovery key."
            )
        )
        self.query_one("#create", Button).label = "Import"
        self.query_one("#import-file", Input).focus()

    @on(Input.Submitted, "#new2")
    @on(Button.Pressed, "#create")
    def submit(self) -> None:
        first = self.query_one("#new1", Input).value
        second = self.query_one("#new2", Input).value
        error = self.query_one("#lock-error", Static)
        source = self.query_one("#import-file", Input).value.strip()
        export_passphrase = self.query_one("#import-passphrase", Input).value
        if self.importing and (not source or not export_passphrase):
            error.update("Type the export file and its export passphrase.")
            return
        problem = new_passphrase_problem(first, second)
        if problem:
            error.update(problem)
            return
        self.query_one("#creating").display = True
        self.query_one("#create", Button).disabled = True
        if self.importing:
            error.update("Decrypting and checking the export, then making the vault...")
            self.import_vault(source, export_passphrase, first)
        else:
            error.update("Measuring this computer and creating the vault...")
            self.create_vault(first)

    @work(thread=True, exclusive=True, exit_on_error=False, group="create")
    def create_vault(self, passphrase: str) -> tuple[Vault, str, str]:
        from vault import Vault, calibrate

        kdf = self.kdf or calibrate()
        return (*Vault.create(self.folder, passphrase, kdf), "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="create")
    def import_vault(
        self, source: str, export_passphrase: str, passphrase: str
    ) -> tuple[Vault, str, str]:
        from vault import calibrate
        from vault.openexport import import_export, read_export
        from vault.vault import check_free_for_a_vault

        check_free_for_a_vault(self.folder)  # before seconds of scrypt
        export = read_export(source, export_passphrase)
        vault, recovery_key, summary = import_export(
            export, self.folder, passphrase, self.kdf or calibrate()
        )
        return (
            vault,
            recovery_key,
            f"Imported {summary.clients} clients, {summary.notes} notes, {summary.pnotes} "
            f"psychotherapy notes and {summary.attachments} attachments from {source}.",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "create":
            return
        if event.state is WorkerState.SUCCESS:
            result = event.worker.result
            assert isinstance(result, tuple)
            vault, recovery_key, imported = result
            self.post_message(self.Created(vault, recovery_key, imported))
        elif event.state is WorkerState.ERROR:
            self.query_one("#creating").display = False
            self.query_one("#create", Button).disabled = False
            failure = event.worker.error
            text = (
                failure.message
                if self.importing and isinstance(failure, ConfideError)
                else _error_text(failure)
            )
            self.query_one("#lock-error", Static).update(plain(text))


def key_groups(recovery_key: str) -> list[str]:
    """The printed key's groups of four (`ABCD-EFGH-...` -> ["ABCD", "EFGH", ...])."""
    return [g for g in recovery_key.upper().split("-") if g]


def same_group(typed: str, group: str) -> bool:
    """A group typed back as the key is parsed: any case, spaces ignored, 0/1/8 read as O/I/B."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t")
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    return cleaned == group


class RecoveryKeyScreen(BurstSafeFields):
    """Shows the recovery key, then asks for two of its groups back before going on.

    The sheet is what saves the records when the passphrase is forgotten: a checkbox was
    ticked without writing anything down. The key is hidden while the groups are asked for,
    so they come from the paper; escape shows it again."""

    BINDINGS = [Binding("escape", "show_key", "Show the key again")]
    FIELDS = ("group-a", "group-b")

    class Confirmed(Message):
        """The user saved the key; handled by `ConfideApp.on_recovery_key_screen_confirmed`."""

    def __init__(self, recovery_key: str, asked: tuple[int, int] | None = None) -> None:
        super().__init__()
        self._recovery_key = recovery_key
        groups = key_groups(recovery_key)
        # Which two groups are asked is chosen at random, so the habit is to copy them all.
        import secrets  # here: hashlib and hmac are 4% of the app's launch

        self.asked = asked or tuple(sorted(secrets.SystemRandom().sample(range(len(groups)), 2)))

    def compose(self) -> ComposeResult:
        first, second = (n + 1 for n in self.asked)
        with Vertical(id="lock-box"):
            yield Static("Your recovery key", id="lock-title")
            yield Static(
                "Write this down and keep it somewhere safe, away from this computer. "
                "It is the only way back in if you forget your passphrase. It will "
                "not be shown again.",
                markup=False,
                id="key-advice",
            )
            yield Static(self._recovery_key, id="recovery-key", markup=False)
            yield Button("I have written it down", variant="primary", id="written")
            with Vertical(id="key-check"):
                yield Static(
                    f"Check your copy: type group {first} and group {second} of the key "
                    "(each group is four characters; the first group is number 1).",
                    markup=False,
                    classes="modal-question",
                )
                with Horizontal(id="key-groups"):
                    yield Label(f"Group {first}", classes="group-label")
                    yield Input(max_length=9, id="group-a")
                    yield Label(f"Group {second}", classes="group-label")
                    yield Input(max_length=9, id="group-b")
                yield Button("Continue", variant="primary", id="continue", disabled=True)
                yield Static("", id="continue-why", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#key-check").display = False
        self.query_one("#written", Button).focus()

    @on(Button.Pressed, "#written")
    def written(self) -> None:
        self.query_one("#recovery-key").display = False
        self.query_one("#written").display = False
        self.query_one("#key-check").display = True
        self.query_one("#key-advice", Static).update(
            "The key is hidden now: read the groups from what you wrote. "
            "Escape shows the key again."
        )
        self.query_one("#group-a", Input).focus()
        self._check()

    def action_show_key(self) -> None:
        self.query_one("#recovery-key").display = True
        self.query_one("#written").display = True
        self.query_one("#key-check").display = False
        self.query_one("#written", Button).focus()

    def _check(self) -> bool:
        """Enable Continue once both groups match; say why it is still disabled."""
        groups = key_groups(self._recovery_key)
        problems = []
        for field_id, index in zip(self.FIELDS, self.asked, strict=True):
            typed = self.query_one(f"#{field_id}", Input).value
            if not typed.strip():
                problems.append(f"type group {index + 1}")
            elif not same_group(typed, groups[index]):
                problems.append(f"group {index + 1} does not match the key")
        ok = not problems
        self.query_one("#continue", Button).disabled = not ok
        why = self.query_one("#continue-why", Static)
        why.update(
            "Both groups match. Continue opens your vault."
            if ok
            else "Continue is disabled until both groups match: " + "; ".join(problems) + "."
        )
        return ok

    @on(Input.Changed)
    def typed(self) -> None:
        self._check()

    @on(Input.Submitted, "#group-b")
    @on(Button.Pressed, "#continue")
    def proceed(self) -> None:
        if not self._recovery_key or not self._check():
            return
        self._recovery_key = ""
        self.query_one("#recovery-key", Static).update("")
        self.post_message(self.Confirmed())


class RecoverScreen(BurstSafeFields):
    """Unlock with the recovery key, then set a new passphrase."""

    BINDINGS = [Binding("escape", "back", "Back")]
    FIELDS = ("recovery", "new1", "new2")

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static("Unlock with the recovery key", id="lock-title")
            yield Input(placeholder="Recovery key", password=True, id="recovery")
            yield Input(placeholder="New passphrase", password=True, id="new1")
            yield Input(placeholder="Same passphrase again", password=True, id="new2")
            yield Button("Recover", variant="primary", id="recover")
            yield LoadingIndicator(id="recovering")
            yield Static("", id="lock-error", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#recovering").display = False
        self.query_one("#recovery", Input).focus()

    @on(Input.Submitted, "#new2")
    @on(Button.Pressed, "#recover")
    def submit(self) -> None:
        key = self.query_one("#recovery", Input).value.strip()
        first = self.query_one("#new1", Input).value
        problem = (
            "Type the recovery key."
            if not key
            else new_passphrase_problem(first, self.query_one("#new2", Input).value)
        )
        if problem:
            self.query_one("#lock-error", Static).update(problem)
            return
        self.query_one("#recovering").display = True
        self.recover(key, first)

    @work(thread=True, exclusive=True, exit_on_error=False, group="recover")
    def recover(self, recovery_key: str, passphrase: str) -> Vault:
        from vault import Vault

        pending = Vault.recover(self.folder, recovery_key)
        try:
            return pending.set_new_passphrase(passphrase, on_upgrade=self._show_upgrading)
        except BaseException:
            pending.abandon()  # releases the process lock; safe if already abandoned
            raise

    def _show_upgrading(self, line: str) -> None:
        # From the recovery worker, as on the lock screen: a long schema upgrade is next.
        self.app.call_from_thread(self.query_one("#lock-error", Static).update, line)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "recover":
            return
        if event.state is WorkerState.SUCCESS:
            from vault import Vault  # loaded by the worker that made it

            vault = event.worker.result
            assert isinstance(vault, Vault)
            self.post_message(LockScreen.Unlocked(vault))
        elif event.state is WorkerState.ERROR:
            self.query_one("#recovering").display = False
            error = event.worker.error
            text = (
                "That recovery key does not open this vault."
                if isinstance(error, AuthenticationError)
                else _error_text(error)
            )
            self.query_one("#lock-error", Static).update(plain(text))

    def action_back(self) -> None:
        self.app.pop_screen()
