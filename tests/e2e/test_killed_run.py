"""A `jjj-etl run` killed with SIGKILL in the middle of its crawl commits nothing, and the next
run, and a replay of the archive it left, both succeed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cli_runs import BIN, cli, cli_env, versions

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "jjj_etl" / "samples"


def _config(tmp_path: Path, name: str, requests_per_second: float) -> Path:
    """The bundled sample config, read from its own folder, at a chosen crawl rate."""
    text = (SAMPLES / "sources.toml").read_text(encoding="utf-8")
    site = (SAMPLES / "site" / "index.html").as_uri()
    text = text.replace('"file:site/index.html"', f'"{site}"')
    text, n = re.subn(
        r"(?m)^requests_per_second = .*$", f"requests_per_second = {requests_per_second}", text
    )
    assert n == 1
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_run_killed_mid_crawl_commits_nothing_and_the_next_runs_recover(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    slow = _config(tmp_path, "slow.toml", 2.0)  # ~25 pages at 2/s: a crawl of ~12 s
    proc = subprocess.Popen(
        [str(BIN), "run", "--config", str(slow), "--warehouse", str(warehouse)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cli_env(shared_server=True),
        start_new_session=True,  # its own process group: the run and its parse workers
    )
    try:
        deadline = time.monotonic() + 180
        warc_dir = warehouse / "raw" / "warc"
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.stat().st_size > 2000 for p in warc_dir.glob("*.warc.gz")):
                break
            time.sleep(0.05)
        time.sleep(1.0)  # a few more pages into the crawl
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the group we started: the run and its helpers
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert versions(warehouse) == 0  # nothing committed
    assert list((warehouse / "raw" / "warc").glob("*.warc.gz")), "the crawl had archived pages"

    fast = _config(tmp_path, "fast.toml", 100.0)
    done = cli("run", "--config", str(fast), "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert "version 1 committed" in done.stdout
    assert versions(warehouse) == 1

    # the archive holds the killed run's records and the second run's: both replay
    replayed = cli(
        "run", "--config", str(fast), "--warehouse", str(warehouse), "--from-archive", "--full"
    )
    assert replayed.returncode == 0, replayed.stderr
    assert versions(warehouse) == 1  # the same pages: nothing new to commit
    assert not list(warehouse.glob(".jjj.work-*"))
