"""One Prefect task per pipeline step; each body is one call into ``jjj_etl.pipeline``.

Retries, timeouts and caching are decorator arguments.  Nothing is cached by Prefect: the
parse cache is the pipeline's own (``<warehouse>/parsed/<batch key>/``), so an unchanged
batch is never parsed twice, whoever runs it.
"""

from __future__ import annotations

from typing import Any

from prefect import State, task
from prefect.cache_policies import NO_CACHE

from jjj_etl.config import Source
from jjj_etl.errors import RunError
from jjj_etl.pipeline import ParseJob, Pipeline, Run, RunSummary, WriteWindow
from jjj_etl.records import FetchedPage

# Every task says NO_CACHE: Prefect's default policy hashes a task's inputs to make a cache
# key, and `extract`/`load` take every page of the run (and the known validators of every
# URL), for a cache nothing reads.  Mapped tasks run in worker threads where Prefect cannot
# enforce timeouts; the crawler bounds every request and page itself.


def _unless_run_error(_task: Any, _run: Any, state: State[Any]) -> bool:
    """Retry what may pass (a network blip), not a RunError (no room to write, …)."""
    return not isinstance(getattr(state, "data", None), RunError)


@task(
    name="extract",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_unless_run_error,
)
def extract(pipe: Pipeline, run: Run, source: Source) -> list[FetchedPage]:
    """Crawl one source into the raw archive (or walk the archive: ``--from-archive``)."""
    return pipe.extract(run, source)


@task(name="parse-batch", cache_policy=NO_CACHE, retries=1, retry_condition_fn=_unless_run_error)
def parse_batch(pipe: Pipeline, jobs: list[ParseJob]) -> str:
    """Parse one batch of archived pages into its folder (a whole folder is not re-parsed)."""
    return pipe.parse(jobs)


@task(name="load", cache_policy=NO_CACHE, timeout_seconds=3600)
def load(
    pipe: Pipeline,
    window: WriteWindow,
    run: Run,
    pages: list[FetchedPage],
    batches: list[list[ParseJob]],
) -> dict[str, int]:
    """Bulk-load the staging tables of the working copy."""
    return pipe.load(window, run, pages, batches)


@task(name="build", cache_policy=NO_CACHE, timeout_seconds=3600)
def build(window: WriteWindow) -> dict[str, float]:
    """Build the SQL models."""
    return window.build()


@task(name="test", cache_policy=NO_CACHE, timeout_seconds=3600)
def test(window: WriteWindow) -> list[dict[str, Any]]:
    """Run the data tests (blocking failures raise)."""
    return window.test()


@task(name="commit", cache_policy=NO_CACHE, timeout_seconds=3600)
def commit(window: WriteWindow) -> int | None:
    """Commit one version (or record that nothing changed)."""
    return window.commit()


@task(name="export", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, timeout_seconds=3600)
def export(pipe: Pipeline, committed: int | None) -> str | None:
    """Make the current version's Parquet export whole (``committed``: this run's version)."""
    return pipe.export(committed)


@task(name="report", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, timeout_seconds=600)
def report(pipe: Pipeline) -> str | None:
    """The HTML report of the current version (``exports/report.html``)."""
    return pipe.report()


@task(name="publish-artifacts", cache_policy=NO_CACHE)
def publish_artifacts(summary: RunSummary) -> None:
    """The run summary (markdown) and the changed observations (table) as Prefect artifacts."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(
        key="jjj-run-summary",
        markdown=summary.markdown(),
        description=f"jjj-etl run {summary.run_id}",
    )
    create_table_artifact(
        key="jjj-changed-observations",
        table=[{k: str(v) for k, v in row.items()} for row in summary.changes],
        description=f"observations added/changed/retired by {summary.run_id}",
    )
