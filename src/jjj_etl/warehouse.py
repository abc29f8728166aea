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

from jjj_etl.config import DEFAULT_MEMORY_LIMIT
from jjj_etl.errors import ConfigError, RunError, UsageError, WarehouseLockedError

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
    def lock(self) -> Path:
        """The writer lock file."""
        return self.root / LOCK_NAME


def paths(root: str | Path | None = None) -> WarehousePaths:
    """Warehouse paths under ``root`` (default ``./warehouse``), created if missing."""
    p = Path(root) if root is not None else Path("warehouse")
    p.mkdir(parents=True, exist_ok=True)
    return WarehousePaths(p.resolve())


@contextlib.contextmanager
def writer_lock(
    wp: WarehousePaths, timeout: float = 60.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the single-writer lock; raise WarehouseLockedError after ``timeout`` seconds.

    ``on_wait`` is told once, with a readable line, when the lock is busy and we start waiting.
    """
    fd = os.open(wp.lock, os.O_RDWR | os.O_CREAT, 0o644)
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


def _remove_stale_work_files(wp: WarehousePaths) -> None:
    """Working files left by killed runs (we hold the lock, so none is live)."""
    for stale in wp.root.glob(WORK_PREFIX + "*"):
        if stale.is_dir() and not stale.is_symlink():  # DuckDB's spill folder, <work>.tmp
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


MEMORY_LIMIT_ENV = "JJJ_ETL_DUCKDB_MEMORY_LIMIT"


MIN_MEMORY_LIMIT_MIB = 16  # below this DuckDB cannot run a model at all
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}


def check_memory_limit(value: str) -> str:
    """``value`` stripped, if DuckDB takes it as ``memory_limit`` (``256MB``, ``2GiB``,
    ``none``) and it is at least 16 MiB; raises ValueError saying what is wrong otherwise."""
    v = value.strip()
    if not v:
        raise ValueError("empty: give a size such as '256MB', or 'none' for DuckDB's default")
    try:
        with duckdb.connect(config={"memory_limit": v}) as con:
            row = con.execute("select current_setting('memory_limit')").fetchone()
    except duckdb.Error as exc:  # a bad unit, or a cap too small to run this very query
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"{v!r} is not a memory size DuckDB accepts ({first})") from exc
    number, _, unit = str(row[0] if row else "").partition(" ")
    if float(number or 0) * _UNITS.get(unit, 1) < MIN_MEMORY_LIMIT_MIB * 2**20:
        raise ValueError(f"{v!r} is too small: DuckDB needs at least {MIN_MEMORY_LIMIT_MIB}MiB")
    return v


def memory_limit(configured: str = DEFAULT_MEMORY_LIMIT) -> str:
    """The DuckDB memory cap of a write window: ``$JJJ_ETL_DUCKDB_MEMORY_LIMIT`` when set,
    else ``configured`` (``[warehouse] memory_limit``, checked when the config was loaded).

    The cap bounds what the load, build, tests and commit take however large the warehouse
    grows; past it DuckDB spills to a temporary folder beside the working file.  ``none``
    leaves DuckDB's own default (80 % of the machine's RAM).  Raises ConfigError (exit 2)
    for an environment value DuckDB rejects.
    """
    value = os.environ.get(MEMORY_LIMIT_ENV, "")
    if not value.strip():
        return configured
    try:
        return check_memory_limit(value)
    except ValueError as exc:
        raise ConfigError("(environment)", MEMORY_LIMIT_ENV, str(exc)) from exc


def connect_work(work: str | Path, memory: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a working file under a memory cap: ``memory`` as resolved by
    :func:`memory_limit` at the start of the run, or (None) resolved now."""
    return duckdb.connect(str(work), config={"memory_limit": memory or memory_limit()})


def begin_work(wp: WarehousePaths, memory: str | None = None) -> Path:
    """Copy the published file to a private working file (hold the writer lock first)."""
    _remove_stale_work_files(wp)
    work = wp.root / f"{WORK_PREFIX}{os.getpid()}.duckdb"
    if wp.db.exists():
        shutil.copyfile(wp.db, work)
    else:
        work.unlink(missing_ok=True)
    try:
        connect_work(work, memory).close()
    except duckdb.Error as exc:
        discard_work(work)
        raise RunError(f"cannot open a working copy of {wp.db}: {exc}") from exc
    return work


def publish_work(wp: WarehousePaths, work: Path) -> None:
    """Checkpoint the working file and rename it over the published one, atomically."""
    with connect_work(work) as con:
        con.execute("checkpoint")
    _fsync(work)
    work.replace(wp.db)
    _fsync(wp.root)


def discard_work(work: Path) -> None:
    """Remove a working file, its WAL and what DuckDB spilled beside it."""
    work.unlink(missing_ok=True)
    Path(str(work) + ".wal").unlink(missing_ok=True)
    shutil.rmtree(str(work) + ".tmp", ignore_errors=True)


@contextlib.contextmanager
def write_session(
    wp: WarehousePaths, lock_timeout: float = 60.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a private copy, published atomically on clean exit.

    Raises WarehouseLockedError when another writer holds the lock past the timeout.
    """
    with writer_lock(wp, lock_timeout):
        work = begin_work(wp)
        con = connect_work(work)
        try:
            yield con
        except BaseException:
            con.close()
            discard_work(work)
            raise
        con.close()
        publish_work(wp, work)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_connection(wp: WarehousePaths, memory: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, under DuckDB's memory cap
    ``memory`` when given (exports are; ad-hoc queries are not).

    Raises UsageError when there is no warehouse yet.
    """
    if not wp.db.exists():
        raise UsageError(f"no warehouse at {wp.db}: run `jjj-etl run` first")
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory} if memory else {}
    )
    try:
        return duckdb.connect(str(wp.db), read_only=True, config=config)
    except duckdb.Error as exc:
        raise RunError(f"cannot open {wp.db} read-only: {exc}") from exc
