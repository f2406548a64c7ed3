"""De-identification recall and precision per kind on the synthetic corpus (issue 15).

    .venv/bin/python -m bench.bench_consult

Recall: planted identifiers fully replaced. Precision: replacements that touch a planted
identifier. The corpus is tests/support/consult_corpus.py.
"""

from __future__ import annotations

import time

from tests.support.consult_corpus import NOTES, score, table


def main() -> None:
    started = time.perf_counter()
    scores, missed, touched = score()
    elapsed = time.perf_counter() - started
    print(table(scores))
    print(f"\n{len(NOTES)} notes in {elapsed:.2f} s (word lists loaded once)")
    print(f"missed: {missed or 'none'}; look-alikes touched: {touched or 'none'}")


if __name__ == "__main__":
    main()
