"""Subcommand groups. Each module has `register(subparsers, common)`; order is help order.

To add a feature's commands, add a module here and list it below: nothing else changes.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    app,
    audit,
    backup,
    clients,
    consult,
    disclosures,
    disposal,
    incidents,
    keys,
    notes,
    openexport,
    pnotes,
    search,
    shell,
)

COMMAND_MODULES: list[ModuleType] = [
    keys,
    clients,
    notes,
    pnotes,
    search,
    audit,
    backup,
    disclosures,
    consult,
    disposal,
    openexport,
    incidents,
    app,
    shell,
]
