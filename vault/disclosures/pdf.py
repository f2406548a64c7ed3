"""PDF rendering of a `Document`, with fpdf2 (pure Python, maintained, AES-256 built in).

Layout is done here, line by line with `FPDF.text`, not with `multi_cell`: measured on this
machine, 500 notes take about 14 s through `multi_cell` and under 1 s this way. Everything is
built in memory; the bytes go to disk only at the path the user named (see `writer`).
Metadata carries the release reference only: no client name, no note text.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import AccessPermission, EncryptionMethod, TextEmphasis

from ..crypto.strength import check_pdf_password
from ..errors import UsageError
from .document import Document

# Bundled fonts (vault/disclosures/fonts, made by scripts/build-fonts; SIL OFL 1.1 and, for
# Droid Sans Fallback, Apache 2.0: licences beside them). Noto Sans draws Latin, Greek and
# Cyrillic; the others are fallbacks, parsed only when the document has a character of theirs
# (the CJK font alone takes 0.4 s to parse).
_FONTS = Path(__file__).with_name("fonts")
_BODY = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
_FALLBACKS: tuple[tuple[str, str, str | None, tuple[tuple[int, int], ...]], ...] = (
    (
        "hebrew",
        "NotoSansHebrew-Regular.ttf",
        "NotoSansHebrew-Bold.ttf",
        ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    ),
    (
        "arabic",
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
    (
        "devanagari",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
        ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF)),
    ),
    (
        "hangul",
        "NotoSansKR-Hangul.otf",
        None,
        ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF)),
    ),
    # No range: loaded for any other character the body font lacks (emoji before CJK, so a
    # symbol both have prints in colour).
    ("emoji", "NotoColorEmoji-Single.ttf", None, ()),
    ("cjk", "DroidSansFallbackFull.ttf", None, ()),
)
# Scripts drawn through fpdf2's shaping (HarfBuzz) and bidi: joining, conjuncts, right to left.
_COMPLEX = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0xFB1D, 0xFEFF))

PAPER = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}  # mm
PAGE_W, PAGE_H = PAPER["letter"]
MARGIN = 20.0
TOP = 24.0  # below the running header
BODY_PT, LINE_MM = 10, 4.6
MIN_PASSWORD_CHARS = 8


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def _chars(document: Document) -> set[str]:
    parts = [*document.practice, document.title, document.reference, document.footer_id]
    parts += [f"{label}{value}" for label, value in document.facts]
    parts += list(document.statement)
    for section in document.sections:
        parts += [section.heading, *section.meta, section.body]
    parts.append(document.ending())
    return set("".join(parts))


class _Pdf(FPDF):
    def __init__(self, document: Document, paper: str = "letter") -> None:
        if paper not in PAPER:
            raise UsageError(f"unknown paper size {paper!r}: choose a4 or letter")
        self.page_w, self.page_h = PAPER[paper]
        self.bottom = self.page_h - 18.0  # above the footer
        super().__init__(unit="mm", format=(self.page_w, self.page_h))
        self._doc = document
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.c_margin = 0.0  # cell() text starts exactly where text() would
        self.unicode = True
        self.family = "Body"
        self.add_font("Body", "", _FONTS / _BODY[0])
        self.add_font("Body", "B", _FONTS / _BODY[1])
        body = self._cmap("body") & self._cmap("bodyB")
        # A line of only these characters is drawn by text(): fast, no shaping needed.
        self._simple = {chr(c) for c in body if not _in(c, _COMPLEX)} | {" ", "\n"}
        missing = {ord(ch) for ch in _chars(document) if ord(ch) not in body and ch != "\n"}
        self._fallbacks(missing)
        self._widths: dict[tuple[int, str], dict[str, float]] = {}
        self._table: dict[str, float] = {}  # the current font's, set by set_font

    def _fallbacks(self, missing: set[int]) -> None:
        drawable = self._cmap("body") & self._cmap("bodyB")
        if missing:
            loaded: list[str] = []
            rest = {c for c in missing if not any(_in(c, f[3]) for f in _FALLBACKS)}
            for family, regular, bold, ranges in _FALLBACKS:
                wanted = bool(rest) if not ranges else any(_in(c, ranges) for c in missing)
                if not wanted:
                    continue
                self.add_font(family, "", _FONTS / regular)
                if bold is not None:
                    self.add_font(family, "B", _FONTS / bold)
                drawable |= self._cmap(family)
                loaded.append(family)
            if loaded:
                # A bold run in a script with no bold face here is drawn regular, not dropped.
                self.set_fallback_fonts(loaded, exact_match=False)
                self.set_text_shaping(True)
        self._drawable = drawable

    def _cmap(self, key: str) -> set[int]:
        return set(getattr(self.fonts[key], "cmap", {}))

    def draw(self, x: float, y: float, line: str) -> None:
        """`line` with its baseline at y. Lines needing another font, shaping or bidi go
        through cell() (fallback fonts, HarfBuzz); the rest through text(), ten times quicker."""
        simple = self._simple
        if all(ch in simple for ch in line):
            self.text(x, y, line)
            return
        size = self.font_size
        # fpdf2 puts a cell's baseline at top + h/2 + 0.3 * font size.
        self.set_xy(x, y - 0.8 * size)
        self.cell(w=0, h=size, text=line)

    def header(self) -> None:
        self.set_font(self.family, "", 8)
        self.draw(MARGIN, 12, self.fit(self._doc.practice[0] if self._doc.practice else ""))
        label = f"{self._doc.title} {self._doc.reference} - CONFIDENTIAL"
        self.draw(self.page_w - MARGIN - self.get_string_width(label), 12, label)
        self.line(MARGIN, 14, self.page_w - MARGIN, 14)

    def page_footers(self) -> None:
        """Footers drawn at the end, once the page count is known (fpdf2's {nb} alias does
        not reach text set in an embedded TrueType font)."""
        total = self.pages_count
        for number in range(1, total + 1):
            self.page = number
            # fpdf2 skips a set_font equal to the current one, but this page's stream may end
            # in another font: switch away and back so the footer's font is really selected.
            self.set_font(self.family, "B", 8)
            self.set_font(self.family, "", 8)
            bottom = self.page_h
            self.line(MARGIN, bottom - 14, self.page_w - MARGIN, bottom - 14)
            self.draw(MARGIN, bottom - 10, self.fit(self._doc.footer_id))
            label = f"Page {number} of {total}"
            self.text(self.page_w - MARGIN - self.get_string_width(label), bottom - 10, label)
        self.page = total

    def fit(self, text: str) -> str:
        """Text the font can draw. A character it has no glyph for would silently vanish from
        the page; it is written as a visible code point instead, e.g. [U+1F31F]."""
        drawable = self._drawable
        if all(ord(ch) in drawable or ch in " \n" for ch in text):
            return text
        return "".join(
            ch if ord(ch) in drawable or ch in " \n" else f"[U+{ord(ch):04X}]" for ch in text
        )

    def set_font(
        self, family: str | None = None, style: str | TextEmphasis = "", size: float = 0
    ) -> None:
        super().set_font(family, style, size)
        self._table = self._widths.setdefault((int(self.font_size_pt), self.font_style), {})

    def width(self, text: str) -> float:
        """String width from per-character widths cached per font: fpdf2's own is slow."""
        table = self._table
        total = 0.0
        for ch in text:
            w = table.get(ch)
            total += self._measure(table, ch) if w is None else w
        return total

    def _measure(self, table: dict[str, float], ch: str) -> float:
        w = table[ch] = self.get_string_width(ch)
        return w

    def cut(self, word: str, width: float) -> list[tuple[str, float]]:
        """A word wider than `width` in pieces that each fit (at least one character each),
        with their widths: one pass over the characters, so linear in the word's length."""
        table = self._table
        pieces: list[tuple[str, float]] = []
        start, acc = 0, 0.0
        for i, ch in enumerate(word):
            w = table.get(ch)
            if w is None:
                w = self._measure(table, ch)
            if acc + w > width and i > start:
                pieces.append((word[start:i], acc))
                start, acc = i, 0.0
            acc += w
        pieces.append((word[start:], acc))
        return pieces


def _wrap(pdf: _Pdf, text: str, width: float) -> Iterator[str]:
    """Greedy word wrap by measured width; words wider than a line are cut. Each character is
    measured at most twice (its word, then the cut), so the work is linear in the text: a
    100,000-character unbroken run once took minutes here (issue 10)."""
    space = pdf.width(" ")
    for paragraph in text.split("\n"):
        if not paragraph:
            yield ""
            continue
        line: list[str] = []
        line_w = 0.0
        for word in paragraph.split(" "):
            w = pdf.width(word)
            if w > width:  # a long unbroken run: cut it to fit
                if line:
                    yield " ".join(line)
                    line, line_w = [], 0.0
                pieces = pdf.cut(word, width)
                for piece, _ in pieces[:-1]:
                    yield piece
                word, w = pieces[-1]
            extra = w + (space if line else 0.0)
            if line and line_w + extra > width:
                yield " ".join(line)
                line, line_w = [word], w
            else:
                line.append(word)
                line_w += extra
        yield " ".join(line)


class _Writer:
    def __init__(self, pdf: _Pdf) -> None:
        self.pdf = pdf
        self.y = TOP
        self.usable = pdf.page_w - 2 * MARGIN

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = TOP

    def need(self, height: float) -> None:
        if self.y + height > self.pdf.bottom:
            self.new_page()

    def lines(
        self,
        text: str,
        size: int = BODY_PT,
        style: str = "",
        indent: float = 0.0,
        step: float = LINE_MM,
    ) -> None:
        self.pdf.set_font(self.pdf.family, style, size)
        for line in _wrap(self.pdf, self.pdf.fit(text), self.usable - indent):
            self.need(step)
            if line:
                self.pdf.draw(MARGIN + indent, self.y, line)
            self.y += step

    def gap(self, mm: float) -> None:
        self.y += mm


# What the recipient of a protected release may do: read, print, and let a screen reader or
# other assistive technology extract the text. Not edit, annotate, fill, reassemble or copy
# out: the release is a record of what was disclosed, and the owner password that would lift
# these restrictions is random and never kept. (Viewers honour the flags; they are not
# cryptographic, the encryption is.)
PDF_PERMISSIONS = (
    AccessPermission.PRINT_LOW_RES
    | AccessPermission.PRINT_HIGH_RES
    | AccessPermission.COPY_FOR_ACCESSIBILITY
)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UsageError(f"the PDF password must have at least {MIN_PASSWORD_CHARS} characters")
    if "\0" in password:
        raise UsageError("the PDF password contains a NUL character")
    check_pdf_password(password)


def render_pdf(document: Document, password: str | None = None, paper: str = "letter") -> bytes:
    """The release as PDF bytes on `paper` (a4 or letter), AES-256 encrypted (metadata too)
    when a password is given."""
    if password is not None:
        check_password(password)
    pdf = _Pdf(document, paper)
    pdf.set_title(f"{document.title} {document.reference}")
    pdf.set_subject(document.title)
    pdf.set_author(pdf.fit(document.practice[0]) if document.practice else "")
    pdf.set_keywords(f"{document.reference} confidential")
    pdf.set_creator("Confide")
    out = _Writer(pdf)
    out.new_page()
    for line in document.practice:
        out.lines(line, 10, "B" if line is document.practice[0] else "")
    out.gap(3)
    out.lines(f"{document.title} {document.reference}", 15, "B", step=7)
    out.gap(1)
    for label, value in document.facts:
        out.lines(f"{label}: {value}", 10)
    out.gap(2)
    for line in document.statement:
        out.lines(line, 9)
    for name, data in document.files:
        pdf.embed_file(bytes=data, basename=name, desc=f"{document.reference} {name}")
    for section in document.sections:
        indent = 6.0 if section.level else 0.0
        out.gap(4)
        out.need(3 * LINE_MM)
        pdf.start_section(pdf.fit(section.heading)[:120], level=section.level, strict=False)
        out.lines(section.heading, 11 if section.level == 0 else 10, "B", indent, step=5.5)
        for line in section.meta:
            out.lines(line, 8, "", indent, step=4.0)
        out.gap(1.5)
        out.lines(section.body.rstrip("\n"), BODY_PT, "", indent)
    out.gap(4)
    if document.signature:
        out.need((len(document.signature) * 2 + 2) * LINE_MM)
        for line in document.signature:
            out.gap(LINE_MM)  # room to sign by hand
            out.lines(line, 10)
        out.gap(4)
    out.lines(document.ending(), 9, "B")
    pdf.page_footers()
    if password is not None:
        # The owner password is random and never kept: nobody can lift the restrictions.
        pdf.set_encryption(
            owner_password=secrets.token_urlsafe(32),
            user_password=password,
            encryption_method=EncryptionMethod.AES_256,
            encrypt_metadata=True,
            permissions=PDF_PERMISSIONS,
        )
    return bytes(pdf.output())
