"""`jjj-etl query` is read-only for real: each way in issue 18 of writing through it is
refused (DuckDB's statement types and its own settings), with exit 2, and no file on disk
changes.  And its table output stays readable on a terminal."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from builders import figure, page, rebuild, working_copy
from cli_runs import BIN, cli, cli_env
from jjj_etl import staging
from jjj_etl.tools import query_connection
from jjj_etl.warehouse import paths

BODY = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    "in 2024, up 12.7% year on year."
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse at version 1, with its exports written."""
    root = tmp_path_factory.mktemp("ro") / "warehouse"
    pages = [page("http://x/1.html", BODY, [figure(BODY, "84.37 billion yuan", 84.37e9, "CNY")])]
    with working_copy(root) as con:
        staging.ensure_schema(con)
        staging.stage(con, "setup", [], pages, "1")
    assert rebuild(root)["version"] == 1
    assert (root / "exports" / "v1" / "manifest.json").is_file()
    return root


def _snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (the whole tree the test owns)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _query(warehouse: Path, sql: str, *extra: str) -> tuple[int, str]:
    done = cli("query", sql, "--warehouse", str(warehouse), *extra, timeout=60)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stderr


AS_OF = ("--as-of", "1", "--multi")
# {db}: the published file, {v1}: its export folder, {wh}: the warehouse, {tmp}: beside it
ATTACKS = [
    ("copy (select 1 as x) to '{db}'", ()),
    ("copy (select 1 as x) to '{db}' (format parquet)", ()),
    ("copy (select 1 as x) to '{db}' (use_tmp_file false)", ()),
    ("copy (select 1 as x) to '{db}.wal'", ()),
    ("copy (select 1 as x) to '{v1}/fct_observations.parquet' (format parquet)", ()),
    ("copy (select 1 as x) to '{v1}/manifest.json' (format json)", ()),
    ("copy (select 1 as x) to '{wh}/exports/latest/mart_conflicts.parquet'", ()),
    ("attach '{tmp}/new.duckdb' as n (read_write)", ()),
    ("attach '{tmp}/new.duckdb' as n", ()),
    ("export database '{tmp}/dump'", ()),
    ("detach wh; attach '{db}' as wh (read_write); drop table wh.main.fct_observations", AS_OF),
    ("detach wh; attach '{db}' as w2", AS_OF),
    ("install httpfs", ()),
    ("load httpfs", ()),
    ("set enable_external_access = true", ()),
    ("set lock_configuration = false", ()),
    ("select * from read_csv('/etc/hostname')", ()),
    ("drop table fct_observations", ()),
]


@pytest.mark.parametrize(("sql", "extra"), ATTACKS)
def test_a_write_through_query_is_refused_and_nothing_changes(
    warehouse: Path, sql: str, extra: tuple[str, ...]
) -> None:
    tmp = warehouse.parent
    sql = sql.format(
        db=warehouse / "jjj.duckdb", v1=warehouse / "exports" / "v1", wh=warehouse, tmp=tmp
    )
    before = _snapshot(tmp)
    code, stderr = _query(warehouse, sql, *extra)
    assert code == 2, stderr
    assert stderr.startswith(("error: query is read-only: ", "error: query failed: ")), stderr
    assert _snapshot(tmp) == before
    # and the published warehouse still reads
    code, stderr = _query(warehouse, "select count(*) from fct_observations")
    assert code == 0, stderr


def test_several_statements_need_multi(warehouse: Path) -> None:
    code, stderr = _query(warehouse, "select 1; select 2")
    assert code == 2
    assert "one SQL statement, got 2" in stderr
    done = cli(
        "query",
        "select 1 as a; select count(*) as n from fct_observations",
        "--multi",
        "--warehouse",
        str(warehouse),
        "--format",
        "json",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 1}]


def test_reads_still_work_now_and_as_of(warehouse: Path) -> None:
    for extra in ((), ("--as-of", "1")):
        done = cli(
            "query",
            "select indicator_id, value from fct_observations",
            "--warehouse",
            str(warehouse),
            "--format",
            "json",
            *extra,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [
            {"indicator_id": "tech_contract_value_bj_to_tjhe", "value": 84_370_000_000}
        ]
    meta = cli(
        "query",
        "select max(version_id) as v from meta.versions",
        "-w",
        str(warehouse),
        "--format",
        "csv",
    )
    assert meta.stdout.splitlines() == ["v", "1"]


@pytest.mark.parametrize(
    "sql",
    [
        "copy (select 1 as x) to '{db}'",
        "copy (select 1 as x) to '{v1}/fct_observations.parquet' (format parquet)",
        "copy (select 1 as x) to '{v1}/manifest.json' (format json)",
        "attach '{tmp}/new.duckdb' as n (read_write)",
        "install httpfs",
        "select * from read_csv('/etc/hostname')",
        "set enable_external_access = true",
    ],
)
def test_duckdb_itself_refuses_writes_on_the_query_connection(warehouse: Path, sql: str) -> None:
    """Below the statement check: the connection's own settings refuse the same writes."""
    tmp = warehouse.parent
    before = _snapshot(tmp)
    con = query_connection(paths(warehouse))
    try:
        with pytest.raises(duckdb.Error, match=r"disabled|locked"):
            con.execute(
                sql.format(db=warehouse / "jjj.duckdb", v1=warehouse / "exports" / "v1", tmp=tmp)
            )
    finally:
        con.close()
    assert _snapshot(tmp) == before


def test_the_table_format_keeps_columns_readable_on_a_narrow_terminal(warehouse: Path) -> None:
    done = subprocess.run(
        [str(BIN), "query", "select * from fct_observations", "-w", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**cli_env(), "COLUMNS": "80"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    header, _rule, *rows = done.stdout.splitlines()
    assert len(rows) == 1  # one line per row: nothing folded over several lines
    names = header.split()
    assert names[:3] == ["observation…", "fact_id", "indicator_id"]
    assert all(len(n) >= min(len(n.rstrip("…")), 12) for n in names)
    assert "84370000000" in rows[0]  # numbers are never cut
    assert "Technology…" in rows[0]  # long text is
    csv_out = cli(
        "query", "select sentence from fct_observations", "-w", str(warehouse), "--format", "csv"
    )
    assert next(csv.reader(csv_out.stdout.splitlines()[1:])) == [BODY]  # csv: every character
