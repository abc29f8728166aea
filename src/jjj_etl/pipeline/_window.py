"""The write window: the only place a run writes the warehouse.

``with WriteWindow(...) as window:`` takes the writer lock and copies the published file to
a private working file; ``load`` → ``build`` → ``test`` → ``commit`` work on that copy; a
clean exit publishes it with one atomic rename, and any exception (or a kill) discards it,
so readers only ever see whole versions.  See :mod:`jjj_etl.warehouse` for why.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from jjj_etl import staging, versions
from jjj_etl.errors import disk_full
from jjj_etl.pipeline import _parse
from jjj_etl.pipeline._known import KnownState
from jjj_etl.pipeline._outcomes import Outcome, page_outcomes
from jjj_etl.pipeline._parse import prune, read_results
from jjj_etl.records import FetchedPage
from jjj_etl.runner import build, check
from jjj_etl.warehouse import (
    WarehousePaths,
    begin_work,
    connect_work,
    discard_work,
    publish_work,
    writer_lock,
)

Timings = dict[str, float]


@contextmanager
def timed(timings: Timings, name: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[name]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


class WriteWindow:
    """One run's write window on one warehouse (see the module docstring)."""

    def __init__(
        self,
        wp: WarehousePaths,
        *,
        memory: str,
        sql_dir: Path,
        lock_timeout: float,
        run_id: str,
        started_at: datetime,
        on_wait: Callable[[str], None] | None = None,
        timings: Timings | None = None,
    ) -> None:
        self.paths, self.memory, self.sql_dir = wp, memory, sql_dir
        self.run_id, self.started_at = run_id, started_at
        self.timings: Timings = timings if timings is not None else {}
        # what the steps found, for the run summary
        self.outcomes: list[Outcome] = []
        self.loaded: dict[str, int] = {}
        self.model_timings: Timings = {}
        self.warnings: list[dict[str, Any]] = []
        self.version: int | None = None
        self._folders: set[str] = set()
        self._lock_timeout, self._on_wait = lock_timeout, on_wait
        self._stack = ExitStack()
        self._work: Path | None = None
        self._fingerprint: str | None = None
        self._needs_build: bool | None = None
        self._checkpointed = False

    # ------------------------------------------------------------------ the window itself

    def __enter__(self) -> WriteWindow:
        self._stack.enter_context(writer_lock(self.paths, self._lock_timeout, self._on_wait))
        try:
            with timed(self.timings, "begin"):
                self._work = begin_work(self.paths, self.memory)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._stack:  # the lock is released last, whatever happens below
            work, self._work = self.work, None
            if exc_type is not None:
                discard_work(work)
                return
            try:
                with timed(self.timings, "publish"), self._room(work):
                    if not self._checkpointed:
                        with connect_work(work, self.memory) as con:
                            con.execute("checkpoint")
                    publish_work(self.paths, work)
            except BaseException:
                discard_work(work)
                raise
            # still under the lock, so no other run is loading batches meanwhile
            prune(self.paths.parsed, self._folders, self.started_at.timestamp())

    @property
    def work(self) -> Path:
        """The working file (only inside the ``with`` block)."""
        if self._work is None:
            raise RuntimeError("the write window is not open")
        return self._work

    @contextmanager
    def _room(self, work: Path | None = None) -> Iterator[None]:
        """A write that fails for lack of room raises DiskFullError naming the warehouse
        folder and the sizes (DuckDB says it as FatalException or IOException text); the
        window then discards the working file, at once."""
        work = work or self.work
        try:
            yield
        except Exception as exc:
            written = work.stat().st_size if work.exists() else None
            full = disk_full(exc, self.paths.root, "the working copy", written=written)
            if full is None:
                raise
            raise full from exc

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-write connection to the working copy, under the run's memory cap."""
        self._checkpointed = False
        return connect_work(self.work, self.memory)

    # ------------------------------------------------------------------ the steps

    def load(
        self, pages: Sequence[FetchedPage], folders: Sequence[str], known: KnownState
    ) -> dict[str, int]:
        """Stage the run's page log, articles and figures (from the parse batches' folders).

        After publishing, the window removes the parse batches this run did not load.
        """
        self._folders = {Path(f).name for f in folders}
        with timed(self.timings, "load"), self._room():
            results = [r for f in folders for r in read_results(f)]
            self.outcomes = page_outcomes(pages, results, known)
            keep = sorted(
                {
                    (o.article_id, o.page.content_sha256 or "")
                    for o in self.outcomes
                    if o.article_id and o.outcome == "article"
                }
            )
            rows = staging.page_rows(self.run_id, (o.as_tuple() for o in self.outcomes))
            with self.connect() as con:
                # Loading is compression-bound, not CPU-bound: a second thread buys no time,
                # and each Parquet file is read once, so DuckDB's cache of external files
                # would only hold memory.
                con.execute("set threads = 1")
                con.execute("set enable_external_file_cache = false")
                staging.ensure_schema(con)
                counts = staging.stage_parsed(con, self.run_id, rows, folders, keep)
                staging.record_fetch_state(con, pages)
                self._needs_build = self._inputs_changed(con)
        self.loaded = {
            "pages": counts.pages,
            "articles": counts.articles,
            "figures": counts.figures,
        }
        return self.loaded

    @property
    def needs_build(self) -> bool:
        """False when the staged inputs, SQL and seeds are exactly the current version's:
        building and testing again could only reproduce it, so the run records no change."""
        if self._needs_build is None:
            with self.connect() as con:
                self._needs_build = self._inputs_changed(con)
        return self._needs_build

    def _inputs_changed(self, con: duckdb.DuckDBPyConnection) -> bool:
        staging.ensure_schema(con)
        self._fingerprint = versions.input_fingerprint(con, self.sql_dir)
        last = con.execute(
            "select input_fingerprint from meta.versions order by version_id desc limit 1"
        ).fetchone()
        return last is None or last[0] != self._fingerprint

    def build(self, select: Sequence[str] = ()) -> Timings:
        """Build every SQL model in the working copy (or those ``select`` names, see
        :func:`jjj_etl.runner.select_models`); seconds per model."""
        with timed(self.timings, "build"), self._room(), self.connect() as con:
            staging.ensure_schema(con)
            self.model_timings = dict(build(con, self.sql_dir, select).timings)
        return self.model_timings

    def test(self) -> list[dict[str, Any]]:
        """Run the data tests: DataTestError on blocking failures; the warnings otherwise."""
        with timed(self.timings, "test"), self._room(), self.connect() as con:
            results = check(con, self.sql_dir)
        self.warnings = [
            {"test": r.name, "failing_rows": r.n_failing, "sample": list(r.rows[:3])}
            for r in results
            if not r.passed
        ]
        return self.warnings

    def commit(self, kind: str = "run") -> int | None:
        """Commit a new version (None when nothing changed) and log the run, in one
        transaction; then checkpoint, so publishing is only the rename.  What the earlier
        steps found (rows loaded, model timings, test warnings) goes with it."""
        summary: dict[str, Any] = {"loaded": self.loaded, "model_timings": self.model_timings}
        if kind != "run":
            summary = {"kind": kind, "model_timings": self.model_timings}
        warnings = self.warnings
        with timed(self.timings, "commit"), self._room(), self.connect() as con:
            con.execute("begin transaction")
            done = versions.commit_version(
                con,
                run_id=self.run_id,
                started_at=self.started_at,
                sql_dir=self.sql_dir,
                parser_version=_parse.PARSER_VERSION,
                warnings=warnings,
                model_timings=self.model_timings,
                fingerprint=self._fingerprint,
            )
            status = "committed" if done.version_id else "no-change"
            details = json.dumps({**summary, "row_counts": done.row_counts}, default=str)
            con.execute(
                "insert into meta.runs values (?, ?, ?, ?, ?, ?)",
                [self.run_id, self.started_at, datetime.now(UTC), status, done.version_id, details],
            )
            con.execute("commit")
            con.execute("checkpoint")
            self._checkpointed = True
        self.version = done.version_id
        return done.version_id
