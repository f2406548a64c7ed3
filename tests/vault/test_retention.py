"""Retention policies: presets with sources, custom policies, the disposal clock, legal holds."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import TEST_PRESET, NotFoundError, UsageError, Vault
from vault.retention.policies import (
    PRESETS,
    add_years,
)

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("key", "dob", "last", "expected"),
    [
        ("apa", None, "2015-03-01", "2022-03-01"),  # adult: 7 years after last service
        ("apa", "2005-06-01", "2015-03-01", "2026-06-01"),  # minor: 3 years after 18 is later
        ("apa", "1996-06-01", "2015-03-01", "2022-03-01"),  # adult at last service: minor rule off
        ("tx-lpc", "2005-06-01", "2015-03-01", "2028-06-01"),  # 5 years after majority
        ("ca-lpcc", "2005-06-01", "2015-03-01", "2030-06-01"),  # 7 years after age 18
        ("pa", "2005-06-01", "2015-03-01", "2020-03-01"),  # 5 years, no separate minor rule
        ("az", "2005-06-01", "2015-03-01", "2026-06-01"),  # 6 years, or 3 after 18
        ("az", "2000-01-01", "2017-06-01", "2023-06-01"),  # minor, but 6 years is later
    ],
)
def test_presets_compute_the_later_of_adult_and_minor_rules(
    key: str, dob: str | None, last: str, expected: str
) -> None:
    """Each preset gives the disposal date its source prescribes, minors included."""
    policy = next(p for p in PRESETS if p.key == key)
    birth = date.fromisoformat(dob) if dob else None
    assert policy.disposal_date(date.fromisoformat(last), birth).isoformat() == expected


def test_every_preset_names_its_source() -> None:
    """Presets are data with a source a practitioner can check."""
    assert {p.key for p in PRESETS} == {"apa", "tx-lpc", "ca-lpcc", "pa", "az"}
    assert all(p.source and p.preset for p in PRESETS)


def test_leap_day_rolls_to_28_february() -> None:
    """A last service on 29 February is counted to 28 February in a common year."""
    assert add_years(date(2016, 2, 29), 7) == date(2023, 2, 28)


def test_schedule_marks_due_retained_and_never_seen(vault: Vault) -> None:
    """Clients past their date are due, others retained; a client never seen counts from intake."""
    old = vault.clients.add("Orla Oldfield", last_service_date="2012-04-02")
    new = vault.clients.add("Nia Newman", last_service_date="2024-04-02")
    unseen = vault.clients.add("Una Unseen")
    rows = {r.client_id: r for r in vault.retention.schedule(TODAY)}
    assert rows[old.id].status == "due" and rows[old.id].disposal_date == "2019-04-02"
    assert rows[new.id].status == "retained" and rows[new.id].disposal_date == "2031-04-02"
    assert rows[unseen.id].status == "retained"
    assert [r.client_id for r in vault.retention.due(TODAY)] == [old.id]


def test_client_policy_and_vault_default(vault: Vault) -> None:
    """A client's own policy wins over the vault default; the default can change."""
    a = vault.clients.add("Ada Adams", last_service_date="2020-01-10")
    b = vault.clients.add("Ben Brown", last_service_date="2020-01-10")
    vault.retention.set(a.id, "pa")
    vault.retention.set_default("az")
    rows = {r.client_id: r for r in vault.retention.schedule(TODAY)}
    assert (rows[a.id].policy, rows[a.id].disposal_date) == ("pa", "2025-01-10")
    assert (rows[b.id].policy, rows[b.id].disposal_date) == ("az", "2026-01-10")
    assert {r.client_id for r in vault.retention.due(TODAY)} == {a.id, b.id}


def test_custom_policy_years_after_service_and_majority(vault: Vault) -> None:
    """A custom policy (10 years; minors 4 after 21) is stored and applied."""
    policy = vault.retention.add("de-psych", "Delaware psychologists", 10, 4, age_of_majority=21)
    assert vault.retention.get("DE-Psych") == policy
    kid = vault.clients.add(
        "Kim Kid",
        date_of_birth="2004-05-05",
        last_service_date="2010-01-01",
        retention_policy="de-psych",
    )
    (row,) = vault.retention.schedule(TODAY, [kid.id])
    assert row.minor_rule and row.disposal_date == "2029-05-05"


@pytest.mark.parametrize(
    ("key", "label", "years", "minor", "message"),
    [
        ("Bad Key!", "x", 5, None, "not a policy key"),
        ("apa", "x", 5, None, "built-in preset"),
        ("ok-key", "", 5, None, "label"),
        ("ok-key", "x", -1, None, "0 to 100"),
        ("ok-key", "x", 5, 101, "0 to 100"),
    ],
)
def test_bad_custom_policy_is_refused_and_changes_nothing(
    vault: Vault, key: str, label: str, years: int, minor: int | None, message: str
) -> None:
    """Malformed policies get a clear one-line refusal and store nothing."""
    with pytest.raises(UsageError, match=message):
        vault.retention.add(key, label, years, minor)
    assert vault.db.scalar("SELECT count(*) FROM retention_policies") == 0


def test_unknown_policy_is_named(vault: Vault) -> None:
    """Asking for a policy that does not exist lists the ones that do."""
    client = vault.clients.add("Pat Policy")
    with pytest.raises(NotFoundError, match="no retention policy 'ohio'.*apa"):
        vault.retention.set(client.id, "ohio")


def test_legal_hold_blocks_until_released(vault: Vault) -> None:
    """A client on legal hold is never due, whatever the date; releasing makes it due again."""
    client = vault.clients.add("Hal Held", last_service_date="2010-01-01")
    hold = vault.holds.place(client.id, "subpoena in Doe v. Roe", "Dr. Q")
    (row,) = vault.retention.schedule(TODAY, [client.id])
    assert row.status == "held" and row.holds[0].reason == "subpoena in Doe v. Roe"
    assert vault.retention.due(TODAY) == []
    vault.holds.release(hold.id, "case settled")
    assert [r.client_id for r in vault.retention.due(TODAY)] == [client.id]


def test_facets_are_built_once_and_keep_working_after_a_key_rotation(vault: Vault) -> None:
    """`vault.retention`, `vault.holds` and `vault.disposal` are one object each for the
    unlocked vault; a disposal rotates the keys and reopens the files, and the same vault
    and its facets carry on (audit chain intact) without being unlocked again."""
    facets = (vault.retention, vault.holds, vault.disposal, vault.disclosures)
    assert all(
        a is b
        for a, b in zip(
            facets, (vault.retention, vault.holds, vault.disposal, vault.disclosures), strict=True
        )
    )
    ids = make_practice(vault)
    epoch = vault.key_file.epoch
    vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert vault.key_file.epoch == epoch + 1
    hold = vault.holds.place(ids["kept"], "subpoena after the rotation")
    assert [h.id for h in vault.holds.active()] == [hold.id]
    assert vault.retention.schedule(None, [ids["kept"]])[0].status == "held"
    assert vault.disclosures.practice().name is None
    assert vault.clients.get(ids["kept"]).display_name == "Bramble Keeper"
    assert vault.audit.verify().ok


def test_unlocking_and_the_retention_facets_load_no_disclosures_code(vault_dir: Path) -> None:
    """Unlocking loads no retention code; the queue and the holds load no disclosures code
    (the certificate's file export is the one place that needs it)."""
    made, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    made.lock()
    code = (
        "import sys\nfrom pathlib import Path\nfrom vault import Vault\n"
        f"v = Vault.unlock(Path({str(vault_dir)!r}), {PASSPHRASE!r})\n"
        "unlocked = sorted(m for m in sys.modules if m.startswith('vault.retention.'))\n"
        "v.holds.active(); v.retention.due(); v.disposal.plan(); v.disposal.log()\n"
        "used = sorted(m for m in sys.modules if m.startswith('vault.disclosures'))\n"
        "print(','.join(unlocked) + '|' + ','.join(used))\n"
        "v.lock()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "|"
