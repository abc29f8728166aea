"""DuckLake as the multi-host recipe runs it: a real PostgreSQL catalog and the data files in
object storage (a real S3-compatible server, moto, on loopback).  Two writer processes (two
"hosts": two warehouse folders, one catalog, one bucket), a reader process, a writer killed
with SIGKILL, and the maintenance that expires retired snapshots and deletes their files
from the bucket.  A lake on a local data folder: tests/integration/test_backends.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jjj_etl import lake
from jjj_etl.config import load_config
from jjj_etl.errors import UsageError
from jjj_etl.export import export_warehouse
from jjj_etl.pipeline import Pipeline
from jjj_etl.tools import list_versions, run_query
from lake_writer import write_runs
from s3server import S3Server

TESTS = Path(__file__).resolve().parents[1]
WRITER = TESTS / "lake_writer.py"
SOURCE = '[[sources]]\nname = "demo"\nstart_urls = ["http://x.invalid/"]\n'

# One statement reads one snapshot: the newest version's recorded row count and the rows
# the marts hold must agree, and every version up to the newest must be there.
READER = """
import json, sys, time
from jjj_etl.errors import UsageError
from jjj_etl.tools import run_query
sql = (
    "select (select count(*) from fct_observations), "
    "(select max(version_id) from meta.versions), (select count(*) from meta.versions), "
    "(select (row_counts->>'fct_observations')::int from meta.versions "
    "order by version_id desc limit 1)"
)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        (row,) = run_query(sys.argv[1], sql)[1]
    except UsageError as exc:  # before the first version no mart exists yet
        if "does not exist" not in str(exc):
            raise
        row = [None, None, 0, None]
    print(json.dumps(row), flush=True)
    time.sleep(0.1)
"""


def _config(folder: Path, catalog: str, s3: S3Server, bucket: str, extra: str = "") -> Path:
    """A lake on ``catalog``, its data files under ``bucket`` of the server ``s3``."""
    cfg = folder / "sources.toml"
    cfg.write_text(
        f'[warehouse]\nbackend = "ducklake"\ncatalog = "{catalog}"\n'
        f'data_path = "{bucket}/jjj"\ns3_endpoint = "{s3.endpoint}"\n'
        f's3_url_style = "path"\ns3_use_ssl = false\n{extra}\n{SOURCE}',
        encoding="utf-8",
    )
    return cfg


def _writer(
    cfg: Path, wh: Path, name: str, runs: int, barrier: Path, peers: int
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(cfg), str(wh), name, str(runs), str(barrier), str(peers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> list[dict[str, object]]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def lake_config(
    new_pg_catalog: object, s3_server: S3Server, new_s3_bucket: object, tmp_path: Path
) -> Path:
    """A DuckLake on a new PostgreSQL database, data files in a new bucket; the catalog
    is created once, before any writer starts (as one host does before the others join)."""
    cfg = _config(tmp_path, new_pg_catalog(), s3_server, new_s3_bucket())  # type: ignore[operator]
    config = load_config(cfg)
    pipe = Pipeline(config, tmp_path / "host0")
    lake.record(pipe.paths.create().root, pipe.backend, has_file=False)
    return cfg


def test_two_writers_and_a_reader_see_only_whole_versions(
    lake_config: Path, tmp_path: Path
) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp_path / "host0"), "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        writers = [
            _writer(lake_config, tmp_path / f"host{i}", f"w{i}", 1, barrier, 2) for i in (1, 2)
        ]
        results = [r for w in writers for r in _finish(w)]
    finally:
        os.killpg(reader.pid, signal.SIGTERM)
        out, err = reader.communicate(timeout=30)
    # each run committed a version of its own, and the later one met the other's commit,
    # was rolled back whole and ran its window again
    assert sorted(int(str(r["version"])) for r in results) == [1, 2]
    assert sorted(int(str(r["attempts"])) for r in results) == [1, 2]
    seen = [json.loads(line) for line in out.splitlines() if line.startswith("[")]
    assert any(s[1] is not None for s in seen), err  # the reader read versions meanwhile
    for rows, newest, count, recorded in seen:
        if newest is None:  # before the first version: nothing built yet
            continue
        assert count == newest  # no version missing or repeated
        assert rows == recorded  # the marts are exactly what their version recorded
    versions = list_versions(str(tmp_path / "host1"))
    assert [v["version_id"] for v in versions] == [2, 1]
    # each version reads back whole by time travel: one article, then both writers' two
    sql = "select count(distinct article_id) from fct_observations"
    counts = [run_query(str(tmp_path / "host2"), sql, as_of=v)[1][0][0] for v in (1, 2)]
    assert counts == [1, 2]


def test_a_writer_killed_mid_run_leaves_the_catalog_whole(
    lake_config: Path, tmp_path: Path
) -> None:
    assert (
        write_runs(str(lake_config), str(tmp_path / "host1"), "w1", 1, tmp_path, 0)[0]["version"]
        == 1
    )
    before = _snapshots(lake_config, tmp_path / "host1")
    barrier = tmp_path / "never"
    barrier.mkdir()
    victim = _writer(lake_config, tmp_path / "host2", "w2", 1, barrier, 2)  # waits for a peer
    deadline = time.monotonic() + 60
    while not (barrier / "w2.ready").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (barrier / "w2.ready").exists()  # staged, built, tested: about to commit
    os.killpg(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    assert _snapshots(lake_config, tmp_path / "host1") == before
    assert [v["version_id"] for v in list_versions(str(tmp_path / "host1"))] == [1]
    # the next run, on either host, is fine
    again = write_runs(str(lake_config), str(tmp_path / "host2"), "w2", 1, tmp_path, 0)
    assert again[0]["version"] == 2


def _snapshots(cfg: Path, wh: Path) -> int:
    _, rows = run_query(str(wh), "select count(*) from meta.versions")
    with lake.connect(Pipeline(load_config(cfg), wh).backend, read_only=True) as con:
        row = con.execute("select count(*) from lake.snapshots()").fetchone()
    return int(row[0]) * 1000 + int(rows[0][0]) if row else -1


def test_maintenance_expires_retired_snapshots_and_their_files(
    new_pg_catalog: object, s3_server: S3Server, new_s3_bucket: object, tmp_path: Path
) -> None:
    bucket = new_s3_bucket()  # type: ignore[operator]
    name = bucket.removeprefix("s3://")
    cfg = _config(
        tmp_path,
        new_pg_catalog(),  # type: ignore[operator]
        s3_server,
        bucket,
        'snapshot_retention = "0 seconds"\nfile_retention = "0 seconds"\nmaintenance_every = 3\n',
    )
    wh = str(tmp_path / "host1")
    write_runs(str(cfg), wh, "w1", 2, tmp_path, 0)  # versions 1 and 2: not due, all kept
    assert run_query(wh, "select count(*) from fct_observations", as_of=1)[1][0][0] >= 1
    files_before = [k for k in s3_server.keys(name) if k.endswith(".parquet")]
    assert files_before, "the data files are in the bucket"
    assert all(k.startswith("jjj/") for k in files_before)
    write_runs(str(cfg), wh, "w2", 1, tmp_path, 0)  # version 3: due
    with pytest.raises(UsageError, match="no longer kept"):
        run_query(wh, "select 1", as_of=1)
    assert run_query(wh, "select count(*) from fct_observations", as_of=3)[1][0][0] == 3
    files_after = [k for k in s3_server.keys(name) if k.endswith(".parquet")]
    assert len(files_after) < len(files_before)  # retired data files deleted from the bucket
    exported = export_warehouse(wh, 3, dest=tmp_path / "export")
    history = exported.folder / "history_fct_observations.parquet"
    assert history.exists()  # the history export starts at the oldest version kept
