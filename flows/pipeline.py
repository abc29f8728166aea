"""The jjj-etl pipeline flow: the steps of :class:`jjj_etl.pipeline.Pipeline` as tasks.

The flow adds orchestration only (mapping, retries, timeouts, artifacts); the sequence and
every decision live in the library, and :meth:`Pipeline.run` runs the same steps without
Prefect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import tasks
from jjj_etl.config import Config, load_config
from jjj_etl.pipeline import Pipeline

T = TypeVar("T")

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
    config: Config | None = None,
) -> dict[str, Any]:
    """One full run; returns the run summary.

    Prefect reads the ``Args`` below into the deployment's parameter schema (the descriptions
    shown in the UI and by ``prefect deployment inspect``).

    Args:
        config_path: The sources.toml to read; null for the bundled sample site. A relative
            path is read from the run's working directory.
        warehouse: The warehouse folder (jjj.duckdb, raw archive, exports); null for
            `warehouse` in the run's working directory.
        sources: Crawl only these configured sources (by name); null for all of them.
        full: Ignore stored ETag/Last-Modified validators and staged hashes: fetch and load
            every page again.
        lock_timeout: Seconds to wait for another run's writer lock before failing.
        from_archive: Re-read the past crawl from the warehouse's WARC archive, with no
            network.
        config: An already validated config (how `jjj-etl run` passes it); when given,
            config_path is not read. Leave null in deployments.
    """
    logger = get_run_logger()
    pipe = Pipeline(config or load_config(config_path), warehouse, lock_timeout=lock_timeout)
    run = pipe.start(sources, full=full, from_archive=from_archive)
    try:
        pages = [p for got in tasks.extract.map(pipe, run, run.sources).result() for p in got]
        batches = pipe.plan(run, pages)
        tasks.parse_batch.map(pipe, batches).result()
        pipe.close()  # the parse workers' memory is not held through the write window
        for window in pipe.write_windows(run, on_wait=logger.warning):  # again on a conflict
            with window:
                tasks.load(pipe, window, run, _opaque(pages), _opaque(batches))
                if window.needs_build:  # nothing new: the current version stands
                    tasks.build(window)
                    tasks.test(window)
                tasks.commit(window)
    except BaseException as exc:  # a stop signal or a cancellation drops the parse in flight
        pipe.close(abort=not isinstance(exc, Exception))
        raise
    exports = tasks.export(pipe, window.version)  # a run with nothing new repairs it too
    report = tasks.report(pipe)
    summary = pipe.summarize(run, window, exports, report)
    tasks.publish_artifacts(_opaque(summary))
    logger.info("run %s: %s", run.run_id, summary.to_dict())
    return summary.to_dict()


def _opaque(value: T) -> T:
    """``value`` as a task argument Prefect hands over without walking it (``quote``): it
    would otherwise visit every page record looking for futures (0.7 s per 10 000 pages)."""
    return cast("T", quote(value))


def run_pipeline(pipe: Pipeline | None = None, **params: Any) -> dict[str, Any]:
    """Call the flow (used by ``jjj-etl run``) with ``pipe``'s config and warehouse; raises
    what the flow raised."""
    if pipe is not None:
        params = {"config": pipe.config, "warehouse": str(pipe.paths.root), **params}
    result: dict[str, Any] = jjj_pipeline(**params)
    return result


if __name__ == "__main__":  # pragma: no cover
    print(run_pipeline(warehouse=str(Path("warehouse"))))
