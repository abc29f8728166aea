"""The raw archive: every fetched body kept by content hash, every exchange kept as WARC.

Two stores under the archive root (``warehouse/raw/`` by default):

``warc/<UTC time>-<pid>-<token>-<n>.warc.gz``
    the standard web archive (WARC/1.1, one gzip member per record), where crawled bodies
    live: for every HTTP exchange a ``request`` and a ``response`` record, 304s and
    redirects included, rotated past ``warc_max_bytes``.  :func:`jjj_etl.fetch.replay` and
    :class:`jjj_etl.fetch.WarcReplayTransport` read these back.
``warc/<same name>.idx``
    beside each WARC file, its index by content hash: one line per archived 200 body,
    ``<sha256> <offset> <length> <body size>`` (the response record's gzip member),
    appended right after the record.  :meth:`RawArchive.get` reads a body through it.
``objects/<sha[:2]>/<sha>.gz``
    bodies stored without an exchange (:meth:`RawArchive.put`: imported from a foreign
    WARC, or written by older versions), one gzip file each.

So each crawled body is hashed once, compressed once and stored once, in its WARC record.
Why one append-only index per WARC file instead of one shared index, or a file per body:
only the process writing a WARC file writes its index, so concurrent crawls in threads or
processes need no lock and no recovery after a crash (a torn last line is ignored, and
``replay`` of the WARC files makes every body reachable again); appending a line is far cheaper than
creating a file per body (≈1 ms per file created on this machine's disk, more than the
gzip of the body); readers load the index lines once per process and then only read what
was appended since.  :meth:`RawArchive.get` checks the sha256 of what it reads back, so a
damaged or replaced WARC file shows as a missing body, never as wrong bytes.

Records are built and compressed here, not by warcio's writer (which gzips at level 9 and
computes every digest through stream wrappers); warcio reads them back and its ``check``
accepts their digests.  They are compressed with zlib-ng (the ``zlib-ng`` package: the same
deflate format, read back by the standard library's ``zlib`` and any WARC tool) at level 2:
on 600 bench pages of ~60 KB, 0.10 ms a page and 13.9 % of the size, against the standard
``zlib`` at level 3 (used before) 0.25 ms and 13.5 %; compressing was ~15 % of the crawl.

Response records store the body as decoded by the crawler (Content-Encoding removed), so
``WARC-Payload-Digest`` (``sha256:`` + base32) is the digest of the same bytes whose hex
sha256 is our ``content_sha256``; that hex digest is also written as ``JJJ-Content-SHA256``.
The original ``Content-Encoding``/``Content-Length``/``Transfer-Encoding`` headers are kept
as ``X-Archive-Orig-*`` (the pywb convention).

>>> import tempfile
>>> archive = RawArchive(Path(tempfile.mkdtemp()))
>>> sha = archive.put(b"<html>hello</html>")
>>> sha in archive, archive.get(sha), archive.size(sha)
(True, b'<html>hello</html>', 18)
>>> req = httpx.Request("GET", "http://example.test/a")
>>> sha = archive.store_exchange(req, httpx.Response(200, request=req), b"<p>a</p>")
>>> archive.get(sha), archive.size(sha), archive.path_for(sha).exists()
(b'<p>a</p>', 8, False)
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import os
import re
import struct
import tempfile
import threading
import time
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import httpx
from zlib_ng import zlib_ng

__all__ = ["RawArchive"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HOP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
WARC_MAX_BYTES = 1_000_000_000  # the customary 1 GB per WARC file
GZIP_LEVEL = 3  # stdlib gzip, for bodies stored as objects of their own
WARC_GZIP_LEVEL = 2  # zlib-ng, for WARC records (see the module docstring)
# what inflating a damaged member raises: records are read back with zlib-ng too (~2x faster)
INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, cast("type[Exception]", zlib_ng.error))
_UNREADABLE: tuple[type[Exception], ...] = (OSError, EOFError, ValueError, *INFLATE_ERRORS)


def _gzip_member(data: bytes) -> bytes:
    """``data`` as one gzip member (a WARC record), compressed by zlib-ng."""
    return zlib_ng.compress(data, WARC_GZIP_LEVEL, wbits=zlib.MAX_WBITS + 16)


def _gzip_member_fixed(data: bytes) -> bytes:
    """A gzip file of ``data`` with mtime 0: the same bytes give the same object file."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) as gz:
        gz.write(data)
    return buf.getvalue()


def _append_bytes(path: Path, data: bytes) -> int:
    """Append ``data`` to ``path`` (created if missing), unbuffered; return the offset it
    starts at.  Raises OSError (disk full, permissions)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        offset = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return offset
    finally:
        os.close(fd)


def warc_fields(head: bytes) -> dict[str, str]:
    """The header fields of a WARC record head (up to, not including, the blank line),
    names lower-cased.  Raises ValueError if it does not start with a ``WARC/`` line."""
    lines = head.decode("utf-8", "replace").split("\r\n")
    if not lines[0].startswith("WARC/"):
        raise ValueError("not a WARC record")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def split_record(record: bytes) -> tuple[dict[str, str], bytes]:
    """An uncompressed WARC record → (its header fields, names lower-cased; its content
    block, exactly ``Content-Length`` bytes).  Raises ValueError if it is not one.

    >>> split_record(b"WARC/1.1\\r\\nContent-Length: 2\\r\\n\\r\\nab\\r\\n\\r\\n")
    ({'content-length': '2'}, b'ab')
    """
    head, sep, rest = record.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("not a WARC record")
    fields = warc_fields(head)
    length = fields.get("content-length", "")
    if not length.isdigit() or int(length) > len(rest):
        raise ValueError(f"WARC record shorter than its Content-Length {length!r}")
    return fields, rest[: int(length)]


def _index_path(warc: Path) -> Path:
    """The index beside a WARC file: ``x.warc.gz`` → ``x.idx``."""
    return warc.with_name(warc.name.removesuffix(".warc.gz") + ".idx")


class _Index:
    """Every ``*.idx`` line under one ``warc/`` folder: sha256 → (file, offset, length, size).

    Shared by all RawArchive objects of a process: what this process archives is added as
    it is written; what other processes append is read on a miss (at most once a second
    for membership tests, always for :meth:`RawArchive.get`), and then only the new bytes.
    """

    REFRESH_EVERY = 1.0

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[str, int, int, int]] = {}
        self.read_to: dict[Path, int] = {}
        self.last_refresh = -1e9

    def add(self, sha256: str, entry: tuple[str, int, int, int]) -> None:
        with self.lock:
            self.entries.setdefault(sha256, entry)

    def find(self, sha256: str, *, must: bool = True) -> tuple[str, int, int, int] | None:
        """The entry for ``sha256``; on a miss, read what was appended since the last look
        (``must``: always; otherwise at most every ``REFRESH_EVERY`` seconds)."""
        with self.lock:
            hit = self.entries.get(sha256)
            now = time.monotonic()
            if hit is None and (must or now - self.last_refresh >= self.REFRESH_EVERY):
                self.last_refresh = now
                if self._refresh():
                    hit = self.entries.get(sha256)
            return hit

    def _refresh(self) -> bool:
        """Read new complete lines of every index file; True if any were read."""
        if not self.folder.is_dir():
            return False
        grew = False
        for entry in os.scandir(self.folder):
            if not entry.name.endswith(".idx"):
                continue
            idx = Path(entry.path)
            done = self.read_to.get(idx, 0)
            if entry.stat().st_size <= done:
                continue
            with idx.open("rb") as fh:
                fh.seek(done)
                chunk = fh.read()
            end = chunk.rfind(b"\n") + 1  # a line still being written waits for next time
            if end == 0:
                continue
            warc = idx.name.removesuffix(".idx") + ".warc.gz"
            for line in chunk[:end].decode("ascii", "replace").splitlines():
                parts = line.split()
                if len(parts) == 4 and _SHA256.match(parts[0]) and _all_digits(parts[1:]):
                    got = (warc, int(parts[1]), int(parts[2]), int(parts[3]))
                    self.entries.setdefault(parts[0], got)
            self.read_to[idx] = done + end
            grew = True
        return grew


def _all_digits(fields: list[str]) -> bool:
    return all(f.isascii() and f.isdigit() for f in fields)


_INDEXES: dict[Path, _Index] = {}
_INDEXES_LOCK = threading.Lock()


def _index_of(folder: Path) -> _Index:
    key = folder.resolve()
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = _Index(key)
        return _INDEXES[key]


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


def _warc_record(
    rec_type: str, fields: list[tuple[str, str]], block: bytes, payload: bytes = b""
) -> bytes:
    """One uncompressed WARC/1.1 record: its ``fields``, then ``block`` + ``payload`` as the
    content block.  WARC-Type, a sha256 WARC-Block-Digest and Content-Length are added, and
    a WARC-Record-ID unless ``fields`` has one.  Built here, not with warcio's writer (stream
    wrappers, every digest computed twice: a third of a crawl's CPU); warcio reads it back."""
    digest = hashlib.sha256(block)
    digest.update(payload)
    head = [("WARC-Type", rec_type), *fields]
    if not any(k == "WARC-Record-ID" for k, _ in fields):
        head.insert(1, ("WARC-Record-ID", _record_id()))
    head.append(("WARC-Block-Digest", _b32(digest.digest())))
    head.append(("Content-Length", str(len(block) + len(payload))))
    text = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head) + "\r\n"
    return b"".join((text.encode("utf-8"), block, payload, b"\r\n\r\n"))


class RawArchive:
    """A content-addressed store of raw bodies plus a WARC log of exchanges under ``root``.

    ``warc=False`` gives a view that stores bodies but writes no WARC records (used when
    replaying an archive, so a replay does not archive itself again).

    >>> import tempfile
    >>> RawArchive(Path(tempfile.mkdtemp())).put(b"")[:12]
    'e3b0c44298fc'
    """

    def __init__(
        self, root: Path, *, warc: bool = True, warc_max_bytes: int = WARC_MAX_BYTES
    ) -> None:
        self.root = Path(root)
        self.warc_enabled = warc
        self.warc_max_bytes = warc_max_bytes
        self._lock = threading.Lock()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._prefix = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._serial = 0
        self._current: Path | None = None
        self._size = 0  # bytes in the current WARC file
        self._made: set[Path] = set()  # object folders known to exist
        self._index = _index_of(self.warc_dir)

    @property
    def warc_dir(self) -> Path:
        """Where WARC files are written: ``<root>/warc``."""
        return self.root / "warc"

    def path_for(self, sha256: str) -> Path:
        """Where a body stored by :meth:`put` lives (whether or not it exists).

        Raises KeyError if ``sha256`` is not 64 lowercase hex digits.
        """
        if not _SHA256.match(sha256):
            raise KeyError(sha256)
        return self.root / "objects" / sha256[:2] / f"{sha256}.gz"

    def _write_atomic(self, target: Path, data: bytes) -> None:
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            tmp.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def put(self, data: bytes) -> str:
        """Store ``data`` as an object of its own; return its sha256 hex digest.  Atomic and
        idempotent.  (Crawled bodies go through :meth:`store_exchange` instead.)

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.put(b"x") == a.put(b"x") == hashlib.sha256(b"x").hexdigest()
        True
        """
        sha = hashlib.sha256(data).hexdigest()
        if sha not in self:  # e.g. a replay of our own WARC files: already there
            self._write_atomic(self.path_for(sha), _gzip_member_fixed(data))
        return sha

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``.

        Raises KeyError if there is no such body, or if what is found no longer hashes to
        ``sha256`` (a damaged or replaced WARC file).

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.get(a.put(b"body"))
        b'body'
        """
        path = self.path_for(sha256)
        entry = self._index.find(sha256)
        try:
            if entry is not None:
                data = self._read_record(*entry)
            else:
                with gzip.open(path, "rb") as gz:
                    data = gz.read()
        except FileNotFoundError as exc:
            raise KeyError(sha256) from exc
        except _UNREADABLE as exc:
            raise KeyError(f"{sha256}: unreadable ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise KeyError(f"{sha256}: stored bytes no longer match their hash")
        return data

    def _read_record(self, name: str, offset: int, length: int, _size: int) -> bytes:
        with (self.warc_dir / name).open("rb") as fh:
            fh.seek(offset)
            member = fh.read(length)
        fields, block = split_record(zlib_ng.decompress(member, zlib.MAX_WBITS + 16))
        if fields.get("warc-type") != "response":
            raise ValueError(f"no response record at {name}:{offset}")
        _head, sep, body = block.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError(f"no HTTP message in the record at {name}:{offset}")
        return body  # stored decoded (no Content-/Transfer-Encoding left to undo)

    def size(self, sha256: str) -> int:
        """The length of the stored body, without decompressing it.

        Raises KeyError if there is no such body.  Exact below 4 GiB (gzip's ISIZE).
        """
        path = self.path_for(sha256)
        entry = self._index.find(sha256)
        if entry is not None:
            return entry[3]
        try:
            with path.open("rb") as fh:
                fh.seek(-4, os.SEEK_END)
                (isize,) = struct.unpack("<I", fh.read(4))
        except FileNotFoundError as exc:
            raise KeyError(sha256) from exc
        return int(isize)

    def __contains__(self, sha256: object) -> bool:
        if not isinstance(sha256, str):
            return False
        try:
            path = self.path_for(sha256)
        except KeyError:
            return False
        found = self._index.find(sha256, must=False)
        return found is not None or path.is_file()

    # --- WARC -------------------------------------------------------------------------------

    def warc_files(self) -> list[Path]:
        """The WARC files written so far, oldest first (names sort by time)."""
        if not self.warc_dir.is_dir():
            return []
        return sorted(self.warc_dir.glob("*.warc.gz"))

    def store_exchange(self, request: httpx.Request, response: httpx.Response, body: bytes) -> str:
        """Archive a complete 200 exchange and return the body's sha256.

        The body is hashed once and compressed once, inside its WARC response record, which
        the WARC file's index then finds by hash.  Raises OSError if the archive cannot be
        written.
        """
        sha = hashlib.sha256(body).hexdigest()
        if self.record_exchange(request, response, body, sha) is None:
            return self.put(body)  # WARC disabled: keep the body as an object of its own
        return sha

    def record_exchange(
        self,
        request: httpx.Request,
        response: httpx.Response,
        body: bytes,
        sha256: str | None = None,
        *,
        truncated: str | None = None,
    ) -> tuple[Path, int, int] | None:
        """Append a ``request`` and a ``response`` record for one HTTP exchange.

        ``body`` is the decoded body (``b""`` for a 304, or when it was not kept);
        ``sha256`` its hex digest when known (then not computed again); ``truncated`` sets
        ``WARC-Truncated`` (``length``, ``time``, ...) for a body cut short.  Both records
        are built in memory and appended with one write, so a file never holds half an
        exchange.  Returns the WARC file written with the offset and length of the response
        record's gzip member, or None when WARC is disabled.
        Raises OSError if the file cannot be written.
        """
        if not self.warc_enabled:
            return None
        uri = str(request.url)
        date = _warc_date()
        fields = [("WARC-Date", date), ("WARC-Target-URI", uri)]
        payload = sha256 or hashlib.sha256(body).hexdigest()
        record_id = _record_id()
        resp_fields = [
            ("WARC-Record-ID", record_id),
            *fields,
            ("Content-Type", "application/http; msgtype=response"),
            ("WARC-Payload-Digest", payload_digest(payload)),
        ]
        if sha256 is not None:
            resp_fields.append(("JJJ-Content-SHA256", sha256))
        if truncated is not None:
            resp_fields.append(("WARC-Truncated", truncated))
        resp = _warc_record(
            "response", resp_fields, _response_block_head(response, len(body)), body
        )
        req = _warc_record(
            "request",
            [
                *fields,
                ("Content-Type", "application/http; msgtype=request"),
                ("WARC-Concurrent-To", record_id),
            ],
            _request_block(request),
        )
        # the pair linked as warcio's write_request_response_pair links it; each record is
        # its own gzip member
        response_member = _gzip_member(resp)
        request_member = _gzip_member(req)
        kept = None if sha256 is None else (sha256, len(response_member), len(body))
        path, offset = self._append(response_member + request_member, kept)
        return path, offset, len(response_member)

    def _append(self, data: bytes, kept: tuple[str, int, int] | None = None) -> tuple[Path, int]:
        """Append records (the response first) and, for a kept body, its index line."""
        with self._lock:
            path = self._current
            if path is None or self._size + len(data) > self.warc_max_bytes:
                path = self._open_next()
            offset = _append_bytes(path, data)
            self._size = offset + len(data)
            if kept is not None:  # (sha256, response member length, body size)
                line = f"{kept[0]} {offset} {kept[1]} {kept[2]}\n"
                _append_bytes(_index_path(path), line.encode("ascii"))
                self._index.add(kept[0], (path.name, offset, kept[1], kept[2]))
            return path, offset

    def _open_next(self) -> Path:
        """Start a new WARC file with a ``warcinfo`` record."""
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        path = self.warc_dir / f"{self._prefix}-{self._serial:05d}.warc.gz"
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
        info_member = _gzip_member(_warc_record("warcinfo", fields, block))
        with path.open("xb") as fh:
            fh.write(info_member)
        self._current, self._size = path, len(info_member)
        return path

    def __repr__(self) -> str:
        return f"RawArchive({str(self.root)!r})"
