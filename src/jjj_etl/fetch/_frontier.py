"""Links and the crawl frontier: URL canonicalisation, link extraction, what to follow.

A link found on a listing page is fetched only if it stays in scope (an allowed host; for
``file://`` URLs, under a start URL's directory) and is either an article (its path matches
``article_pattern``) or a listing page: it matches ``listing_pattern`` when one is set, else it
looks like pagination or a channel (same directory as a start URL, ``index_2.html``,
``?page=2``, ``/list/…``).  Site chrome (about, contact, login…), images, scripts and
documents are never fetched.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from jjj_etl.charset import decode_html
from jjj_etl.config import Source
from jjj_etl.urls import canonicalize_url

__all__ = [
    "LinkPolicy",
    "canonicalize_url",
    "extract_feed_links",
    "extract_links",
    "page_kind",
    "page_links",
]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_FEED_TYPES = frozenset(
    {"application/xml", "text/xml", "application/rss+xml", "application/atom+xml"}
)
_FETCHABLE_SCHEMES = frozenset({"http", "https", "file"})
_PAGINATION_PATH = re.compile(
    r"(?:^|/)(?:index|list|default|more|node)[_-]?\d*\.(?:s?html?|php|aspx?|jsp)$"
    r"|/(?:list|page|channel|node|column|category|section)s?/"
    r"|/page/\d+/?$",
    re.IGNORECASE,
)
_PAGINATION_QUERY = re.compile(r"(?:^|&)(?:page|p|pn|pg|pageno|page_no|start|offset)=\d+", re.I)
_CHROME = re.compile(
    r"(?:^|[/_-])(?:about|contact|privacy|terms|legal|login|logout|register|signin|signup"
    r"|search|feedback|copyright|disclaimer|subscribe|jobs|careers|help)(?:us)?(?:[._/-]|$)",
    re.IGNORECASE,
)
_NOT_PAGES = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|css|js|json|pdf|docx?|xlsx?|pptx?|zip|rar"
    r"|7z|gz|tar|mp[34]|m4a|avi|mov|wmv|flv|wav|ogg|woff2?|ttf|eot|exe|apk|dmg)$",
    re.IGNORECASE,
)


def _resolve(base: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(base, href)
    except ValueError:
        return None
    if urlsplit(absolute).scheme.lower() not in _FETCHABLE_SCHEMES:
        return None  # javascript:, mailto:, tel:, data: ...
    return canonicalize_url(absolute)


def _unique(urls: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u for u in urls if u))


def extract_links(html: str, base_url: str) -> tuple[str, ...]:
    """Absolute, canonical links of an HTML page, in document order, without repeats.

    Honours ``<base href>``; skips ``javascript:``, ``mailto:`` and same-page anchors.

    >>> extract_links('<a href="b.html#x">b</a><a href="mailto:x@y.z">m</a>', "http://h/a/")
    ('http://h/a/b.html',)
    """
    try:
        doc = lxml.html.document_fromstring(
            html.encode("utf-8", "surrogatepass"),
            parser=lxml.html.HTMLParser(encoding="utf-8"),
        )
    except (lxml.etree.ParserError, ValueError):
        return ()
    base = base_url
    for el in doc.iter("base"):
        href = el.get("href")
        if href:
            base = urljoin(base_url, href.strip())
            break
    hrefs = (el.get("href") for el in doc.iter("a", "area"))
    return _unique(_resolve(base, href) for href in hrefs)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _feed_hrefs(root: lxml.etree._Element) -> Iterator[str | None]:
    for el in root.iter():
        name = _local(el.tag)
        if name == "loc" or (name == "link" and el.text and el.text.strip()):
            yield el.text
        elif name == "link":
            yield el.get("href")


def extract_feed_links(data: bytes, base_url: str) -> tuple[str, ...]:
    """Links of a sitemap (``<loc>``), RSS (``<link>``) or Atom (``<link href>``) document.

    >>> extract_feed_links(b"<urlset><url><loc>http://h/a.html</loc></url></urlset>", "http://h/")
    ('http://h/a.html',)
    """
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return ()
    if root is None:
        return ()
    return _unique(_resolve(base_url, href) for href in _feed_hrefs(root))


def page_kind(media: str | None, body: bytes) -> str | None:
    """``html``, ``feed`` or None (not a page), sniffing when there is no Content-Type."""
    if media in _HTML_TYPES:
        return "html"
    if media in _FEED_TYPES:
        return "feed"
    if media is not None:
        return None
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "html"
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<urlset", b"<feed")):
        return "feed"
    return None


def page_links(body: bytes, kind: str, charset: str | None, base: str) -> tuple[str, ...]:
    """Links of a listing page's body, by its :func:`page_kind`."""
    if kind == "feed":
        return extract_feed_links(body, base)
    return extract_links(decode_html(body, charset)[0], base)


def _directory(path: str) -> str:
    return path if path.endswith("/") else posixpath.dirname(path) + "/"


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """Decides, for one source, what a URL is and whether to fetch it."""

    hosts: frozenset[str]  # allowed http(s) hosts ('.example.com' admits subdomains)
    start_dirs: frozenset[tuple[str, str]]  # (scheme://netloc, directory) of start URLs
    article: re.Pattern[str]
    listing: re.Pattern[str] | None

    @classmethod
    def for_source(cls, source: Source, start_urls: Iterable[str]) -> LinkPolicy:
        """Build the policy; with no ``allowed_hosts`` the start URLs' hosts are allowed."""
        starts = [urlsplit(u) for u in start_urls]
        hosts = {h.lower().removeprefix("*") for h in source.allowed_hosts}
        if not hosts:
            hosts = {(s.hostname or "").lower() for s in starts if s.scheme != "file"}
        return cls(
            hosts=frozenset(hosts),
            start_dirs=frozenset((f"{s.scheme}://{s.netloc}", _directory(s.path)) for s in starts),
            article=re.compile(source.article_pattern),
            listing=re.compile(source.listing_pattern) if source.listing_pattern else None,
        )

    def host_allowed(self, host: str) -> bool:
        """Is ``host`` one of the allowed hosts (or a subdomain of a ``.domain`` entry)?"""
        host = host.lower().rstrip(".")
        return host in self.hosts or any(
            h.startswith(".") and (host.endswith(h) or host == h[1:]) for h in self.hosts
        )

    def in_scope(self, url: str) -> bool:
        """An allowed host, or for ``file://`` a path under a start URL's directory."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            return any(
                origin == "file://" and parts.path.startswith(d) for origin, d in self.start_dirs
            )
        return parts.scheme in ("http", "https") and self.host_allowed(parts.hostname or "")

    def is_article(self, url: str) -> bool:
        """Does the URL path match the source's ``article_pattern``?"""
        return self.article.search(urlsplit(url).path) is not None

    def is_listing_link(self, url: str) -> bool:
        """Does a (non-article) link look like a listing page worth fetching?"""
        parts = urlsplit(url)
        if self.listing is not None:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            return self.listing.search(target) is not None
        if _NOT_PAGES.search(parts.path) or _CHROME.search(parts.path):
            return False
        if _PAGINATION_PATH.search(parts.path) or _PAGINATION_QUERY.search(parts.query):
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        if (origin, _directory(parts.path)) in self.start_dirs:
            return True  # a page beside a start URL: pagination or a sibling channel
        return parts.path.endswith("/") and any(  # a channel directory below a start URL
            o == origin and parts.path.startswith(d) for o, d in self.start_dirs
        )

    def should_fetch(self, url: str) -> bool:
        """In scope, and an article or a listing page."""
        return self.in_scope(url) and (self.is_article(url) or self.is_listing_link(url))
