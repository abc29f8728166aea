"""``file://`` as an HTTP transport, so local sites (the bundled sample) take the crawl path.

httpx treats ``file:///path`` as a relative URL (it has no host), so requests are sent as
``file://localhost/path``; :func:`request_url` does that rewrite.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator
from email.utils import formatdate, parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import BinaryIO
from urllib.request import url2pathname

import httpx

__all__ = ["FileTransport", "request_url", "sample_site_root", "sample_to_file_url"]

_CHUNK = 64 * 1024
_TYPES = {".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml"}


def request_url(url: str) -> str:
    """The URL to hand httpx: ``file:///p`` becomes ``file://localhost/p``.

    >>> request_url("file:///tmp/a.html"), request_url("http://h/")
    ('file://localhost/tmp/a.html', 'http://h/')
    """
    return "file://localhost/" + url[len("file:///") :] if url.startswith("file:///") else url


def sample_site_root() -> Path:
    """The bundled sample site's directory (``jjj_etl/samples/site``)."""
    return Path(str(resources.files("jjj_etl") / "samples" / "site"))


def sample_to_file_url(url: str) -> str:
    """``sample:PATH`` names a file of the bundled sample site; give its ``file://`` URL.

    >>> sample_to_file_url("sample:index.html").endswith("/samples/site/index.html")
    True
    """
    if not url.startswith("sample:"):
        return url
    rel = url.removeprefix("sample:").lstrip("/")
    return (sample_site_root() / rel).resolve().as_uri()


class _FileStream(httpx.AsyncByteStream):
    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := self._fh.read(_CHUNK):
            yield chunk

    async def aclose(self) -> None:
        self._fh.close()


def _etag(st: os.stat_result) -> str:
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def _not_modified(request: httpx.Request, st: os.stat_result) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or _etag(st) in tags
    ims = request.headers.get("if-modified-since")
    if ims is None:
        return False
    try:
        since = parsedate_to_datetime(ims).timestamp()
    except (TypeError, ValueError, IndexError):
        return False
    return int(st.st_mtime) <= since


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


class FileTransport(httpx.AsyncBaseTransport):
    """Serve files under ``root`` for ``file://`` requests, with HTTP semantics.

    200 with a Content-Type from the extension (``.html``/``.htm`` → ``text/html`` with no
    charset), an ETag and Last-Modified from the file's mtime and size; 304 on a matching
    If-None-Match / If-Modified-Since; 404 when missing; 403 when the path escapes ``root``;
    405 for methods other than GET/HEAD.  A directory serves its ``index.html``.

    >>> import asyncio, tempfile
    >>> root = Path(tempfile.mkdtemp()); _ = (root / "a.html").write_text("<p>hi</p>")
    >>> async def get(url: str) -> int:
    ...     async with httpx.AsyncClient(mounts={"file://": FileTransport(root)}) as c:
    ...         return (await c.get(request_url(url))).status_code
    >>> asyncio.run(get((root / "a.html").as_uri())), asyncio.run(get("file:///etc/passwd"))
    (200, 403)
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _locate(self, url: httpx.URL) -> Path | None:
        """The file under root that ``url`` names, or None when it escapes root."""
        path = Path(url2pathname(url.path)).resolve()
        if not path.is_relative_to(self.root):
            return None
        return path / "index.html" if path.is_dir() else path

    def _open(self, request: httpx.Request) -> tuple[Path, BinaryIO] | httpx.Response:
        """The file to serve, opened, or the error response."""
        path = self._locate(request.url) if request.url.host in ("", "localhost") else None
        if path is None:
            return httpx.Response(403, request=request)
        try:
            return path, path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return httpx.Response(404, request=request)
        except PermissionError:
            return httpx.Response(403, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request from the file system."""
        if request.method not in ("GET", "HEAD"):
            return httpx.Response(405, headers={"Allow": "GET, HEAD"}, request=request)
        opened = self._open(request)
        if isinstance(opened, httpx.Response):
            return opened
        path, fh = opened
        st = os.fstat(fh.fileno())
        headers = {"ETag": _etag(st), "Last-Modified": formatdate(st.st_mtime, usegmt=True)}
        if _not_modified(request, st):
            fh.close()
            return httpx.Response(304, headers=headers, request=request)
        headers |= {"Content-Type": _content_type(path), "Content-Length": str(st.st_size)}
        if request.method == "HEAD":
            fh.close()
            return httpx.Response(200, headers=headers, request=request)
        return httpx.Response(200, headers=headers, stream=_FileStream(fh), request=request)
