"""Figure-level precision/recall/F1 over the hand-labelled corpus (tests/data).

The floors sit just under what the extractor reaches; raise them as it improves.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jjj_etl.parse._eval import Report, evaluate, load_corpus
from jjj_etl.records import COMPARATORS, KINDS

CORPUS = Path(__file__).resolve().parents[1] / "data" / "figures_corpus.jsonl"
FLOOR_F1 = 0.985
FLOOR_F1_BY_LANG = {"en": 0.98, "zh": 0.98}
CATEGORIES = {
    "money",
    "percent",
    "pp",
    "count",
    "comparator",
    "kind",
    "period",
    "range",
    "conversion",
    "negative",
    "region",
    "mixed",
}


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(load_corpus(CORPUS))


def test_corpus_is_large_and_well_formed() -> None:
    items = load_corpus(CORPUS)  # also checks every surface against its offsets
    langs = Counter(it.lang for it in items)
    assert langs["en"] >= 300
    assert langs["zh"] >= 150
    assert {it.category for it in items} == CATEGORIES
    assert len({it.id for it in items}) == len(items)
    negatives = [it for it in items if it.category == "negative"]
    assert len(negatives) >= 60
    assert all(not it.figures for it in negatives)
    for it in items:
        for g in it.figures:
            assert g["comparator"] in COMPARATORS, it.id
            assert g["kind"] in KINDS, it.id
            if g["alt_of"] is not None:
                assert 0 <= g["alt_of"] < len(it.figures), it.id


def test_f1_above_floor(report: Report) -> None:
    total = report.total()
    assert total.f1 >= FLOOR_F1, f"F1 {total.f1:.3f} < {FLOOR_F1}"


@pytest.mark.parametrize("lang", sorted(FLOOR_F1_BY_LANG))
def test_f1_per_language_above_floor(report: Report, lang: str) -> None:
    f1 = report.total(lang=lang).f1
    assert f1 >= FLOOR_F1_BY_LANG[lang], f"{lang}: F1 {f1:.3f}"


def test_no_figures_in_hard_negatives(report: Report) -> None:
    spurious = [
        (r.item.id, p.surface)
        for r in report.results
        if r.item.category == "negative"
        for p in r.spurious
    ]
    assert spurious == []


def test_offsets_point_into_the_text(report: Report) -> None:
    for r in report.results:
        for f in r.predicted:
            assert r.item.text[f.start : f.end] == f.surface
