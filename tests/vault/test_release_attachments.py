"""Scanned forms in releases to third parties (issue 18): none unless chosen, by id or by kind,
only the client's own and only those still part of the record; the PDF carries each byte for
byte and lists it; the accounting records exactly which left; a text release is refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.attachments import fake_pdf, fake_png, write
from tests.support.disclosures import PASSPHRASE, signed
from vault import DisclosureRefusedError, UsageError, Vault
from vault.attachments import AttachmentKind
from vault.disclosures import ReleaseSpec, RequestType


def _auth(vault: Vault, client: int) -> int:
    return vault.disclosures.authorizations.add(
        client,
        kind="general",
        description="progress notes and the intake form",
        discloser="Dr. Able",
        recipient_name="Dr. Birch",
        purpose="continuity of care",
        signed_on="2026-01-01",
        expires_on="2099-01-01",
    ).id


def _spec(client: int, auth: int, **kw: object) -> ReleaseSpec:
    return ReleaseSpec(
        client_id=client,
        request_type=RequestType.CLIENT_AUTHORIZATION,
        recipient_name="Dr. Birch",
        purpose="continuity of care",
        authorization_id=auth,
        **kw,  # type: ignore[arg-type]
    )


def _detach(pdf: Path, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(folder), str(pdf)], check=True)
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture
def client_with_forms(vault: Vault, tmp_path: Path) -> tuple[int, int, dict[str, int], bytes]:
    client = vault.clients.add("Rowan Sampleton").id
    signed(vault, client, "soap", "Session went well.", "2026-03-01")
    scan = fake_pdf("zqreleaseintakemarker")
    ids = {
        "intake": vault.attachments.add(write(tmp_path / "intake.pdf", scan), client, "intake").id,
        "consent": vault.attachments.add(
            write(tmp_path / "consent.png", fake_png()), client, "consent"
        ).id,
    }
    return client, _auth(vault, client), ids, scan


def test_no_file_leaves_unless_chosen(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, ids, _ = client_with_forms
    plan = vault.disclosures.prepare(_spec(client, auth))
    assert plan.attachments == () and plan.document.files == ()
    assert f"F-{ids['intake']:05d}" not in plan.preview
    out = tmp_path / "release.pdf"
    record = vault.disclosures.write(plan, out)
    assert record.attachment_ids == ()
    listing = subprocess.run(
        ["pdfdetach", "-list", str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert "0 embedded files" in listing


def test_a_chosen_form_travels_byte_for_byte_and_is_accounted(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, ids, scan = client_with_forms
    intake = vault.attachments.get_unaudited(ids["intake"])
    plan = vault.disclosures.prepare(_spec(client, auth, attachment_ids=(intake.id,)))
    text = plan.preview
    # Listed in the contents: the name it travels under, kind, size and digest.
    assert f"{intake.record_id}: intake form (scanned)" in text
    assert f"File: {intake.record_id}.pdf" in text and f"{intake.size:,} bytes" in text
    assert intake.sha256 in text
    assert f"F-{ids['consent']:05d}" not in text  # not chosen: not sent
    assert "intake.pdf" not in text  # the scanner's own file name stays in the vault
    # The authorization names document kinds, never forms: the clinician is told to check.
    assert any("names no scanned forms" in w for w in plan.warnings)
    out = tmp_path / "release.pdf"
    record = vault.disclosures.write(plan, out)
    assert _detach(out, tmp_path / "files") == {f"{intake.record_id}.pdf": scan}
    assert record.attachment_ids == (intake.id,)
    assert vault.disclosures.get(record.id).attachment_ids == (intake.id,)
    # The accounting (all entries: an authorized release is not accountable) names the form.
    entries = vault.disclosures.accounting(client, include_all=True)
    document = vault.disclosures.accounting_document(client, entries, include_all=True)
    assert f"1 scanned form: {intake.record_id} (intake)" in document.text()
    # The audit entry counts the files that left (identifiers and counts, never a name).
    row = vault.db.one(
        "SELECT * FROM audit_log WHERE action = 'export' AND object_type = 'disclosure' "
        "ORDER BY seq DESC LIMIT 1"
    )
    assert row is not None and json.loads(str(row["detail"]))["attachments"] == 1
    assert "intake.pdf" not in str(row["detail"])


def test_chosen_by_kind_and_by_all(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, ids, _ = client_with_forms
    plan = vault.disclosures.prepare(
        _spec(client, auth, attachment_kinds=(AttachmentKind.CONSENT,))
    )
    assert [a.id for a in plan.attachments] == [ids["consent"]]
    every = vault.disclosures.prepare(_spec(client, auth, attachment_kinds=tuple(AttachmentKind)))
    assert [a.id for a in every.attachments] == [ids["intake"], ids["consent"]]
    with pytest.raises(UsageError, match="no scanned forms filed as amendment"):
        vault.disclosures.prepare(_spec(client, auth, attachment_kinds=(AttachmentKind.AMENDMENT,)))


def test_another_clients_form_is_refused(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, _, _ = client_with_forms
    other = vault.clients.add("Ivo Unrelated").id
    theirs = vault.attachments.add(write(tmp_path / "theirs.pdf", fake_pdf("zqx")), other, "intake")
    before = vault.db.scalar("SELECT count(*) FROM disclosures")
    with pytest.raises(UsageError, match=rf"F-{theirs.id:05d} is not in C-{client:05d}'s record"):
        vault.disclosures.prepare(_spec(client, auth, attachment_ids=(theirs.id,)))
    assert vault.db.scalar("SELECT count(*) FROM disclosures") == before


def test_an_entered_in_error_form_does_not_leave(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, ids, _ = client_with_forms
    vault.attachments.mark_entered_in_error(ids["consent"], "another client's scan")
    with pytest.raises(UsageError, match="entered in error"):
        vault.disclosures.prepare(_spec(client, auth, attachment_ids=(ids["consent"],)))
    by_kind = vault.disclosures.prepare(_spec(client, auth, attachment_kinds=tuple(AttachmentKind)))
    assert [a.id for a in by_kind.attachments] == [ids["intake"]]


def test_a_text_release_with_a_form_is_refused(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, ids, _ = client_with_forms
    plan = vault.disclosures.prepare(_spec(client, auth, attachment_ids=(ids["intake"],)))
    for name in ("release.txt", "release.md"):
        out = tmp_path / name
        with pytest.raises(UsageError, match="travel inside a PDF"):
            vault.disclosures.write(plan, out)
        assert not out.exists()
    assert vault.db.scalar("SELECT count(*) FROM disclosures") == 0


def test_minimum_necessary_chooses_forms_one_by_one(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, _, ids, _ = client_with_forms
    note = int(vault.db.scalar("SELECT min(id) FROM notes"))
    spec = ReleaseSpec(
        client_id=client,
        request_type=RequestType.DUTY_TO_WARN,
        recipient_name="County police",
        purpose="imminent threat",
        note_ids=(note,),
        attachment_kinds=(AttachmentKind.INTAKE,),
    )
    with pytest.raises(DisclosureRefusedError, match="one by one"):
        vault.disclosures.prepare(spec)
    plan = vault.disclosures.prepare(
        ReleaseSpec(
            client_id=client,
            request_type=RequestType.DUTY_TO_WARN,
            recipient_name="County police",
            purpose="imminent threat",
            note_ids=(note,),
            attachment_ids=(ids["intake"],),
        )
    )
    assert [a.id for a in plan.attachments] == [ids["intake"]]


def test_a_clients_copy_takes_no_choice(
    vault: Vault, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, _, ids, _ = client_with_forms
    from dataclasses import replace

    spec = replace(vault.disclosures.access_spec(client), attachment_ids=(ids["intake"],))
    with pytest.raises(UsageError, match="holds all their scanned forms"):
        vault.disclosures.prepare(spec)
    # The copy itself still records every form it carried.
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(client))
    assert sorted(a.id for a in plan.attachments) == sorted(ids.values())


def test_the_disclosure_row_lists_ids_as_json(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    client, auth, ids, _ = client_with_forms
    plan = vault.disclosures.prepare(_spec(client, auth, attachment_ids=(ids["consent"],)))
    record = vault.disclosures.write(plan, tmp_path / "r.pdf")
    raw = vault.db.scalar("SELECT attachment_ids FROM disclosures WHERE id = ?", (record.id,))
    assert json.loads(str(raw)) == [ids["consent"]]


def test_the_open_export_carries_which_forms_left_and_imports_an_older_export(
    vault: Vault, tmp_path: Path, client_with_forms: tuple[int, int, dict[str, int], bytes]
) -> None:
    from vault import TEST_PRESET
    from vault.openexport import export_record, import_export, read_export

    client, auth, ids, _ = client_with_forms
    plan = vault.disclosures.prepare(_spec(client, auth, attachment_ids=(ids["intake"],)))
    vault.disclosures.write(plan, tmp_path / "r.pdf")
    out = tmp_path / "record.age"
    export_record(vault, out, "harbor lantern tidal minor quartz", passphrase=PASSPHRASE)
    export = read_export(out, "harbor lantern tidal minor quartz")
    [doc] = [c for c in export.clients if c["client"]["id"] == client]
    assert doc["disclosures"][0]["attachment_ids"] == [ids["intake"]]
    # An export written before record migration 16 has no such field: it still imports.
    del doc["disclosures"][0]["attachment_ids"]
    restored, _, _ = import_export(export, tmp_path / "new", PASSPHRASE, TEST_PRESET)
    try:
        assert restored.disclosures.get(1).attachment_ids == ()
    finally:
        restored.lock()
