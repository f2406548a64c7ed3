"""The retention facets of an unlocked vault: `vault.retention` (policies and each client's
disposal date), `vault.holds` (legal holds) and `vault.disposal` (the queue, disposal itself,
verification, pending backup purges, certificates and the log).

Each facet is a thin, typed front on the modules beside it; the faces (tui.cli, tui.app, their
workflows) and `backup` call these, never the modules' free functions.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from ..storage.media import MediaFinding
from . import certificate as _certificate
from . import execute as _execute
from . import holds as _holds
from . import plan as _plan
from . import policies as _policies
from . import purges as _purges
from . import verify as _verify
from .certificate import Certificate, DisposalLogEntry
from .execute import DisposalResult
from .holds import LegalHold
from .plan import ClientDisposal
from .policies import ClientRetention, HoldInfo, RetentionPolicy
from .types import BackupSide, PendingPurge
from .verify import Verification

if TYPE_CHECKING:
    from ..vault import Vault


class Retention:
    """`vault.retention`: retention policies (presets and custom) and the disposal clock."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def policies(self) -> builtins.list[RetentionPolicy]:
        """The presets, then the custom policies by key."""
        return _policies.policies(self._vault.db)

    def get(self, key: str) -> RetentionPolicy:
        """A policy by key (NotFoundError naming the known keys)."""
        return _policies.get_policy(self._vault.db, key)

    def add(
        self,
        key: str,
        label: str,
        years_after_service: int,
        minor_years_after_majority: int | None = None,
        age_of_majority: int = 18,
    ) -> RetentionPolicy:
        """A custom policy: years after last service; for minors, years after majority."""
        return _policies.add_policy(
            self._vault,
            key,
            label,
            years_after_service,
            minor_years_after_majority,
            age_of_majority,
        )

    def default(self) -> RetentionPolicy:
        """The vault's default policy (the APA guideline unless set)."""
        return _policies.default_policy(self._vault.db)

    def set_default(self, key: str) -> RetentionPolicy:
        return _policies.set_default_policy(self._vault, key)

    def set(self, client_id: int, key: str | None) -> RetentionPolicy:
        """Give a client a policy (None: back to the vault default); returns the policy."""
        return _policies.set_client_policy(self._vault, client_id, key)

    def schedule(
        self, today: date | None = None, client_ids: Iterable[int] | None = None
    ) -> builtins.list[ClientRetention]:
        """Every client's (or the given clients') policy, disposal date and status."""
        return _policies.schedule(self._vault, today, client_ids)

    def due(self, today: date | None = None) -> builtins.list[ClientRetention]:
        """Clients past retention and on no legal hold, soonest first."""
        return _policies.due_clients(self._vault, today)

    def held(self) -> dict[int, builtins.list[HoldInfo]]:
        """Active legal holds by client."""
        return _policies.held_clients(self._vault)


class Holds:
    """`vault.holds`: legal holds; while a client has an active one, nothing is disposed of."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def place(
        self, client_id: int, reason: str, placed_by: str = _holds.DEFAULT_PLACED_BY
    ) -> LegalHold:
        return _holds.place_legal_hold(self._vault, client_id, reason, placed_by)

    def release(self, hold_id: int, note: str) -> LegalHold:
        """End a hold, with a note saying why."""
        self._vault.require_clinician("releasing a legal hold")
        return _holds.release_legal_hold(self._vault, hold_id, note)

    def get(self, hold_id: int) -> LegalHold:
        return _holds.get_legal_hold(self._vault, hold_id)

    def active(self, client_id: int | None = None) -> builtins.list[LegalHold]:
        """Holds not yet released, for one client or for all, oldest first."""
        return _holds.active_holds(self._vault, client_id)

    def is_held(self, client_id: int) -> bool:
        return _holds.has_active_hold(self._vault, client_id)

    def list(self, client_id: int) -> builtins.list[LegalHold]:
        """Every hold a client ever had, released ones included, oldest first."""
        return _holds.all_holds(self._vault, client_id)


class Disposal:
    """`vault.disposal`: verified secure disposal of clients past retention.

    `backups` is the backup side (`backup.purge.DisposalBackups`); without it the backup
    copies are neither listed, replaced nor scanned.
    """

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def plan(
        self,
        client_ids: Collection[int] | None = None,
        *,
        today: date | None = None,
        passphrase: str | None = None,
        backups: BackupSide | None = None,
    ) -> list[ClientDisposal]:
        """What disposing of these clients (default: all due) would destroy. Changes nothing;
        with the passphrase the psychotherapy notes are counted too."""
        return _plan.plan(
            self._vault, client_ids, today=today, passphrase=passphrase, backups=backups
        )

    def dispose(
        self,
        passphrase: str,
        client_ids: Sequence[int],
        confirm_names: Sequence[str],
        *,
        performed_by: str | None = None,
        today: date | None = None,
        backups: BackupSide | None = None,
        overwrite_exports: bool = False,
    ) -> DisposalResult:
        """Dispose of the named clients for good, verify it, and issue a certificate.

        With `overwrite_exports`, saved releases and accountings of these clients still
        unchanged at their saved path are overwritten and unlinked; the certificate lists every
        release either way, as a copy outside the vault."""
        # Before anything: disposal overwrites saved copies and rotates keys before its
        # database writes, which custodian mode would refuse only afterwards.
        self._vault.require_clinician("disposal")
        # The key rotation re-seals the custodian's slot: an altered one stops disposal here,
        # before anything is deleted, rather than half-way.
        self._vault.check_custodian_slot()
        return _execute.dispose(
            self._vault,
            passphrase,
            client_ids,
            confirm_names,
            performed_by=performed_by,
            today=today,
            backups=backups,
            overwrite_exports=overwrite_exports,
        )

    def resume(self, passphrase: str, backups: BackupSide | None = None) -> list[DisposalResult]:
        """Finish every disposal a crash or kill interrupted."""
        self._vault.require_clinician("disposal")
        return _execute.resume(self._vault, passphrase, backups)

    def unfinished(self) -> list[int]:
        """Disposals a crash or kill interrupted (their records are already deleted)."""
        return _execute.unfinished(self._vault)

    def verify(self, passphrase: str, *, backups: BackupSide | None = None) -> Verification:
        """Prove again that every disposed client is gone, saying exactly what was checked."""
        return _verify.verify(self._vault, passphrase, backups=backups)

    def media(self, backups: BackupSide | None = None) -> list[MediaFinding]:
        """What the vault's filesystem and each connected backup drive's do to an overwrite
        (data journalling, copy-on-write, snapshots): shown before disposal."""
        return _verify.media_findings(self._vault, backups)

    def disposed_client_ids(self) -> list[int]:
        return _verify.disposed_client_ids(self._vault)

    def pending_purges(self, drive: str | None = None) -> list[PendingPurge]:
        """Backup copies still to purge (their drive was absent), on one drive or all."""
        return _purges.pending_purges(self._vault, drive)

    def mark_purged(self, purge_id: int, new_location: str | None) -> None:
        """A pending copy was replaced (drive mounted again): note it on the certificate."""
        self._vault.require_clinician("disposal")
        _purges.mark_purged(self._vault, purge_id, new_location)

    def certificate(self, disposal_id: int) -> Certificate:
        return _certificate.certificate(self._vault, disposal_id)

    def log(self) -> list[DisposalLogEntry]:
        """Every disposal ever made, newest first (identifiers only)."""
        return _certificate.disposal_log(self._vault)


__all__ = ["Disposal", "Holds", "MediaFinding", "Retention"]
