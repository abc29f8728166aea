"""Benchmark workers, each run by ``bench/run.py`` in a fresh subprocess (its own peak RSS).

    python bench/stages.py plain --config CFG --warehouse DIR      # the pipeline without Prefect
    python bench/stages.py replay --config CFG --warehouse DIR     # archive → parse, no network
    python bench/stages.py scale --warehouse DIR --factor 10       # synthetic rows → build/export
    python bench/stages.py scale --warehouse DIR --factor 10 --config LAKE.toml --source FILE
                                                                   # the same on a new DuckLake
    python bench/stages.py prefect --tasks 200                     # Prefect's per-task overhead

Each prints one JSON object on its last stdout line: seconds per stage and counts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jjj_etl.pipeline._window import Timings
from jjj_etl.pipeline._window import timed as _timed  # the pipeline's own step timer


def plain(config: str, warehouse: str) -> dict[str, Any]:
    """One run of the pipeline object without Prefect (``Pipeline.run``), timed per step."""
    from jjj_etl.pipeline import Pipeline

    t: Timings = {}
    with _timed(t, "total"):
        pipe = Pipeline.open(config, warehouse)
        summary = pipe.run()
    return {
        "timings": {**pipe.timings, **t},
        "pages": sum(summary.pages.values()),
        "articles": summary.articles,
        "figures": summary.figures,
        "version": summary.version,
    }


def replay(config: str, warehouse: str) -> dict[str, Any]:
    """Re-parse from the raw archive with no network: the pipeline's extract (replaying its
    archive) and parse steps, timed, nothing loaded."""
    from jjj_etl.pipeline import Pipeline, read_results
    from jjj_etl.workers import close_pool

    pipe = Pipeline.open(config, warehouse)
    shutil.rmtree(pipe.paths.parsed, ignore_errors=True)  # measure parsing, not the cache
    run = pipe.start(from_archive=True)
    try:
        pages = [p for s in run.sources for p in pipe.extract(run, s)]
        batches = pipe.plan(run, pages)
        folders = pipe.parse_all(batches)  # on every parse worker, as a run parses
    finally:
        close_pool()
    results = [r for f in folders for r in read_results(f)]
    return {
        "timings": {"replay": pipe.timings["extract"], "parse": pipe.timings.get("parse", 0.0)},
        "pages": len(pages),
        "jobs": sum(len(b) for b in batches),
        "articles": sum(r.article_id is not None for r in results),
        "figures": sum(r.n_figures for r in results),
    }


_SHIFT = "cast(cast(left(x, 4) as integer) - _k as varchar) || substr(x, 5)"


def _shift(col: str) -> str:
    """SQL shifting every year in an ISO period/date string back by ``_k`` years."""
    return (
        f"case when {col} is null or not regexp_matches({col}, '^\\d{{4}}') then {col} "
        f"else array_to_string(list_transform(string_split({col}, '/'), x -> {_SHIFT}), '/') end"
    )


def grow(warehouse: str, factor: int) -> dict[str, int]:
    """Multiply the single file's staged articles and figures by ``factor`` (see
    :func:`grow_rows`), written straight into ``jjj.duckdb`` and checkpointed."""
    import duckdb

    from jjj_etl.warehouse import paths

    db = str(paths(warehouse).db)
    with duckdb.connect(db) as con:
        con.execute("begin")
        grow_rows(con, factor)
        con.execute("commit")
        counts = staged_counts(con)
        con.execute("checkpoint")
    return counts


def grow_rows(con: Any, factor: int) -> None:
    """Insert ``factor - 1`` synthetic copies of every staged article and its figures.

    Copy ``k`` of an article is the same text published ``k`` years earlier (new article id
    and URL; published date and every figure period shifted by ``k`` years), so series grow
    the way a longer history grows them and no series gets ``factor`` times as many sources.
    Runs in the caller's transaction, on a file or a lake alike.
    """
    copies = "(select range as _k from range(1, $factor)) as c"
    con.execute(
        f"""insert into staging.articles by name
        select left(md5(a.article_id || ':' || _k), 16) as article_id,
               a.url || '?copy=' || _k as url,
               a.canonical_url || '?copy=' || _k as canonical_url,
               a.title, {_shift("a.published")} as published, a.lang, a.source, a.body,
               a.content_sha256, a.parser_version, a.staged_run_id, a.staged_at
        from staging.articles a, {copies}
        order by a.article_id, _k""",
        {"factor": factor},
    )
    con.execute(
        f"""insert into staging.figures by name
        select f.* replace (
                   left(md5(f.article_id || ':' || _k), 16) as article_id,
                   {_shift("f.period")} as period)
        from staging.figures f, {copies}
        order by f.article_id, _k, f.figure_index""",
        {"factor": factor},
    )


def staged_counts(con: Any) -> dict[str, int]:
    """Rows per staging table."""
    return {
        t: int(con.execute(f"select count(*) from staging.{t}").fetchone()[0])
        for t in ("articles", "figures", "pages")
    }


def seed_lake(config: str, warehouse: str, source_db: str, factor: int) -> dict[str, int]:
    """A lake warehouse equivalent to the single-file ``source_db``, grown ×``factor``.

    The lake gets the file's ``staging.*`` rows (the file attached read-only inside the
    window's transaction), then one ordinary ``build`` (version 1, as the file holds one),
    then the synthetic copies in a transaction of their own: each is one snapshot, so the grown
    rows are in the lake's data files before the timed window opens, as they are in the file.
    """
    from jjj_etl import lake, staging
    from jjj_etl.config import load_config
    from jjj_etl.pipeline import Pipeline

    pipe = Pipeline(load_config(config), warehouse)
    with pipe.write_window() as window, window.connect() as con:
        staging.ensure_schema(con)
        quoted = source_db.replace("'", "''")  # ATTACH takes no parameters
        con.execute(f"attach '{quoted}' as src (read_only)")
        tables = con.execute(
            "select table_name from duckdb_tables() where database_name = 'src' "
            "and schema_name = 'staging' order by table_name"
        ).fetchall()
        for (table,) in tables:
            con.execute(f"insert into staging.{table} by name select * from src.staging.{table}")
    pipe.rebuild()
    # The grow is setup: like the file's (a plain connection), it runs without the run's
    # memory cap, which the ordered insert of millions of copies into a lake exceeds.
    con = lake.connect(pipe.backend, read_only=False)
    try:
        con.execute("begin transaction")
        if factor > 1:
            grow_rows(con, factor)
        lake.tag_commit(con, None, "bench-grow")
        con.execute("commit")
        return staged_counts(con)
    finally:
        con.close()


def disk_bytes(warehouse: str) -> dict[str, int]:
    """Bytes on disk of a warehouse's versions: the DuckDB file, or a lake's catalog file
    plus every data file (also those of the older snapshots it keeps)."""
    from jjj_etl.warehouse import paths

    wp = paths(warehouse)
    backend = wp.backend
    if not backend.is_lake:
        return {"db": wp.db.stat().st_size}
    catalog = Path(backend.catalog)
    data = [f for f in Path(backend.data_path).rglob("*") if f.is_file()]
    return {
        "catalog": sum(f.stat().st_size for f in catalog.parent.glob(catalog.name + "*")),
        "data": sum(f.stat().st_size for f in data),
        "data_files": len(data),
    }


def scale(
    warehouse: str, factor: int, config: str | None = None, source: str | None = None
) -> dict[str, Any]:
    """Synthetic rows × ``factor``, then build → test → commit → publish → export, timed.

    With ``source`` (a single-file ``jjj.duckdb``) and a ``config`` whose ``[warehouse]``
    says ``backend = "ducklake"``, the warehouse is first made a lake copy of it
    (:func:`seed_lake`); otherwise ``warehouse`` already holds the file copy.
    """
    from jjj_etl.config import load_config
    from jjj_etl.export import read_manifest
    from jjj_etl.pipeline import Pipeline

    t: Timings = {}
    with _timed(t, "grow (untimed setup)"):
        if source is not None:
            counts = seed_lake(str(config), warehouse, source, factor)
        else:
            counts = grow(warehouse, factor) if factor > 1 else {}
    grown_mb = _reset_peak_rss()  # the peak below is begin → export alone, not the setup
    pipe = Pipeline(load_config(config), warehouse)  # its own timings: the window's alone
    with pipe.write_window() as window:
        model_timings = window.build()
        window.test()
        window.commit(kind="bench-scale")
    version = window.version
    folder = pipe.export(version) if version is not None else None
    t.update(pipe.timings)
    rows = {}
    if folder:
        manifest = read_manifest(Path(folder))
        rows = {k: v.get("rows", 0) for k, v in manifest["tables"].items()}
    slowest = sorted(model_timings.items(), key=lambda kv: -kv[1])[:4]
    disk = disk_bytes(warehouse)
    return {
        "backend": pipe.backend.kind,
        "timings": t,
        "staged": counts,
        "version": version,
        "exported": folder is not None,
        "mart_rows": rows,
        "slowest_models": slowest,
        "db_bytes": sum(v for k, v in disk.items() if k != "data_files"),
        "disk": disk,
        "peak_rss_mb": _peak_rss_mb(),
        "grow_peak_rss_mb": grown_mb,
    }


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM) since start or the last reset, in MB."""
    return _status_kb("VmHWM") / 1024


def _reset_peak_rss() -> float:
    """Reset the kernel's peak-RSS mark (``5`` to ``/proc/self/clear_refs``); returns the peak
    before the reset."""
    before = _peak_rss_mb()
    with open("/proc/self/clear_refs", "w") as f:  # noqa: PTH123 - a proc control file
        f.write("5")
    return before


def prefect_overhead(n: int) -> dict[str, Any]:
    """Per-task cost of Prefect 3: a flow with ``n`` trivial task runs, called and mapped."""
    from prefect import flow, task

    @task
    def noop(x: int) -> int:
        return x

    @flow
    def empty() -> int:
        return 0

    @flow
    def called(k: int) -> int:
        return sum(noop(i) for i in range(k))

    @flow
    def mapped(k: int) -> int:
        return sum(noop.map(range(k)).result())

    def clock(fn: Callable[[], object]) -> float:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    first = clock(empty)  # starts the temporary server
    base = min(clock(empty) for _ in range(3))
    call = sorted(clock(lambda: called(n)) for _ in range(3))[1]
    mapd = sorted(clock(lambda: mapped(n)) for _ in range(3))[1]
    return {
        "tasks": n,
        "first_flow_s": first,
        "empty_flow_s": base,
        "per_task_called_ms": 1000 * (call - base) / n,
        "per_task_mapped_ms": 1000 * (mapd - base) / n,
    }


def main() -> None:
    """Command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("plain", "replay"):
        p = sub.add_parser(name)
        p.add_argument("--config", required=True)
        p.add_argument("--warehouse", required=True)
    p = sub.add_parser("scale")
    p.add_argument("--warehouse", required=True)
    p.add_argument("--factor", type=int, default=1)
    p.add_argument("--config", default=None, help="a sources.toml (default: the bundled one)")
    p.add_argument("--source", default=None, help="a jjj.duckdb to copy into a new lake")
    p = sub.add_parser("prefect")
    p.add_argument("--tasks", type=int, default=200)
    args = ap.parse_args()
    if args.cmd == "plain":
        out = plain(args.config, args.warehouse)
    elif args.cmd == "replay":
        out = replay(args.config, args.warehouse)
    elif args.cmd == "scale":
        out = scale(args.warehouse, args.factor, args.config, args.source)
    else:
        out = prefect_overhead(args.tasks)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
