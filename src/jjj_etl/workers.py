"""A pool of worker processes for CPU-bound steps (parsing).

Parsing is pure Python: threads only take turns on one core (the GIL), so the parse stage
runs in processes.  Workers are started with ``spawn`` (never ``fork``: the parent runs
Prefect's and httpx's threads) on first use, shared by every caller in the process, and
stopped by :func:`close_pool` (also at interpreter exit).  A worker that dies (out of
memory, a crash inside a C extension) breaks the pool: :func:`call` replaces it and raises
:class:`WorkerDiedError`, so the caller can decide what to retry.

A call may carry a time budget per item (``call(..., budget=30.0)``): the worker reports which
item it is on (:class:`Progress`), and the parent kills it by its PID when one item has run
longer than the budget, raising :class:`BudgetExceededError` naming the item.  The kill is done
from outside because an item stuck in C code (a regular expression, lxml) holds the GIL: no
timer thread or signal handler inside the worker would get to run.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from jjj_etl.stopping import STOP, RunStopped, received, when_stopping

__all__ = [
    "BudgetExceededError",
    "Progress",
    "WorkerDiedError",
    "call",
    "can_start_workers",
    "close_pool",
    "kill_workers",
    "prestart",
    "stop_process",
    "usable_cores",
    "worker_pids",
]

T = TypeVar("T")


class WorkerDiedError(RuntimeError):
    """A worker process exited while running a call (its pool has been replaced).

    ``collateral`` is true when the pool broke because *another* call's worker was killed
    for overrunning its budget: this call did nothing wrong and may simply be tried again.
    """

    def __init__(self, message: str, *, collateral: bool = False) -> None:
        super().__init__(message)
        self.collateral = collateral


class BudgetExceededError(RuntimeError):
    """Item ``index`` of a call ran past its budget; its worker was killed (pool replaced)."""

    def __init__(self, index: int, budget: float) -> None:
        super().__init__(f"item {index} exceeded its budget of {budget:g} s")
        self.index = index
        self.budget = budget


class Progress:
    """Which item a worker is on, shared through a small file (picklable: only its path).

    The worker calls :meth:`begin` before each item; the parent reads :meth:`current`.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def begin(self, index: int) -> None:
        """In the worker: item ``index`` starts now (one small in-place write)."""
        with contextlib.suppress(OSError):  # the parent gave up on this call: it is killed
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.pwrite(fd, f"{os.getpid()} {index}\n".ljust(32).encode(), 0)
            finally:
                os.close(fd)

    def current(self) -> tuple[int, int] | None:
        """In the parent: ``(worker pid, item index)``, or None before the first item."""
        try:
            with Path(self.path).open("rb") as fh:
                fields = fh.read(32).split()
        except OSError:
            return None
        if len(fields) != 2:  # not started yet (or the rare torn read: seen next poll)
            return None
        return int(fields[0]), int(fields[1])


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def can_start_workers() -> bool:
    """False inside a daemonic process (a Dask or multiprocessing worker): it may not have
    children, and it is already one of many parallel workers."""
    return not multiprocessing.current_process().daemon


class _Shared:
    """The one pool of this process, replaced when it breaks or is asked for another size."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.executor: ProcessPoolExecutor | None = None
        self.size = 0

    def get(self, workers: int) -> ProcessPoolExecutor:
        with self.lock:
            if self.executor is None or self.size != workers:
                if self.executor is not None:
                    self.executor.shutdown(wait=True)
                self.executor = ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(),),
                )
                self.size = workers
            return self.executor

    def take(self, only: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor | None:
        """Forget the pool (only if it is ``only``, when given) and hand it to the caller."""
        with self.lock:
            pool = self.executor
            if pool is not None and (only is None or pool is only):
                self.executor = None
                return pool
            return None


_shared = _Shared()
# pools broken by a budget kill (kept, not their id(): a new pool could reuse an id)
_killed_for_budget: list[ProcessPoolExecutor] = []

PARENT_CHECK_SECONDS = 1.0
BUDGET_POLL_SECONDS = 0.05


def _exit_with_parent(parent: int) -> None:
    """In each worker: exit as soon as the process that started it is gone (killed, or
    crashed), instead of parsing on alone.  A thread polls the parent PID: the kernel's
    parent-death signal follows the *thread* that forked, and pools are started from
    short-lived task threads."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    if os.getppid() != parent:  # the parent died while this worker started
        os._exit(1)
    threading.Thread(target=watch, name="jjj-parent-watch", daemon=True).start()


def call(workers: int, fn: Callable[..., T], *args: Any, budget: float | None = None) -> T:
    """Run ``fn(*args)`` in the shared pool of ``workers`` processes and wait for it.

    ``fn`` and its arguments must be picklable (module-level functions, plain records).
    With ``budget`` (seconds), ``fn`` is called with a :class:`Progress` as its last
    argument and must call ``progress.begin(i)`` before item ``i``; an item that runs past
    the budget gets its worker killed and raises :class:`BudgetExceededError`.
    Raises :class:`WorkerDiedError` if the worker running it exits; exceptions raised by
    ``fn`` itself are re-raised as they are.
    """
    _stopping()
    pool = _shared.get(workers)
    try:
        if budget is None:
            return pool.submit(fn, *args).result()
        return _call_within(pool, budget, fn, args)
    except BrokenProcessPool as exc:
        broken = _shared.take(only=pool)
        if broken is not None:
            broken.shutdown(wait=True, cancel_futures=True)
        _stopping()  # stopped by a signal: not a crash to retry, and no new pool
        raise WorkerDiedError(
            f"a worker process died: {exc}", collateral=any(p is pool for p in _killed_for_budget)
        ) from exc


def prestart(workers: int, warm: Callable[[], object], ahead: int) -> None:
    """Start ``ahead`` of the shared pool's ``workers`` processes now, without waiting for
    them: each runs ``warm`` (a module-level function; unpickling it imports its module), so
    their interpreter start and imports happen while the caller does something else (the
    crawl), not when the first batch is handed over; the pool starts the others when calls
    need them.  Does nothing for one worker, in a daemonic process, or once the run is
    stopping."""
    if workers <= 1 or not can_start_workers() or STOP.is_set():
        return
    pool = _shared.get(workers)
    with contextlib.suppress(BrokenProcessPool, RuntimeError):  # call() replaces a broken pool
        for _ in range(max(1, min(ahead, workers))):
            pool.submit(warm)


def _call_within(
    pool: ProcessPoolExecutor, budget: float, fn: Callable[..., T], args: tuple[Any, ...]
) -> T:
    fd, path = tempfile.mkstemp(prefix="jjj-progress-")
    os.close(fd)
    progress = Progress(path)
    try:
        future = pool.submit(fn, *args, progress)
        seen: tuple[int, int] | None = None
        since = time.monotonic()
        while True:
            try:
                return future.result(timeout=BUDGET_POLL_SECONDS)
            except TimeoutError:
                pass
            now = progress.current()
            if now != seen:  # timed by the parent's clock, from when it saw the item start
                seen, since = now, time.monotonic()
            elif seen is not None and time.monotonic() - since > budget:
                _kill_overrun(pool, future, seen[0])
                raise BudgetExceededError(seen[1], budget)
    finally:
        Path(path).unlink(missing_ok=True)


def _kill_overrun(pool: ProcessPoolExecutor, future: Any, pid: int) -> None:
    """Kill the overrunning worker by its PID, then wait for the pool to notice (it breaks,
    and every call running on it is told so), and forget the broken pool."""
    _killed_for_budget.append(pool)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(BrokenProcessPool, Exception):
        future.result(timeout=30)
    broken = _shared.take(only=pool)
    if broken is not None:
        broken.shutdown(wait=True, cancel_futures=True)


def _stopping() -> None:
    if STOP.is_set():
        raise RunStopped(received() or signal.SIGTERM)


def worker_pids() -> list[int]:
    """PIDs of the running worker processes (empty when no pool is running)."""
    with _shared.lock:
        procs = getattr(_shared.executor, "_processes", None) or {}
        return sorted(int(p) for p in procs)


def kill_workers() -> None:
    """Stop every worker process now, by its PID (a stop signal arrived: whatever they are
    parsing is thrown away).  Safe from a signal handler: it takes no lock."""
    procs = getattr(_shared.executor, "_processes", None) or {}
    for pid in list(procs):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


when_stopping(kill_workers)


def close_pool() -> None:
    """Stop the worker processes (each by its own PID, via the executor) and wait for them."""
    pool = _shared.take()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def stop_process(proc: subprocess.Popen[Any], grace: float = 20.0) -> None:
    """Stop a child process we started, by its own PID: SIGTERM, then SIGKILL after
    ``grace`` seconds; always reaped."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


atexit.register(close_pool)
