"""No plaintext on disk: the raw vault files (WAL included) hold no note text, names or SQLite
header, nothing leaks outside the vault folder, and psychotherapy notes stay out of the record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import PASSPHRASE
from vault import OmitCategory, SessionInfo, Vault, parse_omissions

NOTE_WORDS = ["hippopotamine", "quokkalicious", "zebraquiver"]
PNOTE_WORDS = ["marmaladeous", "countertransferential"]
CLIENT_NAMES = ["Bartholomew Snickerdoodle", "Philippa Quenchworth"]
SEALED_LEGAL = "Evangelina Thunderwhistle"
PSEUDONYM = "Client Osprey"


def _needles() -> list[bytes]:
    words = NOTE_WORDS + PNOTE_WORDS + CLIENT_NAMES + [SEALED_LEGAL, PSEUDONYM]
    found: list[bytes] = [b"SQLite format"]
    for word in words:
        found.append(word.encode("utf-8"))
        found.append(word.encode("utf-16-le"))  # in case anything stores wide text
        for part in word.split():
            if len(part) > 5 and part not in ("Client",):
                found.append(part.encode("utf-8"))
    return found


def _hits(folder: Path) -> list[tuple[str, bytes]]:
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        low = data.lower()
        for needle in _needles():
            if needle.lower() in low:
                hits.append((str(path.relative_to(folder)), needle))
    return hits


def _session(vault: Vault) -> None:
    """A realistic day: clients (one sealed), flagged notes, signing, addenda, pnotes, search."""
    a = vault.clients.add(CLIENT_NAMES[0], date_of_birth="1970-01-01")
    b = vault.clients.add(CLIENT_NAMES[1])
    sealed = vault.clients.add(SEALED_LEGAL, pseudonym=PSEUDONYM)
    body, spans = parse_omissions(
        f"Subjective: talked about {NOTE_WORDS[0]} dreams "
        f"{{{{omit:dream}}}}of a {NOTE_WORDS[1]} garden{{{{/omit}}}}."
    )
    note = vault.notes.create(
        a.id,
        "soap",
        body=body,
        spans=spans,
        participants=[b.id],
        session=SessionInfo("2026-11-20", "10:00", "10:50", "90834"),
    )
    for i in range(30):  # enough writes to spill pages through the WAL
        vault.notes.save_draft(note.id, body=body + f" revision {i} {NOTE_WORDS[2]}", spans=spans)
    vault.notes.sign(note.id)
    vault.notes.addend(note.id, f"Addendum on {NOTE_WORDS[2]}")
    vault.notes.create(
        sealed.id, body=f"{NOTE_WORDS[2]} discussed", omit_category=OmitCategory.LEGAL
    )
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    for word in PNOTE_WORDS:
        area.add(sealed.id, f"impression: {word}", "2026-11-20")
    area.search(PNOTE_WORDS[0])
    vault.search(NOTE_WORDS[0])
    vault.reveal_legal_name(sealed.id, PASSPHRASE)


def test_vault_files_hold_no_plaintext_while_open_and_after_lock(vault: Vault) -> None:
    """Grepping every file of the folder (WAL included) finds none of the known words."""
    _session(vault)
    assert any(p.name.endswith("-wal") and p.stat().st_size > 0 for p in vault.folder.iterdir())
    assert _hits(vault.folder) == []
    folder = vault.folder
    vault.lock()
    assert _hits(folder) == []
    # The words are really in there: the test would see them if they were plain.
    with Vault.unlock(folder, PASSPHRASE) as again:
        assert again.search(NOTE_WORDS[0])


def test_cli_session_leaves_no_plaintext_anywhere(tmp_path: Path) -> None:
    """A CLI session (HOME, TMPDIR redirected) leaves no plaintext in or out of the vault."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    secret = tmp_path / "secret" / "pp"
    secret.parent.mkdir()
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)
    folder = tmp_path / "vault"
    env = {
        **os.environ,
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "CONFIDE_VAULT": str(folder),
        "CONFIDE_PASSPHRASE_FILE": str(secret),
        "XDG_DATA_HOME": str(home / "data"),
    }

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "tui", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    run("init", "--kdf", "test-insecure")
    run("client", "add", CLIENT_NAMES[0])
    run("client", "add", SEALED_LEGAL, "--pseudonym", PSEUDONYM)
    run(
        "note",
        "add",
        "1",
        "--template",
        "dap",
        "--date",
        "2026-11-20",
        "--body",
        f"Data: {NOTE_WORDS[0]} {{{{omit:legal}}}}{NOTE_WORDS[1]}{{{{/omit}}}}",
        "--sign",
    )
    run("pnote", "add", "2", "--body", f"{PNOTE_WORDS[0]} {PNOTE_WORDS[1]}")
    assert NOTE_WORDS[0] in run("search", NOTE_WORDS[0])
    assert SEALED_LEGAL in run("client", "show", "2", "--reveal-name")
    # A plaintext canary proves the grep sees what it looks for.
    (secret.parent / "canary.txt").write_text(f"{NOTE_WORDS[0]} {CLIENT_NAMES[0]}")
    hits = _hits(tmp_path)
    assert ("secret/canary.txt", NOTE_WORDS[0].encode()) in hits
    assert [(name, needle) for name, needle in hits if not name.startswith("secret/")] == []
    assert sorted(p.name for p in folder.iterdir()) == [
        "confide.lock",
        "keys.confide",
        "pnotes.db",
        "record.db",
    ]


def test_psychotherapy_text_is_nowhere_in_the_general_record(vault: Vault) -> None:
    """Every table of record.db, every general API result and the audit log lack pnote text."""
    _session(vault)
    tables = [r[0] for r in vault.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = []
    for table in tables:
        dump.extend(repr(tuple(row)) for row in vault.db.query(f'SELECT * FROM "{table}"'))
    everything = "\n".join(dump).lower()
    assert NOTE_WORDS[0] in everything  # the dump really covers the notes
    results = [vault.clients.list(), vault.audit.entries(limit=10_000)]
    for client in vault.clients.list():
        results.append(vault.notes.timeline(client.id))
        results.extend(vault.notes.get(s.id) for s in vault.notes.timeline(client.id))
    for word in PNOTE_WORDS:
        assert word not in everything
        assert vault.search(word) == []
        assert word not in repr(results).lower()
