"""Confide's core: keys, encrypted storage, records, search and audit. No terminal, no Textual."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import (
    AuthenticationError,
    ConfideError,
    CustodianNotGrantedError,
    CustodianReadOnlyError,
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
from .storage.layout import plainly_a_vault

if TYPE_CHECKING:
    from .crypto.kdf import DEFAULT_PRESET, PRESETS, TEST_PRESET, KdfParams, calibrate
    from .crypto.secret import disable_core_dumps
    from .custodian import BackupPlace, CustodianClient, CustodianInfo, Designation
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

# Everything but the errors loads on first use (PEP 562): `import vault.errors` or
# `from vault import UsageError` no longer costs the crypto, SQLCipher and records stack, so
# the app draws its lock screen and `confide --help` answers before any of it loads (issues
# 13 and 14). Each name below comes from the module named; the test
# tests/vault/test_lazy_package.py checks this table against __all__.
_LAZY: dict[str, str] = {
    "DEFAULT_PRESET": ".crypto.kdf",
    "PRESETS": ".crypto.kdf",
    "TEST_PRESET": ".crypto.kdf",
    "KdfParams": ".crypto.kdf",
    "calibrate": ".crypto.kdf",
    "disable_core_dumps": ".crypto.secret",
    "BackupPlace": ".custodian",
    "CustodianClient": ".custodian",
    "CustodianInfo": ".custodian",
    "Designation": ".custodian",
    "Action": ".records.audit",
    "AuditEntry": ".records.audit",
    "AuditReport": ".records.audit",
    "flagged_text": ".records.markup",
    "parse_omissions": ".records.markup",
    "render_withheld": ".records.markup",
    "to_markup": ".records.markup",
    "withheld_marker": ".records.markup",
    "Client": ".records.models",
    "ClientStatus": ".records.models",
    "EntryType": ".records.models",
    "Note": ".records.models",
    "NoteStatus": ".records.models",
    "NoteSummary": ".records.models",
    "OmitCategory": ".records.models",
    "OmitSpan": ".records.models",
    "PsychotherapyNote": ".records.models",
    "SearchHit": ".records.models",
    "SessionInfo": ".records.models",
    "PsychotherapyNotes": ".records.pnotes",
    "TEMPLATES": ".records.templates",
    "Template": ".records.templates",
    "get_template": ".records.templates",
    "PASSPHRASE_RULE": ".vault",
    "PendingRecovery": ".vault",
    "RollbackWarning": ".vault",
    "Vault": ".vault",
    "VaultStatus": ".vault",
    "check_new_passphrase": ".vault",
    "default_vault_dir": ".vault",
    "inspect": ".vault",
    "vault_exists": ".vault",
}


def _installed_version() -> str:
    # One source of truth: the version in pyproject.toml, as installed metadata.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("confide")
    except PackageNotFoundError:  # a source tree used without installing
        return "0+unknown"


def __getattr__(name: str) -> object:
    # `__version__` on first use too: importlib.metadata cost every command 10% of its
    # start-up (issue 13), and only --version, backups and certificates print it.
    if name == "__version__":
        value: object = _installed_version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


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
    "CustodianNotGrantedError",
    "CustodianReadOnlyError",
    "BackupPlace",
    "CustodianClient",
    "CustodianInfo",
    "Designation",
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
    "plainly_a_vault",
]
