"""The document that leaves the vault, as data: every output format renders this one value.

The preview is its plain-text rendering, so what the clinician reviews is exactly what is written.
Note text is data: control characters and bidirectional overrides become visible escapes here,
once, before any format sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from ..records.validate import clean_text

clean = clean_text


def _cleaned(value: object) -> object:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, tuple):
        return tuple(_cleaned(v) for v in value)
    return value


@dataclass(frozen=True)
class Section:
    """One document of the release (a note, an addendum, a psychotherapy note, a statement)."""

    heading: str
    meta: tuple[str, ...]
    body: str
    level: int = 0  # 1 for an addendum or amendment statement under its note

    def __post_init__(self) -> None:
        # Every field, not only the body: a name in a heading is escaped like a note's text.
        # `clean` is idempotent, so text cleaned before (bodies) is unchanged.
        for f in fields(self):
            object.__setattr__(self, f.name, _cleaned(getattr(self, f.name)))


@dataclass(frozen=True)
class Document:
    reference: str  # R-000001; also what file names and PDF metadata may carry
    title: str
    practice: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]  # (label, value): client, released to / for, basis...
    statement: tuple[str, ...]  # what was withheld and why
    sections: tuple[Section, ...]
    footer_id: str  # on every PDF page: reference and client record number, never a name
    # What a section is, for the closing line: a release's sections are documents; an
    # accounting's are disclosures (counting them as "documents" read as pages released).
    item: tuple[str, str] = ("document", "documents")
    # Closing lines before the ending: who released it and a line to sign (a release only).
    signature: tuple[str, ...] = ()
    # Files that travel inside the PDF as attachments (a client's scanned forms in their own
    # copy): (file name, bytes). Only a PDF can carry them; the text formats refuse.
    files: tuple[tuple[str, bytes], ...] = ()

    def __post_init__(self) -> None:
        # Names, recipients and practice details reach every format from here: escaped once,
        # exactly as note bodies are (a name stored before the name rule may hold a U+202E).
        for f in fields(self):
            if f.name != "sections":
                object.__setattr__(self, f.name, _cleaned(getattr(self, f.name)))

    def ending(self) -> str:
        """The closing line: `End of R-000001: 3 documents.`"""
        n = len(self.sections)
        return f"End of {self.reference}: {n} {self.item[0] if n == 1 else self.item[1]}."

    def text(self) -> str:
        """The plain-text form: the preview, and the .txt output byte for byte."""
        return "".join(self.text_chunks())

    def text_chunks(self) -> list[str]:
        rule = "=" * 72
        out: list[str] = [line + "\n" for line in self.practice]
        out.append(rule + "\n")
        out.append(f"{self.title.upper()}  {self.reference}\n")
        width = max((len(label) for label, _ in self.facts), default=0) + 2
        out.extend(f"{(label + ':').ljust(width)}{value}\n" for label, value in self.facts)
        out.append(rule + "\n")
        out.extend(line + "\n" for line in self.statement)
        for section in self.sections:
            out.append("\n" + ("-" * 72 if section.level == 0 else "  " + "-" * 40) + "\n")
            out.append(section.heading + "\n")
            out.extend(line + "\n" for line in section.meta)
            out.append("\n" + section.body.rstrip("\n") + "\n")
        out.append("\n" + rule + "\n")
        if self.signature:
            out.extend(line + "\n" for line in self.signature)
            out.append("\n")
        out.append(self.ending() + "\n")
        return out

    def markdown(self) -> str:
        """Markdown with every note body in a fence, so nothing in a note renders as markup."""
        out: list[str] = [f"{_md_escape(line)}  \n" for line in self.practice]
        out.append(f"\n# {_md_escape(self.title)} {self.reference}\n\n")
        out.extend(
            f"- **{_md_escape(label)}:** {_md_escape(value)}\n" for label, value in self.facts
        )
        out.append("\n")
        out.extend(f"{_md_escape(line)}\n" for line in self.statement)
        for section in self.sections:
            hashes = "##" if section.level == 0 else "###"
            out.append(f"\n{hashes} {_md_escape(section.heading)}\n\n")
            out.extend(f"- {_md_escape(line)}\n" for line in section.meta)
            fence = "~" * max(4, _longest_run(section.body, "~") + 1)
            out.append(f"\n{fence}text\n{section.body.rstrip(chr(10))}\n{fence}\n")
        out.append("\n---\n\n")
        out.extend(f"{_md_escape(line)}  \n" for line in self.signature)
        out.append(("\n" if self.signature else "") + f"{_md_escape(self.ending())}\n")
        return "".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _longest_run(text: str, ch: str) -> int:
    best = run = 0
    for c in text:
        run = run + 1 if c == ch else 0
        best = max(best, run)
    return best
