"""Subcommand groups. Each module has `register(subparsers, common)`; order is help order.

To add a feature's commands, add a module here and list it below: nothing else changes.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    access,
    app,
    attachments,
    audit,
    backup,
    clients,
    consult,
    disclosures,
    disposal,
    incidents,
    keys,
    notes,
    pnotes,
    search,
    shell,
)

COMMAND_MODULES: list[ModuleType] = [
    keys,
    clients,
    notes,
    pnotes,
    attachments,
    search,
    audit,
    backup,
    disclosures,
    access,
    consult,
    disposal,
    incidents,
    app,
    shell,
]
