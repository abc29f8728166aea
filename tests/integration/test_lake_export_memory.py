"""A lake's history export under a small memory cap (issue 22 item 5).

The history of a lake is rebuilt from its snapshots by time travel.  Grouping the rows
themselves to find each one's first and last version held every row of every kept version
in one hash table, so the export ran out of a cap that the same export of a single file fits
(the ×10 bench at 1GB).  Here a real DuckLake holds two versions of wide rows, several times
the cap, and the export must write the whole history, oldest version first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from jjj_etl import lake, warehouse
from jjj_etl.export import export, export_warehouse, read_manifest

ROWS = 400_000  # × ~110 bytes of text a row: ~44 MB of rows a version, against a 64MB cap
CAP = "64MB"
# the text differs per row (a hash, not a repeated string), as sentences do
WIDE = "'row ' || i::varchar || ': ' || repeat(md5(i::varchar), 3)"


def _two_versions(root: Path) -> lake.Backend:
    """A lake with version 1 (ROWS rows) and version 2 (every 10th row removed, ROWS / 10
    new ones), each one snapshot tagged as the pipeline tags it; no cap while writing."""
    root.mkdir()
    backend = lake.from_config("ducklake", "", "", root)
    lake.record(root, backend, has_file=False)
    con = lake.connect(backend, read_only=False)
    try:
        # small row groups, so that no one Parquet page of the wide text nears the cap: the
        # test is about the history query, not the page a scan of a data file reads at once
        con.execute(f"call {lake.ALIAS}.set_option('parquet_row_group_size', 4096)")
        con.execute("begin transaction")
        con.execute("create schema meta")
        con.execute("create table meta.versions (version_id integer)")
        con.execute(
            f"create table main.fct_observations as select i as observation_id, "
            f"{WIDE} as sentence, i * 1.5 as value from range({ROWS}) as r(i)"
        )
        con.execute("insert into meta.versions values (1)")
        lake.tag_commit(con, 1, "run-1")
        con.execute("commit")
        con.execute("begin transaction")
        con.execute("delete from main.fct_observations where observation_id % 10 = 0")
        con.execute(
            f"insert into main.fct_observations select i, {WIDE}, i * 1.5 "
            f"from range({ROWS}, {ROWS + ROWS // 10}) as r(i)"
        )
        con.execute("insert into meta.versions values (2)")
        lake.tag_commit(con, 2, "run-2")
        con.execute("commit")
    finally:
        con.close()
    return backend


def test_a_lake_history_export_fits_a_cap_smaller_than_its_rows(tmp_path: Path) -> None:
    backend = _two_versions(tmp_path / "warehouse")
    with lake.connect(backend, read_only=True, memory=CAP) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() != ("none",)
        folder = export(con, tmp_path / "exports", [], 2).folder
        # the export leaves the connection's planner as it found it
        assert con.execute("select current_setting('disabled_optimizers')").fetchone() == ("",)
    path = folder / "history_fct_observations.parquet"
    table = pq.read_table(
        path, columns=["observation_id", "valid_from_version", "valid_to_version"]
    )
    assert read_manifest(folder)["tables"]["history_fct_observations"]["rows"] == table.num_rows
    assert table.num_rows == ROWS + ROWS // 10
    assert not list(folder.glob(".*"))  # no per-version parts left beside the file
    spans = duckdb.sql(
        "select valid_from_version, valid_to_version, count(*), "
        "count(*) filter (where observation_id % 10 = 0 and observation_id < ?) "
        "from read_parquet(?) group by all order by all",
        params=[ROWS, str(path)],
    ).fetchall()
    retired = ROWS // 10
    assert spans == [
        (1, 2, retired, retired),  # removed by version 2: it lived in version 1 only
        (1, None, ROWS - retired, 0),
        (2, None, ROWS // 10, 0),  # new in version 2
    ]
    # oldest version first, as the single file's append-only history reads
    versions = table.column("valid_from_version").to_pylist()
    assert versions == sorted(versions)


_READ_CONNECTION = warehouse.read_connection  # the real one, before any test records it


class _CapSeenError(Exception):
    """Raised by the recording connection once the cap is seen (nothing to export here)."""


def _cap_of_export(root: Path, monkeypatch: Any) -> str:
    """The memory_limit DuckDB reports on the connection ``export_warehouse`` reads with."""
    seen: list[str] = []

    def recording(wp: Any, memory: str | None = None) -> duckdb.DuckDBPyConnection:
        con = _READ_CONNECTION(wp, memory)
        row = con.execute("select current_setting('memory_limit')").fetchone()
        seen.append(str(row[0]) if row else "")
        con.close()
        raise _CapSeenError

    monkeypatch.setattr(warehouse, "read_connection", recording)
    with pytest.raises(_CapSeenError):
        export_warehouse(root)
    return seen[0]


def test_an_export_without_config_reads_under_the_backends_default_cap(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("JJJ_ETL_DUCKDB_MEMORY_LIMIT", raising=False)
    root = tmp_path / "lake"
    root.mkdir()
    lake.record(root, lake.from_config("ducklake", "", "", root), has_file=False)
    assert _cap_of_export(root, monkeypatch) == "953.6 MiB"  # 1GB, as a run on it has
    single = tmp_path / "file"
    single.mkdir()
    duckdb.connect(str(single / "jjj.duckdb")).close()
    assert _cap_of_export(single, monkeypatch) == "244.1 MiB"  # 256MB
    monkeypatch.setenv("JJJ_ETL_DUCKDB_MEMORY_LIMIT", "128MB")
    assert _cap_of_export(root, monkeypatch) == "122.0 MiB"  # the environment wins
