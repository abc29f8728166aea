"""Parse speed on pages as dense as real articles: the soup, the parser, the figures.

Generates N article pages with ``bench/corpus.py`` (40-80 figures a page, both languages,
one in five GB18030), then times, per page, the median of several repeats of:

- a bare ``BeautifulSoup(html, "lxml")`` pass (the floor),
- ``parse_article`` (decoding, the soup, the article fields and the figures),
- ``extract_figures`` alone on the article body, with its title and publication date,
- ``read_page`` (everything but the figures) and its parts: lxml's tree, trafilatura's
  body, htmldate,

and prints a markdown table with the cost per figure and ``parse_article`` against the soup.

    python bench/parse_speed.py [--pages 60] [--repeats 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent))

from htmldate import find_date

from corpus import generate
from jjj_etl.charset import decode_html
from jjj_etl.config import DEFAULT_KEYWORDS
from jjj_etl.parse import extract_figures, parse_article
from jjj_etl.parse._body import generic_body, generic_tree
from jjj_etl.parse.article import read_page
from jjj_etl.records import Article


@dataclass(frozen=True, slots=True)
class _Page:
    url: str
    raw: bytes
    article: Article
    figures: int
    text: str


def _pages(n: int, seed: int, work: Path) -> list[_Page]:
    info = generate(work / "corpus", n, seed)
    root = Path(info.root)
    out = []
    for path in info.articles:
        raw = (root / path.lstrip("/")).read_bytes()
        url = f"http://127.0.0.1{path}"
        parsed = parse_article(raw, url, "bench", keywords=DEFAULT_KEYWORDS)
        if parsed.article is not None:  # off-topic pages are skipped, not timed
            text = decode_html(raw, None)[0]
            out.append(_Page(url, raw, parsed.article, len(parsed.figures), text))
    return out


def _ms_per_page(pages: Sequence[_Page], run: Callable[[_Page], object], repeats: int) -> float:
    """Median over ``repeats`` passes of the mean milliseconds a page."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for page in pages:
            run(page)
        times.append((time.perf_counter() - start) * 1000 / len(pages))
    return statistics.median(times)


def measure(pages: Sequence[_Page], repeats: int) -> dict[str, float]:
    """ms per page for the soup, ``parse_article`` and ``extract_figures``."""

    def soup(p: _Page) -> object:
        return BeautifulSoup(p.raw, "lxml")

    def parse(p: _Page) -> object:
        return parse_article(p.raw, p.url, "bench", keywords=DEFAULT_KEYWORDS)

    def figures(p: _Page) -> object:
        a = p.article
        return extract_figures(a.body, a.lang, a.published, title=a.title)

    def fields(p: _Page) -> object:
        return read_page(p.raw, p.url)

    def tree(p: _Page) -> object:
        return generic_tree(p.text)

    def generic(p: _Page) -> object:
        return generic_body(generic_tree(p.text))

    def dates(p: _Page) -> object:
        return find_date(generic_tree(p.text), url=p.url, original_date=True)

    return {
        "soup": _ms_per_page(pages, soup, repeats),
        "parse": _ms_per_page(pages, parse, repeats),
        "figures": _ms_per_page(pages, figures, repeats),
        "fields": _ms_per_page(pages, fields, repeats),
        "tree": _ms_per_page(pages, tree, repeats),
        "generic": _ms_per_page(pages, generic, repeats),
        "htmldate": _ms_per_page(pages, dates, repeats),
    }


def table(pages: Sequence[_Page], ms: dict[str, float]) -> str:
    """The results as a markdown table."""
    per_page = statistics.mean(p.figures for p in pages)
    zh = sum(p.article.lang == "zh" for p in pages)
    rows = [
        f"{len(pages)} pages ({zh} Chinese), {per_page:.0f} figures a page "
        f"({min(p.figures for p in pages)}-{max(p.figures for p in pages)})",
        "",
        "| step | ms / page | × soup | µs / figure |",
        "|---|---:|---:|---:|",
    ]
    for key, name in (
        ("soup", "bare `BeautifulSoup(html, 'lxml')`"),
        ("parse", "`parse_article`"),
        ("figures", "`extract_figures` alone"),
        ("fields", "`read_page` (charset, soup, title, date, body; no figures)"),
        ("tree", "of which: lxml's own tree for trafilatura and htmldate"),
        ("generic", "of which: trafilatura's body (tree included)"),
        ("htmldate", "htmldate alone (only runs when no meta/JSON-LD/time/byline date)"),
    ):
        value = ms[key]
        rows.append(
            f"| {name} | {value:.2f} | {value / ms['soup']:.2f} | {value * 1000 / per_page:.0f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60, help="article pages to generate")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (the median)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jjj-parse-speed-") as work:
        pages = _pages(args.pages, args.seed, Path(work))
    if not pages:
        print("no article pages generated", file=sys.stderr)
        return 1
    print(table(pages, measure(pages, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
