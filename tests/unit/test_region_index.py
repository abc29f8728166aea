"""The region index answers each clause's question as a reading from scratch would.

``region_before`` and ``_mentions`` keep what they read of a sentence in the
:class:`RegionIndex` (the walk from the sentence start, the groups up to a limit) so the
figures of a long sentence do not read it again each; here every answer is compared with
the plain reading they replaced, for every sentence start and every anchor of the corpora.
"""

from __future__ import annotations

import random
from pathlib import Path

from jjj_etl.parse import _regions
from jjj_etl.parse._article_eval import load_articles
from jjj_etl.parse._eval import load_corpus
from jjj_etl.parse._fold import fold
from jjj_etl.parse._regions import RegionIndex, mask_datelines, region_before
from jjj_etl.parse._sentences import split_sentences

DATA = Path(__file__).resolve().parents[1] / "data"


def _texts() -> list[str]:
    texts = [fold(a.body) for a in load_articles(DATA / "articles")]
    texts += [fold(i.text) for i in load_corpus(DATA / "figures_corpus.jsonl")]
    return [mask_datelines(t) for t in texts]


def _walk_from_scratch(
    index: RegionIndex, lo: int, hi: int, topic: str | None, ctx_lo: int | None
) -> list[_regions.Group]:
    """``_mentions`` as it was: a walk over every name from the sentence start."""
    out: list[_regions.Group] = []
    last_place: tuple[str, ...] = ()
    prev_end = -10
    start = lo if ctx_lo is None else min(ctx_lo, lo)
    for m_start, m_end, codes, brand, compared in index.found:
        if m_start < start:
            continue
        if m_end > hi:
            break
        glued = m_start - prev_end <= 2
        prev_end = m_end
        if glued and brand:
            continue
        place = codes if codes in _regions._SINGLE else last_place
        meant = codes
        if codes == (_regions.TOPIC,):
            if glued:
                continue
            meant = last_place or _regions._topic_codes(topic)
            if not meant:
                continue
        last_place = place
        if m_start < lo or compared:
            continue
        out.append((m_start, m_end, frozenset(meant)))
    return out


def _before_from_scratch(
    index: RegionIndex, lo: int, anchor: int, topic: str | None, ctx_lo: int | None
) -> str | None:
    text = index.text
    groups = _regions._groups(text, _walk_from_scratch(index, lo, anchor, topic, ctx_lo))
    if not groups:
        return None
    flow = _regions._flow(text, groups)
    if flow:
        return _regions._known(flow)
    cluster = [groups[-1]]
    for g in reversed(groups[:-1]):
        if cluster[0][0] - g[1] > 25:
            break
        cluster.insert(0, g)
    best = max(cluster, key=lambda g: (max(_regions._LEVEL[c] for c in g[2]), g[0]))
    return _regions._known(_regions.code(best[2]))


def test_region_before_and_mentions_answer_as_from_scratch() -> None:
    rng = random.Random(21)  # noqa: S311 - which anchors to ask, not a secret
    asked = 0
    for text in _texts():
        index, plain = RegionIndex(text), RegionIndex(text)  # asked, and read from scratch
        ends = [e for _, e, *_ in index.found]
        for topic in (None, "CN-TJ"):
            for lo, hi in split_sentences(text):
                anchors = sorted({lo, hi, *(e for e in ends if lo < e <= hi)})
                anchors += [rng.randint(lo, hi) for _ in range(2)]  # out of order too
                ctx = max(0, lo - rng.randint(0, 200))
                for anchor in anchors:
                    clause_lo = min(anchor, lo + rng.randint(0, 40))
                    for c in (None, ctx):
                        got = region_before(index, lo, anchor, topic, c)
                        assert got == _before_from_scratch(plain, lo, anchor, topic, c)
                    got_mentions = _regions._mentions(index, clause_lo, anchor, topic, ctx)
                    assert got_mentions == _walk_from_scratch(plain, clause_lo, anchor, topic, ctx)
                    asked += 1
    assert asked > 2000


def test_a_long_list_of_places_is_read_once() -> None:
    text = "北京、天津、河北分别增长5%，" * 300 + "北京增长6%。"
    index, plain = RegionIndex(text), RegionIndex(text)
    for anchor in range(0, len(text), 7):
        assert region_before(index, 0, anchor) == _before_from_scratch(plain, 0, anchor, None, None)
    assert len(index._before) == 1  # one reading of the sentence, grown as anchors passed it
