"""Each fetched page's outcome in a run: article, duplicate, skipped, failed, …

Computed once per run, when the run is loaded: the page log (``staging.pages``) and the run
summary both read the same list.  This is where pages that are one article are settled, once:
the crawl only refuses to fetch a URL twice (redirects to one page); here, after parsing, the
first page in crawl order of each article id (its canonical URL, :mod:`jjj_etl.urls`) is the
article and every later one a ``duplicate``: the same bytes under another URL, a page whose
``<link rel="canonical">`` names an earlier one, a page named as canonical by an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jjj_etl.pipeline import _parse
from jjj_etl.pipeline._known import KnownState
from jjj_etl.pipeline._parse import PageResult
from jjj_etl.records import FetchedPage


@dataclass(frozen=True, slots=True)
class Outcome:
    """One fetched page, what became of it, why, and the article it was filed as."""

    page: FetchedPage
    outcome: str
    reason: str | None = None
    article_id: str | None = None

    def as_tuple(self) -> tuple[FetchedPage, str, str | None, str | None]:
        """The row :func:`jjj_etl.staging.page_rows` takes."""
        return (self.page, self.outcome, self.reason, self.article_id)


def page_outcomes(
    pages: Sequence[FetchedPage], parsed: Sequence[PageResult], known: KnownState
) -> list[Outcome]:
    """The outcome of every fetched page; the first URL of an article wins it."""
    by_sha = {p.content_sha256: p for p in parsed}
    taken: dict[str, FetchedPage] = {}  # article id -> the page that claimed it this run
    return [_outcome(page, by_sha, taken, known) for page in pages]


def _outcome(
    page: FetchedPage,
    by_sha: dict[str, PageResult],
    taken: dict[str, FetchedPage],
    known: KnownState,
) -> Outcome:
    sha = page.content_sha256 or ""
    if page.error:
        return Outcome(page, "failed", page.error)
    parsed = by_sha.get(sha)
    if page.skipped == "not-modified":  # re-parsed only when a newer parser reads it
        return _article(page, parsed, taken) if parsed else Outcome(page, "not-modified")
    if page.skipped:
        kind = "duplicate" if page.skipped.startswith("duplicate") else "skipped"
        return Outcome(page, kind, page.skipped)
    if page.is_listing:
        return Outcome(page, "listing")
    if parsed:
        return _article(page, parsed, taken)
    return _not_parsed(page, sha, known)


def _not_parsed(page: FetchedPage, sha: str, known: KnownState) -> Outcome:
    if (sha, _parse.PARSER_VERSION) in known.staged:
        return Outcome(page, "unchanged", "content hash already staged")
    return Outcome(page, "skipped", "not parsed")


def _article(page: FetchedPage, parsed: PageResult, taken: dict[str, FetchedPage]) -> Outcome:
    if parsed.article_id is None:
        return Outcome(page, "skipped", parsed.skipped)
    first = taken.setdefault(parsed.article_id, page)
    if first is page:
        return Outcome(page, "article", None, parsed.article_id)
    canonical = parsed.canonical_url
    if page.content_sha256 == first.content_sha256:
        reason = f"duplicate: same content as {first.url}"
    elif canonical not in (page.url, page.final_url):
        reason = f"duplicate: rel=canonical {canonical} was already fetched as {first.url}"
    else:
        reason = f"duplicate: named as canonical by {first.url}, fetched first"
    return Outcome(page, "duplicate", reason, parsed.article_id)
