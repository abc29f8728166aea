"""Running the installed ``jjj-etl`` entry point from tests, and reading what it committed."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx

BIN = Path(sys.executable).parent / "jjj-etl"
PREFECT = Path(sys.executable).parent / "prefect"
_SERVER_STARTUP = 120.0  # seconds; a loaded 2-core machine needs most of a minute


class _SharedServer:
    """One real ``prefect server`` on loopback for every CLI run of the session.

    A ``jjj-etl run`` with ``PREFECT_API_URL`` unset starts Prefect's temporary server,
    15-25 s per process; the flow, its tasks and their states are the same against a
    long-lived server, so the tests share one (started on first use, stopped by its process
    group when the session ends).  Runs that test the one-shot path pass ``own_server``.
    """

    def __init__(self) -> None:
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def api_url(self) -> str:
        if self.url is None:
            self.url = self._start()
        return self.url

    def _start(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        home = tempfile.mkdtemp(prefix="jjj-test-prefect-")
        env = {
            **os.environ,
            "PREFECT_HOME": home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
        }
        env.pop("PREFECT_API_URL", None)
        log = (Path(home) / "server.log").open("wb")  # the server's own log, for failures
        self._proc = subprocess.Popen(
            [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child holds its own descriptor
        atexit.register(self.stop)
        url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + _SERVER_STARTUP
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"prefect server exited {self._proc.returncode}: {home}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"prefect server not healthy after {_SERVER_STARTUP:.0f} s: {home}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM to the process group ``proc`` leads, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


SHARED_SERVER = _SharedServer()


def cli_env(*, shared_server: bool = False) -> dict[str, str]:
    """This process's environment as it is now (tests set variables), analytics off; with
    ``shared_server``, pointed at the session's Prefect server (for pipeline runs)."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    # a one-shot run gets Prefect's temporary server, stopped when it ends, unless a test
    # asks for the warm server (tests/e2e/test_warm_server.py, with its own PREFECT_HOME):
    # no server outlives the test session
    env.setdefault("JJJ_ETL_SERVER_IDLE_TIMEOUT", "0")
    if shared_server and "PREFECT_API_URL" not in env:
        env["PREFECT_API_URL"] = SHARED_SERVER.api_url()
    return env


def cli(
    *args: str, stdin: str | None = None, timeout: float = 240, own_server: bool = False
) -> subprocess.CompletedProcess[str]:
    """``jjj-etl ARGS`` in a subprocess, output captured, bounded in time; a pipeline run
    uses the shared Prefect server unless ``own_server`` (the one-shot path)."""
    pipeline_run = bool(args) and args[0] == "run" and "--help" not in args
    return subprocess.run(
        [str(BIN), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(shared_server=pipeline_run and not own_server),
        check=False,
    )


def versions(warehouse: Path) -> int:
    """How many versions the published warehouse holds (0 when there is none yet)."""
    db = warehouse / "jjj.duckdb"
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*) from meta.versions").fetchone()
    return int(row[0]) if row else 0


def killed_export_leftover(exports: Path, version: int) -> Path:
    """A real process that starts an export folder and is SIGKILLed before it finishes."""
    code = (
        "import os, sys, time; from pathlib import Path\n"
        f"tmp = Path(sys.argv[1]) / f'.v{version}.tmp-{{os.getpid()}}'\n"
        "tmp.mkdir(); (tmp / 'fct_observations.parquet').write_bytes(b'PAR1 half')\n"
        "print(tmp, flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(exports)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        left = Path(proc.stdout.readline().strip())
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert left.is_dir()
    return left
