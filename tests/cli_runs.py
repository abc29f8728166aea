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


def killed_export_leftover(exports: Path, version: int) -> Path:
    """A real process that starts an export folder and is SIGKILLed before it finishes."""
    code = (
        "import os, sys, time; from pathlib import Path\n"
        f"tmp = Path(sys.argv[1]) / f'.v{version}.tmp-{{os.getpid()}}'\n"
        "tmp.mkdir(); (tmp / 'fct_observations.parquet').write_bytes(b'PAR1 half')\n"
        "print(tmp, flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(exports)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        left = Path(proc.stdout.readline().strip())
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert left.is_dir()
    return left
