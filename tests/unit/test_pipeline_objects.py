"""The pipeline's run objects: cheap for an orchestrator to hand over, picklable, and the
parse cache pruned without touching what a run may still need."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest
from prefect.utilities.collections import visit_collection

from jjj_etl.config import load_config
from jjj_etl.errors import UsageError
from jjj_etl.fetch import Validators
from jjj_etl.pipeline import KnownState, Pipeline, Run
from jjj_etl.pipeline._parse import prune


def _run(n: int) -> Run:
    known = KnownState(
        {f"http://x.test/{i}.html": Validators(etag=f'"{i}"') for i in range(n)},
        frozenset((f"{i:064x}", "1") for i in range(n)),
    )
    return Run(load_config().sources, known, full=False, from_archive=False)


def _visits(value: object) -> int:
    seen: list[object] = []
    visit_collection(value, visit_fn=seen.append, return_data=False)
    return len(seen)


def test_prefect_does_not_walk_every_url_a_run_knows() -> None:
    # Prefect visits task parameters looking for futures: the visit must not grow with URLs
    assert _visits(_run(10)) == _visits(_run(5000)) == 1
    assert _visits([_run(10)]) < 5


def test_a_run_and_a_pipeline_survive_pickling(tmp_path: Path) -> None:
    run = _run(3)
    again = pickle.loads(pickle.dumps(run))  # noqa: S301 - our own bytes, as task runners do
    assert again.known == run.known
    assert again.known.staged_shas == run.known.staged_shas
    assert again.run_id == run.run_id
    pipe = Pipeline(load_config(), tmp_path / "wh")
    copy = pickle.loads(pickle.dumps(pipe))  # noqa: S301
    assert copy.paths == pipe.paths
    assert copy.memory == pipe.memory


def test_setting_up_a_pipeline_writes_nothing_until_a_run_starts(tmp_path: Path) -> None:
    pipe = Pipeline(load_config(), tmp_path / "wh")
    assert not (tmp_path / "wh").exists()
    pipe.start()
    assert (tmp_path / "wh").is_dir()


def test_an_unknown_source_is_a_usage_error_naming_the_configured_ones(tmp_path: Path) -> None:
    pipe = Pipeline(load_config(), tmp_path / "wh")
    assert [s.name for s in pipe.select(["sample-forum"])] == ["sample-forum"]
    with pytest.raises(UsageError, match=r"bogus.*sample-forum"):
        pipe.select(["bogus", "sample-forum"])
    assert not (tmp_path / "wh").exists()


def test_prune_keeps_the_batches_loaded_and_any_written_since_the_run_started(
    tmp_path: Path,
) -> None:
    started = time.time()
    for name in ("loaded", "old", "new"):
        (tmp_path / name).mkdir()
    hour_ago = started - 3600
    for name in ("loaded", "old"):
        os.utime(tmp_path / name, (hour_ago, hour_ago))
    os.utime(tmp_path / "new", (started + 1, started + 1))  # another run's, still in use
    assert prune(tmp_path, {"loaded"}, started) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loaded", "new"]
    assert prune(tmp_path / "missing", set(), started) == 0
