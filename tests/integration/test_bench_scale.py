"""The bench's scale worker (``bench/stages.py scale``) on both backends, at ×2 on a tiny
warehouse: real DuckDB files, a real DuckLake.  What it measures is not asserted (speed is
measured in ``bench/``); that it measured the grown rows, in the backend asked for, is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builders import bench_module, figure, page
from jjj_etl import staging
from jjj_etl.config import load_config
from jjj_etl.pipeline import Pipeline
from jjj_etl.warehouse import paths, read_connection

BODY = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    "in 2024, up 12.7% year on year."
)
FIGURES = (
    figure(BODY, "84.37 billion yuan", 84.37e9, "CNY"),
    figure(BODY, "12.7%", 12.7, "%", kind="change"),
)
SOURCE = '[[sources]]\nname = "demo"\nstart_urls = ["http://x.invalid/"]\n'


stages = bench_module("stages")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single-file warehouse with two staged articles and version 1 built, as the bench's
    end-to-end run leaves one."""
    wh = tmp_path_factory.mktemp("source") / "warehouse"
    pipe = Pipeline(load_config(), wh)
    pages = [page(f"http://x/{i}.html", BODY, FIGURES) for i in (1, 2)]
    with pipe.write_window() as window, window.connect() as con:
        staging.ensure_schema(con)
        staging.stage(con, "setup", [], pages, "1")
    assert pipe.rebuild()["version"] == 1
    return wh


def _staged(wh: Path) -> tuple[int, int]:
    with read_connection(paths(wh)) as con:
        row = con.execute(
            "select (select count(*) from staging.articles), (select count(*) from staging.figures)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_scale_on_a_lake_grows_the_rows_in_the_lake_and_commits_one_snapshot(
    source: Path, tmp_path: Path
) -> None:
    articles, figures = _staged(source)
    cfg = tmp_path / "lake.toml"
    cfg.write_text('[warehouse]\nbackend = "ducklake"\n\n' + SOURCE, encoding="utf-8")
    wh = tmp_path / "lake"
    out = stages.scale(str(wh), 2, config=str(cfg), source=str(source / "jjj.duckdb"))
    assert out["backend"] == "ducklake"
    assert out["staged"]["articles"] == 2 * articles
    assert out["staged"]["figures"] == 2 * figures
    assert _staged(wh) == (2 * articles, 2 * figures)  # the grown rows are in the lake
    assert not (wh / "jjj.duckdb").exists()
    # version 1 is the ordinary build of the copied rows; the timed window commits 2
    assert out["version"] == 2
    assert out["exported"]
    assert (wh / "exports" / "v2" / "manifest.json").exists()
    assert out["mart_rows"]["fct_observations"] == 2 * articles * 2  # two figures per copy
    assert {"begin", "build", "test", "commit", "export"} <= set(out["timings"])
    assert "publish" not in out["timings"]  # nothing is renamed on a lake
    assert out["disk"]["data_files"] > 0
    assert out["db_bytes"] == out["disk"]["catalog"] + out["disk"]["data"]
    with read_connection(paths(wh)) as con:
        tags = con.execute(
            "select json_extract_string(commit_extra_info, '$.jjj_version') "
            "from lake.snapshots() where author = 'jjj-etl' order by snapshot_id"
        ).fetchall()
    # copy the file's rows, version 1, the synthetic copies, version 2: a snapshot each
    assert [t[0] for t in tags] == [None, "1", None, "2"]


def test_scale_on_the_file_measures_the_same_rows(source: Path, tmp_path: Path) -> None:
    articles, figures = _staged(source)
    wh = tmp_path / "file"
    wh.mkdir()
    shutil.copy2(source / "jjj.duckdb", wh / "jjj.duckdb")
    out = stages.scale(str(wh), 2)
    assert out["backend"] == "duckdb"
    assert (out["staged"]["articles"], out["staged"]["figures"]) == (2 * articles, 2 * figures)
    assert out["version"] == 2
    assert out["mart_rows"]["fct_observations"] == 2 * articles * 2
    assert {"begin", "build", "test", "commit", "publish", "export"} <= set(out["timings"])
    assert out["db_bytes"] == (wh / "jjj.duckdb").stat().st_size
