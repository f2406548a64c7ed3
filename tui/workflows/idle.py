"""The idle rule both faces apply: `CONFIDE_IDLE_MINUTES` (1 to 60), else 5 minutes.

The app locks after that long without a key or click; `confide backup watch` locks after that long
without a backup drive to serve (issue 10 item 12).
"""

from __future__ import annotations

import os

DEFAULT_IDLE_SECONDS = 300.0
IDLE_ENV = "CONFIDE_IDLE_MINUTES"


def _count(n: float, unit: str) -> str:
    return f"{n:g} {unit}" if n == 1 else f"{n:g} {unit}s"


def idle_words(seconds: float) -> str:
    """`1 minute`, `5 minutes`, `30 seconds`: the auto-lock delay in words."""
    return _count(seconds / 60, "minute") if seconds >= 60 else _count(seconds, "second")


def idle_from_env() -> tuple[float, str]:
    """The idle delay in seconds, and what was wrong with the variable ("" if nothing)."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    if not raw:
        return DEFAULT_IDLE_SECONDS, ""
    try:
        minutes = float(raw)
    except ValueError:
        minutes = 0.0
    if not 1 <= minutes <= 60:
        return DEFAULT_IDLE_SECONDS, (
            f"{IDLE_ENV}={raw!r} is not a number of minutes from 1 to "
            f"60; locking after {idle_words(DEFAULT_IDLE_SECONDS)}."
        )
    return minutes * 60, ""
