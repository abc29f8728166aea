"""A real ``prefect server`` on 127.0.0.1 for as long as a block runs.

Used by ``jjj-etl serve`` (Prefect's temporary server runs no scheduler) and by ``make bench``
(scheduled runs talk to a long-lived server).  No Prefect import here: the server is a child
process of this interpreter, started with ``python -m prefect server start``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from jjj_etl.errors import RunError
from jjj_etl.workers import stop_process

SERVER_START_TIMEOUT = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(log: Path | None = None, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """A ``prefect server start`` on 127.0.0.1 (scheduler included) for the block's length.

    Yields its API URL.  ``env`` is its environment (default: this process's).  Waits at
    most ``SERVER_START_TIMEOUT`` seconds for its health check; stops it by its own PID
    (SIGTERM, then SIGKILL after 20 s).
    Raises RunError if it does not come up.
    """
    import httpx

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [*cmd, "--port", str(port)],
        stdout=out,
        stderr=out,
        env={**(os.environ if env is None else env), "PREFECT_UI_ENABLED": "false"},
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RunError(f"prefect server exited with {proc.returncode} before it was up")
            if time.monotonic() > deadline:
                raise RunError(f"prefect server did not answer within {SERVER_START_TIMEOUT:.0f} s")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.25)
        yield api
    finally:
        stop_process(proc)
        if log is not None and hasattr(out, "close"):
            out.close()
