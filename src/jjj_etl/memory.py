"""DuckDB's memory cap for the write window: ``[warehouse] memory_limit`` or the environment.

Kept apart from :mod:`jjj_etl.config` and :mod:`jjj_etl.warehouse` so that neither imports
the other: the config validates a value with :func:`check_memory_limit`, the pipeline
resolves the cap of a run once with :func:`memory_limit`, and the warehouse only takes it.
"""

from __future__ import annotations

import os

from jjj_etl.errors import ConfigError

__all__ = [
    "DEFAULT_LAKE_MEMORY_LIMIT",
    "DEFAULT_MEMORY_LIMIT",
    "MEMORY_LIMIT_ENV",
    "MIN_MEMORY_LIMIT_MIB",
    "check_memory_limit",
    "default_memory_limit",
    "memory_limit",
]

DEFAULT_MEMORY_LIMIT = "256MB"  # [warehouse] memory_limit
#: A DuckLake warehouse's default: its whole run is one transaction, so a model that runs out
#: of memory cannot be retried on one thread as on the single file, and the file's default
#: fails a lake's build at sizes the file builds under it (BENCHMARKS.md).
DEFAULT_LAKE_MEMORY_LIMIT = "1GB"
MEMORY_LIMIT_ENV = "JJJ_ETL_DUCKDB_MEMORY_LIMIT"
MIN_MEMORY_LIMIT_MIB = 16  # below this DuckDB cannot run a model at all
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}


def check_memory_limit(value: str) -> str:
    """``value`` stripped, if DuckDB takes it as ``memory_limit`` (``256MB``, ``2GiB``,
    ``none``) and it is at least 16 MiB; raises ValueError saying what is wrong otherwise."""
    import duckdb  # not at import time: the config is read before anything needs DuckDB

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


def default_memory_limit(*, lake: bool) -> str:
    """The cap a warehouse gets when ``[warehouse] memory_limit`` is not set: a lake's run is
    one transaction (a model out of memory cannot be retried on one thread), so it has more."""
    return DEFAULT_LAKE_MEMORY_LIMIT if lake else DEFAULT_MEMORY_LIMIT


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
