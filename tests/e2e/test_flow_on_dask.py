"""The parse stage on a local Dask cluster (optional extra ``jjj-etl[dask]``)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e


def test_pipeline_with_dask_task_runner(prefect_harness: None, tmp_path: Path) -> None:
    pytest.importorskip("prefect_dask", reason="install the optional extra: jjj-etl[dask]")
    from flows.scale import pipeline_on_dask

    flow = pipeline_on_dask(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    summary = flow(warehouse=str(tmp_path / "wh"))
    assert summary["version"] == 1
    with duckdb.connect(str(tmp_path / "wh" / "jjj.duckdb"), read_only=True) as con:
        row = con.execute(
            "select value from fct_observations where indicator_id = "
            "'tech_contract_value_bj_to_tjhe' and period = '2024' and unit = 'CNY' limit 1"
        ).fetchone()
    assert row == (84_370_000_000,)
    assert summary["articles"] >= 16
