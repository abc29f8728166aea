"""One Prefect task per pipeline step; each body is one call into ``jjj_etl``.

Retries, timeouts and caching are decorator arguments.  Parsing is cached on the pages'
content hashes and the parser's version, so an unchanged page is never parsed twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from jjj_etl import pipeline
from jjj_etl.config import Source
from jjj_etl.records import FetchedPage
from jjj_etl.summary import RunSummary, summary_markdown
from jjj_etl.warehouse import paths


def parse_cache_key(_ctx: TaskRunContext, params: dict[str, Any]) -> str:
    """Cache key of a parse batch: its warehouse, the parser version and what each page's
    parse depends on (URL, content hash, source, charset, keywords, language)."""
    where = hashlib.sha256(str(paths(params["warehouse"]).root).encode()).hexdigest()[:16]
    return f"jjj-parse-{where}-{pipeline.batch_key(params['jobs'])}"


# Only parsing is cached.  Every other task says NO_CACHE: Prefect's default policy hashes
# a task's inputs to make a cache key, and `extract`/`load` take every page of the run (and
# the known validators of every URL): hashing them costs about a second each per 10 000
# pages, for a cache nothing reads.
# mapped tasks run in worker threads where Prefect cannot enforce timeouts; the crawler
# bounds every request and page itself, and parsing is pure CPU on bounded bodies
@task(name="extract", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30])
def extract(
    source: Source, warehouse: str, known: pipeline.KnownState, from_archive: bool = False
) -> list[FetchedPage]:
    """Crawl one source into the raw archive (or walk the archive: ``from_archive``)."""
    return pipeline.extract(source, warehouse, known, from_archive=from_archive)


@task(name="parse-batch", cache_key_fn=parse_cache_key, persist_result=True)
def parse_batch(
    jobs: list[pipeline.ParseJob], warehouse: str, workers: int = 1
) -> pipeline.ParsedBatch:
    """Parse one batch of archived pages (in a worker process when ``workers`` > 1)."""
    return pipeline.parse_batch(jobs, warehouse, workers=workers)


@task(name="begin", cache_policy=NO_CACHE, timeout_seconds=1800)
def begin(warehouse: str, memory: str) -> str:
    """Open the write window: a private working copy."""
    return pipeline.begin(warehouse, memory)


@task(name="load", cache_policy=NO_CACHE, timeout_seconds=3600)
def load(
    work: str,
    run_id: str,
    pages: list[FetchedPage],
    batches: list[pipeline.ParsedBatch],
    known: pipeline.KnownState,
    memory: str,
) -> dict[str, int]:
    """Bulk-load staging tables."""
    return pipeline.load(work, run_id, pages, batches, known, memory)


@task(name="build", cache_policy=NO_CACHE, timeout_seconds=3600)
def build(work: str, memory: str) -> dict[str, float]:
    """Build the SQL models."""
    return pipeline.build_models(work, memory=memory)


@task(name="test", cache_policy=NO_CACHE, timeout_seconds=3600)
def test(work: str, memory: str) -> list[dict[str, Any]]:
    """Run the data tests (blocking failures raise)."""
    return pipeline.run_data_tests(work, memory=memory)


@task(name="commit", cache_policy=NO_CACHE, timeout_seconds=3600)
def commit(
    work: str,
    run_id: str,
    started_at: str,
    warnings: list[dict[str, Any]],
    summary: dict[str, Any],
    memory: str,
) -> int | None:
    """Commit one version (or record that nothing changed)."""
    return pipeline.commit(work, run_id, started_at, warnings, summary, memory=memory)


@task(name="publish", cache_policy=NO_CACHE, timeout_seconds=1800)
def publish(warehouse: str, work: str) -> None:
    """Atomically publish the working copy."""
    pipeline.publish(warehouse, work)


@task(name="export", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2, timeout_seconds=3600)
def export(warehouse: str, version: int, memory: str) -> str:
    """Parquet export of the new version."""
    return pipeline.export(warehouse, version, memory=memory)


@task(name="publish-artifacts", cache_policy=NO_CACHE)
def publish_artifacts(summary: RunSummary) -> None:
    """The run summary (markdown) and the changed observations (table) as Prefect artifacts."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(
        key="jjj-run-summary",
        markdown=summary_markdown(summary),
        description=f"jjj-etl run {summary.run_id}",
    )
    create_table_artifact(
        key="jjj-changed-observations",
        table=[{k: str(v) for k, v in row.items()} for row in summary.changes],
        description=f"observations added/changed/retired by {summary.run_id}",
    )
