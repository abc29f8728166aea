"""No room to write (here a real file-size limit, RLIMIT_FSIZE, set in the child process: no
root needed): one clear message naming the folder and the sizes, exit 1, no traceback, the
published file untouched and no partial file left behind."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from builders import published_contracts
from cli_runs import BIN, cli_env
from jjj_etl.archive import Damage, scan
from jjj_etl.errors import DiskFullError

# run argv[2:] with writes past argv[1] bytes failing (EFBIG; SIGXFSZ ignored, not fatal)
LIMITED = (
    "import os, resource, signal, sys\n"
    "limit = int(sys.argv[1])\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def _limited(limit: int, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
        check=False,
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return published_contracts(tmp_path / "warehouse", change=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".jjj.work"))


@pytest.mark.parametrize("room", ["none for the copy", "the copy but not the build"])
def test_no_room_for_the_working_copy_is_one_clear_message(warehouse: Path, room: str) -> None:
    db = warehouse / "jjj.duckdb"
    published, size = _sha(db), db.stat().st_size
    limit = size // 2 if room == "none for the copy" else size + 4096
    done = _limited(limit, str(BIN), "build", "-w", str(warehouse))

    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # one line
    assert done.stderr.startswith(f"error: no room to write the working copy in {warehouse}: ")
    assert "File too large" in done.stderr
    assert "free there" in done.stderr
    if room == "none for the copy":
        assert f"it needs {size / 1e6:.1f} MB" in done.stderr
    else:
        assert "it needs more than the" in done.stderr
    assert "Traceback" not in done.stderr
    assert "nothing of this run is committed" in done.stderr
    assert _sha(db) == published
    assert _leftovers(warehouse) == []  # the partial working file is gone at once


def _script(script: str, warehouse: Path) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter (its own limits), parsing in-process."""
    return subprocess.run(
        [sys.executable, "-c", script, str(warehouse)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**cli_env(), "JJJ_ETL_PARSE_WORKERS": "1"},
        check=False,
    )


PARSE_UNDER_LIMIT = """
import resource, signal, sys
from pathlib import Path
from jjj_etl.config import load_config
from jjj_etl.errors import DiskFullError
from jjj_etl.pipeline import Pipeline

pipe = Pipeline(load_config(), sys.argv[1])
run = pipe.start()
pages = [p for s in run.sources for p in pipe.extract(run, s)]
(jobs,) = pipe.plan(run, pages)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, resource.RLIM_INFINITY))
try:
    pipe.parse(jobs)
except DiskFullError as exc:
    print(exc)
"""


def test_no_room_for_a_parse_batch_names_the_folder_and_leaves_no_partial_batch(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "warehouse"
    done = _script(PARSE_UNDER_LIMIT, warehouse)
    assert done.returncode == 0, done.stderr
    parsed = (warehouse / "parsed").resolve()
    assert done.stdout.startswith(f"no room to write a parse batch's Parquet files in {parsed}")
    assert "File too large" in done.stdout
    assert list(parsed.iterdir()) == []  # neither a partial batch nor its temporary folder


CRAWL_UNDER_LIMIT = """
import resource, signal, sys
from jjj_etl.config import load_config
from jjj_etl.errors import DiskFullError
from jjj_etl.pipeline import Pipeline

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, resource.RLIM_INFINITY))
try:
    Pipeline(load_config(), sys.argv[1]).run()
except DiskFullError as exc:
    print(exc)
"""


def test_no_room_in_the_raw_archive_stops_the_crawl_and_keeps_whole_records(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "warehouse"
    done = _script(CRAWL_UNDER_LIMIT, warehouse)
    assert done.returncode == 0, done.stderr
    raw = (warehouse / "raw").resolve()
    assert done.stdout.startswith(f"no room to write the raw archive in {raw}: "), done.stdout
    assert not (warehouse / "jjj.duckdb").exists()  # nothing committed
    (warc,) = sorted((raw / "warc").glob("*.warc.gz"))
    records = list(scan(warc))
    assert records
    assert not [r for r in records if isinstance(r, Damage)]  # the half record was cut off


def test_a_run_error_is_not_retried_by_the_flow() -> None:
    from flows.tasks import _unless_run_error
    from prefect.states import Failed

    no_room = DiskFullError("no room to write the raw archive in /x: …")
    assert _unless_run_error(None, None, Failed(data=no_room)) is False
    assert _unless_run_error(None, None, Failed(data=OSError("connection reset"))) is True


def test_no_room_for_an_export_leaves_no_partial_folder(warehouse: Path, tmp_path: Path) -> None:
    dest = tmp_path / "bi"
    done = _limited(1500, str(BIN), "export", "-w", str(warehouse), "--dest", str(dest))
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: no room to write the Parquet export in {dest}: ")
    assert "the warehouse is untouched" in done.stderr
    assert list(dest.iterdir()) == []  # no half export, no temporary folder
