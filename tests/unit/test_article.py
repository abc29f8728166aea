"""Article extraction on the bundled sample site and the fixture pages (no network)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from jjj_etl.config import DEFAULT_KEYWORDS as KEYWORDS
from jjj_etl.parse import parse_article

REPO = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((REPO / "tests/fixtures/sample_expected.json").read_text(encoding="utf-8"))
SITE = REPO / EXPECTED["site_root"]
FIXTURES = REPO / EXPECTED["fixture_pages"]["dir"]
ARTICLES = [a for a in EXPECTED["articles"] if a["expected_skip"] in (None, "duplicate")]
SKIPPED = [a for a in EXPECTED["articles"] if a["expected_skip"] not in (None, "duplicate")]


def _parse(path: Path) -> Any:
    return parse_article(path.read_bytes(), path.as_uri(), "sample-forum", keywords=KEYWORDS)


@pytest.mark.parametrize("case", ARTICLES, ids=[a["path"] for a in ARTICLES])
def test_sample_article_fields(case: dict[str, Any]) -> None:
    page = _parse(SITE / case["path"])
    assert page.article is not None, page.skipped
    art = page.article
    assert art.title == case["title"]
    assert art.lang == case["lang"]
    assert art.published is not None
    assert art.published[:10] == case["published"]
    assert len(art.body) > 150
    # chrome stays out of the body
    for chrome in (
        "Comment(s)",
        "Go to Forum",
        "Copyright",
        "ICP",
        "分享到",
        "责任编辑",
        "Editor:",
    ):
        assert chrome not in art.body, f"{chrome!r} leaked into the body"
    for fig in page.figures:
        assert art.body[fig.start : fig.end] == fig.surface


@pytest.mark.parametrize("case", SKIPPED, ids=[a["path"] for a in SKIPPED])
def test_sample_pages_skipped_with_reason(case: dict[str, Any]) -> None:
    page = _parse(SITE / case["path"])
    assert page.article is None
    assert page.skipped
    expected = case["expected_skip"]
    if expected == "malformed":
        assert re.match(r"(malformed|not-article)", page.skipped)
    else:
        assert page.skipped.startswith(expected)


def test_duplicate_pages_share_canonical() -> None:
    dupes = [a for a in EXPECTED["articles"] if a["is_duplicate_of"]]
    assert dupes
    for case in dupes:
        a = _parse(SITE / case["path"]).article
        b = _parse(SITE / case["is_duplicate_of"]).article
        assert a is not None
        assert b is not None
        assert a.canonical_url == b.canonical_url


@pytest.mark.parametrize("name", sorted(EXPECTED["fixture_pages"]["pages"]))
def test_fixture_pages(name: str) -> None:
    case = EXPECTED["fixture_pages"]["pages"][name]
    page = _parse(FIXTURES / name)
    if case.get("expected_skip"):
        assert page.article is None
        assert page.skipped
        return
    art = page.article
    assert art is not None, page.skipped
    assert (art.title, art.lang, art.published[:10] if art.published else None) == (
        case["title"],
        case["lang"],
        case["published"],
    )
    if case.get("canonical_url"):
        assert art.canonical_url == case["canonical_url"]


def test_gbk_page_decodes() -> None:
    raw = (FIXTURES / "zh_article_gbk.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    page = parse_article(raw, "http://example.org/a.htm", "t", keywords=KEYWORDS)
    assert page.article is not None
    assert "京津冀" in page.article.body


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02garbage",
        b"<html><head><title>x",
        b"<html><body></body></html>",
        b"\xff\xfe" + "京津冀".encode("utf-16-le"),
        b"<p>" * 5000,
    ],
    ids=["empty", "binary", "truncated", "empty-body", "utf16-bom", "deep-nesting"],
)
def test_bad_input_is_a_skip_not_a_crash(raw: bytes) -> None:
    page = parse_article(raw, "http://example.org/x.html", "t", keywords=KEYWORDS)
    assert page.article is None
    assert page.skipped


def test_paragraphs_wrapped_one_per_div_are_one_body() -> None:
    paras = [
        "The Beijing-Tianjin-Hebei region signed 1,200 cooperation projects last year.",
        "Officials said the projects cover logistics, chips and health care in all three places.",
        "A further 300 projects are planned for the first half of this year, they added.",
        "Companies from Zhongguancun led most of them, according to the municipal commission.",
    ]
    wrapped = "".join(f'<div class="para"><p>{p}</p></div>' for p in paras)
    html = (
        "<html lang='en'><body><nav><a href='/'>Home</a> <a href='/b'>Business</a></nav>"
        f"<h1>Projects</h1><div class='story'>{wrapped}</div>"
        "<div class='related'><p><a href='/x'>Another story about Hebei</a></p></div>"
        "</body></html>"
    ).encode()
    page = parse_article(html, "http://example.org/a.html", "t", keywords=KEYWORDS)
    assert page.article is not None
    assert page.article.body.split("\n") == paras


def test_a_known_content_hash_is_passed_along_not_computed_again() -> None:
    raw = (SITE / ARTICLES[0]["path"]).read_bytes()
    computed = parse_article(raw, "http://x/a.html", "s", keywords=KEYWORDS)
    assert computed.content_sha256 == hashlib.sha256(raw).hexdigest()
    given = parse_article(raw, "http://x/a.html", "s", keywords=KEYWORDS, content_sha256="f" * 64)
    assert given.article is not None
    assert (given.content_sha256, given.article.content_sha256) == ("f" * 64, "f" * 64)
