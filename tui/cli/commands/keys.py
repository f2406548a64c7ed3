"""init, status, passwd, recover: the vault and its keys."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._choices import KDF_PRESETS
from ._common import add_command, unlocked

if TYPE_CHECKING:
    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = add_command(
        sub, "init", "create a new vault (shows the recovery key once)", common, cmd_init
    )
    p.add_argument(
        "--kdf",
        default="calibrated",
        choices=["calibrated", *KDF_PRESETS],
        help="Argon2id parameters: calibrated to ~1 s here (default); "
        "'test-insecure' is for automated tests only",
    )
    p.add_argument(
        "--recovery-sheet",
        metavar="FILE",
        help="also write a printable recovery sheet to FILE (keep it offline)",
    )
    p.add_argument(
        "--new-passphrase-file", metavar="FILE", help="read the new vault's passphrase from FILE"
    )
    add_command(
        sub, "status", "show the vault's files, key epoch and KDF strength", common, cmd_status
    )
    p = add_command(
        sub, "passwd", "change the passphrase (re-wraps keys; no re-encryption)", common, cmd_passwd
    )
    p.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        help="read the new passphrase from FILE (else asked twice)",
    )
    p = add_command(
        sub, "recover", "unlock with the recovery key and set a new passphrase", common, cmd_recover
    )
    p.add_argument(
        "--recovery-key-file",
        metavar="FILE",
        help="read the recovery key from FILE (or $CONFIDE_RECOVERY_KEY_FILE)",
    )
    p.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        help="read the new passphrase from FILE (else asked twice)",
    )


def recovery_sheet(vault_id: str, recovery_key: str, folder: Path) -> str:
    return "\n".join(
        [
            "CONFIDE RECOVERY SHEET",
            "",
            f"Vault id:      {vault_id}",
            f"Vault folder:  {folder}",
            "",
            "Recovery key:",
            "",
            f"    {recovery_key}",
            "",
            "With this key anyone holding the vault or a backup can read every record.",
            "Print it, store it locked away from the computer, and delete this file.",
            "Use it with `confide recover` if the passphrase is lost; a new passphrase",
            "must then be chosen.",
            "",
        ]
    )


def cmd_init(args: argparse.Namespace, ctx: Context) -> None:
    from vault import PRESETS, UsageError, Vault, calibrate, check_new_passphrase
    from vault.vault import check_free_for_a_vault

    # First, before the passphrase is asked for and seconds are spent calibrating.
    check_free_for_a_vault(ctx.folder)
    passphrase = (
        ctx.secrets.passphrase()
        if ctx.secrets.has_passphrase_file and not args.new_passphrase_file
        else ctx.secrets.new_passphrase(args.new_passphrase_file)
    )
    check_new_passphrase(passphrase)  # before calibrating, which takes seconds
    if args.recovery_sheet and Path(args.recovery_sheet).exists():
        raise UsageError(f"{args.recovery_sheet} already exists; choose a new file name")
    if args.kdf == "calibrated":
        ctx.out.info("Calibrating Argon2id on this machine (about 2 seconds)...")
        kdf = calibrate()
    else:
        kdf = PRESETS[args.kdf]
    vault, recovery_key = Vault.create(ctx.folder, passphrase, kdf)
    try:
        vault_id = vault.vault_id
    finally:
        vault.lock()
    if args.recovery_sheet:
        sheet = Path(args.recovery_sheet).expanduser()
        try:
            # Created 0600 from the start: open(..., "x") + chmod left a window in which the
            # recovery key was world-readable under the usual umask.
            fd = os.open(sheet, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(recovery_sheet(vault_id, recovery_key, ctx.folder))
        except OSError as e:
            ctx.out.info(
                f"Could not write the recovery sheet ({e.strerror}); copy the key below by hand."
            )
    ctx.out.emit(
        {
            "folder": ctx.folder,
            "vault_id": vault_id,
            "kdf": kdf.to_json(),
            "kdf_weak": kdf.is_weak,
            "recovery_key": recovery_key,
        },
        lambda: "\n".join(
            [
                f"Created a vault at {ctx.folder}",
                f"Key derivation: {kdf.describe()}"
                + ("  [WEAK: tests only]" if kdf.is_weak else ""),
                "",
                "Recovery key (shown once; write it down and keep it offline):",
                "",
                f"    {recovery_key}",
                "",
            ]
        ),
    )


def cmd_status(args: argparse.Namespace, ctx: Context) -> None:
    from vault import inspect

    status = inspect(ctx.folder)
    data = {
        "folder": status.folder,
        "vault_id": status.vault_id,
        "key_epoch": status.key_epoch,
        "kdf": status.kdf.to_json(),
        "kdf_weak": status.kdf_is_weak,
        "files": status.files,
        "custodian": None
        if status.custodian is None
        else {
            "serial": status.custodian.serial,
            "issued_at": status.custodian.issued_at,
            "name": status.custodian.name,
            "role": status.custodian.role,
            "psychotherapy_notes": status.custodian.pnotes,
        },
    }

    def text() -> str:
        lines = [
            f"Vault:       {status.folder}",
            f"Vault id:    {status.vault_id}",
            f"Key epoch:   {status.key_epoch}",
            f"KDF:         {status.kdf.describe()}",
        ]
        if status.kdf_is_weak:
            lines.append(
                "WARNING:     the key derivation is WEAK (a test preset); do not keep "
                "real records in this vault"
            )
        slot = status.custodian
        if slot is None:
            lines.append("Custodian:   none designated (confide custodian designate)")
        else:
            from vault.timefmt import local_date

            notes = "with" if slot.pnotes else "without"
            lines.append(
                f"Custodian:   {slot.name} ({slot.role}), since {local_date(slot.issued_at)}, "
                f"{notes} psychotherapy notes (key number {slot.serial})"
            )
        lines.append("Files:")
        lines += [f"  {name:<16} {size:>12,} bytes" for name, size in status.files.items()]
        return "\n".join(lines)

    ctx.out.emit(data, text)


def cmd_passwd(args: argparse.Namespace, ctx: Context) -> None:
    from backup import Catalog
    from vault import Vault

    if ctx.custodian:
        # Refused by the vault opened with the custodian key, so it is audited as theirs.
        with unlocked(ctx) as vault:
            vault.require_clinician("changing the passphrase")
    current = ctx.secrets.passphrase("Current passphrase: ")
    vault = Vault.unlock(ctx.folder, current)
    try:
        new = ctx.secrets.new_passphrase(args.new_passphrase_file)
        vault.change_passphrase(current, new)
        earlier = len(Catalog(vault).backups(statuses=["good"]))
    finally:
        vault.lock()
    # Re-wrapping keeps the data keys: say what the new passphrase does not protect.
    caveat = (
        []
        if not earlier
        else [
            f"{earlier} earlier backup(s) still open with the OLD passphrase (each carries the key "
            "file of its day), and the data keys are unchanged: if the old passphrase was exposed "
            "together with a backup or the vault files, the records are not protected by this "
            "change."
        ]
    )
    ctx.out.emit(
        {"changed": True}, "\n".join(["Passphrase changed. The recovery key still works.", *caveat])
    )


def cmd_recover(args: argparse.Namespace, ctx: Context) -> None:
    from vault import Vault

    pending = Vault.recover(ctx.folder, ctx.secrets.recovery_key(args.recovery_key_file))
    try:
        new = ctx.secrets.new_passphrase(args.new_passphrase_file)
    except BaseException:
        pending.abandon()
        raise
    pending.set_new_passphrase(new, on_upgrade=ctx.out.info).lock()
    ctx.out.emit(
        {"recovered": True, "passphrase_changed": True},
        "Vault recovered; the new passphrase is set. The recovery key is unchanged.",
    )
