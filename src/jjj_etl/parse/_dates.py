"""The publication date of a page: metadata first, then the byline, htmldate, the visible text."""

from __future__ import annotations

import json
import re
from datetime import datetime

from bs4 import BeautifulSoup, Tag
from dateutil import parser as dateparser
from htmldate import find_date
from lxml.html import HtmlElement

from jjj_etl.parse._tags import TagIndex, strings_under, tag_index

_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title"})
_META_NAMES = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "PubDate",
    "date",
    "dc.date",
    "DC.date.issued",
    "firstpublishedtime",  # gov.cn and other Chinese government portals
    "publishtime",
    "publish_time",
    "pubtime",
    "og:published_time",
    "parsely-pub-date",
    "sailthru.date",
)
_ZH_DATE = re.compile(
    r"(20\d{2}|19\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})[:：](\d{2}))?"
)
_ISO_DATE = re.compile(
    r"\b(20\d{2}|19\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?\b"
)
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_EN_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}|\d{{1,2}}\s+{_MONTHS},?\s+(?:19|20)\d{{2}})\b"
)


def _iso(year: str, month: str, day: str, hour: str | None, minute: str | None) -> str | None:
    try:
        dt = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:00") if hour else dt.date().isoformat()


def _normalise(value: str) -> str | None:
    """Any machine date string → ISO 8601 (date, or datetime with offset when given)."""
    value = value.strip()
    m = _ZH_DATE.search(value)
    if m:
        return _iso(*m.groups())
    try:
        dt = dateparser.parse(value, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if dt is None or not 1990 <= dt.year <= 2100:
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", value))
    return dt.isoformat() if has_time else dt.date().isoformat()


def meta_index(soup: BeautifulSoup, tags: TagIndex | None = None) -> dict[str, str]:
    """Every ``<meta>`` content by its lowercased property / name / itemprop / http-equiv.

    One pass over the document (the first tag wins for a repeated key); ``tags`` is the
    page's :func:`tag_index` when the caller has it.
    """
    index: dict[str, str] = {}
    for tag in (tags if tags is not None else tag_index(soup)).get("meta", []):
        content = str(tag.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = str(tag.get(attr) or "").strip().lower()
            if key:
                index.setdefault(key, content)
    return index


def _from_meta(meta: dict[str, str]) -> str | None:
    for name in _META_NAMES:
        value = meta.get(name.lower())
        iso = _normalise(value) if value else None
        if iso:
            return iso
    return None


def _from_json_ld(tags: TagIndex) -> str | None:
    for script in tags.get("script", []):
        if str(script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.get_text() or "null")
        except ValueError:
            continue
        for key in ("datePublished", "dateCreated", "uploadDate"):
            iso = _ld_date(data, key, _LD_DEPTH)
            if iso:
                return iso
    return None


_LD_DEPTH = 4  # NewsArticle inside @graph (Yoast), mainEntity, or a list of items


def _ld_date(node: object, key: str, depth: int) -> str | None:
    """The first ``key`` date in a JSON-LD document, looking into @graph and nested items."""
    if depth < 0:
        return None
    items: list[object]
    if isinstance(node, list):
        items = node
    elif isinstance(node, dict):
        value = node.get(key)
        if isinstance(value, str):
            iso = _normalise(value)
            if iso:
                return iso
        items = list(node.values())
    else:
        return None
    for item in items:
        if isinstance(item, dict | list):
            iso = _ld_date(item, key, depth - 1)
            if iso:
                return iso
    return None


def _from_time_tag(tags: TagIndex) -> str | None:
    times = tags.get("time", [])
    # a <time> that says it is the publication date first; page clocks and related-story
    # times come before the article's own <time> in many layouts
    marked = [t for t in times if _is_publication_time(t)]
    for tag in marked or times:
        value = str(tag.get("datetime") or tag.get_text(strip=True))
        iso = _normalise(value) if value else None
        if iso:
            return iso
    return None


def _is_publication_time(tag: Tag) -> bool:
    if tag.has_attr("pubdate") or str(tag.get("itemprop") or "").lower() == "datepublished":
        return True
    classes = " ".join(str(c) for c in tag.get("class") or []).lower()
    return "publish" in classes or "pubdate" in classes


def _from_text(text: str) -> str | None:
    """The first date-looking string in the visible text (the byline usually comes first)."""
    best: tuple[int, str] | None = None
    for pattern in (_ZH_DATE, _ISO_DATE):
        m = pattern.search(text)
        if m:
            iso = _iso(*m.groups())
            if iso and (best is None or m.start() < best[0]):
                best = (m.start(), iso)
    m = _EN_DATE.search(text)
    if m and (best is None or m.start() < best[0]):
        iso = _normalise(m.group(0))
        if iso:
            best = (m.start(), iso)
    return best[1] if best else None


def find_published(
    soup: BeautifulSoup,
    meta: dict[str, str] | None = None,
    tags: TagIndex | None = None,
    *,
    url: str = "",
    tree: HtmlElement | None = None,
    selector: str | None = None,
) -> str | None:
    """ISO publication date or datetime of a page, or None when nothing says.

    Looks at, in order: the source's own ``date_selector``; meta tags, JSON-LD, ``<time>``;
    the byline (the first date after the headline); htmldate's reading of the page and its
    URL (``tree``: lxml's tree of the page, read-only here); then the first date anywhere in
    the visible text.  Call it before the body is stripped of chrome (the date line is chrome).

    >>> find_published(BeautifulSoup("<p>Source: Xinhua | March 28, 2025</p>", "lxml"))
    '2025-03-28'
    """
    tags = tags if tags is not None else tag_index(soup)
    index = meta if meta is not None else meta_index(soup, tags)
    found = (
        (_from_selector(soup, selector) if selector else None)
        or _from_meta(index)
        or _from_json_ld(tags)
        or _from_time_tag(tags)
    )
    if found:
        return found
    body = soup.body or soup
    visible: list[str] = []
    after_title = -1
    headline = next(iter(tags.get("h1", [])), None)
    for s in strings_under(body):
        if s.parent is None or s.parent.name in _INVISIBLE or not s.strip():
            continue
        if after_title < 0 and headline is not None and s.parent is headline:
            after_title = len(visible)
        visible.append(s.strip())
    if after_title >= 0:
        byline = _from_text(" ".join(visible[after_title : after_title + _BYLINE_STRINGS]))
        if byline:
            return byline
    return _from_htmldate(tree, url) or _from_text(" ".join(visible))


# the strings after the headline that can hold its byline (title, kicker, author, date, source)
_BYLINE_STRINGS = 12


def _from_selector(soup: BeautifulSoup, selector: str) -> str | None:
    tag = soup.select_one(selector)
    if tag is None:
        return None
    for value in (tag.get("datetime"), tag.get("content"), tag.get_text(" ", strip=True)):
        if isinstance(value, str) and value.strip():
            iso = _from_text(value) or _normalise(value)
            if iso:
                return iso
    return None


def _from_htmldate(tree: HtmlElement | None, url: str) -> str | None:
    if tree is None and not url:
        return None
    try:
        found = find_date(
            tree if tree is not None else "<html></html>",
            url=url or None,
            original_date=True,
            extensive_search=False,  # its text search turns a bare year into 1 January
            deferred_url_extractor=False,
        )
    except Exception:  # a library's failure is a date not found, never a lost page
        return None
    return found if isinstance(found, str) else None
