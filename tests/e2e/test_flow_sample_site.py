"""The pipeline flow end to end on the bundled sample site, asserting concrete rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

pytestmark = __import__("pytest").mark.e2e


def _q(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse / "jjj.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_tech_contract_value_change_and_conversion(sample_run: dict[str, Any]) -> None:
    wh = sample_run["warehouse"]
    rows = _q(
        wh,
        """
        select value, unit, converted_value, converted_unit, sentence, url, surface,
               start_offset, end_offset
        from fct_observations
        where indicator_id = 'tech_contract_value_bj_to_tjhe' and period = '2024'
          and region_id = 'CN-BJ>CN-TJ+CN-HE' and unit = 'CNY'
    """,
    )
    assert rows, "the 2024 technology-contract value must be observed"
    assert {r[0] for r in rows} == {84_370_000_000}
    en = [r for r in rows if r[2] is not None]
    assert en
    assert all(r[3] == "USD" and abs(r[2] - 11_780_000_000) < 1e6 for r in en)
    for value, _unit, _cv, _cu, sentence, _url, surface, start, end in rows:
        assert value
        assert surface in sentence
        assert end - start == len(surface)
    # the USD amount is a conversion, never its own observation
    assert _q(wh, "select count(*) from fct_observations where unit = 'USD'") == [(0,)]
    change = _q(
        wh,
        """
        select value, kind, sentence from fct_observations
        where indicator_id = 'tech_contract_value_bj_to_tjhe_yoy' and period = '2024'
    """,
    )
    assert change
    assert {c[0] for c in change} == {12.7}
    assert {c[1] for c in change} == {"change"}


def test_offsets_point_into_the_article_body(sample_run: dict[str, Any]) -> None:
    bad = _q(
        sample_run["warehouse"],
        """
        select o.observation_id from fct_observations o join stg_articles a using (article_id)
        where substr(a.body, o.start_offset + 1, o.end_offset - o.start_offset) != o.surface
    """,
    )
    assert bad == []


def test_series_mart_and_exports(sample_run: dict[str, Any]) -> None:
    wh = sample_run["warehouse"]
    series = _q(
        wh,
        """
        select value, n_sources from mart_indicator_series
        where indicator_id = 'tech_contract_value_bj_to_tjhe' and period = '2024'
          and region_id = 'CN-BJ>CN-TJ+CN-HE'
    """,
    )
    assert series
    assert series[0][0] == 84_370_000_000
    assert series[0][1] >= 2
    manifest = json.loads((wh / "exports" / "latest" / "manifest.json").read_text())
    assert manifest["version"] == 1
    for table, meta in manifest["tables"].items():
        parquet = wh / "exports" / "latest" / meta["file"]
        assert pq.read_table(parquet).num_rows == meta["rows"], table
    assert (wh / "exports" / "v1" / "mart_indicator_series.parquet").exists()


def test_skipped_pages_have_reasons(sample_run: dict[str, Any]) -> None:
    rows = _q(
        sample_run["warehouse"],
        """
        select url, reason from stg_pages where outcome = 'skipped' and run_id = (
            select min(run_id) from stg_pages)
    """,
    )
    reasons = {url.rsplit("/", 1)[-1]: reason for url, reason in rows}
    assert any(r.startswith("off-topic") for r in reasons.values()), reasons
    assert any(r.startswith(("malformed", "not-article")) for r in reasons.values()), reasons
    first = sample_run["first"]
    assert first["version"] == 1
    assert first["pages"].get("duplicate", 0) >= 1


def test_identical_rerun_adds_no_version_and_no_rows(sample_run: dict[str, Any]) -> None:
    wh = sample_run["warehouse"]
    second = sample_run["second"]
    assert second["version"] is None
    assert _q(wh, "select count(*) from meta.versions") == [(1,)]
    assert _q(wh, "select status from meta.runs order by started_at") == [
        ("committed",),
        ("no-change",),
    ]
    assert second["observations"] == sample_run["first"]["observations"]
    # no data tests ran, but the version's warnings still stand and the summary says so
    assert sample_run["first"]["warnings"]
    assert second["warnings"] == sample_run["first"]["warnings"]
    assert _q(wh, "select count(*) from history.fct_observations") == _q(
        wh, "select count(*) from fct_observations"
    )
    # the second run asked conditionally and parsed nothing
    assert set(second["pages"]) <= {"not-modified", "unchanged"}
