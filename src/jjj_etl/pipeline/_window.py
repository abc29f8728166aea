"""The write window: the only place a run writes the warehouse.

``with WriteWindow(...) as window:`` takes the writer lock and copies the published file to
a private working file; ``load`` → ``build`` → ``test`` → ``commit`` work on that copy; a
clean exit publishes it with one atomic rename, and any exception (or a kill) discards it,
so readers only ever see whole versions.  See :mod:`jjj_etl.warehouse` for why.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from jjj_etl import lake, staging, versions
from jjj_etl.errors import CommitConflictError, RunError, disk_full
from jjj_etl.pipeline import _parse
from jjj_etl.pipeline._known import KnownState
from jjj_etl.pipeline._outcomes import Outcome, page_outcomes
from jjj_etl.pipeline._parse import prune, read_results
from jjj_etl.records import FetchedPage
from jjj_etl.runner import build, check
from jjj_etl.warehouse import (
    WORK_PREFIX,
    WarehousePaths,
    begin_work,
    connect_work,
    discard_work,
    publish_work,
    remove_stale_work_files,
    writer_lock,
)

Timings = dict[str, float]
_TIMINGS_LOCK = threading.Lock()


@contextmanager
def timed(timings: Timings, name: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[name]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        with _TIMINGS_LOCK:  # parse batches of one run finish on several threads
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
        backend: lake.Backend | None = None,
        maintenance: tuple[str, str, int] = ("forever", "forever", 0),
    ) -> None:
        self.paths, self.memory, self.sql_dir = wp, memory, sql_dir
        self.backend = backend or lake.Backend()
        # (snapshot retention, file retention, every N versions): DuckLake maintenance
        self.maintenance = maintenance
        self.maintained: str | None = None  # what the last maintenance did, or why it failed
        # set by Pipeline.write_windows: a commit conflict ends this window quietly, and the
        # pipeline opens the next one
        self.retry_conflicts = False
        self.conflicted = False
        self._lake: duckdb.DuckDBPyConnection | None = None
        self._spill: Path | None = None  # a lake window's DuckDB spill folder
        self._lake_committed = False
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
            lake.record(self.paths.root, self.backend, self.paths.db.exists())
            with timed(self.timings, "begin"):
                if self.backend.is_lake:  # the whole window is one DuckLake transaction
                    # spills under the writer lock's folder, named like a working file so a
                    # killed run's leftovers are removed by the next window
                    remove_stale_work_files(self.paths)
                    spill = self.paths.root / f"{WORK_PREFIX}lake-{os.getpid()}.tmp"
                    self._spill = spill
                    self._lake = lake.connect(
                        self.backend, read_only=False, memory=self.memory, spill=spill
                    )
                    self._lake.execute("begin transaction")
                else:
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
    ) -> bool:
        with self._stack:  # the lock is released last, whatever happens below
            if self._lake is not None:
                return self._exit_lake(self._lake, exc_type)
            work, self._work = self.work, None
            if exc_type is not None:
                discard_work(work)
                return False
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
        return False

    def _exit_lake(
        self, con: duckdb.DuckDBPyConnection, exc_type: type[BaseException] | None
    ) -> bool:
        """Close the lake connection.  On an exception its transaction is rolled back, so a
        snapshot holds a whole run or nothing of it; a clean exit with no :meth:`commit`
        commits what the block wrote, as one snapshot of no version (like publishing the
        working file)."""
        try:
            if exc_type is None and not self._lake_committed:
                self._commit_lake(con, None)
        finally:
            self._lake = None
            con.close()  # closing rolls back a transaction still open
            if self._spill is not None:
                shutil.rmtree(self._spill, ignore_errors=True)
        if exc_type is None:
            prune(self.paths.parsed, self._folders, self.started_at.timestamp())
            return False
        if issubclass(exc_type, CommitConflictError) and self.retry_conflicts:
            self.conflicted = True
            return True
        return False

    @property
    def work(self) -> Path:
        """The working file (only inside the ``with`` block)."""
        if self._work is None:
            raise RuntimeError("the write window is not open")
        return self._work

    @contextmanager
    def _room(self, work: Path | None = None) -> Iterator[None]:
        """A write that fails for lack of room raises DiskFullError naming the folder written
        (the warehouse folder, or a lake's local data path) and the sizes (DuckDB says it as
        FatalException or IOException text); the window then discards its work, at once."""
        work = work or self._work
        try:
            yield
        except Exception as exc:
            written = work.stat().st_size if work is not None and work.exists() else None
            if self.backend.is_lake:
                folder, what = self.backend.data_path, "the lake's data files"
                if "://" in folder:  # object storage: no local folder to size
                    folder = str(self.paths.root)
            else:
                folder, what = str(self.paths.root), "the working copy"
            full = disk_full(exc, folder, what, written=written)
            if full is None:
                raise
            raise full from exc

    def connect(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A read-write connection to the working copy, under the run's memory cap (on
        DuckLake: the window's own connection, its transaction open, kept open by ``with``)."""
        if self._lake is not None:
            return nullcontext(self._lake)
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
                if not self.backend.is_lake:  # the lake's connection builds next: keep threads
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
            done = build(con, self.sql_dir, select, checkpoint=not self.backend.is_lake)
            self.model_timings = dict(done.timings)
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
            if not self.backend.is_lake:  # a lake's window is one transaction already
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
            if self.backend.is_lake:
                self._commit_lake(con, done.version_id)
            else:
                con.execute("commit")
                con.execute("checkpoint")
                self._checkpointed = True
        self.version = done.version_id
        return done.version_id

    def _commit_lake(self, con: duckdb.DuckDBPyConnection, version: int | None) -> None:
        """Commit the window's transaction as one snapshot named after the run and its
        version; a conflict with another writer's snapshot raises CommitConflictError (the
        whole transaction is rolled back).  Then maintenance, when this version is due."""
        lake.tag_commit(con, version, self.run_id)
        self._lake_committed = True  # whatever happens next, this transaction is over
        try:
            con.execute("commit")
        except duckdb.TransactionException as exc:
            if "conflict" not in str(exc).lower():
                raise RunError(f"the DuckLake commit failed; nothing committed: {exc}") from exc
            raise CommitConflictError(
                f"another writer committed a conflicting snapshot first; nothing of run "
                f"{self.run_id} was committed ({str(exc).splitlines()[-1]})"
            ) from exc
        snap_keep, file_keep, every = self.maintenance
        if version is not None and every and version % every == 0:
            try:
                lake.maintain(con, snap_keep, file_keep)
                self.maintained = f"expired snapshots older than {snap_keep}"
            except duckdb.Error as exc:  # the version stands; the next due run tries again
                self.maintained = f"maintenance failed: {exc}"
