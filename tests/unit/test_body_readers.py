"""The body readers: source hints, binary bodies, deep nesting, listings, the chrome filter."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjj_etl.config import load_config
from jjj_etl.errors import ConfigError
from jjj_etl.parse import parse_article
from jjj_etl.parse._body import BodyHints, chrome_line
from jjj_etl.parse._sniff import binary_kind
from jjj_etl.parse.article import read_page

PARAS = [
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan in "
    "2024, up 12.7 percent year on year, the municipal science commission said on Friday.",
    "The Zhongguancun Science Park hosted more than 24,000 high-tech firms by the end of the "
    "year, and their revenue passed 9 trillion yuan for the first time.",
    "Officials in Xiong'an said 1,400 Beijing companies had registered in the new area.",
]


def _split_page() -> bytes:
    """A body in two blocks with a 'most read' box between them, classes no reader knows."""
    first = "".join(f"<p>{p}</p>" for p in PARAS[:2])
    return (
        "<html lang='en'><head><title>Deals</title></head><body>"
        "<h1>Deals across the region</h1><div class='a1'>"
        f"<div class='xq-part'>{first}</div>"
        "<div class='box'><p>Most read: Tianjin port throughput up 4.5% in May as volumes hit "
        "a record of 2.3 million containers</p><p>Hebei steel output falls 3% in first quarter"
        " as the province cuts capacity again</p></div>"
        f"<div class='xq-part'><p>{PARAS[2]}</p></div></div>"
        "<div class='meta'><span class='when'>Posted 2025/06/18</span></div>"
        "</body></html>"
    ).encode()


def test_a_body_selector_reads_every_matching_block_in_order() -> None:
    hints = BodyHints(body_selector="div.xq-part", date_selector="span.when")
    page = parse_article(_split_page(), "http://example.org/a.html", "t", hints=hints)
    assert page.article is not None
    assert page.article.body.split("\n") == PARAS
    assert page.article.published == "2025-06-18"
    assert not any(f.value == 4.5 for f in page.figures)  # nothing from the box between


def test_a_selector_that_matches_nothing_falls_back_to_the_generic_readers() -> None:
    hints = BodyHints(body_selector="div.no-such-class", date_selector="time.none")
    page = parse_article(_split_page(), "http://example.org/a.html", "t", hints=hints)
    assert page.article is not None
    assert PARAS[0] in page.article.body


def test_a_body_the_selector_found_reads_neither_other_reader() -> None:
    page = _split_page()
    found = read_page(page, "http://example.org/a.html", hints=BodyHints("div.xq-part")).body
    assert found is not None
    assert (found.reader, found.house, found.generic) == ("selector", "", "")
    missed = read_page(page, "http://example.org/a.html", hints=BodyHints("div.none")).body
    assert missed is not None
    assert missed.reader != "selector"
    assert PARAS[0] in missed.house
    assert PARAS[0] in missed.generic


SOURCE = '[[sources]]\nname = "s"\nstart_urls = ["http://example.org/"]\n'


@pytest.mark.parametrize("key", ["body_selector", "date_selector"])
@pytest.mark.parametrize("value", ["div[", "", "p >> q", "::nope"])
def test_a_bad_selector_is_a_config_error_naming_the_key(
    tmp_path: Path, key: str, value: str
) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(f'{SOURCE}{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{key}.*not a valid CSS selector"):
        load_config(cfg)


def test_good_selectors_are_kept(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        f'{SOURCE}body_selector = "div#detail > p, div.rm_txt_con"\n'
        'date_selector = "span.h-time"\n',
        encoding="utf-8",
    )
    src = load_config(cfg).sources[0]
    assert src.body_selector == "div#detail > p, div.rm_txt_con"
    assert src.date_selector == "span.h-time"


_ARTICLE_TEXT = " ".join(PARAS).encode()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"%PDF-1.7\n1 0 obj <<>> stream\n" + _ARTICLE_TEXT * 20, "a PDF document"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "a PNG image"),
        (b"PK\x03\x04" + _ARTICLE_TEXT, "a ZIP archive"),
        (zlib.compress(_ARTICLE_TEXT * 50), "binary data"),
        (b"\x1f\x8b\x08\x00" + _ARTICLE_TEXT, "gzip-compressed data"),
    ],
    ids=["pdf", "png", "zip", "deflate", "gzip"],
)
def test_binary_bodies_are_skipped_as_not_html(raw: bytes, kind: str) -> None:
    page = parse_article(raw, "http://example.org/report.html", "t")
    assert page.article is None
    assert page.skipped is not None
    assert page.skipped.startswith("not-html:")
    assert kind in page.skipped
    assert page.figures == ()


def test_html_with_stray_control_bytes_is_still_html() -> None:
    html = b"<html><body><h1>T</h1><p>" + _ARTICLE_TEXT + b"\x07\x00</p></body></html>"
    assert binary_kind(html) is None
    assert parse_article(html, "http://example.org/a.html", "t").article is not None


@given(st.binary(max_size=3000))
def test_sniffing_never_raises(raw: bytes) -> None:
    kind = binary_kind(raw)
    assert kind is None or isinstance(kind, str)


def test_text_under_deep_nesting_is_read_not_lost() -> None:
    depth = 20_000  # far past libxml2's 256 levels
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    html = f"<html><body><h1>Deep</h1>{'<div>' * depth}{body}{'</div>' * depth}</body></html>"
    page = parse_article(html.encode(), "http://example.org/a.html", "t")
    assert page.article is not None, page.skipped
    assert PARAS[0] in page.article.body


def test_a_listing_page_is_not_an_article() -> None:
    items = "".join(
        f"<li><a href='/2025-03/{d:02d}/content_{d}.html'>Jing-Jin-Ji story number {d} on "
        f"growth of {d}.5% in trade</a><span>2025-03-{d:02d}</span></li>"
        for d in range(1, 25)
    )
    html = f"<html lang='en'><body><h1>Latest news</h1><ul class='list'>{items}</ul></body></html>"
    page = parse_article(html.encode(), "http://example.org/list.html", "t")
    assert page.article is None
    assert page.skipped == "not-article: no article body found"


@pytest.mark.parametrize(
    "line",
    [
        "Editor: Wang Lin",
        "【责任编辑：王琳】",
        "责任编辑：李明",
        "【纠错】 【责任编辑：王琳】",
        "2025-03-28 10:12 来源：新华网",
        "Updated: 2025-06-18 09:30",
        "March 5, 2025",
        "《 人民日报 》（ 2025年03月27日 10 版）",
        "分享到：",
    ],
)
def test_chrome_lines_are_recognised(line: str) -> None:
    assert chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "BEIJING, March 5 (Xinhua) -- Beijing's GDP grew 5.2 percent in 2024.",
        "2025年3月28日，京津冀三地签署了12项合作协议。",
        "Sources said the deal was worth 3 billion yuan.",
        "编辑部介绍，今年前三季度北京地区生产总值同比增长5.1%。",
    ],
)
def test_text_lines_are_kept(line: str) -> None:
    assert not chrome_line(line)


_TAGS = ["div", "p", "span", "article", "main", "section", "td", "br", "a", "li", "script", "h1"]
_fragment = st.recursive(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    lambda inner: st.builds(
        lambda tag, cls, kids: f"<{tag} class='{cls}'>{''.join(kids)}</{tag}>",
        st.sampled_from(_TAGS),
        st.sampled_from(["", "content", "nav", "article-body", "share", "rm_txt_con"]),
        st.lists(inner, max_size=4),
    ),
    max_leaves=30,
)


@given(fragment=_fragment, hints=st.sampled_from([BodyHints(), BodyHints("p", "span")]))
def test_any_markup_is_read_or_skipped_never_raised(fragment: str, hints: BodyHints) -> None:
    html = f"<html><body>{fragment}</body></html>".encode()
    page = parse_article(html, "http://example.org/2025/01/02/a.html", "t", hints=hints)
    assert (page.article is None) == (page.skipped is not None)
    if page.article is not None:
        assert len(page.article.body) >= 120
        for fig in page.figures:
            assert page.article.body[fig.start : fig.end] == fig.surface


def test_an_article_container_with_chrome_words_in_its_classes_is_kept() -> None:
    # WordPress writes tag-… and author-… classes on the article element itself
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    html = (
        "<html lang='en'><body><h1>Deals</h1>"
        f"<div class='post tag-beijing author-wang share-enabled'>{body}"
        "<div class='share'><p>Share this story: 12 comments</p></div></div>"
        "<div class='related'><p>Related: Hebei output up 3% in May, officials say</p></div>"
        "</body></html>"
    )
    page = parse_article(html.encode(), "http://example.org/a.html", "t")
    assert page.article is not None
    assert page.article.body.split("\n") == PARAS


def _dated(head: str, body: str, url: str = "http://example.org/a.html") -> str | None:
    text = "".join(f"<p>{p}</p>" for p in PARAS)
    html = (
        f"<html lang='en'><head>{head}</head><body>{body}<h1>T</h1><div>{text}</div></body></html>"
    )
    page = parse_article(html.encode(), url, "t")
    assert page.article is not None
    return page.article.published


@pytest.mark.parametrize(
    ("head", "body", "url", "published"),
    [
        (  # Yoast-style JSON-LD: the article inside @graph, after the WebSite item
            '<script type="application/ld+json">{"@graph": [{"@type": "WebSite"}, '
            '{"@type": "NewsArticle", "datePublished": "2024-06-01T08:00:00+08:00"}]}</script>',
            "",
            "http://example.org/a.html",
            "2024-06-01T08:00:00+08:00",
        ),
        (  # the page clock's <time> comes first; the article's says it is the publication
            "",
            '<div class="clock"><time datetime="2026-12-03">Today</time></div>'
            '<time itemprop="datePublished" datetime="2024-02-02">2 Feb</time>',
            "http://example.org/a.html",
            "2024-02-02",
        ),
        ("", "", "http://example.org/news/2024/11/07/deals.html", "2024-11-07"),  # URL only
        (
            '<meta name="firstpublishedtime" content="2023-11-20-10:30:12">',
            "",
            "http://e/a",
            "2023-11-20T10:30:12",
        ),
        ("", "<p>Since 2014 the region has grown.</p>", "http://example.org/a.html", None),
    ],
    ids=["json-ld-graph", "time-itemprop", "url-date", "gov-meta", "a-bare-year-is-no-date"],
)
def test_publication_dates(head: str, body: str, url: str, published: str | None) -> None:
    assert _dated(head, body, url) == published
