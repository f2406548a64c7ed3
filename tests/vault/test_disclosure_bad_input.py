"""Bad input to a release: clear one-line errors, nothing half-written, nothing recorded."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pypdf
import pytest

from tests.support.disclosures import VISIBLE, Practice, build, pdf_text, signed
from tests.support.fsimage import mounted_image, needs_root, remount
from vault import ConfideError, StorageError, UsageError, Vault
from vault.disclosures import ReleaseSpec, RequestType
from vault.records.validate import MAX_BODY_CHARS


@pytest.fixture
def practice(vault: Vault) -> Practice:
    return build(vault)


def _spec(client: int, **extra: object) -> ReleaseSpec:
    fields: dict[str, object] = dict(
        client_id=client,
        request_type=RequestType.COURT_ORDER,
        recipient_name="County Court Clerk",
        purpose="order",
        court_order="Order 26-CV-101",
    )
    fields.update(extra)
    return ReleaseSpec(**fields)  # type: ignore[arg-type]


def _recorded(vault: Vault) -> int:
    return int(vault.db.scalar("SELECT count(*) FROM disclosures"))


def _exports_audited(vault: Vault) -> int:
    return sum(1 for e in vault.audit.entries(1000) if e.action == "export")


def test_existing_path_is_refused_unless_forced(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """An existing file is kept and nothing is recorded, unless --force replaces it."""
    out = tmp_path / "release.txt"
    out.write_text("the clinician's own letter")
    plan = vault.disclosures.prepare(_spec(practice.client))
    with pytest.raises(UsageError, match="already exists; choose another name or pass --force"):
        vault.disclosures.write(plan, out)
    assert out.read_text() == "the clinician's own letter"
    assert _recorded(vault) == 0 and _exports_audited(vault) == 0
    vault.disclosures.write(plan, out, force=True)
    assert VISIBLE in out.read_text()
    assert _recorded(vault) == 1
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_missing_folder_bad_suffix_and_password_on_text(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """Each bad target gets its own clear reason; nothing is written."""
    plan = vault.disclosures.prepare(_spec(practice.client))
    with pytest.raises(UsageError, match="does not exist"):
        vault.disclosures.write(plan, tmp_path / "nowhere" / "r.pdf")
    with pytest.raises(UsageError, match=r"end the name with \.pdf, \.txt or \.md"):
        vault.disclosures.write(plan, tmp_path / "r.docx")
    with pytest.raises(UsageError, match="only a PDF can be password-protected"):
        vault.disclosures.write(plan, tmp_path / "r.txt", password="long enough pass")
    with pytest.raises(UsageError, match="at least 8 characters"):
        vault.disclosures.write(plan, tmp_path / "r.pdf", password="short")
    with pytest.raises(UsageError, match="is a folder"):
        vault.disclosures.write(plan, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault"]
    assert _recorded(vault) == 0


def test_empty_date_range_and_nothing_to_release(vault: Vault, practice: Practice) -> None:
    """A start after the end, or a range holding no signed note, is refused before writing."""
    with pytest.raises(UsageError, match="the date range 2026-03-01 to 2026-01-01 is empty"):
        vault.disclosures.prepare(
            _spec(practice.client, date_from="2026-03-01", date_to="2026-01-01")
        )
    with pytest.raises(UsageError, match="nothing to release: C-00001 has no signed"):
        vault.disclosures.prepare(
            _spec(practice.client, date_from="2025-01-01", date_to="2025-12-31")
        )
    with pytest.raises(UsageError, match="not a date"):
        vault.disclosures.prepare(_spec(practice.client, date_from="last week"))
    assert _recorded(vault) == 0


def test_date_range_selects_sessions(vault: Vault, practice: Practice) -> None:
    """Only notes whose session lies in the range are released."""
    plan = vault.disclosures.prepare(
        _spec(practice.client, date_from="2026-01-04", date_to="2026-01-15")
    )
    assert practice.flagged_note in plan.note_ids
    assert practice.plan_note not in plan.note_ids  # 2026-01-03
    assert practice.joint_note not in plan.note_ids  # 2026-02-01


def test_strange_recipient_characters(vault: Vault, practice: Practice, tmp_path: Path) -> None:
    """Accents, scripts and markup-like text are kept exactly; controls are refused."""
    name = "Dr. Zoë Ø'Brien-Łukasz <ACME> & Co. [bold]Ψ[/bold] Жанна"
    plan = vault.disclosures.prepare(
        _spec(practice.client, recipient_name=name, recipient_address="Straße 5, Köln")
    )
    vault.disclosures.write(plan, tmp_path / "r.pdf")
    vault.disclosures.write(
        vault.disclosures.prepare(_spec(practice.client, recipient_name=name)), tmp_path / "r.txt"
    )
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / "r.pdf").pages)
    assert name in pdf and "Straße 5, Köln" in pdf
    assert name in (tmp_path / "r.txt").read_text()
    assert vault.disclosures.accounting(practice.client)[0].recipient_name == name
    for bad, what in (
        ("Evil\x1b[2JCorp", "U+001B ESCAPE"),
        ("Dr. \u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Null\x00Byte", "U+0000 NULL"),
        ("Two\nLines", "U+000A LINE FEED"),
    ):
        with pytest.raises(UsageError, match=re.escape(f"recipient contains {what}")):
            vault.disclosures.prepare(_spec(practice.client, recipient_name=bad))
    with pytest.raises(UsageError, match="recipient is empty"):
        vault.disclosures.prepare(_spec(practice.client, recipient_name="   "))


def test_markup_and_terminal_escapes_in_note_text(vault: Vault, tmp_path: Path) -> None:
    """Rich markup stays literal text; ANSI/OSC escapes reach no output as control bytes."""
    client = vault.clients.add("Esc Apewell").id
    hostile = (
        "[bold red]loud[/] \x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07 "
        "# not a heading <script>x</script> ~~~~ fence"
    )
    signed(vault, client, "soap", hostile, "2026-01-02")
    plan = vault.disclosures.prepare(_spec(client))
    for name in ("r.txt", "r.md", "r.pdf"):
        vault.disclosures.write(vault.disclosures.prepare(_spec(client)), tmp_path / name)
        text = pdf_text(tmp_path / name) if name.endswith(".pdf") else (tmp_path / name).read_text()
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b[31mred" in text
    assert "[bold red]loud[/]" in plan.preview and "\\x1b[31mred" in plan.preview
    md = (tmp_path / "r.md").read_text()
    body = md.split("~~~~~text\n", 1)[1].split("\n~~~~~\n", 1)[0]
    assert "<script>x</script>" in body  # inside the fence, shown, never rendered


def test_largest_valid_note_is_released(vault: Vault, tmp_path: Path) -> None:
    """A note at the 2-million-character cap goes out whole as PDF and text."""
    client = vault.clients.add("Long Writer").id
    words = ("session " * (MAX_BODY_CHARS // 8))[: MAX_BODY_CHARS - 12] + " zqendmarker"
    assert len(words) == MAX_BODY_CHARS
    signed(vault, client, "free", words, "2026-01-02")
    plan = vault.disclosures.prepare(_spec(client))
    vault.disclosures.write(plan, tmp_path / "big.txt")
    assert "zqendmarker" in (tmp_path / "big.txt").read_text()
    vault.disclosures.write(vault.disclosures.prepare(_spec(client)), tmp_path / "big.pdf")
    reader = pypdf.PdfReader(tmp_path / "big.pdf")
    assert len(reader.pages) > 100
    # The signature block is kept whole, so it may start a page of its own.
    assert "zqendmarker" in "".join(p.extract_text() for p in reader.pages[-2:])


def test_no_partial_file_is_left_by_a_refused_release(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """A stale .partial from an interrupted export is removed by the next successful one."""
    out = tmp_path / "r.txt"
    (tmp_path / "r.txt.partial").write_text("left by a crash")
    vault.disclosures.write(vault.disclosures.prepare(_spec(practice.client)), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt", "vault"]


@needs_root
def test_full_drive_leaves_nothing_and_records_nothing(
    vault: Vault, practice: Practice, tmp_path: Path
) -> None:
    """On a full drive the export fails cleanly: no file, no .partial, no disclosure."""
    client = vault.clients.add("Big Record").id
    signed(vault, client, "free", "word " * 200_000, "2026-01-02")
    with mounted_image(tmp_path, size_mb=8, name="usb") as mount:
        with open(mount / "filler", "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 16))
                    f.flush()
            except OSError:
                pass
        os.sync()
        plan = vault.disclosures.prepare(_spec(client))
        with pytest.raises(StorageError, match="disk is full; nothing was written or recorded"):
            vault.disclosures.write(plan, mount / "release.txt")
        assert sorted(p.name for p in mount.iterdir()) == ["filler", "lost+found"]
    assert _recorded(vault) == 0 and _exports_audited(vault) == 0


@needs_root
def test_read_only_drive_is_refused(vault: Vault, practice: Practice, tmp_path: Path) -> None:
    """A read-only drive gets a one-line reason and nothing is recorded."""
    with mounted_image(tmp_path, size_mb=8, name="ro") as mount:
        remount(mount, readonly=True)
        plan = vault.disclosures.prepare(_spec(practice.client))
        with pytest.raises(ConfideError, match="read-only") as info:
            vault.disclosures.write(plan, mount / "release.pdf")
        assert "\n" not in str(info.value)
        remount(mount, readonly=False)
        assert sorted(p.name for p in mount.iterdir()) == ["lost+found"]
    assert _recorded(vault) == 0


def test_characters_the_pdf_font_lacks_stay_visible(vault: Vault, tmp_path: Path) -> None:
    """An emoji or CJK character never silently vanishes from a PDF: its code point shows."""
    client = vault.clients.add("Glyph Tester").id
    signed(
        vault, client, "soap", "Felt 🌟 after the session; wrote 漢字 on the card.", "2026-01-02"
    )
    vault.disclosures.write(vault.disclosures.prepare(_spec(client)), tmp_path / "r.pdf")
    vault.disclosures.write(vault.disclosures.prepare(_spec(client)), tmp_path / "r.txt")
    text = pdf_text(tmp_path / "r.pdf")
    assert "[U+1F31F]" in text or "🌟" in text
    assert "[U+6F22][U+5B57]" in text or "漢字" in text
    assert "🌟" in (tmp_path / "r.txt").read_text()
