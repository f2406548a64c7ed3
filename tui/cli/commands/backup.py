"""backup drive add|list / run / verify / list / lost / watch / settings, and restore."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exitcodes import DAMAGED, ROLLED_BACK
from ..output import table, to_jsonable
from ..progress import Progress
from ._common import add_command, add_group, unlocked, warn_rollback

if TYPE_CHECKING:
    from backup import WatchEvent
    from vault import RollbackWarning, Vault

    from ..main import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = add_group(sub, "backup", "encrypted, verified backups to a USB drive", common)
    drive = add_group(group, "drive", "designate and list backup drives", common)
    p = add_command(
        drive, "add", "designate the drive mounted at PATH for backups", common, cmd_drive_add
    )
    p.add_argument("path", metavar="PATH", help="where the drive is mounted")
    p.add_argument("--label", default="", help="a name for the drive (default: folder name)")
    add_command(drive, "list", "the designated drives", common, cmd_drive_list)
    p = add_command(group, "run", "write a backup now, read it back and verify it", common, cmd_run)
    p.add_argument(
        "--to",
        metavar="PATH",
        help="the drive's mount point (default: the connected designated drive)",
    )
    p.add_argument("--no-rotate", action="store_true", help="keep every older generation")
    p.add_argument(
        "--full",
        action="store_true",
        help="write a full archive (default: only the pages changed since the last backup)",
    )
    p = add_command(
        group, "verify", "read a backup back fully and check every byte", common, cmd_verify
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", metavar="FILE", help="a backup file")
    what.add_argument(
        "--all", action="store_true", help="every catalogued backup on the drives connected now"
    )
    p.add_argument(
        "--recovery-key-file",
        metavar="FILE",
        help="check FILE with the recovery key instead of the vault (a new machine)",
    )
    p = add_command(group, "list", "catalogued backups, newest first", common, cmd_list)
    p.add_argument("--drive", metavar="DRIVE", help="only this drive (id or label)")
    p.add_argument("--all", action="store_true", help="also pruned, failed and lost ones")
    p = add_command(
        group,
        "lost",
        "report a drive lost: what it held and how it was encrypted",
        common,
        cmd_lost,
    )
    p.add_argument("drive", metavar="DRIVE", help="drive id, label or mount path")
    p = add_command(
        group,
        "watch",
        "wait for the backup drive and back up when it is due (foreground; Ctrl-C stops)",
        common,
        cmd_watch,
    )
    p.add_argument(
        "--root",
        action="append",
        metavar="DIR",
        help="where drives get mounted (repeatable; default from settings)",
    )
    p.add_argument("--once", action="store_true", help="look once and exit")
    p = add_command(group, "settings", "show or change rotation and watching", common, cmd_settings)
    p.add_argument(
        "--keep-daily",
        type=int,
        metavar="N",
        help="keep the newest backup of each of the last N days",
    )
    p.add_argument("--keep-weekly", type=int, metavar="N", help="... of each of the last N weeks")
    p.add_argument("--keep-monthly", type=int, metavar="N", help="... of each of the last N months")
    p.add_argument(
        "--interval-hours",
        type=float,
        metavar="H",
        help="a backup is due when the last one is older than this",
    )
    p.add_argument(
        "--watch-root",
        action="append",
        metavar="DIR",
        help="replace the mount roots watched (repeatable)",
    )
    p.add_argument(
        "--full-every",
        type=int,
        metavar="N",
        help="a full archive at least every N backups on a drive (1: always full)",
    )
    p.add_argument(
        "--full-fraction",
        type=float,
        metavar="F",
        help="a full archive once a chain's incrementals exceed F times its full archive",
    )

    p = add_command(
        sub,
        "restore",
        "restore a backup file into a vault folder (a new machine)",
        common,
        cmd_restore,
    )
    p.add_argument("file", metavar="FILE", help="the backup file (.cfbk)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing vault (kept aside until the restore verifies)",
    )
    p.add_argument(
        "--recovery-key-file", metavar="FILE", help="use the recovery key instead of the passphrase"
    )
    p.add_argument(
        "--new-passphrase-file", metavar="FILE", help="with the recovery key: the new passphrase"
    )


def _record_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "archive_id": r.archive_id,
        "drive_id": r.drive_id,
        "file": r.file_name,
        "path": r.path,
        "created_at": r.created_at,
        "size": r.size,
        "digest": r.digest,
        "key_epoch": r.key_epoch,
        "clients": list(r.client_ids),
        "client_record_ids": [f"C-{c:05d}" for c in r.client_ids],
        "status": r.status,
        "verified_at": r.verified_at,
        "error": r.error,
        "kind": r.kind,
        "base_id": r.base_id,
        "pages": r.pages,
    }


def cmd_drive_add(args: argparse.Namespace, ctx: Context) -> None:
    from backup import add_drive

    with unlocked(ctx) as vault:
        drive = add_drive(vault, Path(args.path).expanduser(), args.label)
    ctx.out.emit(
        {"drive_id": drive.drive_id, "label": drive.label, "path": drive.last_path},
        f"Designated {drive.last_path} as backup drive {drive.drive_id} ({drive.label}).",
    )


def cmd_drive_list(args: argparse.Namespace, ctx: Context) -> None:
    from backup import Catalog

    with unlocked(ctx) as vault:
        catalog = Catalog(vault)
        drives = catalog.drives()
        last = {}
        for d in drives:
            good = catalog.last_good(d.drive_id)
            last[d.drive_id] = good.created_at if good is not None else None
    data = [
        {
            "drive_id": d.drive_id,
            "label": d.label,
            "status": d.status,
            "last_path": d.last_path,
            "added_at": d.added_at,
            "lost_at": d.lost_at,
            "last_good_backup": last[d.drive_id],
        }
        for d in drives
    ]
    ctx.out.emit(
        data,
        lambda: (
            table(
                ["DRIVE", "LABEL", "STATUS", "LAST PATH", "LAST GOOD BACKUP"],
                [
                    [
                        d["drive_id"],
                        d["label"],
                        d["status"],
                        d["last_path"],
                        d["last_good_backup"] or "-",
                    ]
                    for d in data
                ],
            )
            if data
            else "No backup drives yet: `confide backup drive add PATH`."
        ),
    )


def _connected_drive(vault: Vault) -> Path:
    from backup import connected_drives
    from vault import NotFoundError

    usable = connected_drives(vault)
    if not usable:
        raise NotFoundError("no designated backup drive is connected; plug it in or give --to PATH")
    return usable[0][0]


def cmd_run(args: argparse.Namespace, ctx: Context) -> None:
    from backup import run_backup

    line = Progress(ctx.out)
    with unlocked(ctx) as vault:
        root = Path(args.to).expanduser() if args.to else _connected_drive(vault)
        try:
            result = run_backup(
                vault, root, progress=line, rotate=not args.no_rotate, full=args.full
            )
        finally:
            line.done()
        if result.rollback is not None:
            warn_rollback(vault, [result.rollback])
    rec = result.record
    data = {
        **_record_json(rec),
        "write_seconds": round(result.write_seconds, 3),
        "verify_seconds": round(result.verify_seconds, 3),
        "pruned": [p.file_name for p in result.pruned],
        "skipped": result.skipped,
        "full_because": result.full_because,
        "rollback": None if result.rollback is None else to_jsonable(result.rollback),
    }
    if result.skipped:
        ctx.out.emit(
            data,
            lambda: (
                "Nothing changed since the last backup "
                f"({rec.created_at}, {result.path.name}); nothing was written."
            ),
        )
        return
    kind = (
        f"incremental: {rec.pages} changed pages on top of the previous backup"
        if rec.kind == "incremental"
        else f"full ({result.full_because})"
        if result.full_because
        else "full"
    )
    ctx.out.emit(
        data,
        lambda: "\n".join(
            [
                f"Backup written and verified: {result.path}",
                f"  {kind}",
                f"  {rec.size:,} bytes, {len(rec.client_ids)} clients, key epoch {rec.key_epoch}",
                f"  digest {rec.digest}",
                *([f"  Pruned {len(result.pruned)} older generation(s)."] if result.pruned else []),
            ]
        ),
    )


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    from backup import check_connected_drives, verify_archive, verify_catalogued
    from vault import vault_exists

    line = Progress(ctx.out)
    # A connected drive that has seen a later audit log than the vault holds (exit 16).
    rollbacks: list[RollbackWarning] = []
    if args.all:
        with unlocked(ctx) as vault:
            try:
                outcomes = verify_catalogued(vault, progress=line)
            finally:
                line.done()
            rollbacks = check_connected_drives(vault)
            warn_rollback(vault, rollbacks)
        data = [
            {**_record_json(o.record), "ok": o.ok, "reachable": o.reachable, "message": o.message}
            for o in outcomes
        ]
        ctx.out.emit(
            data,
            lambda: (
                table(["FILE", "RESULT"], [[o.record.file_name, o.message] for o in outcomes])
                if outcomes
                else "No catalogued backups to verify."
            ),
        )
        # A drive that is not plugged in is not a failure; a damaged file is.
        failed = [o for o in outcomes if not o.ok and o.reachable]
        if failed:
            return DAMAGED.code
        return ROLLED_BACK.code if rollbacks else 0
    path = Path(args.file).expanduser()
    try:
        if args.recovery_key_file:
            report = verify_archive(
                path, recovery_key=ctx.secrets.recovery_key(args.recovery_key_file), progress=line
            )
        elif vault_exists(ctx.folder):
            with unlocked(ctx) as vault:
                report = verify_archive(path, vault=vault, progress=line)
                rollbacks = check_connected_drives(vault)
                warn_rollback(vault, rollbacks)
        else:  # no vault here (a new machine): the key-file copy in the archive
            report = verify_archive(path, passphrase=ctx.secrets.passphrase(), progress=line)
    finally:
        line.done()
    summary = {
        "file": str(report.path),
        "ok": True,
        "archive_id": report.archive_id,
        "vault_id": report.vault_id,
        "key_epoch": report.key_epoch,
        "created_at": report.created_at,
        "size": report.size,
        "digest": report.digest,
        "clients": report.clients,
        "sections": report.sections,
        "catalog_status": report.catalog_status,
        "marked_good_again": report.marked_good_again,
        "rollbacks": [to_jsonable(w) for w in rollbacks],
    }
    note = ""
    if report.marked_good_again:
        note = (
            " It was catalogued as damaged; it is the same file (digest as catalogued), "
            "so it is marked good again."
        )
    elif report.catalog_status not in (None, "good"):
        # e.g. a copy of an archive that disposal replaced: intact, but not to be used.
        note = (
            f" The catalog lists it as {report.catalog_status}: do not rely on it; it may "
            "hold records that were since disposed of."
        )
    ctx.out.emit(
        summary,
        f"{path.name}: every byte verified ({report.size:,} bytes, made "
        f"{report.created_at}, {report.clients} clients).{note}",
    )
    return ROLLED_BACK.code if rollbacks else 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> None:
    from backup import Catalog, finish_removals

    with unlocked(ctx) as vault:
        catalog = Catalog(vault)
        finish_removals(vault)  # a kill mid-removal: finish it on the drives connected now
        drive_id = catalog.find_drive(args.drive).drive_id if args.drive else None
        records = catalog.backups(drive_id, None if args.all else ["good", "damaged"])
    data = [_record_json(r) for r in records]
    ctx.out.emit(
        data,
        lambda: (
            table(
                ["CREATED", "FILE", "DRIVE", "SIZE", "CLIENTS", "STATUS", "VERIFIED"],
                [
                    [
                        r.created_at,
                        r.file_name,
                        r.drive_id,
                        f"{r.size or 0:,}",
                        len(r.client_ids),
                        r.status,
                        r.verified_at or "-",
                    ]
                    for r in records
                ],
            )
            if records
            else "No backups in the catalog yet."
        ),
    )


def cmd_lost(args: argparse.Namespace, ctx: Context) -> None:
    from backup import lost_drive

    from ...workflows.incidents import open_for_lost_drive

    with unlocked(ctx) as vault:
        report = lost_drive(vault, args.drive)
        incident = open_for_lost_drive(vault, report)

    def text() -> str:
        lines = [
            f"Drive {report.drive_id} ({report.label}) is marked LOST as of "
            f"{report.reported_at}. Its backups are never trusted again.",
            "",
        ]
        if not report.backups:
            lines.append("The catalog records no backup on this drive.")
        for b in report.backups:
            enc = b.encryption
            kdf = enc.get("key_slots", {}).get("kdf", {})
            lines += [
                f"Backup {b.file_name} (made {b.created_at}, was {b.status_before}, "
                f"key epoch {b.key_epoch})",
                f"  Encryption: {enc.get('archive_cipher')} "
                f"{enc.get('archive_key_bits')}-bit archive key; "
                f"{enc.get('database_cipher')}",
                f"  Key derivation: Argon2id t={kdf.get('time_cost')}, "
                f"m={int(kdf.get('memory_kib', 0)) // 1024} MiB, "
                f"p={kdf.get('parallelism')}",
                f"  Clients ({len(b.clients)}): "
                + ", ".join(f"{c.record_id} {c.display_name}" for c in b.clients),
            ]
        lines += ["", f"Clients on this drive: {len(report.clients)}", "", "Assessment notes:"]
        lines += [f"  - {a}" for a in report.assessment]
        if incident is not None:
            lines += [
                "",
                f"Incident {incident.record_id} opened: assess it with `confide "
                f"incident assess {incident.record_id}` (notices due by "
                f"{incident.deadline} unless the assessment concludes otherwise).",
            ]
        return "\n".join(lines)

    ctx.out.emit(
        {**to_jsonable(report), "incident": incident.record_id if incident else None}, text
    )


def cmd_watch(args: argparse.Namespace, ctx: Context) -> None:
    from functools import partial

    from vault import UsageError

    from ...workflows.idle import idle_from_env, idle_words
    from ...workflows.unlock import unlock
    from ...workflows.watch import drive_watcher
    from ._common import show_tidied, warn_incidents

    roots = [Path(r).expanduser() for r in args.root] if args.root else None

    def line(event: WatchEvent) -> str:
        if not event.drive_id:
            return f"{event.kind}: {event.message}"
        return f"{event.kind}: drive {event.drive_id} at {event.path}" + (
            f": {event.message}" if event.message else ""
        )

    def show(event: WatchEvent) -> None:
        if event.rollback is not None:
            # Loudly, as at unlock: on stderr even with --json or --once.
            warn_rollback(watcher.vault, [event.rollback])
            return
        # With --once the summary below lists every event; printing them live too doubled them.
        if not ctx.args.json and not args.once:
            ctx.out.info(line(event))

    def reopen() -> Vault:
        """After an idle lock, when the drive is plugged in: the passphrase again (asked on
        this terminal, or read from the file / command again), then forgotten."""
        try:
            vault = unlock(
                ctx.folder,
                partial(ctx.secrets.passphrase, "Backup drive connected. Passphrase: "),
                partial(show_tidied, ctx),
                upgrading=ctx.out.info,
            )
        finally:
            ctx.secrets.forget()
        warn_rollback(vault)
        warn_incidents(vault)
        return vault

    idle_seconds, idle_problem = idle_from_env()
    if idle_problem and not args.once:  # --once never idles
        ctx.out.info(f"warning: {idle_problem}")
    with unlocked(ctx) as vault:
        ctx.secrets.forget()  # the watcher asks again after an idle lock; it keeps no copy
        watcher = drive_watcher(
            vault,
            show,
            ctx.out.info,
            roots=roots,
            idle_seconds=None if args.once else idle_seconds,
            reopen=reopen,
        )
        try:
            if args.once:
                events = watcher.scan_once()
                ctx.out.emit(
                    [
                        {
                            "kind": e.kind,
                            "drive_id": e.drive_id,
                            "path": e.path,
                            "message": e.message,
                        }
                        for e in events
                    ],
                    "\n".join(line(e) for e in events) or "No designated drive is connected.",
                )
                if any(e.kind == "failed" for e in events):
                    raise UsageError(next(e.message for e in events if e.kind == "failed"))
                return
            ctx.out.info(
                "Watching "
                + ", ".join(str(r) for r in watcher.roots)
                + f" for the backup drive; the vault locks after {idle_words(idle_seconds)} "
                "without a backup to do. Ctrl-C stops."
            )
            try:
                watcher.run()
            except KeyboardInterrupt:
                ctx.out.info("Stopped watching.")
        finally:
            watcher.vault.lock()  # the one reopened after an idle lock, if any


def cmd_settings(args: argparse.Namespace, ctx: Context) -> None:
    from backup import BackupSettings, Catalog

    with unlocked(ctx) as vault:
        catalog = Catalog(vault)
        current = catalog.settings()
        changes: dict[str, Any] = {
            k: v
            for k, v in {
                "keep_daily": args.keep_daily,
                "keep_weekly": args.keep_weekly,
                "keep_monthly": args.keep_monthly,
                "interval_hours": args.interval_hours,
                "watch_roots": args.watch_root,
                "full_every": args.full_every,
                "full_fraction": args.full_fraction,
            }.items()
            if v is not None
        }
        if changes:
            current = catalog.save_settings(
                BackupSettings.from_json({**current.to_json(), **changes}).checked()
            )
    ctx.out.emit(
        current.to_json(),
        lambda: "\n".join(
            [
                f"{k:<16} {v if not isinstance(v, list) else ', '.join(v)}"
                for k, v in current.to_json().items()
            ]
            + [
                "The newest good backup is always kept, whatever these counts (0 keeps none of "
                "that kind)."
            ]
        ),
    )


def cmd_restore(args: argparse.Namespace, ctx: Context) -> None:
    from backup import restore

    if ctx.custodian:
        from vault import CustodianReadOnlyError

        # Said by name: the custodian key would only fail as "wrong passphrase".
        raise CustodianReadOnlyError(
            "custodian mode is read-only: restoring a backup is for the clinician (it needs "
            "their passphrase or recovery key, not the custodian key); open a copy of the "
            "vault folder with the custodian sheet instead"
        )
    # Into --vault DIR, else $CONFIDE_VAULT, else the usual vault folder (a new machine);
    # an existing vault there is never replaced without --force.
    file = Path(args.file).expanduser()
    line = Progress(ctx.out)
    try:
        if args.recovery_key_file:
            key = ctx.secrets.recovery_key(args.recovery_key_file)
            new = ctx.secrets.new_passphrase(args.new_passphrase_file)
            result = restore(
                file,
                ctx.folder,
                recovery_key=key,
                new_passphrase=new,
                force=args.force,
                progress=line,
            )
        else:
            result = restore(
                file,
                ctx.folder,
                passphrase=ctx.secrets.passphrase(),
                force=args.force,
                progress=line,
            )
    finally:
        line.done()
    ctx.out.emit(
        result,
        lambda: "\n".join(
            [
                f"Restored {file.name} (made {result.created_at}) into {result.folder}.",
                f"  {result.clients} clients, {result.notes} notes; audit chain verified "
                f"({result.audit_entries} entries).",
                *(
                    ["  The previous vault there was replaced and erased."]
                    if result.replaced_existing
                    else []
                ),
                *(
                    ["  The new passphrase is set; the recovery key is unchanged."]
                    if result.via == "recovery key"
                    else []
                ),
            ]
        ),
    )
