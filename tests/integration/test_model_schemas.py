"""Where the models land: intermediate models in schema `intermediate`, marts and stg_ views
in `main`; what reads them follows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from builders import stage_contracts
from jjj_etl import staging
from jjj_etl.errors import BuildError
from jjj_etl.runner import build, check, default_sql_dir, discover, model_docs

SQL = default_sql_dir()


def _built(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    stage_contracts(con)
    build(con, SQL)
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute(
        "select table_name, schema_name from duckdb_tables() "
        "union all select view_name, schema_name from duckdb_views() where not internal"
    ).fetchall()
    return {str(name): str(schema) for name, schema in rows}


def test_intermediate_models_have_their_own_schema(tmp_path: Path) -> None:
    con = _built(tmp_path / "w.duckdb")
    where = _tables(con)
    for model in discover(SQL):
        expected = "intermediate" if model.layer == "intermediate" else "main"
        assert where[model.name] == expected, model.name
    assert any(m.layer == "intermediate" for m in discover(SQL))
    # the marts read them: built from them, with rows
    assert con.execute("select count(*) from main.fct_observations").fetchone() == (2,)
    assert con.execute("select count(*) from intermediate.int_facts_grouped").fetchone() == (2,)
    # the yml tests of intermediate models run against that schema (none fails on good rows)
    results = check(con, SQL)
    int_tests = [r for r in results if "int_" in r.name]
    assert int_tests
    assert all(r.passed for r in int_tests), [r for r in int_tests if not r.passed]


def test_a_warehouse_built_before_loses_its_intermediate_tables_in_main(tmp_path: Path) -> None:
    con = _built(tmp_path / "w.duckdb")
    con.execute("create table main.int_facts_grouped as select 1 as stale")
    con.execute("create view main.int_figures_unclaimed as select 1 as stale")
    build(con, SQL)
    names_in_main = {n for n, s in _tables(con).items() if s == "main"}
    assert not {n for n in names_in_main if n.startswith("int_")}


def test_an_intermediate_model_read_without_its_schema_is_a_build_error(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL, sql)
    mart = sql / "marts" / "fct_observations.sql"
    text = mart.read_text(encoding="utf-8")
    assert "intermediate.int_observations_periods_normalised" in text
    mart.write_text(text.replace("intermediate.int_", "int_"), encoding="utf-8")
    with pytest.raises(BuildError) as err:
        discover(sql)
    assert "fct_observations.sql" in str(err.value)
    assert "intermediate.int_observations_periods_normalised" in str(err.value)


def test_every_model_and_column_has_a_comment_from_its_yaml(tmp_path: Path) -> None:
    con = _built(tmp_path / "w.duckdb")
    models = discover(SQL)
    rels = {(m.schema, m.name) for m in models}
    comments = {
        (str(s), str(n)): c
        for s, n, c in con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "union all select schema_name, view_name, comment from duckdb_views()"
        ).fetchall()
    }
    assert {r: comments.get(r) for r in rels if not comments.get(r)} == {}
    assert "Grain: one row per observation." in str(comments[("main", "fct_observations")])
    columns = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = current_database()"
    ).fetchall()
    of_models = [(s, t, c, text) for s, t, c, text in columns if (s, t) in rels]
    assert [f"{s}.{t}.{c}" for s, t, c, text in of_models if not text] == []
    marts = {m.name for m in models if m.layer == "marts"}
    # and no description names a column its model does not have
    built = {(t, c) for _s, t, c, _text in of_models}
    stale = [
        (m, c) for m, doc in model_docs(SQL).items() for c in doc.columns if (m, c) not in built
    ]
    assert stale == []
    assert sum(1 for s, t, _c, _text in of_models if s == "main" and t in marts) > 100
    # a model's own description wins over the shared one of its column name
    region = con.execute(
        "select comment from duckdb_columns() where table_name = 'stg_figures' "
        "and column_name = 'region_id'"
    ).fetchone()
    assert region is not None
    assert "the parser read" in region[0]
    # a rebuild (create or replace) keeps them: they are written after each model
    build(con, SQL)
    again = con.execute(
        "select comment from duckdb_columns() where table_name = 'fct_observations' "
        "and column_name = 'value'"
    ).fetchone()
    assert again is not None
    assert "base units" in again[0]


def test_bad_yaml_is_a_build_error_naming_the_file(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL, sql)
    yml = sql / "marts" / "_marts.yml"
    yml.write_text(yml.read_text(encoding="utf-8") + "  - name: [broken\n", encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    staging.ensure_schema(con)
    with pytest.raises(BuildError) as err:
        build(con, sql)
    assert "_marts.yml" in str(err.value)
