"""The read commands and the write window on each backend: the single DuckDB file and a
DuckLake on a DuckDB-file catalog.

Two versions are built from literal staged rows (no crawl): a catalog change adds one
indicator, so version 2 differs from version 1 by exactly one observation.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from builders import figure, page, widgets_sql
from cli_runs import cli
from jjj_etl import lake, staging
from jjj_etl.config import load_config
from jjj_etl.errors import BuildError, UsageError
from jjj_etl.pipeline import Pipeline
from jjj_etl.report import build_report
from jjj_etl.tools import data_tests, diff_versions, export_outcome, list_versions, run_query
from jjj_etl.warehouse import paths, read_connection

BODY = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    "in 2024, up 12.7% year on year.\nThe region had 9,100 widget makers in 2024."
)
FIGURES = (
    figure(BODY, "84.37 billion yuan", 84.37e9, "CNY"),
    figure(BODY, "12.7%", 12.7, "%", kind="change"),
    figure(BODY, "9,100", 9100, "count", subject="widget makers", region="JJJ"),
)
SOURCE = '[[sources]]\nname = "demo"\nstart_urls = ["http://x.invalid/"]\n'


def write_config(folder: Path, backend: str, catalog: str = "") -> Path:
    """A sources.toml whose ``[warehouse]`` names ``backend`` (and ``catalog``)."""
    lines = ["[warehouse]", f'backend = "{backend}"']
    if catalog:
        lines.append(f'catalog = "{catalog}"')
    cfg = folder / "sources.toml"
    cfg.write_text("\n".join(lines) + "\n\n" + SOURCE, encoding="utf-8")
    return cfg


# DuckLake on PostgreSQL: tests/integration/test_lake_writers.py (the same reads, with two
# writers); each attach there costs catalog round trips, so it is not repeated here
@pytest.fixture(scope="module", params=["duckdb", "ducklake"])
def backend_config(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A config for each backend, in a folder of its own."""
    return write_config(tmp_path_factory.mktemp(request.param), request.param)


@pytest.fixture(scope="module")
def two_versions(backend_config: Path) -> Path:
    """A warehouse with versions 1 (sample catalog) and 2 (plus widget makers), built once
    per backend: the tests below only read it, or fail to write it."""
    tmp_path = backend_config.parent
    wh = tmp_path / "warehouse"
    cfg = load_config(backend_config)
    with Pipeline(cfg, wh).write_window() as window, window.connect() as con:
        staging.ensure_schema(con)
        staging.stage(con, "setup", [], [page("http://x/1.html", BODY, FIGURES)], "1")
    assert Pipeline(cfg, wh).rebuild()["version"] == 1
    assert Pipeline(cfg, wh, sql_dir=widgets_sql(tmp_path)).rebuild()["version"] == 2
    return wh


def _indicators(warehouse: Path, as_of: int | None = None) -> set[str]:
    rows = run_query(str(warehouse), "select indicator_id from fct_observations", as_of)[1]
    return {r[0] for r in rows}


def test_versions_diff_as_of_export_and_report(two_versions: Path, tmp_path: Path) -> None:
    wh = str(two_versions)
    assert [v["version_id"] for v in list_versions(wh)] == [2, 1]
    d = diff_versions(wh, 1, 2, "fct_observations")
    assert [(r["indicator_id"], r["value"]) for r in d["added"]] == [("widget_makers", 9100)]
    assert (d["removed"], d["changed"]) == ([], [])
    assert "widget_makers" in _indicators(two_versions)
    assert "widget_makers" not in _indicators(two_versions, as_of=1)
    assert _indicators(two_versions, as_of=1) | {"widget_makers"} == _indicators(two_versions)
    with pytest.raises(UsageError, match="no version 3"):
        run_query(wh, "select 1", as_of=3)
    # exports of both versions, and the history of every observation up to each
    v1 = export_outcome(wh, 1, tmp_path / "e1").folder
    v2 = export_outcome(wh, 2, tmp_path / "e2").folder
    m1, m2 = (json.loads((v / "manifest.json").read_text()) for v in (v1, v2))
    assert m2["tables"]["fct_observations"]["rows"] == m1["tables"]["fct_observations"]["rows"] + 1
    history = pq.read_table(v2 / "history_fct_observations.parquet").to_pylist()
    assert len(history) == m2["tables"]["fct_observations"]["rows"]
    assert [r["indicator_id"] for r in history if r["valid_from_version"] == 2] == ["widget_makers"]
    assert {r["valid_to_version"] for r in history} == {None}
    old = pq.read_table(v1 / "history_fct_observations.parquet")
    assert set(old.column("valid_from_version").to_pylist()) == {1}
    assert build_report(wh, version=1).exists()


def test_a_lake_version_is_one_snapshot_and_keeps_no_history_tables(two_versions: Path) -> None:
    wp = paths(two_versions)
    with read_connection(wp) as con:
        history = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'history'"
        ).fetchone()
        if not wp.backend.is_lake:
            assert history is not None
            assert history[0] > 0  # the single file keeps history tables
            return
        assert history == (0,)
        tagged = con.execute(
            "select json_extract_string(commit_extra_info, '$.jjj_version') "
            "from lake.snapshots() where author = 'jjj-etl' order by snapshot_id"
        ).fetchall()
    # the staging commit (no version), then one snapshot per version
    assert [t[0] for t in tagged] == [None, "1", "2"]
    assert not (two_versions / "jjj.duckdb").exists()
    assert json.loads((two_versions / "backend.json").read_text())["kind"] == "ducklake"
    assert "password" not in (two_versions / "backend.json").read_text()


def test_a_failed_build_commits_nothing(
    two_versions: Path, backend_config: Path, tmp_path: Path
) -> None:
    sql = widgets_sql(tmp_path / "broken")
    (sql / "marts" / "fct_observations.sql").write_text("select * from no_such_table\n")
    wp = paths(two_versions)
    before = _snapshots(wp)
    with pytest.raises(BuildError, match="fct_observations"):
        Pipeline(load_config(backend_config), two_versions, sql_dir=sql).rebuild()
    assert [v["version_id"] for v in list_versions(str(two_versions))] == [2, 1]
    assert "widget_makers" in _indicators(two_versions)
    assert _snapshots(wp) == before


def _snapshots(wp: object) -> int:
    with read_connection(wp) as con:  # type: ignore[arg-type]
        if not lake.is_lake(con):
            return 0
        row = con.execute("select count(*) from lake.snapshots()").fetchone()
        return int(row[0]) if row else 0


def test_the_pinned_duckdb_loads_the_extension_wheels() -> None:
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    for name in ("ducklake", "postgres_scanner"):
        path = lake.extension_file(name)
        assert f"v{duckdb.__version__}" in path.parts
        con.execute(f"load '{path}'")
    loaded = con.execute(
        "select extension_name from duckdb_extensions() where loaded order by 1"
    ).fetchall()
    assert {"ducklake", "postgres_scanner"} <= {r[0] for r in loaded}


def test_the_read_commands_need_only_the_warehouse_folder(two_versions: Path) -> None:
    wh = str(two_versions)
    listed = cli("versions", "--warehouse", wh, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [v["version_id"] for v in json.loads(listed.stdout)] == [2, 1]
    old = cli(
        "query", "--warehouse", wh, "--as-of", "1", "select count(*) as n from fct_observations"
    )
    assert old.returncode == 0, old.stderr
    assert old.stdout.split()[-1] == str(len(_indicators_rows(two_versions, 1)))


def _indicators_rows(warehouse: Path, as_of: int) -> list[tuple[object, ...]]:
    return run_query(str(warehouse), "select * from fct_observations", as_of)[1]


def test_models_carry_their_comments_and_the_data_tests_read_the_published_version(
    two_versions: Path,
) -> None:
    """COMMENT ON on both backends (a lake keeps no column comments on views, only the
    view's own), and `jjj-etl test`'s read-only data tests on the newest version."""
    with read_connection(paths(str(two_versions))) as con:
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() "
                "where database_name = current_database() and schema_name = 'main'"
            ).fetchall()
        )
        columns = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where database_name = current_database() and table_name = 'fct_observations'"
            ).fetchall()
        )
    assert "observation" in (tables["fct_observations"] or "").lower()
    assert columns["indicator_id"], "a table column has its description"
    rows = data_tests(str(two_versions))
    assert rows
    assert {r["status"] for r in rows} <= {"pass", "warn"}


def test_a_lake_window_spills_inside_the_warehouse_folder_and_cleans_up(tmp_path: Path) -> None:
    """DuckDB past its memory cap spills to ``temp_directory``; an in-memory DuckDB (the lake's
    connection) would put it in the working directory.  A lake window gives it a folder named
    like a working file in the warehouse folder, removed when the window closes."""
    cfg = load_config(write_config(tmp_path, "ducklake"))
    wh = tmp_path / "warehouse"
    with Pipeline(cfg, wh).write_window() as window, window.connect() as con:
        (spill,) = con.execute("select current_setting('temp_directory')").fetchone()  # type: ignore[misc]
        assert Path(spill).parent.resolve() == wh.resolve()
        assert Path(spill).name.startswith(".jjj.work-lake-")
        # a leftover of a killed run is removed by the next window
        (wh / ".jjj.work-lake-1.tmp").mkdir()
    assert not Path(spill).exists()
    with Pipeline(cfg, wh).write_window():
        assert not (wh / ".jjj.work-lake-1.tmp").exists()
