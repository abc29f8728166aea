"""Stopping a run on SIGTERM or Ctrl-C: within seconds, nothing committed, no child left.

:func:`stop_on_signals` turns the first SIGTERM / SIGINT into :class:`RunStopped` in the main
thread, so the write window unwinds (its working copy discarded, the published version
untouched), and it sets :data:`STOP`, which the crawler and the parse workers watch: the
crawl starts no new request, the worker processes are stopped by their PIDs and no worker
is started again.  ``RunStopped`` derives from BaseException so that no ``except Exception``
on the way (ours, Prefect's, a library's) takes it for a failure to handle and go on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["RunStopped", "received", "stop_on_signals", "when_stopping"]  # and the STOP event

STOP = threading.Event()
_state: dict[str, int] = {}
_on_stop: list[Callable[[], None]] = []


class RunStopped(BaseException):
    """The run was stopped by a signal; nothing was committed."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum  # what shells report for a process ended by it
        super().__init__(
            f"stopped by {signal.Signals(signum).name}: nothing of this run is committed "
            "unless it had already published its version (`jjj-etl versions` tells)"
        )


def received() -> int | None:
    """The signal that stopped the run, if one did."""
    return _state.get("signum")


def when_stopping(callback: Callable[[], None]) -> None:
    """Call ``callback`` (once, from the signal handler) when a stop signal arrives."""
    _on_stop.append(callback)


def _handler(signum: int, _frame: FrameType | None) -> None:
    first = not STOP.is_set()
    STOP.set()
    _state.setdefault("signum", signum)
    if not first:
        return  # the stop is under way; a second signal changes nothing
    for callback in _on_stop:
        callback()
    raise RunStopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT stop the run (see the module docstring)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; its owner handles them
        return
    STOP.clear()
    _state.clear()
    old = {s: signal.signal(s, _handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        # once stopping, our handler stays: Prefect re-sends the signal to the handler it
        # found, and under the default one the process would die before its clean-up (the
        # temporary Prefect server left running, no exit code of ours)
        if not STOP.is_set():
            for s, h in old.items():
                signal.signal(s, h)
