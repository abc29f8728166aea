"""Literal records for tests: figures located in a body, pages around them."""

from __future__ import annotations

import hashlib

from jjj_etl.records import Article, Figure, ParsedPage

TECH = "technology contracts from Beijing to Tianjin and Hebei"
FLOW = "CN-BJ>CN-TJ+CN-HE"


def figure(
    body: str,
    surface: str,
    value: float,
    unit: str,
    *,
    kind: str = "level",
    period: str | None = "2024",
    subject: str = TECH,
    region: str | None = FLOW,
    alt_of: int | None = None,
    comparator: str = "=",
) -> Figure:
    """A figure at the first occurrence of ``surface``; its sentence is its line of ``body``."""
    start = body.index(surface)
    line_start = body.rfind("\n", 0, start) + 1
    line_end = body.find("\n", start)
    return Figure(
        surface,
        start,
        start + len(surface),
        value,
        unit,
        comparator,
        kind,
        period,
        subject,
        alt_of,
        region,
        None,
        line_start,
        len(body) if line_end < 0 else line_end,
    )


def page(
    url: str,
    body: str,
    figures: list[Figure] | tuple[Figure, ...],
    *,
    title: str = "T",
    published: str = "2025-03-28",
    lang: str = "en",
    source: str = "demo",
) -> ParsedPage:
    """A parsed article page whose content hash is the body's."""
    sha = hashlib.sha256(body.encode()).hexdigest()
    art = Article(url, url, title, published, lang, source, body, sha)
    return ParsedPage(url, sha, art, tuple(figures))
