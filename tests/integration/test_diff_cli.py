"""`jjj-etl diff` on a real three-version warehouse: what changed, where it came from, and
which way round the versions go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builders import figure, page, rebuild, working_copy
from cli_runs import cli
from jjj_etl import staging
from jjj_etl.records import ParsedPage

SENTENCE = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth {} billion yuan in 2024."
)
URL = "http://x/2025-03/28/content_1.html"
OTHER = "http://y/2025-03/29/content_2.html"


def _article(url: str, amount: str, published: str = "2025-03-28") -> ParsedPage:
    body = SENTENCE.format(amount)
    fig = figure(body, f"{amount} billion yuan", float(amount) * 1e9, "CNY")
    return page(url, body, [fig], published=published)


def _commit(root: Path, pages: list[ParsedPage], run: str) -> int | None:
    with working_copy(root) as con:
        staging.ensure_schema(con)
        staging.stage(con, run, [], pages, "1")
    version: int | None = rebuild(root)["version"]
    return version


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """v1: 84.37 bn; v2: the article corrected to 85.00 bn; v3: a second, older article
    confirms 85.00 bn (the series' value stays, its sources do not)."""
    root = tmp_path_factory.mktemp("diff") / "warehouse"
    assert _commit(root, [_article(URL, "84.37")], "r1") == 1
    assert _commit(root, [_article(URL, "85.00")], "r2") == 2
    assert _commit(root, [_article(OTHER, "85.00", published="2025-03-01")], "r3") == 3
    return root


def _diff(root: Path, *args: str) -> dict[str, Any]:
    done = cli("diff", *args, "--warehouse", str(root), "--json", timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_changed_observation_shows_where_it_came_from(warehouse: Path) -> None:
    done = cli("diff", "1", "2", "--warehouse", str(warehouse), timeout=60)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "changed: 1" in text
    assert "added: 0" in text
    assert "removed: 0" in text
    for shown in (
        "tech_contract_value_bj_to_tjhe",
        "CN-BJ>CN-TJ+CN-HE",
        "2024",
        "84370000000 → 85000000000",
        f"article:  {URL}",
        "sentence: Technology contracts from",
        "also changed: sentence, surface",
    ):
        assert shown in text, shown
    changed = _diff(warehouse, "1", "2")["changed"]
    assert len(changed) == 1
    assert changed[0]["changed_columns"]["value"] == [84_370_000_000, 85_000_000_000]
    assert changed[0]["url"] == URL
    assert "85.00 billion yuan" in changed[0]["sentence"]


def test_the_series_reports_a_change_in_any_column(warehouse: Path) -> None:
    value = _diff(warehouse, "1", "2", "--table", "mart_indicator_series")["changed"]
    assert [(c["old_value"], c["new_value"]) for c in value] == [(84_370_000_000, 85e9)]
    # v3: same value, one more source: the series row changed, the value did not
    d = _diff(warehouse, "2", "3", "--table", "mart_indicator_series")
    assert (len(d["added"]), len(d["removed"])) == (0, 0)
    assert len(d["changed"]) == 1
    columns = d["changed"][0]["changed_columns"]
    assert "value" not in columns
    assert columns["n_sources"] == [1, 2]
    table = cli(
        "diff", "2", "3", "--table", "mart_indicator_series", "-w", str(warehouse), timeout=60
    )
    assert "changed: 1" in table.stdout
    assert "n_sources" in table.stdout


def test_reversed_versions_are_a_usage_error(warehouse: Path) -> None:
    done = cli("diff", "2", "1", "--warehouse", str(warehouse), timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "2 is newer than 1" in done.stderr
    assert "diff 1 2" in done.stderr


def test_an_unknown_table_or_version_is_a_usage_error(warehouse: Path) -> None:
    table = cli("diff", "1", "2", "--table", "dim_regions", "-w", str(warehouse), timeout=60)
    assert table.returncode == 2
    assert "diff supports fct_observations, mart_indicator_series" in table.stderr
    version = cli("diff", "1", "9", "-w", str(warehouse), timeout=60)
    assert version.returncode == 2
    assert "no version 9" in version.stderr
