"""A real crawl over 127.0.0.1: a ThreadingHTTPServer serving a generated site with faults."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jjj_etl.archive import RawArchive
from jjj_etl.config import Source
from jjj_etl.fetch import RetryPolicy, Validators, crawl, decode_html
from jjj_etl.records import FetchedPage
from loopback import SiteHandler, serve

ZH = "京津冀技术合同成交额同比增长12.7%，中关村论坛在北京举行。"
FAST_RETRY = RetryPolicy(max_retries=3, backoff_base=0.05, max_backoff=0.2, max_total_wait=5.0)
MAX_BYTES = 50_000


@dataclass
class Site:
    """The served directory, the request log and the switches for faults."""

    root: Path
    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _article(n: int) -> str:
    return f"<html><head><title>Article {n}</title></head><body><p>{ZH} #{n}</p></body></html>"


def _write_site(root: Path) -> None:
    links = [f"/news/{n}.html" for n in (1, 2, 10, 11, 12, 13, 14, 16, 17, 18, 99)]
    links += ["/about.html", "/logo.png", "mailto:desk@example.com", "javascript:void(0)"]
    links += ["/index_2.html", "/news/1.html?utm_source=feed#top"]
    anchors = "".join(f'<a href="{href}">{href}</a>' for href in links)
    (root / "index.html").write_text(f"<html><body>{anchors}</body></html>", encoding="utf-8")
    (root / "index_2.html").write_text('<a href="/news/3.html">3</a>', encoding="utf-8")
    (root / "about.html").write_text("<p>about us</p>", encoding="utf-8")
    (root / "news").mkdir()
    for n in (1, 2, 3, 10, 11):
        (root / "news" / f"{n}.html").write_text(_article(n), encoding="utf-8")
    (root / "news" / "17.html").write_bytes(_article(17).encode("gbk"))  # no <meta charset>
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /news/99.html\n")


class Handler(SiteHandler):
    """Static files with ETag/304, plus faults keyed by path."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib handler's name
        path = self.path.split("?", 1)[0]
        with self.site.lock:
            self.site.hits[path] += 1
            count = self.site.hits[path]
        if not self._fault(path, count):
            self._static(path)

    def _fault(self, path: str, count: int) -> bool:
        if path == "/news/10.html" and count == 1:
            self._send(429, b"slow down", Retry_After="1")
        elif path == "/news/11.html" and count == 1:
            self._send(500, b"oops")
        elif path == "/news/12.html":
            self.site.release.wait(3.0)  # hang well past the client's timeout
            self._send(200, b"<p>too late</p>", Content_Type="text/html")
        elif path == "/news/13.html":
            self._send(302, Location="http://foreign.example/news/13.html")
        elif path == "/news/14.html":
            self._send(302, Location="/news/15.html")
        elif path == "/news/15.html":
            self._send(301, Location=self.site.url("/news/14.html"))
        elif path == "/news/16.html":
            bomb = gzip.compress(b"<html>" + b" " * 2_000_000, compresslevel=9)
            self._send(200, bomb, Content_Type="text/html", Content_Encoding="gzip")
        elif path == "/news/17.html":
            self._send(
                200,
                (self.site.root / "news/17.html").read_bytes(),
                Content_Type="text/html; charset=utf-8",
            )  # wrong: the bytes are GBK
        elif path == "/news/18.html":
            self._send(200, b"%PDF-1.4 not a page", Content_Type="application/pdf")
        else:
            return False
        return True

    def _static(self, path: str) -> None:
        file = (self.site.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.site.root) or not file.is_file():
            self._send(404, b"not found", Content_Type="text/plain")
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324 -- an etag
        if self.headers.get("If-None-Match") == etag:
            self._send(304, ETag=etag)
            return
        ctype = "text/plain" if file.suffix == ".txt" else "text/html"
        self._send(200, body, Content_Type=ctype, ETag=etag)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    _write_site(root)
    state = Site(root.resolve())
    with serve(Handler, state):
        yield state


def _source(site: Site) -> Source:
    return Source(
        name="loopback",
        start_urls=(site.url("/index.html"),),
        allowed_hosts=("127.0.0.1",),
        article_pattern=r"^/news/\d+\.html$",
        requests_per_second=200,
        concurrency=4,
        timeout_seconds=0.5,
        max_bytes=MAX_BYTES,
        max_depth=2,
    )


@pytest.fixture
def first_crawl(site: Site, tmp_path: Path) -> tuple[dict[str, FetchedPage], RawArchive]:
    archive = RawArchive(tmp_path / "raw")
    pages = crawl(_source(site), archive, retry=FAST_RETRY)
    by_path = {"/" + p.url.split("/", 3)[3]: p for p in pages}
    assert len(by_path) == len(pages), "one record per URL"
    return by_path, archive


def test_faults_are_recorded_and_the_rest_is_fetched(site: Site, first_crawl: Any) -> None:
    pages, archive = first_crawl
    # ordinary pages arrive, tracking-param duplicates are folded, chrome is never fetched
    for path in ("/index.html", "/index_2.html", "/news/1.html", "/news/2.html", "/news/3.html"):
        assert pages[path].status == 200, pages[path]
        assert pages[path].error is None
        assert pages[path].skipped is None
        assert archive.get(pages[path].content_sha256) == (site.root / path[1:]).read_bytes()
    assert site.hits["/news/1.html"] == 1
    assert "/about.html" not in pages
    assert site.hits["/about.html"] == 0
    assert site.hits["/logo.png"] == 0
    assert pages["/index.html"].is_listing
    assert not pages["/news/1.html"].is_listing
    assert site.url("/news/1.html") in pages["/index.html"].links
    assert site.hits["/robots.txt"] == 1

    # 429 + Retry-After: 1, then success; 500, then success
    assert pages["/news/10.html"].status == 200
    assert site.hits["/news/10.html"] == 2
    assert pages["/news/11.html"].status == 200
    assert site.hits["/news/11.html"] == 2

    hang = pages["/news/12.html"]
    assert hang.status == 0
    assert hang.content_sha256 is None
    assert "Timeout" in (hang.error or "")
    assert site.hits["/news/12.html"] == FAST_RETRY.max_retries + 1

    off_site = pages["/news/13.html"]
    assert (off_site.skipped or "").startswith("redirect-off-site: ")
    assert off_site.final_url == "http://foreign.example/news/13.html"
    assert off_site.status == 302

    loop = pages["/news/14.html"]
    assert loop.error is not None
    assert loop.error.startswith("redirect loop")
    assert site.hits["/news/14.html"] == 1
    assert site.hits["/news/15.html"] == 1

    bomb = pages["/news/16.html"]
    assert bomb.skipped == f"too-large: body exceeded {MAX_BYTES} bytes once gzip-decoded"
    assert bomb.content_sha256 is None
    assert bomb.size == 0

    wrong = pages["/news/17.html"]
    assert wrong.status == 200
    assert wrong.charset == "utf-8"
    text, used = decode_html(archive.get(wrong.content_sha256), wrong.charset)
    assert used == "gb18030"
    assert ZH in text

    assert pages["/news/18.html"].skipped == "not-html: content type application/pdf"
    assert (pages["/news/99.html"].skipped or "").startswith("robots: ")
    assert site.hits["/news/99.html"] == 0


def test_second_crawl_with_known_gets_304s(site: Site, first_crawl: Any) -> None:
    pages, archive = first_crawl
    known = {p.url: Validators.from_page(p) for p in pages.values() if p.status == 200}
    seen: list[FetchedPage] = []
    t0 = time.monotonic()
    again = crawl(_source(site), archive, known=known, progress=seen.append, retry=FAST_RETRY)
    assert time.monotonic() - t0 < 15
    assert [p.url for p in seen] != []
    assert {p.url for p in seen} == {p.url for p in again}
    by_path = {"/" + p.url.split("/", 3)[3]: p for p in again}

    index = by_path["/index.html"]
    assert index.status == 304
    assert index.skipped == "not-modified"
    assert index.content_sha256 == pages["/index.html"].content_sha256
    assert index.links == pages["/index.html"].links  # from the archived body
    for path in ("/news/1.html", "/news/2.html", "/news/3.html", "/news/10.html"):
        assert by_path[path].status == 304, by_path[path]
        assert by_path[path].content_sha256 == pages[path].content_sha256
        assert by_path[path].etag == pages[path].etag
    assert (by_path["/news/13.html"].skipped or "").startswith(
        "redirect-off-site"
    )  # faults are still faults
    assert site.hits["/robots.txt"] == 2  # once per crawl
