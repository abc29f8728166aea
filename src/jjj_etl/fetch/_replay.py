"""WARC replay as an httpx transport: answer requests from archived response records.

:class:`WarcReplayTransport` indexes the ``response`` (and ``revisit``) records of one or
more WARC files — ours under ``warehouse/raw/warc/`` or any export from a web archive —
and serves them to the crawler, so a replay walks the archived site through exactly the
code path of a live crawl (robots, redirects, byte caps, link following, dedupe).  Records
are walked and read by the archive's one reader (:func:`jjj_etl.archive.scan`,
:func:`jjj_etl.archive.read_record`).

For a URL captured more than once, the latest capture with a body is served (a 304
capture only says "unchanged", so it is passed over).  Bodies are decoded as warcio reads
them (chunked transfer and gzip/deflate/brotli content encodings removed), and served
with a matching ``Content-Length``.  A URL that was never captured gets a 404.  The index
holds one small tuple per URL; bodies stay on disk until requested.

A damaged record costs only itself: it is skipped with a warning naming the file and the
offset, every other record is served, and a request the archive can no longer answer
(the damaged record's own URL, or any uncaptured URL once something was damaged) raises
:class:`~jjj_etl.errors.ArchiveUnreadableError`, which the crawler records as
``unreadable-in-archive`` instead of a 404 the site never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from jjj_etl.archive import Damage, RecordError, RecordHead, read_record, scan
from jjj_etl.errors import ArchiveUnreadableError
from jjj_etl.fetch._frontier import canonicalize_url

__all__ = ["WarcReplayTransport"]

_DROP = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Capture:
    path: Path
    offset: int
    date: str
    status: int
    digest: str | None
    revisit: bool
    length: int = 0  # of the record (its gzip member); 0: located by warcio


def _target_key(url: str) -> str:
    """Canonical URL; ``file://localhost/p`` and ``file:///p`` compare equal."""
    return canonicalize_url(url)


def _capture(path: Path, head: RecordHead) -> tuple[str, _Capture] | None:
    """The capture a record offers: a response or revisit with an HTTP status."""
    kind = head.fields.get("warc-type")
    if kind not in ("response", "revisit") or not head.status:
        return None
    uri = head.fields.get("warc-target-uri", "").strip("<>")
    try:
        key = _target_key(uri)
    except ValueError:  # a damaged or hostile target URI ("Invalid IPv6 URL"): no capture
        return None
    capture = _Capture(
        path,
        head.offset,
        head.fields.get("warc-date", ""),
        head.status,
        head.fields.get("warc-payload-digest"),
        kind == "revisit",
        head.length,
    )
    return key, capture


def _warn(damage: Damage) -> None:
    _log.warning(
        "%s: the record at offset %d%s is cut short or unreadable (%s); skipped, every "
        "other record is kept",
        damage.path,
        damage.offset,
        f" (a capture of {damage.uri})" if damage.uri else "",
        damage.reason,
    )


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
        self.damaged: list[Damage] = []  # what the archive could not give back, in order
        self._lost: dict[str, Damage] = {}  # damaged records whose URL was still readable
        self._latest: dict[str, _Capture] = {}
        self._by_digest: dict[str, _Capture] = {}
        for path in self.paths:
            if not path.is_file():
                raise FileNotFoundError(f"WARC file not found: {path}")
            self._index(path)

    def _index(self, path: Path) -> None:
        for item in scan(path):
            if isinstance(item, Damage):
                self._damage(item)
                continue
            found = _capture(path, item)
            if found is None or found[1].status == 304:
                continue
            key, capture = found
            if not capture.revisit and capture.digest:
                self._by_digest.setdefault(capture.digest, capture)
            known = self._latest.get(key)
            if known is None or capture.date >= known.date:
                self._latest[key] = capture

    def _damage(self, damage: Damage) -> None:
        _warn(damage)
        self.damaged.append(damage)
        if damage.uri:
            self._lost.setdefault(_target_key(damage.uri), damage)

    def __len__(self) -> int:
        return len(self._latest)

    def urls(self) -> list[str]:
        """Every URL with a servable capture, canonical, sorted."""
        return sorted(self._latest)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the archive (404 when it was never captured).

        Raises ArchiveUnreadableError when the answer was in a damaged record, or may have
        been (an uncaptured URL in an archive with damaged records)."""
        key = _target_key(str(request.url))
        capture = self._latest.get(key)
        if capture is None and self.damaged:
            raise ArchiveUnreadableError(self._why_lost(key))
        if request.method not in ("GET", "HEAD") or capture is None:
            status = 405 if capture is not None else 404
            return httpx.Response(status, text="not in the archive", request=request)
        status, headers, body = self._load(capture)
        if status == 200 and _not_modified(request, headers):
            return httpx.Response(304, headers=_validators(headers), request=request)
        raw = [(_raw(k), _raw(v)) for k, v in headers]
        return httpx.Response(status, headers=raw, content=body, request=request)

    def _why_lost(self, key: str) -> str:
        lost = self._lost.get(key)
        if lost is not None:
            return f"its record at {lost.path.name} offset {lost.offset} is damaged ({lost.reason})"
        where = ", ".join(f"{d.path.name} offset {d.offset}" for d in self.damaged[:3])
        more = f" and {len(self.damaged) - 3} more" if len(self.damaged) > 3 else ""
        return f"no readable capture; damaged records at {where}{more} may have held it"

    def _load(self, capture: _Capture) -> tuple[int, list[tuple[str, str]], bytes]:
        status, headers, body = _read(capture)
        if capture.revisit and capture.digest in self._by_digest:
            _, _, body = _read(self._by_digest[capture.digest or ""])
        headers = [(k, v) for k, v in headers if k.lower() not in _DROP]
        return status, headers, body


def _read(capture: _Capture) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and decoded body of a capture; raises ArchiveUnreadableError when its
    record no longer reads (the file changed since it was indexed)."""
    try:
        record = read_record(capture.path, capture.offset, capture.length)
    except (RecordError, OSError) as exc:
        raise ArchiveUnreadableError(
            f"its record at {capture.path.name} offset {capture.offset} cannot be read: {exc}"
        ) from exc
    return capture.status, record.headers, record.body


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
