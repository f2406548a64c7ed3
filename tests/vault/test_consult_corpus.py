"""The detector on the synthetic corpus: every vault-known identifier, >= 99% of the rest."""

from __future__ import annotations

from tests.support.consult_corpus import KNOWLEDGE, NOTES, parse, score
from vault.consult.detect import Kind, detect


def test_every_identifier_the_vault_knows_is_replaced() -> None:
    scores, missed, _ = score()
    for kind in ("known-name", "known-id"):
        assert scores[kind].planted > 0
        assert scores[kind].recall == 1.0, [m for m in missed if m.startswith(kind)]


def test_recall_overall_is_at_least_99_percent_and_every_kind_is_planted() -> None:
    scores, missed, _ = score()
    planted = sum(s.planted for s in scores.values())
    caught = sum(s.caught for s in scores.values())
    assert all(s.planted > 0 for s in scores.values()), scores
    assert caught / planted >= 0.99, missed


def test_look_alikes_survive() -> None:
    _, _, touched = score()
    assert touched == []


def test_several_spellings_of_one_date_all_become_the_same_session() -> None:
    text = "Seen 5/3/2024, May 3rd, 3 May and 2024-05-03."
    found = [f for f in detect(text, KNOWLEDGE) if f.kind is Kind.DATE]
    assert [text[f.start : f.end] for f in found] == ["5/3/2024", "May 3rd", "3 May", "2024-05-03"]
    assert {f.replacement for f in found} == {"session 5"}


def test_possessives_and_sentence_starts_read_as_roles() -> None:
    from vault.consult.detect import apply

    text = "Maya's sister June called. June Sampleton is worried."
    assert apply(text, detect(text, KNOWLEDGE)) == (
        "The client's sister [name withheld] called. The client's sister is worried."
    )


def test_the_corpus_has_every_format_the_issue_names() -> None:
    planted = [p.text for marked in NOTES for p in parse(marked)[1]]
    for sample in ("5/3/2024", "May 3rd", "3 May", "(555) 010-2222", "42 Maple Street"):
        assert sample in planted
    kept = [p.text for marked in NOTES for p in parse(marked)[2]]
    for sample in ("PHQ-9", "F41.1", "90834", "week 3", "50 mg"):
        assert sample in kept
