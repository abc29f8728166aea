"""Raw page bytes → :class:`Article`: charset, title, date, language, body without chrome.

The body comes from one of three readers (:mod:`jjj_etl.parse._body` says which wins
where): a source's CSS selector, trafilatura, or the house heuristic below — the way a
reader finds a body, not by one site's ids: among the page's block containers, the one
whose direct paragraphs hold the most text wins (with a bonus for well-known article-body
ids and classes, a penalty for link-heavy blocks).  Chrome (navigation, share bars,
comment counters, scripts, footers, editor lines) is dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning
from bs4.element import NavigableString
from lxml.html import HtmlElement

from jjj_etl.charset import decode_html
from jjj_etl.parse._body import (
    NO_HINTS,
    BodyHints,
    chrome_line,
    generic_body,
    generic_tree,
    shingles,
    squash,
    strip_credit,
)
from jjj_etl.parse._dates import find_published, meta_index
from jjj_etl.parse._sniff import binary_kind
from jjj_etl.parse._tags import TagIndex, tag_index, tags_under
from jjj_etl.parse.figures import extract_figures
from jjj_etl.records import Article, ParsedPage, as_lang
from jjj_etl.urls import canonical_url

PARSER_VERSION = "9"
"""Bumped whenever parsing or figure extraction changes what it returns (cache key)."""

MIN_BODY_CHARS = 120
_BLOCKS = ("div", "article", "section", "td", "main")
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "form",
    "nav",
    "footer",
    "aside",
    "header",
    "button",
    "select",
    "svg",
    "template",
)
_BODY_HINT = re.compile(
    r"article[-_]?body|articlebody|article[-_]?content|^content$|^text$|post[-_]?content|"
    r"entry[-_]?content|story[-_]?body|rm_txt_con|rwb_zw|trs_editor|main[-_]?text|zw|detail",
    re.IGNORECASE,
)
_CHROME_HINT = re.compile(
    r"nav|menu|share|comment|footer|related|sidebar|breadcrumb|crumb|toolbar|copyright|"
    r"advert|\bad\b|banner|social|recommend|hot|rank",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SITE_SUFFIX = re.compile(r"\s*[-|_–—]\s*[^-|_–—]{2,40}$")


def parse_article(
    raw: bytes,
    url: str,
    source: str,
    *,
    keywords: tuple[str, ...] = (),
    header_charset: str | None = None,
    lang: str | None = None,
    hints: BodyHints = NO_HINTS,
    content_sha256: str | None = None,
) -> ParsedPage:
    """Parse one page into an article with its figures, or say why it was skipped.

    Never raises on bad input: malformed, empty, off-topic or non-article pages come back
    with ``article=None`` and ``skipped`` set to a short reason.  ``content_sha256`` is the
    hex sha256 of ``raw`` when the caller has it (the crawler computed it when it fetched
    the page; the pipeline passes it along), else it is computed here.

    >>> html = b"<html lang='en'><body><h1>T</h1><p>" + b"Jing-Jin-Ji grew 5.1% in 2024. " * 6
    >>> page = parse_article(html + b"</p></body></html>", "http://x/a.html", "demo")
    >>> page.article.title, page.figures[0].value
    ('T', 5.1)
    """
    sha = content_sha256 or hashlib.sha256(raw).hexdigest()
    read = read_page(raw, url, header_charset=header_charset, lang=lang, hints=hints)
    if read.skipped or read.body is None:
        return ParsedPage(url, sha, None, skipped=read.skipped)
    body = read.body.body
    if keywords and not _is_relevant(read.title + "\n" + body, keywords):
        return ParsedPage(url, sha, None, skipped="off-topic: no keyword in title or body")
    article = Article(
        url=url,
        canonical_url=read.canonical_url,
        title=read.title,
        published=read.published,
        lang=as_lang(read.lang if read.lang != "auto" else _guess_lang(body)),
        source=source,
        body=body,
        content_sha256=sha,
    )
    figures = tuple(extract_figures(body, article.lang, read.published, title=read.title))
    return ParsedPage(url, sha, article, figures)


@dataclass(frozen=True, slots=True)
class PageReading:
    """A page's article fields before relevance and figures: what :func:`parse_article` and
    the body evaluation (``bench/eval_bodies.py``) share."""

    skipped: str | None
    title: str = ""
    published: str | None = None
    canonical_url: str = ""
    lang: str = "auto"
    body: BodyReading | None = None


def read_page(
    raw: bytes,
    url: str,
    *,
    header_charset: str | None = None,
    lang: str | None = None,
    hints: BodyHints = NO_HINTS,
) -> PageReading:
    """Title, date, canonical URL, language and body of one page, or why it has none."""
    binary = binary_kind(raw)
    if binary:
        return PageReading(f"not-html: the body is {binary}")
    try:
        text, _charset = decode_html(raw, header_charset)
    except Exception as exc:
        return PageReading(f"malformed: cannot decode ({exc})")
    with warnings.catch_warnings():
        # an XML document or a bare string is an answer too (skipped below), not a warning
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(text, "lxml")
    tags = tag_index(soup)  # one walk serves every lookup below (see _tags.py)
    html = next(iter(tags.get("html", [])), None)
    if html is None or soup.body is None:
        return PageReading("malformed: no <body>")
    meta = meta_index(soup, tags)
    title = _title_of(soup, meta, tags)
    tree = generic_tree(text)  # lxml's own tree, for htmldate and then trafilatura (which edits it)
    # before the body loses its date line
    published = find_published(soup, meta, tags, url=url, tree=tree, selector=hints.date_selector)
    reading = _choose_body(soup, tree, title, hints)
    if len(reading.body) < MIN_BODY_CHARS:
        return PageReading("not-article: no article body found", title, published)
    return PageReading(
        None, title, published, _canonical_of(meta, url, tags), _lang_of(html, meta, lang), reading
    )


def _is_relevant(text: str, keywords: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(k.casefold() in folded for k in keywords)


def _lang_of(html: Tag, meta: dict[str, str], forced: str | None) -> str:
    if forced:
        return forced
    declared = (str(html.get("lang") or "") or meta.get("content-language", "")).lower()
    if declared.startswith("zh"):
        return "zh"
    if declared.startswith("en"):
        return "en"
    return "auto"


def _guess_lang(text: str) -> str:
    sample = text[:4000]
    cjk = len(_CJK.findall(sample))
    return "zh" if cjk > 0.2 * max(1, len(sample.replace(" ", ""))) else "en"


def _title_of(soup: BeautifulSoup, meta: dict[str, str], tags: TagIndex) -> str:
    h1 = next(iter(tags.get("h1", [])), None)
    if h1 is not None and h1.get_text(strip=True):
        return _squash(h1.get_text(" ", strip=True))
    og = meta.get("og:title") or meta.get("twitter:title") or meta.get("headline")
    if og:
        return _squash(og)
    if soup.title and soup.title.string:
        return _without_site_names(_squash(soup.title.string))
    return ""


def _without_site_names(title: str) -> str:
    """``Headline_Channel_SITE NAME`` → ``Headline``: portals stack several site suffixes."""
    for _ in range(3):
        shorter = _SITE_SUFFIX.sub("", title)
        if shorter == title or len(shorter) < _MIN_TITLE:
            break
        title = shorter
    return title


_MIN_TITLE = 8


def _canonical_of(meta: dict[str, str], url: str, tags: TagIndex) -> str:
    """The page's ``<link rel="canonical">``, else its ``og:url``, else ``url`` itself, in
    the crawler's URL form (:mod:`jjj_etl.urls`), so that a page and another naming it as
    canonical file one article id."""
    link = next((t for t in tags.get("link", []) if _is_canonical(t)), None)
    declared = str(link.get("href") or "") if link is not None else ""
    return (
        canonical_url(declared, url)
        or canonical_url(meta.get("og:url"), url)
        or canonical_url(url, url)
        or url
    )


def _is_canonical(link: Tag) -> bool:
    rel: object = link.get("rel") or []
    values = rel.split() if isinstance(rel, str) else rel if isinstance(rel, list) else []
    return any(str(v).lower() == "canonical" for v in values)


_squash = squash


def _own_text_len(tag: Tag) -> int:
    return sum(len(c.strip()) for c in tag.children if type(c) is NavigableString)


def _measure(body: Tag, under: list[Tag]) -> dict[int, tuple[int, int]]:
    """(text length, link text length) of ``body`` and every tag ``under`` it (in document
    order), in one bottom-up pass.

    Iterative (document order reversed visits children before parents), so hostile
    nesting depth cannot exhaust the stack.
    """
    sizes: dict[int, tuple[int, int]] = {}
    for tag in [body, *under][::-1]:
        text, link = _own_text_len(tag), 0
        for child in tag.children:
            if isinstance(child, Tag):
                t, lk = sizes.get(id(child), (0, 0))
                text, link = text + t, link + lk
        sizes[id(tag)] = (text, text if tag.name == "a" else link)
    return sizes


def _para_len(block: Tag, sizes: dict[int, tuple[int, int]]) -> int:
    return sum(
        sizes.get(id(c), (0, 0))[0] for c in block.children if isinstance(c, Tag) and c.name == "p"
    )


def _score(block: Tag, sizes: dict[int, tuple[int, int]]) -> float:
    """Text held by a block's own paragraphs (plus half of its child blocks', for portals that
    wrap every paragraph in a div), boosted by body hints, cut by link density and chrome."""
    children = [c for c in block.children if isinstance(c, Tag)]
    if any(c.name in ("p", "br") for c in children):
        text_len = float(_para_len(block, sizes))
    else:
        text_len = float(_own_text_len(block))
    text_len += 0.5 * sum(_para_len(c, sizes) for c in children if c.name in _BLOCKS)
    if text_len == 0:
        return 0.0
    marker = _marker(block)
    total, link_len = sizes.get(id(block), (1, 0))
    score = float(text_len) * (1 - min(0.9, link_len / max(1, total)))
    if _BODY_HINT.search(marker):
        score *= 1.5
    if _CHROME_HINT.search(marker):
        score *= 0.2
    return score


def _is_chrome(tag: Tag) -> bool:
    if tag.name in _DROP_TAGS:
        return True
    if tag.name in ("p", "body", "html"):
        return False
    classes = " ".join(str(c) for c in tag.get("class") or [])
    return bool(classes) and bool(_CHROME_HINT.search(classes)) and not _BODY_HINT.search(classes)


# trafilatura is the default reader; a house block with a known body id/class wins when
# trafilatura kept less than this share of its text (they read different blocks)
_KEPT_ENOUGH = 0.5


@dataclass(frozen=True, slots=True)
class BodyReading:
    """What each reader made of a page, and which one the body came from (``house`` and
    ``generic`` are empty when the source's selector found the body: they are not read)."""

    body: str
    reader: str  # "selector", "generic" (trafilatura), "house" or "none"
    house: str
    generic: str


def _choose_body(
    soup: BeautifulSoup, tree: HtmlElement | None, title: str, hints: BodyHints
) -> BodyReading:
    """The article body from the best of the three readers (module docstring)."""
    _strip_chrome(soup)
    picked = _selected(soup, hints.body_selector) if hints.body_selector else ""
    if len(picked) >= MIN_BODY_CHARS:
        # the source's own selector wins outright: the other two readers would be read for
        # nothing (trafilatura alone costs about what the soup does)
        return BodyReading(picked, "selector", "", "")
    links = _link_texts(tree) if tree is not None else set()
    house, hinted = _house_body(soup)
    if _mostly_links(house, links):
        house = ""
    generic = generic_body(tree, title)
    if _mostly_links(generic, links):
        generic = ""
    if len(generic) >= MIN_BODY_CHARS and len(house) >= MIN_BODY_CHARS:
        if hinted and _kept(house, generic) < _KEPT_ENOUGH:
            # they read different blocks, and the house one is a known portal's body block
            return BodyReading(house, "house", house, generic)
        return BodyReading(_trim_edges(generic, house), "generic", house, generic)
    if len(generic) >= MIN_BODY_CHARS:
        return BodyReading(generic, "generic", house, generic)
    if len(house) >= MIN_BODY_CHARS:
        return BodyReading(house, "house", house, generic)
    return BodyReading("", "none", house, generic)


def _kept(house: str, generic: str) -> float:
    """The share of the house body's word 4-grams that trafilatura's body holds too."""
    house_words = shingles(house)
    return len(house_words & shingles(generic)) / max(1, len(house_words))


# a line this short that ends no sentence, outside the house block, at either end of
# trafilatura's text, is a box around the article (app promotion, sign-up, kicker), not text
_EDGE_LINE = 60
_SENTENCE_END = re.compile(r"[.!?。！？…”\"’)）]$")


def _trim_edges(generic: str, house: str) -> str:
    lines = generic.split("\n")

    def stray(line: str) -> bool:
        return len(line) < _EDGE_LINE and not _SENTENCE_END.search(line) and line not in house

    start, end = 0, len(lines)
    while start < end and stray(lines[start]):
        start += 1
    while end > start and stray(lines[end - 1]):
        end -= 1
    return "\n".join(lines[start:end])


def _link_texts(tree: HtmlElement) -> set[str]:
    """Every link label of the page (lxml's tree: several times faster than the soup's)."""
    return {squash(a.text_content()) for a in tree.iter("a")}


# a "body" most of whose text is link labels is a listing page's headlines, not an article
_LINKY = 0.5


def _mostly_links(body: str, links: set[str]) -> bool:
    lines = body.split("\n")
    linked = sum(len(line) for line in lines if line in links)
    return linked > _LINKY * sum(len(line) for line in lines)


def _selected(soup: BeautifulSoup, selector: str) -> str:
    """Every block the source's selector matches, in page order (a body split over blocks)."""
    blocks = soup.select(selector)
    # a match inside another match would repeat its text
    keep = [b for b in blocks if not any(p in blocks for p in b.parents)]
    return "\n".join(t for t in (_paragraphs(b) for b in keep) if t)


def _strip_chrome(soup: BeautifulSoup) -> None:
    body = soup.body
    assert body is not None  # noqa: S101 - checked by the caller
    inside: set[int] = set()  # ids of tags in a dropped subtree (parents come first)
    roots: list[Tag] = []
    for tag in tags_under(body):
        if id(tag.parent) in inside:
            inside.add(id(tag))
        elif _is_chrome(tag):
            inside.add(id(tag))
            roots.append(tag)
    for tag in roots:
        tag.decompose()


def _house_body(soup: BeautifulSoup) -> tuple[str, bool]:
    """The house block's text, and whether the block carries a known article-body id/class."""
    body = soup.body
    assert body is not None  # noqa: S101 - checked by the caller
    under = tags_under(body)
    sizes = _measure(body, under)
    candidates = [t for t in under if t.name in _BLOCKS]
    candidates.append(body)
    best = max(candidates, key=lambda t: _score(t, sizes))
    return _paragraphs(best), bool(_BODY_HINT.search(_marker(best)))


def _marker(tag: Tag) -> str:
    return " ".join([str(tag.get("id") or ""), *[str(c) for c in tag.get("class") or []]])


def _paragraphs(block: Tag) -> str:
    lines: list[str] = []
    pieces = [t for t in tags_under(block) if t.name == "p"] or [block]
    for piece in pieces:
        for chunk in piece.get_text("\n").split("\n"):
            line = strip_credit(_squash(chunk.replace("\u3000", " ")))
            if line and not chrome_line(line):
                lines.append(line)
    return "\n".join(lines)


def article_json(page: ParsedPage) -> str:
    """The ``parse --json`` document: ``{"article": …, "figures": […]}`` or a skip."""
    if page.article is None:
        return json.dumps({"article": None, "skipped": page.skipped}, ensure_ascii=False)
    doc = {"article": page.article.to_dict(), "figures": [f.to_dict() for f in page.figures]}
    return json.dumps(doc, ensure_ascii=False, indent=2)
