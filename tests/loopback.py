"""The base of the loopback HTTP servers that tests start on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SiteHandler(BaseHTTPRequestHandler):
    """A handler whose server carries a ``site`` object; quiet, with a small send helper."""

    server: ThreadingHTTPServer

    @property
    def site(self) -> Any:
        """The test's site (paths, faults, hit counts), attached to the server."""
        return self.server.site  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    """A threaded server on loopback that does not print the errors tests cause on purpose."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Resets, timeouts, truncations and clients that stop reading at a cap leave broken
        sockets behind: expected here."""


@contextmanager
def serve(handler: type[SiteHandler], site: Any = None) -> Iterator[str]:
    """Serve ``site`` with ``handler`` on 127.0.0.1 in a thread; yields the base URL.

    ``site.port`` is set when the site has one; on exit ``site.release`` (an Event that
    hanging handlers wait on), when there is one, is set before the server shuts down."""
    server = QuietServer(("127.0.0.1", 0), handler)
    server.site = site  # type: ignore[attr-defined]
    port = server.server_address[1]
    if hasattr(site, "port"):
        site.port = port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        release = getattr(site, "release", None)
        if release is not None:
            release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
