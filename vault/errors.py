"""One error hierarchy for all of Confide.

Every error a user can meet is a `ConfideError`: it carries a short title and a one-line message
that the CLI prints on stderr and the TUI shows in a modal. Messages state facts and name no
command: where a remedy depends on the face, a subclass carries what the face needs to give its
own hint (the CLI's are in tui/cli/hints.py). Library errors (sqlcipher3, argon2,
cryptography, OSError) are translated at the edge with `raise ... from e` so no traceback and no
library internals ever reach the user.
"""

from __future__ import annotations

from pathlib import Path


class ConfideError(Exception):
    """Root of every error Confide reports to a user."""

    title = "Confide error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ConfideError):
    """The request itself is malformed (bad argument, unknown value)."""

    title = "Invalid input"


class AuthenticationError(ConfideError):
    """Wrong passphrase or recovery key. Deliberately says nothing more."""

    title = "Unlock failed"


class DamagedFileError(ConfideError):
    """A file Confide owns is damaged or is not what it claims to be."""

    title = "Damaged file"


class KdfRefusedError(DamagedFileError):
    """A key file (the vault's own, or the copy in a backup's header) asks for Argon2id
    parameters beyond any Confide writes. They are read before anything is authenticated, so
    their cost is the file author's choice: refused before deriving."""

    title = "Key derivation refused"


class NotAVaultError(ConfideError):
    """The folder holds no Confide vault, or something else entirely."""

    title = "Not a vault"


class MissingVaultError(NotAVaultError):
    """No vault at all in the folder named (`folder`): nothing there yet, not a damaged one."""

    def __init__(self, message: str, folder: Path) -> None:
        super().__init__(message)
        self.folder = folder


class VaultExistsError(ConfideError):
    title = "Vault exists"


class VaultBusyError(ConfideError):
    """Another process holds the vault lock."""

    title = "Vault in use"


class LockedError(ConfideError):
    """The vault (or the psychotherapy-notes area) is locked; unlock first."""

    title = "Locked"


class RecoveryRequiredError(ConfideError):
    """Unlocked with the recovery key: a new passphrase must be set first."""

    title = "New passphrase required"


class NotFoundError(ConfideError):
    title = "Not found"


class ImmutableRecordError(ConfideError):
    """A signed note cannot change; corrections are addenda."""

    title = "Signed note"


class MarkupError(UsageError):
    """Omission markup in a note body is malformed."""

    title = "Omission markup"


class StorageError(ConfideError):
    """The disk refused a write (full, read-only, I/O error). Nothing was changed."""

    title = "Storage error"


class IntegrityError(ConfideError):
    """A verification failed: audit chain, page HMAC, schema."""

    title = "Integrity check failed"


class DisclosureRefusedError(ConfideError):
    """A release was refused: no valid authorization, expired or revoked, wrong kind, a hold."""

    title = "Release refused"


class AuthorizationNotNamedError(DisclosureRefusedError):
    """A release under the client's authorization that names none (`client_id`'s)."""

    def __init__(self, message: str, client_id: int) -> None:
        super().__init__(message)
        self.client_id = client_id


class DisposalRefusedError(ConfideError):
    """A disposal was refused before anything changed: on hold, not due, names not confirmed."""

    title = "Disposal refused"


class RestoreLeftoverError(DisposalRefusedError):
    """Refused because a killed restore left a previous copy of the vault aside (`aside`)."""

    def __init__(self, message: str, aside: Path) -> None:
        super().__init__(message)
        self.aside = aside


class CustodianReadOnlyError(ConfideError):
    """Opened with the custodian key: the clinical record is read-only (no note, client,
    disposal, key or passphrase change). Refused in the core, whatever face asked."""

    title = "Custodian mode: read-only"
    # Set once the refusal is in the audit log (Database.report_refusal): an error passing
    # through several layers and transactions on its way out is recorded once.
    audited = False


class CustodianNotGrantedError(CustodianReadOnlyError):
    """The custodian's slot does not hold that key (psychotherapy notes not granted)."""

    title = "Not granted to the custodian"
