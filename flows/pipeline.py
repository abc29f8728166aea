"""The jjj-etl pipeline flow: extract → parse → load → build → test → commit → publish → export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import tasks
from jjj_etl import pipeline
from jjj_etl.config import load_config
from jjj_etl.errors import RunError
from jjj_etl.records import FetchedPage
from jjj_etl.warehouse import memory_limit, paths, writer_lock
from jjj_etl.workers import close_pool

T = TypeVar("T")

PARSE_BATCH_SIZE = 50
"""Pages per parse task: Prefect costs ~5 ms per task run against ~4 ms of parsing per page
(BENCHMARKS.md), so 50 pages keep orchestration near 2 % of the parse stage."""


# Parse tasks only wait on worker processes (jjj_etl.workers), so their threads cost little;
# four keep the crawl of a few sources concurrent and every parse worker fed.
MAX_TASK_THREADS = 4


@flow(
    name="jjj-pipeline",
    log_prints=True,
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_TASK_THREADS),  # type: ignore[arg-type]
)
def jjj_pipeline(
    config_path: str | None = None,
    warehouse: str | None = None,
    sources: list[str] | None = None,
    full: bool = False,
    lock_timeout: float = 60.0,
    from_archive: bool = False,
) -> dict[str, Any]:
    """One full run; returns the run summary.

    ``full`` ignores validators and staged hashes; ``from_archive`` re-reads the past crawl
    from the warehouse's WARC archive with no network.
    """
    logger = get_run_logger()
    config = load_config(config_path)
    chosen = [s for s in config.sources if not sources or s.name in sources]
    if not chosen:
        raise RunError(f"no configured source matches {sources}")
    workers = pipeline.parse_workers(config.parse.workers)  # a bad value stops the run here
    memory = memory_limit(config.warehouse.memory_limit)  # so does a bad environment value
    wh = str(paths(warehouse).root)
    run_id, started_at = pipeline.new_run_id(), datetime.now(UTC).isoformat()
    known = pipeline.known_state(wh, full=full or from_archive)
    try:
        fetched = [
            p
            # not quote(known): the Dask runner's map takes the annotation for a tuple
            for pages in tasks.extract.map(chosen, wh, known, from_archive).result()
            for p in pages
        ]
        if fetched and all(p.error for p in fetched):
            raise RunError(f"every page failed to fetch ({len(fetched)}); nothing committed")
        jobs = pipeline.plan_parse(fetched, chosen, known)
        size = PARSE_BATCH_SIZE
        batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        parsed = list(tasks.parse_batch.map(batches, wh, workers).result())
        # a cached batch is only as good as its Parquet output: parse again where that is
        # gone (same batch key, so the same folder the cached result points at is written)
        redo = [jobs for jobs in batches if not pipeline.parsed_output_exists(wh, jobs)]
        if redo:
            logger.warning("%d cached parse batch(es) lost their output; parsing again", len(redo))
            tasks.parse_batch.with_options(refresh_cache=True).map(redo, wh, workers).result()
    finally:
        close_pool()  # the worker processes hold ~100 MB each: not kept between runs

    version, warnings = _write_window(
        wh, run_id, started_at, fetched, parsed, known, lock_timeout, memory, logger.warning
    )
    exports = tasks.export(wh, version, memory) if version is not None else None
    summary = pipeline.summarize(run_id, fetched, parsed, wh, version, exports, warnings, known)
    tasks.publish_artifacts(_opaque(summary))
    logger.info("run %s: %s", run_id, summary.to_dict())
    return summary.to_dict()


def _opaque(value: T) -> T:
    """``value`` as a task argument Prefect hands over without walking it (``quote``): a
    run's page records are plain data, never futures."""
    return cast("T", quote(value))


def _write_window(
    wh: str,
    run_id: str,
    started_at: str,
    fetched: list[FetchedPage],
    parsed: list[pipeline.ParsedBatch],
    known: pipeline.KnownState,
    lock_timeout: float,
    memory: str,
    on_wait: Any,
) -> tuple[int | None, list[dict[str, Any]]]:
    with writer_lock(paths(wh), lock_timeout, on_wait=on_wait):
        work = tasks.begin(wh, memory)
        try:
            # quote(): Prefect would otherwise walk every page record looking for futures
            # (0.7 s per 10 000 pages, more than once per task run)
            loaded = tasks.load(
                work, run_id, _opaque(fetched), _opaque(parsed), _opaque(known), memory
            )
            timings: dict[str, float] = {}
            warnings: list[dict[str, Any]] = []
            if pipeline.needs_build(work, memory=memory):  # nothing new: the version stands
                timings = tasks.build(work, memory)
                warnings = tasks.test(work, memory)
            summary = {"loaded": loaded, "model_timings": timings}
            version = tasks.commit(work, run_id, started_at, warnings, summary, memory)
            tasks.publish(wh, work)
        except BaseException:
            pipeline.discard(work)
            raise
    return version, warnings


def run_pipeline(**params: Any) -> dict[str, Any]:
    """Call the flow (used by ``jjj-etl run``); raises what the flow raised."""
    result: dict[str, Any] = jjj_pipeline(**params)
    return result


if __name__ == "__main__":  # pragma: no cover
    print(run_pipeline(warehouse=str(Path("warehouse"))))
