"""Rollback detection and the keyed audit chain (issue 10 item 8), each attack performed.

* An older record.db (a Time Machine copy, a lost WAL) put back over the current one.
* An older keys.confide of the same epoch put back (it still opens with a retired passphrase).
* A rewrite of the audit log done with the passphrase alone: open record.db with its key, drop
  the triggers, edit a signed note, delete an entry, recompute the plain SHA-256 chain.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from vault import TEST_PRESET, NotFoundError, Vault
from vault.crypto.keyslots import KeyFile, KeyName
from vault.crypto.secret import SecretBytes
from vault.storage.database import Database
from vault.vault import KEY_FILE, RECORD_DB

RETIRED = "an old retired passphrase for tests"


def _record_key(folder: Path, passphrase: str = PASSPHRASE) -> SecretBytes:
    keys = KeyFile.load(folder / KEY_FILE).unwrap_with_passphrase(passphrase, [KeyName.RECORD])
    return keys[KeyName.RECORD]


def _raw(folder: Path, passphrase: str = PASSPHRASE) -> Database:
    """The attacker's view: record.db opened directly with its key, bypassing the API."""
    return Database.open(folder / RECORD_DB, _record_key(folder, passphrase))


def _actions(vault: Vault) -> list[str]:
    return [e.action for e in vault.audit.entries(limit=10_000, newest_first=False)]


def _signed_note(vault: Vault, body: str) -> int:
    client = vault.clients.add("Tamsin Placeholder")
    note = vault.notes.create(client.id, body=body)
    vault.notes.sign(note.id)
    return note.id


# ---------------------------------------------------------------- an older record.db


def test_an_older_record_db_put_back_is_reported_at_unlock_and_audited(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.clients.add("Orla Examplewood")
    vault.lock()
    old_copy = vault_dir.parent / "record.db.timemachine"
    shutil.copy2(vault_dir / RECORD_DB, old_copy)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        note_id = _signed_note(v, "signed later, lost by the rollback")
        assert v.rollback_warnings == []
    shutil.copy2(old_copy, vault_dir / RECORD_DB)  # the Time Machine restore

    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        kinds = [w.kind for w in v.rollback_warnings]
        assert kinds == ["record_db_older"]
        warning = v.rollback_warnings[0]
        assert "older" in warning.message and warning.seen_seq > warning.vault_seq
        with pytest.raises(NotFoundError):  # the signed note is gone, as the warning says
            v.notes.get(note_id)
        assert "rollback_detected" in _actions(v)
        report = v.audit.verify()
        # The chain itself is whole again; the log says the vault went back, and where.
        assert report.ok and report.rollbacks
    # Reported once, audited: the next unlock starts from the new anchor.
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.rollback_warnings == []
        assert v.audit.verify().rollbacks


def test_a_lost_write_ahead_log_is_a_rollback_too(vault_dir: Path) -> None:
    """A crash that loses record.db-wal after commits leaves the main file behind the key file."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.lock()
    before = (vault_dir / RECORD_DB).read_bytes()
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        _signed_note(v, "a signature the lost WAL held")
    (vault_dir / RECORD_DB).write_bytes(before)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert [w.kind for w in v.rollback_warnings] == ["record_db_older"]


def test_cli_warns_on_stderr_and_audit_verify_exits_16(cli: Cli) -> None:
    cli.init()
    old_copy = cli.vault_dir.parent / "old-record.db"
    shutil.copy2(cli.vault_dir / RECORD_DB, old_copy)
    assert cli("client", "add", "Perrin Madeupson").code == 0
    shutil.copy2(old_copy, cli.vault_dir / RECORD_DB)
    listed = cli("client", "list", "--json")
    assert listed.code == 0
    assert "WARNING" in listed.stderr and "record.db is older than the key file" in listed.stderr
    verify = cli("audit", "verify", "--json")
    assert verify.code == 16
    assert verify.data["status"] == "rolled_back" and verify.data["rollbacks"]
    text = cli("audit", "verify")
    assert text.code == 16 and "ROLLED BACK" in text.stdout


# ---------------------------------------------------------------- an older keys.confide


def test_an_older_key_file_with_a_retired_passphrase_is_reported(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, RETIRED, TEST_PRESET)
    vault.clients.add("Quill Sampleford")
    vault.lock()
    old_keys = (vault_dir / KEY_FILE).read_bytes()
    with Vault.unlock(vault_dir, RETIRED) as v:
        v.change_passphrase(RETIRED, PASSPHRASE)  # the old passphrase is retired
        v.clients.add("Rowan Fictitia")
    (vault_dir / KEY_FILE).write_bytes(old_keys)  # the stale copy put back, same epoch

    with Vault.unlock(vault_dir, RETIRED) as v:  # still opens: we cannot prevent that...
        kinds = [w.kind for w in v.rollback_warnings]
        assert kinds == ["key_file_older"]  # ...but it is never silent
        assert "passphrase" in v.rollback_warnings[0].message
        assert "rollback_detected" in _actions(v)


def test_an_ordinary_session_raises_no_warning(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.clients.add("Sorrel Nobody")
    vault.change_passphrase(PASSPHRASE, RETIRED)
    vault.lock()
    for _ in range(2):
        with Vault.unlock(vault_dir, RETIRED) as v:
            assert v.rollback_warnings == []
            for _ in range(70):  # past the periodic anchor
                v.search("x")
            assert v.audit.verify().ok and not v.audit.verify().rollbacks


def test_a_kill_without_lock_leaves_no_false_alarm(vault_dir: Path) -> None:
    """A process killed before lock(): the key file's anchor is behind record.db, never ahead."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    for _ in range(10):
        vault.search("x")
    vault._abandon()  # noqa: SLF001 - what a kill leaves: no LOCK entry, no last anchor
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.rollback_warnings == []
        assert v.audit.verify().ok


# ---------------------------------------------------------------- the rehash attack


def _rehash_plain_sha256(db: Database) -> None:
    """Recompute the whole chain as today's code does (plain SHA-256), renumbered."""
    rows = db.query("SELECT * FROM audit_log ORDER BY seq")
    db.execute("DELETE FROM audit_log")
    prev = "0" * 64
    for seq, r in enumerate(rows, start=1):
        fields = [prev, seq, r["at"], r["action"], r["object_type"], r["object_id"], r["detail"]]
        canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        db.execute(
            "INSERT INTO audit_log (seq, at, action, object_type, object_id, detail, prev_hash, "
            "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                r["at"],
                r["action"],
                r["object_type"],
                r["object_id"],
                r["detail"],
                prev,
                digest,
            ),
        )
        prev = digest
    db.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (f"{len(rows)}:{prev}",))


def test_rehash_with_the_passphrase_alone_fails_audit_verify(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    note_id = _signed_note(vault, "the client said what was said")
    vault.notes.get(note_id)
    vault.lock()

    db = _raw(vault_dir)
    try:
        for trigger in ("notes_signed_immutable", "audit_no_update", "audit_no_delete"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("UPDATE notes SET body = 'something else entirely' WHERE id = ?", (note_id,))
        victim = db.scalar("SELECT min(seq) FROM audit_log WHERE action = 'view'")
        db.execute("DELETE FROM audit_log WHERE seq = ?", (victim,))
        _rehash_plain_sha256(db)
    finally:
        db.close()

    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.notes.get(note_id).body == "something else entirely"  # the edit is in...
        report = v.audit.verify()
        assert not report.ok  # ...and the log no longer verifies
        assert report.first_broken_seq == 1 and "tag" in (report.reason or "")
        # The key file's anchor does not match the rewritten (shorter) history either.
        assert [w.kind for w in v.rollback_warnings] == ["record_db_older"]


def test_rehash_keeping_the_old_tags_fails_too(vault_dir: Path) -> None:
    """Deleting only the newest entries (tags intact) is caught by the key file's anchor."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    _signed_note(vault, "note")
    vault.lock()
    db = _raw(vault_dir)
    try:
        db.execute("DROP TRIGGER audit_no_delete")
        top = int(db.scalar("SELECT max(seq) FROM audit_log"))
        db.execute("DELETE FROM audit_log WHERE seq > ?", (top - 2,))
        head = db.one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        db.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (f"{head[0]}:{head[1]}",))
    finally:
        db.close()
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert [w.kind for w in v.rollback_warnings] == ["record_db_older"]


def test_the_audit_key_is_not_in_record_db(vault_dir: Path) -> None:
    from vault.crypto.auditkey import read_anchor, unwrap_audit_key

    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.lock()
    keyfile = KeyFile.load(vault_dir / KEY_FILE)
    audit_key = unwrap_audit_key(keyfile, _record_key(vault_dir))
    assert audit_key is not None
    anchor = read_anchor(keyfile, audit_key)
    assert anchor is not None and anchor.seq == 2  # init, lock: the newest entry
    db = _raw(vault_dir)
    try:
        dump = json.dumps(
            [list(r) for t in ("meta", "settings") for r in db.query(f"SELECT * FROM {t}")]
        )
    finally:
        db.close()
    assert audit_key.hex() not in dump


# ---------------------------------------------------------------- old vaults keep opening


def test_a_chain_written_before_tags_is_tagged_at_first_unlock(vault_dir: Path) -> None:
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.clients.add("Teasel Invented")
    vault.lock()
    # Make it what an older Confide left: no tags, no audit key or anchor in the key file.
    db = _raw(vault_dir)
    try:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit_log SET mac = NULL")
        db.execute("DELETE FROM meta WHERE key = 'keyfile_seq'")
        db.execute(
            "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log WHEN NOT (OLD.mac IS "
            "NULL AND NEW.mac IS NOT NULL AND NEW.hash IS OLD.hash) BEGIN SELECT "
            "RAISE(ABORT, 'the audit log is append-only'); END"
        )
    finally:
        db.close()
    keyfile = KeyFile.load(vault_dir / KEY_FILE)
    legacy = KeyFile(**{**keyfile.__dict__, "extra": {}})
    legacy.save(vault_dir / KEY_FILE)

    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.rollback_warnings == []
        assert "audit_keyed" in _actions(v)
        assert v.clients.count() == 1
        assert v.audit.verify().ok
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.audit.verify().ok


# ---------------------------------------------------------------- backups and certificates


def test_each_backup_records_the_anchor_in_its_catalogue_entry_and_inside(
    vault: Vault, tmp_path: Path
) -> None:
    from backup import add_drive, run_backup
    from backup.archive import read_archive, read_header
    from backup.catalog import Catalog
    from backup.keys import archive_key_file, vault_keys_for
    from vault.crypto.auditkey import Anchor, read_anchor, unwrap_audit_key

    vault.clients.add("Umber Pretendly")
    drive = tmp_path / "drive"
    drive.mkdir()
    add_drive(vault, drive, "test")
    result = run_backup(vault, drive)
    seen = Catalog(vault).audit_anchor(result.record.id)
    assert seen is not None
    seq, head = seen
    assert vault.audit.hash_at(seq) == head  # the vault holds the entry the backup saw
    # Inside the archive: the anchor travels in the encrypted manifest, and a restore writes
    # the key file with it; the plain key-file copy in the header carries none (an outsider
    # would learn how many entries the log holds).
    with result.path.open("rb") as f:
        header = read_header(f)[0]
    plain_copy = KeyFile.from_bytes(header.key_file)
    assert "seq" not in plain_copy.extra.get("audit", {})
    with result.path.open("rb") as f:
        contents = read_archive(f, vault_keys_for(vault, result.path.name))
    inner = KeyFile.from_bytes(archive_key_file(contents.header, contents.manifest))
    audit_key = unwrap_audit_key(inner, _record_key(vault.folder))
    assert audit_key is not None
    assert read_anchor(inner, audit_key) == Anchor(seq, head)


def test_a_certificate_names_the_audit_anchor(vault: Vault, passphrase: str) -> None:
    """The certificate names the anchor of the moment the disposal completed, and keeps
    naming that one however many entries follow."""
    from vault.retention.certificate import certificate

    cid = vault.clients.add("Umber Pretendly", last_service_date="2012-02-02").id
    result = vault.disposal.dispose(passphrase, [cid], ["Umber Pretendly"])
    named = result.certificate.audit_anchor
    assert named is not None and vault.audit.hash_at(named[0]) == named[1]
    for _ in range(3):
        vault.clients.add("Later Entryperson")
    assert certificate(vault, result.disposal_id).audit_anchor == named


# ---------------------------------------------------------------- acknowledging a rollback


def _roll_back_record_db(vault_dir: Path) -> None:
    """Unlock, sign a note, and put back the record.db from before it (a Time Machine copy)."""
    old_copy = vault_dir.parent / f"record.db.old-{len(list(vault_dir.parent.iterdir()))}"
    shutil.copy2(vault_dir / RECORD_DB, old_copy)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        _signed_note(v, "signed, then lost to the rollback")
    shutil.copy2(old_copy, vault_dir / RECORD_DB)


def test_acknowledging_needs_the_passphrase_and_covers_only_earlier_rollbacks(
    vault_dir: Path,
) -> None:
    from vault import AuthenticationError

    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.lock()
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.acknowledge_rollback(PASSPHRASE) == ()  # nothing on record: nothing written
        assert "rollback_acknowledged" not in _actions(v)
    _roll_back_record_db(vault_dir)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        first = v.audit.verify()
        assert first.status == "rolled_back" and first.unacknowledged == first.rollbacks
        with pytest.raises(AuthenticationError):
            v.acknowledge_rollback("not the passphrase at all")
        assert v.audit.verify().status == "rolled_back"  # a wrong passphrase changes nothing
        assert v.acknowledge_rollback(PASSPHRASE) == first.rollbacks
        after = v.audit.verify()
        assert after.status == "acknowledged" and after.rollbacks == first.rollbacks
        assert "rollback_acknowledged" in _actions(v)
    # A new rollback, after the acknowledgement, is reported again.
    _roll_back_record_db(vault_dir)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert [w.kind for w in v.rollback_warnings] == ["record_db_older"]
        again = v.audit.verify()
        assert again.status == "rolled_back"
        assert again.acknowledged == first.rollbacks and len(again.unacknowledged) == 1


def test_rolling_back_past_the_acknowledgement_brings_exit_16_back(vault_dir: Path) -> None:
    """The acknowledgement is an audit entry: a record.db from before it is a rollback too."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.lock()
    _roll_back_record_db(vault_dir)
    with Vault.unlock(vault_dir, PASSPHRASE):
        pass  # the rollback is found and recorded
    before_ack = vault_dir.parent / "record.db.before-ack"
    shutil.copy2(vault_dir / RECORD_DB, before_ack)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        v.acknowledge_rollback(PASSPHRASE)
    shutil.copy2(before_ack, vault_dir / RECORD_DB)  # undo the acknowledgement
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert [w.kind for w in v.rollback_warnings] == ["record_db_older"]
        assert v.audit.verify().status == "rolled_back"


def test_cli_acknowledge_rollback_turns_exit_16_into_0_with_the_history_shown(cli: Cli) -> None:
    cli.init()
    nothing = cli("audit", "acknowledge-rollback", "--json")
    assert nothing.code == 0 and nothing.data["acknowledged"] == []
    old_copy = cli.vault_dir.parent / "old-record.db"
    shutil.copy2(cli.vault_dir / RECORD_DB, old_copy)
    assert cli("client", "add", "Perrin Madeupson").code == 0
    shutil.copy2(old_copy, cli.vault_dir / RECORD_DB)
    assert cli("audit", "verify").code == 16

    ack = cli("audit", "acknowledge-rollback", "--json")
    assert ack.code == 0 and ack.data["acknowledged"]
    verify = cli("audit", "verify", "--json")
    assert verify.code == 0
    assert verify.data["status"] == "acknowledged"
    assert verify.data["rollbacks"] == ack.data["acknowledged"]
    assert verify.data["unacknowledged"] == []
    text = cli("audit", "verify")
    assert text.code == 0 and "acknowledged" in text.stdout and "ROLLED BACK" not in text.stdout

    # A new rollback after the acknowledgement: exit 16 again.
    shutil.copy2(cli.vault_dir / RECORD_DB, old_copy)
    assert cli("client", "add", "Quenby Unreal").code == 0
    shutil.copy2(old_copy, cli.vault_dir / RECORD_DB)
    again = cli("audit", "verify", "--json")
    assert again.code == 16 and again.data["status"] == "rolled_back"


# ---------------------------------------------------------------- what an unlock writes


def test_an_ordinary_unlock_leaves_the_key_file_alone_until_lock(vault_dir: Path) -> None:
    """Every read-only command used to rewrite the key file at unlock (3-4 fsyncs); the unlock
    entry is anchored at lock instead, and a rollback found at unlock still at once."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.lock()
    before = (vault_dir / KEY_FILE).read_bytes()
    v = Vault.unlock(vault_dir, PASSPHRASE)
    v.clients.list()
    assert (vault_dir / KEY_FILE).read_bytes() == before  # no write at unlock
    v.lock()
    assert (vault_dir / KEY_FILE).read_bytes() != before  # the anchor moved at lock

    _roll_back_record_db(vault_dir)
    rolled = (vault_dir / KEY_FILE).read_bytes()
    v = Vault.unlock(vault_dir, PASSPHRASE)
    try:
        assert v.rollback_warnings
        # The rollback entry is anchored before anything else can happen...
        assert (vault_dir / KEY_FILE).read_bytes() != rolled
    finally:
        v._abandon()  # noqa: SLF001 - ...so even a kill now keeps it: no lock() needed
    (old_copy,) = vault_dir.parent.glob("record.db.old-*")
    shutil.copy2(old_copy, vault_dir / RECORD_DB)  # the same old copy, put back again
    with Vault.unlock(vault_dir, PASSPHRASE) as again:
        assert [w.kind for w in again.rollback_warnings] == ["record_db_older"]


def test_what_a_rollback_can_erase_of_a_read_only_command_killed_before_lock(
    vault_dir: Path,
) -> None:
    """The anchor of a read-only command moves at lock only (speed brief, issue 13): a command
    killed between unlock and lock leaves its unlock and view entries past the anchor, so a
    record.db put back from just before it erases them unseen (the window docs/ARCHITECTURE.md
    accepts: routine entries of a session that never locked). A command that reached lock is
    protected: the same rollback is reported."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    vault.clients.add("Orla Examplewood")
    vault.lock()
    old_copy = vault_dir.parent / "record.db.before-the-command"
    shutil.copy2(vault_dir / RECORD_DB, old_copy)

    killed = Vault.unlock(vault_dir, PASSPHRASE)
    killed.clients.list()
    killed.search("Orla")
    killed._abandon()  # noqa: SLF001 - a kill -9: no LOCK entry, the anchor did not move
    shutil.copy2(old_copy, vault_dir / RECORD_DB)  # the attacker's copy from before it
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert v.rollback_warnings == []  # accepted: only that session's routine entries
        assert "search" not in _actions(v)
        assert v.audit.verify().ok

    shutil.copy2(vault_dir / RECORD_DB, old_copy)
    finished = Vault.unlock(vault_dir, PASSPHRASE)
    finished.clients.list()
    finished.search("Orla")
    finished.lock()  # the command ends normally: its entries are anchored
    shutil.copy2(old_copy, vault_dir / RECORD_DB)
    with Vault.unlock(vault_dir, PASSPHRASE) as v:
        assert [w.kind for w in v.rollback_warnings] == ["record_db_older"]
