"""Parsing in worker processes: same output as in-process parsing, and a worker that dies
(killed by its PID here) costs a retry or, at worst, the pages it was holding, never the run."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from jjj_etl import pipeline, workers
from jjj_etl.config import load_config
from jjj_etl.errors import ConfigError
from jjj_etl.pipeline import PageResult, ParseJob, Pipeline, _parse, read_results
from jjj_etl.pipeline._known import KnownState
from jjj_etl.pipeline._parse import parse_batch
from jjj_etl.records import FetchedPage
from jjj_etl.stopping import STOP

Archived = tuple[Path, list[ParseJob]]
PARSE_WORKERS_ENV = "JJJ_ETL_PARSE_WORKERS"  # the documented name


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    """The sample site crawled into a warehouse's raw archive, and its parse jobs."""
    pipe = Pipeline(load_config(), tmp_path_factory.mktemp("wh"))
    run = pipe.start()
    fetched = [p for s in run.sources for p in pipe.extract(run, s)]
    (jobs,) = pipe.plan(run, fetched)
    assert len(jobs) >= 15
    workers.close_pool()  # the crawl started them; each test starts its own
    return pipe.paths.raw, jobs


class _Parsed:
    """One parse of a batch into its own (empty) cache folder."""

    def __init__(self, archived: Archived, cache: Path, n_workers: int) -> None:
        raw, jobs = archived
        self.folder = parse_batch(jobs, raw, cache, n_workers)
        self.key = Path(self.folder).name
        self.pages: tuple[PageResult, ...] = read_results(self.folder)


@pytest.fixture(autouse=True)
def _stop_workers() -> object:
    yield
    workers.close_pool()
    assert workers.worker_pids() == []


def _rows(folder: str, table: str) -> list[tuple[object, ...]]:
    with duckdb.connect() as con:
        return con.execute(
            "select * from read_parquet(?) order by all", [str(Path(folder) / f"{table}.parquet")]
        ).fetchall()


@contextlib.contextmanager
def _killing_workers(*, only_first: bool) -> Iterator[list[int]]:
    """SIGKILL parse workers by PID from a thread while the block runs: the first one seen
    (``only_first``), or every one, again and again.  Yields the PIDs killed."""
    killed: list[int] = []
    stop = threading.Event()

    def kill() -> None:
        deadline = time.monotonic() + 60  # bounded even if the block hangs
        while not stop.is_set() and time.monotonic() < deadline:
            if only_first and killed:
                return
            for pid in workers.worker_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                if only_first:
                    break
            time.sleep(0.002)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        yield killed
    finally:
        stop.set()
        killer.join()


def test_workers_write_what_in_process_parsing_writes(
    archived: Archived,
    tmp_path: Path,
) -> None:
    here = _Parsed(archived, tmp_path / "one", 1)
    articles_here, figures_here = _rows(here.folder, "articles"), _rows(here.folder, "figures")
    assert workers.worker_pids() == []  # workers=1 starts no process

    pooled = _Parsed(archived, tmp_path / "two", 2)

    assert workers.worker_pids()  # ran in a worker process (started on demand)
    assert pooled.key == here.key
    assert pooled.pages == here.pages
    assert _rows(pooled.folder, "articles") == articles_here
    assert _rows(pooled.folder, "figures") == figures_here
    assert sum(p.n_figures for p in pooled.pages) == len(figures_here) > 50


def test_a_killed_worker_costs_a_retry_not_the_batch(
    archived: Archived,
    tmp_path: Path,
) -> None:
    expected = _Parsed(archived, tmp_path / "one", 1).pages
    with _killing_workers(only_first=True) as killed:
        result = _Parsed(archived, tmp_path / "two", 2)
    assert killed, "the worker was never seen"
    assert killed[0] not in workers.worker_pids()  # the broken pool was replaced
    assert result.pages == expected


def test_workers_that_keep_dying_skip_their_pages_and_lose_nothing(
    archived: Archived,
    tmp_path: Path,
) -> None:
    raw, jobs = archived
    jobs = jobs[:6]
    with _killing_workers(only_first=False) as killed:
        result = _Parsed((raw, jobs), tmp_path / "killed", 2)

    assert len(killed) >= 3  # two whole-batch attempts, then at least one page alone
    assert [p.content_sha256 for p in result.pages] == [j.content_sha256 for j in jobs]
    crashed = [p for p in result.pages if p.skipped and p.skipped.startswith("parse-crashed")]
    assert crashed, "every page was parsed although every worker was killed"
    assert all(p.article_id is None for p in crashed)
    assert Path(result.folder, "articles.parquet").exists()
    # the pool recovers once the killing stops
    again = _Parsed((raw, jobs), tmp_path / "again", 2)
    assert all(not (p.skipped or "").startswith("parse-crashed") for p in again.pages)


def test_worker_count_comes_from_config_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PARSE_WORKERS_ENV, raising=False)
    assert pipeline.parse_workers(0) == workers.usable_cores()
    assert pipeline.parse_workers(3) == 3
    monkeypatch.setenv(PARSE_WORKERS_ENV, "1")
    assert pipeline.parse_workers(3) == 1
    for bad in ("two", "-1", "65", "1.5"):
        monkeypatch.setenv(PARSE_WORKERS_ENV, bad)
        with pytest.raises(ConfigError, match=PARSE_WORKERS_ENV):
            pipeline.parse_workers(0)

    cfg = tmp_path / "sources.toml"
    source = '[[sources]]\nname = "a"\nstart_urls = ["http://a.test/"]\n'
    cfg.write_text(source + "[parse]\nworkers = 2\n")
    assert load_config(cfg).parse.workers == 2
    cfg.write_text(source + "[parse]\nworkers = -1\n")
    with pytest.raises(ConfigError, match=r"parse\.workers"):
        load_config(cfg)


def test_a_whole_batch_folder_is_the_cache_and_a_partial_one_is_parsed_again(
    archived: Archived, tmp_path: Path
) -> None:
    first = _Parsed(archived, tmp_path, 1)
    figures = Path(first.folder) / "figures.parquet"
    stamp = figures.stat().st_mtime_ns
    again = _Parsed(archived, tmp_path, 2)
    assert again.folder == first.folder
    assert figures.stat().st_mtime_ns == stamp  # not written again ...
    assert workers.worker_pids() == []  # ... and no worker was started to parse it
    figures.unlink()  # a folder missing one output is not trusted
    third = _Parsed(archived, tmp_path, 1)
    assert figures.exists()
    assert third.pages == first.pages


def _counting(parse: Callable[[Sequence[ParseJob]], str], fail_first: bool = False) -> Any:
    """``parse`` that records how many calls are in flight at once (and the calls made);
    with ``fail_first`` the first batch raises instead of parsing."""
    lock = threading.Lock()
    state = {"now": 0, "most": 0, "calls": 0}

    def counted(jobs: Sequence[ParseJob]) -> str:
        with lock:
            state["calls"] += 1
            first = state["calls"] == 1
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            if fail_first and first:
                raise RuntimeError("batch one failed")
            return parse(jobs)
        finally:
            with lock:
                state["now"] -= 1

    counted.state = state  # type: ignore[attr-defined]
    return counted


def _crawled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n_workers: int
) -> tuple[Pipeline, Any, list[FetchedPage]]:
    """A pipeline of ``n_workers`` parse workers, its run, and the sample site crawled."""
    monkeypatch.setenv(PARSE_WORKERS_ENV, str(n_workers))
    pipe = Pipeline(load_config(), tmp_path / "wh")
    run = pipe.start()
    return pipe, run, [p for s in run.sources for p in pipe.extract(run, s)]


def _plain_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Pipeline, list[list[ParseJob]]]:
    pipe, run, fetched = _crawled(tmp_path, monkeypatch, 2)
    (jobs,) = pipe.plan(run, fetched)
    return pipe, [jobs[i : i + 3] for i in range(0, len(jobs), 3)]


def test_the_plain_run_parses_batches_on_every_worker_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe, batches = _plain_pipeline(tmp_path, monkeypatch)
    assert pipe.workers == 2
    assert len(batches) >= 5
    expected = [parse_batch(b, pipe.paths.raw, tmp_path / "one-by-one", 1) for b in batches]
    counted = _counting(pipe._parse)
    pipe._parse = counted  # type: ignore[method-assign]

    folders = pipe.parse_all(batches)

    assert counted.state["most"] == 2  # two batches in flight, one per worker
    assert [Path(f).name for f in folders] == [Path(f).name for f in expected]
    for got, want in zip(folders, expected, strict=True):
        assert read_results(got) == read_results(want)
        assert _rows(got, "figures") == _rows(want, "figures")
    assert pipe.timings["parse"] > 0


def test_the_plain_run_stops_at_a_failed_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe, batches = _plain_pipeline(tmp_path, monkeypatch)
    batches = [[job] for b in batches for job in b]  # many small batches
    counted = _counting(pipe._parse, fail_first=True)
    pipe._parse = counted  # type: ignore[method-assign]

    with pytest.raises(RuntimeError, match="batch one failed"):
        pipe.parse_all(batches)
    pipe.close()
    assert counted.state["calls"] < len(batches)  # the batches not started never start


def test_the_parse_workers_are_stopped_before_the_write_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PARSE_WORKERS_ENV, "2")
    pipe = Pipeline(load_config(), tmp_path / "wh")
    at_window: list[list[int]] = []
    after_parse: list[list[int]] = []
    windows, parse = pipe.write_windows, pipe._parse

    def parsing(jobs: Sequence[ParseJob]) -> str:
        folder = parse(jobs)
        after_parse.append(workers.worker_pids())
        return folder

    def recording(*args: Any, **kwargs: Any) -> Iterator[Any]:
        at_window.append(workers.worker_pids())
        yield from windows(*args, **kwargs)

    pipe.write_windows = recording  # type: ignore[method-assign]
    pipe._parse = parsing  # type: ignore[method-assign]
    summary = pipe.run()

    assert summary.version == 1
    assert summary.articles > 0
    assert after_parse[0]  # parsed in worker processes (load asks for the folders again) ...
    assert at_window == [[]]  # ... stopped before loading and building began


def test_the_workers_start_during_the_crawl_when_a_body_to_parse_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert workers.worker_pids() == []
    pipe, run, fetched = _crawled(tmp_path, monkeypatch, 2)
    started = workers.worker_pids()
    # started by the crawl, before any batch was handed over: one a core beside the crawl's
    assert len(started) == min(2, max(1, workers.usable_cores() - 1))
    for pid in started:
        assert Path(f"/proc/{pid}").exists()
    folders = pipe.parse_all(pipe.plan(run, fetched))
    assert set(started) <= set(workers.worker_pids())  # they parsed, and the pool grew to 2
    assert len(workers.worker_pids()) == 2
    assert sum(r.n_figures for f in folders for r in read_results(f)) > 0


def test_a_crawl_with_nothing_new_to_parse_starts_no_worker() -> None:
    seen: list[str] = []
    start = pipeline._pipeline._StartWorkers(lambda p: seen.append(p.url), 2, KnownState())
    at = "2026-12-04T00:00:00Z"
    for page in (
        FetchedPage("http://a.test/", "http://a.test/", "a", 200, at, is_listing=True),
        FetchedPage("http://a.test/1", "http://a.test/1", "a", 304, at, skipped="not-modified"),
        FetchedPage("http://a.test/2", "http://a.test/2", "a", 0, at, error="timed out"),
        FetchedPage("http://a.test/3", "http://a.test/3", "a", 200, at, skipped="robots"),
    ):
        start(page)
    assert len(seen) == 4  # every page still reaches the crawl's own progress
    assert workers.worker_pids() == []
    body = FetchedPage("http://a.test/4", "http://a.test/4", "a", 200, at, content_sha256="ab")
    staged = KnownState(staged=frozenset({("ab", _parse.PARSER_VERSION)}))
    pipeline._pipeline._StartWorkers(lambda p: seen.append(p.url), 2, staged)(
        body
    )  # parsed by this parser
    assert workers.worker_pids() == []
    start(body)
    assert len(workers.worker_pids()) == min(2, max(1, workers.usable_cores() - 1))


def test_the_load_finds_whole_folders_without_parsing_or_adding_to_the_parse_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe, run, fetched = _crawled(tmp_path, monkeypatch, 1)
    (jobs,) = pipe.plan(run, fetched)
    batches = [jobs[: len(jobs) // 2], jobs[len(jobs) // 2 :]]
    folders = pipe.parse_all(batches)
    parsed = pipe.timings["parse"]
    shutil.rmtree(folders[1])  # as if another run had pruned it since
    calls = _counting(pipe._parse)
    pipe._parse = calls  # type: ignore[method-assign]

    for window in pipe.write_windows(run):
        with window:
            staged = pipe.load(window, run, fetched, batches)
            window.build()
            window.test()
            window.commit()

    assert calls.state["calls"] == 1  # only the vanished folder was parsed again ...
    assert Path(folders[1]).is_dir()
    assert pipe.timings["parse"] > parsed  # ... and only that parse was timed as one
    assert staged
    assert window.version == 1


def test_no_worker_is_started_ahead_for_one_worker_or_once_the_run_is_stopping() -> None:
    workers.prestart(1, _parse.warm_worker, ahead=4)  # one worker parses in-process
    assert workers.worker_pids() == []
    STOP.set()
    try:
        workers.prestart(2, _parse.warm_worker, ahead=2)
        assert workers.worker_pids() == []
    finally:
        STOP.clear()
    workers.prestart(2, _parse.warm_worker, ahead=0)  # at least one, whatever the cores
    assert len(workers.worker_pids()) == 1


def test_a_parse_worker_freezes_what_it_loaded_and_the_run_process_does_not() -> None:
    # what the parser loads lives as long as the worker: frozen once, out of the collector's
    # full passes; the run's own process keeps collecting everything
    frozen = gc.get_freeze_count()
    assert _parse.settle_worker() is False
    assert gc.get_freeze_count() == frozen
    try:
        assert workers.call(1, _parse.settle_worker) is True  # a real spawned worker
        assert workers.call(1, gc.get_freeze_count) > 1000  # the same one: the parser, frozen
    finally:
        workers.close_pool()
