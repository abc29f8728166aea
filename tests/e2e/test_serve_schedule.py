"""`jjj-etl serve` for real: with no PREFECT_API_URL it starts its own Prefect server (the
temporary one runs no scheduler), the cron fires, a version lands, and stopping serve stops
that server too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

from jjj_etl.workers import stop_process

BIN = Path(sys.executable).parent / "jjj-etl"
SAMPLE_SITE = Path(__file__).resolve().parents[2] / "src" / "jjj_etl" / "samples" / "site"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text().split() if (task / "children").exists() else []
        found += [int(c) for c in text]
    return found


def _versions(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute("select count(*) from meta.versions").fetchone()
    except duckdb.Error:
        return 0
    return int(row[0]) if row else 0


def _logs(api: str, needle: str) -> list[str]:
    """Messages the Prefect server holds, waiting (bounded) until one contains ``needle``."""
    messages: list[str] = []
    deadline = time.monotonic() + 60  # the run ends after its commit; logs come in batches
    while time.monotonic() < deadline:
        got = httpx.post(f"{api}/logs/filter", json={"limit": 200}, timeout=10)
        messages = [row["message"] for row in got.json()]
        if any(needle in m for m in messages):
            break
        time.sleep(1)
    return messages


def test_serve_runs_on_its_cron_with_its_own_server_and_stops_it(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    sample = (SAMPLE_SITE.parent / "sources.toml").read_text(encoding="utf-8")
    sample = sample.replace('cron = "0 7 * * *"', 'cron = "* * * * *"')
    sample = sample.replace('"file:site/index.html"', f'"{(SAMPLE_SITE / "index.html").as_uri()}"')
    cfg.write_text(sample, encoding="utf-8")
    wh = tmp_path / "warehouse"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5",
        PREFECT_RUNNER_POLL_FREQUENCY="2",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN), "serve", "--config", str(cfg), "--warehouse", str(wh)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server_pids: list[int] = []
    api = ""
    try:
        deadline = time.monotonic() + 240  # start-up + the next minute + one run
        while time.monotonic() < deadline and _versions(wh / "jjj.duckdb") < 1:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            if not api:
                m = re.search(r"started a Prefect server at (\S+)", log.read_text(errors="replace"))
                if m:
                    api = m.group(1)
                    server_pids = _children(proc.pid)
            time.sleep(2)
        assert _versions(wh / "jjj.duckdb") >= 1, log.read_text(errors="replace")[-3000:]
        assert api.startswith("http://127.0.0.1:")
        assert httpx.get(f"{api}/health", timeout=5).status_code == 200
        assert server_pids
        # the served run logged to the server (task states and the summary line) ...
        messages = _logs(api, "'version': 1")
        assert any(m.startswith("run ") and "'version': 1" in m for m in messages), messages
        assert any("Finished in state Completed" in m for m in messages), messages
        # ... and published the report with its version (written before that summary line)
        assert (wh / "exports" / "report.html").stat().st_size > 10_000
    finally:
        stop_process(proc, grace=60)  # SIGTERM first: serve must stop its server
    for pid in server_pids:  # the server serve started is gone with it
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
    try:
        httpx.get(f"{api}/health", timeout=2)
        alive = True
    except httpx.HTTPError:
        alive = False
    assert not alive
