"""The Prefect server a one-shot `jjj-etl run` keeps warm (flows/warm.py): the second run
reuses it, a stale record is replaced, a run in flight keeps it, and it stops by its PID
(`jjj-etl server stop`) or by itself once idle.  Each test has its own PREFECT_HOME."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flows import warm

from cli_runs import BIN, cli_env, versions

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "jjj_etl" / "samples"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A PREFECT_HOME of the test's own (here too: the server's settings fingerprint is
    compared with this process's); whatever server it recorded is killed after."""
    home = tmp_path / "prefect-home"
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    yield home
    info = warm.read_state(home / "jjj-etl-server")
    if info is not None and warm._is_ours(info.pid):
        os.kill(info.pid, signal.SIGKILL)


def _env(home: Path, idle: str = "120") -> dict[str, str]:
    env = cli_env()
    env.pop("PREFECT_API_URL", None)
    return {**env, "PREFECT_HOME": str(home), "JJJ_ETL_SERVER_IDLE_TIMEOUT": idle}


def _jjj(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _config(tmp_path: Path, requests_per_second: float) -> Path:
    text = (SAMPLES / "sources.toml").read_text(encoding="utf-8")
    text = text.replace('"file:site/index.html"', f'"{(SAMPLES / "site" / "index.html").as_uri()}"')
    text, n = re.subn(
        r"(?m)^requests_per_second = .*$", f"requests_per_second = {requests_per_second}", text
    )
    assert n == 1
    path = tmp_path / f"sources-{requests_per_second}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _listens_on_loopback_only(pid: int, port: int) -> bool:
    """The process's listening sockets on ``port`` are all bound to 127.0.0.1."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = str(fd.readlink())
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    addrs = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            f = line.split()
            local, state, inode = f[1], f[3], f[9]
            if state == "0A" and inode in inodes and int(local.split(":")[1], 16) == port:
                addrs.append(local.split(":")[0])
    return addrs == ["0100007F"]


def _flow_runs(api: str) -> list[str]:
    rows = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json()
    return sorted(r["state_type"] for r in rows)


def _hold_lease(folder: Path) -> subprocess.Popen[str]:
    """Another process holding the run's shared lock on the lease, as a run in flight."""
    code = (
        "import fcntl, sys, time\n"
        "fh = open(sys.argv[1], 'ab'); fcntl.flock(fh.fileno(), fcntl.LOCK_SH)\n"
        "print('held', flush=True); time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(folder / "lease")], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.e2e
def test_the_second_run_reuses_the_server_which_stops_by_its_pid_or_when_idle(
    tmp_path: Path, home: Path
) -> None:
    env, wh = _env(home), tmp_path / "warehouse"
    folder = home / "jjj-etl-server"
    first = _jjj(env, "run", "--warehouse", str(wh))
    assert first.returncode == 0, first.stderr
    assert "started a Prefect server at http://127.0.0.1:" in first.stderr
    info = warm.read_state(folder)
    assert info is not None
    assert warm._is_ours(info.pid)
    assert os.getsid(info.pid) == info.pid  # its own session: a signal to a run spares it
    assert _listens_on_loopback_only(info.pid, info.port)

    second = _jjj(env, "run", "--warehouse", str(wh))
    assert second.returncode == 0, second.stderr
    assert "nothing new" in second.stdout
    assert "started a Prefect server" not in second.stderr
    assert warm.read_state(folder) == info  # the same server, the same pid
    assert _flow_runs(info.api) == ["COMPLETED", "COMPLETED"]  # both flows ran on it

    # SIGTERM stops a run that uses it as it stops any run; the server stays, unleased
    slow = _config(tmp_path, 2.0)  # ~25 pages at 2/s
    wh2 = tmp_path / "warehouse-2"
    proc = subprocess.Popen(
        [str(BIN), "run", "--config", str(slow), "--warehouse", str(wh2)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if list((wh2 / "raw" / "warc").glob("*.warc.gz")):
                break  # the crawl has begun
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be stopped"
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 143, stderr.decode(errors="replace")[-2000:]
    assert versions(wh2) == 0
    assert warm.status(folder) == ("running", info)

    # not stopped under a run in flight (unless --force); stopped by its pid once free
    holder = _hold_lease(folder)
    try:
        refused = _jjj(env, "server", "stop")
        assert refused.returncode == 2
        assert "in use by a run" in refused.stderr
        assert warm._is_ours(info.pid)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    done = _jjj(env, "server", "stop")
    assert done.returncode == 0, done.stderr
    assert f"pid {info.pid}" in done.stdout
    assert not warm._is_ours(info.pid)
    assert warm.read_state(folder) is None
    again = _jjj(env, "server", "stop")
    assert again.returncode == 0
    assert "nothing to stop" in again.stdout

    # the same PREFECT_HOME (its database migrated already: a start of a few seconds)
    _a_stale_record_is_replaced_and_an_idle_server_stops_itself(home)


def _a_stale_record_is_replaced_and_an_idle_server_stops_itself(home: Path) -> None:
    folder = home / "jjj-etl-server"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=30)
    # a record naming a process that has exited (its pid is free, or someone else's)
    stale = {"pid": gone.pid, "port": 9, "api": "http://127.0.0.1:9/api"}
    stale |= {"fingerprint": "x", "started": 0.0, "idle_timeout": 1.0}
    (folder / "server.json").write_text(json.dumps(stale), encoding="utf-8")
    env = _env(home, idle="2")
    shown = _jjj(env, "server", "status", "--json")
    assert json.loads(shown.stdout)["state"] == "stale"

    started = _jjj(env, "server", "start")
    assert started.returncode == 0, started.stderr
    info = warm.read_state(folder)
    assert info is not None
    assert info.pid != gone.pid
    assert warm.status(folder) == ("running", info)
    assert f"started at {info.api}" in started.stdout

    holder = _hold_lease(folder)  # a run in flight: the server does not go idle under it
    try:
        time.sleep(3.5)
        assert warm.status(folder) == ("running", info)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    deadline = time.monotonic() + 30  # 2 s idle, looked at every 0.5 s, then its shutdown
    while warm._is_ours(info.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not warm._is_ours(info.pid), "an idle server did not stop itself"
    assert warm.read_state(folder) is None  # it removed its record
