"""`jjj-etl test` (data tests on what is published, nothing written) and
`jjj-etl build --select MODEL[+]` (a subset of the models, as dbt selects them)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from builders import published_contracts, working_copy
from cli_runs import cli, versions
from jjj_etl.config import load_config
from jjj_etl.errors import UsageError
from jjj_etl.pipeline import Pipeline
from jjj_etl.runner import default_sql_dir, discover, select_models


@pytest.fixture
def published(fresh_warehouse: Path) -> Path:
    """A warehouse with one article staged and version 1 committed."""
    return published_contracts(fresh_warehouse)


def _digest(wh: Path) -> str:
    return hashlib.sha256((wh / "jjj.duckdb").read_bytes()).hexdigest()


def _tamper(wh: Path, sql: str) -> None:
    with working_copy(wh) as con:
        con.execute(sql)


def test_jjj_etl_test_runs_the_data_tests_and_writes_nothing(published: Path) -> None:
    before, files = _digest(published), sorted(p.name for p in published.iterdir())
    done = cli("test", "--warehouse", str(published))
    assert done.returncode == 0, done.stderr
    assert "not_null:fct_observations.observation_id" in done.stdout
    assert "assert_every_observation_has_provenance" in done.stdout
    rows = json.loads(cli("test", "--warehouse", str(published), "--json").stdout)
    assert {r["status"] for r in rows} <= {"pass", "warn"}
    assert len(rows) > 30
    assert _digest(published) == before
    assert versions(published) == 1
    assert sorted(p.name for p in published.iterdir()) == files  # no lock, no working copy


def test_jjj_etl_test_exits_1_naming_a_failing_blocking_test(published: Path) -> None:
    _tamper(published, "update main.fct_observations set indicator_id = null")
    before = _digest(published)
    done = cli("test", "--warehouse", str(published))
    assert done.returncode == 1
    assert "FAIL" in done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "not_null:fct_observations.indicator_id (2 rows)" in line
    assert _digest(published) == before
    assert versions(published) == 1


def test_jjj_etl_test_without_a_warehouse_is_a_usage_error(fresh_warehouse: Path) -> None:
    done = cli("test", "--warehouse", str(fresh_warehouse))
    assert done.returncode == 2
    assert "no warehouse" in done.stderr
    assert not list(fresh_warehouse.iterdir())


def test_select_names_a_model_and_with_plus_everything_downstream() -> None:
    models = discover(default_sql_dir())
    assert [m.name for m in select_models(models, ["int_facts_grouped+"])] == [
        "int_facts_grouped",
        "mart_indicator_series",
        "mart_conflicts",
    ]
    assert [m.name for m in select_models(models, ["dim_regions"])] == ["dim_regions"]
    upstream = [m.name for m in select_models(models, ["+fct_observations"])]
    assert upstream[-1] == "fct_observations"
    assert {"stg_figures", "int_observations_deduplicated"} <= set(upstream)
    assert "dim_regions" not in upstream
    with pytest.raises(UsageError, match=r"no model 'nope' \(models: dim_articles"):
        select_models(models, ["nope+"])


def test_build_select_rebuilds_only_the_selection_as_a_new_version(
    published: Path, tmp_path: Path
) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), sql)
    regions = sql / "seeds" / "regions.csv"
    regions.write_text(
        regions.read_text(encoding="utf-8").replace("CN-TJ,Tianjin,", "CN-TJ,Tianjin City,"),
        encoding="utf-8",
    )
    # a model outside the selection keeps what the published version holds
    _tamper(published, "update main.dim_kinds set name = 'left alone'")
    pipe = Pipeline(load_config(), published, sql_dir=sql)
    result = pipe.rebuild(["dim_regions"])
    assert result["version"] == 2
    assert set(result["timings"]) == {"dim_regions"}
    with duckdb.connect(str(published / "jjj.duckdb"), read_only=True) as con:
        name = con.execute("select name_en from dim_regions where region_id = 'CN-TJ'").fetchone()
        kinds = con.execute("select distinct name from dim_kinds").fetchall()
        timings = con.execute(
            "select model_timings from meta.versions where version_id = 2"
        ).fetchone()
    assert name == ("Tianjin City",)
    assert kinds == [("left alone",)]
    assert timings is not None
    assert set(json.loads(timings[0])) == {"dim_regions"}

    result = pipe.rebuild(["int_facts_grouped+"])
    assert set(result["timings"]) == {
        "int_facts_grouped",
        "mart_indicator_series",
        "mart_conflicts",
    }


def test_build_select_of_no_model_exits_2_and_writes_nothing(published: Path) -> None:
    before = _digest(published)
    done = cli("build", "--warehouse", str(published), "--select", "fct_obs+")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "no model 'fct_obs'" in line
    assert "fct_observations" in line
    assert _digest(published) == before
    assert versions(published) == 1
