"""Issue 13: a release PDF prints names in every script, on A4 or US Letter.

Names are synthetic. pdftotext reads the text back from the PDF's own font mappings, so a name
shown as [U+5C71] or as missing glyphs fails here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from vault.disclosures.document import Document, Section
from vault.disclosures.pdf import BODY_PT, MARGIN, PAGE_W, _Pdf, _wrap, render_pdf
from vault.errors import UsageError

NAMES = {
    "Latin": "Zoë Sampleton",
    "CJK": "山田花子",
    "Hangul": "김민준",
    "Arabic": "سارة محمد",
    "Hebrew": "דוד כהן",
    "Devanagari": "अर्जुन शर्मा",
    "emoji": "Sunny 🌞",
}


def _document() -> Document:
    names = list(NAMES.values())
    return Document(
        "R-000001",
        "Release of records",
        ("Practice Example",),
        tuple(("Client", name) for name in names),
        (),
        tuple(
            Section(f"N-{i:06d}  SOAP {name}", (), f"Session with {name}.\n{name} " * 3)
            for i, name in enumerate(names, 1)
        ),
        "R-000001 C-00001",
    )


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_names_in_six_scripts_print_and_read_back(tmp_path: Path) -> None:
    out = tmp_path / "release.pdf"
    out.write_bytes(render_pdf(_document()))
    text = _text(out)
    assert "[U+" not in text
    for script, name in NAMES.items():
        if script == "emoji":
            # A colour emoji is a Type 3 glyph: pdftotext gives it as its own text run.
            assert "🌞" in text
        elif script in ("Arabic", "Hebrew"):
            # Right-to-left runs come back in visual order from pdftotext: look for the words.
            for word in name.split():
                assert word in text or word[::-1] in text, script
        else:
            assert name in text, script
    # Every fallback font is embedded (subset), nothing drawn with a missing glyph.
    fonts = {
        str(font["/BaseFont"])
        for page in PdfReader(out).pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    for face in ("NotoSans", "Hebrew", "Arabic", "Devanagari", "KR", "DroidSans"):
        assert any(face in f for f in fonts), (face, fonts)


@pytest.mark.parametrize(("paper", "points"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_size(tmp_path: Path, paper: str, points: tuple[int, int]) -> None:
    out = tmp_path / "release.pdf"
    out.write_bytes(render_pdf(_document(), paper=paper))
    for page in PdfReader(out).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == points


def test_unknown_paper_is_refused() -> None:
    with pytest.raises(UsageError, match="a4 or letter"):
        render_pdf(_document(), paper="legal")


def test_latin_only_release_loads_no_fallback_font(tmp_path: Path) -> None:
    """The common case stays quick: fallback fonts are parsed only when a script needs them."""
    doc = Document(
        "R-000002",
        "Release of records",
        ("Practice Example",),
        (("Client", "Zoë Ann"),),
        (),
        (Section("N-000001  SOAP", (), "Plain text."),),
        "R-000002 C-00001",
    )
    out = tmp_path / "latin.pdf"
    out.write_bytes(render_pdf(doc))
    fonts = {str(f["/BaseFont"]) for f in PdfReader(out).pages[0]["/Resources"]["/Font"].values()}
    assert {f.split("+")[-1] for f in fonts} <= {"NotoSans", "NotoSansBold"}, fonts


class _CountingPdf(_Pdf):
    measured = 0

    def width(self, text: str) -> float:
        self.measured += len(text)
        return super().width(text)

    def cut(self, word: str, width: float) -> list[tuple[str, float]]:
        self.measured += len(word)
        return super().cut(word, width)


@pytest.mark.parametrize("unit", ["山田", "سارة", "अर्जुन", "🌞"])
def test_line_breaking_stays_linear_in_every_script(unit: str) -> None:
    """Issue 10 item 16 with the fallback fonts: an unbroken run (CJK has no spaces) is
    measured at most twice per character, and cut without losing a character."""
    text = unit * (20_000 // len(unit))
    pdf = _CountingPdf(_document_with(text))
    pdf.add_page()
    pdf.set_font(pdf.family, "", BODY_PT)
    lines = list(_wrap(pdf, text, PAGE_W - 2 * MARGIN))
    assert "".join(lines) == text
    assert len(lines) > 20
    assert pdf.measured <= 2 * len(text) + 1


def _document_with(body: str) -> Document:
    return Document(
        "R-000003",
        "Release of records",
        ("Practice Example",),
        (("Client", "C-00001"),),
        (),
        (Section("N-000001  SOAP", (), body),),
        "R-000003 C-00001",
    )
