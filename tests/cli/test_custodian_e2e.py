"""The records custodian end to end from the command line (issue 16 Done-when, review 16 H3):
the custodian's own export opened by Debian's `age` and imported into a new vault; the
designation's audit trail; letters to the legal name, with a warning when there is no address."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jsonschema
import pypdf

from tests.support.age import age_decrypt, members, scrypt_log_n
from tests.support.cli import PASSPHRASE, Cli, secret_file
from vault import Vault

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "export-schema-v1.json").read_text())


def _designate(cli: Cli, tmp_path: Path) -> Path:
    result = cli(
        "--json",
        "custodian",
        "designate",
        "--name",
        "Dr. Kim Birch",
        "--role",
        "Licensed psychologist",
        "--contact",
        "kim.birch@example.org",
    )
    assert result.code == 0, result.stderr
    return secret_file(tmp_path / "custodian.key", str(result.data["custodian_key"]) + "\n")


def _audit(cli: Cli) -> list[dict[str, object]]:
    entries = cli("--json", "audit", "list", "--limit", "500").data
    assert isinstance(entries, list)
    return entries


def test_custodian_exports_age_opens_it_and_an_import_reads_it(cli: Cli, tmp_path: Path) -> None:
    """The custodian's export: 0600 age file, opened by Debian's age, the manifest and the
    record naming the custodian as exporter; imported into a new vault with every note; the
    psychotherapy notes refused (exit 17, nothing written) as they were not granted."""
    cli.init()
    assert cli("client", "add", "Ada Quist", "--last-service", "2026-01-05").code == 0
    added = cli("note", "add", "C-00001", "--body", "zqcustodianexport sleep is poor", "--sign")
    assert added.code == 0, added.stderr
    as_custodian = ("--custodian-key-file", str(_designate(cli, tmp_path)))
    secret = secret_file(tmp_path / "export-pass", EXPORT_PASSPHRASE + "\n")
    export = ("--export-passphrase-file", str(secret), "--yes")

    refused_out = tmp_path / "with-pnotes.age"
    refused = cli(
        *as_custodian, "export", "--out", str(refused_out), "--include-psychotherapy-notes", *export
    )
    assert refused.code == 17, refused.stderr
    assert "psychotherapy notes" in refused.stderr and "Traceback" not in refused.stderr
    assert not refused_out.exists() and list(tmp_path.glob("with-pnotes*")) == []

    out = tmp_path / "custodian.age"
    made = cli(*as_custodian, "export", "--out", str(out), *export)
    assert made.code == 0, made.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert scrypt_log_n(out.read_bytes()) >= 18
    code, said = age_decrypt(out, tmp_path / "custodian.tar", EXPORT_PASSPHRASE)
    assert code == 0, said
    files = members((tmp_path / "custodian.tar").read_bytes())
    manifest = json.loads(files["confide-export/manifest.json"])
    jsonschema.validate(
        manifest,
        {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": "#/$defs/manifest"},
    )
    assert manifest["exported_by"] == {"role": "custodian", "name": "Dr. Kim Birch", "serial": 1}
    assert manifest["psychotherapy_notes"] is False
    assert not any(name.startswith("confide-export/psychotherapy-notes") for name in files)
    # Markdown escapes punctuation (`Dr\.`, `\(`): read it as a person does.
    markdown = files["confide-export/clients/C-00001/record.md"].decode().replace("\\", "")
    assert "exported by the records custodian Dr. Kim Birch (custodian key 1)" in markdown
    assert "exported by the clinician" not in markdown
    assert "Practice name not set" not in markdown  # the custodian cannot set it
    assert "zqcustodianexport sleep is poor" in markdown
    exports = [e for e in _audit(cli) if e["object_type"] == "vault_export"]
    assert exports and {e["detail"]["actor"] for e in exports} == {"custodian:1"}  # type: ignore[index]

    new = tmp_path / "new"
    imported = cli(
        "--vault", str(new), "import", str(out), "--export-passphrase-file", str(secret),
        "--kdf", "test-insecure", "--json",
    )  # fmt: skip
    assert imported.code == 0, imported.stderr
    with Vault.unlock(new, PASSPHRASE) as vault:
        note = vault.notes.get(1)
        assert note.body == "zqcustodianexport sleep is poor" and note.is_signed
        (entry,) = [e for e in vault.audit.entries(limit=50) if e.action == "import"]
        assert entry.detail["exported_by"] == "custodian"
        assert entry.detail["exported_by_serial"] == 1
        # The export file holds the client: the new vault knows it as a copy outside (M2).
        copies = vault.db.query("SELECT kind, client_id, path, sha256 FROM exports")
        import hashlib

        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        assert [tuple(r) for r in copies] == [("open_export", 1, str(out), digest)]


def test_designating_reissuing_and_revoking_are_audited(cli: Cli, tmp_path: Path) -> None:
    """Each step of the custodian's key is in the audit log, by the clinician, in order."""
    cli.init()
    _designate(cli, tmp_path)
    assert cli("custodian", "reissue").code == 0
    assert cli("custodian", "revoke", "--yes").code == 0
    events = [
        (e["detail"].get("event"), e["object_id"])  # type: ignore[union-attr]
        for e in reversed(_audit(cli))
        if e["object_type"] == "custodian" and e["action"] == "custodian"
    ]
    assert events == [("designated", "1"), ("reissued", "2"), ("revoked", "2")]


def test_a_letter_goes_to_the_legal_name_and_warns_when_there_is_no_address(
    cli: Cli, tmp_path: Path
) -> None:
    """A sealed-name client's letter: the legal name on it (opened with the key, audited as a
    reveal), no 'Practice name not set' letterhead, a warning that there is no contact."""
    cli.init()
    added = cli("client", "add", "Ottoline Vexmoor", "--pseudonym", "Robin P.")
    assert added.code == 0, added.stderr
    as_custodian = ("--custodian-key-file", str(_designate(cli, tmp_path)))
    out = tmp_path / "letter.pdf"
    letter = cli(*as_custodian, "custodian", "letter", "C-00001", "--out", str(out), "--yes")
    assert letter.code == 0, letter.stderr
    warnings = [line for line in letter.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        "Warning: C-00001 has no contact details: the letter carries no address. Set them "
        "with `confide custodian contact C-00001 --set ...`."
    ]
    text = "".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    assert "Dear Ottoline Vexmoor" in text and "Robin P." not in text
    assert "Practice name not set" not in text
    reveals = [e for e in _audit(cli) if e["action"] == "reveal" and e["object_id"] == "1"]
    assert [e["detail"].get("actor") for e in reveals] == ["custodian:1"]  # type: ignore[union-attr]

    assert cli("custodian", "contact", "C-00001", "--set", "12 Harbor Road").code == 0
    again = cli(
        *as_custodian, "--json", "custodian", "letter", "C-00001", "--out",
        str(tmp_path / "second.pdf"), "--yes",
    )  # fmt: skip
    assert again.code == 0 and again.data["warnings"] == []


def test_a_template_with_a_format_spec_is_refused(cli: Cli, tmp_path: Path) -> None:
    """`{client:>999999999}` would pad a letter to a gigabyte: refused, nothing saved."""
    cli.init()
    template = tmp_path / "template.txt"
    for bad in ("Dear {client:>999999999},", "Dear {client!r},"):
        template.write_text(bad)
        saved = cli("custodian", "template", "--file", str(template))
        assert saved.code == 2, saved.stderr
        assert "without ':' or '!'" in saved.stderr and "Traceback" not in saved.stderr
    shown = cli("--json", "custodian", "template").data
    assert shown["version"] == 1


def test_the_custodian_key_does_not_restore_a_backup_and_says_so(cli: Cli, tmp_path: Path) -> None:
    """`--custodian restore`: refused by name (exit 17), not as a wrong passphrase; nothing made."""
    cli.init()
    assert cli("client", "add", "Ada Quist").code == 0
    as_custodian = ("--custodian-key-file", str(_designate(cli, tmp_path)))
    drive = tmp_path / "drive"
    drive.mkdir()
    assert cli("backup", "drive", "add", str(drive), "--label", "blue stick").code == 0
    assert cli("backup", "run").code == 0
    [archive] = drive.rglob("*.cfbk")
    restored = tmp_path / "restored"
    refused = cli("--vault", str(restored), *as_custodian, "restore", str(archive))
    assert refused.code == 17, refused.stderr
    assert "not the custodian key" in refused.stderr and "wrong passphrase" not in refused.stderr
    assert not restored.exists()
