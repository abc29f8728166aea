"""The crawl engine: frontier, redirects, conditional GET, archiving, one record per URL."""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import httpx

from jjj_etl.archive import RawArchive
from jjj_etl.charset import media_type
from jjj_etl.config import Source
from jjj_etl.errors import ArchiveUnreadableError, FetchError, disk_full
from jjj_etl.fetch._files import request_url, sample_to_file_url
from jjj_etl.fetch._frontier import LinkPolicy, canonicalize_url, page_kind, page_links
from jjj_etl.fetch._polite import BodyTooLargeError, RetryPolicy, read_body
from jjj_etl.fetch._robots import RobotsCache
from jjj_etl.records import FetchedPage
from jjj_etl.stopping import STOP

__all__ = ["Progress", "Validators", "crawl_async", "page_deadline", "retry_policy", "starts"]

Progress = Callable[[FetchedPage], None]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Validators:
    """What a previous crawl knew about a URL, for a conditional GET.

    >>> Validators(etag='"abc"').etag
    '"abc"'
    """

    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None

    @classmethod
    def from_page(cls, page: FetchedPage) -> Validators:
        """The validators a fetched page left behind."""
        return cls(page.etag, page.last_modified, page.content_sha256)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def starts(source: Source) -> list[str]:
    """The source's start URLs, ``sample:`` resolved, canonical, without repeats."""
    return list(dict.fromkeys(canonicalize_url(sample_to_file_url(u)) for u in source.start_urls))


def file_root(urls: Iterable[str]) -> Path | None:
    """The common directory of the ``file://`` start URLs (what FileTransport may serve)."""
    dirs = [str(Path(url2pathname(urlsplit(u).path)).parent) for u in urls if u.startswith("file:")]
    return Path(os.path.commonpath(dirs)) if dirs else None


def retry_policy(source: Source) -> RetryPolicy:
    """The retry policy a source's config asks for."""
    return RetryPolicy(
        max_retries=source.max_retries,
        backoff_base=source.retry_backoff_seconds,
        max_total_wait=source.max_retry_wait_seconds,
    )


def page_deadline(source: Source, retry: RetryPolicy) -> float:
    """A hard cap on one page, redirects and retries included: a backstop, never the norm."""
    per_hop = (retry.max_retries + 1) * (source.timeout_seconds * 3 + 1) + retry.max_total_wait
    return (source.max_redirects + 2) * per_hop  # + 1 for robots.txt


def _redirect_target(response: httpx.Response, current: str) -> str | None:
    location = response.headers.get("location")
    if response.status_code not in _REDIRECTS or not location:
        return None
    return canonicalize_url(urljoin(current, location.strip()))


class Claims:
    """Which start URL fetched which final URL, so a page is fetched once per crawl.

    The one dedupe the crawl does, by URL before a request; which pages are one article (same
    bytes, or a canonical URL naming another page) is settled by the pipeline after parsing
    (:func:`jjj_etl.pipeline.page_outcomes`).
    """

    def __init__(self) -> None:
        self._owner: dict[str, str] = {}

    def claim(self, final: str, owner: str) -> str | None:
        """Claim ``final`` for ``owner``; return the earlier owner when already claimed."""
        earlier = self._owner.setdefault(final, owner)
        return None if earlier == owner else earlier


class _Crawl:
    """The state of one crawl: frontier, robots, the client and the records made."""

    def __init__(
        self,
        source: Source,
        archive: RawArchive,
        client: httpx.AsyncClient,
        *,
        robots: RobotsCache,
        known: Mapping[str, Validators],
        progress: Progress | None,
    ) -> None:
        self.source = source
        self.archive = archive
        self.client = client
        self.robots = robots
        self.known = known
        self.progress = progress
        self.starts = starts(source)
        self.policy = LinkPolicy.for_source(source, self.starts)
        self.claims = Claims()

    def _page(self, url: str, final: str, status: int, **fields: Any) -> FetchedPage:
        listing = not self.policy.is_article(url)
        return FetchedPage(
            url, final, self.source.name, status, _now(), is_listing=listing, **fields
        )

    async def run(self, deadline: float) -> list[FetchedPage]:
        """Breadth first from the start URLs, within max_pages and max_depth."""
        queue = deque((url, 0) for url in self.starts)
        seen = set(self.starts)
        running: dict[asyncio.Task[FetchedPage], tuple[int, int]] = {}
        done_pages: list[tuple[int, FetchedPage]] = []
        started = 0
        width = min(
            self.source.global_concurrency, self.source.concurrency * len(self.policy.hosts)
        )
        width = max(width, self.source.concurrency)
        while queue or running:
            # a stop signal: no new request; those in flight end within their timeouts
            while (
                queue
                and len(running) < width
                and started < self.source.max_pages
                and not STOP.is_set()
            ):
                url, depth = queue.popleft()
                task = asyncio.create_task(self._visit(url, deadline))
                running[task] = (started, depth)
                started += 1
            if not running:
                break
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                index, depth = running.pop(task)
                page = task.result()
                done_pages.append((index, page))
                if self.progress is not None:
                    self.progress(page)
                if page.is_listing and depth < self.source.max_depth:
                    self._enqueue(page.links, depth + 1, queue, seen)
        return [page for _, page in sorted(done_pages, key=lambda item: item[0])]

    def _enqueue(
        self, links: Iterable[str], depth: int, queue: deque[tuple[str, int]], seen: set[str]
    ) -> None:
        for link in links:
            if link not in seen and self.policy.should_fetch(link):
                seen.add(link)
                queue.append((link, depth))

    async def _visit(self, url: str, deadline: float) -> FetchedPage:
        """Fetch one URL; every failure becomes a record, never an exception."""
        owner = self.claims.claim(url, url)
        if owner is not None:
            return self._page(url, url, 0, skipped=f"duplicate: {url} was fetched for {owner}")
        try:
            async with asyncio.timeout(deadline):
                return await self._fetch(url)
        except TimeoutError:
            return self._page(url, url, 0, error=f"gave up after {deadline:.0f} s")
        except Exception as exc:  # the crawl must go on whatever one page does ...
            full = disk_full(exc, self.archive.root, "the raw archive")
            if full is not None:  # ... unless there is no room to keep pages: all would fail
                raise full from exc
            return self._page(url, url, 0, error=f"{type(exc).__name__}: {exc}")

    def _conditional_headers(self, url: str) -> dict[str, str]:
        known = self.known.get(url)
        headers: dict[str, str] = {}
        if known is not None and known.etag:
            headers["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return headers

    async def _fetch(self, url: str) -> FetchedPage:
        """Follow up to ``max_redirects`` redirects ourselves, checking scope and robots."""
        chain = [url]
        limit = self.source.max_redirects
        for _hop in range(limit + 1):
            outcome = await self._hop(url, chain[-1])
            if isinstance(outcome, FetchedPage):
                return outcome
            target, status = outcome
            if not self.policy.in_scope(target):
                why = f"redirect-off-site: {chain[-1]} redirects to {target}, not an allowed host"
                return self._page(url, target, status, skipped=why)
            if target in chain:
                loop = " -> ".join([*chain, target])
                return self._page(url, target, status, error=f"redirect loop: {loop}")
            owner = self.claims.claim(target, url)
            if owner is not None:
                why = f"duplicate: redirects to {target}, already fetched for {owner}"
                return self._page(url, target, status, skipped=why)
            chain.append(target)
        chain_text = " -> ".join(chain)
        return self._page(url, chain[-1], 0, error=f"more than {limit} redirects: {chain_text}")

    async def _hop(self, url: str, current: str) -> FetchedPage | tuple[str, int]:
        """One request: a final record, or ``(redirect target, status)``."""
        refused = await self.robots.refusal(current)
        if refused is not None:
            return self._refused(url, current, *refused)
        try:
            async with self.client.stream(
                "GET", request_url(current), headers=self._conditional_headers(url)
            ) as response:
                target = _redirect_target(response, current)
                if target is None:
                    return await self._complete(url, current, response)
                self._record(response, await self._small_body(response))
                return target, response.status_code
        except BodyTooLargeError as exc:
            return self._page(url, current, exc.status, skipped=self._too_large(exc))
        except ArchiveUnreadableError as exc:  # a replay whose WARC is damaged: not a 404
            return self._page(url, current, 0, error=f"unreadable-in-archive: {exc}")
        except (httpx.HTTPError, FetchError) as exc:
            return self._page(url, current, 0, error=self._describe(exc))

    def _refused(self, url: str, current: str, kind: str, why: str) -> FetchedPage:
        if kind == "error":  # robots.txt did not answer: a failed fetch, not a robots skip
            return self._page(url, current, 0, error=why)
        return self._page(url, current, 0, skipped=why)

    def _too_large(self, exc: BodyTooLargeError) -> str:
        """The skip reason, in terms of the configured ``max_bytes``."""
        detail = f" {exc.detail}" if exc.detail else ""
        return f"too-large: body exceeded {self.source.max_bytes} bytes{detail}"

    def _describe(self, exc: Exception) -> str:
        detail = str(exc)
        if isinstance(exc, httpx.TimeoutException) and not detail:
            detail = f"no response within {self.source.timeout_seconds} s"
        return f"{type(exc).__name__}: {detail or 'no details'}"

    def _record(self, response: httpx.Response, body: bytes, truncated: str | None = None) -> None:
        self.archive.record_exchange(response.request, response, body, truncated=truncated)

    async def _small_body(self, response: httpx.Response) -> bytes:
        """The body of a redirect or error response, for the WARC (empty when unreadable)."""
        try:
            return await read_body(response, self.source.max_bytes)
        except FetchError:
            return b""

    async def _complete(self, url: str, final: str, response: httpx.Response) -> FetchedPage:
        """Record a final (non-redirect) response; archive a 200 body."""
        media, charset = media_type(response.headers)
        meta: dict[str, Any] = {
            "content_type": media,
            "charset": charset,
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }
        status = response.status_code
        if status == 304:
            self._record(response, b"")
            return self._not_modified(url, final, meta)
        if status != 200:
            self._record(response, await self._small_body(response))
            return self._page(url, final, status, error=f"HTTP {status}", **meta)
        try:
            body = await read_body(response, self.source.max_bytes)
        except BodyTooLargeError as exc:
            self._record(response, b"", truncated="length")
            return self._page(url, final, status, skipped=self._too_large(exc), **meta)
        # archived on the event loop: measured against a writer thread (asyncio.to_thread),
        # inline is faster here; the GIL hand-offs cost more than zlib's released sections
        sha = self.archive.store_exchange(response.request, response, body)
        return self._page(
            url,
            final,
            status,
            content_sha256=sha,
            size=len(body),
            **self._classify(url, final, body, meta),
        )

    def _classify(self, url: str, final: str, body: bytes, meta: dict[str, Any]) -> dict[str, Any]:
        """Listing links and the not-html skip of a 200 body."""
        kind = page_kind(meta["content_type"], body)
        listing = not self.policy.is_article(url)
        if kind is None or (kind == "feed" and not listing):
            meta["skipped"] = f"not-html: content type {meta['content_type'] or 'unknown'}"
        elif listing:
            meta["links"] = page_links(body, kind, meta["charset"], final)
        return meta

    def _not_modified(self, url: str, final: str, meta: dict[str, Any]) -> FetchedPage:
        """A 304: keep the known hash and size; a listing's links come from its archived body."""
        known = self.known.get(url) or Validators()
        meta["etag"] = meta["etag"] or known.etag
        meta["last_modified"] = meta["last_modified"] or known.last_modified
        sha = known.content_sha256
        links: tuple[str, ...] = ()
        size = 0
        if sha is not None and sha in self.archive:
            size = self.archive.size(sha)
            if not self.policy.is_article(url):
                body = self.archive.get(sha)
                kind = page_kind(meta["content_type"], body) or "html"
                links = page_links(body, kind, meta["charset"], final)
        return self._page(
            url,
            final,
            304,
            skipped="not-modified",
            content_sha256=sha,
            size=size,
            links=links,
            **meta,
        )


async def crawl_async(
    source: Source,
    archive: RawArchive,
    client: httpx.AsyncClient,
    robots: RobotsCache,
    *,
    known: Mapping[str, Validators],
    progress: Progress | None,
    deadline: float,
) -> list[FetchedPage]:
    """Run one crawl on an open client (see :func:`jjj_etl.fetch.crawl`)."""
    state = _Crawl(source, archive, client, robots=robots, known=known, progress=progress)
    return await state.run(deadline)
