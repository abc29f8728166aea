"""The only place that opens DuckDB.

Concurrency model (see README, "Readers and writers"): DuckDB allows one read-write
process *or* many read-only processes per file.  So a run never writes the published
file in place:

1. take an exclusive writer lock (``.jjj.lock``, ``flock``), waiting up to a timeout;
2. copy ``jjj.duckdb`` to a private working file and do all the work there;
3. on success, checkpoint, close, fsync and ``os.replace`` the working file over
   ``jjj.duckdb`` — one atomic rename; on any failure (or SIGKILL) the working file is
   simply abandoned and removed by the next writer.

Readers (``jjj-etl query``, BI tools, a DuckDB shell opened read-only) therefore keep
reading the previous version for as long as they like and never block a run; a reader
that opened the file before the rename keeps the old inode until it reconnects.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from jjj_etl.errors import RunError, UsageError, WarehouseLockedError, disk_full
from jjj_etl.lake import Backend, recorded

DB_NAME = "jjj.duckdb"
LOCK_NAME = ".jjj.lock"
WORK_PREFIX = ".jjj.work-"


@dataclass(frozen=True, slots=True)
class WarehousePaths:
    """Where one warehouse keeps its files."""

    root: Path

    @property
    def db(self) -> Path:
        """The published DuckDB file."""
        return self.root / DB_NAME

    @property
    def raw(self) -> Path:
        """The raw archive of every fetched body."""
        return self.root / "raw"

    @property
    def exports(self) -> Path:
        """Parquet exports, one folder per version plus ``latest``."""
        return self.root / "exports"

    @property
    def parsed(self) -> Path:
        """The parse cache: one folder of Parquet files per parse batch."""
        return self.root / "parsed"

    @property
    def lock(self) -> Path:
        """The writer lock file."""
        return self.root / LOCK_NAME

    @property
    def backend(self) -> Backend:
        """The backend recorded in the folder (:mod:`jjj_etl.lake`; the single file if none)."""
        return recorded(self.root)

    def exists(self) -> bool:
        """True when a run has written this warehouse (its file, or its lake's record)."""
        return self.db.exists() or self.backend.is_lake

    def create(self) -> WarehousePaths:
        """Make the warehouse folder (for writers; a reader never creates anything)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self


def paths(root: str | Path | None = None) -> WarehousePaths:
    """Warehouse paths under ``root`` (default ``./warehouse``); nothing is created."""
    return WarehousePaths((Path(root) if root is not None else Path("warehouse")).resolve())


@contextlib.contextmanager
def writer_lock(
    wp: WarehousePaths, timeout: float = 60.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the single-writer lock; raise WarehouseLockedError after ``timeout`` seconds.

    ``on_wait`` is told once, with a readable line, when the lock is busy and we start waiting.
    """
    fd = os.open(wp.create().lock, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = wp.lock.read_text().strip() or "another process"
                if on_wait is not None and not told:
                    on_wait(
                        f"warehouse {wp.root} is being written by {holder}; "
                        f"waiting up to {timeout:.0f} s"
                    )
                    told = True
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(
                        f"warehouse {wp.root} is being written by {holder}; gave up after "
                        f"{timeout:.0f} s (set --lock-timeout to wait longer)"
                    ) from None
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        yield
    finally:
        os.close(fd)  # closing releases the flock


def remove_stale_work_files(wp: WarehousePaths) -> None:
    """Working files left by killed runs (we hold the lock, so none is live)."""
    for stale in wp.root.glob(WORK_PREFIX + "*"):
        if stale.is_dir() and not stale.is_symlink():  # DuckDB's spill folder, <work>.tmp
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def connect_work(work: str | Path, memory: str) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a working file under the run's memory cap ``memory``
    (:func:`jjj_etl.memory.memory_limit`, resolved once when the pipeline is set up)."""
    return duckdb.connect(str(work), config={"memory_limit": memory})


def begin_work(wp: WarehousePaths, memory: str) -> Path:
    """Copy the published file to a private working file (hold the writer lock first)."""
    remove_stale_work_files(wp)
    work = wp.root / f"{WORK_PREFIX}{os.getpid()}.duckdb"
    try:
        if wp.db.exists():
            shutil.copyfile(wp.db, work)
        else:
            work.unlink(missing_ok=True)
        connect_work(work, memory).close()
    except (OSError, duckdb.Error) as exc:
        discard_work(work)  # a partial copy is of no use, and holds the space it took
        needed = wp.db.stat().st_size if wp.db.exists() else None
        full = disk_full(exc, wp.root, "the working copy", needed=needed)
        if full is not None:
            raise full from exc
        raise RunError(f"cannot open a working copy of {wp.db}: {exc}") from exc
    return work


def publish_work(wp: WarehousePaths, work: Path) -> None:
    """Rename the working file over the published one, atomically.  The caller has
    checkpointed and closed it (the last step's connection does, so the whole file is in
    ``work`` and no WAL is left beside it)."""
    _fsync(work)
    work.replace(wp.db)
    _fsync(wp.root)


def discard_work(work: Path) -> None:
    """Remove a working file, its WAL and what DuckDB spilled beside it."""
    work.unlink(missing_ok=True)
    Path(str(work) + ".wal").unlink(missing_ok=True)
    shutil.rmtree(str(work) + ".tmp", ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_connection(wp: WarehousePaths, memory: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, under DuckDB's memory cap
    ``memory`` when given (exports are; ad-hoc queries are not).

    Raises UsageError when there is no warehouse yet.  On DuckLake the lake is attached
    read-only as ``lake`` and in use, so the same SQL reads its newest snapshot.
    """
    backend = wp.backend
    if backend.is_lake:
        from jjj_etl import lake

        return lake.connect(backend, read_only=True, memory=memory)
    if not wp.db.exists():
        raise UsageError(f"no warehouse at {wp.db}: run `jjj-etl run` first")
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory} if memory else {}
    )
    try:
        return duckdb.connect(str(wp.db), read_only=True, config=config)
    except duckdb.Error as exc:
        raise RunError(f"cannot open {wp.db} read-only: {exc}") from exc
