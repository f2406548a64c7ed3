"""Confide's core: keys, encrypted storage, records, search and audit. No terminal, no Textual."""

from .crypto.kdf import DEFAULT_PRESET, PRESETS, TEST_PRESET, KdfParams, calibrate
from .crypto.secret import disable_core_dumps
from .errors import (
    AuthenticationError,
    ConfideError,
    DamagedFileError,
    DisclosureRefusedError,
    ImmutableRecordError,
    IntegrityError,
    LockedError,
    MarkupError,
    NotAVaultError,
    NotFoundError,
    StorageError,
    UsageError,
    VaultBusyError,
    VaultExistsError,
)
from .records.audit import Action, AuditEntry, AuditReport
from .records.markup import (
    flagged_text,
    parse_omissions,
    render_withheld,
    to_markup,
    withheld_marker,
)
from .records.models import (
    Client,
    ClientStatus,
    EntryType,
    Note,
    NoteStatus,
    NoteSummary,
    OmitCategory,
    OmitSpan,
    PsychotherapyNote,
    SearchHit,
    SessionInfo,
)
from .records.pnotes import PsychotherapyNotes
from .records.templates import TEMPLATES, Template, get_template
from .vault import (
    PASSPHRASE_RULE,
    PendingRecovery,
    RollbackWarning,
    Vault,
    VaultStatus,
    check_new_passphrase,
    default_vault_dir,
    inspect,
    vault_exists,
)


def _installed_version() -> str:
    # One source of truth: the version in pyproject.toml, as installed metadata.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("confide")
    except PackageNotFoundError:  # a source tree used without installing
        return "0+unknown"


def __getattr__(name: str) -> str:
    # `__version__` on first use: importlib.metadata costs every command 10% of its start-up
    # (issue 13), and only --version, backups and certificates print it.
    if name == "__version__":
        version = _installed_version()
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "TEMPLATES",
    "TEST_PRESET",
    "Action",
    "AuditEntry",
    "AuditReport",
    "RollbackWarning",
    "AuthenticationError",
    "Client",
    "ClientStatus",
    "ConfideError",
    "DamagedFileError",
    "DisclosureRefusedError",
    "EntryType",
    "ImmutableRecordError",
    "IntegrityError",
    "KdfParams",
    "LockedError",
    "MarkupError",
    "NotAVaultError",
    "NotFoundError",
    "Note",
    "NoteStatus",
    "NoteSummary",
    "OmitCategory",
    "OmitSpan",
    "PendingRecovery",
    "PsychotherapyNote",
    "PsychotherapyNotes",
    "SearchHit",
    "SessionInfo",
    "StorageError",
    "Template",
    "UsageError",
    "Vault",
    "VaultBusyError",
    "VaultExistsError",
    "VaultStatus",
    "__version__",
    "calibrate",
    "default_vault_dir",
    "disable_core_dumps",
    "flagged_text",
    "get_template",
    "inspect",
    "parse_omissions",
    "render_withheld",
    "vault_exists",
    "to_markup",
    "withheld_marker",
    "PASSPHRASE_RULE",
    "check_new_passphrase",
]
