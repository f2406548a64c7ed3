"""Subcommand groups. Each module has `register(subparsers, common)`.

`COMMANDS` is the registry: every top-level command word, the module in this package that
registers it, and its one-line help. `confide --help` and a usage error list the commands from
here without importing any command module; only the module of the command typed is imported and
built (issue 13: start-up). Order is help order; a module's words stay together.

To add a command: write its module with `register()`, then add one line per top-level word here.
`tests/cli/test_startup.py` fails if the registry and the modules disagree (word, help, order).
"""

from __future__ import annotations

# word: (module, help). The help must be the help text the module passes to `add_parser`.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("keys", "create a new vault (shows the recovery key once)"),
    "status": ("keys", "show the vault's files, key epoch and KDF strength"),
    "passwd": ("keys", "change the passphrase (re-wraps keys; no re-encryption)"),
    "recover": ("keys", "unlock with the recovery key and set a new passphrase"),
    "client": ("clients", "clients: add, list, show, edit"),
    "note": ("notes", "general-record notes: add, show, list, sign, addend"),
    "pnote": ("pnotes", "psychotherapy notes (kept apart; passphrase each time)"),
    "attach": ("attachments", "add a scanned form or other file to a client's record"),
    "attachment": ("attachments", "attachments: list, get, remove"),
    "inbox": ("attachments", "the scanned-forms inbox: scan, watch, list, assign"),
    "search": ("search", "search notes in the general record"),
    "audit": ("audit", "the audit log: verify the chain, list entries"),
    "backup": ("backup", "encrypted, verified backups to a USB drive"),
    "restore": ("backup", "restore a backup file into a vault folder (a new machine)"),
    "release": ("disclosures", "release records to a third party (preview, then write)"),
    "access": (
        "disclosures",
        "a copy of the client's whole record for the client or their representative (164.524)",
    ),
    "auth": ("disclosures", "authorizations to disclose (164.508): add, list, revoke"),
    "disclosures": ("disclosures", "accounting of disclosures, last six years (164.528)"),
    "amend": ("disclosures", "amendment requests (164.526): 60 days to act"),
    "request": ("disclosures", "recorded records requests (subpoenas): checklist"),
    "legal-hold": ("disclosures", "legal holds (a hold blocks disposal)"),
    "practice": ("disclosures", "the practice header printed on every release"),
    "access-request": ("access", "requests for a copy (164.524): the 30-day clock"),
    "access-denial": ("access", "withhold part of a copy on a recorded ground (164.524)"),
    "representative": ("access", "personal representatives of a client (164.502(g))"),
    "minor-service": ("access", "services a parent is not the minor's representative for"),
    "notice": ("notice", "the confidentiality and consent notice: template, PDFs, who has it"),
    "export": (
        "openexport",
        "write the whole record (or chosen clients) to an age-encrypted open export",
    ),
    "import": ("openexport", "make a new vault (--vault DIR, empty or new) from an open export"),
    "custodian": (
        "custodian",
        "the records custodian: designate, re-issue, revoke; clients, letters, instructions",
    ),
    "consult": ("consult", "a de-identified case summary for supervision"),
    "person": ("consult", "people in a client's life (for case summaries)"),
    "retention": ("disposal", "retention policies and each client's disposal date"),
    "dispose": (
        "disposal",
        "the disposal queue, disposal of named clients, verification, certificates",
    ),
    "incident": (
        "incidents",
        "incidents and breaches (45 CFR 164.402-408): assess, conclude, notify, the HHS log",
    ),
    "demo": ("app", "open the app on a synthetic demo practice (fake names)"),
    "completion": (
        "shell",
        "print the shell completion script "
        "(e.g. `confide completion bash > ~/.local/share/bash-completion/completions/confide`)",
    ),
    "man": ("shell", "print the manual page as roff (`confide man | man -l -`)"),
}


def module_names() -> list[str]:
    """The command modules in help order, each once."""
    return list(dict.fromkeys(module for module, _ in COMMANDS.values()))


def words_of(module: str) -> list[str]:
    return [word for word, (owner, _) in COMMANDS.items() if owner == module]
