"""A model that runs out of memory inside an open transaction (a DuckLake run is one) fails
as a BuildError naming the file and the cap to raise, not as DuckDB's "transaction is
aborted" from reading the cap after the failure."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from jjj_etl.errors import BuildError
from jjj_etl.runner import build_model
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
