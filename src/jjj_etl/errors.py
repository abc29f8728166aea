"""One exception tree for jjj-etl.

::

    JjjError                      base; cli.py maps it to an exit code
    ├── UsageError                bad arguments (exit 2)
    │   └── ConfigError           sources.toml missing, unreadable or invalid (exit 2)
    ├── FetchError                a page could not be fetched (recorded, run goes on)
    │   └── ArchiveUnreadableError  a replayed page's record is damaged in the WARC archive
    ├── ParseError                a page could not be parsed (recorded as skipped)
    ├── RunError                  the run failed; nothing was committed (exit 1)
    │   ├── BuildError            a SQL model failed (names the model file)
    │   ├── DataTestError         blocking data tests failed (carries failing rows)
    │   ├── DiskFullError         no room to write in the warehouse folder (names it, sizes)
    │   ├── NoVersionError        the warehouse has no version yet (nothing to export)
    │   ├── WarehouseLockedError  another writer holds the warehouse past the timeout
    │   └── CommitConflictError   another writer's DuckLake snapshot conflicted with this run's
    └── ExportError               the version stands, its Parquet export failed (exit 1)

httpx, duckdb and pydantic errors are translated into these where they enter.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class JjjError(Exception):
    """Base of every error jjj-etl raises on purpose."""

    exit_code = 1


class UsageError(JjjError):
    """Bad command-line usage."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration file is missing or invalid; the message names the file and key.

    ``more`` holds further ``(key, problem)`` pairs of the same file: the message lists
    every one, a line each, so one edit can fix them all.
    """

    def __init__(
        self, path: str, key: str, problem: str, more: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.problems = [(key, problem), *more]
        if not more:
            super().__init__(f"{path}: {key}: {problem}")
            return
        lines = "".join(f"\n  {k}: {p}" for k, p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problems:{lines}")


class FetchError(JjjError):
    """A page could not be fetched."""


class ArchiveUnreadableError(FetchError):
    """A replay could not answer a request because the WARC archive is damaged there."""


class ParseError(JjjError):
    """A page could not be parsed."""


class RunError(JjjError):
    """The pipeline run failed and committed nothing."""


class BuildError(RunError):
    """A SQL model failed to build."""

    def __init__(self, model_file: str, message: str) -> None:
        self.model_file = model_file
        super().__init__(f"model {model_file} failed: {message}")


class DataTestError(RunError):
    """Blocking data tests returned failing rows."""

    def __init__(self, failures: dict[str, list[dict[str, Any]]]) -> None:
        self.failures = failures
        lines = [
            f"{name}: {len(rows)} failing row(s), e.g. {rows[:3]}"
            for name, rows in failures.items()
        ]
        super().__init__("blocking data tests failed:\n  " + "\n  ".join(lines))


class DiskFullError(RunError):
    """No room to write in a folder (disk full, quota, file-size limit); the message names
    the folder, what was written, the space needed and the space free.  Built by
    :func:`disk_full`; one plain message argument, so it crosses process boundaries."""


_NO_ROOM = {
    errno.ENOSPC: "No space left on device",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EFBIG: "File too large",
}
_WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "past the file-size limit of this process (ulimit -f)",
}


def out_of_room(exc: BaseException) -> int | None:
    """The errno (ENOSPC, EDQUOT, EFBIG) if ``exc``, or an exception it came from, says
    there is no room to write; DuckDB and Arrow carry the system's message only as text."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_ROOM:
            return current.errno
        text = str(current)
        for code, message in _NO_ROOM.items():
            if message in text:
                return code
        current = current.__cause__ or current.__context__
    return None


def _size(n: int) -> str:
    """``n`` bytes for a person: ``950 bytes``, ``11.5 MB``."""
    if n < 1000:
        return f"{n} bytes"
    value, unit = float(n), "bytes"
    for unit in ("KB", "MB", "GB", "TB"):  # noqa: B007 - the last unit reached is the one
        value /= 1000
        if value < 1000:
            break
    return f"{value:.1f} {unit}"


def disk_full(
    exc: BaseException,
    folder: str | Path,
    what: str,
    *,
    needed: int | None = None,
    written: int | None = None,
    after: str = "nothing of this run is committed and the published version is untouched",
) -> DiskFullError | None:
    """The :class:`DiskFullError` to raise for ``exc`` when it is a lack of room while
    writing ``what`` in ``folder`` (None when it is something else).  ``needed``: bytes the
    write needs; ``written``: bytes it had written when it failed."""
    code = out_of_room(exc)
    if code is None:
        return None
    try:
        free = f"{_size(shutil.disk_usage(folder).free)} free there"
    except OSError:
        free = "free space unknown"
    if needed is not None:
        need = f"it needs {_size(needed)}"
    elif written is not None:
        need = f"it needs more than the {_size(written)} written when it failed"
    else:
        need = "it needs more room"
    return DiskFullError(
        f"no room to write {what} in {folder}: {_WHY[code]} ({_NO_ROOM[code]}); {need}, "
        f"{free}; {after}; its partial file was removed"
    )


class NoVersionError(RunError):
    """The warehouse has no version yet."""


class ExportError(JjjError):
    """A version's Parquet export failed.  The version itself stands (committed by this run,
    ``committed``, or earlier); ``jjj-etl export`` writes the export again."""

    def __init__(self, committed: int | None, cause: BaseException) -> None:
        self.committed = committed
        why = f"{type(cause).__name__}: {cause}" if isinstance(cause, OSError) else str(cause)
        if committed is not None:
            head = f"version {committed} committed, but its export failed: {why}"
        else:
            head = f"nothing new to commit, but repairing the current export failed: {why}"
        super().__init__(f"{head}; `jjj-etl export` writes it again once that is fixed")


class WarehouseLockedError(RunError):
    """Another run holds the warehouse write lock."""


class CommitConflictError(RunError):
    """Another writer committed a conflicting DuckLake snapshot first; this run's transaction
    was rolled back whole (the pipeline runs its write window again, a few times at most)."""
