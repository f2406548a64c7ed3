"""`confide retention ...` and `confide dispose ...` end to end, with --json and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from vault import Vault

# The JSON skeletons scripts rely on (`_shape`): keys and leaf types, lists by first item.
QUEUE_SHAPE: Any = {
    "attachments": "int",
    "backups": ["str"],
    "client_id": "int",
    "display_name": "str",
    "disposal_date": "str",
    "first_session": "str",
    "joint_notes_kept": "int",
    "last_session": "str",
    "notes": "int",
    "outside": [],
    "pnotes": "int",
    "pnotes_first": "NoneType",
    "pnotes_last": "NoneType",
    "policy": "str",
    "record_id": "str",
    "related_rows": {},
    "status": "str",
}
# Added since (issue 10): what each medium does to an overwrite, and the copies outside the
# vault ("outside", empty here); the keys above are unchanged.
MEDIA_SHAPE: Any = {
    "device": "str",
    "filesystem": "str",
    "limits": [],
    "notes": [],
    "path": "str",
    "what": "str",
}
CERTIFICATE_SHAPE: Any = {
    "audit_anchor": {"head": "str", "seq": "int"},
    "backups": {"completed_later": [], "pending": [], "replaced": [], "written": []},
    "certificate_id": "str",
    "completed_at": "str",
    "key_epoch": {"after": "int", "before": "int"},
    "limits": "str",
    "media": {
        "backups": "str",
        "device": "str",
        "filesystem": "str",
        "findings": [MEDIA_SHAPE],
        "location": "str",
        "type": "str",
    },
    "method": "str",
    "method_type": "str",
    "performed_by": "str",
    "post_sanitization": "str",
    "records": [
        {
            "attachments": "int",
            "backups": ["str"],
            "client_id": "int",
            "disposal_date": "str",
            "first_session": "str",
            "joint_notes_kept": "int",
            "last_session": "str",
            "notes": "int",
            "outside": [],
            "pnotes": "int",
            "pnotes_first": "NoneType",
            "pnotes_last": "NoneType",
            "policy": "str",
            "record_id": "str",
            "related_rows": {},
        }
    ],
    "started_at": "str",
    "state": "str",
    "tool": "str",
    "vault_id": "str",
    "verification": {
        "checks": [{"detail": "str", "name": "str", "ok": "bool"}],
        "media": [MEDIA_SHAPE],
        "ok": "bool",
        "pending": ["str"],
        "result": "str",
        "type": "str",
    },
}
LOG_SHAPE: Any = {
    "backups_pending": "int",
    "certificate_id": "str",
    "clients": ["str"],
    "completed_at": "str",
    "performed_by": "str",
    "result": "str",
    "started_at": "str",
    "state": "str",
}


def _practice(cli: Cli) -> dict[str, int]:
    cli.init()
    with Vault.unlock(cli.vault_dir, PASSPHRASE) as vault:
        return make_practice(vault)


def test_queue_lists_due_clients_and_changes_nothing(cli: Cli) -> None:
    """`dispose --due` shows what would go, with the command to confirm, and destroys nothing."""
    ids = _practice(cli)
    result = cli("dispose", "--due")
    assert result.code == 0, result.stderr
    assert "C-00001" in result.stdout and "Quillon Zabriskie" in result.stdout
    assert "Nothing has been destroyed" in result.stdout and "--confirm" in result.stdout
    data: Any = cli("dispose", "--due", "--json").data
    assert {r["client_id"] for r in data} == {ids["gone"], ids["sealed"]}
    gone = next(r for r in data if r["client_id"] == ids["gone"])
    assert gone["notes"] == 12 and gone["pnotes"] == 1
    assert len(cli("client", "list", "--json").data) == 3


def test_dispose_needs_confirmation_then_certifies(cli: Cli, tmp_path: Path) -> None:
    """Without --confirm it refuses (exit 2, one line); with the names it disposes, certifies."""
    _practice(cli)
    assert cli("practice", "set", "--name", "Dr. Practice Name").code == 0
    refused = cli("dispose", "C-00001")
    assert refused.code == 2 and "--confirm" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    wrong = cli("dispose", "C-00001", "--confirm", "Somebody Else")
    assert wrong.code == 15 and "must name exactly" in wrong.stderr
    done = cli("dispose", "C-00001", "--confirm", "Quillon Zabriskie", "--by", "Dr. Q", "--json")
    assert done.code == 0, done.stderr
    cert: Any = done.data
    assert cert["certificate_id"] == "D-00001" and cert["verification"]["result"] == "PASS"
    assert "Quillon" not in done.stdout
    listed = cli("client", "list", "--json").data
    assert sorted(c["id"] for c in listed) == [2, 3]  # type: ignore[union-attr]

    verify = cli("dispose", "verify")
    assert verify.code == 0 and "Disposal verification: PASS" in verify.stdout
    log: Any = cli("dispose", "log", "--json").data
    assert log[0]["certificate_id"] == "D-00001" and log[0]["clients"] == ["C-00001"]
    shown = cli("dispose", "certificate", "D-00001")
    assert shown.code == 0 and "CERTIFICATE OF DISPOSAL D-00001" in shown.stdout
    assert "Dr. Q" in shown.stdout  # --by wins over the practice name
    pdf = tmp_path / "cert.pdf"
    assert cli("dispose", "certificate", "1", "--pdf", str(pdf)).code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    again = cli("dispose", "certificate", "1", "--pdf", str(pdf))
    assert again.code == 2 and "already exists" in again.stderr
    missing = cli("dispose", "certificate", "D-00042")
    assert missing.code == 14 and "no disposal D-00042" in missing.stderr


def test_refusals_are_one_line_with_their_exit_code(cli: Cli) -> None:
    """Not due or on hold (15, refused), unknown client (14), bad identifiers (2): one line on
    stderr."""
    _practice(cli)
    cases = [
        (("dispose", "C-00003", "--confirm", "Bramble Keeper"), "kept until", 15),
        (("dispose", "C-00077", "--confirm", "X"), "no client C-00077", 14),
        (("dispose", "N-1", "--confirm", "X"), "not a client identifier", 2),
        (("dispose", "certificate", "nonsense"), "not a certificate identifier", 2),
        (("retention", "set", "C-00001", "ohio"), "no retention policy", 14),
        (("retention", "add", "x y", "--label", "L", "--years", "5"), "not a policy key", 2),
    ]
    for args, message, code in cases:
        result = cli(*args)
        assert result.code == code, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    hold = cli("legal-hold", "place", "C-00001", "--reason", "subpoena")
    assert hold.code == 0, hold.stderr
    held = cli("dispose", "C-00001", "--confirm", "Quillon Zabriskie")
    assert held.code == 15 and "legal hold" in held.stderr
    assert "C-00001" not in cli("dispose", "--due").stdout
    assert cli("dispose", "--pdf", "x.pdf").code == 2


def test_retention_commands(cli: Cli) -> None:
    """Policies listed with sources; custom policy added, set on a client, default changed."""
    _practice(cli)
    policies = cli("retention", "policies")
    assert "A.R.S. §12-2297" in policies.stdout and "apa *" in policies.stdout
    added = cli(
        "retention",
        "add",
        "de-psych",
        "--label",
        "Delaware psychologists",
        "--years",
        "10",
        "--minor-years",
        "4",
        "--json",
    )
    assert added.code == 0 and added.data["years_after_service"] == 10  # type: ignore[index]
    assert cli("retention", "set", "C-00003", "de-psych").code == 0
    row: Any = cli("retention", "list", "--json").data
    kept = next(r for r in row if r["client_id"] == 3)
    assert kept["policy"] == "de-psych" and kept["disposal_date"] == "2035-06-01"
    assert cli("retention", "default", "pa", "--json").data["key"] == "pa"  # type: ignore[index]
    due = cli("retention", "list", "--due", "--as-of", "2040-01-01", "--json").data
    assert len(due) == 3  # type: ignore[arg-type]


def test_pending_backup_purged_by_the_next_dispose_command(cli: Cli, tmp_path: Path) -> None:
    """A drive absent at disposal: the certificate says pending; once it is back, the next
    `confide dispose verify` purges the old backup and the log shows nothing pending."""
    from backup import add_drive, run_backup

    cli.init()
    usb = tmp_path / "usb"
    usb.mkdir()
    with Vault.unlock(cli.vault_dir, PASSPHRASE) as vault:
        make_practice(vault)
        add_drive(vault, usb, label="USB")
        old = run_backup(vault, usb, rotate=False).path
    away = tmp_path / "usb-away"
    usb.rename(away)
    assert cli("practice", "set", "--name", "Dr. Practice Name").code == 0
    done = cli("dispose", "C-00001", "--confirm", "Quillon Zabriskie")
    assert done.code == 0, done.stderr
    assert "Person performing:   Dr. Practice Name" in done.stdout
    assert "PENDING" in done.stdout and "PASS, with backups pending" in done.stdout
    away.rename(usb)
    verified = cli("dispose", "verify")
    assert verified.code == 0, verified.stderr
    assert "purged 1 old backup(s)" in verified.stderr and not old.exists()
    log: Any = cli("dispose", "log", "--json").data
    assert log[0]["backups_pending"] == 0


def _shape(value: Any) -> Any:
    """The JSON's skeleton: keys of every object, the type of every leaf, lists by first item."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_json_of_queue_certificate_and_log_keeps_its_shape(cli: Cli, tmp_path: Path) -> None:
    """Scripts read `dispose --due/--json`, the certificate and the log: their keys and value
    types stay as they were, a copy on a lost drive still reads as a location with its note."""
    cli.init()
    assert cli("client", "add", "Rowan Oldfield", "--dob", "1950-01-01").code == 0
    assert (
        cli(
            "note", "add", "C-00001", "--date", "2010-03-01", "--body", "old session", "--sign"
        ).code
        == 0
    )
    drive = tmp_path / "stick"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive), "--label", "blue stick").code == 0
    assert cli("backup", "run").code == 0
    assert cli("backup", "lost", "blue stick").code == 0
    queue: Any = cli("dispose", "--due", "--json").data
    (lost,) = queue[0]["backups"]
    assert lost.endswith("(on a drive reported lost: cannot be purged)")
    assert _shape(queue) == [QUEUE_SHAPE]
    done = cli("dispose", "C-00001", "--confirm", "Rowan Oldfield", "--json")
    assert done.code == 0, done.stderr
    assert _shape(done.data) == CERTIFICATE_SHAPE
    shown = cli("dispose", "certificate", "D-00001", "--json").data
    assert shown == done.data
    assert _shape(cli("dispose", "log", "--json").data) == [LOG_SHAPE]
