"""``jjj-etl serve``: the pipeline on its cron schedule (Prefect's ``serve``).

Schedules need Prefect's scheduler service, which the temporary server Prefect starts when no
``PREFECT_API_URL`` is set does not run ("Cannot schedule flows on an ephemeral server").  So
without ``PREFECT_API_URL``, ``serve`` starts a real ``prefect server`` on 127.0.0.1 for as
long as it serves, and stops it (by its PID) when it stops.  With ``PREFECT_API_URL`` set, it
uses that server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from prefect.schedules import Cron

from flows.pipeline import jjj_pipeline
from jjj_etl.config import Config
from jjj_etl.errors import RunError

DEPLOYMENT_NAME = "jjj-daily"
SERVER_START_TIMEOUT = 180.0


def deployment_for(config: Config, warehouse: str | None = None) -> Any:
    """The deployment object ``serve`` runs: cron + timezone from the config."""
    return jjj_pipeline.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(config.schedule.cron, timezone=config.schedule.timezone)],
        parameters={"config_path": config.path or None, "warehouse": warehouse},
        description="jjj-etl: crawl, parse, build and publish a new warehouse version",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(log: Path | None = None) -> Iterator[str]:
    """A ``prefect server start`` on 127.0.0.1 (scheduler included) for the block's length.

    Yields its API URL.  Waits at most ``SERVER_START_TIMEOUT`` seconds for its health
    check; stops it by its own PID (SIGTERM, then SIGKILL after 20 s).
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
        env={**os.environ, "PREFECT_UI_ENABLED": "false"},
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
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        if log is not None and hasattr(out, "close"):
            out.close()


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds serve() so the local server is stopped too


def serve(config: Config, warehouse: str | None = None) -> None:
    """Serve the scheduled deployment until interrupted (SIGINT or SIGTERM)."""
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if PREFECT_API_URL.value():
        prefect_serve(deployment_for(config, warehouse))
        return
    with local_server() as api, temporary_settings({PREFECT_API_URL: api}):
        print(
            f"jjj-etl serve: started a Prefect server at {api} (set PREFECT_API_URL to use yours)"
        )
        prefect_serve(deployment_for(config, warehouse))
