"""Backup speed and memory on the generated practice, against cp+sync and restic, in one run.

Measured on a loop-mounted ext4 image (a separate filesystem, as a USB drive is) when run as
root, else in a temporary folder:

* write+verify: `backup.run_backup` (encrypt, write, fsync, rename, drop the cache, read back,
  decrypt and check everything) against `cp` of the same vault files + `sync` + reading the
  copies back past the page cache. Goal: within 2x.
* the same against `restic backup` of the vault folder into a fresh repository (its first
  backup, + `sync`; Debian package `restic`). Goal: faster.
* verify alone (`verify_archive`) against a plain sequential read of the archive. Reported.
* memory: peak Python allocation (tracemalloc) of a backup of the small and the large practice.
  Goal: flat (the large within 1.5x + 2 MiB of the small).

Rounds are interleaved (confide, cp, restic, confide, ...) and the median is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backup import add_drive, run_backup, verify_archive
from bench.practice import CACHE_DIR, PracticeSpec, build, working_copy
from vault import PRESETS, Vault

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SMALL = PracticeSpec(clients=200, notes=5000)
VAULT_FILES = ("record.db", "pnotes.db", "keys.confide")
BLOCK = 1 << 20


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _read_uncached(paths: list[Path]) -> int:
    """Read files sequentially from the drive: cached pages dropped first (as verify does)."""
    total = 0
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            while chunk := os.read(fd, BLOCK):
                total += len(chunk)
        finally:
            os.close(fd)
    return total


@contextmanager
def drive_for(size_bytes: int, work: Path) -> Iterator[tuple[Path, str]]:
    """A loop-mounted ext4 image as root, else a plain folder. Yields (path, description)."""
    is_root = os.geteuid() == 0 and shutil.which("mkfs.ext4") and shutil.which("mount")
    if not is_root:
        folder = work / "drive"
        folder.mkdir()
        yield folder, "a folder on the same filesystem (not root: no loop image)"
        return
    image, mount = work / "drive.img", work / "drive"
    with open(image, "wb") as f:
        f.truncate(size_bytes)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "4096", str(image)], check=True)
    mount.mkdir()
    # Direct I/O between the loop device and its image file: otherwise the host's page cache
    # of the image answers "uncached" reads at memory speed, which no USB drive does.
    setup = subprocess.run(
        ["losetup", "--find", "--show", "--direct-io=on", str(image)],
        capture_output=True,
        text=True,
    )
    device = setup.stdout.strip() if setup.returncode == 0 else ""
    if device:
        subprocess.run(["mount", device, str(mount)], check=True)
        what = "direct I/O"
    else:
        subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
        what = "buffered"
    try:
        yield mount, f"a loop-mounted ext4 image of {size_bytes >> 20} MiB ({what})"
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        if device:
            subprocess.run(["losetup", "-d", device], check=False)


def _clear(folder: Path) -> None:
    for child in folder.iterdir():
        if child.name in (".confide-drive", "lost+found"):
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    subprocess.run(["sync"], check=False)


def _peak_backup_mib(spec: PracticeSpec, work: Path) -> float:
    """Peak traced Python allocation during one backup of `spec`'s practice."""
    practice = working_copy(build(spec, CACHE_DIR), work / f"mem-{spec.key}")
    target = work / f"memdrive-{spec.key}"
    target.mkdir()
    vault = Vault.unlock(practice.vault_dir, practice.passphrase)
    try:
        add_drive(vault, target)
        tracemalloc.start()
        try:
            run_backup(vault, target, rotate=False)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        vault.lock()
        shutil.rmtree(practice.root, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
    return peak / (1 << 20)


def measure(spec: PracticeSpec, rounds: int, work: Path, verbose: bool) -> dict[str, Any]:
    practice = working_copy(build(spec, CACHE_DIR, verbose=verbose), work / "practice")
    source = practice.vault_dir
    vault_bytes = sum((source / name).stat().st_size for name in VAULT_FILES)
    restic = shutil.which("restic")
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "confide_total",
            "confide_write",
            "confide_verify",
            "cp_sync",
            "cp_readback",
            "restic_sync",
            "verify",
            "plain_read",
        )
    }
    env = {**os.environ, "RESTIC_PASSWORD": "bench only", "RESTIC_CACHE_DIR": str(work / "rc")}
    with drive_for(max(64 << 20, vault_bytes * 4 + (64 << 20)), work) as (drive, where):
        vault = Vault.unlock(source, practice.passphrase)
        try:
            add_drive(vault, drive)
            _read_uncached([source / n for n in VAULT_FILES])  # same warm source for everyone
            for r in range(rounds):
                if verbose:
                    print(f"  round {r + 1}/{rounds}", flush=True)
                started = time.perf_counter()
                result = run_backup(vault, drive, rotate=False)
                # The whole call: bookkeeping in the vault included, not only write + verify.
                times["confide_total"].append(time.perf_counter() - started)
                times["confide_write"].append(result.write_seconds)
                times["confide_verify"].append(result.verify_seconds)
                archive = result.path
                times["verify"].append(_timed(lambda a=archive: verify_archive(a, vault=vault)))
                times["plain_read"].append(_timed(lambda a=archive: _read_uncached([a])))
                _clear(drive)
                dest = drive / "cp"
                dest.mkdir()
                times["cp_sync"].append(
                    _timed(
                        lambda d=dest: (
                            subprocess.run(
                                ["cp", *[str(source / n) for n in VAULT_FILES], str(d)], check=True
                            ),
                            subprocess.run(["sync"], check=True),
                        )
                    )
                )
                times["cp_readback"].append(
                    _timed(lambda d=dest: _read_uncached([d / n for n in VAULT_FILES]))
                )
                _clear(drive)
                if restic:
                    repo = drive / "restic"
                    subprocess.run(
                        [restic, "init", "-q", "-r", str(repo)],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    times["restic_sync"].append(
                        _timed(
                            lambda rp=repo: (
                                subprocess.run(
                                    [restic, "backup", "-q", "-r", str(rp), str(source)],
                                    env=env,
                                    check=True,
                                    capture_output=True,
                                ),
                                subprocess.run(["sync"], check=True),
                            )
                        )
                    )
                    _clear(drive)
        finally:
            vault.lock()
    med = {k: statistics.median(v) for k, v in times.items() if v}
    baseline = med["cp_sync"] + med["cp_readback"]
    small_peak = _peak_backup_mib(SMALL, work)
    large_peak = _peak_backup_mib(spec, work)
    goals = {
        "write_verify_within_2x_cp": med["confide_total"] <= 2.0 * baseline,
        "faster_than_restic": (
            "restic_sync" not in med or med["confide_total"] < med["restic_sync"]
        ),
        "memory_flat": large_peak <= small_peak * 1.5 + 2.0,
    }
    return {
        "practice": {"clients": spec.clients, "notes": spec.notes, "vault_bytes": vault_bytes},
        "drive": where,
        "rounds": rounds,
        "median_seconds": med,
        "ratios": {
            "write_verify_vs_cp_sync_readback": med["confide_total"] / baseline,
            "write_verify_vs_restic": (
                med["confide_total"] / med["restic_sync"] if "restic_sync" in med else None
            ),
            "verify_vs_plain_read": med["verify"] / med["plain_read"],
        },
        "throughput_mib_s": {"write_verify": vault_bytes / med["confide_total"] / (1 << 20)},
        "memory_peak_mib": {
            f"{SMALL.notes} notes": round(small_peak, 2),
            f"{spec.notes} notes": round(large_peak, 2),
        },
        "restic": (
            subprocess.run([restic, "version"], capture_output=True, text=True).stdout.strip()
            if restic
            else "not installed (apt install restic)"
        ),
        "goals": goals,
        "all_pass": all(goals.values()),
    }


def markdown(report: dict[str, Any]) -> str:
    med, ratios, goals = report["median_seconds"], report["ratios"], report["goals"]
    p = report["practice"]

    def ok(flag: bool) -> str:
        return "PASS" if flag else "FAIL"

    restic = f"{med['restic_sync']:.2f} s" if "restic_sync" in med else "n/a"
    rv = ratios["write_verify_vs_restic"]
    lines = [
        "# Backup benchmark",
        "",
        f"Practice: {p['clients']} clients, {p['notes']} notes, {p['vault_bytes'] / 2**20:.1f} "
        f"MiB of vault files. Drive: {report['drive']}. Median of {report['rounds']} rounds.",
        "",
        "| measurement | seconds |",
        "|---|---|",
        f"| confide backup: write (encrypt, fsync, rename) | {med['confide_write']:.2f} |",
        f"| confide backup: read back + verify | {med['confide_verify']:.2f} |",
        f"| **confide backup, the whole call** | **{med['confide_total']:.2f}** |",
        f"| cp + sync | {med['cp_sync']:.2f} |",
        f"| read the copies back (uncached) | {med['cp_readback']:.2f} |",
        f"| restic backup (first) + sync | {restic} |",
        f"| `backup verify` of the archive | {med['verify']:.2f} |",
        f"| plain sequential read of the archive | {med['plain_read']:.2f} |",
        "",
        "| goal | measured | result |",
        "|---|---|---|",
        f"| write+verify within 2x of cp+sync+read-back | "
        f"{ratios['write_verify_vs_cp_sync_readback']:.2f}x | "
        f"{ok(goals['write_verify_within_2x_cp'])} |",
        f"| faster than restic's first backup | "
        f"{f'{rv:.2f}x' if rv is not None else 'n/a'} | {ok(goals['faster_than_restic'])} |",
        f"| memory flat in vault size (peak traced) | {report['memory_peak_mib']} MiB | "
        f"{ok(goals['memory_flat'])} |",
        f"| verify vs plain sequential read (reported) | "
        f"{ratios['verify_vs_plain_read']:.2f}x | - |",
        "",
        f"restic: {report['restic']}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=PracticeSpec.clients)
    parser.add_argument("--notes", type=int, default=PracticeSpec.notes)
    parser.add_argument("--seed", type=int, default=PracticeSpec.seed)
    parser.add_argument("--kdf", default=PracticeSpec.kdf, choices=sorted(PRESETS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results")
    args = parser.parse_args(argv)
    spec = PracticeSpec(args.clients, args.notes, args.seed, args.kdf)
    work = Path(
        tempfile.mkdtemp(
            prefix="confide-bench-backup-",
            dir=CACHE_DIR.parent if CACHE_DIR.parent.exists() else None,
        )
    )
    try:
        report = measure(spec, args.rounds, work, verbose=not args.json)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["markdown"] = markdown(report)
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / "backup.md").write_text(report["markdown"])
        (RESULTS_DIR / "backup.json").write_text(
            json.dumps({k: v for k, v in report.items() if k != "markdown"}, indent=2)
        )
    print(
        json.dumps({k: v for k, v in report.items() if k != "markdown"}, indent=2)
        if args.json
        else report["markdown"]
    )
    return 0 if report["all_pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
