"""Fetching: URL canonicalisation, link policy, PoliteTransport and crawl on MockTransport,
FileTransport on a generated site, and the bundled sample site."""

from __future__ import annotations

import asyncio
import doctest
import gzip
import importlib
import itertools
import os
import time
import zlib
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjj_etl import fetch
from jjj_etl.archive import RawArchive
from jjj_etl.config import Source
from jjj_etl.fetch import (
    FileTransport,
    PoliteTransport,
    RetryPolicy,
    Validators,
    canonicalize_url,
    crawl,
    extract_links,
)
from jjj_etl.fetch._files import request_url
from jjj_etl.fetch._frontier import LinkPolicy, extract_feed_links
from jjj_etl.fetch._polite import BodyTooLargeError, parse_retry_after, read_body
from jjj_etl.records import FetchedPage

FAST = RetryPolicy(max_retries=3, backoff_base=0.01, max_backoff=0.02, max_total_wait=1.0)
QUICK: dict[str, Any] = {"retry": FAST, "requests_per_second": None}
HOST = "http://news.test"
Handler = Callable[[httpx.Request], httpx.Response]


def html(body: str, **headers: str) -> httpx.Response:
    return httpx.Response(200, text=body, headers={"Content-Type": "text/html", **headers})


def make_source(**overrides: object) -> Source:
    fields: dict[str, object] = {
        "name": "mock",
        "start_urls": (f"{HOST}/news/",),
        "allowed_hosts": ("news.test",),
        "article_pattern": r"/\d{4}-\d{2}/\d{2}/content_\d+\.html?$",
        "requests_per_second": 1000,
        "concurrency": 4,
        "timeout_seconds": 1,
        "max_bytes": 10_000,
    }
    return Source.model_validate(fields | overrides)


class Site:
    """A routing table for MockTransport that counts and keeps every request."""

    def __init__(self, routes: dict[str, Handler | httpx.Response]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = request.url.path + (f"?{request.url.query.decode()}" if request.url.query else "")
        self.hits[key] += 1
        route = self.routes.get(key)
        if route is None:
            return httpx.Response(404, text="missing")
        return route(request) if callable(route) else route

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def reason(page: FetchedPage) -> str | None:
    """The skip reason without its detail text."""
    return page.skipped.split(":", 1)[0] if page.skipped else None


def art(n: int) -> str:
    return f"/2024-06/{n:02d}/content_{n}.html"


def run(site: Site, tmp_path: Path, **kw: object) -> dict[str, FetchedPage]:
    source = kw.pop("source", None) or make_source()
    assert isinstance(source, Source)
    pages = crawl(
        source, RawArchive(tmp_path / "raw"), transport=site.transport(), retry=FAST, **kw
    )  # type: ignore[arg-type]
    return {httpx.URL(p.url).raw_path.decode(): p for p in pages}


# --- URLs and links ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://News.Test:80/a?b=2&a=1#frag", "http://news.test/a?a=1&b=2"),
        ("https://news.test:443", "https://news.test/"),
        ("https://news.test:8443/x", "https://news.test:8443/x"),
        ("http://h/a?utm_source=x&UTM_medium=y&spm=1.2&from=timeline&id=7", "http://h/a?id=7"),
        ("http://h/a?q=%E4%BA%AC&q=b", "http://h/a?q=%E4%BA%AC&q=b"),
        ("file:///tmp/site/index.html#x", "file:///tmp/site/index.html"),
        ("file://localhost/tmp/a.html", "file:///tmp/a.html"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@settings(max_examples=200, deadline=None)
@given(
    path=st.text(alphabet="abc/._-%20京", max_size=20),
    query=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "utm_x", "spm", "page"]), st.text("xy1 &=", max_size=4)
        ),
        max_size=4,
    ),
)
def test_canonicalize_is_idempotent(path: str, query: list[tuple[str, str]]) -> None:
    url = f"http://Host.test/{path}?" + "&".join(f"{k}={v}" for k, v in query) + "#f"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "utm_" not in once
    assert "spm=" not in once
    assert "#" not in once


def test_extract_links_order_dedupe_base_and_junk() -> None:
    page = """<html><head><base href="http://h/news/"></head><body>
      <a href="b.html?utm_source=x">b</a> <a href="/a.html">a</a> <a href="b.html#top">b again</a>
      <a href="javascript:void(0)">js</a> <a href="mailto:x@y.z">mail</a> <a href="#top">top</a>
      <a>no href</a> <area href="http://OTHER.test:80/c.html"> <a href=" d.html ">d</a>
    </body></html>"""
    assert extract_links(page, "http://ignored.test/") == (
        "http://h/news/b.html",
        "http://h/a.html",
        "http://other.test/c.html",
        "http://h/news/d.html",
    )


def test_extract_links_survives_garbage() -> None:
    assert extract_links("", "http://h/") == ()
    assert extract_links("<?xml version='1.0' encoding='gbk'?><a href='x'>", "http://h/") == (
        "http://h/x",
    )


def test_feed_and_sitemap_links() -> None:
    rss = b"<rss><channel><item><link>http://h/a.html</link></item></channel></rss>"
    atom = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="/b.html"/></entry></feed>'
    assert extract_feed_links(rss, "http://h/") == ("http://h/a.html",)
    assert extract_feed_links(atom, "http://h/feed") == ("http://h/b.html",)
    assert extract_feed_links(b"not xml at all", "http://h/") == ()


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        (f"{HOST}{art(1)}", True),  # article
        (f"{HOST}/news/index_2.html", True),  # pagination beside the start URL
        (f"{HOST}/news/?page=3", True),
        (f"{HOST}/list/tech/", True),
        (f"{HOST}/news/tech/", True),  # a channel below the start directory
        (f"{HOST}/news/about.html", False),
        (f"{HOST}/news/contact-us.html", False),
        (f"{HOST}/news/logo.png", False),
        (f"{HOST}/misc/random.html", False),
        ("http://evil.test/news/index_2.html", False),  # host not allowed
        (f"http://evil.test{art(1)}", False),
    ],
)
def test_link_policy(url: str, fetched: bool) -> None:
    source = make_source()
    policy = LinkPolicy.for_source(source, [canonicalize_url(u) for u in source.start_urls])
    assert policy.should_fetch(url) is fetched


def test_link_policy_listing_pattern_and_subdomains() -> None:
    source = make_source(listing_pattern=r"^/channel/\w+\.htm$", allowed_hosts=(".news.test",))
    policy = LinkPolicy.for_source(source, list(source.start_urls))
    assert policy.should_fetch("http://www.news.test/channel/biz.htm")
    assert policy.should_fetch(f"http://news.test{art(2)}")
    assert not policy.should_fetch(f"{HOST}/news/index_2.html")  # the pattern decides alone
    assert not policy.should_fetch("http://notnews.test/channel/biz.htm")


# --- PoliteTransport -----------------------------------------------------------------


async def _get(transport: httpx.AsyncBaseTransport, url: str = f"{HOST}/x") -> httpx.Response:
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.get(url)


def test_retries_5xx_then_succeeds() -> None:
    answers = iter([httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok")])
    polite = PoliteTransport(httpx.MockTransport(lambda _request: next(answers)), **QUICK)
    response = asyncio.run(_get(polite))
    assert response.status_code == 200
    assert response.text == "ok"
    assert len(polite.waits) == 2
    assert all(0 < w <= 0.03 for w in polite.waits)


def test_retries_connection_errors_then_gives_up() -> None:
    calls = Counter[str]()

    def refuse(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        raise httpx.ConnectError("refused", request=request)

    polite = PoliteTransport(httpx.MockTransport(refuse), **QUICK)
    with pytest.raises(httpx.ConnectError):
        asyncio.run(_get(polite))
    assert calls["n"] == FAST.max_retries + 1


def test_retry_after_is_honoured_and_capped() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200)])
    polite = PoliteTransport(httpx.MockTransport(lambda _request: next(answers)), **QUICK)
    assert asyncio.run(_get(polite)).status_code == 200
    assert polite.waits == [0.0]

    # a Retry-After past the total wait cap: give up at once and hand back the 429
    calls = Counter[str]()

    def busy(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(429, headers={"Retry-After": "3600"})

    capped = PoliteTransport(httpx.MockTransport(busy), **QUICK)
    t0 = time.monotonic()
    assert asyncio.run(_get(capped)).status_code == 429
    assert calls["n"] == 1
    assert time.monotonic() - t0 < 1


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(formatdate(1000.0 + 30, usegmt=True), now=1000.0) == 30.0
    assert parse_retry_after(formatdate(0, usegmt=True)) == 0.0  # in the past
    assert parse_retry_after("-5") is None
    assert parse_retry_after(None) is None


def test_not_retried_4xx() -> None:
    site = Site({"/x": httpx.Response(404)})
    assert asyncio.run(_get(PoliteTransport(site.transport(), **QUICK))).status_code == 404
    assert site.hits["/x"] == 1


def test_per_host_concurrency_and_rate() -> None:
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    starts: dict[str, list[float]] = {"a.test": [], "b.test": []}

    async def slow(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        starts[host].append(time.monotonic())
        in_flight[host] += 1
        peak[host] = max(peak[host], in_flight[host])
        await asyncio.sleep(0.05)
        in_flight[host] -= 1
        return httpx.Response(200)

    polite = PoliteTransport(httpx.MockTransport(slow), requests_per_second=50, concurrency=2)

    async def main() -> None:
        async with httpx.AsyncClient(transport=polite) as client:
            urls = [f"http://{h}.test/{i}" for h in ("a", "b") for i in range(4)]
            await asyncio.gather(*(client.get(u) for u in urls))

    asyncio.run(main())
    assert peak == Counter({"a.test": 2, "b.test": 2})
    for times in starts.values():  # one start per 1/50 s per host, hosts independent
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(gaps) == 3
        assert min(gaps) >= 0.02 * 0.9
    assert abs(starts["a.test"][0] - starts["b.test"][0]) < 0.02  # b did not wait for a


def test_attempt_deadline_stops_slow_drips() -> None:
    async def drip() -> httpx.AsyncByteStream:
        class Drip(httpx.AsyncByteStream):
            async def __aiter__(self):  # type: ignore[no-untyped-def]
                for _ in range(100):
                    await asyncio.sleep(0.05)
                    yield b"x"

        return Drip()

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=await drip())

    polite = PoliteTransport(
        httpx.MockTransport(handler),
        attempt_timeout=0.2,
        requests_per_second=None,
        retry=RetryPolicy(max_retries=1, backoff_base=0.01),
    )
    t0 = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(_get(polite))
    assert time.monotonic() - t0 < 2


def test_raw_byte_cap_declared_and_streamed() -> None:
    big = httpx.Response(200, content=b"x" * 5000)
    polite = PoliteTransport(httpx.MockTransport(lambda _request: big), max_raw_bytes=1000)
    with pytest.raises(BodyTooLargeError):
        asyncio.run(_get(polite))

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            while True:
                yield b"y" * 512

    endless = PoliteTransport(
        httpx.MockTransport(lambda _request: httpx.Response(200, stream=Endless())),
        max_raw_bytes=4096,
    )
    with pytest.raises(BodyTooLargeError):
        asyncio.run(_get(endless))


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as IIS sends it
        ("identity", lambda b: b),
    ],
)
def test_read_body_inflates_under_the_cap(
    encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = "京津冀 ".encode() * 500

    async def read(limit: int) -> bytes:
        response = httpx.Response(
            200, stream=httpx.ByteStream(compress(body)), headers={"Content-Encoding": encoding}
        )
        return await read_body(response, limit)

    assert asyncio.run(read(len(body))) == body
    with pytest.raises(BodyTooLargeError):
        asyncio.run(read(len(body) - 1))


def test_read_body_stops_a_gzip_bomb_early() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB that inflates to 50 MB
    assert len(bomb) < 100_000

    async def read() -> bytes:
        response = httpx.Response(
            200, stream=httpx.ByteStream(bomb), headers={"Content-Encoding": "gzip"}
        )
        return await read_body(response, 1_000_000)

    t0 = time.monotonic()
    with pytest.raises(BodyTooLargeError):
        asyncio.run(read())
    assert time.monotonic() - t0 < 1  # stopped at the cap, not after inflating 50 MB


# --- crawl over MockTransport -----------------------------------------------------------


def listing(*hrefs: str) -> httpx.Response:
    return html("".join(f'<a href="{h}">{h}</a>' for h in hrefs))


def test_crawl_follows_listings_to_articles(tmp_path: Path) -> None:
    site = Site(
        {
            "/robots.txt": httpx.Response(404),
            "/news/": listing(
                art(1), art(2) + "?utm_source=rss", "index_2.html", "about.html", "/x.png"
            ),
            "/news/index_2.html": listing(art(3), art(1)),
            art(1): html(
                "<p>one</p>", ETag='"e1"', **{"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
            ),
            art(2): html("<p>two</p>"),
            art(3): html("<p>three</p>"),
        }
    )
    seen: list[str] = []
    pages = run(site, tmp_path, progress=lambda p: seen.append(p.url))
    assert list(pages) == ["/news/", art(1), art(2), "/news/index_2.html", art(3)]
    assert sorted(seen) == sorted(p.url for p in pages.values())
    assert pages["/news/"].is_listing
    assert pages["/news/index_2.html"].is_listing
    assert not pages[art(1)].is_listing
    assert pages[art(1)].links == ()
    assert pages["/news/"].links[:2] == (f"{HOST}{art(1)}", f"{HOST}{art(2)}")
    one = pages[art(1)]
    assert (one.status, one.content_type, one.etag, one.size) == (200, "text/html", '"e1"', 10)
    assert one.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert one.fetched_at.endswith("Z")
    assert one.source == "mock"
    assert RawArchive(tmp_path / "raw").get(one.content_sha256 or "") == b"<p>one</p>"
    assert site.hits["/news/about.html"] == 0
    assert site.hits[art(1)] == 1
    assert site.requests[0].headers["user-agent"].startswith("jjj-etl/")


def test_crawl_limits_pages_and_depth(tmp_path: Path) -> None:
    chain = {f"/news/index_{i}.html": listing(f"index_{i + 1}.html", art(i)) for i in range(1, 30)}
    site = Site(
        {"/news/": listing("index_1.html"), **chain} | {art(i): html("a") for i in range(30)}
    )
    deep = run(site, tmp_path, source=make_source(max_depth=2, max_pages=100))
    assert set(deep) == {"/news/", "/news/index_1.html", "/news/index_2.html", art(1)}
    few = run(Site(site.routes), tmp_path, source=make_source(max_depth=50, max_pages=5))
    assert len(few) == 5


def test_crawl_records_failures_and_goes_on(tmp_path: Path) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    site = Site(
        {
            "/news/": listing(art(1), art(2), art(3), art(4), art(5), art(6)),
            art(1): httpx.Response(404),
            art(2): broken,
            art(3): httpx.Response(
                200, content=b"%PDF", headers={"Content-Type": "application/pdf"}
            ),
            art(4): httpx.Response(
                200, content=b"x" * 20_000, headers={"Content-Type": "text/html"}
            ),
            art(5): httpx.Response(301, headers={"Location": "https://elsewhere.test/a"}),
            art(6): httpx.Response(302, headers={"Location": art(7)}),
            art(7): html("<p>moved</p>"),
        }
    )
    pages = run(site, tmp_path)
    assert (pages[art(1)].status, pages[art(1)].error) == (404, "HTTP 404")
    assert pages[art(2)].status == 0
    assert "connection refused" in (pages[art(2)].error or "")
    assert site.hits[art(2)] == FAST.max_retries + 1
    assert pages[art(3)].skipped == "not-html: content type application/pdf"
    assert pages[art(3)].content_sha256 is not None
    assert pages[art(4)].skipped == "too-large: body exceeded 10000 bytes (Content-Length: 20000)"
    assert pages[art(4)].content_sha256 is None
    assert (pages[art(5)].skipped or "").startswith("redirect-off-site: ")
    assert "https://elsewhere.test/a, not an allowed host" in (pages[art(5)].skipped or "")
    assert pages[art(6)].final_url == f"{HOST}{art(7)}"
    assert pages[art(6)].status == 200


def test_crawl_robots(tmp_path: Path) -> None:
    rules = httpx.Response(200, text="User-agent: jjj-etl\nDisallow: /2024-06/02/\n")
    site = Site({"/robots.txt": rules, "/news/": listing(art(1), art(2)), art(1): html("ok")})
    pages = run(site, tmp_path)
    assert pages[art(1)].status == 200
    assert (pages[art(2)].skipped or "").startswith("robots: ")
    assert "disallowed for jjj-etl by robots.txt" in (pages[art(2)].skipped or "")
    assert site.hits[art(2)] == 0
    assert site.hits["/robots.txt"] == 1

    # RFC 9309: a robots.txt that answers 5xx means "fetch nothing", but the page is a failed
    # fetch whose error names the host's trouble, not a robots skip
    down = Site({"/robots.txt": httpx.Response(503), "/news/": listing(art(1))})
    (only,) = run(down, tmp_path).values()
    assert only.skipped is None
    assert only.error == f"robots.txt of {HOST} could not be read (HTTP 503)"
    assert down.hits["/news/"] == 0


def test_an_unreachable_host_is_a_failed_fetch_naming_the_error(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    pages = crawl(
        make_source(),
        RawArchive(tmp_path / "raw"),
        transport=httpx.MockTransport(refuse),
        retry=FAST,
    )
    assert [p.skipped for p in pages] == [None]
    assert "could not be read (ConnectError: Name or service not known)" in (pages[0].error or "")


def test_only_the_first_500_kib_of_a_huge_robots_txt_is_read(tmp_path: Path) -> None:
    text = "User-agent: *\nDisallow: /2024-06/02/\n" + "# padding\n" * 1_000_000  # ~10 MB
    site = Site({"/robots.txt": httpx.Response(200, text=text), "/news/": listing(art(1), art(2))})
    pages = run(site, tmp_path)
    assert (pages[art(2)].skipped or "").startswith("robots: ")  # its rules were kept
    assert site.hits[art(2)] == 0


def test_conditional_get_and_304(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    listing_sha = archive.put(f'<a href="{art(1)}">1</a>'.encode())

    def conditional(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return html("<p>changed</p>", ETag='"v2"')

    site = Site({"/news/": conditional, art(1): conditional})
    known = {
        f"{HOST}/news/": Validators('"v1"', None, listing_sha),
        f"{HOST}{art(1)}": Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT", "ab" * 32),
    }
    pages = crawl(make_source(), archive, transport=site.transport(), known=known, retry=FAST)
    index, one = pages
    assert (index.status, index.skipped, index.content_sha256) == (304, "not-modified", listing_sha)
    assert index.links == (f"{HOST}{art(1)}",)  # from the archived body
    assert (one.status, one.content_sha256, one.etag) == (304, "ab" * 32, '"v1"')
    sent = next(r for r in site.requests if r.url.path == art(1))
    assert sent.headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_validators_from_page() -> None:
    page = FetchedPage("u", "u", "s", 200, "t", etag='"x"', last_modified="lm", content_sha256="c")
    assert Validators.from_page(page) == Validators('"x"', "lm", "c")


def test_crawl_inside_a_running_event_loop(tmp_path: Path) -> None:
    site = Site({"/news/": listing()})

    async def main() -> list[FetchedPage]:
        return crawl(make_source(), RawArchive(tmp_path), transport=site.transport())

    assert [p.status for p in asyncio.run(main())] == [200]


# --- file:// -----------------------------------------------------------------------------


def write_site(root: Path) -> Path:
    (root / "news").mkdir(parents=True)
    links = "".join(f'<a href="news/{n}.html">{n}</a>' for n in range(1, 4))
    (root / "index.html").write_text(f'{links}<a href="page_2.htm">2</a><a href="../x.html">up</a>')
    (root / "page_2.htm").write_text('<a href="news/4.html">4</a><a href="about.html">a</a>')
    (root / "about.html").write_text("about")
    for n in range(1, 5):
        (root / "news" / f"{n}.html").write_bytes(f"<p>京津冀 {n}</p>".encode("gbk"))
    (root.parent / "x.html").write_text("outside")
    return root


async def file_get(root: Path, path: Path | str, **headers: str) -> httpx.Response:
    url = path if isinstance(path, str) else path.as_uri()
    async with httpx.AsyncClient(mounts={"file://": FileTransport(root)}) as client:
        return await client.get(request_url(url), headers=headers)


def test_file_transport(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site")
    ok = asyncio.run(file_get(root, root / "page_2.htm"))
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "text/html"
    assert ok.content == (root / "page_2.htm").read_bytes()
    etag, modified = ok.headers["etag"], ok.headers["last-modified"]
    assert (
        asyncio.run(file_get(root, root / "page_2.htm", **{"If-None-Match": etag})).status_code
        == 304
    )
    assert (
        asyncio.run(
            file_get(root, root / "page_2.htm", **{"If-Modified-Since": modified})
        ).status_code
        == 304
    )
    assert (
        asyncio.run(file_get(root, root / "page_2.htm", **{"If-None-Match": '"old"'})).status_code
        == 200
    )
    assert asyncio.run(file_get(root, root / "missing.html")).status_code == 404
    assert asyncio.run(file_get(root, tmp_path / "x.html")).status_code == 403
    assert (
        asyncio.run(file_get(root, "file://localhost" + str(root) + "/../x.html")).status_code
        == 403
    )
    assert asyncio.run(file_get(root, root)).content == (root / "index.html").read_bytes()
    os.utime(root / "page_2.htm", (1, 1))
    assert (
        asyncio.run(file_get(root, root / "page_2.htm", **{"If-None-Match": etag})).status_code
        == 200
    )


def test_crawl_a_file_site(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site")
    source = Source(
        name="files",
        start_urls=((root / "index.html").as_uri(),),
        article_pattern=r"/news/\d+\.html$",
    )
    archive = RawArchive(tmp_path / "raw")
    pages = crawl(source, archive)
    names = [p.url.removeprefix(root.as_uri()) for p in pages]
    assert names == [
        "/index.html",
        "/news/1.html",
        "/news/2.html",
        "/news/3.html",
        "/page_2.htm",
        "/news/4.html",
    ]
    assert all(p.status == 200 and p.error is None for p in pages)
    assert pages[1].charset is None
    assert pages[1].content_type == "text/html"
    assert archive.get(pages[1].content_sha256 or "").decode("gbk") == "<p>京津冀 1</p>"
    again = crawl(source, archive, known={p.url: Validators.from_page(p) for p in pages})
    assert [p.status for p in again] == [304] * 6  # listings replayed from the archive


SAMPLE_INDEX = Path(fetch.__file__).parent.parent / "samples" / "site" / "index.html"


@pytest.mark.skipif(
    not SAMPLE_INDEX.exists(),
    reason="bundled sample site not written yet (samples/site/index.html missing)",
)
def test_crawl_the_bundled_sample_site(tmp_path: Path) -> None:
    from jjj_etl.config import load_config

    source = load_config().sources[0]
    pages = crawl(source, RawArchive(tmp_path / "raw"))
    articles = [p for p in pages if not p.is_listing and p.status == 200]
    assert len(articles) >= 16, [(p.url, p.status, p.skipped, p.error) for p in pages]
    assert all(p.error is None for p in pages)


def test_all_is_sorted_and_honest() -> None:
    assert fetch.__all__ == sorted(fetch.__all__)
    for name in fetch.__all__:
        assert getattr(fetch, name).__doc__, name


@pytest.mark.parametrize(
    "module",
    [
        "jjj_etl.archive",
        "jjj_etl.fetch",
        "jjj_etl.charset",
        "jjj_etl.fetch._files",
        "jjj_etl.fetch._frontier",
        "jjj_etl.fetch._polite",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_pages_carry_cookies_the_site_set_and_the_configured_timeout(tmp_path: Path) -> None:
    """A cookie set by one page reaches the next, and every page request carries the
    source's timeouts for the connection pool to enforce."""
    seen: list[tuple[str, str | None, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("cookie"), request.extensions))
        if request.url.path == "/news/":
            return httpx.Response(
                200,
                html='<a href="/2024-05/01/content_1.html">1</a>',
                headers={"Set-Cookie": "session=abc; Path=/", "Content-Type": "text/html"},
            )
        if request.headers.get("cookie") != "session=abc":
            return httpx.Response(403)
        return httpx.Response(200, html="<p>京津冀 ok</p>", headers={"Content-Type": "text/html"})

    source = make_source(timeout_seconds=7)
    pages = {
        p.url: p
        for p in fetch.crawl(
            source, RawArchive(tmp_path), transport=httpx.MockTransport(handler), retry=FAST
        )
    }
    assert pages[f"{HOST}/2024-05/01/content_1.html"].status == 200
    assert pages[f"{HOST}/news/"].status == 200
    cookies = {path: cookie for path, cookie, _ in seen}
    assert cookies["/news/"] is None
    assert cookies["/2024-05/01/content_1.html"] == "session=abc"
    timeouts = [ext.get("timeout") for path, _, ext in seen if path != "/robots.txt"]
    assert timeouts
    assert all(t == {"connect": 7, "read": 7, "write": 7, "pool": 7} for t in timeouts)
