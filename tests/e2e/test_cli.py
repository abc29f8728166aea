"""The CLI through the real ``jjj-etl`` entry point, in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_runs import cli

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "src" / "jjj_etl" / "samples" / "site"


@pytest.fixture(scope="module")
def cli_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse made by `jjj-etl run` itself."""
    wh = tmp_path_factory.mktemp("cli") / "warehouse"
    done = cli("run", "--warehouse", str(wh), own_server=True)  # the one-shot `make run` path
    assert done.returncode == 0, done.stderr
    assert "version 1 committed" in done.stdout
    return wh


def test_query_versions_diff_export(cli_warehouse: Path, tmp_path: Path) -> None:
    q = cli(
        "query",
        "select indicator_id, period, value from mart_indicator_series "
        "order by indicator_id, period",
        "--warehouse",
        str(cli_warehouse),
        "--format",
        "json",
    )
    assert q.returncode == 0, q.stderr
    rows = json.loads(q.stdout)
    assert {
        "indicator_id": "tech_contract_value_bj_to_tjhe",
        "period": "2024",
        "value": 84_370_000_000,
    } in rows
    v = cli("versions", "--warehouse", str(cli_warehouse), "--json")
    assert v.returncode == 0
    assert json.loads(v.stdout)[0]["version_id"] == 1
    d = cli("diff", "1", "1", "--warehouse", str(cli_warehouse), "--json")
    assert d.returncode == 0
    assert json.loads(d.stdout)["changed"] == []
    asof = cli(
        "query",
        "select count(*) as n from fct_observations",
        "--as-of",
        "1",
        "--warehouse",
        str(cli_warehouse),
        "--format",
        "json",
    )
    assert asof.returncode == 0
    assert json.loads(asof.stdout)[0]["n"] > 0
    e = cli(
        "export",
        "--version",
        "1",
        "--dest",
        str(tmp_path / "out"),
        "--warehouse",
        str(cli_warehouse),
    )
    assert e.returncode == 0
    assert (tmp_path / "out" / "v1" / "manifest.json").exists()


def test_report_is_self_contained_html(cli_warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = cli("report", "--out", str(out), "--warehouse", str(cli_warehouse))
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in html
    assert "tech" in html.lower()
    assert 'src="http' not in html
    assert "stylesheet" not in html


def test_unknown_version_is_usage_error(cli_warehouse: Path) -> None:
    done = cli("query", "select 1", "--as-of", "99", "--warehouse", str(cli_warehouse))
    assert done.returncode == 2
    assert "no version 99" in done.stderr


def test_build_without_changes_adds_no_version(cli_warehouse: Path) -> None:
    done = cli("build", "--warehouse", str(cli_warehouse))
    assert done.returncode == 0, done.stderr
    assert "no version added" in done.stdout


def test_parse_json_article() -> None:
    page = next(p for p in sorted(SITE.rglob("content_*.htm*")))
    done = cli("parse", str(page), "--json")
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)
    assert "article" in doc
    if doc["article"] is not None:
        body = doc["article"]["body"]
        for fig in doc["figures"]:
            assert body[fig["start"] : fig["end"]] == fig["surface"]


def test_figures_jsonl() -> None:
    line = json.dumps({"id": "1", "text": "Exports rose 5.2% to 1.3 trillion yuan in 2024."})
    done = cli("figures", stdin=line + "\n")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[0])
    assert out["id"] == "1"
    got = {(f["value"], f["unit"], f["kind"], f["period"]) for f in out["figures"]}
    assert got == {(5.2, "%", "change", "2024"), (1.3e12, "CNY", "level", "2024")}


def test_broken_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text('[[sources]]\nname = "Bad Name"\nstart_urls = ["http://x.invalid/"]\n')
    wh = tmp_path / "warehouse"
    done = cli("run", "--config", str(cfg), "--warehouse", str(wh))
    assert done.returncode == 2
    assert str(cfg) in done.stderr
    assert "sources[0]" in done.stderr
    assert "name" in done.stderr
    assert not wh.exists() or not any(wh.iterdir())


def test_a_bad_memory_limit_in_the_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        '[warehouse]\nmemory_limit = "half the box"\n\n'
        '[[sources]]\nname = "ok"\nstart_urls = ["http://x.invalid/"]\n'
    )
    wh = tmp_path / "warehouse"
    done = cli("run", "--config", str(cfg), "--warehouse", str(wh))
    assert done.returncode == 2
    assert "warehouse.memory_limit" in done.stderr
    assert "half the box" in done.stderr
    assert not wh.exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("JJJ_ETL_PARSE_WORKERS", "lots"), ("JJJ_ETL_DUCKDB_MEMORY_LIMIT", "plenty")],
)
def test_a_bad_environment_setting_exits_2_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    wh = tmp_path / "warehouse"
    done = cli("run", "--warehouse", str(wh))
    assert done.returncode == 2
    assert variable in done.stderr
    assert not wh.exists()


def test_missing_config_exits_2(tmp_path: Path) -> None:
    done = cli("run", "--config", str(tmp_path / "nope.toml"), "--warehouse", str(tmp_path / "w"))
    assert done.returncode == 2
    assert "nope.toml" in done.stderr


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jjj_etl", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "query" in done.stdout
