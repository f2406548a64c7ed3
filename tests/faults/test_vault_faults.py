"""Bad input and faults (issue 2): each gets a specific one-line error, changes nothing, and loses
nothing already committed. Real files, a real full filesystem, a real kill -9."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from tests.support.fsimage import mounted_image, needs_root, remount
from vault import (
    TEST_PRESET,
    AuthenticationError,
    DamagedFileError,
    MarkupError,
    StorageError,
    UsageError,
    Vault,
    parse_omissions,
)
from vault.vault import PNOTES_DB, RECORD_DB


def _state(vault: Vault) -> tuple[int, int, int]:
    """What 'nothing changed' means: clients, notes and audit entries."""
    return (
        vault.clients.count(),
        vault.notes.count(),
        int(vault.db.scalar("SELECT count(*) FROM audit_log")),
    )


def _one_line(result: object, expected: int = 1) -> str:
    """One line on stderr, no traceback, and the exit status (tui/cli/exitcodes.py)."""
    code, stderr = result.code, result.stderr  # type: ignore[attr-defined]
    assert code == expected, stderr
    label = "usage error" if expected == 2 else "error"
    assert stderr.count("\n") == 1 and stderr.startswith(f"confide: {label}: ")
    assert "Traceback" not in stderr
    return str(stderr)


# ---------------------------------------------------------------------------- files that lie


def test_random_bytes_as_record_db_is_damaged_not_a_crash(
    new_vault: tuple[Vault, str], cli: Cli
) -> None:
    """record.db replaced by random bytes: DamagedFileError, one line, nothing else touched."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    (folder / RECORD_DB).write_bytes(random.Random(1).randbytes(64 * 1024))
    keys_before = (folder / "keys.confide").read_bytes()
    with pytest.raises(DamagedFileError, match="damaged or not a Confide vault") as info:
        Vault.unlock(folder, PASSPHRASE)
    assert "\n" not in str(info.value)
    assert (folder / "keys.confide").read_bytes() == keys_before
    cli.vault_dir = folder
    assert "damaged" in _one_line(cli("client", "list"), 13)
    # In a real process too: SQLCipher's own stderr logging must not add lines.
    assert "damaged" in _one_line(cli.subprocess("client", "list"), 13)


def test_flipped_bit_in_a_page_is_found_and_reported_in_one_line(
    new_vault: tuple[Vault, str], cli: Cli
) -> None:
    """A flipped bit in a page is named by the integrity check; reads fail in one line."""
    vault, _ = new_vault
    folder = vault.folder
    cid = vault.clients.add("Alder Bitflip").id
    for i in range(150):
        vault.notes.create(cid, body=f"note {i} " + "word " * 200)
    vault.lock()
    data = bytearray((folder / RECORD_DB).read_bytes())
    page = len(data) // 4096 - 20
    data[page * 4096 + 1000] ^= 0x40
    (folder / RECORD_DB).write_bytes(bytes(data))
    with Vault.unlock(folder, PASSPHRASE) as again:
        problems = again.db.integrity_problems()
        assert f"HMAC verification failed for page {page + 1}" in problems
        with pytest.raises(DamagedFileError):
            for summary in again.notes.timeline(cid):
                again.notes.get(summary.id)
    result = cli.subprocess("search", "word", "--limit", "500")  # reads every note
    assert "damaged" in _one_line(result, 13)


def test_truncated_or_missing_record_db_is_reported(new_vault: tuple[Vault, str]) -> None:
    """A record.db cut in half or deleted is named in a one-line error."""
    vault, _ = new_vault
    folder = vault.folder
    vault.notes.create(vault.clients.add("Alder Notreal").id, body="text " * 2000)
    vault.lock()
    data = (folder / RECORD_DB).read_bytes()
    (folder / RECORD_DB).write_bytes(data[: len(data) // 2 + 17])
    with pytest.raises(DamagedFileError):
        Vault.unlock(folder, PASSPHRASE)
    (folder / RECORD_DB).unlink()
    with pytest.raises(DamagedFileError, match="record.db is missing"):
        Vault.unlock(folder, PASSPHRASE)


def test_random_bytes_as_pnotes_db(vault: Vault) -> None:
    """A garbage pnotes.db fails only the psychotherapy-notes area; the record stays usable."""
    (vault.folder / PNOTES_DB).write_bytes(random.Random(2).randbytes(8192))
    with pytest.raises(DamagedFileError):
        vault.open_psychotherapy_notes(PASSPHRASE)
    assert vault.clients.add("Bramble Notreal").id == 1


def test_a_folder_of_other_files_is_not_a_vault(tmp_path: Path, cli: Cli) -> None:
    """A keys.confide that is not a key file is 'not a Confide key file', one line."""
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / "keys.confide").write_bytes(b"PK\x03\x04 this is a zip file")
    cli.vault_dir = folder
    assert "not a Confide key file" in _one_line(cli("client", "list"), 10)


# ---------------------------------------------------------------------------- hostile input


def test_ten_megabyte_note_is_refused_and_changes_nothing(
    vault: Vault, cli: Cli, tmp_path: Path
) -> None:
    """A 10 MB note: a clear size error from the API and the CLI; nothing is saved."""
    cid = vault.clients.add("Cobalt Notreal").id
    before = _state(vault)
    huge = "All work and no play. " * 480_000  # about 10.5 MB
    with pytest.raises(UsageError, match=r"10\.\d MB; the limit is 2 million characters"):
        vault.notes.create(cid, body=huge)
    with pytest.raises(UsageError, match="MB"):
        vault.open_psychotherapy_notes(PASSPHRASE).add(cid, huge)
    note = vault.notes.create(cid, body="small")
    with pytest.raises(UsageError, match="MB"):
        vault.notes.save_draft(note.id, body=huge)
    assert vault.notes.get(note.id).body == "small"
    after = _state(vault)
    assert after[:2] == (before[0], before[1] + 1)
    folder = vault.folder
    vault.lock()
    big = tmp_path / "big.txt"
    big.write_text(huge)
    cli.vault_dir = folder
    assert "MB" in _one_line(cli("note", "add", "1", "--body-file", str(big)), 2)
    assert len(cli("note", "list", "1", "--json").data) == 1  # type: ignore[arg-type]


def test_nul_bytes_are_refused_with_their_line(vault: Vault, cli: Cli, tmp_path: Path) -> None:
    """NUL in a note body, a name or a body file is refused, naming the line; nothing saved."""
    cid = vault.clients.add("Dune Notreal").id
    before = _state(vault)
    with pytest.raises(UsageError, match="NUL character on line 2"):
        vault.notes.create(cid, body="line one\nline\0two")
    with pytest.raises(UsageError, match="NUL"):
        vault.clients.add("Evil\0Name")
    with pytest.raises(UsageError, match="NUL"):
        vault.open_psychotherapy_notes(PASSPHRASE).add(cid, "a\0b")
    assert _state(vault)[:2] == before[:2]
    folder = vault.folder
    vault.lock()
    body = tmp_path / "nul.txt"
    body.write_bytes(b"fine\nfine\nnot\x00fine\n")
    cli.vault_dir = folder
    assert "NUL character on line 3" in _one_line(
        cli("note", "add", "1", "--body-file", str(body)), 2
    )
    assert cli("note", "list", "1", "--json").data == []


def test_invalid_utf8_body_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    """A body file that is not UTF-8 (say Latin-1) is refused with its byte and line."""
    cli.init()
    assert cli("client", "add", "Ember Notreal").code == 0
    body = tmp_path / "latin1.txt"
    body.write_bytes("first line\nna\u00efve caf\u00e9\n".encode("latin-1"))
    error = _one_line(cli("note", "add", "1", "--body-file", str(body)), 2)
    assert "not valid UTF-8" in error and "line 2" in error
    passphrase = tmp_path / "bad-pp.txt"
    passphrase.write_bytes(b"\xff\xfe passphrase")
    passphrase.chmod(0o600)
    assert "not valid UTF-8" in _one_line(
        cli("--passphrase-file", str(passphrase), "client", "list"), 2
    )
    assert cli("note", "list", "1", "--json").data == []


def test_body_from_standard_input(cli: Cli) -> None:
    """--body-file - reads standard input; invalid UTF-8 there is refused the same way."""
    cli.init()
    assert cli("client", "add", "Fennel Notreal").code == 0
    ok = cli.subprocess(
        "note", "add", "1", "--body-file", "-", "--json", input=b"from {{omit:other}}stdin{{/omit}}"
    )
    assert ok.code == 0 and ok.data["body"] == "from stdin"  # type: ignore[index]
    bad = cli.subprocess("note", "add", "1", "--body-file", "-", input=b"\xc3\x28 broken")
    assert "standard input is not valid UTF-8" in _one_line(bad, 2)


@pytest.mark.parametrize(
    ("marked", "message"),
    [
        ("{{omit:horoscope}}Aries{{/omit}}", "unknown omission category 'horoscope'"),
        ("open {{omit:legal}} and never closed", "never closed"),
        ("close {{/omit}} without open", "no matching"),
        ("{{omit:legal}}a {{omit:other}}b{{/omit}}{{/omit}}", "cannot nest"),
    ],
)
def test_bad_omission_markup_saves_nothing(cli: Cli, marked: str, message: str) -> None:
    """Unknown categories and unbalanced markers fail the CLI with one line; no note is saved."""
    cli.init()
    assert cli("client", "add", "Garnet Notreal").code == 0
    assert message in _one_line(cli("note", "add", "1", "--body", marked), 2)
    with pytest.raises(MarkupError):
        parse_omissions(marked)
    assert cli("note", "list", "1", "--json").data == []


# ---------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_image(tmp_path, size_mb=8) as mount:
        yield mount


def _fill(mount: Path) -> Path:
    """Fill the filesystem to the last block (root may use the reserved blocks too)."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * (1 << 16)
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) == 512:
                    break
                chunk = chunk[: len(chunk) // 2]
        os.fsync(fd)
    finally:
        os.close(fd)
    return filler


@needs_root
def test_full_disk_during_a_save_loses_nothing(small_disk: Path) -> None:
    """With the disk full a note save fails with 'disk is full'; every committed note survives."""
    folder = small_disk / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    cid = vault.clients.add("Hazel Fullsky").id
    committed = {
        vault.notes.create(cid, body=f"committed note {i} " + "w" * 2000).id: f"committed note {i} "
        for i in range(25)
    }
    signed = vault.notes.sign(next(iter(committed)))
    filler = _fill(small_disk)
    with pytest.raises(StorageError, match="disk is full") as info:
        for i in range(200):  # the WAL may still have room for a few small writes
            vault.notes.create(cid, body=f"doomed {i} " + "z" * 20_000)
    assert "\n" not in str(info.value)
    filler.unlink()
    # With space again, the same session saves normally.
    later = vault.notes.create(cid, body="written after space was freed")
    vault.lock()
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.db.integrity_problems() == []
        assert again.audit.verify().ok
        for nid, prefix in committed.items():
            assert again.notes.get(nid).body.startswith(prefix)
        assert again.notes.get(signed.id).is_signed
        assert again.notes.get(later.id).body == "written after space was freed"
        assert not [
            s
            for s in again.notes.timeline(cid)
            if again.notes.get(s.id).body.startswith("doomed") and s.id not in committed
        ]


@needs_root
def test_lock_on_a_full_disk_still_locks(small_disk: Path) -> None:
    """lock() on a completely full disk still locks and releases, without raising."""
    folder = small_disk / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    cid = vault.clients.add("Kestrel Fullsky").id
    filler = _fill(small_disk)
    with pytest.raises(StorageError, match="disk is full"):
        for i in range(500):  # use up whatever room the WAL still had
            vault.notes.create(cid, body=f"tiny {i}")
    with pytest.raises(StorageError, match="disk is full"):
        for _ in range(500):  # down to the last byte: even a one-line audit entry fails
            vault.search("tiny")
    vault.lock()
    assert vault.is_locked
    filler.unlink()
    with Vault.unlock(folder, PASSPHRASE) as again:  # not "vault busy": the lock was released
        assert again.audit.verify().ok
        assert again.clients.get(cid).display_name == "Kestrel Fullsky"


@needs_root
def test_unlock_on_a_full_disk_fails_cleanly_and_can_be_retried(small_disk: Path) -> None:
    """Unlock on a full disk fails in one line and can be retried once there is space."""
    folder = small_disk / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    vault.notes.create(vault.clients.add("Indigo Fullsky").id, body="kept")
    vault.lock()  # checkpoints and truncates the WAL: the next write needs new blocks
    filler = _fill(small_disk)
    with pytest.raises(StorageError, match="disk is full"):
        Vault.unlock(folder, PASSPHRASE)
    filler.unlink()
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.notes.get(1).body == "kept"


@needs_root
def test_init_on_a_full_disk_can_be_retried(small_disk: Path) -> None:
    """A vault creation that hits a full disk removes its partial files, so init works later."""
    folder = small_disk / "vault"
    folder.mkdir(mode=0o700)
    filler = _fill(small_disk)
    with pytest.raises(StorageError, match="disk is full"):
        Vault.create(folder, PASSPHRASE, TEST_PRESET)
    assert list(folder.iterdir()) == []
    filler.unlink()
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    vault.lock()
    Vault.unlock(folder, PASSPHRASE).lock()


@needs_root
def test_vault_on_a_read_only_drive_is_refused_in_one_line(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A vault whose drive went read-only: unlock fails with 'read-only', nothing is lost."""
    folder = small_disk / "vault"
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    vault.notes.create(vault.clients.add("Lumen Readonly").id, body="kept")
    vault.lock()
    remount(small_disk, readonly=True)
    try:
        with pytest.raises(StorageError, match="read-only"):
            Vault.unlock(folder, PASSPHRASE)
        cli = Cli(folder, tmp_path, capsys)
        assert "read-only" in _one_line(cli("note", "list", "1"))
    finally:
        remount(small_disk, readonly=False)
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.notes.get(1).body == "kept"


@needs_root
def test_cli_on_a_full_disk_is_one_line(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`confide note add` on a full disk exits 1 with one 'disk is full' line."""
    cli = Cli(small_disk / "vault", tmp_path, capsys)
    cli.init()
    assert cli("client", "add", "Juniper Fullsky").code == 0
    _fill(small_disk)
    result = cli("note", "add", "1", "--body", "x" * 300_000)
    assert "disk is full" in _one_line(result)


# ---------------------------------------------------------------------------- kill -9

_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from vault import Vault
    vault = Vault.unlock(Path(sys.argv[1]), sys.argv[2])
    client = vault.clients.add("Kestrel Killtest").id
    draft = vault.notes.create(client, body="draft v0")
    i = 0
    while True:
        i += 1
        note = vault.notes.create(client, body=f"note number {i} " + "k" * (i % 7 * 500))
        vault.notes.save_draft(draft.id, body=f"draft v{i}")
        print(f"{note.id} {i} {draft.id}", flush=True)
""")


def test_kill_9_while_saving_loses_no_committed_note(new_vault: tuple[Vault, str]) -> None:
    """SIGKILL mid-save: integrity holds and every note reported saved is there."""
    vault, _ = new_vault
    folder = vault.folder
    vault.lock()
    rng = random.Random()
    for _round in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(folder), PASSPHRASE],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        reported: list[tuple[int, int, int]] = []
        target = rng.randint(5, 60)
        while len(reported) < target:
            line = writer.stdout.readline()
            assert line, "the writer died on its own"
            nid, i, draft = (int(x) for x in line.split())
            reported.append((nid, i, draft))
        os.kill(writer.pid, signal.SIGKILL)
        rest = writer.stdout.read()  # lines printed before the kill were committed too
        writer.wait()
        assert writer.returncode == -signal.SIGKILL
        for line in rest.splitlines():
            parts = line.split()
            if len(parts) == 3:  # a line cut by the kill is incomplete: skip it
                reported.append((int(parts[0]), int(parts[1]), int(parts[2])))
        with Vault.unlock(folder, PASSPHRASE) as again:
            assert again.db.integrity_problems() == []
            assert again.audit.verify().ok
            for nid, i, _draft in reported:
                assert again.notes.get(nid).body.startswith(f"note number {i} ")
            nid, last_i, draft = reported[-1]
            body = again.notes.get(draft).body
            assert int(body.split("v")[1]) >= last_i  # the draft has at least the last save


_REWRAPPER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from vault import Vault
    a, b = sys.argv[2], sys.argv[3]
    vault = Vault.unlock(Path(sys.argv[1]), a)
    current, other = a, b
    while True:
        vault.change_passphrase(current, other)
        current, other = other, current
        print(current, flush=True)
""")


def test_kill_9_while_changing_the_passphrase_never_loses_the_keys(
    new_vault: tuple[Vault, str],
) -> None:
    """SIGKILL mid-passwd: the old or the new passphrase opens the vault, never neither."""
    vault, recovery_key = new_vault
    folder = vault.folder
    vault.lock()
    other = "the other passphrase"
    rng = random.Random()
    for _round in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", _REWRAPPER, str(folder), PASSPHRASE, other],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        last = PASSPHRASE
        for _ in range(rng.randint(3, 30)):
            line = writer.stdout.readline().strip()
            assert line, "the writer died on its own"
            last = line
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        opened = None
        for candidate in (last, other if last == PASSPHRASE else PASSPHRASE):
            try:
                opened = Vault.unlock(folder, candidate)
            except AuthenticationError:
                continue
            break
        assert opened is not None, "neither passphrase opens the vault"
        opened.change_passphrase(candidate, PASSPHRASE)  # the next round starts from here
        opened.lock()
        assert not (folder / "keys.confide.pending").exists()
    Vault.recover(folder, recovery_key).abandon()


def test_text_that_was_not_utf8_is_refused_everywhere(vault: Vault, cli: Cli) -> None:
    """Text that was not UTF-8 is a one-line usage error everywhere; nothing is saved."""
    cid = vault.clients.add("Lumen Notreal").id
    bad = "caf\udce9"
    with pytest.raises(UsageError, match="client name contains invalid Unicode"):
        vault.clients.add(bad)
    with pytest.raises(UsageError, match="pseudonym contains invalid Unicode"):
        vault.clients.add("Real Name", pseudonym=bad)
    with pytest.raises(UsageError, match="not valid Unicode"):
        vault.clients.list(bad)
    with pytest.raises(UsageError, match="late-entry reason contains invalid Unicode"):
        vault.notes.late_entry(cid, "free", "2026-01-01", bad, body="x")
    assert (vault.clients.count(), vault.notes.count()) == (1, 0)
    folder = vault.folder
    vault.lock()
    cli.vault_dir = folder
    env_bytes = [os.fsencode(a) for a in ("client", "add")] + [b"Caf\xe9 Latin1"]
    proc = subprocess.run(
        [sys.executable, "-m", "tui", *cli.base_args(), *env_bytes], capture_output=True, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("confide: usage error: client name contains inval")
    assert proc.stderr.count(b"\n") == 1


def test_non_utf8_vault_folder_name_still_shows_the_recovery_key(tmp_path: Path, cli: Cli) -> None:
    """A non-UTF-8 folder name on a strict terminal: init still prints the recovery key."""
    for index, mode in enumerate((["init"], ["init", "--json"])):
        folder = os.fsencode(tmp_path) + f"/caf\xe9-{index}".encode("latin-1")
        env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                b"--vault",
                folder,
                b"--passphrase-file",
                os.fsencode(cli.passphrase_file),
                *[os.fsencode(a) for a in mode],
                b"--kdf",
                b"test-insecure",
            ],
            capture_output=True,
            timeout=60,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout.decode("utf-8")
        assert "\\udce9" in out
        assert any(
            len(word) == 39 and word.count("-") == 7 for word in out.replace('"', " ").split()
        )
