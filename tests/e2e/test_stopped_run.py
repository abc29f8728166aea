"""SIGTERM or Ctrl-C stops a `jjj-etl run` within seconds: exit 143 / 130, no version, no
working file, no process of its own left behind (the parse workers and Prefect's temporary
server included); and a parse worker whose parent is killed exits by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cli_runs import BIN, cli_env, versions

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "jjj_etl" / "samples"


def _config(tmp_path: Path) -> Path:
    text = (SAMPLES / "sources.toml").read_text(encoding="utf-8")
    site = (SAMPLES / "site" / "index.html").as_uri()
    path = tmp_path / "sources.toml"
    path.write_text(text.replace('"file:site/index.html"', f'"{site}"'), encoding="utf-8")
    return path


def _group(pgid: int) -> list[str]:
    """Live (not zombie) processes of a process group."""
    alive = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(proc.name)
    return alive


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_commits_nothing_and_leaves_no_process(
    tmp_path: Path, signum: int, code: int
) -> None:
    warehouse = tmp_path / "warehouse"
    proc = subprocess.Popen(
        [str(BIN), "run", "--config", str(_config(tmp_path)), "--warehouse", str(warehouse)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cli_env(),
        start_new_session=True,  # its own group: we can see (and clean up) all it started
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if list((warehouse / "raw" / "warc").glob("*.warc.gz")):
                break  # the crawl has begun
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be stopped"
        os.kill(proc.pid, signum)
        stopped_at = time.monotonic()
        _, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - stopped_at
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == code, stderr.decode(errors="replace")[-2000:]
    assert took < 30
    assert f"stopped by {signal.Signals(signum).name}" in stderr.decode(errors="replace")
    assert versions(warehouse) == 0
    assert not list(warehouse.glob(".jjj.work-*"))
    deadline = time.monotonic() + 10  # workers notice a dead parent within a second or two
    while _group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _group(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"


def test_a_parse_worker_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = (
        "import time\n"
        "from jjj_etl import workers\n"
        "if __name__ == '__main__':\n"
        "    workers.call(2, time.sleep, 0)\n"
        "    pool = workers._shared.get(2)\n"  # both workers busy, as in a long parse
        "    pool.submit(time.sleep, 600)\n"
        "    pool.submit(time.sleep, 600)\n"
        "    print(*workers.worker_pids(), flush=True)\n"
        "    time.sleep(600)\n"
    )
    (tmp_path / "parent.py").write_text(script, encoding="utf-8")
    parent = subprocess.Popen(
        [str(Path(BIN).parent / "python"), str(tmp_path / "parent.py")],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids
        os.kill(parent.pid, signal.SIGKILL)  # no clean-up of its own
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{p}").exists() and _alive(p) for p in pids):
            assert time.monotonic() < deadline, "a worker outlived its parent"
            time.sleep(0.2)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
            parent.wait(timeout=30)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
