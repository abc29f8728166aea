"""The raw archive: every fetched body kept by content hash, every exchange kept as WARC.

Two stores under the archive root (``warehouse/raw/`` by default):

``objects/<sha[:2]>/<sha>.gz``
    each distinct body once, gzip-compressed, named by its sha256.  This is the lookup the
    pipeline uses (:meth:`RawArchive.get`): one ``open`` and no index to load.
``warc/<UTC time>-<pid>-<token>-<n>.warc.gz``
    the standard web archive (WARC/1.1, one gzip member per record, via warcio): for every
    HTTP exchange a ``request`` and a ``response`` record, 304s and redirects included,
    rotated past ``warc_max_bytes``.  :func:`jjj_etl.fetch.replay` and
    :class:`jjj_etl.fetch.WarcReplayTransport` read these back.

Why keep the objects store as the index instead of a ``sha → (warc, offset)`` sidecar:
object writes are atomic (temp file + rename) and idempotent, so concurrent crawls in
threads or processes need no shared index file, no lock and no recovery after a crash; a
``get`` costs one small file open whatever the archive's age; the same body fetched daily
is stored once; and existing warehouses keep working.  The price is that a body is stored
twice (once here, once in the WARC).  WARC files are the archive to keep, ship, or hand to
other tools; ``objects/`` can be rebuilt from them with ``replay``.

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
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

__all__ = ["RawArchive"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HOP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
WARC_MAX_BYTES = 1_000_000_000  # the customary 1 GB per WARC file


class _Sha256Writer(WARCWriter):  # type: ignore[misc]  # warcio is untyped
    """warcio's writer with sha256 block and payload digests (its default is sha1)."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def payload_digest(sha256_hex: str) -> str:
    """The ``WARC-Payload-Digest`` value for a hex sha256: ``sha256:`` + base32.

    >>> payload_digest(hashlib.sha256(b"").hexdigest())[:19]
    'sha256:4OYMIQUY7QOB'
    """
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _request_headers(request: httpx.Request) -> StatusAndHeaders:
    target = request.url.raw_path.decode("ascii", "replace") or "/"
    return StatusAndHeaders(
        f"{request.method} {target} HTTP/1.1",
        list(request.headers.multi_items()),
        is_http_request=True,
    )


def _response_headers(response: httpx.Response, body_length: int) -> StatusAndHeaders:
    headers: list[tuple[str, str]] = []
    for name, value in response.headers.multi_items():
        if name.lower() in _HOP_HEADERS:
            headers.append((f"X-Archive-Orig-{name.title()}", value))
        else:
            headers.append((name, value))
    headers.append(("Content-Length", str(body_length)))
    reason = response.reason_phrase or "-"
    return StatusAndHeaders(
        f"{response.status_code} {reason}", headers, protocol=response.http_version or "HTTP/1.1"
    )


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

    @property
    def warc_dir(self) -> Path:
        """Where WARC files are written: ``<root>/warc``."""
        return self.root / "warc"

    def path_for(self, sha256: str) -> Path:
        """Where the object with this hash lives (whether or not it exists).

        Raises KeyError if ``sha256`` is not 64 lowercase hex digits.
        """
        if not _SHA256.match(sha256):
            raise KeyError(sha256)
        return self.root / "objects" / sha256[:2] / f"{sha256}.gz"

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256 hex digest.  Atomic and idempotent.

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.put(b"x") == a.put(b"x") == hashlib.sha256(b"x").hexdigest()
        True
        """
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".gz", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with (
                os.fdopen(fd, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=5) as gz,
            ):
                gz.write(data)
            tmp.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``.

        Raises KeyError if there is no such object (or the hash is malformed).

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.get(a.put(b"body"))
        b'body'
        """
        path = self.path_for(sha256)
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read()
        except FileNotFoundError as exc:
            raise KeyError(sha256) from exc

    def size(self, sha256: str) -> int:
        """The length of the stored body, read from the gzip trailer (no decompression).

        Raises KeyError if there is no such object.  Exact below 4 GiB (gzip's ISIZE).
        """
        path = self.path_for(sha256)
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
            return self.path_for(sha256).is_file()
        except KeyError:
            return False

    # --- WARC -------------------------------------------------------------------------------

    def warc_files(self) -> list[Path]:
        """The WARC files written so far, oldest first (names sort by time)."""
        if not self.warc_dir.is_dir():
            return []
        return sorted(self.warc_dir.glob("*.warc.gz"))

    def record_exchange(
        self,
        request: httpx.Request,
        response: httpx.Response,
        body: bytes,
        sha256: str | None = None,
        *,
        truncated: str | None = None,
    ) -> Path | None:
        """Append a ``request`` and a ``response`` record for one HTTP exchange.

        ``body`` is the decoded body (``b""`` for a 304, or when it was not kept);
        ``sha256`` its hex digest when it is in the objects store; ``truncated`` sets
        ``WARC-Truncated`` (``length``, ``time``, ...) for a body cut short.  Both records
        are built in memory and appended with one write, so a file never holds half an
        exchange.  Returns the WARC file written, or None when WARC is disabled.
        Raises OSError if the file cannot be written.
        """
        if not self.warc_enabled:
            return None
        writer_buf = io.BytesIO()
        writer = _Sha256Writer(writer_buf, gzip=True, warc_version="1.1")
        uri = str(request.url)
        extra: dict[str, str] = {}
        if sha256 is not None:
            extra["JJJ-Content-SHA256"] = sha256
        if truncated is not None:
            extra["WARC-Truncated"] = truncated
        resp = writer.create_warc_record(
            uri,
            "response",
            payload=io.BytesIO(body),
            length=None,
            http_headers=_response_headers(response, len(body)),
            warc_headers_dict=extra,
        )
        req = writer.create_warc_record(
            uri, "request", payload=io.BytesIO(b""), http_headers=_request_headers(request)
        )
        writer.write_request_response_pair(req, resp)
        return self._append(writer_buf.getvalue())

    def _append(self, data: bytes) -> Path:
        with self._lock:
            path = self._current
            if path is None or path.stat().st_size + len(data) > self.warc_max_bytes:
                path = self._open_next()
            with path.open("ab") as fh:
                fh.write(data)
            return path

    def _open_next(self) -> Path:
        """Start a new WARC file with a ``warcinfo`` record."""
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        path = self.warc_dir / f"{self._prefix}-{self._serial:05d}.warc.gz"
        buf = io.BytesIO()
        writer = _Sha256Writer(buf, gzip=True, warc_version="1.1")
        info = {
            "software": "jjj-etl (warcio)",
            "format": "WARC File Format 1.1",
            "description": "raw archive of a jjj-etl crawl; bodies are stored decoded",
        }
        writer.write_record(writer.create_warcinfo_record(path.name, info))
        with path.open("xb") as fh:
            fh.write(buf.getvalue())
        self._current = path
        return path

    def __repr__(self) -> str:
        return f"RawArchive({str(self.root)!r})"
