"""Two real processes: readers are never locked out, a second writer waits then fails,
and a killed run leaves the previous version intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders import rebuild, working_copy
from cli_runs import BIN, versions
from jjj_etl import staging
from jjj_etl.records import Article, Figure, ParsedPage
from jjj_etl.runner import default_sql_dir

BODY = "Jing-Jin-Ji GDP reached 11.5 trillion yuan in 2024, up 5.1% year on year.\nMore text."


def _stage(wh: Path, value: float, sha: str) -> None:
    start = BODY.index("11.5")
    figs = (
        Figure(
            "11.5 trillion yuan",
            start,
            start + 18,
            value,
            "CNY",
            "=",
            "level",
            "2024",
            "GDP",
            None,
            "JJJ",
            None,
            0,
            76,
        ),
    )
    art = Article("http://x/1.html", "http://x/1.html", "T", "2025-04-03", "en", "demo", BODY, sha)
    with working_copy(wh) as con:
        staging.ensure_schema(con)
        staging.stage(con, "setup", [], [ParsedPage(art.url, sha, art, figs)], "1")


@pytest.fixture
def warehouse_v1(fresh_warehouse: Path) -> Path:
    _stage(fresh_warehouse, 11.5e12, "a" * 64)
    assert rebuild(fresh_warehouse)["version"] == 1
    return fresh_warehouse


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select max(version_id) from meta.versions").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("select max(version_id) from meta.versions").fetchone()[0], flush=True)
"""


def test_open_reader_does_not_block_a_build(warehouse_v1: Path) -> None:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse_v1 / "jjj.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdin is not None
        assert reader.stdout.readline().strip() == "1"
        _stage(warehouse_v1, 11.6e12, "b" * 64)  # a second writer while the reader stays open
        done = subprocess.run(
            [str(BIN), "build", "--warehouse", str(warehouse_v1)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "version 2 committed" in done.stdout
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "1"  # its snapshot: the old version, whole
        assert versions(warehouse_v1) == 2  # a new reader sees the new version
    finally:
        reader.kill()
        reader.wait(timeout=10)


HOLDER = """
import sys, time
from jjj_etl.warehouse import paths, writer_lock
with writer_lock(paths(sys.argv[1]), 5):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_second_writer_waits_then_exits_1(warehouse_v1: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse_v1)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        done = subprocess.run(
            [str(BIN), "build", "--warehouse", str(warehouse_v1), "--lock-timeout", "1"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1
        assert f"pid {holder.pid}" in done.stderr
        assert "--lock-timeout" in done.stderr
        assert time.monotonic() - started >= 1
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    assert versions(warehouse_v1) == 1


def test_sigkill_mid_build_keeps_previous_version(warehouse_v1: Path, tmp_path: Path) -> None:
    slow = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), slow)
    (slow / "marts" / "zz_slow.sql").write_text(
        "select count(*) as n from range(100000000000) as r (i) where i % 7 = 3\n"
    )
    _stage(warehouse_v1, 11.7e12, "c" * 64)
    proc = subprocess.Popen(
        [str(BIN), "build", "--warehouse", str(warehouse_v1), "--sql-dir", str(slow)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(warehouse_v1.glob(".jjj.work-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # well inside the slow model
        assert proc.poll() is None, "the build ended before it could be killed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert versions(warehouse_v1) == 1  # previous version intact and current
    assert list(warehouse_v1.glob(".jjj.work-*")), "the killed run's working file is left behind"
    done = subprocess.run(
        [str(BIN), "build", "--warehouse", str(warehouse_v1)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert versions(warehouse_v1) == 2
    assert not list(warehouse_v1.glob(".jjj.work-*"))
