"""WARC replay as an httpx transport: answer requests from archived response records.

:class:`WarcReplayTransport` indexes the ``response`` (and ``revisit``) records of one or
more WARC files — ours under ``warehouse/raw/warc/`` or any export from a web archive —
and serves them to the crawler, so a replay walks the archived site through exactly the
code path of a live crawl (robots, redirects, byte caps, link following, dedupe).

For a URL captured more than once, the latest capture with a body is served (a 304
capture only says "unchanged", so it is passed over).  Bodies are decoded as warcio reads
them (chunked transfer and gzip/deflate/brotli content encodings removed), and served
with a matching ``Content-Length``.  A URL that was never captured gets a 404.  The index
holds one small tuple per URL; bodies stay on disk until requested.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser
from zlib_ng import zlib_ng

from jjj_etl.archive import INFLATE_ERRORS, split_record, warc_fields
from jjj_etl.fetch._frontier import canonicalize_url

__all__ = ["WarcReplayTransport"]

_DROP = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
_READ_CAP = 1_000_000_000  # the crawler's own byte cap applies after this
_PARSER = StatusAndHeadersParser([], verify=False)
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Capture:
    path: Path
    offset: int
    date: str
    status: int
    digest: str | None
    revisit: bool
    length: int = 0  # of the record's gzip member when known (then read without warcio)


def _target_key(url: str) -> str:
    """Canonical URL; ``file://localhost/p`` and ``file:///p`` compare equal."""
    return canonicalize_url(url)


def _http_headers(record: Any) -> Any:
    """The record's HTTP headers; warcio parses them only for http(s) URIs, so a
    ``file://`` capture (the sample site) is parsed here."""
    if record.http_headers is None and record.rec_type in ("response", "revisit"):
        ctype = record.rec_headers.get_header("Content-Type") or ""
        if ctype.startswith("application/http"):
            with contextlib.suppress(EOFError, ValueError):
                record.http_headers = _PARSER.parse(record.raw_stream)
    return record.http_headers


# what _captures_fast raises for a file that is not one gzip member per record
_NOT_MEMBERS: tuple[type[Exception], ...] = (ValueError, *INFLATE_ERRORS)


def _captures(path: Path) -> Iterator[tuple[str, _Capture]]:
    """Every response/revisit capture in ``path``: through zlib when each record is its
    own gzip member (the usual ``.warc.gz``, ours included), else through warcio."""
    try:
        found = list(_captures_fast(path))
    except _NOT_MEMBERS:
        found = None
    yield from found if found is not None else _captures_warcio(path)


_HEAD_BYTES = 16_384  # WARC + HTTP headers of a record fit in this


def _members(path: Path) -> Iterator[tuple[int, int, bytes, int]]:
    """(offset, length, first decompressed bytes, decompressed size) of each gzip member
    of ``path``.

    A member cut short by the end of the file (a writer killed mid-append: ours appends
    each exchange in one write, but a SIGKILL can land inside it) ends the file: the
    complete members before it are kept, with a warning.  Raises ValueError (or
    an inflate error) when the file is not a series of gzip members.
    """
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            pos, end = 0, len(data)
            while pos < end:
                if data[pos : pos + 2] != b"\x1f\x8b":
                    if b"\x1f\x8b".startswith(data[pos:end]):  # cut inside the magic bytes
                        _torn(path, pos)
                        return
                    raise ValueError(f"no gzip member at offset {pos}")
                inflater = zlib_ng.decompressobj(zlib.MAX_WBITS + 16)
                head, at, size = b"", pos, 0
                while not inflater.eof:
                    if at >= end:
                        _torn(path, pos)
                        return
                    chunk = data[at : at + 262_144]
                    at += len(chunk)
                    out = inflater.decompress(chunk)
                    size += len(out)
                    if len(head) < _HEAD_BYTES:
                        head += out[: _HEAD_BYTES - len(head)]
                length = at - pos - len(inflater.unused_data)
                yield pos, length, head, size
                pos += length


def _captures_fast(path: Path) -> Iterator[tuple[str, _Capture]]:
    for offset, length, head, size in _members(path):
        warc_head, sep, http = head.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError(f"record headers past {_HEAD_BYTES} bytes at offset {offset}")
        fields = warc_fields(warc_head)
        declared = fields.get("content-length", "")
        if not declared.isdigit() or size != len(warc_head) + 4 + int(declared) + 4:
            # not one record per member (a whole file gzipped as one stream): warcio
            raise ValueError(f"the gzip member at offset {offset} is not exactly one record")
        kind = fields.get("warc-type")
        if kind not in ("response", "revisit"):
            continue
        if not fields.get("content-type", "").startswith("application/http"):
            continue
        status_line = http.split(b"\r\n", 1)[0].split()
        if len(status_line) < 2 or not status_line[1].isdigit():
            continue
        uri = fields.get("warc-target-uri", "").strip("<>")
        capture = _Capture(
            path,
            offset,
            fields.get("warc-date", ""),
            int(status_line[1]),
            fields.get("warc-payload-digest"),
            kind == "revisit",
            length,
        )
        yield _target_key(uri), capture


def _torn(path: Path, offset: int | None = None) -> None:
    where = f"the record at offset {offset}" if offset is not None else "a record"
    _log.warning("%s: %s is cut short or unreadable; the records before it are kept", path, where)


def _captures_warcio(path: Path) -> Iterator[tuple[str, _Capture]]:
    """Captures of a WARC file warcio reads (one gzip stream, or plain).  A record warcio
    cannot read after at least one it could (a torn tail, garbage appended) ends the file
    with a warning, keeping what came before: warcio raises anything from such a record,
    even AttributeError.  A file whose first record cannot be read, or that warcio refuses
    as a whole (``ArchiveLoadFailed``: one gzip stream for the whole file), raises."""
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        it, read = iter(records), 0
        while True:
            try:
                record = next(it)
                capture = _warcio_capture(path, records, record)
            except StopIteration:
                return
            except ArchiveLoadFailed:  # warcio's own verdict on the file (e.g. one gzip stream)
                raise
            except Exception:  # see the docstring
                if not read:
                    raise
                _torn(path)
                return
            read += 1
            if capture is not None:
                yield capture


def _warcio_capture(path: Path, records: Any, record: Any) -> tuple[str, _Capture] | None:
    kind = record.rec_type
    if kind not in ("response", "revisit") or _http_headers(record) is None:
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    status = int(record.http_headers.get_statuscode() or 0)
    date = record.rec_headers.get_header("WARC-Date") or ""
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    records.read_to_end(record)
    capture = _Capture(path, records.get_record_offset(), date, status, digest, kind == "revisit")
    return _target_key(uri.strip("<>")), capture


class WarcReplayTransport(httpx.AsyncBaseTransport):
    """Serve GET requests from the response records of ``warc_paths``.

    Conditional requests are honoured against the archived ``ETag``/``Last-Modified`` (a
    match gives a 304), so a crawl with validators behaves as it did live.  Raises
    FileNotFoundError at construction if a WARC file is missing.

    >>> import asyncio, tempfile
    >>> from jjj_etl.archive import RawArchive
    >>> archive = RawArchive(Path(tempfile.mkdtemp()))
    >>> req = httpx.Request("GET", "http://h.test/a.html")
    >>> _ = archive.record_exchange(req, httpx.Response(200, request=req), b"<p>hi</p>")
    >>> async def get(url: str) -> tuple[int, bytes]:
    ...     transport = WarcReplayTransport(archive.warc_files())
    ...     async with httpx.AsyncClient(transport=transport) as client:
    ...         r = await client.get(url)
    ...         return r.status_code, r.content
    >>> asyncio.run(get("http://h.test/a.html#x")), asyncio.run(get("http://h.test/b"))[0]
    ((200, b'<p>hi</p>'), 404)
    """

    is_local = True  # the crawler applies no rate limit to a local transport

    def __init__(self, warc_paths: Iterable[str | Path]) -> None:
        self.paths = [Path(p) for p in warc_paths]
        self._latest: dict[str, _Capture] = {}
        self._by_digest: dict[str, _Capture] = {}
        for path in self.paths:
            if not path.is_file():
                raise FileNotFoundError(f"WARC file not found: {path}")
            self._index(path)

    def _index(self, path: Path) -> None:
        for key, capture in _captures(path):
            if capture.status == 304:
                continue
            if not capture.revisit and capture.digest:
                self._by_digest.setdefault(capture.digest, capture)
            known = self._latest.get(key)
            if known is None or capture.date >= known.date:
                self._latest[key] = capture

    def __len__(self) -> int:
        return len(self._latest)

    def urls(self) -> list[str]:
        """Every URL with a servable capture, canonical, sorted."""
        return sorted(self._latest)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the archive (404 when it was never captured)."""
        capture = self._latest.get(_target_key(str(request.url)))
        if request.method not in ("GET", "HEAD") or capture is None:
            status = 405 if capture is not None else 404
            return httpx.Response(status, text="not in the archive", request=request)
        status, headers, body = self._load(capture)
        if status == 200 and _not_modified(request, headers):
            return httpx.Response(304, headers=_validators(headers), request=request)
        raw = [(_raw(k), _raw(v)) for k, v in headers]
        return httpx.Response(status, headers=raw, content=body, request=request)

    def _load(self, capture: _Capture) -> tuple[int, list[tuple[str, str]], bytes]:
        status, headers, body = _read_record(capture)
        if capture.revisit and capture.digest in self._by_digest:
            _, _, body = _read_record(self._by_digest[capture.digest or ""])
        headers = [(k, v) for k, v in headers if k.lower() not in _DROP]
        return status, headers, body


def _read_record(capture: _Capture) -> tuple[int, list[tuple[str, str]], bytes]:
    fast = _read_plain(capture) if capture.length else None
    if fast is not None:
        return fast
    with capture.path.open("rb") as fh:
        fh.seek(capture.offset)
        record: Any = next(iter(ArchiveIterator(fh)))
        _http_headers(record)
        body = record.content_stream().read(_READ_CAP)
        return capture.status, list(record.http_headers.headers), bytes(body)


_ENCODED = ("transfer-encoding", "content-encoding")


def _read_plain(capture: _Capture) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The record read with zlib alone; None when its body needs warcio's decoding
    (chunked or content-encoded, as web archives often store it)."""
    with capture.path.open("rb") as fh:
        fh.seek(capture.offset)
        member = fh.read(capture.length)
    _fields, block = split_record(zlib_ng.decompress(member, zlib.MAX_WBITS + 16))
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        return None
    headers = []
    for line in head.decode("iso-8859-1").split("\r\n")[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return None  # a folded or broken header: leave it to warcio
        name, value = name.strip(), value.strip()
        if name.lower() in _ENCODED and value.lower() not in ("", "identity"):
            return None
        headers.append((name, value))
    return capture.status, headers, body


def _raw(text: str) -> bytes:
    """A header name or value back to bytes (read as ISO-8859-1, or as UTF-8 by warcio)."""
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _validators(headers: list[tuple[str, str]]) -> dict[str, str]:
    out = {"ETag": _header(headers, "etag"), "Last-Modified": _header(headers, "last-modified")}
    return {k: v for k, v in out.items() if v}


def _not_modified(request: httpx.Request, headers: list[tuple[str, str]]) -> bool:
    etag = _header(headers, "etag")
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return etag is not None and etag in {t.strip() for t in inm.split(",")}
    ims = request.headers.get("if-modified-since")
    return ims is not None and ims == _header(headers, "last-modified")
