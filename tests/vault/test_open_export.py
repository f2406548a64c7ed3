"""The open export (issue 16 part 1): Debian's `age` opens it, a plain JSON Schema reader
validates every document, hostile text comes back literally, plaintext never reaches disk, and
an import gives back every record field by field, audited in the new vault."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import stat
import tarfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.support import disclosures as sample
from tests.support.age import age_decrypt, members, scrypt_log_n
from tests.support.cli import PASSPHRASE
from vault import (
    TEST_PRESET,
    AuthenticationError,
    DamagedFileError,
    SessionInfo,
    Vault,
    VaultExistsError,
)
from vault.attachments import Link
from vault.consult.summary import Consult
from vault.disclosures import ReleaseSpec, RequestType
from vault.openexport import export_record, import_export, read_export
from vault.openexport.parts import TABLES

EXPORT_PASSPHRASE = "harbor lantern tidal minor quartz"
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "export-schema-v1.json").read_text())
# Hostile text: markup, terminal escapes (colour, OSC 52 clipboard, title), bidi override,
# CJK, a line separator, a very long line.
HOSTILE = (
    "[bold red]x[/] \x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x1b]0;title\x07 "
    "\u202eevil\u202c 漢字かな \u2028 {{not a marker}} " + "long " * 4000
)


def _part(name: str) -> dict[str, Any]:
    """The schema of another document of the export: one of the schema's $defs."""
    return {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{name}"}


def _tables(db: Any, table: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.query(f"SELECT * FROM {table} ORDER BY 1, 2")]


@pytest.fixture
def practice(vault: Vault, tmp_path: Path) -> sample.Practice:
    """The disclosure tests' synthetic record plus every other kind of record an export holds."""
    built = sample.build(vault)
    vault.disclosures.set_practice(name="Example Practice [b]", paper="a4")
    vault.retention.add("de-psych", "Germany, 10 years", 10)
    vault.retention.set(built.client, "de-psych")
    vault.holds.place(built.client, "litigation expected")
    Consult(vault).add_person(built.client, "June Sampleton", "sister")
    pseudo = vault.clients.add("Legal Hidden-Name", pseudonym="Robin P.")
    vault.notes.late_entry(
        built.client, "soap", "2026-01-09", "power cut", body=HOSTILE, refers_to=built.plan_note
    )
    vault.notes.create(pseudo.id, "free", body=HOSTILE, session=SessionInfo("2026-02-02"))
    auth = vault.disclosures.authorizations.add(
        built.client,
        kind="general",
        description="progress notes",
        discloser="Dr. Example",
        recipient_name="Dr. Birch",
        purpose="continuity of care",
        signed_on="2026-01-06",
        expires_on="2027-01-06",
    )
    plan = vault.disclosures.prepare(
        ReleaseSpec(
            built.client,
            RequestType.CLIENT_AUTHORIZATION,
            "Dr. Birch",
            "continuity of care",
            authorization_id=auth.id,
        )
    )
    vault.disclosures.write(plan, tmp_path / "release.md")
    return built


def _export(vault: Vault, out: Path, **kw: Any) -> None:
    export_record(vault, out, EXPORT_PASSPHRASE, passphrase=PASSPHRASE, **kw)


def test_debian_age_opens_the_export_and_every_document_validates(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    out = tmp_path / "record.age"
    _export(vault, out, include_pnotes=True)
    assert out.read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # a copy of the record: private
    # README: scrypt "about a second" on a current machine. log N 18 is age's floor for
    # that; a lower cost would make a stolen export cheap to guess.
    assert scrypt_log_n(out.read_bytes()) >= 18
    code, said = age_decrypt(out, tmp_path / "record.tar", EXPORT_PASSPHRASE)
    assert code == 0, said
    files = members((tmp_path / "record.tar").read_bytes())
    manifest = json.loads(files["confide-export/manifest.json"])
    jsonschema.validate(manifest, _part("manifest"))
    for name, facts in manifest["files"].items():
        assert hashlib.sha256(files[f"confide-export/{name}"]).hexdigest() == facts["sha256"]
    clients = manifest["clients"]
    assert len(clients) == 4
    for record_id in clients:
        doc = json.loads(files[f"confide-export/clients/{record_id}/record.json"])
        jsonschema.validate(doc, SCHEMA)  # the top level is a client's record
        pn = json.loads(files[f"confide-export/psychotherapy-notes/{record_id}.json"])
        jsonschema.validate(pn, _part("psychotherapy_notes"))
        assert files[f"confide-export/clients/{record_id}/record.pdf"].startswith(b"%PDF-")
    for name, part in (("practice.json", "practice"), ("audit-log.json", "audit_log")):
        jsonschema.validate(json.loads(files[f"confide-export/{name}"]), _part(part))
    # The shipped schema is the one docs/ shows, and the archive carries it.
    assert json.loads(files["confide-export/schema/export-schema-v1.json"]) == SCHEMA
    # A wrong passphrase: age refuses, nothing is written.
    code, _ = age_decrypt(out, tmp_path / "wrong.tar", "not the passphrase at all")
    assert code != 0
    assert not (tmp_path / "wrong.tar").exists() or (tmp_path / "wrong.tar").stat().st_size == 0


def test_the_audit_chain_in_the_export_can_be_rechecked_without_confide(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    out = tmp_path / "record.age"
    _export(vault, out)
    export = read_export(out, EXPORT_PASSPHRASE)
    assert export.clients
    import pyrage

    files = members(pyrage.passphrase.decrypt(out.read_bytes(), EXPORT_PASSPHRASE))
    log = json.loads(files["confide-export/audit-log.json"])
    prev = log["chain"]["genesis"]
    for e in log["entries"]:
        canonical = json.dumps(
            [prev, e["seq"], e["at"], e["action"], e["object_type"], e["object_id"], e["detail"]],
            separators=(",", ":"),
            ensure_ascii=True,
        )
        assert hashlib.sha256(canonical.encode()).hexdigest() == e["hash"], e["seq"]
        prev = e["hash"]
    assert len(log["entries"]) > 20


def test_hostile_text_round_trips_literally_and_renders_escaped(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    import pyrage

    out = tmp_path / "record.age"
    _export(vault, out)
    files = members(pyrage.passphrase.decrypt(out.read_bytes(), EXPORT_PASSPHRASE))
    rid = f"C-{practice.client:05d}"
    doc = json.loads(files[f"confide-export/clients/{rid}/record.json"])
    assert any(n["body"] == HOSTILE for n in doc["notes"])  # byte for byte in the JSON
    markdown = files[f"confide-export/clients/{rid}/record.md"].decode()
    assert "\x1b" not in markdown and "\x07" not in markdown and "\u202e" not in markdown
    assert "\\x1b]52;c;ZXZpbA==" in markdown  # shown, not obeyed
    assert "[bold red]x[/]" in markdown and "漢字かな" in markdown


def test_plaintext_never_touches_disk(
    vault: Vault, practice: sample.Practice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: search every file under the test folder (the export's folder, and TMPDIR,
    pointed inside it: where a careless tool would stage its tar) for record text after the
    export."""
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    assert tempfile.gettempdir() == str(temp)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    _export(vault, out_dir / "record.age", include_pnotes=True)
    new = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert [p.name for p in new if p.parent == out_dir] == ["record.age"]
    assert list(temp.rglob("*")) == []
    for marker in (sample.VISIBLE, sample.PNOTE_MARKER, "June Sampleton", '"format"'):
        for path in new:
            if path.parent.name != "vault":  # the vault's own (encrypted) files changed too
                assert marker.encode() not in path.read_bytes(), (marker, path)


def test_round_trip_gives_back_every_record_field_by_field(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    out = tmp_path / "record.age"
    vault.custodian.set_contact(practice.client, "12 Harbor Road\nSpringfield")  # migration 15
    _export(vault, out, include_pnotes=True)
    old_notes = [
        vault.notes.get_unaudited(int(r[0])) for r in vault.db.query("SELECT id FROM notes")
    ]
    old_clients = [vault.clients.get_unaudited(i) for i in vault.clients.ids()]
    old_rows = {t: _tables(vault.db, t) for t in (*TABLES, "retention_policies") if t != "exports"}
    old_names = vault.reveal_legal_names(vault.clients.ids(), PASSPHRASE)
    area = vault.open_psychotherapy_notes(PASSPHRASE)
    old_pnotes = area.for_export(vault.clients.ids())
    area.lock()
    old_practice = vault.disclosures.practice()
    vault.lock()

    target = tmp_path / "imported"
    new, recovery_key, summary = import_export(
        read_export(out, EXPORT_PASSPHRASE), target, "a brand new passphrase here", TEST_PRESET
    )
    try:
        assert recovery_key and summary.notes == len(old_notes) and summary.pnotes == 1
        # Notes: text, spans (with whose passage), session data, status, signatures' times,
        # addenda and late-entry links, participants, whole-note flags: dataclass equality.
        assert [new.notes.get_unaudited(n.id) for n in old_notes] == old_notes
        assert [new.clients.get_unaudited(c.id) for c in old_clients] == old_clients
        assert new.reveal_legal_names(new.clients.ids(), "a brand new passphrase here") == (
            old_names
        )
        assert old_names  # the pseudonym's legal name, re-sealed for the new vault
        for table, rows in old_rows.items():
            assert _tables(new.db, table) == rows, table
        area = new.open_psychotherapy_notes("a brand new passphrase here")
        assert area.for_export(new.clients.ids()) == old_pnotes
        area.lock()
        assert new.disclosures.practice() == old_practice
        # Search works in the new vault, and privacy mode still hides flagged text.
        assert new.search(sample.VISIBLE)
        flagged = sample.CATEGORY_MARKERS[next(iter(sample.CATEGORY_MARKERS))]
        assert new.search(flagged) and not new.search(flagged, include_flagged=False)
        # The import is audited in the new vault, and the chain is intact.
        entries = new.audit.entries(limit=50)
        imported = [e for e in entries if e.action == "import"]
        assert len(imported) == 1
        assert imported[0].detail["notes"] == len(old_notes)
        assert imported[0].detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
        assert new.audit.verify().status == "intact"
        # Ids are never handed out twice: a new note after the import gets a fresh one.
        fresh = new.notes.create(practice.client, "free", body="after the import")
        assert fresh.id > max(n.id for n in old_notes)
    finally:
        new.lock()


def test_an_import_keeps_the_copies_outside_and_lists_itself_at_a_later_disposal(
    vault: Vault, tmp_path: Path
) -> None:
    """The attack (review M2): move a practice by export and import, then dispose of a client
    in the new vault. The export file and a letter saved before still hold the client: the
    certificate lists both. The numbers of clients disposed of before are not handed out
    again in the new vault."""
    from tests.support.disposal import make_practice
    from vault.retention.certificate import render_text
    from vault.retention.exports import PRESENT

    ids = make_practice(vault)
    old = vault.clients.add("Olin Pastdue", last_service_date="2001-03-03")
    vault.disposal.dispose(PASSPHRASE, [old.id], ["Olin Pastdue"])
    letter = vault.custodian.write_letter(ids["gone"], tmp_path / "letter.txt")
    out = tmp_path / "record.age"
    _export(vault, out)
    vault.lock()
    import pyrage

    # The earlier disposal's certificate travels in the export, as data and as text.
    names = members(pyrage.passphrase.decrypt(out.read_bytes(), EXPORT_PASSPHRASE))
    certificates = sorted(n for n in names if n.startswith("confide-export/certificates/"))
    assert [Path(n).suffix for n in certificates] == [".json", ".txt"]
    assert b"C-" in names[certificates[1]] and b"Olin" not in names[certificates[1]]
    new, _, _ = import_export(
        read_export(out, EXPORT_PASSPHRASE), tmp_path / "new", PASSPHRASE, TEST_PRESET
    )
    try:
        rows = {
            (str(r[0]), int(r[1]), str(r[2]))
            for r in new.db.query("SELECT kind, client_id, path FROM exports")
        }
        assert ("custodian_letter", ids["gone"], str(letter)) in rows
        assert {("open_export", cid, str(out)) for cid in ids.values()} <= rows
        assert new.clients.add("Newcomer Person").id > old.id
        result = new.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
        (record,) = result.certificate.records
        assert {(o.kind, o.copy) for o in record.outside} >= {
            ("open_export", PRESENT),
            ("custodian_letter", PRESENT),
        }
        text = render_text(result.certificate)
        assert "open export of" in text and "custodian's notification letter of" in text
    finally:
        new.lock()


def test_a_chosen_client_only_and_no_psychotherapy_notes_unless_asked(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    out = tmp_path / "one.age"
    _export(vault, out, client_ids=[practice.client])
    export = read_export(out, EXPORT_PASSPHRASE)
    assert export.manifest["clients"] == [f"C-{practice.client:05d}"]
    assert export.manifest["psychotherapy_notes"] is False and export.pnotes == []
    import pyrage

    names = members(pyrage.passphrase.decrypt(out.read_bytes(), EXPORT_PASSPHRASE))
    assert not any("psychotherapy-notes" in n for n in names)
    assert not any(sample.PNOTE_MARKER.encode() in data for data in names.values())
    # A joint note names a participant outside the export: the import keeps the note.
    new, _, summary = import_export(export, tmp_path / "new", PASSPHRASE, TEST_PRESET)
    try:
        joint = new.notes.get_unaudited(practice.joint_note)
        assert joint.participant_ids == (practice.client,)
    finally:
        new.lock()


def test_the_export_is_recorded_as_a_copy_outside_the_vault_and_audited(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    from vault.retention.exports import PRESENT, outside_copies

    out = tmp_path / "record.age"
    _export(vault, out)
    rows = vault.db.query("SELECT client_id, path, size FROM exports WHERE kind = 'open_export'")
    assert sorted(int(r[0]) for r in rows) == sorted(vault.clients.ids())
    assert {r[1] for r in rows} == {str(out)} and {int(r[2]) for r in rows} == {out.stat().st_size}
    copies = outside_copies(vault, [practice.client])[practice.client]
    mine = [c for c in copies if c.kind == "open_export"]
    assert len(mine) == 1 and mine[0].copy == PRESENT
    assert mine[0].describe().startswith("open export of ")
    exports = [
        e
        for e in vault.audit.entries(limit=20)
        if e.action == "export" and e.object_type == "vault_export"
    ]
    entry = exports[0]  # newest first: the whole export's entry, after one per client
    assert entry.object_type == "vault_export" and entry.detail["clients"] == 4
    assert sorted(e.detail["client"] for e in exports[1:]) == sorted(vault.clients.ids())
    # The audit log holds counts, never text.
    assert sample.VISIBLE not in json.dumps(entry.detail)


def test_bad_inputs_are_refused_and_leave_nothing(
    vault: Vault, practice: sample.Practice, tmp_path: Path
) -> None:
    from vault import UsageError

    out = tmp_path / "record.age"
    with pytest.raises(UsageError, match="export passphrase is too easy"):
        export_record(vault, out, "password123", passphrase=PASSPHRASE)
    with pytest.raises(AuthenticationError):
        export_record(vault, out, EXPORT_PASSPHRASE, passphrase="not the vault passphrase")
    assert not out.exists()
    _export(vault, out)
    with pytest.raises(UsageError, match="already exists"):
        _export(vault, out)
    with pytest.raises(AuthenticationError, match="wrong export passphrase"):
        read_export(out, "not the export passphrase")
    damaged = tmp_path / "damaged.age"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises((DamagedFileError, AuthenticationError)):
        read_export(damaged, EXPORT_PASSPHRASE)
    (tmp_path / "plain.txt").write_text("not an export")
    with pytest.raises(DamagedFileError, match="not an age-encrypted"):
        read_export(tmp_path / "plain.txt", EXPORT_PASSPHRASE)
    # An import never writes into a folder that is not empty, and leaves it as it was.
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(VaultExistsError):
        import_export(read_export(out, EXPORT_PASSPHRASE), busy, PASSPHRASE, TEST_PRESET)
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]


def test_a_refused_import_removes_the_vault_it_began(vault: Vault, tmp_path: Path) -> None:
    client = vault.clients.add("Ada Quist")
    vault.notes.create(client.id, "free", body="hello")
    out = tmp_path / "record.age"
    _export(vault, out)
    export = read_export(out, EXPORT_PASSPHRASE)
    export.clients[0]["notes"][0]["spans"] = [{"start": 3, "end": 99, "category": "legal"}]
    target = tmp_path / "new"
    with pytest.raises(DamagedFileError, match="could not be restored"):
        import_export(export, target, PASSPHRASE, TEST_PRESET)
    assert not target.exists()


def test_the_schema_and_the_export_name_every_column_the_database_has(vault: Vault) -> None:
    """A column added to a client table without the export (and the schema) fails here."""
    for table, columns in TABLES.items():
        actual = {str(r[1]) for r in vault.db.query(f"PRAGMA table_info({table})")}
        assert actual - {"client_id"} == set(columns), table
        assert set(SCHEMA["$defs"][table]["properties"]) == set(columns), table
    notes = {str(r[1]) for r in vault.db.query("PRAGMA table_info(notes)")}
    note_fields = set(SCHEMA["$defs"]["note"]["properties"]) | set(
        SCHEMA["$defs"]["note"]["properties"]["session"]["properties"]
    )
    assert notes - {"client_id"} <= note_fields
    clients = {str(r[1]) for r in vault.db.query("PRAGMA table_info(clients)")}
    assert clients - {"legal_name_sealed"} <= set(SCHEMA["properties"]["client"]["properties"])


def test_migration_14_keeps_every_recorded_copy(vault: Vault, tmp_path: Path) -> None:
    """A vault from before migration 14 (exports' old CHECK, a release recorded) upgrades at
    unlock with its rows as they were, and then accepts open exports."""
    folder = vault.folder
    client = vault.clients.add("Ada Quist")
    db = vault.db
    with db.atomic():
        db.execute("DROP TABLE exports")
        db.execute(
            "CREATE TABLE exports (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN "
            "('release', 'accounting', 'certificate')), client_id INTEGER REFERENCES "
            "clients(id) ON DELETE CASCADE, disclosure_id INTEGER, path TEXT NOT NULL, "
            "sha256 TEXT NOT NULL, size INTEGER NOT NULL, written_at TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO exports VALUES (5, 'release', ?, 3, '/x/r.txt', 'ab', 12, 't')",
            (client.id,),
        )
        db.execute("DELETE FROM schema_migrations WHERE version = 14")
    vault.lock()
    again = Vault.unlock(folder, PASSPHRASE)
    try:
        assert [tuple(r) for r in again.db.query("SELECT * FROM exports")] == [
            (5, "release", client.id, 3, "/x/r.txt", "ab", 12, "t")
        ]
        _export(again, tmp_path / "after.age")
        kinds = [str(r[0]) for r in again.db.query("SELECT kind FROM exports ORDER BY id")]
        assert kinds == ["release", "open_export"]
    finally:
        again.lock()


def test_an_import_refuses_a_file_changed_inside_the_archive(vault: Vault, tmp_path: Path) -> None:
    """The attack: someone with the export passphrase edits a note in record.json and
    re-encrypts the archive. The manifest's digest no longer matches: refused. (Rewriting the
    manifest too is not caught: the export is not signed, as the README says.)"""
    import pyrage

    client = vault.clients.add("Ada Quist")
    vault.notes.sign(vault.notes.create(client.id, "free", body="the original text").id)
    out = tmp_path / "record.age"
    _export(vault, out)
    files = members(pyrage.passphrase.decrypt(out.read_bytes(), EXPORT_PASSPHRASE))
    name = "confide-export/clients/C-00001/record.json"
    files[name] = files[name].replace(b"the original text", b"a forged text here")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    forged = tmp_path / "forged.age"
    forged.write_bytes(pyrage.passphrase.encrypt(buffer.getvalue(), EXPORT_PASSPHRASE))
    with pytest.raises(DamagedFileError, match="does not match its manifest"):
        read_export(forged, EXPORT_PASSPHRASE)


def test_access_notice_and_attachment_records_travel_and_come_back(
    vault: Vault, tmp_path: Path
) -> None:
    """The records added beside the notes (right of access, confidentiality notice, scanned
    forms) are in the export and come back on import: the scanned forms byte for byte, with
    every detail (kind, link to the notice they sign, name, times, an entered-in-error mark)."""
    from tests.support.attachments import fake_pdf, write

    built = sample.build(vault)
    access = vault.disclosures.access
    rep = access.add_representative(built.client, "Pat Sampleton", "guardian", "court order")
    access.add_minor_service(
        built.client, "substance use counseling", "minor-consented", "2026-01-01"
    )
    request = access.request(built.client, representative_id=rep.id, received_on="2026-02-01")
    access.deny(
        built.client, built.plan_note, "endangerment", "risk assessed", request_id=request.id
    )
    notices = vault.disclosures.notices
    notices.save_template(notices.template().text + "\n\n## Fees\nMissed sessions are charged.")
    notices.give(built.client, "2026-02-02", acknowledged_on="2026-02-03")
    scan = fake_pdf("zqexportscanmarker")
    form = vault.attachments.add(write(tmp_path / "intake.pdf", scan), built.client, "intake")
    # Larger than one stored chunk (1 MiB), so the import's chunking is exercised too.
    big = fake_pdf("zqexportbigscan", size=(1 << 20) + 5000)
    notice = notices.given(built.client)[0]
    link = Link("consent_notice", notice.id)
    signed = vault.attachments.add(
        write(tmp_path / "signed.pdf", big), built.client, "consent", link
    )
    wrong = vault.attachments.add(write(tmp_path / "wrong.pdf", fake_pdf("zqwrong")), built.client)
    vault.attachments.mark_entered_in_error(wrong.id, "scanned into the wrong record")
    old_forms = [
        (vault.attachments.get_unaudited(a.id), b"".join(vault.attachments.chunks_unaudited(a.id)))
        for a in (form, signed, wrong)
    ]
    out = tmp_path / "record.age"
    _export(vault, out)

    export = read_export(out, EXPORT_PASSPHRASE)
    (doc,) = [d for d in export.clients if d["client"]["id"] == built.client]
    jsonschema.validate(doc, SCHEMA)
    assert [r["name"] for r in doc["client_representatives"]] == ["Pat Sampleton"]
    assert [d["ground"] for d in doc["access_denials"]] == ["endangerment"]
    assert [n["template_version"] for n in doc["consent_notices"]] == [2]
    assert [a["sha256"] for a in doc["attachments"]] == [
        hashlib.sha256(data).hexdigest() for _, data in old_forms
    ]
    jsonschema.validate(export.practice, _part("practice"))
    assert [t["version"] for t in export.practice["notice_templates"]] == [1, 2]
    from vault.openexport.container import decrypt

    files = members(decrypt(out.read_bytes(), EXPORT_PASSPHRASE))
    assert files[
        f"confide-export/clients/C-{built.client:05d}/attachments/F-{form.id:05d}.pdf"
    ] == (scan)

    restored = ("client_representatives", "minor_services", "access_requests", "access_denials")
    old_rows = {t: _tables(vault.db, t) for t in (*restored, "consent_notices", "attachments")}
    # Version 1 is the built-in text every vault starts with (dated by the new vault).
    versions = "SELECT version, text FROM notice_templates ORDER BY version"
    old_versions = [tuple(r) for r in vault.db.query(versions)]
    vault.lock()
    # A form whose content is missing from the export (or is not the file its row describes):
    # refused, no vault left behind.
    for broken in (
        dataclasses.replace(export, attachments={}),
        dataclasses.replace(
            export, attachments={k: v + b"x" for k, v in export.attachments.items()}
        ),
    ):
        with pytest.raises(DamagedFileError, match="F-0000"):
            import_export(broken, tmp_path / "broken", "a brand new passphrase", TEST_PRESET)
        assert not (tmp_path / "broken").exists()
    new, _key, summary = import_export(
        export, tmp_path / "new", "a brand new passphrase", TEST_PRESET
    )
    try:
        for table, rows in old_rows.items():
            assert _tables(new.db, table) == rows, table
        assert [tuple(r) for r in new.db.query(versions)] == old_versions
        assert summary.attachments == 3
        for old, data in old_forms:
            assert new.attachments.get_unaudited(old.id) == old
            assert b"".join(new.attachments.chunks_unaudited(old.id)) == data
        assert new.attachments.get_unaudited(wrong.id).entered_in_error
        imported = [e for e in new.audit.entries(limit=20) if e.action == "import"]
        assert imported[0].detail["attachments"] == 3
    finally:
        new.lock()
