"""What every screen over an unlocked vault shares: the vault, privacy mode, lock hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from vault import ConfideError
from vault.errors import LockedError

if TYPE_CHECKING:
    from vault import Vault

    from ..app import ConfideApp

# Where a screen was, so unlocking can rebuild the stack: ("timeline", client_id), ...
Location = tuple[str, int]


class VaultScreen(Screen[None]):
    """A screen that shows vault content. Cleared on lock; told when privacy mode toggles."""

    _fresh = True  # not yet shown: its first ScreenResume follows on_mount directly

    @property
    def capp(self) -> ConfideApp:
        return cast("ConfideApp", self.app)

    @property
    def vault(self) -> Vault:
        vault = self.capp.vault
        if vault is None:
            raise LockedError("the vault is locked")
        return vault

    @property
    def privacy(self) -> bool:
        return self.capp.privacy

    def location(self) -> Location | None:
        """Where this screen is, for returning here after unlock; None if not restorable."""
        return None

    def before_lock(self) -> None:
        """Save whatever is unsaved; called just before the keys are dropped."""

    def can_close(self) -> bool:
        """Save now; False when something unsaved could not be saved (quitting is held)."""
        return True

    def privacy_changed(self) -> None:
        """Re-render names and flagged text for the new privacy mode."""

    def show_error(self, error: ConfideError) -> None:
        self.notify(error.message, title=error.title, severity="error", timeout=8)


class ReloadingScreen(VaultScreen):
    """A list that reloads from the vault when shown again and when privacy mode toggles."""

    def reload(self) -> None:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        # Back from another screen: dates and statuses may have changed. The first resume
        # comes right after on_mount's load and is skipped.
        if self._fresh:
            self._fresh = False
        elif self.capp.vault is not None:
            self.reload()

    def privacy_changed(self) -> None:
        self.reload()


def written_outcome(event: Worker.StateChanged, group: str) -> tuple[str, bool] | None:
    """A screen's file-writing worker of `group` has ended: (what to say, whether it is an
    error); None for other workers and states. The core's refusal is said as it is; anything
    else as an unexpected error, with nothing written."""
    worker = event.worker
    if worker.group != group:
        return None
    event.stop()
    if event.state is WorkerState.SUCCESS:
        return f"Done: {worker.name}.", False
    if event.state is WorkerState.ERROR:
        error = worker.error
        if isinstance(error, ConfideError):
            return error.message, True
        return f"Unexpected error ({type(error).__name__}); nothing was written.", True
    return None
