"""The SQL models, data tests, versions, history and exports on literal staged rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from builders import figure, page
from jjj_etl import staging, versions
from jjj_etl.errors import BuildError, DataTestError
from jjj_etl.export import export
from jjj_etl.records import Figure, ParsedPage
from jjj_etl.runner import build, check, default_sql_dir, discover, mart_names

SQL = default_sql_dir()
BODY = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    "($11.78 billion) in 2024, up 12.7% year on year.\nThe weather was fine."
)


def _page(url: str, body: str, figures: list[Figure], published: str = "2025-03-28") -> ParsedPage:
    return page(url, body, figures, published=published)


def _fig(body: str, surface: str, value: float, unit: str, **kw: Any) -> Figure:
    return figure(body, surface, value, unit, **kw)


def _figures(body: str = BODY, value: float = 84_370_000_000) -> list[Figure]:
    amount = body[body.index("worth ") + 6 : body.index(" yuan") + 5]
    return [
        _fig(body, amount, value, "CNY"),
        _fig(body, "$11.78 billion", 11_780_000_000, "USD", alt_of=0),
        _fig(body, "12.7%", 12.7, "%", kind="change"),
    ]


def _stage_and_commit(
    con: duckdb.DuckDBPyConnection, pages: list[ParsedPage], run: str
) -> int | None:
    staging.ensure_schema(con)
    staging.stage(con, run, [], pages, "1")
    build(con, SQL)
    warnings = [{"test": r.name} for r in check(con, SQL) if not r.passed]
    done = versions.commit_version(
        con,
        run_id=run,
        started_at=datetime.now(UTC),
        sql_dir=SQL,
        parser_version="1",
        warnings=warnings,
    )
    return done.version_id


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def test_models_are_ordered_by_their_references() -> None:
    order = [m.name for m in discover(SQL)]
    assert order.index("stg_figures") < order.index("int_figures_matched_to_indicators")
    assert order.index("int_observations_deduplicated") < order.index("fct_observations")
    assert order.index("fct_observations") < order.index("mart_indicator_series")


def test_observation_value_change_and_conversion(con: duckdb.DuckDBPyConnection) -> None:
    assert _stage_and_commit(con, [_page("http://a/1.html", BODY, _figures())], "r1") == 1
    rows = con.execute(
        "select indicator_id, region_id, period, value, unit, kind, converted_value,"
        " converted_unit,"
        " sentence from fct_observations order by indicator_id"
    ).fetchall()
    assert [(r[0], r[3], r[4]) for r in rows] == [
        ("tech_contract_value_bj_to_tjhe", 84_370_000_000, "CNY"),
        ("tech_contract_value_bj_to_tjhe_yoy", 12.7, "%"),
    ]
    level = rows[0]
    assert level[1] == "CN-BJ>CN-TJ+CN-HE"
    assert level[2] == "2024"
    assert (level[6], level[7]) == (11_780_000_000, "USD")  # linked, not a second observation
    assert level[8].startswith("Technology contracts")
    assert level[8].endswith("year on year.")


def test_identical_inputs_add_no_version(con: duckdb.DuckDBPyConnection) -> None:
    page = _page("http://a/1.html", BODY, _figures())
    assert _stage_and_commit(con, [page], "r1") == 1
    assert _stage_and_commit(con, [page], "r2") is None
    assert con.execute("select count(*) from meta.versions").fetchone() == (1,)
    assert con.execute("select count(*) from history.fct_observations").fetchone() == (2,)


def test_history_as_of_and_diff(con: duckdb.DuckDBPyConnection) -> None:
    _stage_and_commit(con, [_page("http://a/1.html", BODY, _figures())], "r1")
    body2 = BODY.replace("84.37", "85.00")
    v2 = _stage_and_commit(con, [_page("http://a/1.html", body2, _figures(body2, 85e9))], "r2")
    assert v2 == 2
    old = con.execute("select value from observations_as_of(1) where unit = 'CNY'").fetchall()
    new = con.execute("select value from observations_as_of(2) where unit = 'CNY'").fetchall()
    assert old == [(84_370_000_000,)]
    assert new == [(85e9,)]
    d = versions.diff(con, 1, 2)
    assert (len(d.added), len(d.removed)) == (0, 0)
    by_unit = {c["unit"]: c for c in d.changed}
    assert (by_unit["CNY"]["old_value"], by_unit["CNY"]["new_value"]) == (84_370_000_000, 85e9)
    assert by_unit["CNY"]["changed_columns"]["value"] == [84_370_000_000, 85e9]
    # the growth rate kept its value; its sentence (which quotes the new amount) changed
    assert set(by_unit["%"]["changed_columns"]) == {"sentence"}
    assert by_unit["%"]["sentence"].startswith("Technology contracts")


def test_a_row_that_comes_back_opens_a_new_history_span(con: duckdb.DuckDBPyConnection) -> None:
    body2 = BODY.replace("84.37", "85.00")
    first = _page("http://a/1.html", BODY, _figures())
    second = _page("http://a/1.html", body2, _figures(body2, 85e9))
    assert [_stage_and_commit(con, [p], f"r{i}") for i, p in enumerate([first, second, first])] == [
        1,
        2,
        3,
    ]
    spans = con.execute(
        "select value, _valid_from, _valid_to from history.fct_observations "
        "where unit = 'CNY' order by _valid_from"
    ).fetchall()
    assert spans == [(84_370_000_000, 1, 2), (85e9, 2, 3), (84_370_000_000, 3, None)]
    for v, want in ((1, 84_370_000_000), (2, 85e9), (3, 84_370_000_000)):
        got = con.execute(f"select value from observations_as_of({v}) where unit = 'CNY'")
        assert got.fetchall() == [(want,)]
    for mart in mart_names(SQL):  # the open history rows are exactly the current mart
        open_rows = con.execute(
            f"select count(*) from history.{mart} where _valid_to is null"
        ).fetchone()
        assert open_rows == con.execute(f"select count(*) from main.{mart}").fetchone(), mart


def test_conflicting_sources_flagged(con: duckdb.DuckDBPyConnection) -> None:
    body2 = BODY.replace("84.37", "80.00")
    pages = [
        _page("http://a/1.html", BODY, _figures()),
        _page("http://b/2.html", body2, _figures(body2, 80e9), published="2025-04-02"),
    ]
    _stage_and_commit(con, pages, "r1")
    series = con.execute(
        "select value, n_sources, has_conflict, chosen_url from mart_indicator_series "
        "where indicator_id = 'tech_contract_value_bj_to_tjhe'"
    ).fetchone()
    assert series == (80e9, 2, True, "http://b/2.html")  # newest publication wins
    assert con.execute("select count(*) from mart_conflicts").fetchone() == (1,)
    assert (
        con.execute("select warnings from meta.versions")
        .fetchone()[0]
        .count("warn_conflicting_values")
        == 1
    )


def test_bad_model_names_its_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    sql = tmp_path / "sql"
    (sql / "staging").mkdir(parents=True)
    (sql / "seeds").mkdir()
    (sql / "staging" / "stg_broken.sql").write_text("select no_such_column from staging.pages")
    staging.ensure_schema(con)
    with pytest.raises(BuildError, match=r"stg_broken\.sql.*no_such_column"):
        build(con, sql)


def test_a_model_out_of_memory_names_the_cap_and_the_setting(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    (sql / "marts").mkdir(parents=True)
    (sql / "seeds").mkdir()
    # one list of 20 M integers in one group: a state DuckDB cannot spill
    (sql / "marts" / "mart_huge.sql").write_text("select list(range) as xs from range(20000000)")
    capped = duckdb.connect(str(tmp_path / "w.duckdb"), config={"memory_limit": "32MB"})
    with capped as con, pytest.raises(BuildError, match=r"mart_huge\.sql") as exc:
        build(con, sql)
    assert "Out of Memory" in str(exc.value)
    assert "30.5 MiB" in str(exc.value)  # 32 MB as DuckDB reports it
    assert "[warehouse] memory_limit" in str(exc.value)
    assert "JJJ_ETL_DUCKDB_MEMORY_LIMIT" in str(exc.value)


def test_a_model_out_of_memory_on_two_threads_is_built_again_on_one(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    (sql / "marts").mkdir(parents=True)
    (sql / "seeds").mkdir()
    # a real out-of-memory on more than one thread, a small list on one
    (sql / "marts" / "mart_a_threads.sql").write_text(
        "select list(range) as xs from range("
        "case when current_setting('threads') > 1 then 20000000 else 10 end)"
    )
    (sql / "marts" / "mart_b_after.sql").write_text("select current_setting('threads') as t")
    capped = duckdb.connect(
        str(tmp_path / "w.duckdb"), config={"memory_limit": "32MB", "threads": 2}
    )
    with capped as con:
        build(con, sql)
        assert con.execute("select len(xs) from mart_a_threads").fetchone() == (10,)
        # the single thread was for that model only
        assert con.execute("select * from mart_b_after").fetchone() == (2,)
        assert con.execute("select current_setting('threads')").fetchone() == (2,)


def test_blocking_data_test_reports_rows(con: duckdb.DuckDBPyConnection) -> None:
    # an intensity of 250 % is never valid: the range test must block and show the row
    bad = [_fig(BODY, "12.7%", 250.0, "%", kind="rate", subject="R&D spending intensity")]
    staging.ensure_schema(con)
    staging.stage(con, "r1", [], [_page("http://a/1.html", BODY, bad)], "1")
    build(con, SQL)
    with pytest.raises(DataTestError, match="assert_shares_and_intensities_in_range") as exc:
        check(con, SQL)
    rows = exc.value.failures["assert_shares_and_intensities_in_range"]
    assert [(r["indicator_id"], r["value"]) for r in rows] == [("rd_intensity", 250.0)]


def test_export_parquet_manifest(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _stage_and_commit(con, [_page("http://a/1.html", BODY, _figures())], "r1")
    folder = export(con, tmp_path / "exports", mart_names(SQL)).folder
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == 1
    table = pq.read_table(tmp_path / "exports" / "latest" / "fct_observations.parquet")
    assert table.num_rows == manifest["tables"]["fct_observations"]["rows"] == 2
    assert "_row_hash" not in table.column_names


def test_kind_and_comparator_codes_are_explained_by_dimensions(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    version = _stage_and_commit(con, [_page("http://x/1.html", BODY, _figures())], "r1")
    assert version == 1
    kinds = con.execute("select kind from dim_kinds where description <> '' order by 1").fetchall()
    assert [k for (k,) in kinds] == sorted(
        ["level", "change", "cumulative", "share", "rate", "difference"]
    )
    comparators = con.execute(
        "select comparator from dim_comparators where description <> '' order by 1"
    ).fetchall()
    assert sorted(c for (c,) in comparators) == sorted(["=", ">", ">=", "<", "<=", "~"])
    joined = con.execute(
        "select count(*) from fct_observations as o "
        "inner join dim_kinds as k on o.kind = k.kind "
        "inner join dim_comparators as c on o.comparator = c.comparator"
    ).fetchone()
    total = con.execute("select count(*) from fct_observations").fetchone()
    assert joined == total
    assert "dim_kinds" in mart_names(SQL)
    assert "dim_comparators" in mart_names(SQL)
    # a code missing from its dimension fails the relationship test (blocking)
    con.execute("delete from dim_kinds where kind = 'change'")
    with pytest.raises(DataTestError, match=r"relationships:fct_observations\.kind"):
        check(con, SQL)
