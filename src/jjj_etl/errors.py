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
    │   ├── NoVersionError        the warehouse has no version yet (nothing to export)
    │   └── WarehouseLockedError  another writer holds the warehouse past the timeout
    └── ExportError               the version stands, its Parquet export failed (exit 1)

httpx, duckdb and pydantic errors are translated into these where they enter.
"""

from __future__ import annotations

from collections.abc import Sequence
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
