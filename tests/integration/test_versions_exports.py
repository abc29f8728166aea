"""Versions, as-of reads, diffs after a catalog change, and exports read back two ways."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from builders import figure, rebuild, widgets_sql, working_copy
from jjj_etl import staging
from jjj_etl.config import load_config
from jjj_etl.errors import ConfigError
from jjj_etl.memory import MEMORY_LIMIT_ENV, memory_limit
from jjj_etl.pipeline import Pipeline
from jjj_etl.records import Article, Figure, ParsedPage
from jjj_etl.tools import diff_versions, export_outcome, run_query
from jjj_etl.warehouse import paths

HISTORY_FILE = "history_fct_observations.parquet"
BODY = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    "in 2024, up 12.7% year on year.\nThe region had 9,100 widget makers in 2024."
)


def _figure(surface: str, value: float, unit: str, kind: str, subject: str, region: str) -> Figure:
    return figure(BODY, surface, value, unit, kind=kind, subject=subject, region=region)


FIGURES = (
    _figure(
        "84.37 billion yuan", 84.37e9, "CNY", "level", "technology contracts", "CN-BJ>CN-TJ+CN-HE"
    ),
    _figure("12.7%", 12.7, "%", "change", "technology contracts", "CN-BJ>CN-TJ+CN-HE"),
    _figure("9,100", 9100, "count", "level", "widget makers", "JJJ"),
)


@pytest.fixture
def warehouse(fresh_warehouse: Path) -> Path:
    art = Article(
        "http://x/1.html",
        "http://x/1.html",
        "T",
        "2025-03-28",
        "en",
        "demo",
        BODY,
        hashlib.sha256(BODY.encode()).hexdigest(),
    )
    with working_copy(fresh_warehouse) as con:
        staging.ensure_schema(con)
        staging.stage(
            con, "setup", [], [ParsedPage(art.url, art.content_sha256, art, FIGURES)], "1"
        )
    assert rebuild(fresh_warehouse)["version"] == 1
    return fresh_warehouse


def test_catalog_change_rebuild_diff_without_fetching(warehouse: Path, tmp_path: Path) -> None:
    before = run_query(str(warehouse), "select count(*) from mart_unmapped_figures")[1][0][0]
    assert before >= 1
    raw_before = (
        sorted(p.name for p in (warehouse / "raw").rglob("*"))
        if (warehouse / "raw").exists()
        else []
    )
    result = rebuild(warehouse, sql_dir=widgets_sql(tmp_path))
    assert result["version"] == 2
    d = diff_versions(str(warehouse), 1, 2, "fct_observations")
    assert [(r["indicator_id"], r["value"]) for r in d["added"]] == [("widget_makers", 9100)]
    assert d["removed"] == []
    assert d["changed"] == []
    raw_after = (
        sorted(p.name for p in (warehouse / "raw").rglob("*"))
        if (warehouse / "raw").exists()
        else []
    )
    assert raw_before == raw_after  # nothing fetched
    # version 1 still reads as it was
    cols, rows = run_query(str(warehouse), "select indicator_id from fct_observations", as_of=1)
    assert "widget_makers" not in {r[0] for r in rows}
    assert cols == ["indicator_id"]
    _, rows = run_query(str(warehouse), "select indicator_id from observations_as_of(2)")
    assert "widget_makers" in {r[0] for r in rows}
    # the history export lists versions oldest first; version 1 exported again, after
    # version 2 was recorded, is byte for byte the export made when it was committed
    history = pq.read_table(
        export_outcome(str(warehouse), 2, tmp_path / "v2").folder / HISTORY_FILE
    )
    froms = history.column("valid_from_version").to_pylist()
    assert froms == sorted(froms)
    assert froms[-1] == 2
    first = json.loads((warehouse / "exports" / "v1" / "manifest.json").read_text())
    again = export_outcome(str(warehouse), 1, tmp_path / "v1-again").folder
    assert (
        hashlib.sha256((again / HISTORY_FILE).read_bytes()).hexdigest()
        == (first["tables"]["history_fct_observations"]["sha256"])
    )


def test_each_figure_is_staged_with_its_sentence(warehouse: Path) -> None:
    """No model joins article bodies: each figure's sentence is staged with it."""
    _, staged = run_query(
        str(warehouse), "select figure_index, sentence from staging.figures order by 1"
    )
    assert staged[0][1] == BODY.split("\n", maxsplit=1)[0]
    assert staged[2][1] == BODY.split("\n")[1]


def test_a_memory_limit_caps_duckdb_in_the_write_window(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "300MB")
    with working_copy(warehouse) as con:
        limit = con.execute("select current_setting('memory_limit')").fetchone()
    assert limit == ("286.1 MiB",)  # 300 MB as DuckDB reports it
    result = rebuild(warehouse, sql_dir=widgets_sql(tmp_path))
    assert result["version"] == 2  # a full build and commit within the cap

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "a lot")
    with pytest.raises(ConfigError, match=MEMORY_LIMIT_ENV):
        memory_limit()


def test_the_configured_memory_limit_reaches_duckdb_and_the_environment_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    assert load_config().warehouse.memory_limit == "256MB"  # the default: bounded, spills
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        '[warehouse]\nmemory_limit = " 100MB "\n\n'
        '[[sources]]\nname = "ok"\nstart_urls = ["http://x.invalid/"]\n'
    )
    configured = load_config(cfg)
    assert memory_limit(configured.warehouse.memory_limit) == "100MB"
    pipe = Pipeline(configured, tmp_path / "wh")
    with pipe.write_window() as window, window.connect() as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == ("95.3 MiB",)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")  # one run's override wins over the file
    assert Pipeline(configured, tmp_path / "wh").memory == "1GB"


def test_the_export_reads_under_the_run_s_memory_cap(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jjj_etl.warehouse as wh_module

    caps: list[str] = []
    real = wh_module.read_connection

    def reading(wp: Any, memory: str | None = None) -> duckdb.DuckDBPyConnection:
        con = real(wp, memory)
        row = con.execute("select current_setting('memory_limit')").fetchone()
        caps.append(str(row[0]) if row else "")
        return con

    monkeypatch.setattr(wh_module, "read_connection", reading)
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        '[warehouse]\nmemory_limit = "100MB"\n\n'
        '[[sources]]\nname = "ok"\nstart_urls = ["http://x.invalid/"]\n'
    )
    Pipeline.open(cfg, warehouse).export(1)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "300MB")  # the environment overrides the config
    Pipeline.open(cfg, warehouse).export(1)
    assert caps == ["95.3 MiB", "286.1 MiB"]


def test_a_killed_runs_spill_folder_is_removed_by_the_next_write(tmp_path: Path) -> None:
    wp = paths(tmp_path / "wh")
    spilled = wp.root / ".jjj.work-999999.duckdb.tmp"
    spilled.mkdir(parents=True)
    (spilled / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1024)
    (wp.root / ".jjj.work-999999.duckdb").write_bytes(b"")
    seen: list[str] = []

    def failing_run() -> None:
        with Pipeline(load_config(), wp.root).write_window() as window:
            assert not spilled.exists()
            seen.extend(p.name for p in wp.root.glob(".jjj.work-*"))
            assert seen == [window.work.name]
            raise RuntimeError("stop")  # a failed run: its own working copy goes too

    with pytest.raises(RuntimeError, match="stop"):
        failing_run()
    assert seen
    assert not list(wp.root.glob(".jjj.work-*"))


def test_version_records_checksums_hashes_timings(warehouse: Path) -> None:
    _, rows = run_query(
        str(warehouse),
        """
        select sql_checksum, seeds_checksum, content_hashes, row_counts, model_timings, warnings
        from meta.versions where version_id = 1""",
    )
    sql_sum, seeds_sum, hashes, counts, timings, warnings = rows[0]
    assert len(sql_sum) == 64
    assert len(seeds_sum) == 64
    assert hashes == [hashlib.sha256(BODY.encode()).hexdigest()]
    assert json.loads(counts)["fct_observations"] == 2
    assert set(json.loads(timings)) >= {"stg_figures", "fct_observations", "mart_indicator_series"}
    assert isinstance(json.loads(warnings), list)


def test_exports_read_back_with_duckdb_and_pyarrow(warehouse: Path, tmp_path: Path) -> None:
    folder = export_outcome(str(warehouse), 1, tmp_path / "out", by_indicator=True).folder
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == 1
    with duckdb.connect(str(warehouse / "jjj.duckdb"), read_only=True) as con:
        for name in ("fct_observations", "mart_indicator_series", "dim_indicators"):
            meta = manifest["tables"][name]
            path = folder / meta["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == meta["sha256"]
            want = con.execute(f"select * from {name} order by all").fetchall()
            got = con.execute(f"select * from read_parquet('{path}') order by all").fetchall()
            assert got == want, name
            assert pq.read_table(path).num_rows == meta["rows"] == len(want)
        parts = sorted(
            p.parent.name for p in (folder / "fct_observations_by_indicator").rglob("*.parquet")
        )
        assert parts == sorted(
            f"indicator_id={r[0]}"
            for r in con.execute("select distinct indicator_id from fct_observations").fetchall()
        )
    history = pq.read_table(folder / "history_fct_observations.parquet")
    assert set(history.column_names) >= {"valid_from_version", "valid_to_version", "observation_id"}


def test_export_of_unknown_version_is_refused(warehouse: Path, tmp_path: Path) -> None:
    from jjj_etl.errors import UsageError

    with pytest.raises(UsageError, match="no version 7"):
        export_outcome(str(warehouse), 7, tmp_path / "out")
    assert not (tmp_path / "out" / "v7").exists()


def _fake_versions(exports: Path, n: int) -> None:
    for v in range(1, n + 1):
        (exports / f"v{v}").mkdir(parents=True)
        (exports / f"v{v}" / "manifest.json").write_text(json.dumps({"version": v}))


def test_latest_is_a_symlink_swapped_in_one_step(warehouse: Path, tmp_path: Path) -> None:
    from jjj_etl.export import _refresh_latest

    exports = tmp_path / "exports"
    _fake_versions(exports, 2)
    latest = exports / "latest"
    _refresh_latest(exports, exports / "v2")
    assert latest.is_symlink()
    assert str(latest.readlink()) == "v2"  # relative: the exports folder can move
    assert json.loads((latest / "manifest.json").read_text())["version"] == 2
    _refresh_latest(exports, exports / "v1")
    assert str(latest.readlink()) == "v1"
    assert sorted(p.name for p in exports.iterdir()) == ["latest", "v1", "v2"]  # no leftovers
    # the real export of the fixture's version
    folder = export_outcome(str(warehouse), 1, tmp_path / "real").folder
    assert (tmp_path / "real" / "latest").resolve() == folder.resolve()


def test_latest_is_a_copy_where_symlinks_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jjj_etl.export import _refresh_latest

    exports = tmp_path / "exports"
    _fake_versions(exports, 2)
    _refresh_latest(exports, exports / "v1")  # a symlink first

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("symlinks are not allowed here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    _refresh_latest(exports, exports / "v2")
    latest = exports / "latest"
    assert latest.is_dir()
    assert not latest.is_symlink()
    assert json.loads((latest / "manifest.json").read_text())["version"] == 2
    assert sorted(p.name for p in exports.iterdir()) == ["latest", "v1", "v2"]


READER = """
import json, sys, time
from pathlib import Path
latest = Path(sys.argv[1]) / "latest" / "manifest.json"
misses, reads, seen, stop = 0, 0, set(), time.monotonic() + 60
while reads < 200_000 and time.monotonic() < stop:
    try:
        seen.add(json.loads(latest.read_text())["version"])
    except (OSError, ValueError):
        misses += 1
    reads += 1
    if Path(sys.argv[2]).exists():
        break
print(json.dumps({"misses": misses, "reads": reads, "seen": sorted(seen)}))
"""


def test_a_reader_in_another_process_always_finds_latest(tmp_path: Path) -> None:
    """Swapping ``latest`` 300 times while a second process reads it in a loop: not one
    read may fail (the old copy-and-two-renames swap left ``latest`` missing for a moment)."""
    import subprocess
    import sys

    from jjj_etl.export import _refresh_latest

    exports = tmp_path / "exports"
    _fake_versions(exports, 2)
    _refresh_latest(exports, exports / "v1")
    done = tmp_path / "done"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(exports), str(done)], stdout=subprocess.PIPE, text=True
    )
    try:
        for i in range(300):
            _refresh_latest(exports, exports / f"v{1 + i % 2}")
        done.touch()
        out, _ = reader.communicate(timeout=90)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    result = json.loads(out)
    assert result["misses"] == 0, result
    assert result["reads"] > 0
