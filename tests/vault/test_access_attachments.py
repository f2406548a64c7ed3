"""A client's own copy carries their scanned forms (issues 18 and 19): the designated record set
includes them, so the PDF copy names each and holds its bytes as an attachment; a text copy,
which cannot carry them, is refused rather than silently short."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.attachments import fake_pdf, fake_png, write
from tests.support.disclosures import signed
from vault import UsageError, Vault


def test_the_pdf_copy_carries_every_form_byte_for_byte(vault: Vault, tmp_path: Path) -> None:
    client = vault.clients.add("Rowan Sampleton").id
    signed(vault, client, "soap", "Session went well.", "2026-03-01")
    scan = fake_pdf("zqaccessformmarker")
    image = fake_png()
    form = vault.attachments.add(write(tmp_path / "intake.pdf", scan), client, "intake")
    photo = vault.attachments.add(write(tmp_path / "consent.png", image), client, "consent")
    gone = vault.attachments.add(write(tmp_path / "wrong.pdf", fake_pdf("zqwrongmarker")), client)
    vault.attachments.mark_entered_in_error(gone.id, "filed for the wrong client")

    plan = vault.disclosures.prepare(vault.disclosures.access_spec(client))
    text = plan.document.text()
    assert f"F-{form.id:05d}: intake form" in text and f"F-{photo.id:05d}: consent form" in text
    assert f"F-{gone.id:05d}" not in text  # entered in error: not part of the record set
    out = tmp_path / "copy.pdf"
    vault.disclosures.write(plan, out)
    listing = subprocess.run(
        ["pdfdetach", "-list", str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert f"F-{form.id:05d}.pdf" in listing and f"F-{photo.id:05d}.png" in listing
    saved = tmp_path / "saved"
    saved.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(saved), str(out)], check=True)
    assert (saved / f"F-{form.id:05d}.pdf").read_bytes() == scan
    assert (saved / f"F-{photo.id:05d}.png").read_bytes() == image


def test_a_text_copy_that_cannot_carry_the_forms_is_refused(vault: Vault, tmp_path: Path) -> None:
    client = vault.clients.add("Rowan Sampleton").id
    signed(vault, client, "soap", "Session went well.", "2026-03-01")
    vault.attachments.add(write(tmp_path / "intake.pdf", fake_pdf("zqm")), client, "intake")
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(client))
    out = tmp_path / "copy.txt"
    with pytest.raises(UsageError, match="travel inside a PDF"):
        vault.disclosures.write(plan, out)
    assert not out.exists()
    assert vault.db.scalar("SELECT count(*) FROM disclosures") == 0  # nothing recorded
