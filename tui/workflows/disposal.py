"""Disposal as both faces run it: first finish what an earlier disposal left, then act.

An earlier disposal may have been interrupted (records deleted, keys not yet rotated or backups
not yet replaced), and a backup drive that missed a disposal may be connected now. Every queue,
disposal and verification finishes those first, so what it reports is about a finished state.
What was finished goes to `report` at once, so the face shows it even if the action then fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from backup.purge import DisposalBackups, process_connected_pending
from backup.restore import sweep_restore_tests
from vault import Vault
from vault.retention.execute import DisposalResult
from vault.retention.facade import MediaFinding
from vault.retention.plan import ClientDisposal
from vault.retention.verify import Verification


@dataclass(frozen=True)
class Resumed:
    """What finishing earlier disposals did: interrupted runs completed, pending purges done."""

    finished: tuple[DisposalResult, ...] = ()
    purged: tuple[str, ...] = ()
    swept: tuple[str, ...] = ()  # copies killed restore tests left beside the vault

    def lines(self) -> list[str]:
        """One line each, for the face to show (nothing when there was nothing to finish)."""
        lines = [
            f"finished the interrupted disposal {r.certificate.certificate_id}: "
            f"{r.verification.result}"
            for r in self.finished
        ]
        lines += self.swept
        if self.purged:
            lines.append(
                f"purged {len(self.purged)} old backup(s) left pending by an earlier disposal"
            )
        return lines


Report = Callable[[Resumed], None]


def resume(vault: Vault, passphrase: str, *, authenticated: bool = False) -> Resumed:
    """Finish interrupted disposals, then the pending purges of the drives connected now.

    The passphrase is checked first unless the caller has just unlocked with it
    (`authenticated`), so a wrong one finishes nothing. Custodian mode is refused first,
    before anything is swept, purged or migrated (queue, dispose and verify all begin here).
    """
    vault.require_clinician("disposal")
    if not authenticated:
        vault.verify_passphrase(passphrase)
    # This process holds the vault's lock: no restore test of it is running elsewhere.
    swept = sweep_restore_tests(vault.folder)
    finished = vault.disposal.resume(passphrase, DisposalBackups())
    purged = process_connected_pending(vault)
    return Resumed(tuple(finished), tuple(purged), tuple(swept))


def queue(
    vault: Vault,
    passphrase: str,
    report: Report,
    *,
    today: date | None = None,
    authenticated: bool = False,
) -> list[ClientDisposal]:
    """The clients past retention and on no hold, with what would go (nothing is destroyed)."""
    report(resume(vault, passphrase, authenticated=authenticated))
    return vault.disposal.plan(today=today, passphrase=passphrase, backups=DisposalBackups())


def dispose(
    vault: Vault,
    passphrase: str,
    client_ids: Sequence[int],
    confirm_names: Sequence[str],
    report: Report,
    *,
    performed_by: str | None = None,
    authenticated: bool = False,
    backups: DisposalBackups | None = None,
    overwrite_exports: bool = False,
) -> DisposalResult:
    """Dispose of the named clients for good (and their backup copies), verify, certify.
    `backups` lets a face watch the backup rewriting (the CLI's progress display). With
    `overwrite_exports`, their saved releases still unchanged at their saved path are
    overwritten and removed too."""
    report(resume(vault, passphrase, authenticated=authenticated))
    return vault.disposal.dispose(
        passphrase,
        client_ids,
        confirm_names,
        performed_by=performed_by,
        backups=backups or DisposalBackups(),
        overwrite_exports=overwrite_exports,
    )


def media(vault: Vault) -> list[MediaFinding]:
    """What the vault's filesystem and each connected backup drive's do to an overwrite (data
    journalling, copy-on-write, snapshots): each face shows the limits before disposal.
    Refused in custodian mode first: disposal is the clinician's, whatever is shown before."""
    vault.require_clinician("disposal")
    return vault.disposal.media(DisposalBackups())


@dataclass(frozen=True)
class Verified:
    verification: Verification
    disposed_clients: int


def verify(
    vault: Vault, passphrase: str, report: Report, *, authenticated: bool = False
) -> Verified:
    """Prove again that every disposed client is gone from the vault and connected backups."""
    report(resume(vault, passphrase, authenticated=authenticated))
    verification = vault.disposal.verify(passphrase, backups=DisposalBackups())
    return Verified(verification, len(vault.disposal.disposed_client_ids()))
