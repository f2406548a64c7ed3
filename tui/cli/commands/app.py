"""Opening the terminal app: `confide` (no command) and `confide demo`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import add_command

if TYPE_CHECKING:
    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub, "demo", "open the app on a synthetic demo practice (fake names)", common, cmd_demo
    )
    p.add_argument(
        "--no-open", action="store_true", help="only create the demo vault and print where it is"
    )
    p.add_argument("--clients", type=int, default=24, help="number of fake clients")


def demo_folder(args: argparse.Namespace) -> Path:
    from vault import default_vault_dir

    if args.vault:
        return Path(args.vault).expanduser()
    return default_vault_dir().parent / "demo-vault"


def run_app(ctx: Context, folder: Path, demo_passphrase: str | None = None) -> None:
    if ctx.open_app is None:
        from vault import UsageError

        raise UsageError("the app cannot be opened from here; run `confide` in a terminal")
    ctx.open_app(folder, demo_passphrase)


def cmd_open(args: argparse.Namespace, ctx: Context) -> None:
    run_app(ctx, ctx.folder)


def cmd_demo(args: argparse.Namespace, ctx: Context) -> None:
    from vault import DEFAULT_PRESET, Vault

    from ...workflows.demo import DEMO_PASSPHRASE, populate

    folder = demo_folder(args)
    created = False
    if not (folder / "keys.confide").exists():
        ctx.out.info(f"Creating a demo practice in {folder} (synthetic clients only)...")
        vault, _recovery = Vault.create(folder, DEMO_PASSPHRASE, DEFAULT_PRESET)
        try:
            summary = populate(
                vault, clients=max(1, args.clients), pnotes_passphrase=DEMO_PASSPHRASE
            )
        finally:
            vault.lock()
        created = True
        ctx.out.info(
            f"{summary.clients} clients, {summary.notes} notes, "
            f"{summary.psychotherapy_notes} psychotherapy notes."
        )
    # Without a terminal (a pipe, CI) there is no app to show: say where the vault is instead.
    if args.no_open or ctx.out.json_mode or os.environ.get("CI") or not sys.stdout.isatty():
        ctx.out.emit(
            {"folder": folder, "created": created, "passphrase": DEMO_PASSPHRASE},
            f"Demo vault: {folder}\nPassphrase: {DEMO_PASSPHRASE}",
        )
        return
    run_app(ctx, folder, demo_passphrase=DEMO_PASSPHRASE)
