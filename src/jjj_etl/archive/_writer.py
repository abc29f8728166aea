"""Building WARC records and appending them, one gzip member each, to rotating WARC files.

Records are built and compressed here, not by warcio's writer (which gzips at level 9 and
computes every digest through stream wrappers); warcio reads them back and its ``check``
accepts their digests.  They are compressed with zlib-ng (the same deflate format, read
back by the standard library's ``zlib`` and any WARC tool) at level 2: compressing is a
large share of a crawl's CPU, and on news pages this is much faster than the standard
``zlib`` at level 3 for a slightly larger archive (BENCHMARKS.md).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import os
import threading
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
from zlib_ng import zlib_ng

from jjj_etl.archive._index import Index, index_path

__all__ = ["WarcLog", "exchange_members", "gzip_fixed", "payload_digest"]

_HOP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
GZIP_LEVEL = 3  # stdlib gzip, for bodies stored as objects of their own
WARC_GZIP_LEVEL = 2  # zlib-ng, for WARC records


def gzip_member(data: bytes) -> bytes:
    """``data`` as one gzip member (a WARC record), compressed by zlib-ng."""
    return zlib_ng.compress(data, WARC_GZIP_LEVEL, wbits=zlib.MAX_WBITS + 16)


def gzip_fixed(data: bytes) -> bytes:
    """A gzip file of ``data`` with mtime 0: the same bytes give the same object file."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) as gz:
        gz.write(data)
    return buf.getvalue()


def append_bytes(path: Path, data: bytes) -> int:
    """Append ``data`` to ``path`` (created if missing), unbuffered; return the offset it
    starts at.  Raises OSError (disk full, permissions), having cut off what it wrote."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        offset = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            with contextlib.suppress(OSError):  # half a record is of no use and holds space
                os.ftruncate(fd, offset)
            raise
        return offset
    finally:
        os.close(fd)


def payload_digest(sha256_hex: str) -> str:
    """The ``WARC-Payload-Digest`` value for a hex sha256: ``sha256:`` + base32.

    >>> payload_digest(hashlib.sha256(b"").hexdigest())[:19]
    'sha256:4OYMIQUY7QOB'
    """
    return _b32(bytes.fromhex(sha256_hex))


def _b32(digest: bytes) -> str:
    return "sha256:" + base64.b32encode(digest).decode("ascii")


def _warc_date() -> str:
    """WARC/1.1 date: UTC with microseconds (as warcio writes it)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _header_line(name: bytes, value: bytes) -> bytes:
    # a header never spans lines in an archived block, whatever a mock transport allowed
    return name + b": " + value.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n"


def _request_block(request: httpx.Request) -> bytes:
    """The request's HTTP message head as sent (header bytes as httpx holds them)."""
    target = request.url.raw_path or b"/"
    lines = [request.method.encode("ascii") + b" " + target + b" HTTP/1.1\r\n"]
    lines += [_header_line(k, v) for k, v in request.headers.raw]
    return b"".join(lines) + b"\r\n"


def _response_block_head(response: httpx.Response, body_length: int) -> bytes:
    """The response head for a stored body: hop-by-hop framing headers renamed
    ``X-Archive-Orig-*`` (the body is stored decoded), ``Content-Length`` of what is stored."""
    protocol = response.http_version or "HTTP/1.1"
    reason = response.reason_phrase or "-"
    lines = [f"{protocol} {response.status_code} {reason}\r\n".encode("latin-1", "replace")]
    for name, value in response.headers.raw:
        if name.lower().decode("latin-1") in _HOP_HEADERS:
            renamed = b"X-Archive-Orig-" + name.decode("latin-1").title().encode("latin-1")
            lines.append(_header_line(renamed, value))
        else:
            lines.append(_header_line(name, value))
    lines.append(b"Content-Length: " + str(body_length).encode("ascii") + b"\r\n")
    return b"".join(lines) + b"\r\n"


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_record(
    rec_type: str, fields: list[tuple[str, str]], block: bytes, payload: bytes = b""
) -> bytes:
    """One uncompressed WARC/1.1 record: its ``fields``, then ``block`` + ``payload`` as the
    content block.  WARC-Type, a sha256 WARC-Block-Digest and Content-Length are added, and
    a WARC-Record-ID unless ``fields`` has one."""
    digest = hashlib.sha256(block)
    digest.update(payload)
    head = [("WARC-Type", rec_type), *fields]
    if not any(k == "WARC-Record-ID" for k, _ in fields):
        head.insert(1, ("WARC-Record-ID", _record_id()))
    head.append(("WARC-Block-Digest", _b32(digest.digest())))
    head.append(("Content-Length", str(len(block) + len(payload))))
    text = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head) + "\r\n"
    return b"".join((text.encode("utf-8"), block, payload, b"\r\n\r\n"))


def exchange_members(
    request: httpx.Request,
    response: httpx.Response,
    body: bytes,
    sha256: str | None,
    truncated: str | None,
) -> tuple[bytes, bytes]:
    """The gzip members of a ``response`` record and its ``request`` record, linked as
    warcio's ``write_request_response_pair`` links them."""
    fields = [("WARC-Date", _warc_date()), ("WARC-Target-URI", str(request.url))]
    record_id = _record_id()
    resp_fields = [
        ("WARC-Record-ID", record_id),
        *fields,
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Payload-Digest", payload_digest(sha256 or hashlib.sha256(body).hexdigest())),
    ]
    if sha256 is not None:
        resp_fields.append(("JJJ-Content-SHA256", sha256))
    if truncated is not None:
        resp_fields.append(("WARC-Truncated", truncated))
    resp = warc_record("response", resp_fields, _response_block_head(response, len(body)), body)
    req_fields = [
        *fields,
        ("Content-Type", "application/http; msgtype=request"),
        ("WARC-Concurrent-To", record_id),
    ]
    req = warc_record("request", req_fields, _request_block(request))
    return gzip_member(resp), gzip_member(req)


class WarcLog:
    """The WARC files one RawArchive writes under ``folder``, rotated past ``max_bytes``;
    each kept body's index line is appended right after its record."""

    def __init__(self, folder: Path, index: Index, max_bytes: int) -> None:
        self.folder = folder
        self.index = index
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._prefix = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._serial = 0
        self._current: Path | None = None
        self._size = 0  # bytes in the current WARC file

    def append(self, data: bytes, kept: tuple[str, int, int] | None = None) -> tuple[Path, int]:
        """Append records in one write (so a file never holds half an exchange) and, for a
        kept body (sha256, response member length, body size), its index line."""
        with self._lock:
            path = self._current
            if path is None or self._size + len(data) > self.max_bytes:
                path = self._open_next()
            offset = append_bytes(path, data)
            self._size = offset + len(data)
            if kept is not None:
                line = f"{kept[0]} {offset} {kept[1]} {kept[2]}\n"
                append_bytes(index_path(path), line.encode("ascii"))
                self.index.add(kept[0], (path.name, offset, kept[1], kept[2]))
            return path, offset

    def _open_next(self) -> Path:
        """Start a new WARC file with a ``warcinfo`` record."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        path = self.folder / f"{self._prefix}-{self._serial:05d}.warc.gz"
        info = {
            "software": "jjj-etl",
            "format": "WARC File Format 1.1",
            "description": "raw archive of a jjj-etl crawl; bodies are stored decoded",
        }
        block = "".join(f"{k}: {v}\r\n" for k, v in info.items()).encode("utf-8")
        fields = [
            ("WARC-Date", _warc_date()),
            ("WARC-Filename", path.name),
            ("Content-Type", "application/warc-fields"),
        ]
        info_member = gzip_member(warc_record("warcinfo", fields, block))
        with path.open("xb") as fh:
            fh.write(info_member)
        self._current, self._size = path, len(info_member)
        return path
