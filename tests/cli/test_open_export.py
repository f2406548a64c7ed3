"""`confide export` and `confide import` from the command line: terminal prompts, --yes without
a terminal, exit codes, and nothing written on refusal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import PASSPHRASE, Cli, secret_file
from tests.support.pty import PtyApp
from vault import Vault

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"


def _setup(cli: Cli, tmp_path: Path) -> Path:
    cli.init()
    assert cli("client", "add", "Ada [bold]Quist", "--dob", "1980-04-02").code == 0
    added = cli("note", "add", "C-00001", "--body", "zqexportvisible sleep is poor", "--sign")
    assert added.code == 0, added.stderr
    return secret_file(tmp_path / "export-pass", EXPORT_PASSPHRASE + "\n")


def test_export_then_import_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    secret = _setup(cli, tmp_path)
    out = tmp_path / "record.age"
    made = cli("export", "--out", str(out), "--export-passphrase-file", str(secret), "--yes")
    assert made.code == 0, made.stderr
    assert "1 clients, 1 notes, no psychotherapy notes" in made.stdout
    assert out.read_bytes().startswith(b"age-encryption.org/v1\n")
    scripted = cli(
        "export", "--out", str(tmp_path / "second.age"), "--export-passphrase-file",
        str(secret), "--yes", "--json",
    )  # fmt: skip
    phases = [m["phase"] for m in scripted.messages if m["type"] == "progress"]
    assert "PDF records" in phases and phases[-1] == "encrypting"
    assert scripted.data["psychotherapy_notes"] is None
    new = tmp_path / "new"
    imported = cli(
        "--vault",
        str(new),
        "import",
        str(out),
        "--export-passphrase-file",
        str(secret),
        "--kdf",
        "test-insecure",
        "--json",
    )
    assert imported.code == 0, imported.stderr
    assert imported.data["clients"] == 1 and imported.data["recovery_key"]
    with Vault.unlock(new, PASSPHRASE) as vault:
        note = vault.notes.get(1)
        assert note.body == "zqexportvisible sleep is poor" and note.is_signed
        assert vault.clients.get(1).display_name == "Ada [bold]Quist"


def test_without_a_terminal_an_export_needs_yes_and_writes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    secret = _setup(cli, tmp_path)
    out = tmp_path / "record.age"
    refused = cli("export", "--out", str(out), "--export-passphrase-file", str(secret))
    assert refused.code == 2
    assert "add --yes" in refused.stderr and not out.exists()
    no_secret = cli("export", "--out", str(out), "--yes", "--json")
    assert no_secret.code == 2
    assert "--export-passphrase-file" in no_secret.json["message"]
    weak = secret_file(tmp_path / "weak", "password123\n")
    easy = cli("export", "--out", str(out), "--export-passphrase-file", str(weak), "--yes")
    assert easy.code == 2 and "too easy to guess" in easy.stderr
    unknown = cli(
        "export", "--out", str(out), "--client", "C-00009", "--export-passphrase-file",
        str(secret), "--yes",
    )  # fmt: skip
    assert unknown.code == 14 and not out.exists()


def test_import_refuses_a_wrong_passphrase_and_a_folder_in_use(cli: Cli, tmp_path: Path) -> None:
    secret = _setup(cli, tmp_path)
    out = tmp_path / "record.age"
    assert (
        cli("export", "--out", str(out), "--export-passphrase-file", str(secret), "--yes").code == 0
    )
    wrong = secret_file(tmp_path / "wrong", "some other long passphrase words\n")
    target = tmp_path / "new"
    bad = cli("--vault", str(target), "import", str(out), "--export-passphrase-file", str(wrong),
              "--kdf", "test-insecure")  # fmt: skip
    assert bad.code == 12 and "wrong export passphrase" in bad.stderr
    assert not target.exists()
    into_vault = cli("import", str(out), "--export-passphrase-file", str(secret))
    assert into_vault.code == 1 and "already exists" in into_vault.stderr


def test_in_a_terminal_the_export_passphrase_is_asked_twice_and_confirmed(
    cli: Cli, tmp_path: Path
) -> None:
    _setup(cli, tmp_path)
    out = tmp_path / "record.age"
    app = PtyApp([*cli.base_args(), "export", "--out", str(out), "--client", "C-00001"])
    try:
        app.wait_for_text(b"Export passphrase:")
        app.write(b"password123\r")
        app.wait_for_text(b"too easy to guess")
        assert app.wait_exit() == 2 and not out.exists()
    finally:
        app.close()
    # A second passphrase that differs from the first: refused, nothing written.
    app = PtyApp([*cli.base_args(), "export", "--out", str(out), "--client", "C-00001"])
    try:
        app.wait_for_text(b"Export passphrase:")
        app.write(EXPORT_PASSPHRASE.encode() + b"\r")
        app.wait_for_text(b"Repeat export passphrase:")
        app.write(b"harbor lantern tidal minor quartzz\r")
        app.wait_for_text(b"the two export passphrases differ")
        assert app.wait_exit() == 2 and not out.exists()
    finally:
        app.close()
    app = PtyApp([*cli.base_args(), "export", "--out", str(out), "--client", "C-00001"])
    try:
        app.wait_for_text(b"Export passphrase:")
        app.write(EXPORT_PASSPHRASE.encode() + b"\r")
        app.wait_for_text(b"Repeat export passphrase:")
        app.write(EXPORT_PASSPHRASE.encode() + b"\r")
        app.wait_for_text(b"[y/N]")
        assert b"Write the complete record of 1 client (no psychotherapy notes)" in app.output
        app.write(b"y\r")
        assert app.wait_exit() == 0, app.output
    finally:
        app.close()
    assert out.exists()
    entries = [
        json.loads(line)
        for line in cli("audit", "list", "--limit", "30", "--json").stdout.splitlines()
    ][-1]["data"]
    assert any(e["action"] == "export" and e["object_type"] == "vault_export" for e in entries)
