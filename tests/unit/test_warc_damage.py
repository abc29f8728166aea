"""A damaged WARC costs only its damaged records: replay keeps every other page, and a page
it lost says "unreadable in the archive", never a 404 the site did not send.

Every WARC here is a real one, written by RawArchive during a crawl of a mock site; the
damage is done to its bytes afterwards (flipped mid-record, cut short).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import hashlib
import logging
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jjj_etl.archive import Damage, RawArchive, RecordError, RecordHead, read_record, scan
from jjj_etl.config import Source
from jjj_etl.fetch import RetryPolicy, WarcReplayTransport, crawl, replay
from jjj_etl.records import FetchedPage

HOST = "http://news.test"
FAST = RetryPolicy(max_retries=0, max_total_wait=0.0)


def _text(seed: str, size: int) -> str:
    """Text that does not compress away, so a record spans many deflate blocks."""
    out, block = [], seed.encode()
    while sum(map(len, out)) < size:
        block = hashlib.sha256(block).digest()
        out.append(block.hex())
    return "".join(out)[:size]


def _site() -> dict[str, httpx.Response]:
    def page(body: str) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"Content-Type": "text/html"})

    links = "".join(f'<a href="/a/{n}.html">{n}</a>' for n in range(1, 6))
    site = {"/robots.txt": httpx.Response(404), "/news/": page(links)}
    for n in range(1, 6):
        site[f"/a/{n}.html"] = page(f"<p>京津冀 {n}</p><p>{_text(str(n), 20_000)}</p>")
    return site


def _source() -> Source:
    return Source.model_validate(
        {
            "name": "mock",
            "start_urls": (f"{HOST}/news/",),
            "allowed_hosts": ("news.test",),
            "article_pattern": r"/a/\d+\.html$",
            "requests_per_second": 1000,
            "concurrency": 1,  # one at a time: the WARC holds the pages in crawl order
            "timeout_seconds": 1,
            "max_bytes": 100_000,
        }
    )


def _crawled(root: Path) -> tuple[RawArchive, list[FetchedPage], Path]:
    site = _site()

    def handler(request: httpx.Request) -> httpx.Response:
        return site.get(request.url.path, httpx.Response(404))

    archive = RawArchive(root)
    pages = crawl(_source(), archive, transport=httpx.MockTransport(handler), retry=FAST)
    (warc,) = archive.warc_files()
    return archive, pages, warc


def _responses(warc: Path) -> dict[str, RecordHead]:
    return {
        h.fields["warc-target-uri"]: h
        for h in scan(warc)
        if isinstance(h, RecordHead) and h.fields.get("warc-type") == "response"
    }


def _outcomes(pages: list[FetchedPage]) -> dict[str, tuple[int, str | None, str | None]]:
    return {p.url: (p.status, p.content_sha256, p.error) for p in pages}


def test_bytes_flipped_mid_record_lose_that_page_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive, live, warc = _crawled(tmp_path / "raw")
    target = f"{HOST}/a/3.html"
    record = _responses(warc)[target]
    raw = bytearray(warc.read_bytes())
    middle = record.offset + record.length // 2
    for i in range(middle, middle + 64):  # 64 bytes flipped in the middle of the record
        raw[i] ^= 0xFF
    warc.write_bytes(bytes(raw))

    with caplog.at_level(logging.WARNING, logger="jjj_etl.fetch._replay"):
        again = replay(_source(), archive)
    assert f"{warc}: the record at offset {record.offset}" in caplog.text
    before, after = _outcomes(live), _outcomes(again)
    lost = after.pop(target)
    before.pop(target)
    assert after == before  # every other page as the live crawl had it
    status, sha, error = lost
    assert (status, sha) == (0, None)
    assert error is not None
    assert error.startswith("unreadable-in-archive: ")
    assert f"{warc.name} offset {record.offset} is damaged" in error  # its URL was readable
    assert "404" not in error
    with pytest.raises(KeyError, match="unreadable"):  # parsing it says so as well
        archive.get(live[[p.url for p in live].index(target)].content_sha256 or "")


def test_a_truncated_warc_reports_its_lost_pages_as_unreadable_not_404(tmp_path: Path) -> None:
    archive, live, warc = _crawled(tmp_path / "raw")
    cut_in = _responses(warc)[f"{HOST}/a/4.html"]
    whole = warc.read_bytes()
    warc.write_bytes(whole[: cut_in.offset + 40])  # inside the record's gzip header

    again = {p.url: p for p in replay(_source(), archive)}
    for page in live:
        got = again[page.url]
        if page.url in (f"{HOST}/a/4.html", f"{HOST}/a/5.html"):  # at or after the cut
            assert (got.status, got.content_sha256) == (0, None), page.url
            assert (got.error or "").startswith("unreadable-in-archive: "), got.error
            assert f"damaged records at {warc.name} offset {cut_in.offset}" in (got.error or "")
        else:
            assert (got.status, got.content_sha256, got.error) == (
                page.status,
                page.content_sha256,
                page.error,
            )


def test_an_intact_archive_still_answers_404_for_what_was_never_captured(
    tmp_path: Path,
) -> None:
    _archive, _live, warc = _crawled(tmp_path / "raw")
    transport = WarcReplayTransport([warc])
    assert transport.damaged == []

    async def get() -> int:
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(f"{HOST}/never.html")).status_code

    assert asyncio.run(get()) == 404


@functools.cache
def _valid_warc(layout: str) -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """One real WARC's bytes (``gzip``: as written, a member per record; ``plain``: the same
    records uncompressed) and the (offset, length) of each of its records."""
    _archive, _pages, warc = _crawled(Path(tempfile.mkdtemp()) / "raw")
    if layout == "plain":
        warc.write_bytes(gzip.decompress(warc.read_bytes()))  # every member, concatenated
    spans = tuple((h.offset, h.length) for h in scan(warc) if isinstance(h, RecordHead))
    return warc.read_bytes(), spans


_damage = st.one_of(
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=64).map(
        lambda flips: ("flip", flips)
    ),
    st.floats(0, 1).map(lambda at: ("cut", at)),
    st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=200)).map(
        lambda garbage: ("insert", garbage)
    ),
)


def _apply(
    data: bytes, spans: tuple[tuple[int, int], ...], damage: tuple[str, object]
) -> tuple[bytes, list[tuple[int, int]]]:
    """The damaged bytes, and for each original record span where it should still be found
    (flips: untouched records in place; a cut: records before it; garbage inserted: records
    before it in place, records after it moved by its length)."""
    kind, how = damage
    if kind == "flip":
        raw = bytearray(data)
        for where, value in how:  # type: ignore[attr-defined]
            raw[min(int(where * len(raw)), len(raw) - 1)] = value
        touched = [i for i in range(len(raw)) if raw[i] != data[i]]
        keep = [s for s in spans if not any(s[0] <= t < s[0] + s[1] for t in touched)]
        return bytes(raw), keep
    if kind == "cut":
        at = int(how * len(data))  # type: ignore[operator]
        return data[:at], [s for s in spans if s[0] + s[1] <= at]
    where, garbage = how  # type: ignore[misc]
    at = int(where * len(data))
    moved = [(o + len(garbage), n) for o, n in spans if o >= at]
    return data[:at] + garbage + data[at:], [s for s in spans if s[0] + s[1] <= at] + moved


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=_damage)
# a flipped byte that turned a target URI into an "Invalid IPv6 URL" once raised in replay
@example(damage=("flip", [(0.0162620528063, 91)]))
@pytest.mark.parametrize("layout", ["gzip", "plain"])
def test_the_reader_never_raises_on_a_damaged_warc(layout: str, damage: tuple[str, object]) -> None:
    """Whatever happens to a valid WARC's bytes, the reader yields records and warnings,
    and every record the damage did not touch is still found."""
    data, spans = _valid_warc(layout)
    assert len(spans) == 15  # warcinfo, then robots.txt, the listing and 5 pages, 2 each
    damaged, expected = _apply(data, spans, damage)
    with tempfile.TemporaryDirectory() as folder:
        warc = Path(folder) / ("x.warc.gz" if layout == "gzip" else "x.warc")
        warc.write_bytes(damaged)
        items = list(scan(warc))
        heads = [i for i in items if isinstance(i, RecordHead)]
        for head in heads:
            with contextlib.suppress(RecordError):  # the reader's own error, never another
                read_record(warc, head.offset, head.length)
        WarcReplayTransport([warc])  # and the replay index builds
    assert all(isinstance(i, RecordHead | Damage) for i in items)
    found = {(h.offset, h.length) for h in heads}
    assert set(expected) <= found
    if damage[0] != "cut" and len(heads) < len(spans):  # (a cut between records is clean)
        assert any(isinstance(i, Damage) for i in items)  # nothing is lost silently
