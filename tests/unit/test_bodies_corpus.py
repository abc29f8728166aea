"""Bodies, titles and dates on the labelled pages of many kinds of sites (tests/data/bodies).

Every page is checked against trafilatura alone: the chosen body must keep what trafilatura
keeps (a loss there is a regression of the choice rule).  ``dev`` pages are checked one by
one against their labels (no chrome string in the body, the right title and publication
day); ``test`` pages, which the readers are never tuned on, only in aggregate.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from jjj_etl.parse._body_eval import CaseResult, evaluate, load_cases, same_day, summary

BODIES = Path(__file__).resolve().parents[1] / "data" / "bodies"
CASES = {c.id: c for c in load_cases(BODIES)}
IDS = sorted(CASES)
DEV = [i for i in IDS if CASES[i].split == "dev"]
# shingle recall trafilatura may keep above ours on one page: a paragraph's worth of noise
_SLACK = 0.02


@cache
def result(case_id: str) -> CaseResult:
    return evaluate(CASES[case_id])


def test_the_corpus_spans_layouts_languages_and_splits() -> None:
    cases = list(CASES.values())
    assert len(cases) >= 30
    assert {c.lang for c in cases} == {"en", "zh"}
    assert {c.charset for c in cases} >= {"utf-8", "gbk", "gb18030"}
    assert {c.split for c in cases} == {"dev", "test"}
    assert len({c.layout for c in cases}) >= 30


@pytest.mark.parametrize("case_id", IDS)
def test_the_body_keeps_what_trafilatura_keeps(case_id: str) -> None:
    r = result(case_id)
    assert r.scores["chosen"].recall >= r.scores["trafilatura"].recall - _SLACK, (
        f"{case_id}: trafilatura kept {r.scores['trafilatura'].recall:.2f} of the body, "
        f"ours {r.scores['chosen'].recall:.2f}"
    )


@pytest.mark.parametrize("case_id", DEV)
def test_the_body_is_whole_and_clean(case_id: str) -> None:
    r = result(case_id)
    assert r.bodies["chosen"], f"{case_id}: no body"
    assert not r.chrome_kept, f"{case_id}: chrome in the body: {r.chrome_kept}"
    assert r.scores["chosen"].f1 >= 0.8, f"{case_id}: F1 {r.scores['chosen'].f1:.2f}"


@pytest.mark.parametrize("case_id", DEV)
def test_title_and_publication_day(case_id: str) -> None:
    r = result(case_id)
    assert r.title == r.case.title
    assert same_day(r.published, r.case.published), f"{r.published} for {r.case.published}"


@pytest.mark.parametrize(("split", "floor"), [("dev", 0.97), ("test", 0.93)])
def test_mean_f1_per_split_is_at_least_trafilaturas(split: str, floor: float) -> None:
    s = summary([result(i) for i in IDS if CASES[i].split == split])
    assert s["chosen_f1"] >= max(floor, s["trafilatura_f1"], s["house_f1"])
    assert s["empty"] == 0
    assert s["title"] >= 0.9
    assert s["date"] >= 0.9
