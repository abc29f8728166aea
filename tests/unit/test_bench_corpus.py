"""The benchmark's corpus generator: deterministic from its seed, valid pages, real figures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from builders import bench_module
from jjj_etl.charset import decode_html
from jjj_etl.config import DEFAULT_KEYWORDS
from jjj_etl.parse import parse_article

corpus = bench_module("corpus")


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> object:
    return corpus.generate(tmp_path_factory.mktemp("a"), 40, seed=3)


def test_same_seed_same_bytes_other_seed_other_bytes(site: object, tmp_path: Path) -> None:
    again = corpus.generate(tmp_path / "b", 40, seed=3)
    other = corpus.generate(tmp_path / "c", 40, seed=4)
    first = _digest(Path(site.root))  # type: ignore[attr-defined]
    assert first == _digest(Path(again.root))
    assert first != _digest(Path(other.root))
    mtimes = {p.stat().st_mtime for p in Path(again.root).rglob("*.htm*")}
    assert len(mtimes) == 1  # fixed mtime: the server's ETag/Last-Modified are stable too


def test_pages_are_sized_encoded_and_linked(site: object) -> None:
    info = site
    root = Path(info.root)  # type: ignore[attr-defined]
    assert len(info.articles) == 40  # type: ignore[attr-defined]
    sizes = [(root / a.lstrip("/")).stat().st_size for a in info.articles]  # type: ignore[attr-defined]
    assert min(sizes) >= corpus.MIN_BYTES
    assert max(sizes) <= corpus.MAX_BYTES + 200
    assert info.counts["zh"] > 0
    assert info.counts["gb18030"] > 0
    for path in info.articles:  # type: ignore[attr-defined]
        raw = (root / path.lstrip("/")).read_bytes()
        text, charset = decode_html(raw, None)
        assert "</html>" in text
        if charset and charset.lower().replace("-", "") in ("gb2312", "gbk", "gb18030"):
            raw.decode("gb18030")  # really GB bytes, and valid ones
        else:
            raw.decode("utf-8")
    listed = set()
    for listing in info.listings:  # type: ignore[attr-defined]
        html = (root / listing.lstrip("/")).read_text(encoding="utf-8")
        listed |= {a for a in info.articles if a.lstrip("/") in html}  # type: ignore[attr-defined]
    assert listed == set(info.articles)  # type: ignore[attr-defined]


def test_articles_parse_with_figures_and_keywords(site: object) -> None:
    info = site
    root = Path(info.root)  # type: ignore[attr-defined]
    outcomes = []
    for path in info.articles[:10]:  # type: ignore[attr-defined]
        raw = (root / path.lstrip("/")).read_bytes()
        page = parse_article(raw, f"http://127.0.0.1{path}", "bench", keywords=DEFAULT_KEYWORDS)
        outcomes.append(page)
    articles = [p for p in outcomes if p.article is not None]
    assert len(articles) >= 8
    # as dense as real articles: 40-80 figures a page, several to a sentence
    counts = [len(p.figures) for p in articles]
    assert min(counts) >= 35, counts
    assert max(counts) <= 95, counts
    sentences = [{f.sentence_start for f in p.figures} for p in articles]
    assert all(len(p.figures) >= 1.5 * len(s) for p, s in zip(articles, sentences, strict=True))
    assert {p.article.lang for p in articles} == {"en", "zh"}  # type: ignore[union-attr]
    skipped = [p.skipped for p in outcomes if p.article is None]
    assert all(s and s.startswith("off-topic") for s in skipped)
