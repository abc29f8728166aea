"""A run whose commit landed but whose export failed says so (exit 1, naming the version);
the next run, even with nothing new, writes the missing export, points ``latest`` at it and
removes what killed exports left behind."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_runs import cli, killed_export_leftover, versions
from jjj_etl.config import load_config
from jjj_etl.export import export_problems
from jjj_etl.pipeline import Pipeline

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` refuses new entries: the immutable flag for root (whom modes do not stop),
    read-only modes for anyone else."""
    if os.geteuid() == 0:
        flagged = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if flagged.returncode != 0:
            pytest.skip(f"cannot make {folder} immutable: {flagged.stderr.decode().strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(0o755)


def test_an_export_that_failed_after_the_commit_is_told_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse"
    exports = warehouse / "exports"
    exports.mkdir(parents=True)
    with unwritable(exports):
        failed = cli("run", "--warehouse", str(warehouse), timeout=240)

    assert failed.returncode == 1, failed.stderr
    assert "version 1 committed, but its export failed" in failed.stderr
    assert "`jjj-etl export`" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert versions(warehouse) == 1  # the commit stands, as the message says
    assert not (exports / "v1").exists()
    assert not (exports / "latest").exists()

    left = killed_export_leftover(exports, 1)
    monkeypatch.setenv("JJJ_ETL_PARSE_WORKERS", "1")
    summary = Pipeline(load_config(), warehouse).run()  # nothing new: no version added ...

    assert summary.version is None
    assert versions(warehouse) == 1
    assert summary.exports == str(exports / "v1")  # ... but the export is whole again
    assert export_problems(exports / "v1") == []
    assert (exports / "latest").resolve() == (exports / "v1").resolve()
    assert not left.exists()
    assert not [p.name for p in exports.iterdir() if p.name.startswith(".")]
