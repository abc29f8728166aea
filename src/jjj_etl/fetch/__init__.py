"""Fetching: a polite crawler that keeps every body in the raw archive.

One ``httpx.AsyncClient`` per crawl (one connection pool, connections reused across
requests); politeness lives in transports mounted on it (:class:`PoliteTransport` around
``httpx.AsyncHTTPTransport`` for http(s), around :class:`FileTransport` for ``file://``),
so local sample sites, WARC replay (:class:`WarcReplayTransport`), mocks and the web take
the same code path.  :func:`crawl` returns one :class:`~jjj_etl.records.FetchedPage` per URL
it attempted and never raises for a bad page: failures are recorded with ``error`` or
``skipped`` (``"<reason>: <detail>"``) and the crawl goes on.  :func:`replay` rebuilds a
crawl's results from WARC files with no network.

>>> import tempfile
>>> from pathlib import Path
>>> from jjj_etl.archive import RawArchive
>>> from jjj_etl.config import Source
>>> site = Path(tempfile.mkdtemp())
>>> _ = (site / "index.html").write_text('<a href="news/1.html">one</a>')
>>> (site / "news").mkdir(); _ = (site / "news" / "1.html").write_text("<p>京津冀</p>")
>>> source = Source(name="demo", start_urls=((site / "index.html").as_uri(),),
...                 article_pattern=r"/news/\\d+\\.html$")
>>> archive = RawArchive(site / "raw")
>>> pages = crawl(source, archive)
>>> [(p.is_listing, p.status, p.url.rsplit("/", 1)[1]) for p in pages]
[(True, 200, 'index.html'), (False, 200, '1.html')]
>>> again = replay(source, archive)  # from the WARC files just written, no network
>>> [(p.status, p.content_sha256 == q.content_sha256) for p, q in zip(again, pages)]
[(200, True), (200, True)]
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx

from jjj_etl.archive import RawArchive
from jjj_etl.charset import decode_html
from jjj_etl.config import Source
from jjj_etl.fetch._crawl import (
    Progress,
    Validators,
    crawl_async,
    file_root,
    page_deadline,
    retry_policy,
    starts,
)
from jjj_etl.fetch._files import FileTransport
from jjj_etl.fetch._frontier import canonicalize_url, extract_links
from jjj_etl.fetch._one import fetch_page
from jjj_etl.fetch._polite import PoliteTransport, RetryPolicy
from jjj_etl.fetch._replay import WarcReplayTransport
from jjj_etl.fetch._robots import RobotsCache
from jjj_etl.records import FetchedPage

__all__ = [
    "FileTransport",
    "PoliteTransport",
    "RetryPolicy",
    "Validators",
    "WarcReplayTransport",
    "canonicalize_url",
    "crawl",
    "decode_html",
    "extract_links",
    "fetch_page",
    "replay",
]

_T = TypeVar("_T")
_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.5",
    "Accept-Encoding": "gzip, deflate",  # what read_body can inflate under its byte cap
}


def _headers(source: Source) -> dict[str, str]:
    agent = source.user_agent
    headers = dict(_HEADERS)
    if source.contact:
        if source.contact not in agent:
            agent = f"{agent} (+{source.contact})"
        if "@" in source.contact and "/" not in source.contact:
            headers["From"] = source.contact  # RFC 9110 §10.1.2: who runs this robot
    if source.accept_language:
        headers["Accept-Language"] = source.accept_language
    return {**headers, "User-Agent": agent}


def _polite(
    inner: httpx.AsyncBaseTransport, source: Source, retry: RetryPolicy, *, rate: bool
) -> PoliteTransport:
    return PoliteTransport(
        inner,
        requests_per_second=source.requests_per_second if rate else None,
        concurrency=source.concurrency,
        retry=retry,
        max_raw_bytes=source.max_bytes + source.max_bytes // 50 + 4096,  # gzip framing
        attempt_timeout=source.timeout_seconds * 3,
        max_in_flight=source.global_concurrency,
    )


def _network(source: Source) -> httpx.AsyncHTTPTransport:
    """The one connection pool of a crawl, sized to the global cap; keep-alive on."""
    slots = source.global_concurrency
    limits = httpx.Limits(
        max_connections=slots, max_keepalive_connections=slots, keepalive_expiry=30.0
    )
    return httpx.AsyncHTTPTransport(limits=limits, retries=0, trust_env=False)


def _client(
    source: Source, transport: httpx.AsyncBaseTransport | None, retry: RetryPolicy
) -> tuple[httpx.AsyncClient, PoliteTransport]:
    local = bool(getattr(transport, "is_local", False))
    if isinstance(transport, PoliteTransport):
        polite = transport  # already polite: wrapping it again would double every limit
    else:
        inner = transport if transport is not None else _network(source)
        polite = _polite(inner, source, retry, rate=not local)
    mounts: dict[str, httpx.AsyncBaseTransport] = {"http://": polite, "https://": polite}
    root = file_root(starts(source))
    if local:
        mounts["file://"] = polite  # a replay serves file:// captures too
    elif root is not None:
        mounts["file://"] = _polite(FileTransport(root), source, retry, rate=False)
    client = httpx.AsyncClient(
        mounts=mounts,
        follow_redirects=False,
        max_redirects=source.max_redirects,
        timeout=httpx.Timeout(source.timeout_seconds),
        headers=_headers(source),
        trust_env=False,
    )
    return client, polite


async def _crawl_async(
    source: Source,
    archive: RawArchive,
    *,
    transport: httpx.AsyncBaseTransport | None,
    known: Mapping[str, Validators],
    progress: Progress | None,
    retry: RetryPolicy,
) -> list[FetchedPage]:
    client, polite = _client(source, transport, retry)
    async with client:

        def record(response: httpx.Response, body: bytes) -> None:
            archive.record_exchange(response.request, response, body)

        robots = RobotsCache(client, source.user_agent, polite, record=record)
        deadline = page_deadline(source, retry)
        return await crawl_async(
            source, archive, client, robots, known=known, progress=progress, deadline=deadline
        )


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def crawl(
    source: Source,
    archive: RawArchive,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    known: Mapping[str, Validators] | None = None,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
) -> list[FetchedPage]:
    """Crawl one source; return one FetchedPage per URL attempted, in the order started.

    Synchronous for callers: runs its own event loop (in a helper thread if this thread
    already runs one).  ``transport`` replaces the network for http(s) (tests pass an
    ``httpx.MockTransport``; a :class:`WarcReplayTransport` replays an archive and is not
    rate-limited; a :class:`PoliteTransport` is used as given); ``known`` maps canonical
    URLs to the validators of an earlier crawl for conditional GETs; ``progress`` is
    called with each page as it completes (see :mod:`jjj_etl.progress`); ``retry``
    overrides the retry policy of the source's config.  Every exchange is written to the
    archive's WARC files, every 200 body findable by its hash.  Failed pages are
    recorded, never raised.  Example (see the module docstring)::

        pages = crawl(load_config().sources[0], RawArchive(Path("warehouse/raw")))
    """
    coro = _crawl_async(
        source,
        archive,
        transport=transport,
        known=known or {},
        progress=progress,
        retry=retry or retry_policy(source),
    )
    return _run(coro)


def replay(
    source: Source,
    archive: RawArchive | Iterable[str | Path],
    *,
    into: RawArchive | None = None,
    progress: Progress | None = None,
) -> list[FetchedPage]:
    """Rebuild a crawl's results from WARC files, with no network.

    ``archive`` is a :class:`RawArchive` (its ``warc/`` files are replayed) or WARC file
    paths from anywhere (a web-archive export).  The crawl runs as :func:`crawl` does —
    same start URLs, scope, robots, redirects and limits — against a
    :class:`WarcReplayTransport`, without conditional requests, so every archived page
    comes back with its body.  Bodies are stored in ``into`` (default: ``archive`` when it
    is a RawArchive) so ``into.get(sha)`` works for parsing; no new WARC records are
    written.  Raises ValueError when ``into`` is needed and missing, FileNotFoundError when
    a WARC path does not exist.
    """
    if isinstance(archive, RawArchive):
        paths = archive.warc_files()
        into = into or archive
    else:
        paths = [Path(p) for p in archive]
        if into is None:
            raise ValueError("replay() of WARC paths needs into=RawArchive(...) for the bodies")
    store = RawArchive(into.root, warc=False)
    no_retry = RetryPolicy(max_retries=0, max_total_wait=0.0)
    return crawl(
        source, store, transport=WarcReplayTransport(paths), progress=progress, retry=no_retry
    )
