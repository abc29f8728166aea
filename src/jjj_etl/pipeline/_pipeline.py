"""The pipeline as one object: a warehouse's context resolved once, the run's steps as methods.

``Pipeline(config, warehouse)`` resolves the warehouse paths, DuckDB's memory cap, the SQL
folder and the parse workers once; :meth:`Pipeline.run` runs the steps in order with no
Prefect, and the Prefect flow (``flows/pipeline.py``) calls the same steps from its tasks.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jjj_etl.archive import RawArchive
from jjj_etl.config import Config, Source, load_config
from jjj_etl.errors import (
    ConfigError,
    ExportError,
    JjjError,
    NoVersionError,
    RunError,
)
from jjj_etl.export import export_warehouse
from jjj_etl.fetch import crawl, replay
from jjj_etl.lake import from_config, record
from jjj_etl.memory import memory_limit
from jjj_etl.pipeline import _parse
from jjj_etl.pipeline._known import KnownState, read_known_state
from jjj_etl.pipeline._parse import ParseJob, plan_parse
from jjj_etl.pipeline._window import Timings, WriteWindow, timed
from jjj_etl.progress import CrawlProgress
from jjj_etl.records import FetchedPage
from jjj_etl.runner import default_sql_dir, discover, select_models
from jjj_etl.stopping import STOP
from jjj_etl.summary import RunSummary, build_summary
from jjj_etl.warehouse import WarehousePaths, paths
from jjj_etl.workers import close_pool, kill_workers, prestart, usable_cores

PARSE_WORKERS_ENV = "JJJ_ETL_PARSE_WORKERS"
COMMIT_ATTEMPTS = 3
"""Write windows a run opens while its DuckLake commit conflicts with another writer's."""
PARSE_BATCH_SIZE = 50
"""Pages per parse batch: a Prefect task costs several pages' parsing, so a batch of 50
keeps orchestration a small part of the parse stage (BENCHMARKS.md)."""


def new_run_id() -> str:
    """A sortable, unique run id: UTC timestamp + random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


class _StartWorkers:
    """The crawl's progress callable, which also starts parse workers when the first page
    with a body to parse arrives: as many as there are cores beside the one the crawl keeps
    busy (one on two cores), so that their start-up (an interpreter and the parser's imports
    each) runs on idle cores and slows the crawl down in nothing; the others start with the
    first batches.  A run that fetches nothing new (every page 304) starts none."""

    def __init__(self, progress: Callable[[FetchedPage], None], workers: int, known: KnownState):
        self._progress = progress
        self._workers = workers
        self._known = known
        self._started = workers <= 1

    def __call__(self, page: FetchedPage) -> None:
        self._progress(page)
        if not self._started and _parse.needs_parse(page, self._known):
            self._started = True
            prestart(self._workers, _parse.warm_worker, ahead=usable_cores() - 1)


def parse_workers(configured: int) -> int:
    """Worker processes for parsing: ``$JJJ_ETL_PARSE_WORKERS`` when set, else
    ``configured`` (``[parse] workers``); 0 means one per usable core, 1 parses in-process.

    Raises ConfigError (exit 2) if the environment variable is not a whole number 0-64.
    """
    raw = os.environ.get(PARSE_WORKERS_ENV, "").strip()
    if raw:
        if not raw.isdigit() or int(raw) > 64:
            raise ConfigError("(environment)", PARSE_WORKERS_ENV, f"expected 0-64, got {raw!r}")
        configured = int(raw)
    return configured or usable_cores()


def failed_sources(sources: Sequence[Source], pages: Sequence[FetchedPage]) -> list[str]:
    """``"name: first error (N pages)"`` for each source every page of which failed."""
    out = []
    for source in sources:
        errors = [p.error for p in pages if p.source == source.name]
        if errors and all(errors):
            out.append(f"{source.name}: {errors[0]} ({len(errors)} page(s), none fetched)")
    return out


class Run:
    """One run's identity and inputs: id, start time, sources, and what the warehouse knew.

    A plain object (not a dataclass): an orchestrator hands it to tasks as it is.
    """

    __slots__ = (
        "failed_sources",
        "from_archive",
        "full",
        "known",
        "run_id",
        "sources",
        "started_at",
    )

    def __init__(
        self, sources: tuple[Source, ...], known: KnownState, *, full: bool, from_archive: bool
    ) -> None:
        self.run_id = new_run_id()
        self.started_at = datetime.now(UTC)
        self.sources, self.known = sources, known
        self.full, self.from_archive = full, from_archive
        self.failed_sources: list[str] = []  # "name: why", set when the run is planned


class Pipeline:
    """One warehouse's pipeline (``dlt``'s ``Pipeline`` is the model).

    >>> pipe = Pipeline(load_config(), "warehouse")  # doctest: +SKIP
    >>> summary = pipe.run()                          # doctest: +SKIP
    """

    def __init__(
        self,
        config: Config,
        warehouse: str | Path | None = None,
        *,
        sql_dir: Path | None = None,
        lock_timeout: float = 60.0,
    ) -> None:
        self.config = config
        self.paths: WarehousePaths = paths(warehouse)
        wh = config.warehouse
        self.backend = from_config(
            wh.backend,
            wh.catalog,
            wh.data_path,
            self.paths.root,
            s3_endpoint=wh.s3_endpoint,
            s3_region=wh.s3_region,
            s3_url_style=wh.s3_url_style,
            s3_use_ssl=wh.s3_use_ssl,
        )
        self.memory = memory_limit(config.warehouse.memory_limit)  # bad environment: exit 2
        self.workers = parse_workers(config.parse.workers)
        self.sql_dir = sql_dir or default_sql_dir()
        self.lock_timeout = lock_timeout
        self.timings: Timings = {}  # seconds per step, summed over this object's life

    @classmethod
    def open(
        cls, config_path: str | Path | None = None, warehouse: str | Path | None = None, **kw: Any
    ) -> Pipeline:
        """Load and validate ``config_path`` (default: the bundled sample site), then set up."""
        return cls(load_config(config_path), warehouse, **kw)

    def __repr__(self) -> str:
        return f"Pipeline({self.config.path or '<config>'!r}, {str(self.paths.root)!r})"

    # ------------------------------------------------------------------ steps

    def select(self, names: Sequence[str] | None = None) -> tuple[Source, ...]:
        """The configured sources named (all when none); UsageError names the unknown ones."""
        return self.config.select(names)

    def start(
        self,
        sources: Sequence[str] | None = None,
        *,
        full: bool = False,
        from_archive: bool = False,
    ) -> Run:
        """A new run: its sources, and what the published warehouse knows (nothing when
        ``full`` or ``from_archive``: every page fetched or replayed, every body parsed)."""
        chosen = self.select(sources)
        STOP.clear()  # an earlier run in this process may have been stopped
        record(self.paths.create().root, self.backend, self.paths.db.exists())
        with timed(self.timings, "known_state"):
            known = KnownState() if full or from_archive else read_known_state(self.paths)
        return Run(chosen, known, full=full, from_archive=from_archive)

    def extract(self, run: Run, source: Source) -> list[FetchedPage]:
        """Crawl one source into the raw archive; never raises for a bad page.

        ``run.from_archive`` walks the warehouse's own WARC archive instead of the network;
        a source with ``warc_files`` is always read from those files (a web-archive export).
        """
        archive = RawArchive(self.paths.raw)
        with timed(self.timings, "extract"), CrawlProgress(source.name) as shown:
            progress = _StartWorkers(shown, self.workers, run.known)
            if source.warc_files:
                return replay(source, list(source.warc_files), into=archive, progress=progress)
            if run.from_archive:
                return replay(source, archive, progress=progress)
            return crawl(source, archive, known=run.known.validators, progress=progress)

    def plan(self, run: Run, pages: Sequence[FetchedPage]) -> list[list[ParseJob]]:
        """The parse batches: one job per new page body, in batches of PARSE_BATCH_SIZE.

        A source of which no page could be fetched has failed (``run.failed_sources``); when
        every source failed, raises RunError: there is nothing to commit.
        """
        run.failed_sources = failed_sources(run.sources, pages)
        if run.failed_sources and len(run.failed_sources) == len(run.sources):
            raise RunError(
                "no page of any source could be fetched; nothing committed: "
                + "; ".join(run.failed_sources)
            )
        with timed(self.timings, "plan"):
            jobs = plan_parse(pages, run.sources, run.known)
        size = PARSE_BATCH_SIZE
        return [jobs[i : i + size] for i in range(0, len(jobs), size)]

    def parse(self, jobs: Sequence[ParseJob]) -> str:
        """Parse one batch (unless its folder is already whole); returns the folder."""
        with timed(self.timings, "parse"):
            return self._parse(jobs)

    def _parse(self, jobs: Sequence[ParseJob]) -> str:
        return _parse.parse_batch(
            jobs,
            self.paths.raw,
            self.paths.parsed,
            self.workers,
            self.config.parse.page_timeout_seconds,
        )

    def parse_all(self, batches: Sequence[Sequence[ParseJob]]) -> list[str]:
        """Parse every batch, as many at once as there are parse workers (what the flow's
        mapped tasks do); returns the folders in batch order.  ``timings["parse"]`` gets the
        wall time of the whole.  The first failure is raised at once, and no batch not yet
        started starts."""
        with timed(self.timings, "parse"):
            if self.workers <= 1 or len(batches) <= 1:
                return [self._parse(jobs) for jobs in batches]
            # the threads only wait on the worker processes, one batch each at a time
            pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="parse")
            futures = [pool.submit(self._parse, jobs) for jobs in batches]
            try:
                folders = [f.result() for f in futures]
            except BaseException:
                # on a stop the caller kills the workers, which ends the batches in flight,
                # so nothing here waits for them
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
            return folders

    def write_window(
        self, run: Run | None = None, on_wait: Callable[[str], None] | None = None
    ) -> WriteWindow:
        """The write window of ``run`` (a new run id when None): use it as a context manager."""
        wh = self.config.warehouse
        return WriteWindow(
            self.paths,
            memory=self.memory,
            sql_dir=self.sql_dir,
            lock_timeout=self.lock_timeout,
            run_id=run.run_id if run else new_run_id(),
            started_at=run.started_at if run else datetime.now(UTC),
            on_wait=on_wait,
            timings=self.timings,
            backend=self.backend,
            maintenance=(wh.snapshot_retention, wh.file_retention, wh.maintenance_every),
        )

    def write_windows(
        self, run: Run | None = None, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[WriteWindow]:
        """Write windows of ``run``, one after another while a DuckLake commit conflicts
        with another writer's (at most COMMIT_ATTEMPTS; the last conflict is raised):

        >>> for window in pipe.write_windows(run):  # doctest: +SKIP
        ...     with window:
        ...         ...  # load, build, test, commit
        """
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            window = self.write_window(run, on_wait)
            window.retry_conflicts = attempt < COMMIT_ATTEMPTS
            yield window
            if not window.conflicted:
                return
            if on_wait is not None:
                on_wait(
                    f"another writer committed first; running the write window again "
                    f"({attempt + 1} of {COMMIT_ATTEMPTS})"
                )

    def load(
        self,
        window: WriteWindow,
        run: Run,
        pages: Sequence[FetchedPage],
        batches: Sequence[Sequence[ParseJob]],
    ) -> dict[str, int]:
        """Stage the run's pages and parse batches into the open ``window``.  A batch whose
        folder vanished since it was parsed (another run pruned it) is parsed again first."""
        # the parse left whole folders: found without a parse, and without adding to its time
        parsed = self.paths.parsed
        folders = [_parse.whole_folder(jobs, parsed) or self.parse(jobs) for jobs in batches]
        return window.load(pages, folders, run.known)

    def export(self, committed: int | None = None) -> str | None:
        """Make the current version's Parquet export whole (``exports/v<N>``, ``latest``):
        what is missing or differs from its manifest is written again, and temporary folders
        of killed exports are removed; every run calls it, also one with nothing new.

        ``committed`` is the version this run committed (None: nothing new), for the error.
        Returns the version folder, or None while the warehouse has no version.  Raises
        ExportError (exit 1), saying the version stands and ``jjj-etl export`` repairs it.
        """
        if not self.paths.exists():  # a lake has no jjj.duckdb: its record says it exists
            return None
        with timed(self.timings, "export"):
            try:
                done = export_warehouse(self.paths.root, sql_dir=self.sql_dir, memory=self.memory)
                return str(done.folder)
            except NoVersionError:
                return None
            except (OSError, duckdb.Error, JjjError) as exc:
                raise ExportError(committed, exc) from exc

    def report(self) -> str | None:
        """Write ``exports/report.html`` for the current version (None before the first):
        the report is part of what every run publishes, however the run was started."""
        from jjj_etl.report import build_report  # jinja and charts: only when reporting

        if not self.paths.exists():
            return None
        with timed(self.timings, "report"):
            try:
                return str(build_report(self.paths.root))
            except RunError:  # a warehouse with no version yet has nothing to report
                return None

    def summarize(
        self, run: Run, window: WriteWindow, exports: str | None, report: str | None = None
    ) -> RunSummary:
        """The run summary: page outcomes from this run, totals from the published warehouse."""
        with timed(self.timings, "summarize"):
            outcomes = [(o.outcome, o.reason, o.page.url) for o in window.outcomes]
            return build_summary(
                run.run_id,
                outcomes,
                self.paths,
                window.version,
                exports,
                window.warnings,
                run.failed_sources,
                report,
            )

    # ------------------------------------------------------------------ whole runs

    def run(
        self,
        sources: Sequence[str] | None = None,
        *,
        full: bool = False,
        from_archive: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> RunSummary:
        """One whole run with no orchestrator: the same steps the Prefect flow runs."""
        run = self.start(sources, full=full, from_archive=from_archive)
        try:
            pages = [p for s in run.sources for p in self.extract(run, s)]
            batches = self.plan(run, pages)
            self.parse_all(batches)
            self.close()  # the workers' memory is not held through the write window
            for window in self.write_windows(run, on_wait):
                with window:
                    self.load(window, run, pages, batches)
                    if window.needs_build:
                        window.build()
                        window.test()
                    window.commit()
        except BaseException as exc:
            self.close(abort=not isinstance(exc, Exception))
            raise
        exports = self.export(window.version)  # also with nothing new: repairs the current one
        return self.summarize(run, window, exports, self.report())

    def close(self, *, abort: bool = False) -> None:
        """Stop the parse worker processes (each holds a parser's memory, so they are not
        kept past the parse); with ``abort`` (a stop signal, a cancellation) kill them first,
        dropping what they parse."""
        if abort:
            STOP.set()  # no task of this run starts a worker or a request again
            kill_workers()
        close_pool()

    def rebuild(self, select: Sequence[str] = ()) -> dict[str, Any]:
        """``jjj-etl build``: models and data tests on what is staged, as a new version;
        with ``select`` (``NAME``, ``NAME+``, ``+NAME``), only those models are rebuilt and
        the others keep what the current version holds.  Every data test runs either way.

        Fetches nothing.  Raises UsageError on a selector naming no model (before anything
        is written), BuildError / DataTestError (nothing committed) on failure.
        """
        if not self.paths.exists():
            raise RunError(f"no warehouse at {self.paths.db}: run `jjj-etl run` first")
        if select:
            select_models(discover(self.sql_dir), select)
        for window in self.write_windows():
            with window:
                window.build(select)
                window.test()
                window.commit(kind="build")
        version = window.version
        return {
            "run_id": window.run_id,
            "version": version,
            "exports": self.export(version),
            "timings": window.model_timings,
            "warnings": [w["test"] for w in window.warnings],
        }
