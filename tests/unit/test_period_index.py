"""The period index gives each span exactly the matches each pattern has inside it.

:meth:`PeriodIndex.window` merges every pattern's matches into one list and answers a span
with one bisection; here its answer is compared with each pattern's own ``finditer``
filtered to the span, for every sentence of the corpora, for spans that cut matches, and for
arbitrary text.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jjj_etl.parse._article_eval import load_articles
from jjj_etl.parse._eval import load_corpus
from jjj_etl.parse._fold import fold
from jjj_etl.parse._periods import _INDEXED, PeriodIndex
from jjj_etl.parse._sentences import split_sentences

DATA = Path(__file__).resolve().parents[1] / "data"


def _inside(text: str, lo: int, hi: int) -> dict[re.Pattern[str], list[tuple[int, int]]]:
    """Each pattern's matches over the whole text that start and end inside [lo, hi)."""
    out: dict[re.Pattern[str], list[tuple[int, int]]] = {}
    for rx in _INDEXED:
        got = [m.span() for m in rx.finditer(text) if lo <= m.start() < hi and m.end() <= hi]
        if got:
            out[rx] = got
    return out


def _spans(window: dict[re.Pattern[str], list[re.Match[str]]]) -> dict[object, object]:
    return {rx: [m.span() for m in ms] for rx, ms in window.items()}


def _texts() -> list[str]:
    texts = [fold(a.body) for a in load_articles(DATA / "articles")]
    return texts + [fold(i.text) for i in load_corpus(DATA / "figures_corpus.jsonl")]


def test_every_sentence_of_the_corpora_gets_each_patterns_own_matches() -> None:
    spans = 0
    for text in _texts():
        index = PeriodIndex(text)
        found = _inside(text, 0, len(text))
        assert _spans(index.window(0, len(text))) == found
        for lo, hi in split_sentences(text):
            assert _spans(index.window(lo, hi)) == _inside(text, lo, hi)
            spans += 1
        # spans that cut a match in two: it belongs to neither side
        for ms in found.values():
            for start, end in ms[:3]:
                cut = (start + end) // 2
                assert _spans(index.window(0, cut)) == _inside(text, 0, cut)
                assert _spans(index.window(cut, len(text))) == _inside(text, cut, len(text))
    assert spans > 1000


_PIECES = st.sampled_from(
    [
        "2024年",
        "1-10月",
        "上半年",
        "去年",
        "同期",
        "一季度",
        "since 2013",
        "in 2024",
        "the first half",
        "January-June",
        "2023-2025",
        "前三季度",
        "十四五",
        "the past five years",
        "March 3-5",
        "春节",
        "国庆",
        ", ",
        "。",
        " up 5.2%",
        "增长",
        "Q3",
        "last year",
        "。\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=4), max_size=30), st.data())
def test_any_span_of_any_text_gets_each_patterns_own_matches(
    pieces: list[str], data: st.DataObject
) -> None:
    text = "".join(pieces)
    lo = data.draw(st.integers(0, len(text)))
    hi = data.draw(st.integers(lo, len(text)))
    index = PeriodIndex(text)
    assert _spans(index.window(lo, hi)) == _inside(text, lo, hi)
