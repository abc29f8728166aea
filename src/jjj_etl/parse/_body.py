"""The article body: trafilatura's generic extraction, the house heuristic, per-source hints.

Three readers of the same page, each best somewhere:

- a source's own CSS selector (``body_selector`` in ``sources.toml``), when an analyst has
  set one: it names the body outright, so it wins whenever it matches;
- trafilatura (the field's maintained extractor, lxml-based): the best reader of arbitrary
  sites — ``<div>``/``<br>`` bodies, ``<article>``/``<main>`` layouts, bodies split over
  blocks, tables — and the default;
- the house heuristic (:mod:`jjj_etl.parse.article`): the block whose own paragraphs hold
  the most text; it knows the Chinese portals' body ids and is the fallback when trafilatura
  finds nothing or keeps too little of what the house block holds.

Whatever the reader, the same line filter drops editor/source/share lines, datelines
without text and similar chrome that both readers sometimes keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html
from trafilatura import extract

__all__ = [
    "BodyHints",
    "chrome_line",
    "generic_body",
    "generic_tree",
    "shingles",
    "squash",
    "strip_credit",
]


@dataclass(frozen=True, slots=True)
class BodyHints:
    """Per-source hints from ``sources.toml`` (CSS selectors; None = find it)."""

    body_selector: str | None = None
    date_selector: str | None = None


NO_HINTS = BodyHints()

_CHROME_LINE = re.compile(
    r"^\s*[\[【(（]?\s*(editor|editors|source|reporter|photo|photos|translated by|"
    r"责任编辑|编辑|来源|记者|作者|摄影|分享到|责编|校对|审核|监制|图片来源)\s*[:：]|"
    r"^\s*(print|e-?mail|go to forum|share|share this|comment\(s\)|\d+\s+comment\(s\)|"
    r"read more|related|tags?)\s*:?\s*$|"
    r"^\s*(打印|关闭|纠错|推荐|分享|关闭窗口|打印本页|收藏|字号|【纠错】|\[纠错\]|返回顶部)\s*"
    r"(\S{0,3}\s*){0,3}$|"
    r"^\s*[【\[]\s*(纠错|打印|关闭)\s*[】\]]|"
    r"^\s*《[^》]{1,20}》\s*[（(][^）)]*版\s*[）)]\s*$|"
    r"^\s*(字号|字体)\s*[:：]?\s*[大中小\s]+$|"
    # "read more" boxes written as text, not as blocks with a class
    r"^\s*[【\[]?\s*(往期推荐|推荐阅读|相关阅读|延伸阅读|相关新闻|更多精彩|阅读原文|扫码关注|长按识别|"
    r"点击(查看|阅读|关注)|read more|related stories|see also|also read)|"
    r"点击(看|查看)更多\s*$",
    re.IGNORECASE,
)
# an image caption: ends with its photo credit ("…现场。人民网 邱宇摄", "… [Photo by Zou Hong]")
_CAPTION = re.compile(
    r"(?:\s\S{1,12}\s*[摄攝]\s*[)）]?|[\[(（]\s*(?:photo|photos|图|图片)\s*(?:by\b|[:：/])[^\])）]*[\])）])"
    r"\s*$",
    re.IGNORECASE,
)
_CAPTION_MAX = 160  # longer lines ending that way are paragraphs quoting a credit
# a line that is only a date/time, perhaps with a source or author: the byline, not the text
_DATE_ONLY = re.compile(
    r"^\s*(?:(?:updated|published|posted|发布时间|时间|日期)\s*[:：]?\s*)?"
    r"(?:(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|"
    r"[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+(?:19|20)\d\d|\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+(?:19|20)\d\d)"
    r"(?:\s*\d{1,2}[:：]\d\d(?:[:：]\d\d)?)?"
    r"(?:\s*(?:[|丨·/]|\s)\s*(?:source|来源|作者|by)?\s*[:：]?\s*\S{0,30})?\s*$",
    re.IGNORECASE,
)
# an editor credit run onto the last paragraph ("… the committee said. (Editor: Zhang Wei)")
_TRAILING_CREDIT = re.compile(
    r"\s*[(（\[【]\s*(?:editor|editors|责任编辑|编辑|责编|记者|作者|来源|source)\s*[:：]"
    r"[^)）\]】]{1,40}[)）\]】]\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """``text`` with every run of whitespace one space, and none at the ends.

    ``str.split`` and the engine's ``\\s`` use the same whitespace test (the ideographic
    space included), and splitting is several times faster than a substitution.
    """
    return " ".join(text.split())


def strip_credit(line: str) -> str:
    """``line`` without an editor/source credit run onto its end."""
    return _TRAILING_CREDIT.sub("", line)


def chrome_line(line: str) -> bool:
    """True for a line that is page chrome even inside the body block (editor, share, byline)."""
    if _CHROME_LINE.search(line) or _DATE_ONLY.match(line):
        return True
    return len(line) <= _CAPTION_MAX and bool(_CAPTION.search(line))


# lxml.html's parser picks each element's class in a Python callback (forms and inputs get
# their own classes), run for every element object made, by trafilatura's many walks too;
# nothing here reads form fields, so one class for all, picked in C, serves every reader
_TREE_PARSER = lxml.html.HTMLParser()
_TREE_PARSER.set_element_class_lookup(
    lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


def generic_tree(text: str) -> lxml.html.HtmlElement | None:
    """lxml's own tree of the page for trafilatura (it rewrites the tree it is given)."""
    try:
        tree = lxml.html.document_fromstring(text, parser=_TREE_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return None
    return tree


# class/id words of blocks that sit inside an article's container yet are not its text:
# the standfirst, credits, pull quotes, captions, sign-up boxes, share and tag bars
_CHROME_WORDS = frozenset(
    [
        "dek",
        "standfirst",
        "subtitle",
        "subhed",
        "kicker",
        "pullquote",
        "pull-quote",
        "credits",
        "credit",
        "byline",
        "bylines",
        "author",
        "authors",
        "caption",
        "captions",
        "newsletter",
        "signup",
        "subscribe",
        "subscription",
        "promo",
        "related",
        "share",
        "sharing",
        "social",
        "comments",
        "comment",
        "advert",
        "advertisement",
        "ad",
        "ads",
        "sidebar",
        "breadcrumb",
        "breadcrumbs",
        "crumbs",
        "tags",
        "toolbar",
        "copyright",
        "disclaimer",
        "recommend",
        "recommended",
        "trending",
        "readmore",
        "read-more",
        "more-stories",
        "app",
        "apps",
        "download",
        "feedback",
        "tip",
        "tips",
        "player",
        "reporter",
        "bio",
    ]
)
_CLASS_WORDS = re.compile(r"[a-z]+(?:-(?:quote|more|stories))?")
_NEVER_DROPPED = frozenset({"html", "body", "article", "main"})
# a block holding this share of the page's text is the article, whatever its classes say
_CHROME_MAX_SHARE = 0.2


def _is_chrome_block(el: lxml.html.HtmlElement) -> bool:
    marker = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    if not marker.strip():
        return False
    words = set(_CLASS_WORDS.findall(marker.replace("_", "-")))
    return not words.isdisjoint(_CHROME_WORDS)


_MARKED = lxml.etree.XPath("//*[@class or @id]")


def _drop_chrome_blocks(tree: lxml.html.HtmlElement) -> None:
    """Remove chrome blocks trafilatura would keep (they sit inside the article container)."""
    total = len(tree.text_content()) or 1
    # only an element with a class or an id can be marked (one XPath, not a walk in Python;
    # it returns elements only, no comments or processing instructions)
    marked = [el for el in _MARKED(tree) if el.tag not in _NEVER_DROPPED and _is_chrome_block(el)]
    for el in marked:
        if el.getparent() is None:
            continue  # already inside a dropped block
        if len(el.text_content()) <= _CHROME_MAX_SHARE * total:
            el.drop_tree()  # keeps the text that follows it (its tail)


def generic_body(tree: lxml.html.HtmlElement | None, title: str = "") -> str:
    """trafilatura's body text, one paragraph a line, table rows as ``cell | cell``."""
    if tree is None:
        return ""
    try:
        _drop_chrome_blocks(tree)
        found = extract(
            tree,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
            with_metadata=False,
        )
    except Exception:  # a reader's crash is a body not found, never the page's
        return ""
    lines: list[str] = []
    for raw in (found or "").split("\n"):
        line = squash(raw)
        if line.startswith("|") or line.endswith("|"):
            # a table row, or one line of a cell that spans several (layout tables)
            line = " | ".join(c.strip() for c in line.strip("|").split("|") if c.strip())
        line = strip_credit(line)
        if line and line != title and not chrome_line(line):
            lines.append(line)
    return "\n".join(lines)


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    """Word 4-grams (a CJK character counts as a word), the usual unit to compare bodies."""
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < size:
        return {tuple(words)} if words else set()
    return set(zip(*(words[i:] for i in range(size)), strict=False))  # shortest run ends it
