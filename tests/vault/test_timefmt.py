"""Stored UTC times read as the clinician's local time, with the zone, in a fixed zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from vault.timefmt import local_date, local_time

BERLIN = ZoneInfo("Europe/Berlin")


def test_stored_utc_reads_as_local_time_with_zone() -> None:
    assert local_time("2026-12-02T08:42:12+00:00", BERLIN) == "2 Dec 2026, 09:42 CET"
    assert local_time(datetime(2026, 7, 1, 22, 5, tzinfo=UTC), BERLIN) == "2 Jul 2026, 00:05 CEST"


def test_tz_environment_names_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert local_time("2026-12-02T01:42:12+00:00") == "1 Dec 2026, 20:42 EST"
    assert local_date("2026-12-02T01:42:12+00:00") == "1 Dec 2026"
    monkeypatch.setenv("TZ", "UTC")
    assert local_time("2026-12-02T01:42:12Z") == "2 Dec 2026, 01:42 UTC"


def test_naive_times_are_utc_and_dates_stay_dates() -> None:
    assert local_time("2026-12-02T23:30:00", BERLIN) == "3 Dec 2026, 00:30 CET"
    assert local_time("2026-12-02", BERLIN) == "2 Dec 2026"
    assert local_date(date(2026, 1, 9), BERLIN) == "9 Jan 2026"


def test_odd_values_are_shown_not_raised() -> None:
    assert local_time(None) == ""
    assert local_time("not a time", BERLIN) == "not a time"
    assert local_date("", BERLIN) == ""
