"""WARC archive and replay, the crawl's new limits and dedupe, Big5, progress, example config.

The WARC fixtures are generated here (``tests/fixtures/warc/`` stays free of binaries): one
written by our own crawl, one hand-built the way web archives export (gzip content
encoding, chunked transfer, a revisit record, a sha1 digest).
"""

from __future__ import annotations

import asyncio
import doctest
import gzip
import importlib
import io
import logging
from pathlib import Path

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from jjj_etl.archive import RawArchive, RecordHead, payload_digest, read_record, scan
from jjj_etl.charset import decode_html
from jjj_etl.config import Source, load_config
from jjj_etl.fetch import (
    PoliteTransport,
    RetryPolicy,
    Validators,
    WarcReplayTransport,
    _replay,
    canonicalize_url,
    crawl,
    replay,
)
from jjj_etl.parse.article import read_page
from jjj_etl.pipeline import KnownState, read_results
from jjj_etl.pipeline._outcomes import page_outcomes
from jjj_etl.pipeline._parse import parse_batch, plan_parse
from jjj_etl.progress import CrawlProgress
from jjj_etl.records import FetchedPage

REPO = Path(__file__).resolve().parents[2]
HOST = "http://news.test"
FAST = RetryPolicy(max_retries=1, backoff_base=0.01, max_backoff=0.02, max_total_wait=1.0)


def source(**overrides: object) -> Source:
    fields: dict[str, object] = {
        "name": "mock",
        "start_urls": (f"{HOST}/news/",),
        "allowed_hosts": ("news.test",),
        "article_pattern": r"/a/\d+\.html$",
        "requests_per_second": 1000,
        "concurrency": 4,
        "timeout_seconds": 1,
        "max_bytes": 10_000,
    }
    return Source.model_validate(fields | overrides)


def html(body: str, **headers: str) -> httpx.Response:
    return httpx.Response(200, text=body, headers={"Content-Type": "text/html", **headers})


def routes(table: dict[str, httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return table.get(request.url.path, httpx.Response(404))

    return httpx.MockTransport(handler)


SITE = {
    "/robots.txt": httpx.Response(200, text="User-agent: *\nDisallow: /private/\n"),
    "/news/": html(
        '<a href="/a/1.html">1</a><a href="/a/2.html">2</a><a href="/private/a/3.html">3</a>'
    ),
    "/a/1.html": html("<p>京津冀 one</p>", ETag='"e1"'),
    "/a/2.html": httpx.Response(301, headers={"Location": "/a/4.html"}),
    "/a/4.html": html("<p>moved</p>"),
}


# --- the WARC archive ---------------------------------------------------------------------


def test_crawl_writes_request_and_response_records(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    pages = {p.url: p for p in crawl(source(), archive, transport=routes(SITE), retry=FAST)}
    (warc,) = archive.warc_files()
    records = []
    with warc.open("rb") as fh:
        for record in ArchiveIterator(fh):
            status = record.http_headers.get_statuscode() if record.rec_type == "response" else ""
            records.append((record.rec_type, record.rec_headers, status))
    assert records[0][0] == "warcinfo"
    assert all(h.get_header("WARC-Type") for _, h, _ in records)
    pairs = [(kind, h.get_header("WARC-Target-URI"), s) for kind, h, s in records[1:]]
    responses = [(uri, s) for kind, uri, s in pairs if kind == "response"]
    assert len(responses) == sum(kind == "request" for kind, _, _ in pairs) == 5
    assert set(responses) == {
        (f"{HOST}/robots.txt", "200"),
        (f"{HOST}/news/", "200"),
        (f"{HOST}/a/1.html", "200"),
        (f"{HOST}/a/2.html", "301"),
        (f"{HOST}/a/4.html", "200"),
    }
    one = next(
        h
        for k, h, _ in records
        if k == "response" and h.get_header("WARC-Target-URI").endswith("/a/1.html")
    )
    sha = pages[f"{HOST}/a/1.html"].content_sha256 or ""
    assert one.get_header("WARC-Payload-Digest") == payload_digest(sha)
    assert one.get_header("JJJ-Content-SHA256") == sha
    assert one.get_header("WARC-Block-Digest").startswith("sha256:")
    assert records[0][1].protocol == "WARC/1.1"
    requests = [h for k, h, _ in records if k == "request"]
    assert all(h.get_header("WARC-Concurrent-To") for h in requests)


def test_warcio_checker_passes_every_digest_and_catches_a_changed_byte(tmp_path: Path) -> None:
    """Records are written by our own code: warcio's own checker must accept every block
    and payload digest (304s, redirects, non-ASCII header bytes included)."""
    site = dict(SITE)
    site["/a/1.html"] = httpx.Response(
        200,
        content="<p>京津冀 one</p>".encode(),
        # a raw non-ASCII header value, as some servers send
        headers=[
            (b"Content-Type", b"text/html; charset=utf-8"),
            (b"ETag", b'"e1"'),
            (b"X-Note", "caf\u00e9".encode()),
        ],
    )
    archive = RawArchive(tmp_path / "raw")
    crawl(source(), archive, transport=routes(site), retry=FAST)
    known = {f"{HOST}/a/1.html": Validators(etag='"e1"')}
    not_modified = dict(site)
    not_modified["/a/1.html"] = httpx.Response(304, headers={"ETag": '"e1"'})
    crawl(source(), archive, transport=routes(not_modified), known=known, retry=FAST)
    files = archive.warc_files()
    with files[0].open("rb") as fh:
        statuses = {r.http_headers.get_statuscode() for r in ArchiveIterator(fh) if r.http_headers}
    assert {"200", "301", "304"} <= statuses
    assert Checker(_CheckArgs([str(f) for f in files])).process_all() == 0
    raw = gzip.decompress(files[0].read_bytes())
    spot = raw.index("京津冀".encode())
    damaged = tmp_path / "damaged.warc"
    damaged.write_bytes(raw[:spot] + "北".encode() + raw[spot + 3 :])
    assert Checker(_CheckArgs([str(damaged)])).process_all() == 1


class _CheckArgs:
    def __init__(self, inputs: list[str]) -> None:
        self.inputs, self.verbose = inputs, False


def test_warc_files_rotate_by_size_and_never_split_an_exchange(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path, warc_max_bytes=2_000)
    request = httpx.Request("GET", f"{HOST}/a/1.html")
    for n in range(6):
        body = f"<p>{n}</p>".encode() * 50
        archive.record_exchange(
            request, httpx.Response(200, request=request), body, archive.put(body)
        )
    files = archive.warc_files()
    assert len(files) >= 3
    for path in files:
        with path.open("rb") as fh:
            kinds = [r.rec_type for r in ArchiveIterator(fh)]
        assert kinds[0] == "warcinfo"
        assert kinds[1:] == ["response", "request"] * ((len(kinds) - 1) // 2)


def test_size_of_an_object_without_reading_it(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    assert archive.size(archive.put(b"x" * 12345)) == 12345
    with pytest.raises(KeyError):
        archive.size("0" * 64)


def test_a_disabled_warc_view_writes_no_records(tmp_path: Path) -> None:
    view = RawArchive(tmp_path, warc=False)
    request = httpx.Request("GET", f"{HOST}/")
    assert view.record_exchange(request, httpx.Response(200, request=request), b"x") is None
    assert view.warc_files() == []


# --- replay -------------------------------------------------------------------------------


def test_replay_rebuilds_the_crawl_without_network(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    live = crawl(source(), archive, transport=routes(SITE), retry=FAST)
    warcs = archive.warc_files()
    again = replay(source(), archive)
    assert [(p.url, p.status, p.content_sha256, p.skipped) for p in again] == [
        (p.url, p.status, p.content_sha256, p.skipped) for p in live
    ]
    assert archive.warc_files() == warcs  # a replay does not archive itself
    elsewhere = RawArchive(tmp_path / "other")
    from_paths = replay(source(), warcs, into=elsewhere)
    sha = next(p.content_sha256 for p in from_paths if p.url.endswith("/a/1.html"))
    assert elsewhere.get(sha or "") == "<p>京津冀 one</p>".encode()
    with pytest.raises(ValueError, match="into="):
        replay(source(), warcs)


def test_replay_serves_the_latest_capture_with_a_body(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    request = httpx.Request("GET", f"{HOST}/a/1.html")
    archive.record_exchange(request, html("old", ETag='"1"'), b"old")
    archive.record_exchange(request, html("new", ETag='"2"'), b"new")
    archive.record_exchange(request, httpx.Response(304, request=request), b"")
    transport = WarcReplayTransport(archive.warc_files())

    async def get(**headers: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(f"{HOST}/a/1.html?utm_source=x", headers=headers)

    assert asyncio.run(get()).content == b"new"
    assert asyncio.run(get(**{"If-None-Match": '"2"'})).status_code == 304
    assert asyncio.run(get(**{"If-None-Match": '"1"'})).content == b"new"
    with pytest.raises(FileNotFoundError):
        WarcReplayTransport([tmp_path / "missing.warc.gz"])


def test_a_warc_torn_by_a_killed_writer_keeps_every_complete_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A SIGKILL inside the one write of an exchange leaves a cut gzip member at the end of
    the file; the next run writes a new file.  Replay keeps every complete record before the
    cut, at any cut point, and says so (warcio alone crashed on some of them)."""
    archive = RawArchive(tmp_path / "raw")
    live = crawl(source(), archive, transport=routes(SITE), retry=FAST)
    (warc,) = archive.warc_files()
    whole = warc.read_bytes()
    complete = captures(warc)
    assert f"{HOST}/a/2.html" in complete
    last = max(complete.values(), key=lambda c: c.offset)  # the last response record
    for cut in range(last.offset + 1, len(whole), 97):
        warc.write_bytes(whole[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="jjj_etl.fetch._replay"):
            kept = captures(warc)
        if cut < last.offset + last.length:  # the response itself cut: left out
            assert set(kept) < set(complete), cut
        else:  # only the request record after it cut
            assert set(kept) == set(complete), cut
        assert {k: complete[k] for k in kept} == kept, cut
        assert "cut short" in caplog.text, cut
    # the next run appends to a new file; a replay reads both
    warc.write_bytes(whole[: last.offset + 200])
    later = RawArchive(tmp_path / "raw")
    request = httpx.Request("GET", f"{HOST}/a/9.html")
    later.store_exchange(request, html("<p>京津冀 nine</p>"), "<p>京津冀 nine</p>".encode())
    assert len(later.warc_files()) == 2
    urls = WarcReplayTransport(later.warc_files()).urls()
    assert f"{HOST}/a/9.html" in urls
    assert f"{HOST}/a/1.html" in urls
    again = replay(source(), later)
    assert {p.url for p in again if p.status == 200} < {p.url for p in live}
    # a plain (uncompressed) WARC cut short: the records before it stay
    plain = tmp_path / "plain.warc"
    write_foreign_warc(tmp_path / "export.warc.gz")
    text = gzip.decompress((tmp_path / "export.warc.gz").read_bytes())
    plain.write_bytes(text[: text.rindex(b"WARC/1.") + 40])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jjj_etl.fetch._replay"):
        kept = captures(plain)
    assert f"{HOST}/a/7.html" in kept
    assert f"{HOST}/a/8.html" not in kept
    assert "cut short or unreadable" in caplog.text


def captures(warc: Path) -> dict[str, _replay._Capture]:
    """What a replay of ``warc`` can serve, by canonical URL (warnings logged as it indexes)."""
    return dict(WarcReplayTransport([warc])._latest)


def write_foreign_warc(path: Path) -> None:
    """A WARC as web archives export it: gzip + chunked bodies, sha1 digests, a revisit."""
    page = b'<html><body><a href="/a/7.html">7</a><a href="/a/8.html">8</a></body></html>'
    article = "<html><body><p>京津冀协同发展</p></body></html>".encode()
    packed = gzip.compress(article)
    chunked = f"{len(packed):x}\r\n".encode() + packed + b"\r\n0\r\n\r\n"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for uri, body, headers in (
            (f"{HOST}/news/", page, [("Content-Type", "text/html")]),
            (
                f"{HOST}/a/7.html",
                chunked,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                 ("Transfer-Encoding", "chunked")],
            ),
        ):  # fmt: skip
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    uri, "response", payload=io.BytesIO(body), http_headers=http
                )
            )
        fh.flush()
    with path.open("rb") as fh:  # the revisit points at /a/7.html's payload digest
        digest = next(
            r.rec_headers.get_header("WARC-Payload-Digest")
            for r in ArchiveIterator(fh)
            if r.rec_headers.get_header("WARC-Target-URI").endswith("/a/7.html")
        )
    with path.open("ab") as fh:
        writer = WARCWriter(fh, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_revisit_record(
                f"{HOST}/a/8.html",
                digest,
                f"{HOST}/a/7.html",
                "2024-01-01T00:00:00Z",
                http_headers=http,
            )
        )


def test_a_record_with_a_broken_deflate_stream_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The inflater's error (zlib-ng's) on one member costs that record only: the replay
    names the file and offset and keeps every other record."""
    archive = RawArchive(tmp_path / "raw")
    crawl(source(), archive, transport=routes(SITE), retry=FAST)
    (warc,) = archive.warc_files()
    complete = captures(warc)
    raw = bytearray(warc.read_bytes())
    last = raw.rindex(b"\x1f\x8b\x08")  # the last gzip member: a request record
    raw[last + 10] = 0xFF  # its first deflate block header: block type 3 does not exist
    warc.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING, logger="jjj_etl.fetch._replay"):
        transport = WarcReplayTransport([warc])
    assert transport._latest == complete
    assert [(d.path, d.offset) for d in transport.damaged] == [(warc, last)]
    assert f"{warc}: the record at offset {last}" in caplog.text


def test_a_foreign_warc_is_a_source(tmp_path: Path) -> None:
    fixture = tmp_path / "export.warc.gz"
    write_foreign_warc(fixture)
    into = RawArchive(tmp_path / "raw")
    pages = {p.url.rsplit("/", 1)[-1]: p for p in replay(source(), [fixture], into=into)}
    assert set(pages) == {"", "7.html", "8.html"}
    seven, eight = pages["7.html"], pages["8.html"]
    assert (seven.status, seven.charset, seven.error) == (200, "utf-8", None)
    text, _ = decode_html(into.get(seven.content_sha256 or ""), seven.charset)
    assert "京津冀协同发展" in text
    assert eight.content_sha256 == seven.content_sha256  # the revisit resolved by digest
    # the same archive through crawl(): the live code path, with a replay transport
    via_crawl = crawl(
        source(), RawArchive(tmp_path / "c"), transport=WarcReplayTransport([fixture])
    )
    assert [p.status for p in via_crawl] == [200, 200, 200]


def warcio_captures(warc: Path) -> dict[str, tuple[int, int, bytes]]:
    """The oracle: (offset, status, decoded body) of each http capture, as warcio reads it."""
    out: dict[str, tuple[int, int, bytes]] = {}
    with warc.open("rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI")
            status = int(record.http_headers.get_statuscode())
            body = record.content_stream().read()
            out[canonicalize_url(uri)] = (records.get_record_offset(), status, body)
    return out


def test_our_warc_reader_matches_warcio(tmp_path: Path) -> None:
    """Our one reader walks member-per-record and plain WARC files itself; warcio, the
    reference, must find the same records at the same offsets with the same bodies, for our
    archive and for a web-archive export (chunked, gzip, revisit), gzipped or plain."""
    ours = RawArchive(tmp_path / "raw")
    crawl(source(), ours, transport=routes(SITE), retry=FAST)
    foreign = tmp_path / "export.warc.gz"
    write_foreign_warc(foreign)
    plain = tmp_path / "plain.warc"  # not gzipped at all
    plain.write_bytes(gzip.decompress(foreign.read_bytes()))
    for warc in [*ours.warc_files(), foreign, plain]:
        expected = warcio_captures(warc)
        heads = [h for h in scan(warc) if isinstance(h, RecordHead)]
        assert len(heads) == len(list(scan(warc))), warc.name  # no damage reported
        got = {}
        for head in heads:
            if head.status:
                record = read_record(warc, head.offset, head.length)
                key = canonicalize_url(head.fields["warc-target-uri"])
                got[key] = (head.offset, record.status, record.body)
        assert got == expected, warc.name
        assert all(h.length > 0 for h in heads), warc.name
    # a whole file gzipped as one stream cannot be read by offset: refused with warcio's
    # explanation of how to recompress it, not mistaken for damage
    one_stream = tmp_path / "one-stream.warc.gz"
    one_stream.write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises(ArchiveLoadFailed, match="single gzip"):
        list(scan(one_stream))


# --- crawl behaviour ----------------------------------------------------------------------


def test_global_cap_across_hosts_and_no_double_wrapping() -> None:
    state = {"now": 0, "peak": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.02)
        state["now"] -= 1
        return httpx.Response(200, text="ok")

    polite = PoliteTransport(
        httpx.MockTransport(slow), requests_per_second=None, concurrency=4, max_in_flight=3
    )

    async def main() -> None:
        async with httpx.AsyncClient(transport=polite) as client:
            urls = [f"http://h{n % 3}.test/{n}" for n in range(24)]
            await asyncio.gather(*(client.get(u) for u in urls))

    asyncio.run(main())
    assert state["peak"] == polite.peak_in_flight == 3


def test_a_polite_transport_is_used_as_given(tmp_path: Path) -> None:
    polite = PoliteTransport(routes(SITE), requests_per_second=None, concurrency=1)
    crawl(source(), RawArchive(tmp_path), transport=polite)
    assert polite.peak_in_flight == 1  # our own limits, not a second wrapper's


def test_max_redirects_comes_from_config(tmp_path: Path) -> None:
    chain = {
        f"/a/{n}.html": httpx.Response(302, headers={"Location": f"/a/{n + 1}.html"})
        for n in range(1, 9)
    }
    table = {"/news/": html('<a href="/a/1.html">1</a>'), **chain, "/a/9.html": html("end")}
    pages = crawl(
        source(max_redirects=2), RawArchive(tmp_path), transport=routes(table), retry=FAST
    )
    assert pages[1].error == (
        f"more than 2 redirects: {HOST}/a/1.html -> {HOST}/a/2.html -> {HOST}/a/3.html"
        f" -> {HOST}/a/4.html"
    )
    ok = crawl(source(max_redirects=8), RawArchive(tmp_path), transport=routes(table), retry=FAST)
    assert (ok[1].status, ok[1].final_url) == (200, f"{HOST}/a/9.html")


def test_one_article_per_canonical_url_and_304s_have_a_size(tmp_path: Path) -> None:
    original = (
        '<link rel="canonical" href="/a/1.html">' + "<p>Jing-Jin-Ji grew 5.1% in 2024.</p>" * 8
    )
    table = {
        "/news/": html(
            '<a href="/a/1.html">1</a><a href="/a/2.html?spm=x">2</a><a href="/a/3.html">3</a>'
            '<a href="/a/4.html">4</a>'
        ),
        "/a/1.html": html(original, ETag='"v1"'),
        "/a/2.html": html(original + "<!-- ad -->"),  # other bytes, same canonical
        "/a/3.html": html(original),  # same bytes under another URL
        # names a page with a tracking parameter as canonical: the same article all the same
        "/a/4.html": html(original.replace("/a/1.html", "/a/1.html?utm_source=x") + "<br>"),
    }
    archive = RawArchive(tmp_path)
    pages = crawl(source(), archive, transport=routes(table), retry=FAST)
    # the crawl fetches each URL once and leaves which pages are one article to the pipeline
    assert [p.skipped for p in pages] == [None] * 5
    jobs = plan_parse(pages, [source()], KnownState())
    assert len(jobs) == 3  # /a/3.html has the bytes of /a/1.html: parsed once
    folder = parse_batch(jobs, archive.root, tmp_path / "parsed", workers=1)
    outcomes = page_outcomes(pages, read_results(folder), KnownState())
    by_name = {o.page.url.rsplit("/", 1)[-1]: o for o in outcomes}
    first = f"{HOST}/a/1.html"
    assert (by_name["1.html"].outcome, by_name["1.html"].reason) == ("article", None)
    assert by_name["2.html"].outcome == "duplicate"
    assert (
        by_name["2.html"].reason
        == f"duplicate: rel=canonical {first} was already fetched as {first}"
    )
    assert by_name["3.html"].reason == f"duplicate: same content as {first}"
    assert (
        by_name["4.html"].reason
        == f"duplicate: rel=canonical {first} was already fetched as {first}"
    )
    assert {o.article_id for o in outcomes if not o.page.is_listing} == {
        by_name["1.html"].article_id
    }
    assert by_name["2.html"].page.content_sha256 is not None  # still archived

    def conditional(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return table.get(request.url.path, httpx.Response(404))

    page_1 = by_name["1.html"].page
    known = {page_1.url: Validators.from_page(page_1)}
    again = crawl(source(), archive, transport=httpx.MockTransport(conditional), known=known)
    one = next(p for p in again if p.url.endswith("/a/1.html"))
    assert (one.status, one.size) == (304, len(original))


def test_a_page_named_as_canonical_after_the_page_naming_it_is_the_duplicate(
    tmp_path: Path,
) -> None:
    body = "<p>Jing-Jin-Ji grew 5.1% in 2024.</p>" * 8
    table = {
        "/news/": html('<a href="/a/2.html">2</a><a href="/a/1.html">1</a>'),
        "/a/1.html": html(body),
        "/a/2.html": html('<link rel="canonical" href="/a/1.html">' + body),
    }
    archive = RawArchive(tmp_path)
    pages = crawl(source(), archive, transport=routes(table), retry=FAST)
    jobs = plan_parse(pages, [source()], KnownState())
    folder = parse_batch(jobs, archive.root, tmp_path / "parsed", workers=1)
    outcomes = page_outcomes(pages, read_results(folder), KnownState())
    by_name = {o.page.url.rsplit("/", 1)[-1]: o for o in outcomes}
    assert by_name["2.html"].outcome == "article"  # first in crawl order wins the article
    assert (by_name["1.html"].outcome, by_name["1.html"].reason) == (
        "duplicate",
        f"duplicate: named as canonical by {HOST}/a/2.html, fetched first",
    )


def test_user_agent_contact_and_language_headers(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return html("<p>x</p>")

    src = source(user_agent="jjj-etl/9", contact="ops@example.org", accept_language="zh-CN")
    crawl(src, RawArchive(tmp_path), transport=httpx.MockTransport(handler))
    headers = seen[-1].headers
    assert headers["user-agent"] == "jjj-etl/9 (+ops@example.org)"
    assert headers["from"] == "ops@example.org"
    assert headers["accept-language"] == "zh-CN"


@pytest.mark.parametrize(
    ("head", "base", "expected"),
    [
        ('<link rel="canonical" href="/x">', "http://h/a", "http://h/x"),
        ("<LINK HREF='y.html#top' REL=canonical>", "http://h/d/a", "http://h/d/y.html"),
        ('<link rel="canonical" href="/x?utm_source=a&b=1&spm=c">', "http://h/a", "http://h/x?b=1"),
        ('<link rel="stylesheet" href="/s.css">', "HTTP://H:80/a?from=x", "http://h/a"),
        (
            '<link rel="canonical" href=""><meta property="og:url" content="/o">',
            "http://h/",
            "http://h/o",
        ),
    ],
)
def test_canonical_url_of_a_page(head: str, base: str, expected: str) -> None:
    page = f"<html><head>{head}</head><body><h1>T</h1><p>{'x ' * 100}</p></body></html>"
    assert read_page(page.encode(), base).canonical_url == expected


# --- charset ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("京津冀協同發展，技術合同成交額同比增長12.7%。中關村論壇在北京舉行。", "big5", "big5"),
        ("京津冀", "big5", "big5"),
        ("京津冀协同发展，技术合同成交额同比增长12.7%。中关村论坛在北京举行。", "gbk", "gb18030"),
    ],
)
def test_big5_and_gbk_are_told_apart(text: str, codec: str, expected: str) -> None:
    data = f"<html><body><p>{text}</p></body></html>".encode(codec)
    decoded, used = decode_html(data)
    assert (text in decoded, used) == (True, expected)


# --- progress -----------------------------------------------------------------------------


def pages_for_progress() -> list[FetchedPage]:
    return [
        FetchedPage("a", "a", "s", 200, "t", size=1500),
        FetchedPage("b", "b", "s", 0, "t", error="ReadTimeout"),
        FetchedPage("c", "c", "s", 304, "t", skipped="not-modified", size=10),
    ]


def test_progress_logs_plain_lines_when_not_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jjj_etl.progress")
    with CrawlProgress("demo", stream=io.StringIO(), log_every=2) as progress:
        for page in pages_for_progress():
            progress(page)
    assert not progress.interactive
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("crawl demo: 2 pages, 1.5 kB, ")
    assert lines[-1].startswith("crawl demo done: 3 pages, 1.5 kB, ")
    assert "1 errors, 0 skipped, 1 not modified" in lines[-1]


def test_progress_draws_a_bar_on_a_terminal() -> None:
    out = io.StringIO()
    with CrawlProgress("demo", stream=out, force_terminal=True) as progress:
        for page in pages_for_progress():
            progress(page)
    text = out.getvalue()
    assert "demo" in text
    assert "3 pages" in text
    assert "1 errors" in text
    assert "pages/s" in text


def test_progress_does_not_import_prefect() -> None:
    import subprocess
    import sys

    code = "import jjj_etl.progress, sys; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the example config and docstrings ----------------------------------------------------


def test_the_example_config_loads_and_is_polite() -> None:
    config = load_config(REPO / "config" / "sources.example.toml")
    names = {s.name for s in config.sources}
    assert {"china-org-business", "chinadaily-jingjinji", "china-com-cn-jingji"} <= names
    for src in config.sources:
        assert src.requests_per_second <= 1.0
        assert src.allowed_hosts
        assert src.contact
        assert any(k in src.keywords for k in ("京津冀", "Beijing-Tianjin-Hebei"))
        assert all(u.startswith(("http://", "https://")) for u in src.start_urls)


@pytest.mark.parametrize("module", ["jjj_etl.fetch._replay", "jjj_etl.urls", "jjj_etl.progress"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
