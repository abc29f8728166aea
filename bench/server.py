"""A small, fast HTTP/1.1 server on 127.0.0.1 for the benchmark corpus (asyncio, keep-alive).

Serves files under ``--root`` with ``ETag`` (size + mtime, like nginx) and ``Last-Modified``,
answers ``If-None-Match`` / ``If-Modified-Since`` with 304, and stops by itself after
``--lifetime`` seconds (or on SIGTERM/SIGINT).  Prints ``READY <port>`` on stdout once it
listens.  ``GET /__bench/stats`` returns request counts per status (JSON);
``GET /__bench/reset`` zeroes them.  ``.htm`` files are sent as ``text/html`` with no charset
(the page's ``<meta>`` decides, as on many Chinese sites), everything else ``.html`` as
``text/html; charset=utf-8``.

Start and stop it with :class:`BenchServer` (a subprocess, stopped by its PID)::

    with BenchServer(root, lifetime=1800) as srv:
        httpx.get(f"{srv.base}/index.html")
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

__all__ = ["BenchServer"]

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found", 405: "Nope"}
_IDLE_SECONDS = 30.0


class _Handler:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.stats: dict[str, int] = {}

    def _file(self, target: str) -> Path | None:
        path = unquote(urlsplit(target).path)
        if path.endswith("/"):
            path += "index.html"
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def respond(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request."""
        if target.startswith("/__bench/"):
            body = json.dumps(self.stats).encode()
            if target == "/__bench/reset":
                self.stats.clear()
            return 200, {"Content-Type": "application/json"}, body
        if method not in ("GET", "HEAD"):
            return 405, {}, b""
        path = self._file(target)
        if path is None:
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        st = path.stat()
        etag = f'"{st.st_size:x}-{st.st_mtime_ns // 1_000_000_000:x}"'
        last_modified = formatdate(st.st_mtime, usegmt=True)
        meta = {"ETag": etag, "Last-Modified": last_modified}
        if _not_modified(headers, etag, st.st_mtime):
            return 304, meta, b""
        body = path.read_bytes()
        meta["Content-Type"] = _TYPES.get(path.suffix, "application/octet-stream")
        return 200, meta, body

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: requests until the client closes, asks to close, or idles."""
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _IDLE_SECONDS)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split()
                if len(parts) != 3:
                    break
                method, target, _version = parts
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                status, extra, body = self.respond(method, target, headers)
                if not target.startswith("/__bench/"):
                    self.stats[str(status)] = self.stats.get(str(status), 0) + 1
                close = headers.get("connection", "").lower() == "close"
                out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'X')}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                out.append(f"Content-Length: {len(body) if status != 304 else 0}")
                out.append("Connection: close" if close else "Connection: keep-alive")
                payload = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
                if method != "HEAD" and status != 304:
                    payload += body
                writer.write(payload)
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass  # client went away, or the server is shutting down
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()


def _not_modified(headers: dict[str, str], etag: str, mtime: float) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = headers.get("if-modified-since")
    if ims:
        try:
            return int(mtime) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError):
            return False
    return False


async def _main(root: Path, port: int, lifetime: float) -> None:
    handler = _Handler(root)
    server = await asyncio.start_server(handler.serve, "127.0.0.1", port, backlog=512)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(lifetime, stop.set)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"READY {bound}\n")
    sys.stdout.flush()
    async with server:
        await stop.wait()
    server.close()


class BenchServer:
    """The server as a subprocess: started in ``__enter__``, stopped by PID in ``__exit__``."""

    def __init__(self, root: str | Path, lifetime: float = 3600.0) -> None:
        self.root = Path(root)
        self.lifetime = lifetime
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BenchServer:
        """Start the subprocess and wait (at most 30 s) for ``READY``."""
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--root",
            str(self.root),
            "--lifetime",
            str(self.lifetime),
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the server prints READY first thing
        if not line.startswith("READY") or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stats(self, reset: bool = False) -> dict[str, int]:
        """Request counts per status since the last reset."""
        import httpx

        path = "/__bench/reset" if reset else "/__bench/stats"
        data: dict[str, int] = httpx.get(self.base + path, timeout=10).json()
        return data

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL after 10 s."""
        from jjj_etl.workers import stop_process

        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, grace=10)

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """Command line: serve a folder until the lifetime ends or a signal arrives."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=3600.0, help="seconds (max 6 h)")
    args = ap.parse_args()
    asyncio.run(_main(Path(args.root), args.port, min(args.lifetime, 6 * 3600.0)))


if __name__ == "__main__":
    main()
