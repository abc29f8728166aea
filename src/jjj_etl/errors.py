"""One exception tree for jjj-etl.

::

    JjjError                      base; cli.py maps it to an exit code
    ├── UsageError                bad arguments (exit 2)
    │   └── ConfigError           sources.toml missing, unreadable or invalid (exit 2)
    ├── FetchError                a page could not be fetched (recorded, run goes on)
    │   └── ArchiveUnreadableError  a replayed page's record is damaged in the WARC archive
    ├── ParseError                a page could not be parsed (recorded as skipped)
    └── RunError                  the run failed; nothing was committed (exit 1)
        ├── BuildError            a SQL model failed (names the model file)
        ├── DataTestError         blocking data tests failed (carries failing rows)
        ├── WarehouseLockedError  another writer holds the warehouse past the timeout
        └── CommitConflictError   another writer's DuckLake snapshot conflicted with this run's

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


class WarehouseLockedError(RunError):
    """Another run holds the warehouse write lock."""


class CommitConflictError(RunError):
    """Another writer committed a conflicting DuckLake snapshot first; this run's transaction
    was rolled back whole (the pipeline runs its write window again, a few times at most)."""
