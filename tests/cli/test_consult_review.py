"""The interactive review shows hostile note text literally (ANSI, bidi, Rich markup, CJK)."""

from __future__ import annotations

from tests.support.consult_corpus import KNOWLEDGE
from tui.cli.commands.consult import review_text
from vault.consult.detect import detect
from vault.consult.summary import CaseSummary, Part


def test_hostile_text_is_shown_literally_and_replacements_are_numbered() -> None:
    text = "Maya typed \x1b[31mred\x1b[0m, [bold]x[/bold], \u202eevil, 東京 and Ken called."
    summary = CaseSummary(
        1, [Part("Progress note, session 1", text, detect(text, KNOWLEDGE))], KNOWLEDGE, (1,), ()
    )
    shown = review_text(summary, colour=False)
    assert "\x1b[31m" not in shown and "\\x1b[31m" in shown
    assert "\u202e" not in shown and "\\u202e" in shown
    assert "[bold]x[/bold]" in shown and "東京" in shown
    assert "[1: the client]" in shown
    assert "'Maya' -> the client  (the client's name)  (known to the vault)" in shown
