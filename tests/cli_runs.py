"""Running the installed ``jjj-etl`` entry point from tests, and reading what it committed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

BIN = Path(sys.executable).parent / "jjj-etl"


def cli_env() -> dict[str, str]:
    """This process's environment as it is now (tests set variables), analytics off."""
    return {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def cli(
    *args: str, stdin: str | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``jjj-etl ARGS`` in a subprocess, output captured, bounded in time."""
    return subprocess.run(
        [str(BIN), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        check=False,
    )


def versions(warehouse: Path) -> int:
    """How many versions the published warehouse holds (0 when there is none yet)."""
    db = warehouse / "jjj.duckdb"
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*) from meta.versions").fetchone()
    return int(row[0]) if row else 0
