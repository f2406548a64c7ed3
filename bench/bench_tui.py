"""Terminal-app speed on the generated practice (headless Textual, the real vault underneath).

    .venv/bin/python -m bench.bench_tui [--clients 2000 --notes 50000] [--json]

* launch: a fresh `python` process importing the app and showing the lock screen (headless),
  wall time from process start and the child's CPU time to that moment, interleaved run by run
  with a minimal Textual app (a title and a password field, through the same harness). Goal
  (issue 14): median within 1.3x the minimal app's, and < 0.6 s.
* unlock to client list: enter on the lock screen until the client list is filled; reported
  with the vault's own `Vault.unlock` (Argon2id with the stored parameters) alongside.
* filter keystroke: one key in the client filter, the list re-queried and redrawn. Reported as
  the screen's own work per keystroke (p50/p95, goal p95 < 50 ms) and as Pilot's full round
  trip (press, dispatch, wait for idle), beside the same round trip in a bare one-Input app.
  Goal (issue 14): the filter's round-trip median within 2x the bare Input app's.
* editor keystroke: one character typed into an open note: the widget's work (the edit with its
  flag bookkeeping, then a redraw of every visible line; goal p95 < 50 ms) and Pilot's round
  trip, next to Pilot's round trip in a bare one-TextArea app (Pilot's own floor).
* client open: the timeline of the client with the most notes, from the call to a filled and
  painted table (one Pilot pause: mount, layout, refresh; an upper bound, as Pilot's own round
  trip is about 40 ms), and the screen's own work (queries, audit entries, table fill).
  Goal p95 < 100 ms for the screen's work.

Writes `bench/results/tui.md` and `tui.json`. Exit status 1 when a goal is missed.
Synthetic data only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Input, TextArea

from bench.practice import CACHE_DIR, PracticeSpec, build, working_copy
from tui.app.app import ConfideApp
from tui.app.screens.clients import ClientListScreen
from tui.app.screens.editor import NoteEditorScreen
from tui.app.screens.lock import LockScreen
from tui.app.screens.timeline import TimelineScreen
from tui.app.widgets.flag_text_area import FlagTextArea
from vault import PRESETS, Vault

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Ratio goals of issue 14: (measure, reference, limit on the ratio of medians).
RATIO_GOALS = [
    ("launch", "launch, minimal Textual app (reference)", 1.3),
    ("filter keystroke (pilot round trip)", "pilot round trip, bare Input app (reference)", 2.0),
]
GOALS_MS = {
    "launch": 600.0,
    "filter keystroke (screen work)": 50.0,
    "editor keystroke (widget work)": 50.0,
    "client open (screen work)": 100.0,
}

LAUNCH_SCRIPT = """
import asyncio, sys, time
from pathlib import Path
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import TextArea

from tui.app.app import ConfideApp
from tui.app.screens.lock import LockScreen
async def main() -> None:
    app = ConfideApp(folder=Path(sys.argv[1]), watch_drives=True)
    async with app.run_test() as pilot:
        while not isinstance(app.screen, LockScreen):
            await pilot.pause()
        print(time.time(), time.process_time())
asyncio.run(main())
"""

# The reference for launch: what any Textual app asking for a passphrase costs, through the
# same harness (imports, run_test, the first screen composed and painted).
MINIMAL_LAUNCH_SCRIPT = """
import asyncio, time
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Minimal")
        yield Input(placeholder="Passphrase", password=True)

async def main() -> None:
    app = Minimal()
    async with app.run_test() as pilot:
        while not app.query(Input):
            await pilot.pause()
        await pilot.pause()
        print(time.time(), time.process_time())
asyncio.run(main())
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {"p50": round(statistics.median(ms), 2), "p95": round(pct(ms, 0.95), 2), "n": len(ms)}


def _launch_once(script: str, *args: str) -> tuple[float, float]:
    """Wall time from before the process starts to the first screen shown, and its CPU."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    shown, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(shown) - start, float(cpu)


def launch_times(folder: Path, rounds: int) -> dict[str, list[float]]:
    """Confide and the minimal app alternately, so background load hits both alike."""
    times: dict[str, list[float]] = {
        "launch": [],
        "launch CPU": [],
        "launch, minimal Textual app (reference)": [],
        "launch CPU, minimal Textual app (reference)": [],
    }
    _launch_once(MINIMAL_LAUNCH_SCRIPT)  # bytecode and page cache warm for both
    _launch_once(LAUNCH_SCRIPT, str(folder))
    for _ in range(rounds):
        wall, cpu = _launch_once(LAUNCH_SCRIPT, str(folder))
        times["launch"].append(wall)
        times["launch CPU"].append(cpu)
        wall, cpu = _launch_once(MINIMAL_LAUNCH_SCRIPT)
        times["launch, minimal Textual app (reference)"].append(wall)
        times["launch CPU, minimal Textual app (reference)"].append(cpu)
    return times


async def in_app(
    folder: Path, passphrase: str, client_id: int, short: bool = False
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    app = ConfideApp(folder=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, LockScreen):
            await pilot.pause()
        from textual.widgets import DataTable, Input

        app.screen.query_one("#passphrase", Input).value = passphrase
        start = time.perf_counter()
        await pilot.press("enter")
        while not isinstance(app.screen, ClientListScreen):
            await pilot.pause()
        await pilot.pause()
        results["unlock to client list"] = [time.perf_counter() - start]
        screen = app.screen
        assert isinstance(screen, ClientListScreen)
        filter_input = screen.query_one("#filter", Input)
        work, round_trip = [], []
        for word in ("al", "sam") if short else ("al", "sam", "ha", "zeph", "ro", "test", "w", "e"):
            filter_input.value = ""
            await pilot.pause()
            for ch in word:
                start = time.perf_counter()
                await pilot.press(ch)
                round_trip.append(time.perf_counter() - start)
                start = time.perf_counter()
                screen.reload()  # the same work the keystroke triggered, timed alone
                work.append(time.perf_counter() - start)
        results["filter keystroke (screen work)"] = work
        results["filter keystroke (pilot round trip)"] = round_trip
        results["pilot round trip, bare TextArea app (reference)"] = await bare_pilot_presses(
            5 if short else 40
        )
        results["pilot round trip, bare Input app (reference)"] = await bare_pilot_presses(
            5 if short else 40, _BareInput()
        )
        filter_input.value = ""
        await pilot.pause()
        opens: list[float] = []
        work = []
        for _ in range(2 if short else 10):
            start = time.perf_counter()
            app.open_client(client_id)
            await pilot.pause()  # mount, layout and paint: what a user waits for
            while not (
                isinstance(app.screen, TimelineScreen)
                and app.screen.query("#timeline")
                and app.screen.query_one("#timeline", DataTable).row_count
            ):
                await pilot.pause()
            table = app.screen.query_one("#timeline", DataTable)
            opens.append(time.perf_counter() - start)
            results["notes in that timeline"] = table.row_count
            timeline = app.screen
            assert isinstance(timeline, TimelineScreen)
            start = time.perf_counter()
            timeline.reload()  # the query and table fill alone, as for the filter
            work.append(time.perf_counter() - start)
            app.pop_screen()
            await pilot.pause()
        results["client open"] = opens
        results["client open (screen work)"] = work
        app.open_client(client_id)
        await pilot.pause()
        await pilot.press("enter")  # the newest note
        while not isinstance(app.screen, NoteEditorScreen):
            await pilot.pause()
        await pilot.pause()
        keys, work = [], []
        body = app.screen.query_one("#body", FlagTextArea)
        region = Region(0, 0, body.size.width, body.size.height)
        for ch in "quick" if short else "the quick brown fox jumps over the lazy dog" * 2:
            start = time.perf_counter()
            await pilot.press("space" if ch == " " else ch)
            keys.append(time.perf_counter() - start)
            # The same keystroke's own work: the edit (flags shifted) and a full redraw.
            start = time.perf_counter()
            body.insert(ch)
            body._line_cache.clear()
            body.render_lines(region)
            work.append(time.perf_counter() - start)
        results["editor keystroke (pilot round trip)"] = keys
        results["editor keystroke (widget work)"] = work
        await app.lock_vault()
    return results


class _Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield TextArea("hello\n" * 50)


class _BareInput(App[None]):
    """The filter's floor: one Input and nothing listening to it."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter")


async def bare_pilot_presses(count: int, app: App[None] | None = None) -> list[float]:
    """Pilot's own cost per key in an app that does nothing: the floor of a round trip."""
    app = app or _Bare()
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for index in range(count):
            start = time.perf_counter()
            await pilot.press("abcdefghij"[index % 10])
            times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=PracticeSpec.clients)
    parser.add_argument("--notes", type=int, default=PracticeSpec.notes)
    parser.add_argument("--rounds", type=int, default=5, help="launch rounds")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    parser.add_argument(
        "--kdf",
        default=PracticeSpec.kdf,
        choices=sorted(PRESETS),
        help="KDF preset of a newly built practice (tests: test-insecure)",
    )
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--short", action="store_true", help=argparse.SUPPRESS)  # smoke test
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    spec = PracticeSpec(args.clients, args.notes, kdf=args.kdf)
    practice = build(spec, args.cache_dir, parallel=not args.short)
    with tempfile.TemporaryDirectory() as tmp:
        copy = working_copy(practice, Path(tmp) / "practice")
        folder = copy.vault_dir
        with Vault.unlock(folder, copy.passphrase) as vault:
            counts = {c: len(vault.notes.timeline(c)) for c in copy.client_ids[:400]}
        biggest = max(counts, key=lambda c: counts[c])
        start = time.perf_counter()
        Vault.unlock(folder, copy.passphrase).lock()
        argon = time.perf_counter() - start
        timings = asyncio.run(in_app(folder, copy.passphrase, biggest, args.short))
        # Alternating with the minimal app, so both see the same background load.
        timings.update(launch_times(folder, args.rounds))
    rows: dict[str, Any] = {}
    for name, values in timings.items():
        if isinstance(values, list):
            rows[name] = summary(values)
    rows["Vault.unlock alone (Argon2id)"] = summary([argon])
    failed = [name for name, goal in GOALS_MS.items() if rows[name]["p95"] > goal]
    ratios = []
    for name, reference, limit in RATIO_GOALS:
        ratio = rows[name]["p50"] / rows[reference]["p50"]
        ratios.append(
            {
                "measure": name,
                "reference": reference,
                "ratio": round(ratio, 2),
                "limit": limit,
                "met": ratio <= limit,
            }
        )
        if ratio > limit:
            failed.append(f"{name} / {reference}")
    cpu_ratio = (
        rows["launch CPU"]["p50"] / rows["launch CPU, minimal Textual app (reference)"]["p50"]
    )
    report = {
        "clients": args.clients,
        "notes": args.notes,
        "timeline notes": timings["notes in that timeline"],
        "rows": rows,
        "goals_ms_p95": GOALS_MS,
        "ratio_goals": ratios,
        "launch_cpu_ratio": round(cpu_ratio, 2),
        "load": os.getloadavg()[0],
        "failed": failed,
    }
    lines = [
        f"# TUI speed ({args.clients} clients, {args.notes} notes; timeline of "
        f"{timings['notes in that timeline']} notes), load {report['load']:.2f}",
        "",
        "| measure | p50 ms | p95 ms | n | goal (p95) |",
        "|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        goal = GOALS_MS.get(name)
        mark = "" if goal is None else f"< {goal:g} {'ok' if row['p95'] <= goal else 'FAIL'}"
        lines.append(f"| {name} | {row['p50']} | {row['p95']} | {row['n']} | {mark} |")
    lines += ["", "| goal (medians) | ratio | limit | met |", "|---|---|---|---|"]
    for r in ratios:
        lines.append(
            f"| {r['measure']} / {r['reference']} | {r['ratio']:.2f}x | {r['limit']}x | "
            f"{'yes' if r['met'] else 'NO'} |"
        )
    lines.append(f"| launch CPU / minimal app's (not a goal) | {cpu_ratio:.2f}x | - | - |")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "tui.md").write_text("\n".join(lines) + "\n")
    (args.results_dir / "tui.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2) if args.json else "\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
