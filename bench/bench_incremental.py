"""Incremental backups (format 3, issue 14): bytes written per backup against the pages the change
touched, time against restic on the same change, and a full backup + verify against cp + sync +
an uncached read.

    python -m bench.bench_incremental [--clients 2000 --notes 50000] [--cache DIR]

The practice comes from `bench.practice` (built and cached when missing; `--cache` may point at
an existing cache, which is only copied from). The drive is a folder on the same disk (not a
loop image), so the numbers include no USB. restic (Debian `restic`) is optional.
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
from vault import Vault

VAULT_FILES = ("record.db", "pnotes.db", "keys.confide")
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


def _restic(repo: Path, *args: str) -> float:
    env = {**os.environ, "RESTIC_PASSWORD": "bench-only", "RESTIC_REPOSITORY": str(repo)}
    t0 = time.perf_counter()
    subprocess.run(["restic", "--quiet", *args], env=env, check=True, capture_output=True)
    os.sync()
    return time.perf_counter() - t0


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=50000)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    args = parser.parse_args()
    practice = build(PracticeSpec(clients=args.clients, notes=args.notes), args.cache)
    out: dict[str, Any] = {"notes": args.notes, "clients": args.clients}
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
            t0 = time.perf_counter()
            full = run_backup(vault, drive, rotate=False)
            out["full_backup_verify_s"] = round(time.perf_counter() - t0, 2)
            out["full_mib"] = round((full.record.size or 0) / MiB, 1)
            t0 = time.perf_counter()
            verify_archive(full.path, vault=vault)
            out["verify_s"] = round(time.perf_counter() - t0, 2)
            # The floor: cp + sync + reading the copies back past the page cache.
            cp = root / "cp"
            cp.mkdir()
            t0 = time.perf_counter()
            for f in files:
                shutil.copyfile(f, cp / f.name)
            os.sync()
            _read_uncached([cp / f.name for f in files])
            out["cp_sync_read_s"] = round(time.perf_counter() - t0, 2)
            shutil.rmtree(cp)
            restic = shutil.which("restic") is not None
            repo = root / "restic"
            if restic:
                _restic(repo, "init")
                out["restic_first_s"] = round(_restic(repo, "backup", str(vault.folder)), 2)
            t0 = time.perf_counter()
            skipped = run_backup(vault, drive, rotate=False)
            out["nothing_changed"] = {
                "skipped": skipped.skipped,
                "seconds": round(time.perf_counter() - t0, 3),
            }
            client = vault.clients.list()[0].id
            rows = []
            for added in (1, 10, 100):
                for i in range(added):
                    vault.notes.create(client, body=f"bench note {added}.{i} " + "words " * 80)
                t0 = time.perf_counter()
                result = run_backup(vault, drive, rotate=False)
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
                if restic:
                    before = _du(repo)
                    row["restic_s"] = round(_restic(repo, "backup", str(vault.folder)), 3)
                    row["restic_mib"] = round((_du(repo) - before) / MiB, 3)
                rows.append(row)
            out["incrementals"] = rows
        finally:
            vault.lock()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
