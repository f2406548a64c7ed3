"""Issue 10 item 16: line breaking of a release PDF is linear in the text.

A 100,000-character unbroken word once took 192 s (quadratic re-measuring while cutting), with
the vault held. These tests count the characters measured (the work), never the time.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from vault.disclosures.document import Document, Section
from vault.disclosures.pdf import BODY_PT, MARGIN, PAGE_W, _Pdf, _wrap, render_pdf
from vault.records.validate import MAX_BODY_CHARS

WORD = 100_000
BODY_BYTES = 10_000_000


def _document(body: str) -> Document:
    return Document(
        "R-000001",
        "Release of records",
        ("Practice Example",),
        (("Client", "C-00001"),),
        (),
        (Section("N-000001  SOAP", (), body),),
        "R-000001 C-00001",
    )


class _CountingPdf(_Pdf):
    """Counts every character the layout measures."""

    measured = 0

    def width(self, text: str) -> float:
        self.measured += len(text)
        return super().width(text)

    def cut(self, word: str, width: float) -> list[tuple[str, float]]:
        self.measured += len(word)
        return super().cut(word, width)


def _wrapped(text: str) -> tuple[list[str], int]:
    pdf = _CountingPdf(_document(""))
    pdf.add_page()
    pdf.set_font(pdf.family, "", BODY_PT)
    lines = list(_wrap(pdf, text, PAGE_W - 2 * MARGIN))
    return lines, pdf.measured


def test_a_long_unbroken_word_is_measured_a_bounded_number_of_times() -> None:
    """Each character of a 100,000-character word is measured at most twice (plus a space)."""
    text = "ab" * (WORD // 2)
    lines, measured = _wrapped(text)
    assert "".join(lines) == text  # cut, nothing lost, nothing added
    assert len(lines) > 100
    assert measured <= 2 * len(text) + 1


def test_a_ten_megabyte_body_is_measured_linearly() -> None:
    """A 10 MB body of words and long runs: the work is proportional to its length."""
    unit = "sleep improved " * 40 + "z" * 3000 + "\n"
    text = unit * (BODY_BYTES // len(unit))
    lines, measured = _wrapped(text)
    assert measured <= 2 * len(text) + len(lines) + 1
    # Every character other than the spaces and line breaks the wrap consumes is kept.
    assert sum(len(ln.replace(" ", "")) for ln in lines) == len(
        text.replace(" ", "").replace("\n", "")
    )


def test_the_long_word_survives_in_the_pdf(tmp_path: Path) -> None:
    """The PDF of a 100,000-character word carries every character (read back by pdftotext)."""
    out = tmp_path / "word.pdf"
    out.write_bytes(render_pdf(_document("q" * WORD)))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, check=True, timeout=120
    ).stdout.decode()
    assert text.count("q") == WORD


def test_the_largest_note_body_produces_a_pdf(tmp_path: Path) -> None:
    """A body at the vault's limit (2 million characters: a note cannot be larger, so the
    10 MB case above is checked at the layout) renders whole: first and last lines in it."""
    lines = [
        f"line {i:06d} reports improved sleep and paced breathing at weekends"
        for i in range(MAX_BODY_CHARS // 64)
    ]
    out = tmp_path / "big.pdf"
    out.write_bytes(render_pdf(_document("\n".join(lines))))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, check=True, timeout=300
    ).stdout.decode()
    assert lines[0] in text and lines[-1] in text
    assert text.count("reports improved sleep") == len(lines)
