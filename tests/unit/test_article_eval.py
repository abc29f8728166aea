"""Floors on the article corpus (tests/data/articles): figure F1 and per-field accuracy, per
language and split.  The floors sit just under what the extractor reaches on each split;
``test`` is never tuned on, so its floors are the honest ones.  Raise them as it improves.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jjj_etl.parse._article_eval import (
    ArticleResult,
    Scores,
    evaluate_articles,
    load_articles,
    parse_article_line,
    totals,
)

ARTICLES = Path(__file__).resolve().parents[1] / "data" / "articles"
FLOORS: dict[str, dict[str, float]] = {
    # field: floor for every (language, split)
    "f1": {"en": 0.97, "zh": 0.98},
    "comparator": {"en": 0.97, "zh": 0.97},
    "kind": {"en": 0.88, "zh": 0.88},
    "period": {"en": 0.83, "zh": 0.72},
    "region": {"en": 0.80, "zh": 0.86},
    "value_high": {"en": 0.98, "zh": 0.98},
}


@pytest.fixture(scope="module")
def results() -> list[ArticleResult]:
    return evaluate_articles(load_articles(ARTICLES))


def test_corpus_is_large_varied_and_split() -> None:
    arts = load_articles(ARTICLES)  # also checks every label against the contract
    figures = Counter(a.lang for a in arts for _ in a.figures)
    assert figures["en"] >= 800
    assert figures["zh"] >= 800
    styles = {(a.lang, a.style) for a in arts}
    assert len(styles) >= 6
    splits = Counter((a.lang, a.split) for a in arts)
    for lang in ("en", "zh"):
        assert splits[(lang, "test")] >= 0.25 * (splits[(lang, "test")] + splits[(lang, "dev")])
    # real density: articles carry tens of figures, not one or two
    assert sorted(len(a.figures) for a in arts)[len(arts) // 2] >= 20


@pytest.mark.parametrize("split", ["dev", "test"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_floors(results: list[ArticleResult], lang: str, split: str) -> None:
    sc: Scores = totals(results, lang, split)
    assert sc.tp + sc.fn > 100
    assert sc.f1 >= FLOORS["f1"][lang], f"{lang} {split}: F1 {sc.f1:.3f}"
    for name, floor in FLOORS.items():
        if name != "f1":
            got = sc.accuracy(name)
            assert got >= floor[lang], f"{lang} {split}: {name} {got:.3f} < {floor[lang]}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": "x", "lang": "en", "body": "Up 5%.", "figures": [{"surface": "9%"}]}, "not found"),
        (
            {
                "id": "x",
                "lang": "en",
                "body": "Up 5%.",
                "figures": [{"surface": "5%", "value": 5, "unit": "%", "kind": "growth"}],
            },
            "bad kind",
        ),
        (
            {
                "id": "x",
                "lang": "en",
                "body": "Up 5%.",
                "figures": [
                    {"surface": "5%", "value": 5, "unit": "%", "kind": "change", "region": "CN-SH"}
                ],
            },
            "regions.csv",
        ),
        (
            {
                "id": "x",
                "lang": "en",
                "body": "Up 5%.",
                "figures": [
                    {"surface": "5%", "value": 5, "unit": "%", "kind": "change", "period": "May"}
                ],
            },
            "bad period",
        ),
        ({"id": "x", "lang": "fr", "body": "", "figures": []}, "lang"),
        ({"id": "x", "lang": "en", "body": "", "figures": [], "split": "train"}, "split"),
    ],
)
def test_bad_labels_are_refused_with_the_place(line: dict, message: str) -> None:
    regions = frozenset({"CN", "CN-BJ"})
    with pytest.raises(ValueError, match=message) as err:
        parse_article_line(line, "file.jsonl:3", regions)
    assert "file.jsonl:3" in str(err.value)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "a", "lang": "en", "body": "", "figures": []}', "{oops"], "b.jsonl:2: not JSON"),
        (
            ['{"id": "a", "lang": "en", "body": "", "figures": []}'] * 2,
            "b.jsonl:2: duplicate id 'a'",
        ),
    ],
)
def test_bad_corpus_files_are_refused_with_the_line(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_articles(tmp_path, root=ARTICLES.parents[2])
