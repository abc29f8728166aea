"""The SQL models runner: discover ``sql/``, build in dependency order, run data tests.

>>> from jjj_etl.runner import default_sql_dir, discover
>>> [m.name for m in discover(default_sql_dir())][:1]
['stg_articles']
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from jjj_etl.errors import BuildError, DataTestError
from jjj_etl.runner._checks import DataTest, TestResult, run_tests, sql_tests, yaml_tests
from jjj_etl.runner._dag import Model, discover, select_models, table_refs
from jjj_etl.runner._docs import ModelDoc, comment_model, model_docs
from jjj_etl.runner._execute import build_model, load_seeds

__all__ = [
    "BuildResult",
    "DataTest",
    "Model",
    "ModelDoc",
    "TestResult",
    "build",
    "check",
    "default_sql_dir",
    "discover",
    "mart_names",
    "model_docs",
    "run_checks",
    "select_models",
    "sql_checksum",
    "table_refs",
]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Models built (name → seconds) and seed row counts."""

    timings: tuple[tuple[str, float], ...]
    seeds: tuple[tuple[str, int], ...]


def default_sql_dir() -> Path:
    """``sql/`` shipped in the wheel, else the checkout's ``sql/``."""
    packaged = Path(__file__).resolve().parent.parent / "_sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "sql"


def mart_names(sql_dir: Path) -> list[str]:
    """Names of the models in ``sql/marts`` (what is versioned and exported)."""
    return [m.name for m in discover(sql_dir) if m.layer == "marts"]


def sql_checksum(sql_dir: Path, pattern: str = "**/*.sql") -> str:
    """sha256 over the files matched under ``sql_dir`` (names and bytes), stable order."""
    digest = hashlib.sha256()
    for path in sorted(sql_dir.glob(pattern)):
        digest.update(str(path.relative_to(sql_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(
    con: duckdb.DuckDBPyConnection,
    sql_dir: Path,
    select: Sequence[str] = (),
    *,
    checkpoint: bool = True,
) -> BuildResult:
    """Load seeds and build every model in dependency order, checkpointing after each; with
    ``select``, only the models it names (:func:`select_models`: ``NAME``, ``NAME+``, ``+NAME``).

    Each model is its own transaction, written out before the next starts, so a build under
    a DuckDB memory cap needs room for its largest model, not for all of them (one
    transaction for the whole build keeps every model's blocks until the end).
    A failed build therefore leaves the models before it: build in a working copy and discard
    it on failure, as the pipeline does (:func:`jjj_etl.pipeline.build_models`).

    ``checkpoint=False`` builds inside the caller's open transaction (a DuckLake run: the
    whole run is one snapshot, and CHECKPOINT on a lake would run its maintenance).

    Every model and column gets its comment from the YAML beside it (:func:`model_docs`).

    Raises BuildError naming the model file on the first SQL error, UsageError on a
    selector that names no model.
    """
    models = discover(sql_dir)
    if select:
        models = select_models(models, select)
    docs = model_docs(sql_dir)
    seeds = load_seeds(con, sql_dir)
    timings = []
    for model in models:
        timings.append((model.name, _build_within_memory(con, model, retry=checkpoint)))
        try:
            comment_model(con, model, docs.get(model.name), own=checkpoint)
        except duckdb.Error as exc:
            raise BuildError(str(model.path), f"cannot write its comments: {exc}") from exc
        if checkpoint:
            con.execute("checkpoint")
    return BuildResult(tuple(timings), tuple(sorted(seeds.items())))


def _build_within_memory(
    con: duckdb.DuckDBPyConnection, model: Model, *, retry: bool = True
) -> float:
    """Build ``model``; when it runs out of memory, once more on one DuckDB thread.

    Under a memory cap each thread holds its own partitions of a join or aggregate, so a
    model that runs out of memory on several threads can complete on one.  The failed
    statement left nothing behind (it was its own transaction).  A second failure raises,
    naming the cap.

    ``retry=False`` inside the caller's transaction (a DuckLake run): the failure has aborted
    that transaction, so no retry can run; the error names the cap to raise instead.
    """
    try:
        return build_model(con, model)
    except BuildError as exc:
        if not isinstance(exc.__cause__, duckdb.OutOfMemoryException) or not retry:
            raise
        threads = _threads(con)
        if threads <= 1:
            raise
    con.execute("set threads = 1")
    try:
        return build_model(con, model)
    finally:
        con.execute(f"set threads = {threads}")


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("select current_setting('threads')").fetchone()
    return int(row[0]) if row else 1


def run_checks(con: duckdb.DuckDBPyConnection, sql_dir: Path) -> list[TestResult]:
    """Run every data test (YAML column tests, then ``sql/tests``); raises nothing, a test
    whose SQL fails counts as a failing blocking test."""
    tests: list[DataTest] = [*yaml_tests(sql_dir), *sql_tests(sql_dir)]
    return run_tests(con, tests)


def check(con: duckdb.DuckDBPyConnection, sql_dir: Path) -> list[TestResult]:
    """Run all data tests; raise DataTestError when a blocking one fails.

    Returns every result (warnings included) when nothing blocks.
    """
    results = run_checks(con, sql_dir)
    blocking = {r.name: list(r.rows) for r in results if r.severity == "error" and not r.passed}
    if blocking:
        raise DataTestError(blocking)
    return results
