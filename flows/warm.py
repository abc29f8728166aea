"""A Prefect server that ``jjj-etl run`` keeps warm between one-shot runs.

Without ``PREFECT_API_URL``, Prefect starts a temporary server in a subprocess for every
process that runs a flow, and stops it at exit: most of a short run.  Instead, a run finds
the server an earlier run left (or starts one, detached, while it imports Prefect), and the
next run pays nothing for it.  The server is Prefect's own application in the temporary
server's mode (``PREFECT__SERVER_EPHEMERAL``: the same services, no UI), served by uvicorn
in one process bound to 127.0.0.1, on the database of the user's ``PREFECT_HOME``.

Files, in ``<PREFECT_HOME>/jjj-etl-server/``:

- ``server.json``: pid, port, API URL, settings fingerprint.  Written by the server once it
  answers, removed by it when it stops; a file whose pid is gone, is not this server, does
  not answer, or was started with other settings is stale and replaced.
- ``lease``: every run holds a shared ``flock`` on it for as long as it talks to the
  server, and touches it when done.  The server stops itself once it can take the lock
  exclusively (no run in flight) and the file is older than the idle timeout.  The kernel
  drops a killed run's lock, so a crashed run never keeps a server alive.
- ``start.lock``: held while a run looks for a server and starts one, so two runs started
  together share one server.
- ``server.log``: the server's output.

No Prefect import at module level: a run starts the server before it imports Prefect.  No
``jjj_etl`` import either: the server process runs this module, and the package's import (the
parser and its tables) would add most of a second to every server start.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from jjj_etl.errors import RunError, UsageError

IDLE_ENV = "JJJ_ETL_SERVER_IDLE_TIMEOUT"
DEFAULT_IDLE_TIMEOUT = 900.0  # seconds without a run before the server stops itself
START_TIMEOUT = 180.0  # a loaded 2-core machine can need a minute
LEASE_TIMEOUT = 60.0  # a server that is stopping holds the lease until it has exited
_MODULE = "flows.warm"
_CLIENT_ONLY = (
    "PREFECT_API_URL",
    "PREFECT_LOGGING_",
    "PREFECT_SERVER_ANALYTICS_ENABLED",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
)


@dataclass(frozen=True)
class ServerInfo:
    """What ``server.json`` records of a running warm server."""

    pid: int
    port: int
    api: str
    fingerprint: str
    started: float
    idle_timeout: float


def idle_timeout() -> float:
    """``JJJ_ETL_SERVER_IDLE_TIMEOUT`` in seconds (0: keep no server; each run gets
    Prefect's temporary server, as Prefect does by itself)."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    if not raw:
        return DEFAULT_IDLE_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise _usage_error(f"{IDLE_ENV}: not a number of seconds: {raw!r}") from None
    if not value >= 0:  # negative or NaN
        raise _usage_error(f"{IDLE_ENV}: must be 0 (no kept server) or more seconds: {raw!r}")
    return value


def state_dir() -> Path:
    """``<PREFECT_HOME>/jjj-etl-server``: next to the database the server writes."""
    return _home() / "jjj-etl-server"


def _home() -> Path:
    home = os.environ.get("PREFECT_HOME") or str(Path.home() / ".prefect")
    return Path(home).expanduser().absolute()


def fingerprint() -> str:
    """What the server was started with that changes what it serves: the interpreter, the
    Prefect version and the ``PREFECT_*`` settings of the environment, but those only the
    client reads (``_CLIENT_ONLY``: jjj-etl sets them for a quiet run).  A run with another
    fingerprint replaces the server rather than write where it would not have alone."""
    import importlib.metadata

    env = sorted(
        (k, v)
        for k, v in os.environ.items()
        if k.startswith("PREFECT_") and not k.startswith(_CLIENT_ONLY)
    )
    parts = [sys.executable, importlib.metadata.version("prefect"), json.dumps(env)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _run_error(message: str) -> RunError:
    from jjj_etl.errors import RunError

    return RunError(message)


def _usage_error(message: str) -> UsageError:
    from jjj_etl.errors import UsageError

    return UsageError(message)


# ------------------------------------------------------------------------------ locks


def _locked(path: Path, mode: int, timeout: float | None) -> IO[bytes]:
    """``path`` opened and ``flock``ed in ``mode``; waits at most ``timeout`` seconds
    (None: as long as it takes).  Raises TimeoutError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("ab")
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fh.fileno(), mode | fcntl.LOCK_NB)
            return fh
        except BlockingIOError:
            if deadline is not None and time.monotonic() > deadline:
                fh.close()
                raise TimeoutError(path) from None
            time.sleep(0.1)


def _in_use(lease: Path) -> bool:
    """Whether a run holds the lease now."""
    try:
        fh = _locked(lease, fcntl.LOCK_EX, 0)
    except TimeoutError:
        return True
    fh.close()
    return False


# ------------------------------------------------------------------------ the state


def read_state(folder: Path | None = None) -> ServerInfo | None:
    """The recorded server, or None (no file, or not one this version wrote)."""
    path = (folder or state_dir()) / "server.json"
    try:
        return ServerInfo(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _is_ours(pid: int) -> bool:
    """Whether ``pid`` is alive and is a warm server (a recycled pid is someone else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return _MODULE.encode() in cmdline and stat.rsplit(")", 1)[1].split()[0] != "Z"


def _healthy(api: str, timeout: float = 5.0) -> bool:
    import httpx

    try:
        return httpx.get(f"{api}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def status(folder: Path | None = None) -> tuple[str, ServerInfo | None]:
    """``("running" | "other" | "stale" | "stopped", info)`` of the recorded server;
    ``other``: it answers but was started with other settings (another Prefect, other
    ``PREFECT_*``: a run of that setup may be using it); ``stale``: the file names a
    process that is gone, is not ours or does not answer."""
    info = read_state(folder)
    if info is None:
        return "stopped", None
    if not _is_ours(info.pid) or not _healthy(info.api):
        return "stale", info
    return ("running" if info.fingerprint == fingerprint() else "other"), info


def stop(
    folder: Path | None = None, *, force: bool = False, grace: float = 20.0
) -> ServerInfo | None:
    """Stop the recorded server by its PID (SIGTERM, SIGKILL after ``grace`` seconds) and
    remove its file; None when none is recorded.  Refuses (UsageError) while a run holds
    the lease, unless ``force``."""
    folder = folder or state_dir()
    info = read_state(folder)
    if info is None:
        return None
    if not force and _is_ours(info.pid) and _in_use(folder / "lease"):
        raise _usage_error(
            f"the Prefect server (pid {info.pid}) is in use by a run; "
            "wait for it, or pass --force to stop it anyway (the run then fails)"
        )
    _stop_pid(info.pid, grace)
    _remove_state(folder, info.pid)
    return info


def _stop_pid(pid: int, grace: float) -> None:
    if not _is_ours(pid):
        return  # gone already, or the pid now belongs to another process: never signal it
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _is_ours(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + grace
        time.sleep(0.1)


def _remove_state(folder: Path, pid: int) -> None:
    """Remove ``server.json`` if it still names ``pid`` (a newer server's file stays)."""
    info = read_state(folder)
    if info is not None and info.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            (folder / "server.json").unlink()


def _write_state(folder: Path, info: ServerInfo) -> None:
    tmp = folder / f".server.json.{os.getpid()}"
    tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
    tmp.replace(folder / "server.json")


# -------------------------------------------------------------------- the run's side


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WarmServer:
    """A run's use of the warm server: :meth:`begin` finds or launches it (and takes the
    lease), :meth:`ready` waits until it answers, :meth:`close` lets it go idle.

    Between ``begin`` and ``ready`` the caller does what needs no server (imports); a
    server being launched starts meanwhile.
    """

    def __init__(self, timeout: float, folder: Path | None = None) -> None:
        self.idle_timeout = timeout
        self.folder = folder or state_dir()
        self.api = ""
        self.pid = 0
        self.reused = False
        self._lease: IO[bytes] | None = None
        self._start_lock: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def begin(self) -> str:
        """Returns the API URL (the server may not answer yet: see :meth:`ready`)."""
        try:
            # a server that is stopping holds the lease exclusively until it has exited
            self._lease = _locked(self.folder / "lease", fcntl.LOCK_SH, LEASE_TIMEOUT)
        except TimeoutError:
            raise _run_error(
                f"the Prefect server recorded in {self.folder} is stopping and has not exited "
                f"within {LEASE_TIMEOUT:.0f} s; stop it with 'jjj-etl server stop --force'"
            ) from None
        os.utime(self.folder / "lease")  # in use now: not idle
        self._start_lock = _locked(self.folder / "start.lock", fcntl.LOCK_EX, None)
        state, info = status(self.folder)
        if state == "running" and info is not None:
            self._release_start_lock()
            self.api, self.pid, self.reused = info.api, info.pid, True
            return self.api
        if state == "other" and info is not None:
            self.close()
            raise _run_error(
                f"the Prefect server recorded in {self.folder} (pid {info.pid}) was started "
                "with other PREFECT_* settings or another Prefect; 'jjj-etl server stop' "
                "stops it"
            )
        if state == "stale" and info is not None:
            _stop_pid(info.pid, grace=10)  # ours but not answering: hung
            _remove_state(self.folder, info.pid)
        self._launch()
        return self.api

    def _launch(self) -> None:
        port = _free_port()
        self.api = f"http://127.0.0.1:{port}/api"
        cmd = [sys.executable, "-m", _MODULE, "--port", str(port)]
        cmd += ["--idle-timeout", str(self.idle_timeout), "--state", str(self.folder)]
        cmd += ["--fingerprint", fingerprint()]  # the run's settings, not the server's own
        with (self.folder / "server.log").open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the run; a signal to its group spares it
                cwd=self.folder,  # holds no directory of the run's
                env={**os.environ, "PREFECT_HOME": str(_home()), "PREFECT_UI_ENABLED": "false"},
            )
        self.pid = self._proc.pid

    def ready(self) -> str:
        """Waits until the server answers (at most ``START_TIMEOUT`` s); returns its API URL.
        Raises RunError if it exits or does not come up (it is stopped then)."""
        proc = self._proc
        if proc is None:
            return self.api
        deadline = time.monotonic() + START_TIMEOUT
        while not self._up():
            if proc.poll() is not None:
                self._release_start_lock()
                raise _run_error(
                    f"the Prefect server exited with {proc.returncode} before it was up "
                    f"(see {self.folder / 'server.log'})"
                )
            if time.monotonic() > deadline:
                _stop_pid(proc.pid, grace=10)
                self._release_start_lock()
                raise _run_error(
                    f"the Prefect server did not answer within {START_TIMEOUT:.0f} s "
                    f"(see {self.folder / 'server.log'})"
                )
            time.sleep(0.1)
        self._proc = None  # detached: it is not this process's child to reap at exit
        self._release_start_lock()
        return self.api

    def _up(self) -> bool:
        info = read_state(self.folder)  # written by the server once it answers
        return info is not None and info.pid == self.pid and _healthy(self.api, 2)

    def _release_start_lock(self) -> None:
        if self._start_lock is not None:
            self._start_lock.close()
            self._start_lock = None

    def close(self) -> None:
        """The run is done with the server: its idle time starts now."""
        self._release_start_lock()
        if self._lease is not None:
            with contextlib.suppress(OSError):
                os.utime(self.folder / "lease")
            self._lease.close()
            self._lease = None


@contextlib.contextmanager
def warm_server(timeout: float) -> Iterator[WarmServer]:
    """A :class:`WarmServer` whose lease is released when the block ends, however."""
    server = WarmServer(timeout)
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------- the server's side


def watch_idle(
    lease: Path, idle: float, stop_server: Callable[[], None], poll: float | None = None
) -> IO[bytes]:
    """Blocks until the server has been idle ``idle`` seconds: no run holds ``lease`` and
    it was last touched that long ago.  Then calls ``stop_server`` and returns the lease
    held exclusively, so that no run takes the server while it stops (the caller keeps it
    until it exits).  Looks every ``poll`` seconds (default: a quarter of ``idle``, within
    0.2-5 s)."""
    poll = max(0.2, min(5.0, idle / 4)) if poll is None else poll
    while True:
        time.sleep(poll)
        try:
            fh = _locked(lease, fcntl.LOCK_EX, 0)
        except TimeoutError:
            continue  # a run is using the server
        try:
            quiet_for = time.time() - lease.stat().st_mtime
        except FileNotFoundError:
            quiet_for = idle  # removed by hand: nothing says it was used
        if quiet_for >= idle:
            stop_server()
            return fh
        fh.close()


def _serve(port: int, idle: float, folder: Path, fingerprint: str) -> None:
    """The server process: Prefect's app under uvicorn on 127.0.0.1:``port``; records
    itself in ``server.json`` once it answers; stops on SIGTERM/SIGINT or when idle."""
    os.environ["PREFECT__SERVER_EPHEMERAL"] = "1"  # the temporary server's services, no UI
    os.environ["PREFECT_UI_ENABLED"] = "false"
    import uvicorn
    from prefect.server.api.server import create_app

    folder.mkdir(parents=True, exist_ok=True)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(final=True),
            host="127.0.0.1",
            port=port,
            log_level="error",
            lifespan="on",
        )
    )
    info = ServerInfo(
        pid=os.getpid(),
        port=port,
        api=f"http://127.0.0.1:{port}/api",
        fingerprint=fingerprint,
        started=time.time(),
        idle_timeout=idle,
    )
    # uvicorn re-raises the signal that stopped it once it has shut down: with a handler of
    # ours in place, that returns here and the state file is removed below
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _s, _f: None)

    def record_when_up() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            _write_state(folder, info)

    def stop_when_idle() -> None:
        held = watch_idle(folder / "lease", idle, lambda: setattr(server, "should_exit", True))
        _keep.append(held)

    _keep: list[IO[bytes]] = []
    threading.Thread(target=record_when_up, daemon=True).start()
    if idle > 0:
        threading.Thread(target=stop_when_idle, daemon=True).start()
    try:
        server.run()
    finally:
        _remove_state(folder, info.pid)


def main(argv: list[str] | None = None) -> None:
    """``python -m flows.warm --port N --idle-timeout S --state DIR --fingerprint F``
    (started by a run)."""
    import argparse

    ap = argparse.ArgumentParser(description="jjj-etl's warm Prefect server (see flows/warm.py)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT)
    ap.add_argument("--state", type=Path, required=True)
    ap.add_argument("--fingerprint", required=True)
    args = ap.parse_args(argv)
    _serve(args.port, args.idle_timeout, args.state, args.fingerprint)


if __name__ == "__main__":
    main()
