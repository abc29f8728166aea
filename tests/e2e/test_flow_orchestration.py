"""Orchestration under Prefect's harness: parse cache, artifacts, the served deployment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jjj_etl.config import load_config

pytestmark = pytest.mark.e2e


def _task_states(flow_run_id: Any, name_prefix: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return [r.state.name for r in runs if r.name.startswith(name_prefix) and r.state]


def _artifacts(key: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


def test_full_rerun_hits_the_parse_cache(prefect_harness: None, tmp_path: Path) -> None:
    from flows.pipeline import jjj_pipeline

    wh = str(tmp_path / "wh")
    first = jjj_pipeline(warehouse=wh, return_state=True)
    assert first.is_completed()
    parsed = {p.parent.name: p.stat().st_mtime_ns for p in Path(wh).glob("parsed/*/*.parquet")}
    assert parsed, "the run keeps the batches it loaded"
    assert first.result()["report"] == str(Path(wh).resolve() / "exports" / "report.html")
    assert (Path(wh) / "exports" / "report.html").stat().st_size > 10_000  # every run writes it
    second = jjj_pipeline(warehouse=wh, full=True, return_state=True)
    summary = second.result()
    assert summary["version"] is None  # same inputs: no new version
    states = _task_states(second.state_details.flow_run_id, "parse-batch")
    assert states, "a full rerun plans parse batches"
    assert set(states) == {"Completed"}, states
    again = {p.parent.name: p.stat().st_mtime_ns for p in Path(wh).glob("parsed/*/*.parquet")}
    assert again == parsed  # ... and parses nothing: the batch folders are the cache
    assert not (Path(wh) / "prefect-results").exists()

    # a batch folder that was removed is parsed again, into the same place
    shutil.rmtree(Path(wh) / "parsed")
    third = jjj_pipeline(warehouse=wh, full=True, return_state=True)
    assert third.result()["observations"] == summary["observations"]
    assert set(Path(wh).glob("parsed/*")) == {Path(wh) / "parsed" / k for k in parsed}

    markdown = [
        a for a in _artifacts("jjj-run-summary") if a.flow_run_id == first.state_details.flow_run_id
    ]
    assert markdown
    assert "version 1" in str(markdown[0].data)
    table = [
        a
        for a in _artifacts("jjj-changed-observations")
        if a.flow_run_id == first.state_details.flow_run_id
    ]
    rows = table[0].data if isinstance(table[0].data, list) else json.loads(table[0].data)
    first_summary = first.result()
    assert len(rows) == first_summary["new_observations"] == first_summary["observations"]
    assert {r["change"] for r in rows} == {"added"}


def test_serve_deployment_schedule_and_parameters(tmp_path: Path) -> None:
    from flows.schedule import DEPLOYMENT_NAME, deployment_for

    cfg = load_config()
    deployment = deployment_for(cfg, str(tmp_path / "wh"))
    assert deployment.name == DEPLOYMENT_NAME
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 7 * * *"
    assert schedule.schedule.timezone == "Asia/Shanghai"
    assert deployment.parameters["config_path"] == cfg.path
    assert deployment.parameters["warehouse"] == str(tmp_path / "wh")


def test_serve_uses_the_configured_cron(tmp_path: Path) -> None:
    from flows.schedule import deployment_for

    src = Path(load_config().path).read_text(encoding="utf-8")
    site = Path(load_config().path).parent / "site" / "index.html"
    text = (
        src.replace('cron = "0 7 * * *"', 'cron = "30 6 * * 1-5"')
        .replace('timezone = "Asia/Shanghai"', 'timezone = "Europe/Berlin"')
        .replace("file:site/index.html", site.as_uri())
    )
    cfg_path = tmp_path / "sources.toml"
    cfg_path.write_text(text, encoding="utf-8")
    (schedule,) = deployment_for(load_config(cfg_path)).schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 6 * * 1-5", "Europe/Berlin")


def test_parser_upgrade_reparses_unchanged_pages_once(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline import jjj_pipeline

    from jjj_etl.pipeline import _parse

    wh = str(tmp_path / "wh")
    # the patched parser version below exists in this process only: parse here
    monkeypatch.setenv("JJJ_ETL_PARSE_WORKERS", "1")
    first = jjj_pipeline(warehouse=wh)
    same = jjj_pipeline(warehouse=wh)
    assert same["version"] is None
    assert set(same["pages"]) == {"not-modified"}  # 304s cost no parse

    monkeypatch.setattr(_parse, "PARSER_VERSION", "next-parser")
    upgraded = jjj_pipeline(warehouse=wh)
    # every page still answers 304, but its staged parse is from the old parser: parse again
    assert upgraded["pages"].get("article") == first["pages"]["article"]
    assert upgraded["version"] == 2
    assert upgraded["new_observations"] == upgraded["retired_observations"] == 0
    again = jjj_pipeline(warehouse=wh)
    assert again["version"] is None
    assert set(again["pages"]) == {"not-modified"}
