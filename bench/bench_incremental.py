"""Incremental backups (format 3, issue 14): bytes written per backup against the pages the change
touched, time against restic on the same change, and a full backup + verify against cp + sync +
an uncached read.

    python -m bench.bench_incremental [--clients 2000 --notes 50000] [--cache DIR] [--format 2]

The practice comes from `bench.practice` (built and cached when missing; `--cache` may point at
an existing cache, which is only copied from). The drive is a folder on the same disk (not a
loop image), so the numbers include no USB. restic and borg (Debian `restic`, `borgbackup`) are
optional; each backs up the vault folder into a fresh repository on the same disk after each of
the same changes (restic's and borg's default chunking and compression; borg with repokey
encryption, as Confide's archives are encrypted), each followed by `sync`. Results go to
`bench/results/incremental-NOTES.json` and `.md`.

Every tool starts each run from the same page cache: by default (`--cache-state cold`) the vault
files' cached pages are dropped before each run of each tool, as after a restart (and as borg
leaves them: it drops the pages of the files it read, so without this the tool run after borg
starts cold and the one after Confide warm); `warm` reads them into the cache instead.

`--format 2` writes format-2 archives with today's code: a full archive at every backup, what
issue 14 measured as "before" (its table: 124.2 MiB per backup at 50,000 notes). The verify row's
anchors are an O_DIRECT read of the full archive (`dd iflag=direct`), `restic check --read-data`
and `borg check --verify-data` on the repositories after their first backup; the drive and the
repositories are also measured after three backups (the first, nothing changed, opened and read).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from backup import add_drive, run_backup, verify_archive
from bench.practice import CACHE_DIR, PracticeSpec, build, working_copy
from vault import PRESETS, Vault

VAULT_FILES = ("record.db", "pnotes.db", "keys.confide")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MiB = 1 << 20


def _read_uncached(paths: list[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            while os.read(fd, MiB):
                pass
        finally:
            os.close(fd)


def _set_cache(paths: list[Path], state: str) -> None:
    """The vault files' pages out of the page cache (cold) or in it (warm), before a run."""
    os.sync()
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            if state == "cold":
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            else:
                while os.read(fd, MiB):
                    pass
        finally:
            os.close(fd)


def _restic(repo: Path, *args: str) -> float:
    env = {**os.environ, "RESTIC_PASSWORD": "bench-only", "RESTIC_REPOSITORY": str(repo)}
    t0 = time.perf_counter()
    subprocess.run(["restic", "--quiet", *args], env=env, check=True, capture_output=True)
    os.sync()
    return time.perf_counter() - t0


def _borg(repo: Path, *args: str) -> float:
    env = {
        **os.environ,
        "BORG_PASSPHRASE": "bench-only",
        "BORG_REPO": str(repo),
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
        "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
        "BORG_BASE_DIR": str(repo.parent / "borg-home"),
    }
    t0 = time.perf_counter()
    subprocess.run(["borg", *args], env=env, check=True, capture_output=True)
    os.sync()
    return time.perf_counter() - t0


class _Anchor:
    """restic or borg backing up the vault folder after the same change as Confide."""

    def __init__(self, name: str, root: Path, folder: Path, cache: str) -> None:
        self.name, self.repo, self.folder, self.count = name, root / name, folder, 0
        self.cache = cache
        if name == "restic":
            _restic(self.repo, "init")
        else:
            _borg(self.repo, "init", "--encryption=repokey-blake2")

    def backup(self) -> tuple[float, float]:
        """Seconds and MiB the repository grew by."""
        before = _du(self.repo) if self.repo.exists() else 0
        self.count += 1
        _set_cache([p for p in self.folder.iterdir() if p.is_file()], self.cache)
        if self.name == "restic":
            seconds = _restic(self.repo, "backup", str(self.folder))
        else:
            seconds = _borg(self.repo, "create", f"::b{self.count}", str(self.folder))
        return round(seconds, 3), round((_du(self.repo) - before) / MiB, 3)

    def check(self) -> float:
        """Seconds to check the repository reading every byte of its data back."""
        _set_cache([p for p in self.repo.rglob("*") if p.is_file()], self.cache)
        if self.name == "restic":
            return _restic(self.repo, "check", "--read-data")
        return _borg(self.repo, "check", "--verify-data")


def _direct_read(path: Path) -> float | None:
    """Seconds to read `path` past the page cache (O_DIRECT): the verify row's floor; None
    where the filesystem has no O_DIRECT (tmpfs)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        ["dd", f"if={path}", "of=/dev/null", "bs=1M", "iflag=direct"],
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - t0 if done.returncode == 0 else None


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=50000)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--kdf", default=PracticeSpec.kdf, choices=sorted(PRESETS))
    parser.add_argument("--no-anchors", action="store_true", help="skip restic and borg")
    parser.add_argument(
        "--format",
        type=int,
        choices=(2, 3),
        default=3,
        help="archive format: 3 (incremental, the default) or 2 (a full archive every time: "
        "issue 14's before)",
    )
    parser.add_argument(
        "--cache-state",
        choices=("cold", "warm"),
        default="cold",
        help="the vault files' pages dropped from (cold) or read into (warm) the page cache "
        "before each run of each tool",
    )
    args = parser.parse_args(argv)
    spec = PracticeSpec(clients=args.clients, notes=args.notes, kdf=args.kdf)
    practice = build(spec, args.cache)
    out: dict[str, Any] = {
        "notes": args.notes,
        "clients": args.clients,
        "load_at_start": round(os.getloadavg()[0], 2),
        "cache_state": args.cache_state,
        "format": args.format,
    }
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as tmp:
        root = Path(tmp)
        copy = working_copy(practice, root / "work")
        drive = root / "drive"
        drive.mkdir()
        vault = Vault.unlock(copy.vault_dir, copy.passphrase)
        try:
            files = [vault.folder / f for f in VAULT_FILES]
            out["vault_mib"] = round(sum(f.stat().st_size for f in files) / MiB, 1)
            add_drive(vault, drive, "bench")
            _set_cache(files, args.cache_state)
            t0 = time.perf_counter()
            full = run_backup(vault, drive, rotate=False, format_version=args.format)
            out["full_backup_verify_s"] = round(time.perf_counter() - t0, 2)
            out["full_mib"] = round((full.record.size or 0) / MiB, 1)
            t0 = time.perf_counter()
            verify_archive(full.path, vault=vault)
            out["verify_s"] = round(time.perf_counter() - t0, 2)
            direct = _direct_read(full.path)
            if direct is not None:
                out["direct_read_s"] = round(direct, 2)
            # The floor: cp + sync + reading the copies back past the page cache.
            cp = root / "cp"
            cp.mkdir()
            _set_cache(files, args.cache_state)
            t0 = time.perf_counter()
            for f in files:
                shutil.copyfile(f, cp / f.name)
            os.sync()
            _read_uncached([cp / f.name for f in files])
            out["cp_sync_read_s"] = round(time.perf_counter() - t0, 2)
            shutil.rmtree(cp)
            anchors = [
                _Anchor(name, root, vault.folder, args.cache_state)
                for name in ("restic", "borg")
                if shutil.which(name) is not None and not args.no_anchors
            ]
            for anchor in anchors:
                seconds, mib = anchor.backup()
                out[f"{anchor.name}_first_s"], out[f"{anchor.name}_first_mib"] = seconds, mib
                out[f"{anchor.name}_check_s"] = round(anchor.check(), 2)
            _set_cache(files, args.cache_state)
            t0 = time.perf_counter()
            skipped = run_backup(vault, drive, rotate=False, format_version=args.format)
            out["nothing_changed"] = {
                "skipped": skipped.skipped,
                "seconds": round(time.perf_counter() - t0, 3),
            }
            for anchor in anchors:
                seconds, mib = anchor.backup()
                out["nothing_changed"][f"{anchor.name}_s"] = seconds
                out["nothing_changed"][f"{anchor.name}_mib"] = mib
            # The everyday case: the vault was opened and looked at (audit entries of access
            # only, so record.db's pages changed) but nothing was written.
            vault.lock()
            vault = Vault.unlock(copy.vault_dir, copy.passphrase)
            vault.clients.list()
            _set_cache(files, args.cache_state)
            t0 = time.perf_counter()
            skipped = run_backup(vault, drive, rotate=False, format_version=args.format)
            out["only_opened"] = {
                "skipped": skipped.skipped,
                "seconds": round(time.perf_counter() - t0, 3),
            }
            for anchor in anchors:
                seconds, mib = anchor.backup()
                out["only_opened"][f"{anchor.name}_s"] = seconds
                out["only_opened"][f"{anchor.name}_mib"] = mib
            out["drive_mib_after_3"] = round(_du(drive) / MiB, 1)
            for anchor in anchors:
                out[f"{anchor.name}_repo_mib_after_3"] = round(_du(anchor.repo) / MiB, 1)
            client = vault.clients.list()[0].id
            rows = []
            for added in (1, 10, 100):
                for i in range(added):
                    vault.notes.create(client, body=f"bench note {added}.{i} " + "words " * 80)
                _set_cache(files, args.cache_state)
                t0 = time.perf_counter()
                result = run_backup(vault, drive, rotate=False, format_version=args.format)
                seconds = time.perf_counter() - t0
                pages = result.record.pages or 0
                row: dict[str, Any] = {
                    "notes_added": added,
                    "kind": result.record.kind,
                    "pages_changed": pages,
                    "changed_mib": round(pages * 4096 / MiB, 3),
                    "written_mib": round((result.record.size or 0) / MiB, 3),
                    "seconds": round(seconds, 3),
                }
                for anchor in anchors:
                    row[f"{anchor.name}_s"], row[f"{anchor.name}_mib"] = anchor.backup()
                rows.append(row)
            out["incrementals"] = rows
            out["drive_mib_after_all"] = round(_du(drive) / MiB, 1)
            for anchor in anchors:
                out[f"{anchor.name}_repo_mib_after_all"] = round(_du(anchor.repo) / MiB, 1)
        finally:
            vault.lock()
    out["load_at_end"] = round(os.getloadavg()[0], 2)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    name = f"incremental-{args.notes // 1000}k" + ("-format2" if args.format == 2 else "")
    (args.results_dir / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    (args.results_dir / f"{name}.md").write_text(markdown(out))
    print(markdown(out))
    return 0


def markdown(out: dict[str, Any]) -> str:
    def anchors(row: dict[str, Any]) -> str:
        parts = [
            f"{name} {row[name + '_mib']} MiB / {row[name + '_s']} s"
            for name in ("restic", "borg")
            if name + "_s" in row
        ]
        return "; ".join(parts) or "-"

    nothing = out["nothing_changed"]
    opened = out.get("only_opened")
    lines = [
        f"Backups (format {out.get('format', 3)}), {out['notes']:,} notes "
        f"({out['vault_mib']} MiB of vault files), "
        f"page cache {out.get('cache_state', 'as left')} before each run, "
        f"load {out['load_at_start']} at start, {out['load_at_end']} at end",
        "",
        "| measure | Confide | anchors |",
        "|---|---|---|",
        f"| full backup + read-back verify | {out['full_backup_verify_s']} s, "
        f"{out['full_mib']} MiB | cp + sync + uncached read {out['cp_sync_read_s']} s; "
        + "; ".join(
            f"{n} first backup {out[n + '_first_mib']} MiB / {out[n + '_first_s']} s"
            for n in ("restic", "borg")
            if n + "_first_s" in out
        )
        + " |",
        f"| verify of the full archive | {out['verify_s']} s | "
        + "; ".join(
            [f"O_DIRECT read {out['direct_read_s']} s"] * ("direct_read_s" in out)
            + [
                f"{n} {'check --read-data' if n == 'restic' else 'check --verify-data'} "
                f"{out[n + '_check_s']} s"
                for n in ("restic", "borg")
                if n + "_check_s" in out
            ]
        )
        + " |",
        f"| nothing changed | {'skipped' if nothing['skipped'] else 'written'}, "
        f"{nothing['seconds']} s | {anchors(nothing)} |",
    ]
    if opened is not None:
        lines.append(
            f"| nothing changed, vault unlocked and read since | "
            f"{'skipped' if opened['skipped'] else 'written'}, {opened['seconds']} s | "
            f"{anchors(opened)} |"
        )
    for row in out["incrementals"]:
        lines.append(
            f"| +{row['notes_added']} note(s): {row['pages_changed']} pages "
            f"({row['changed_mib']} MiB) | {row['written_mib']} MiB, {row['seconds']} s "
            f"({row['kind']}) | {anchors(row)} |"
        )
    if "drive_mib_after_3" in out:
        three = [
            f"{n} {out[n + '_repo_mib_after_3']} MiB"
            for n in ("restic", "borg")
            if n + "_repo_mib_after_3" in out
        ]
        lines.append(
            f"| drive after 3 backups (first, nothing changed, opened) | "
            f"{out['drive_mib_after_3']} MiB | {'; '.join(three) or '-'} |"
        )
    sizes = [f"Confide drive {out['drive_mib_after_all']} MiB"] + [
        f"{n} {out[n + '_repo_mib_after_all']} MiB"
        for n in ("restic", "borg")
        if n + "_repo_mib_after_all" in out
    ]
    lines.append(f"| after all of the above | {sizes[0]} | {'; '.join(sizes[1:]) or '-'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
