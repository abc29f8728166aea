"""Crawl-level deduplication: rel=canonical and redirects that land on one page.

Two pages are one article when they end at the same URL (two links redirecting to one
page) or when one names the other as its ``<link rel="canonical">`` and their bytes
differ.  Pages with the *same* bytes are left alone here: the pipeline parses each content
hash once and records the later page as a ``duplicate`` of the first.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from urllib.parse import urljoin

from jjj_etl.fetch._frontier import canonicalize_url
from jjj_etl.records import FetchedPage

__all__ = ["Claims", "canonical_link", "mark_canonical_duplicates"]

_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_REL_CANONICAL = re.compile(rb"""\brel\s*=\s*["']?\s*canonical\b""", re.IGNORECASE)
_HREF = re.compile(rb"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_HEAD_BYTES = 65536


def canonical_link(body: bytes, base: str) -> str | None:
    """The canonical URL a page declares with ``<link rel="canonical">``, resolved, or None.

    >>> canonical_link(b'<link href="../a.html?utm_source=x" rel="canonical">', "http://h/b/c")
    'http://h/a.html'
    """
    for tag in _LINK_TAG.finditer(body[:_HEAD_BYTES]):
        if not _REL_CANONICAL.search(tag.group(0)):
            continue
        href = _HREF.search(tag.group(0))
        if href is None:
            return None
        raw = next(g for g in href.groups() if g is not None).strip()
        if not raw:
            return None
        try:
            return canonicalize_url(urljoin(base, raw.decode("utf-8", "replace")))
        except ValueError:
            return None
    return None


class Claims:
    """Which start URL fetched which final URL, so a page is fetched once per crawl."""

    def __init__(self) -> None:
        self._owner: dict[str, str] = {}

    def claim(self, final: str, owner: str) -> str | None:
        """Claim ``final`` for ``owner``; return the earlier owner when already claimed."""
        earlier = self._owner.setdefault(final, owner)
        return None if earlier == owner else earlier


def mark_canonical_duplicates(
    pages: Iterable[FetchedPage], canonicals: dict[str, str]
) -> list[FetchedPage]:
    """Mark, in crawl order, article pages whose canonical URL names an earlier page.

    Only a page pointing *away* from itself is marked; a page that is its own canonical is
    always kept (the pipeline then settles which article record wins).

    ``canonicals`` maps a page URL to its declared canonical URL.  A marked page keeps its
    hash and archive entry but gets ``skipped="duplicate: …"`` so it is not parsed again.
    """
    first: dict[str, FetchedPage] = {}
    out: list[FetchedPage] = []
    for page in pages:
        if page.is_listing or page.status != 200 or page.skipped or page.error:
            out.append(page)
            continue
        canonical = canonicals.get(page.url) or page.final_url
        earlier = first.get(canonical)
        points_away = canonical not in (page.url, page.final_url)
        if points_away and earlier is not None and earlier.content_sha256 != page.content_sha256:
            reason = f"duplicate: rel=canonical {canonical} was already fetched as {earlier.url}"
            out.append(dataclasses.replace(page, skipped=reason))
            continue
        for key in (canonical, page.final_url, page.url):
            first.setdefault(key, page)
        out.append(page)
    return out
