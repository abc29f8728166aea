"""A model that runs out of memory inside an open transaction (a DuckLake run is one) fails
as a BuildError naming the file and the cap to raise, not as DuckDB's "transaction is
aborted" from reading the cap after the failure; a data test out of memory says it could
not run, and names the cap too."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from jjj_etl.errors import BuildError, DataTestError
from jjj_etl.runner import build_model
from jjj_etl.runner._checks import DataTest, run_tests
from jjj_etl.runner._dag import Model

BIG_SORT = "select range::varchar || repeat('x', 100) as k from range(3000000) order by k"


def test_out_of_memory_in_a_transaction_names_the_model_and_the_cap() -> None:
    # no spill folder, so the sort cannot leave memory
    with duckdb.connect(config={"memory_limit": "20MB", "temp_directory": ""}) as con:
        model = Model("big", "marts", Path("sql/marts/big.sql"), BIG_SORT, frozenset())
        con.execute("begin")
        with pytest.raises(BuildError) as err:
            build_model(con, model)
        assert isinstance(err.value.__cause__, duckdb.OutOfMemoryException)
        assert "sql/marts/big.sql" in str(err.value)
        assert "memory_limit" in str(err.value)
        con.execute("rollback")
        assert con.execute("select count(*) from duckdb_tables()").fetchone() == (0,)


def test_a_data_test_out_of_memory_blocks_and_says_it_could_not_run_and_what_to_raise() -> None:
    # a warehouse grown past what its cap can check is not one whose data is wrong: the
    # blocking failure says the test could not run, under which cap, and how to raise it
    huge = DataTest("assert_huge", "select list(range) as xs from range(20000000)")
    small = DataTest("assert_small", "select 1 as x where false")
    with duckdb.connect(config={"memory_limit": "32MB", "temp_directory": ""}) as con:
        results = {r.name: r for r in run_tests(con, [huge, small])}
    assert results["assert_small"].passed  # the next test still runs
    failed = results["assert_huge"]
    assert not failed.passed
    assert failed.severity == "error"
    with pytest.raises(DataTestError) as err:
        raise DataTestError({failed.name: list(failed.rows)})
    message = str(err.value)
    assert "assert_huge" in message
    assert "could not run: Out of Memory" in message
    assert "30.5 MiB" in message  # 32 MB as DuckDB reports it
    assert "[warehouse] memory_limit" in message
    assert "JJJ_ETL_DUCKDB_MEMORY_LIMIT" in message
