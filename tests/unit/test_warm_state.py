"""The warm Prefect server's records and locks (flows/warm.py), without a server: the idle
watch, a recycled pid, the idle-timeout setting.  The server itself: tests/e2e/
test_warm_server.py."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path

import pytest
from flows import warm

from jjj_etl.errors import UsageError


def test_the_idle_watch_waits_for_the_lease_and_keeps_it_while_stopping(tmp_path: Path) -> None:
    lease = tmp_path / "lease"
    lease.touch()
    run = lease.open("ab")
    fcntl.flock(run.fileno(), fcntl.LOCK_SH)  # a run in flight
    os.utime(lease, (0, 0))  # and touched long ago
    stopped: list[float] = []
    held: list[object] = []
    watcher = threading.Thread(
        target=lambda: held.append(warm.watch_idle(lease, 1.0, lambda: stopped.append(1), 0.05))
    )
    watcher.start()
    time.sleep(0.5)
    assert not stopped  # the lease is held: not idle, however old the file
    run.close()
    watcher.join(timeout=10)
    assert stopped == [1]
    other = lease.open("ab")  # while stopping, the watch holds the lease: no run takes it
    with pytest.raises(BlockingIOError):
        fcntl.flock(other.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    other.close()
    held[0].close()  # type: ignore[attr-defined]


def test_a_recycled_pid_is_never_signalled(tmp_path: Path) -> None:
    """A record whose pid now belongs to another process (here: this test) is stale, and
    stopping it signals nothing."""
    folder = tmp_path / "state"
    folder.mkdir()
    record = {"pid": os.getpid(), "port": 9, "api": "http://127.0.0.1:9/api"}
    record |= {"fingerprint": warm.fingerprint(), "started": 0.0, "idle_timeout": 1.0}
    (folder / "server.json").write_text(json.dumps(record), encoding="utf-8")
    assert warm.status(folder)[0] == "stale"
    assert warm.stop(folder) is not None  # we are still here
    assert warm.read_state(folder) is None


@pytest.mark.parametrize("raw", ["-1", "soon", "nan"])
def test_a_bad_idle_timeout_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(warm.IDLE_ENV, raw)
    with pytest.raises(UsageError, match=warm.IDLE_ENV):
        warm.idle_timeout()
