"""Retention policies as data, and each client's computed disposal date.

A policy says how many years a record is kept after the last service and, for a client who was a
minor at the last service, how many years after the age of majority; the later date wins. Presets
carry their source (REGULATIONS.md); custom policies are rows in `retention_policies`. A client's
policy is `clients.retention_policy` (a policy key), else the vault default (setting
`retention.default`, else the APA guideline). A legal hold blocks disposal whatever the date says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..records import validate
from ..records.audit import Action
from ..storage.database import Database, Row, now_utc
from .holds import active_holds

if TYPE_CHECKING:
    from ..vault import Vault

DEFAULT_SETTING = "retention.default"


@dataclass(frozen=True)
class RetentionPolicy:
    key: str
    label: str
    years_after_service: int
    minor_years_after_majority: int | None
    age_of_majority: int = 18
    source: str = "custom"
    preset: bool = False

    def disposal_date(self, last_service: date, date_of_birth: date | None) -> date:
        """The day the record may be destroyed; the later of the adult and the minor rule."""
        due = add_years(last_service, self.years_after_service)
        if self.minor_applies(last_service, date_of_birth):
            assert date_of_birth is not None and self.minor_years_after_majority is not None
            majority = add_years(date_of_birth, self.age_of_majority)
            due = max(due, add_years(majority, self.minor_years_after_majority))
        return due

    def minor_applies(self, last_service: date, date_of_birth: date | None) -> bool:
        return (
            self.minor_years_after_majority is not None
            and date_of_birth is not None
            and add_years(date_of_birth, self.age_of_majority) > last_service
        )

    def describe(self) -> str:
        text = f"{self.years_after_service} years after last service"
        if self.minor_years_after_majority is not None:
            text += (
                f"; minors: the later of that and {self.minor_years_after_majority} years "
                f"after age {self.age_of_majority}"
            )
        return text


# Sources as in REGULATIONS.md. Presets are defaults a practitioner can check against current law;
# a custom policy (same shape) covers anything else, e.g. Delaware's "longest applicable period".
PRESETS: tuple[RetentionPolicy, ...] = (
    RetentionPolicy(
        "apa",
        "APA Record Keeping Guidelines (default)",
        7,
        3,
        18,
        "APA Record Keeping Guidelines (2007)",
        True,
    ),
    RetentionPolicy("tx-lpc", "Texas LPC", 7, 5, 18, "22 TAC ch. 681 (Texas LPC rules)", True),
    RetentionPolicy(
        "ca-lpcc", "California LPCC", 7, 7, 18, "Cal. Bus. & Prof. Code §4999.75", True
    ),
    RetentionPolicy(
        "pa", "Pennsylvania", 5, None, 18, "Pennsylvania licensing rules (5 years)", True
    ),
    RetentionPolicy("az", "Arizona", 6, 3, 18, "A.R.S. §12-2297", True),
)
_PRESET_KEYS = {p.key: p for p in PRESETS}
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def add_years(day: date, years: int) -> date:
    """`day` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def today_utc() -> date:
    return datetime.now(UTC).date()


def _parse_day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


# ---------------------------------------------------------------------------- policies


def _policy(row: Row) -> RetentionPolicy:
    minor = row["minor_years_after_majority"]
    return RetentionPolicy(
        row["key"],
        row["label"],
        int(row["years_after_service"]),
        None if minor is None else int(minor),
        int(row["age_of_majority"]),
        row["source"],
        False,
    )


def policies(db: Database) -> list[RetentionPolicy]:
    custom = [_policy(r) for r in db.query("SELECT * FROM retention_policies ORDER BY key")]
    return [*PRESETS, *custom]


def get_policy(db: Database, key: str) -> RetentionPolicy:
    clean = key.strip().lower()
    if clean in _PRESET_KEYS:
        return _PRESET_KEYS[clean]
    row = db.one("SELECT * FROM retention_policies WHERE key = ?", (clean,))
    if row is None:
        known = ", ".join(p.key for p in policies(db))
        raise NotFoundError(f"no retention policy {key.strip()!r}; known: {known}")
    return _policy(row)


def _years(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise UsageError(f"{what} must be a whole number of years from 0 to 100")
    return value


def add_policy(
    vault: Vault,
    key: str,
    label: str,
    years_after_service: int,
    minor_years_after_majority: int | None = None,
    age_of_majority: int = 18,
) -> RetentionPolicy:
    """A custom policy: years after last service; for minors, years after the age of majority."""
    clean = key.strip().lower()
    if not _KEY.match(clean):
        raise UsageError(
            f"{key!r} is not a policy key (lowercase letters, digits and dashes, up to 40)"
        )
    if clean in _PRESET_KEYS:
        raise UsageError(f"{clean!r} is a built-in preset; choose another key")
    title = validate.name(label, "policy label")  # the one rule for name-like fields
    years = _years(years_after_service, "years after last service")
    minor = _years(minor_years_after_majority, "years after majority")
    majority = _years(age_of_majority, "age of majority")
    if not majority:
        raise UsageError("the age of majority must be at least 1")
    db = vault.db
    with db.atomic():
        if db.scalar("SELECT 1 FROM retention_policies WHERE key = ?", (clean,)):
            raise UsageError(f"a policy {clean!r} already exists")
        db.execute(
            "INSERT INTO retention_policies (key, label, years_after_service, "
            "minor_years_after_majority, age_of_majority, source, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'custom', ?)",
            (clean, title, years, minor, majority, now_utc()),
        )
        vault.audit.record(Action.EDIT, "retention_policy", clean)
    return get_policy(db, clean)


def default_policy(db: Database) -> RetentionPolicy:
    key = db.scalar("SELECT value FROM settings WHERE key = ?", (DEFAULT_SETTING,))
    return get_policy(db, str(key)) if key else _PRESET_KEYS["apa"]


def set_default_policy(vault: Vault, key: str) -> RetentionPolicy:
    policy = get_policy(vault.db, key)
    with vault.db.atomic():
        vault.db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) "
            "DO UPDATE SET value = excluded.value",
            (DEFAULT_SETTING, policy.key),
        )
        vault.audit.record(Action.EDIT, "retention_default", policy.key)
    return policy


def set_client_policy(vault: Vault, client_id: int, key: str | None) -> RetentionPolicy:
    """Give a client a policy (None: back to the vault default)."""
    policy = get_policy(vault.db, key) if key is not None else default_policy(vault.db)
    vault.clients.update(client_id, retention_policy=policy.key if key is not None else None)
    return policy


# ---------------------------------------------------------------------------- the clock


@dataclass(frozen=True)
class HoldInfo:
    reason: str
    placed_at: str
    placed_by: str


@dataclass(frozen=True)
class ClientRetention:
    client_id: int
    display_name: str
    policy: str
    last_service_date: str
    minor_rule: bool
    disposal_date: str
    holds: tuple[HoldInfo, ...]
    status: str  # "due", "held" (due or not, a hold blocks), "retained"

    @property
    def record_id(self) -> str:
        return f"C-{self.client_id:05d}"

    @property
    def is_due(self) -> bool:
        return self.status == "due"


def held_clients(vault: Vault) -> dict[int, list[HoldInfo]]:
    """Active legal holds by client (the holds module belongs to the disclosures feature)."""
    held: dict[int, list[HoldInfo]] = {}
    for hold in active_holds(vault):
        held.setdefault(hold.client_id, []).append(
            HoldInfo(hold.reason, hold.placed_at, hold.placed_by)
        )
    return held


def schedule(
    vault: Vault, today: date | None = None, client_ids: Iterable[int] | None = None
) -> list[ClientRetention]:
    """Every client's (or the given clients') policy, disposal date and status, soonest first."""
    db = vault.db
    day = today or today_utc()
    default = default_policy(db)
    cache: dict[str, RetentionPolicy] = {}
    held = held_clients(vault)
    if client_ids is None:
        rows = db.query(
            "SELECT id, display_name, date_of_birth, last_service_date, "
            "retention_policy, created_at FROM clients"
        )
    else:
        wanted = sorted(set(client_ids))
        rows = []
        for cid in wanted:
            row = db.one(
                "SELECT id, display_name, date_of_birth, last_service_date, "
                "retention_policy, created_at FROM clients WHERE id = ?",
                (cid,),
            )
            if row is None:
                raise NotFoundError(f"no client C-{cid:05d}")
            rows.append(row)
    result: list[ClientRetention] = []
    for row in rows:
        key = row["retention_policy"]
        if key is None:
            policy = default
        else:
            if key not in cache:
                cache[key] = get_policy(db, key)
            policy = cache[key]
        # A client never seen has no last service; the clock starts when the record was opened.
        last = _parse_day(row["last_service_date"]) or _parse_day(row["created_at"])
        assert last is not None
        dob = _parse_day(row["date_of_birth"])
        due = policy.disposal_date(last, dob)
        holds = tuple(held.get(int(row["id"]), ()))
        status = "held" if holds else ("due" if due <= day else "retained")
        result.append(
            ClientRetention(
                int(row["id"]),
                row["display_name"],
                policy.key,
                last.isoformat(),
                policy.minor_applies(last, dob),
                due.isoformat(),
                holds,
                status,
            )
        )
    result.sort(key=lambda r: (r.disposal_date, r.client_id))
    return result


def due_clients(vault: Vault, today: date | None = None) -> list[ClientRetention]:
    return [r for r in schedule(vault, today) if r.is_due]


__all__ = [
    "PRESETS",
    "ClientRetention",
    "HoldInfo",
    "RetentionPolicy",
    "add_policy",
    "add_years",
    "default_policy",
    "due_clients",
    "get_policy",
    "held_clients",
    "policies",
    "schedule",
    "set_client_policy",
    "set_default_policy",
    "today_utc",
]
