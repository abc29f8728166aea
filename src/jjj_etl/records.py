"""Typed records passed between stages: plain, frozen, picklable.

Tasks exchange these (never connections or clients), so Prefect can cache and
retry them.  Every record has ``to_dict()`` for JSON output and Arrow loading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Comparator = Literal["=", ">", ">=", "<", "<=", "~"]
Kind = Literal["level", "change", "cumulative", "share", "rate", "difference"]
Lang = Literal["en", "zh"]

LANGS: tuple[Lang, ...] = ("en", "zh")
COMPARATORS: tuple[Comparator, ...] = ("=", ">", ">=", "<", "<=", "~")
KINDS: tuple[Kind, ...] = ("level", "change", "cumulative", "share", "rate", "difference")


def as_kind(value: str) -> Kind:
    """``value`` as a figure kind; ValueError when it is not one (the contract's six)."""
    if value not in KINDS:
        raise ValueError(f"not a figure kind: {value!r}")
    return value  # narrowed by the membership test


def as_lang(value: str) -> Lang:
    """``value`` as an article language (``en`` or ``zh``); ValueError otherwise."""
    if value not in LANGS:
        raise ValueError(f"not a language of the contract: {value!r}")
    return value


def as_comparator(value: str) -> Comparator:
    """``value`` as a comparator; ValueError when it is not one of the contract's six."""
    if value not in COMPARATORS:
        raise ValueError(f"not a comparator: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Figure:
    """One quantity in an article body (the figure contract in DESIGN.md).

    ``start``/``end`` are offsets into the article body (``body[start:end] == surface``);
    ``sentence_start``/``sentence_end`` delimit the sentence that holds it.

    >>> f = Figure("12.7%", 10, 15, 12.7, "%", "=", "change", "2024", "technology contracts")
    >>> f.to_dict()["unit"]
    '%'
    """

    surface: str
    start: int
    end: int
    value: float
    unit: str
    comparator: Comparator = "="
    kind: Kind = "level"
    period: str | None = None
    subject: str = ""
    alt_of: int | None = None
    region: str | None = None
    value_high: float | None = None  # upper bound when the text gives a range
    sentence_start: int = 0
    sentence_end: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The figure as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Article:
    """One parsed article.  ``body`` is text without chrome, paragraphs joined by newlines."""

    url: str
    canonical_url: str
    title: str
    published: str | None  # ISO 8601 date or datetime
    lang: Lang
    source: str
    body: str
    content_sha256: str

    def to_dict(self) -> dict[str, Any]:
        """The article as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """The outcome of parsing one fetched page: an article with figures, or a skip reason."""

    url: str
    content_sha256: str
    article: Article | None
    figures: tuple[Figure, ...] = ()
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """One fetch attempt.  The body itself lives in the raw archive under ``content_sha256``.

    ``status`` is the HTTP status (0 when no response arrived); ``skipped`` says why a page
    was not fetched or not kept (``robots``, ``not-html``, ``too-large``, ...); ``error``
    holds the error message of a failed fetch.
    """

    url: str
    final_url: str
    source: str
    status: int
    fetched_at: str  # ISO 8601 UTC
    content_type: str | None = None
    charset: str | None = None
    content_sha256: str | None = None
    size: int = 0
    is_listing: bool = False
    skipped: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    links: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The fetch record as a JSON-ready dict (links dropped)."""
        d = asdict(self)
        d.pop("links")
        return d
