"""Fetching: a polite crawler that keeps every body in the raw archive.

One ``httpx.AsyncClient`` per crawl; politeness lives in transports mounted on it
(:class:`PoliteTransport` around ``httpx.AsyncHTTPTransport`` for http(s), around
:class:`FileTransport` for ``file://``), so local sample sites, mocks and the web take the
same code path.  :func:`crawl` returns one :class:`~jjj_etl.records.FetchedPage` per URL it
attempted and never raises for a bad page: failures are recorded with ``error`` or
``skipped`` and the crawl goes on.

>>> import tempfile
>>> from pathlib import Path
>>> from jjj_etl.archive import RawArchive
>>> from jjj_etl.config import Source
>>> site = Path(tempfile.mkdtemp())
>>> _ = (site / "index.html").write_text('<a href="news/1.html">one</a>')
>>> (site / "news").mkdir(); _ = (site / "news" / "1.html").write_text("<p>京津冀</p>")
>>> source = Source(name="demo", start_urls=((site / "index.html").as_uri(),),
...                 article_pattern=r"/news/\\d+\\.html$")
>>> pages = crawl(source, RawArchive(site / "raw"))
>>> [(p.is_listing, p.status, p.url.rsplit("/", 1)[1]) for p in pages]
[(True, 200, 'index.html'), (False, 200, '1.html')]
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import httpx

from jjj_etl.archive import RawArchive
from jjj_etl.config import Source
from jjj_etl.errors import FetchError
from jjj_etl.fetch._charset import decode_html, media_type
from jjj_etl.fetch._files import FileTransport, request_url, sample_to_file_url
from jjj_etl.fetch._frontier import (
    LinkPolicy,
    canonicalize_url,
    extract_links,
    page_kind,
    page_links,
)
from jjj_etl.fetch._polite import BodyTooLargeError, PoliteTransport, RetryPolicy, read_body
from jjj_etl.fetch._robots import RobotsCache
from jjj_etl.records import FetchedPage

__all__ = [
    "FileTransport",
    "PoliteTransport",
    "RetryPolicy",
    "Validators",
    "canonicalize_url",
    "crawl",
    "decode_html",
    "extract_links",
]

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.5",
    "Accept-Encoding": "gzip, deflate",  # what read_body can inflate under its byte cap
}


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


def _starts(source: Source) -> list[str]:
    return list(dict.fromkeys(canonicalize_url(sample_to_file_url(u)) for u in source.start_urls))


def _file_root(starts: Iterable[str]) -> Path | None:
    dirs = [
        str(Path(url2pathname(urlsplit(u).path)).parent) for u in starts if u.startswith("file:")
    ]
    return Path(os.path.commonpath(dirs)) if dirs else None


def _redirect_target(response: httpx.Response, current: str) -> str | None:
    location = response.headers.get("location")
    if response.status_code not in _REDIRECTS or not location:
        return None
    return canonicalize_url(urljoin(current, location.strip()))


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
        progress: Callable[[FetchedPage], None] | None,
    ) -> None:
        self.source = source
        self.archive = archive
        self.client = client
        self.robots = robots
        self.known = known
        self.progress = progress
        self.starts = _starts(source)
        self.policy = LinkPolicy.for_source(source, self.starts)

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
        width = self.source.concurrency * max(1, len(self.policy.hosts))
        while queue or running:
            while queue and len(running) < min(width, 64) and started < self.source.max_pages:
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
        try:
            async with asyncio.timeout(deadline):
                return await self._fetch(url)
        except TimeoutError:
            return self._page(url, url, 0, error=f"gave up after {deadline:.0f} s")
        except Exception as exc:  # the crawl must go on whatever one page does
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
        """Follow up to MAX_REDIRECTS redirects ourselves, checking scope and robots."""
        chain = [url]
        for _hop in range(MAX_REDIRECTS + 1):
            outcome = await self._hop(url, chain[-1])
            if isinstance(outcome, FetchedPage):
                return outcome
            target, status = outcome
            if not self.policy.in_scope(target):
                return self._page(url, target, status, skipped="redirect-off-site")
            if target in chain:
                loop = " -> ".join([*chain, target])
                return self._page(url, target, status, error=f"redirect loop: {loop}")
            chain.append(target)
        return self._page(url, chain[-1], 0, error=f"more than {MAX_REDIRECTS} redirects")

    async def _hop(self, url: str, current: str) -> FetchedPage | tuple[str, int]:
        """One request: a final record, or ``(redirect target, status)``."""
        if not await self.robots.allowed(current):
            return self._page(url, current, 0, skipped="robots")
        try:
            async with self.client.stream(
                "GET", request_url(current), headers=self._conditional_headers(url)
            ) as response:
                target = _redirect_target(response, current)
                if target is None:
                    return await self._complete(url, current, response)
                return target, response.status_code
        except BodyTooLargeError as exc:
            return self._page(url, current, exc.status, skipped="too-large")
        except (httpx.HTTPError, FetchError) as exc:
            return self._page(url, current, 0, error=self._describe(exc))

    def _describe(self, exc: Exception) -> str:
        detail = str(exc)
        if isinstance(exc, httpx.TimeoutException) and not detail:
            detail = f"no response within {self.source.timeout_seconds} s"
        return f"{type(exc).__name__}: {detail or 'no details'}"

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
            return self._not_modified(url, final, meta)
        if status != 200:
            return self._page(url, final, status, error=f"HTTP {status}", **meta)
        try:
            body = await read_body(response, self.source.max_bytes)
        except BodyTooLargeError:
            return self._page(url, final, status, skipped="too-large", **meta)
        sha = self.archive.put(body)
        kind = page_kind(media, body)
        listing = not self.policy.is_article(url)
        if kind is None or (kind == "feed" and not listing):
            meta["skipped"] = "not-html"
        elif listing:
            meta["links"] = page_links(body, kind, charset, final)
        return self._page(url, final, status, content_sha256=sha, size=len(body), **meta)

    def _not_modified(self, url: str, final: str, meta: dict[str, Any]) -> FetchedPage:
        """A 304: keep the known hash; a listing's links come from its archived body."""
        known = self.known.get(url) or Validators()
        meta["etag"] = meta["etag"] or known.etag
        meta["last_modified"] = meta["last_modified"] or known.last_modified
        sha = known.content_sha256
        links: tuple[str, ...] = ()
        if sha is not None and sha in self.archive and not self.policy.is_article(url):
            body = self.archive.get(sha)
            links = page_links(
                body, page_kind(meta["content_type"], body) or "html", meta["charset"], final
            )
        return self._page(
            url, final, 304, skipped="not-modified", content_sha256=sha, links=links, **meta
        )


def _client(
    source: Source, transport: httpx.AsyncBaseTransport | None, retry: RetryPolicy
) -> tuple[httpx.AsyncClient, PoliteTransport]:
    raw_cap = source.max_bytes + source.max_bytes // 50 + 4096  # gzip framing overhead
    attempt = source.timeout_seconds * 3
    polite = PoliteTransport(
        transport if transport is not None else httpx.AsyncHTTPTransport(),
        requests_per_second=source.requests_per_second,
        concurrency=source.concurrency,
        retry=retry,
        max_raw_bytes=raw_cap,
        attempt_timeout=attempt,
    )
    mounts: dict[str, httpx.AsyncBaseTransport] = {"http://": polite, "https://": polite}
    root = _file_root(_starts(source))
    if root is not None:
        mounts["file://"] = PoliteTransport(
            FileTransport(root),
            requests_per_second=None,
            concurrency=source.concurrency,
            retry=retry,
            max_raw_bytes=raw_cap,
            attempt_timeout=attempt,
        )
    client = httpx.AsyncClient(
        mounts=mounts,
        follow_redirects=False,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(source.timeout_seconds),
        headers={**_HEADERS, "User-Agent": source.user_agent},
        trust_env=False,
    )
    return client, polite


def _page_deadline(source: Source, retry: RetryPolicy) -> float:
    """A hard cap on one page, redirects and retries included: a backstop, never the norm."""
    per_hop = (retry.max_retries + 1) * (source.timeout_seconds * 3 + 1) + retry.max_total_wait
    return (MAX_REDIRECTS + 2) * per_hop  # + 1 for robots.txt


async def _crawl_async(
    source: Source,
    archive: RawArchive,
    *,
    transport: httpx.AsyncBaseTransport | None,
    known: Mapping[str, Validators],
    progress: Callable[[FetchedPage], None] | None,
    retry: RetryPolicy,
) -> list[FetchedPage]:
    client, polite = _client(source, transport, retry)
    async with client:
        robots = RobotsCache(client, source.user_agent, polite)
        state = _Crawl(source, archive, client, robots=robots, known=known, progress=progress)
        return await state.run(_page_deadline(source, retry))


def crawl(
    source: Source,
    archive: RawArchive,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    known: Mapping[str, Validators] | None = None,
    progress: Callable[[FetchedPage], None] | None = None,
    retry: RetryPolicy | None = None,
) -> list[FetchedPage]:
    """Crawl one source; return one FetchedPage per URL attempted, in the order started.

    Synchronous for callers: runs its own event loop (in a helper thread if this thread
    already runs one).  ``transport`` replaces the network for http(s) (tests pass an
    ``httpx.MockTransport``); ``known`` maps canonical URLs to the validators of an earlier
    crawl for conditional GETs; ``progress`` is called with each page as it completes;
    ``retry`` overrides the retry policy (3 retries, 30 s of waiting at most).
    Failed pages are recorded, never raised.  Example (see the module docstring)::

        pages = crawl(load_config().sources[0], RawArchive(Path("warehouse/raw")))
    """
    coro = _crawl_async(
        source,
        archive,
        transport=transport,
        known=known or {},
        progress=progress,
        retry=retry or RetryPolicy(),
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
