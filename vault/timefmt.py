"""Times as the clinician reads them: local, readable, with the zone (`2 Dec 2026, 09:42 CET`).

The vault stores UTC ISO strings (`storage.database.now_utc`); every face (app, CLI text,
release documents) shows them through these two functions. The zone is `tz` when given, else
the `TZ` environment variable when it names a known zone (read on each call, so a test or a
user's shell setting applies without `time.tzset`), else the machine's local zone.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["local_date", "local_day_start", "local_time", "local_zone", "to_local"]

# English month names, never the locale's: documents read the same on every machine.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

When = datetime | date | str


def local_zone() -> tzinfo | None:
    """The zone named by `TZ` (e.g. `Europe/Berlin`, `:Europe/Berlin`), or None for the
    machine's own zone."""
    name = os.environ.get("TZ", "").strip().lstrip(":")
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _parse(value: When) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def to_local(value: datetime, tz: tzinfo | None = None) -> datetime:
    """A stored time in the clinician's zone; a naive time is taken as UTC (as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    zone = tz or local_zone()
    return value.astimezone(zone) if zone is not None else value.astimezone()


def _day(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def local_time(value: When | None, tz: tzinfo | None = None) -> str:
    """`2 Dec 2026, 09:42 CET`. A bare date gives the date alone; text that is not a time is
    returned unchanged (a display never fails on an odd stored value); None gives ""."""
    if value is None:
        return ""
    parsed = _parse(value)
    if parsed is None:
        return value if isinstance(value, str) else ""
    if not isinstance(parsed, datetime):
        return _day(parsed)
    here = to_local(parsed, tz)
    zone = here.tzname() or here.strftime("%z")
    return f"{_day(here)}, {here.hour:02d}:{here.minute:02d} {zone}"


def local_date(value: When | None, tz: tzinfo | None = None) -> str:
    """`2 Dec 2026`: the local calendar day of a time (a bare date is kept as it is)."""
    if value is None:
        return ""
    parsed = _parse(value)
    if parsed is None:
        return value if isinstance(value, str) else ""
    if isinstance(parsed, datetime):
        return _day(to_local(parsed, tz))
    return _day(parsed)


def local_day_start(day: date, tz: tzinfo | None = None) -> str:
    """The UTC ISO time (as stored) at which the clinician's local `day` begins: a date filter
    on stored times matches the days the clinician saw, not UTC days."""
    zone = tz or local_zone()
    start = datetime.combine(day, time())
    start = start.replace(tzinfo=zone) if zone is not None else start.astimezone()
    return start.astimezone(UTC).isoformat(timespec="seconds")
