"""One Prefect task per pipeline step; each body is one call into ``jjj_etl.pipeline``."""

from __future__ import annotations

from typing import Any

from prefect import task

from jjj_etl import pipeline
from jjj_etl.config import Source
from jjj_etl.records import FetchedPage, ParsedPage


@task(name="extract", retries=1, retry_delay_seconds=5)
def extract(source: Source, warehouse: str, known: pipeline.KnownState) -> list[FetchedPage]:
    """Crawl one source into the raw archive."""
    return pipeline.extract(source, warehouse, known)


@task(name="parse-batch")
def parse_batch(jobs: list[pipeline.ParseJob], warehouse: str) -> list[ParsedPage]:
    """Parse one batch of archived pages."""
    return pipeline.parse_batch(jobs, warehouse)


@task(name="begin")
def begin(warehouse: str) -> str:
    """Open the write window: a private working copy."""
    return pipeline.begin(warehouse)


@task(name="load")
def load(
    work: str,
    run_id: str,
    pages: list[FetchedPage],
    parsed: list[ParsedPage],
    known: pipeline.KnownState,
) -> dict[str, int]:
    """Bulk-load staging tables."""
    return pipeline.load(work, run_id, pages, parsed, known)


@task(name="build")
def build(work: str) -> dict[str, float]:
    """Build the SQL models."""
    return pipeline.build_models(work)


@task(name="test")
def test(work: str) -> list[dict[str, Any]]:
    """Run the data tests (blocking failures raise)."""
    return pipeline.run_data_tests(work)


@task(name="commit")
def commit(
    work: str,
    run_id: str,
    started_at: str,
    warnings: list[dict[str, Any]],
    summary: dict[str, Any],
) -> int | None:
    """Commit one version (or record that nothing changed)."""
    return pipeline.commit(work, run_id, started_at, warnings, summary)


@task(name="publish")
def publish(warehouse: str, work: str) -> None:
    """Atomically publish the working copy."""
    pipeline.publish(warehouse, work)


@task(name="export", retries=1, retry_delay_seconds=2)
def export(warehouse: str, version: int) -> str:
    """Parquet export of the new version."""
    return pipeline.export(warehouse, version)
