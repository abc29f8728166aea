"""``make bench``: the real pipeline end to end on a synthetic site, measured against floors.

    python bench/run.py [--pages 1000,10000] [--quick] [--scale 10,100] [--no-append]
    python bench/run.py --only scale --pages 10000 --scale 10,100   # the growth table alone

For each size: generate the corpus (``bench/corpus.py``), serve it on 127.0.0.1
(``bench/server.py``, stopped by PID), run ``jjj-etl run --config … --warehouse …`` in a
subprocess (wall time, peak RSS of the process tree, per-stage times from the Prefect task
runs), rerun it (every page answers 304), and measure the floors on the same data: a bare
``httpx.AsyncClient`` loop at the same concurrency, ``BeautifulSoup(html, "lxml")`` over every
article, a bulk Arrow insert of the same staging rows into DuckDB, a DuckDB ``COPY`` of the
marts to Parquet.  On the smallest size it also runs the plain pipeline functions without
Prefect (``bench/stages.py plain``) and a re-parse from the WARC archive (``stages.py replay``).
On the largest size the SQL build and export are timed again at 10× and 100× the staged rows
(synthetic copies), on the single file and on a DuckLake made from it (``--backends``).
Results are appended to ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from flows.server import local_server  # noqa: E402  (a long-lived prefect server)

from corpus import generate  # noqa: E402
from jjj_etl.config import DEFAULT_KEYWORDS as KEYWORDS  # noqa: E402
from server import BenchServer  # noqa: E402

CONCURRENCY = 8
VENV_BIN = Path(sys.executable).parent
JJJ = str(VENV_BIN / "jjj-etl")
STAGES = (
    "extract",
    "parse-batch",
    "begin",
    "load",
    "build",
    "test",
    "commit",
    "publish",
    "export",
    "publish-artifacts",
)


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """One finished subprocess: wall time, exit code, memory, output."""

    wall: float
    rc: int
    tree_peak_mb: float  # peak of the summed RSS of the process tree (sampled every 0.1 s)
    maxrss_mb: float  # ru_maxrss of the child (largest single process it waited for)
    cpu_s: float
    stdout: str
    stderr: str
    started: float = 0.0  # time.time() at start

    def json(self) -> Any:
        """The JSON document the child printed (the last one on stdout)."""
        text = self.stdout
        start = text.rfind("\n{")
        return json.loads(text[start + 1 :] if start >= 0 else text[text.index("{") :])


def run_proc(cmd: list[str], env: dict[str, str], timeout: float, log: Path) -> Proc:
    """Run ``cmd``, sample its tree's RSS, reap it with wait4 for its rusage; bounded."""
    import psutil

    out_path, err_path = log.with_suffix(".out"), log.with_suffix(".err")
    started_wall, started = time.time(), time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        peak = 0
        root = psutil.Process(proc.pid)
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.perf_counter() - started > timeout:
                os.kill(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                status = -1
                break
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(_rss(p) for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status) if status != -1 else -9
    wall = time.perf_counter() - started
    return Proc(
        wall=wall,
        rc=proc.returncode,
        tree_peak_mb=peak / 2**20,
        maxrss_mb=(usage.ru_maxrss / 1024) if usage else 0.0,
        cpu_s=(usage.ru_utime + usage.ru_stime) if usage else 0.0,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace")[-4000:],
        started=started_wall,
    )


def _rss(p: Any) -> int:
    import psutil

    try:
        return int(p.memory_info().rss)
    except psutil.Error:
        return 0


def child_env(prefect_home: Path) -> dict[str, str]:
    """Environment for jjj-etl and worker children: quiet Prefect with its own home."""
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(BENCH),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        # the one-shot rerun below measures Prefect's temporary server, and no kept server
        # outlives the bench (bench/oneshot.py measures the kept one)
        JJJ_ETL_SERVER_IDLE_TIMEOUT="0",
    )
    return env


def worker(args: list[str], env: dict[str, str], timeout: float, log: Path) -> tuple[Proc, Any]:
    """``python bench/stages.py ARGS`` → (process, its JSON result)."""
    proc = run_proc([sys.executable, str(BENCH / "stages.py"), *args], env, timeout, log)
    if proc.rc == -9:
        raise RuntimeError(f"did not finish within {timeout:.0f} s (killed)")
    if proc.rc != 0:
        raise RuntimeError(f"stages.py {args[0]} failed ({proc.rc}):\n{proc.stderr}")
    return proc, proc.json()


# --------------------------------------------------------------------------- prefect


def flow_stage_times(prefect_home: Path) -> dict[str, Any]:
    """Per-stage times of the newest flow run, from the Prefect server's task runs."""
    con = sqlite3.connect(str(prefect_home / "prefect.db"))
    try:
        flow = con.execute(
            "select id, start_time, end_time from flow_run "
            "where start_time is not null order by start_time desc limit 1"
        ).fetchone()
        tasks = con.execute(
            "select name, start_time, end_time from task_run where flow_run_id = ? "
            "and start_time is not null and end_time is not null",
            [flow[0]],
        ).fetchall()
    finally:
        con.close()

    def ts(value: str) -> float:
        return datetime.fromisoformat(value).timestamp()

    stages: dict[str, dict[str, float]] = {}
    for name, start, end in tasks:
        stage = next((s for s in STAGES if name.startswith(s)), name.rsplit("-", 1)[0])
        st = stages.setdefault(stage, {"n": 0, "sum": 0.0, "first": 1e30, "last": 0.0})
        st["n"] += 1
        st["sum"] += ts(end) - ts(start)
        st["first"], st["last"] = min(st["first"], ts(start)), max(st["last"], ts(end))
    for st in stages.values():
        st["span"] = st["last"] - st["first"]
    return {"flow_start": ts(flow[1]), "flow_end": ts(flow[2]), "stages": stages}


# --------------------------------------------------------------------------- floors


def median_of(runs: int, fn: Callable[[], float]) -> float:
    """Median seconds of ``runs`` calls of ``fn`` (which returns seconds)."""
    return statistics.median(fn() for _ in range(runs))


def httpx_floor(base: str, paths: list[str]) -> float:
    """A bare AsyncClient loop over every URL, ``CONCURRENCY`` requests in flight."""
    import httpx

    async def go() -> float:
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            queue: asyncio.Queue[str] = asyncio.Queue()
            for p in paths:
                queue.put_nowait(p)

            async def fetch() -> None:
                while not queue.empty():
                    r = await client.get(queue.get_nowait())
                    r.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(fetch() for _ in range(CONCURRENCY)))
            return time.perf_counter() - started

    return asyncio.run(go())


def bs_floor(files: list[Path]) -> float:
    """``BeautifulSoup(raw, "lxml")`` over every article page (bytes, as the parser gets)."""
    from bs4 import BeautifulSoup

    started = time.perf_counter()
    for f in files:
        BeautifulSoup(f.read_bytes(), "lxml")
    return time.perf_counter() - started


def arrow_floor(db: Path, scratch: Path) -> tuple[float, int]:
    """Bulk insert of the same staging rows (as Arrow tables) into a fresh DuckDB file."""
    import duckdb

    from jjj_etl import staging

    with duckdb.connect(str(db), read_only=True) as con:
        tables = {
            t: _arrow_table(con.execute(f"select * from staging.{t}"))
            for t in ("pages", "articles", "figures")
        }
    rows = sum(t.num_rows for t in tables.values())

    def once() -> float:
        target = scratch / "arrow-floor.duckdb"
        target.unlink(missing_ok=True)
        with duckdb.connect(str(target)) as con:
            staging.ensure_schema(con)
            started = time.perf_counter()
            for name, arrow in tables.items():
                con.register("_rows", arrow)
                con.execute(f"insert into staging.{name} by name select * from _rows")
                con.unregister("_rows")
            con.execute("checkpoint")
            elapsed = time.perf_counter() - started
        target.unlink(missing_ok=True)
        return elapsed

    return median_of(3, once), rows


def _arrow_table(cursor: Any) -> Any:
    """A materialised ``pyarrow.Table`` from a DuckDB result (old and new method names)."""
    fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table
    return fetch()


def copy_floor(db: Path, scratch: Path) -> tuple[float, int]:
    """``COPY (select * from <mart>) TO parquet`` (zstd) for every mart of the warehouse."""
    import duckdb

    from jjj_etl.runner import default_sql_dir, mart_names

    marts = mart_names(default_sql_dir())

    def once() -> float:
        out = scratch / "copy-floor"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        with duckdb.connect(str(db), read_only=True) as con:
            started = time.perf_counter()
            for m in marts:
                con.execute(
                    f"copy (select * from main.{m}) to '{out / m}.parquet' "
                    "(format parquet, compression zstd)"
                )
            elapsed = time.perf_counter() - started
        shutil.rmtree(out, ignore_errors=True)
        return elapsed

    return median_of(3, once), len(marts)


# --------------------------------------------------------------------------- one size


def write_config(path: Path, base: str, pages: int) -> Path:
    """A sources.toml for the local site, politeness lifted for 127.0.0.1."""
    kws = ", ".join(json.dumps(k, ensure_ascii=False) for k in KEYWORDS)
    path.write_text(
        f"""[[sources]]
name = "bench"
start_urls = ["{base}/index.html"]
allowed_hosts = ["127.0.0.1"]
article_pattern = '/\\d{{4}}-\\d{{2}}/\\d{{2}}/content_\\d+\\.html?$'
listing_pattern = '/(business|chinese)/index(_\\d+)?\\.html?$'
keywords = [{kws}]
max_pages = {pages + pages // 10 + 100}
max_depth = 20
requests_per_second = 1000
concurrency = {CONCURRENCY}
global_concurrency = {CONCURRENCY}
timeout_seconds = 60
max_retries = 1
""",
        encoding="utf-8",
    )
    return path


def cli_run(cfg: Path, wh: Path, env: dict[str, str], timeout: float, log: Path) -> Proc:
    """``jjj-etl run --config CFG --warehouse WH --json`` as a child process."""
    proc = run_proc(
        [JJJ, "run", "--config", str(cfg), "--warehouse", str(wh), "--json"], env, timeout, log
    )
    if proc.rc != 0:
        raise RuntimeError(f"jjj-etl run failed ({proc.rc}):\n{proc.stderr}")
    return proc


def slowest_models(db: Path, top: int = 4) -> list[tuple[str, float]]:
    """The slowest SQL models of the newest version (``meta.versions.model_timings``)."""
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute(
                "select model_timings from meta.versions order by version_id desc limit 1"
            ).fetchone()
    except duckdb.Error:
        return []
    timings = json.loads(row[0]) if row and row[0] else {}
    return sorted(timings.items(), key=lambda kv: -float(kv[1]))[:top]


def has_from_archive() -> bool:
    """Does ``jjj-etl run`` have ``--from-archive`` yet?"""
    out = subprocess.run([JJJ, "run", "--help"], capture_output=True, text=True, check=False)
    return "--from-archive" in out.stdout


@dataclass
class SizeResult:
    """Everything measured for one corpus size."""

    pages: int
    corpus: dict[str, Any] = field(default_factory=dict)
    e2e: dict[str, Any] = field(default_factory=dict)
    rerun: dict[str, Any] = field(default_factory=dict)
    archive: dict[str, Any] = field(default_factory=dict)
    plain: dict[str, Any] = field(default_factory=dict)
    floors: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    flow: dict[str, Any] = field(default_factory=dict)


def _proc_dict(p: Proc) -> dict[str, Any]:
    return {
        "wall": p.wall,
        "tree_peak_mb": p.tree_peak_mb,
        "maxrss_mb": p.maxrss_mb,
        "cpu": p.cpu_s,
        "started": p.started,
        "loadavg_after": os.getloadavg()[0],
    }


def _run_pair(
    n: int, i: int, cfg: Path, wh: Path, env: dict[str, str], srv: Any, timeout: float, work: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One full `jjj-etl run` on an empty warehouse, then its 304 rerun."""
    prefect_home = Path(env["PREFECT_HOME"])
    srv.stats(reset=True)
    e2e = cli_run(cfg, wh, env, timeout, work / f"e2e-{n}-{i}")
    full = {**_proc_dict(e2e), "http": srv.stats(reset=True), "prefect": "server"}
    full["summary"] = e2e.json()
    full["flow"] = flow_stage_times(prefect_home)
    full["slowest_models"] = slowest_models(wh / "jjj.duckdb")
    print(f"[{n}] e2e #{i + 1}: {full['wall']:.1f} s, {full['summary'].get('pages')}", flush=True)
    again = cli_run(cfg, wh, env, timeout, work / f"rerun-{n}-{i}")
    rerun = {**_proc_dict(again), "http": srv.stats(reset=True)}
    rerun["summary_pages"] = again.json().get("pages")
    rerun["flow"] = flow_stage_times(prefect_home)
    print(f"[{n}] 304 rerun #{i + 1}: {rerun['wall']:.1f} s {rerun['http']}", flush=True)
    return full, rerun


def _median_by_wall(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time (the lower middle one for an even count)."""
    return dict(sorted(runs, key=lambda r: r["wall"])[(len(runs) - 1) // 2])


def bench_size(  # noqa: PLR0915 - one measured sequence, top to bottom
    n: int, seed: int, work: Path, env: dict[str, str], inproc: bool, repeat: int = 3
) -> SizeResult:
    """Corpus, server, end-to-end run, 304 rerun, archive rerun, floors for one size."""
    res = SizeResult(n)
    info = generate(work / f"corpus-{n}", n, seed)
    res.corpus = {"seconds": info.seconds, "mb": info.bytes_total / 1e6, **info.counts}
    print(f"[{n}] corpus: {res.corpus}", flush=True)
    timeout = 600 + 0.5 * n  # generous, bounded
    wh = work / f"wh-{n}"
    shutil.rmtree(wh, ignore_errors=True)
    lifetime = 4 * timeout + 1200
    with (
        BenchServer(info.root, lifetime=lifetime) as srv,
        local_server(work / f"prefect-server-{n}.log", env) as api,
    ):
        served = {**env, "PREFECT_API_URL": api}  # as a scheduled deployment runs
        cfg = write_config(work / f"sources-{n}.toml", srv.base, n)
        pairs = []  # (full run, 304 rerun), each pair on a fresh warehouse
        for i in range(repeat):
            shutil.rmtree(wh, ignore_errors=True)
            pairs.append(_run_pair(n, i, cfg, wh, served, srv, timeout, work))
        full = _median_by_wall([p[0] for p in pairs])
        res.summary, res.flow = full.pop("summary"), full.pop("flow")
        res.e2e = {**full, "walls": sorted(p[0]["wall"] for p in pairs)}
        res.rerun = _median_by_wall([p[1] for p in pairs])
        res.rerun["walls"] = sorted(p[1]["wall"] for p in pairs)

        # the same rerun as a one-shot `jjj-etl run` with no PREFECT_API_URL: Prefect
        # starts its temporary server in the process
        oneshot = cli_run(cfg, wh, env, timeout, work / f"rerun-oneshot-{n}")
        res.rerun["oneshot"] = {**_proc_dict(oneshot), "http": srv.stats(reset=True)}
        print(f"[{n}] 304 rerun, temporary server: {oneshot.wall:.1f} s", flush=True)

        urls = info.urls()
        runs = 3 if n <= 20_000 else 1
        res.floors["httpx"] = {"seconds": median_of(runs, lambda: httpx_floor(srv.base, urls))}
        res.floors["httpx"]["pages"] = len(urls)
        res.floors["httpx"]["runs"] = runs
        srv.stats(reset=True)
        print(f"[{n}] httpx floor: {res.floors['httpx']}", flush=True)

        if inproc:
            archive_wh = work / f"wh-{n}-plain"
            shutil.rmtree(archive_wh, ignore_errors=True)
            p, out = worker(
                ["plain", "--config", str(cfg), "--warehouse", str(archive_wh)],
                env,
                timeout,
                work / f"plain-{n}",
            )
            res.plain = {**_proc_dict(p), **out}
            print(f"[{n}] plain pipeline: {p.wall:.1f} s", flush=True)
            p, out = worker(
                ["replay", "--config", str(cfg), "--warehouse", str(archive_wh)],
                env,
                timeout,
                work / f"replay-{n}",
            )
            res.archive = {"kind": "stages.py replay (fetch.replay + parse)", **_proc_dict(p)}
            res.archive.update(out)
            print(f"[{n}] archive replay+parse: {p.wall:.1f} s", flush=True)
        if has_from_archive():
            # a fresh warehouse holding only the raw archive: nothing staged, no parse cache
            arch_wh = work / f"wh-{n}-archive"
            shutil.rmtree(arch_wh, ignore_errors=True)
            arch_wh.mkdir()
            shutil.copytree(wh / "raw", arch_wh / "raw")
            srv.stats(reset=True)
            from_archive = ["--from-archive", "--full", "--json"]
            arch = run_proc(
                [JJJ, "run", "--config", str(cfg), "--warehouse", str(arch_wh), *from_archive],
                served,
                timeout,
                work / f"from-archive-{n}",
            )
            res.archive["cli"] = {**_proc_dict(arch), "rc": arch.rc, "http": srv.stats(True)}
            if arch.rc == 0:
                res.archive["cli"]["flow"] = flow_stage_times(Path(env["PREFECT_HOME"]))
                res.archive["cli"]["pages"] = arch.json().get("pages")
            shutil.rmtree(arch_wh, ignore_errors=True)
            print(f"[{n}] --from-archive --full: {arch.wall:.1f} s rc {arch.rc}", flush=True)
        else:
            res.archive["cli"] = "jjj-etl run --from-archive does not exist yet"

    files = [Path(info.root) / a.lstrip("/") for a in info.articles]
    bs_runs = 3 if n <= 2000 else repeat
    res.floors["bs4"] = {"seconds": median_of(bs_runs, lambda: bs_floor(files)), "runs": bs_runs}
    res.floors["bs4"]["pages"] = len(files)
    print(f"[{n}] bs4 floor: {res.floors['bs4']}", flush=True)
    db = wh / "jjj.duckdb"
    secs, rows = arrow_floor(db, work)
    res.floors["arrow"] = {"seconds": secs, "rows": rows, "runs": 3}
    secs, marts = copy_floor(db, work)
    res.floors["copy"] = {"seconds": secs, "marts": marts, "runs": 3}
    print(f"[{n}] arrow/copy floors: {res.floors['arrow']} {res.floors['copy']}", flush=True)
    return res


SCALE_BACKENDS = ("duckdb", "ducklake")


def lake_config(path: Path) -> Path:
    """The bench's config for a DuckLake warehouse: a DuckDB-file catalog and a local data
    folder (the defaults, inside the warehouse folder); the source is never crawled."""
    path.write_text(
        '[warehouse]\nbackend = "ducklake"\n\n'
        '[[sources]]\nname = "bench"\nstart_urls = ["http://127.0.0.1/index.html"]\n',
        encoding="utf-8",
    )
    return path


def bench_scale(
    src_wh: Path,
    factors: list[int],
    work: Path,
    env: dict[str, str],
    base_s: float,
    backends: tuple[str, ...] = SCALE_BACKENDS,
) -> list[Any]:
    """SQL build + export on copies of a warehouse grown ×factor with synthetic rows, on
    each backend: the single file (a copy of ``src_wh``'s ``jjj.duckdb``) and a DuckLake
    made from it (its staged rows copied into a new lake, see ``stages.py seed_lake``).

    ``base_s`` is what build → export cost at ×1 (the end-to-end run's stages); a factor whose
    linear projection from the backend's last measured size exceeds the budget is skipped,
    not run.  Factors go outer, so both backends are measured at ×10 before either at ×100.
    """
    out: list[Any] = []
    budget = 1200.0  # seconds per factor: bounded; a factor projected past it is skipped
    for factor in factors:
        for backend in backends:
            done = [o for o in out if "timings" in o and o["backend"] == backend]
            last = done[-1] if done else {"factor": 1, "timings": {"all": base_s}}
            spent = sum(v for k, v in last["timings"].items() if not k.startswith("grow"))
            projected = spent * factor / last["factor"]
            if projected > budget:
                out.append(
                    {
                        "factor": factor,
                        "backend": backend,
                        "error": f"skipped: projected {projected / 60:.0f} min from ×"
                        f"{last['factor']} (linear), over the {budget / 60:.0f} min budget",
                    }
                )
                continue
            out.append(_scale_one(src_wh, factor, backend, work, env, budget))
    return out


def _scale_one(
    src_wh: Path, factor: int, backend: str, work: Path, env: dict[str, str], budget: float
) -> dict[str, Any]:
    """One ``stages.py scale`` worker on a fresh warehouse of ``backend``; removed after."""
    name = f"scale-x{factor}" + ("-lake" if backend == "ducklake" else "")
    wh = work / name
    shutil.rmtree(wh, ignore_errors=True)
    wh.mkdir(parents=True)
    args = ["scale", "--warehouse", str(wh), "--factor", str(factor)]
    if backend == "ducklake":
        cfg = lake_config(work / "scale-lake.toml")
        args += ["--config", str(cfg), "--source", str(src_wh / "jjj.duckdb")]
    else:
        shutil.copy2(src_wh / "jjj.duckdb", wh / "jjj.duckdb")
    try:
        p, data = worker(args, env, budget, work / name)
        result = {"factor": factor, **_proc_dict(p), **data}
        print(f"[scale ×{factor} {backend}] {data['timings']}", flush=True)
    except RuntimeError as exc:
        result = {"factor": factor, "backend": backend, "error": failure_line(str(exc))}
        print(f"[scale ×{factor} {backend}] failed: {exc}", flush=True)
    shutil.rmtree(wh, ignore_errors=True)
    return result


_EXCEPTION_LINE = re.compile(r"[\w.]+(?:Error|Exception): ")


def failure_line(text: str, limit: int = 300) -> str:
    """A failed child's traceback as one table-cell line: its last exception line and what
    follows it (the message's own lines), not the tail of a long message (DuckDB ends its
    errors with advice, which says nothing of the cause)."""
    lines = text.splitlines()
    at = next((i for i in range(len(lines) - 1, -1, -1) if _EXCEPTION_LINE.match(lines[i])), None)
    kept = lines[at:] if at is not None else lines[-3:]
    return " ".join(" ".join(kept).replace("\\n", " ").split())[:limit]


def source_warehouse(n: int, seed: int, work: Path, env: dict[str, str]) -> tuple[Path, float]:
    """One ``jjj-etl run`` of the ``n``-page corpus (as ``bench_size`` makes it, with no
    rerun or floors), for ``--only scale``: the warehouse, and its begin → export seconds."""
    info = generate(work / f"corpus-{n}", n, seed)
    print(f"[{n}] corpus: {info.counts}", flush=True)
    timeout = 600 + 0.5 * n
    wh = work / f"wh-{n}"
    shutil.rmtree(wh, ignore_errors=True)
    with (
        BenchServer(info.root, lifetime=timeout + 600) as srv,
        local_server(work / f"prefect-server-{n}.log", env) as api,
    ):
        cfg = write_config(work / f"sources-{n}.toml", srv.base, n)
        run = cli_run(cfg, wh, {**env, "PREFECT_API_URL": api}, timeout, work / f"e2e-{n}")
        stages = flow_stage_times(Path(env["PREFECT_HOME"]))["stages"]
    print(f"[{n}] e2e: {run.wall:.1f} s, {run.json().get('pages')}", flush=True)
    base_s = sum(
        stages.get(k, {}).get("span", 0.0)
        for k in ("begin", "build", "test", "commit", "publish", "export")
    )
    return wh, base_s


# --------------------------------------------------------------------------- report


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str]:
    """Cores, CPU model, versions, date."""
    from importlib.metadata import version

    versions = {
        name: version(name) for name in ("jjj-etl", "prefect", "duckdb", "httpx", "pyarrow")
    }
    versions["bs4"] = version("beautifulsoup4")
    versions["lxml"] = version("lxml")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "mem_gb": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f}",
        "python": platform.python_version(),
        **versions,
    }


def _f(x: float, d: int = 1) -> str:
    return f"{x:,.{d}f}"


def stage_rows(r: SizeResult, overhead: dict[str, Any], startup: float) -> list[list[str]]:
    """One row per stage: jjj-etl's time, the floor, the ratio, the target."""
    st = r.flow["stages"]
    rows: list[list[str]] = []
    crawl = st.get("extract", {}).get("span", 0.0)
    hx = r.floors["httpx"]
    fetched = sum(r.summary.get("pages", {}).values())
    crawl_rate = fetched / crawl if crawl else 0.0
    floor_rate = hx["pages"] / hx["seconds"]
    rows.append(
        [
            "crawl (task `extract`)",
            f"{_f(crawl)} s = {_f(crawl_rate, 0)} pages/s",
            f"httpx loop: {_f(hx['seconds'])} s = {_f(floor_rate, 0)} pages/s",
            f"{crawl_rate / floor_rate:.2f}× the floor's rate",
            "≥ 0.7×",
            "met" if crawl_rate >= 0.7 * floor_rate else "**missed**",
        ]
    )
    parse = st.get("parse-batch", {}).get("span", 0.0)
    jobs = r.flow["stages"].get("parse-batch", {}).get("n", 0) * 50
    articles_parsed = min(jobs, r.pages) or r.pages
    bs = r.floors["bs4"]
    per_ours = 1000 * parse / articles_parsed
    per_bs = 1000 * bs["seconds"] / bs["pages"]
    rows.append(
        [
            "parse + figures (tasks `parse-batch`, span)",
            f"{_f(parse)} s = {_f(per_ours)} ms/page",
            f"BeautifulSoup+lxml: {_f(bs['seconds'])} s = {_f(per_bs)} ms/page",
            f"{per_ours / per_bs:.2f}× the floor's time",
            "≤ 2×",
            "met" if per_ours <= 2 * per_bs else "**missed**",
        ]
    )
    load = st.get("load", {}).get("span", 0.0)
    ar = r.floors["arrow"]
    load_rate, floor_rows = ar["rows"] / load if load else 0.0, ar["rows"] / ar["seconds"]
    rows.append(
        [
            "load into staging (task `load`)",
            f"{_f(load, 2)} s = {_f(load_rate, 0)} rows/s",
            f"Arrow insert: {_f(ar['seconds'], 2)} s = {_f(floor_rows, 0)} rows/s",
            f"{load_rate / floor_rows:.2f}× the floor's rate",
            "≥ 0.5×",
            "met" if load_rate >= 0.5 * floor_rows else "**missed**",
        ]
    )
    export = st.get("export", {}).get("span", 0.0)
    cp = r.floors["copy"]
    rows.append(
        [
            "export (task `export`)",
            f"{_f(export, 2)} s",
            f"COPY of {cp['marts']} marts: {_f(cp['seconds'], 2)} s",
            f"{export / cp['seconds']:.2f}× the floor's time",
            "(none)",
            "-",
        ]
    )
    rr = r.rerun["wall"] / r.e2e["wall"]
    rows.append(
        [
            "304-only rerun (2nd `jjj-etl run`)",
            f"{_f(r.rerun['wall'])} s ({r.rerun['http']})",
            f"full run: {_f(r.e2e['wall'])} s",
            f"{100 * rr:.0f} % of the full run",
            "≤ 10 %",
            "met" if rr <= 0.10 else "**missed**",
        ]
    )
    if r.archive.get("timings"):
        ap = r.archive["timings"]["parse"] + r.archive["timings"]["replay"]
        rows.append(
            [
                "archive re-parse, plain functions (`fetch.replay` + parse, no Prefect)",
                f"{_f(ap)} s ({r.archive['jobs']} pages)",
                f"full run's parse stage: {_f(parse)} s",
                f"{ap / parse:.2f}× the parse stage",
                "≤ 1×",
                "met" if ap <= parse else "**missed**",
            ]
        )
    cli = r.archive.get("cli")
    if isinstance(cli, dict) and cli.get("flow"):
        ast = cli["flow"]["stages"]
        ap = ast.get("extract", {}).get("span", 0.0) + ast.get("parse-batch", {}).get("span", 0.0)
        rows.append(
            [
                "archive re-parse (`jjj-etl run --from-archive --full` into a warehouse "
                "holding only `raw/`: replay + parse spans)",
                f"{_f(ap)} s (run wall {_f(cli['wall'])} s; HTTP requests: {cli['http'] or 0})",
                f"full run's parse stage: {_f(parse)} s",
                f"{ap / parse:.2f}× the parse stage",
                "≤ 1×",
                "met" if ap <= parse else "**missed**",
            ]
        )
    outside = prefect_outside(r)
    prefect_s = outside["prefect_s"] - startup  # minus a bare interpreter + imports start-up
    how = "run wall − time inside tasks − process start-up"
    if r.plain:
        prefect_s = r.e2e["wall"] - r.plain["wall"]
        how = "`jjj-etl run` wall − plain functions' wall"
    share = prefect_s / r.e2e["wall"]
    rows.append(
        [
            f"Prefect's share ({how})",
            f"{_f(prefect_s)} s of {_f(r.e2e['wall'])} s",
            f"{outside['n_tasks']} task runs × {_f(overhead['per_task_mapped_ms'])} ms "
            f"+ temp server {_f(overhead['first_flow_s'] - overhead['empty_flow_s'])} s",
            f"{100 * share:.0f} %",
            "≤ 10 %",
            "met" if share <= 0.10 else "**missed**",
        ]
    )
    return rows


def prefect_outside(r: SizeResult) -> dict[str, float]:
    """Run wall time not spent inside a stage: process start, temp server, task overheads."""
    st = r.flow["stages"]
    inside = sum(s["span"] for s in st.values())
    n_tasks = int(sum(s["n"] for s in st.values()))
    before = r.flow["flow_start"] - r.e2e.get("started", r.flow["flow_start"])
    return {
        "inside_s": inside,
        "prefect_s": r.e2e["wall"] - inside,
        "n_tasks": n_tasks,
        "before_flow_s": before,
    }


def _disk(s: dict[str, Any]) -> str:
    """Bytes on disk of a scale run: the file, or a lake's catalog + data files."""
    disk = s.get("disk") or {}
    if "catalog" not in disk:
        return f"{s['db_bytes'] / 1e9:.2f} GB"
    return (
        f"{s['db_bytes'] / 1e9:.2f} GB (catalog {disk['catalog'] / 1e6:.1f} MB "
        f"+ {disk['data_files']:,} data files)"
    )


def _scale_lines(scale: list[Any]) -> list[str]:
    """The growth table of the SQL build and export, both backends side by side."""
    lines: list[str] = []
    if not scale:
        return lines
    lines += [
        "\n### SQL build and export as rows grow (synthetic copies of the largest run)\n",
        "Copy *k* of each staged article is the same text *k* years earlier (new id and "
        "URL, dates and periods shifted), inserted straight into `staging.*`; then the "
        "plain functions begin → build → test → commit → publish → export run with timers "
        "(`bench/stages.py scale`).  Peak RSS is the process's from begin to export "
        "(the kernel's mark is reset after the synthetic rows are inserted).  "
        "*duckdb*: a copy of the run's `jjj.duckdb`, grown in place; begin copies it to the "
        "working file, publish checkpoints and renames it back.  *ducklake*: a new DuckLake "
        '(`[warehouse] backend = "ducklake"`: DuckDB-file catalog, local data folder) whose '
        "first snapshot holds the same staged rows (the file attached read-only inside the "
        "write window), then an ordinary `build` (version 1, as the file holds), then the "
        "synthetic copies in a second write window (a snapshot), all untimed; in the timed "
        "window begin opens the transaction and commit commits one snapshot (with the "
        "default maintenance after it); nothing is copied or renamed.  Size on disk: the "
        "file; for the lake its catalog file plus every data file (those of the older "
        "snapshots too, none expired yet).\n",
        "| rows | backend | articles | figures | begin | build | test | commit(+publish) "
        "| export | peak RSS | size on disk | load after | slowest models |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {b: i for i, b in enumerate(SCALE_BACKENDS)}
    rows = sorted(scale, key=lambda s: (s["factor"], order.get(s.get("backend", "duckdb"), 9)))
    for s in rows:
        backend = s.get("backend", "duckdb")
        if "error" in s:
            why = " ".join(s["error"][-300:].split()).replace("|", "/")
            lines.append(f"| ×{s['factor']} | {backend} | {why} |||||||||||")
            continue
        t = s["timings"]
        staged = s["staged"] or {"articles": "-", "figures": "-"}
        slow = ", ".join(f"{m} {_f(v, 1)} s" for m, v in s["slowest_models"])
        commit = _f(t["commit"]) + (f" + {_f(t['publish'])}" if "publish" in t else "")
        lines.append(
            f"| ×{s['factor']} | {backend} | {staged['articles']:,} | {staged['figures']:,} "
            f"| {_f(t['begin'])} s | {_f(t['build'])} s | {_f(t['test'])} s "
            f"| {commit} s | {_f(t.get('export', 0.0))} s "
            f"| {_f(s.get('peak_rss_mb', s['tree_peak_mb']), 0)} MB "
            f"| {_disk(s)} | {s.get('loadavg_after', float('nan')):.1f} | {slow} |"
        )
    lines += _scale_costs(rows)
    return lines


def _scale_costs(rows: list[Any]) -> list[str]:
    """What the file's copy costs that the lake saves, and what a snapshot commit costs."""
    out = []
    for factor in sorted({s["factor"] for s in rows}):
        got = {s.get("backend", "duckdb"): s for s in rows if s["factor"] == factor}
        f, lk = got.get("duckdb"), got.get("ducklake")
        if not (f and lk and "timings" in f and "timings" in lk):
            continue
        ft, lt = f["timings"], lk["timings"]
        copy_s = ft["begin"] + ft.get("publish", 0.0)
        file_all = sum(ft.get(k, 0.0) for k in ("begin", "build", "test", "commit", "publish"))
        lake_all = sum(lt.get(k, 0.0) for k in ("begin", "build", "test", "commit"))
        out.append(
            f"×{factor}: the file's begin + publish (copy of the {f['db_bytes'] / 1e9:.2f} GB "
            f"file, checkpoint, rename) cost {_f(copy_s)} s and a second "
            f"{f['db_bytes'] / 1e9:.2f} GB of disk while the window is open; the lake copies "
            f"and renames nothing (its begin, attaching the catalog and opening the "
            f"transaction, {_f(lt['begin'], 2)} s).  Its snapshot "
            f"commit (the version's rows, one catalog commit, maintenance) costs "
            f"{_f(lt['commit'], 2)} s against the file's commit {_f(ft['commit'])} s (version "
            f"rows, `history.*` tables, checkpoint).  Begin → export in all: file "
            f"{_f(file_all + ft.get('export', 0.0))} s, lake "
            f"{_f(lake_all + lt.get('export', 0.0))} s.\n"
        )
    return ["", *out] if out else []


def _oneshot(r: SizeResult) -> str:
    one = r.rerun.get("oneshot")
    return f"{_f(one['wall'])} s, {_f(one['tree_peak_mb'], 0)} MB" if one else "-"


def render(meta: dict[str, str], sizes: list[SizeResult], scale: list[Any], overhead: Any) -> str:
    """The markdown section appended to BENCHMARKS.md."""
    lines = [
        f"\n## End to end, {meta['date']}\n",
        f"Machine: {meta['cores']} cores × {meta['cpu']}, {meta['mem_gb']} GB RAM. "
        f"Python {meta['python']}, jjj-etl {meta['jjj-etl']}, prefect {meta['prefect']}, "
        f"duckdb {meta['duckdb']}, httpx {meta['httpx']}, pyarrow {meta['pyarrow']}, "
        f"bs4 {meta['bs4']}, lxml {meta['lxml']}.  "
        "Command: `.venv/bin/python bench/run.py "
        f"--pages {','.join(str(s.pages) for s in sizes)}`.\n",
        "Corpus: `bench/corpus.py` (seed 7), served by `bench/server.py` on 127.0.0.1 "
        f"(ETag/Last-Modified/304); crawl concurrency {CONCURRENCY}, 1000 requests/s allowed.  "
        "Every `jjj-etl run` below talks to one long-lived `prefect server` (`PREFECT_API_URL`), "
        "as scheduled runs do; the one-shot rerun starts Prefect's temporary server itself.\n",
        "\n### Runs\n",
        "| pages | corpus | `jjj-etl run` wall | peak RSS (tree / largest process) "
        "| 304 rerun wall | rerun peak RSS | 304 rerun, one-shot (temporary server) "
        "| articles / figures / observations | 1-min load avg after run / rerun |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sizes:
        s = r.summary
        lines.append(
            f"| {r.pages:,} | {r.corpus['mb']:.0f} MB, {r.corpus['listings']} listings, "
            f"{r.corpus['zh']} zh ({r.corpus['gb18030']} GB18030), "
            f"{r.corpus['off_topic']} off-topic | {_f(r.e2e['wall'])} s "
            f"| {_f(r.e2e['tree_peak_mb'], 0)} / {_f(r.e2e['maxrss_mb'], 0)} MB "
            f"| {_f(r.rerun['wall'])} s | {_f(r.rerun['tree_peak_mb'], 0)} / "
            f"{_f(r.rerun['maxrss_mb'], 0)} MB | {_oneshot(r)} "
            f"| {s.get('articles')} / {s.get('figures')} / "
            f"{s.get('observations')} | {r.e2e.get('loadavg_after', float('nan')):.1f} / "
            f"{r.rerun.get('loadavg_after', float('nan')):.1f} |"
        )
    lines.append(
        "\nPeak RSS: *tree* = the highest sum of RSS over `jjj-etl` and its children "
        "(sampled every 0.1 s; the parse workers and, for a one-shot run, Prefect's temporary "
        "server), *largest process* = `ru_maxrss` from `wait4` (the largest of `jjj-etl` and "
        "the children it waited for).  Each size ran a full run and its 304 rerun "
        f"{len(sizes[0].e2e.get('walls') or [0])} time(s), each pair on an empty warehouse; "
        "the row (and every stage below) is the run with the median wall time, "
        "and the floors are medians of 3 runs unless marked.  A load average above 2 (the core "
        "count) means something else was running on the machine during the measurement.\n"
    )
    walls = [
        f"{r.pages:,} pages: full runs {' / '.join(_f(w) for w in r.e2e.get('walls', []))} s, "
        f"304 reruns {' / '.join(_f(w) for w in r.rerun.get('walls', []))} s"
        for r in sizes
        if r.e2e.get("walls")
    ]
    if walls:
        lines.append("Every run's wall time: " + "; ".join(walls) + ".\n")
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        ratio = big.e2e["maxrss_mb"] / small.e2e["maxrss_mb"]
        tree = big.e2e["tree_peak_mb"] / small.e2e["tree_peak_mb"]
        verdict = "met" if ratio <= 1.5 else "**missed**"
        lines.append(
            f"Memory target (peak RSS at {big.pages:,} pages ≤ 1.5× at {small.pages:,}): "
            f"largest process {_f(big.e2e['maxrss_mb'], 0)} / {_f(small.e2e['maxrss_mb'], 0)} MB "
            f"= {ratio:.2f}× ({verdict}); whole tree {tree:.2f}×.\n"
        )
    with_plain = [r for r in sizes if r.plain]
    startup = (
        with_plain[0].plain["wall"] - with_plain[0].plain["timings"]["total"] if with_plain else 0.0
    )
    for r in sizes:
        lines += [
            f"\n### {r.pages:,} pages: stages against their floors\n",
            "| stage | jjj-etl | floor (same data, same run) | ratio | target | |",
            "|---|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in stage_rows(r, overhead, startup)]
        st = r.flow["stages"]
        detail = ", ".join(
            f"{k} {_f(v['span'], 2)} s" + (f" ({int(v['n'])} tasks)" if v["n"] > 1 else "")
            for k, v in st.items()
        )
        out = prefect_outside(r)
        slow = ", ".join(f"{m} {_f(float(v), 1)} s" for m, v in r.e2e.get("slowest_models", []))
        if slow:
            lines.append(f"\nSlowest SQL models in this run (`meta.versions`): {slow}.")
        lines.append(
            f"\nStage spans from the flow's task runs: {detail}.  Outside any task: "
            f"{_f(out['prefect_s'])} s, of which {_f(out['before_flow_s'])} s before the flow "
            "started (interpreter, imports, the flow run's API calls).  "
            f"bs4 floor runs: {r.floors['bs4']['runs']}; httpx floor runs: "
            f"{r.floors['httpx']['runs']}.  HTTP statuses served, full run: {r.e2e['http']}; "
            f"rerun: {r.rerun['http']}.\n"
        )
        if r.plain:
            t = r.plain["timings"]
            detail = ", ".join(f"{k} {_f(v, 2)} s" for k, v in t.items() if k != "total")
            lines.append(
                f"Plain pipeline functions, no Prefect (`bench/stages.py plain`, fresh "
                f"warehouse): {_f(r.plain['wall'])} s wall ({_f(t['total'])} s in the "
                f"functions: {detail}); peak RSS {_f(r.plain['tree_peak_mb'], 0)} MB.  "
                f"`jjj-etl run` took {_f(r.e2e['wall'])} s: Prefect and process start-up "
                f"cost {_f(r.e2e['wall'] - r.plain['wall'])} s "
                f"({100 * (r.e2e['wall'] - r.plain['wall']) / r.e2e['wall']:.0f} %).\n"
            )
        cli = r.archive.get("cli")
        if isinstance(cli, str):
            lines.append(f"Rerun from the archive with `jjj-etl run`: {cli}.\n")
        elif cli:
            lines.append(
                f"`jjj-etl run --from-archive --full`: {_f(cli['wall'])} s wall, rc {cli['rc']}, "
                f"pages {cli.get('pages')}, peak RSS {_f(cli['tree_peak_mb'], 0)} MB (tree).\n"
            )
    lines += [
        "\n### Prefect per-task overhead\n",
        f"`bench/stages.py prefect --tasks {overhead['tasks']}` (median of 3): first flow in a "
        f"process {_f(overhead['first_flow_s'])} s (starts the temporary server), an empty flow "
        f"{_f(overhead['empty_flow_s'], 2)} s, a trivial task "
        f"{_f(overhead['per_task_called_ms'])} ms called / "
        f"{_f(overhead['per_task_mapped_ms'])} ms mapped.\n",
    ]
    lines += _scale_lines(scale)
    return "\n".join(lines) + "\n"


def scale_only(
    n: int,
    seed: int,
    factors: list[int],
    backends: tuple[str, ...],
    work: Path,
    env: dict[str, str],
    *,
    keep: bool,
) -> str:
    """``--only scale``: one run of the ``n``-page corpus, then the growth table alone."""
    meta = machine()
    load_before = os.getloadavg()
    try:
        src, base_s = source_warehouse(n, seed, work, env)
        scale = bench_scale(src, factors, work, env, base_s, backends)
        (work / "results.json").write_text(
            json.dumps({"meta": meta, "scale": scale, "base_s": base_s}, default=str)
        )
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    lines = [
        f"\n## SQL build and export on both warehouse backends, {meta['date']}\n",
        f"Machine: {meta['cores']} cores × {meta['cpu']}, {meta['mem_gb']} GB RAM; load "
        f"average (1/5/15 min) {' / '.join(f'{x:.1f}' for x in load_before)} at the start, "
        f"{' / '.join(f'{x:.1f}' for x in load_after)} at the end (another engineer's test "
        "suites shared the 2 cores; above 2, timings are stretched).  "
        f"Python {meta['python']}, jjj-etl {meta['jjj-etl']}, duckdb {meta['duckdb']}.  "
        f"Command: `.venv/bin/python bench/run.py --only scale --pages {n} "
        f"--scale {','.join(map(str, factors))}`: one `jjj-etl run` of the {n:,}-page "
        "corpus (seed "
        f"{seed}; its begin → export {_f(base_s)} s is the ×1 of the budget projection), "
        "none of the end-to-end repeats, reruns or floors.\n",
    ]
    return "\n".join(lines + _scale_lines(scale)) + "\n"


def _args() -> tuple[argparse.Namespace, tuple[str, ...]]:
    """The command line, and the backends it names."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default="1000,10000", help="comma-separated corpus sizes")
    ap.add_argument("--quick", action="store_true", help="one size of 200 pages, scale ×2")
    ap.add_argument("--scale", default="2,10,100", help="row factors for the SQL build/export")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--no-append", action="store_true", help="print, don't touch BENCHMARKS.md")
    ap.add_argument("--render", default=None, help="only re-render a kept results.json")
    ap.add_argument(
        "--repeat", type=int, default=3, help="full run + 304 rerun pairs per size (median)"
    )
    ap.add_argument(
        "--only",
        choices=["scale"],
        default=None,
        help="scale: only the SQL build/export growth, on one `jjj-etl run` of the largest size",
    )
    ap.add_argument(
        "--backends",
        default=",".join(SCALE_BACKENDS),
        help="warehouse backends the growth is measured on",
    )
    args = ap.parse_args()
    backends = tuple(b for b in args.backends.split(",") if b)
    if not set(backends) <= set(SCALE_BACKENDS):
        ap.error(f"--backends: choose from {', '.join(SCALE_BACKENDS)}")
    return args, backends


def main() -> None:
    """Run the benchmark and append the results to BENCHMARKS.md."""
    args, backends = _args()
    if args.render:
        saved = json.loads(Path(args.render).read_text(encoding="utf-8"))
        results = [SizeResult(**x) for x in saved["sizes"]]
        print(render(saved["meta"], results, saved["scale"], saved["overhead"]))
        return
    sizes = [200] if args.quick else [int(x) for x in args.pages.split(",") if x]
    factors = [2] if args.quick else [int(x) for x in args.scale.split(",") if x]
    work = Path(args.work or tempfile.mkdtemp(prefix="jjj-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = child_env(work / "prefect-home")
    started = time.perf_counter()
    if args.only == "scale":
        text = scale_only(max(sizes), args.seed, factors, backends, work, env, keep=args.keep)
        text += f"\nWhole benchmark: {(time.perf_counter() - started) / 60:.1f} min.\n"
        print(text)
        if not args.no_append:
            with (REPO / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
                fh.write(text)
        return
    try:
        meta = machine()
        _, overhead = worker(["prefect", "--tasks", "200"], env, 600, work / "prefect")
        print(f"prefect overhead: {overhead}", flush=True)
        results = []
        for i, n in enumerate(sorted(sizes)):
            repeat = 1 if args.quick else max(1, args.repeat)
            results.append(bench_size(n, args.seed, work, env, inproc=(i == 0), repeat=repeat))
        big = results[-1].flow["stages"]
        base_s = sum(
            big.get(k, {}).get("span", 0.0)
            for k in ("begin", "build", "test", "commit", "publish", "export")
        )
        scale = (
            bench_scale(work / f"wh-{max(sizes)}", factors, work, env, base_s, backends)
            if factors
            else []
        )
        text = render(meta, results, scale, overhead)
        text += f"\nWhole benchmark: {(time.perf_counter() - started) / 60:.1f} min.\n"
        (work / "results.json").write_text(
            json.dumps(
                {
                    "meta": meta,
                    "sizes": [r.__dict__ for r in results],
                    "scale": scale,
                    "overhead": overhead,
                },
                default=str,
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(text)
    if not args.no_append:
        with (REPO / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
