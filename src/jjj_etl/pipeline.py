"""The pipeline's steps as plain functions; ``flows/`` calls each from one Prefect task.

Every step takes and returns plain data (paths, ids, frozen records), never a DuckDB
connection or an httpx client.  The write window is: ``begin`` (copy the published
warehouse to a working file, under the writer lock) → ``load`` → ``build`` → ``test`` →
``commit`` → ``publish`` (one atomic rename).  Anything failing before ``publish`` leaves
the published warehouse untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jjj_etl import staging, versions
from jjj_etl.archive import RawArchive
from jjj_etl.config import Source
from jjj_etl.errors import ConfigError, RunError
from jjj_etl.export import export_warehouse
from jjj_etl.fetch import Validators, crawl, replay
from jjj_etl.parse import PARSER_VERSION, parse_article
from jjj_etl.progress import CrawlProgress
from jjj_etl.records import FetchedPage, ParsedPage
from jjj_etl.runner import build, check, default_sql_dir
from jjj_etl.summary import RunSummary, build_summary
from jjj_etl.warehouse import connect_work, paths
from jjj_etl.workers import WorkerDiedError, can_start_workers, usable_cores
from jjj_etl.workers import call as call_in_worker

__all__ = [
    "KnownState",
    "PageResult",
    "ParseJob",
    "ParsedBatch",
    "RunSummary",
    "batch_key",
    "begin",
    "build_models",
    "commit",
    "discard",
    "export",
    "extract",
    "known_state",
    "load",
    "needs_build",
    "new_run_id",
    "parse_batch",
    "parse_workers",
    "parsed_output_exists",
    "plan_parse",
    "publish",
    "rebuild",
    "run_data_tests",
    "summarize",
]


def new_run_id() -> str:
    """A sortable, unique run id: UTC timestamp + random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


class FrozenMap(Mapping[str, Validators]):
    """A read-only URL → validators mapping.

    Not a ``dict``, on purpose: the known state is a task parameter, and Prefect walks every
    dict, list and dataclass in a task's parameters looking for futures (0.2 s per 10 000
    URLs, each time a task starts).  It stops at this class (and at the frozenset of staged
    hashes).  Picklable, for task runners in other processes.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Validators] | None = None) -> None:
        self._data: dict[str, Validators] = dict(data or {})

    def __getitem__(self, url: str) -> Validators:
        return self._data[url]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, Validators]]]:
        return (type(self), (self._data,))


@dataclass(frozen=True, slots=True)
class KnownState:
    """What the published warehouse already knows: validators per URL, staged hashes."""

    validators: Mapping[str, Validators] = field(default_factory=FrozenMap)
    staged: frozenset[tuple[str, str]] = frozenset()  # (content_sha256, parser_version)
    # the hashes of ``staged``, by any parser version (derived; a scan of ``staged`` per page
    # made a 10 000-page 304 rerun spend seconds in plan_parse)
    staged_shas: frozenset[str] = field(init=False, default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.validators, FrozenMap):
            object.__setattr__(self, "validators", FrozenMap(self.validators))
        object.__setattr__(self, "staged_shas", frozenset(sha for sha, _ in self.staged))


def known_state(warehouse: str | Path | None, *, full: bool = False) -> KnownState:
    """Read fetch validators and staged content hashes (read-only, short); empty when ``full``."""
    wp = paths(warehouse)
    if full or not wp.db.exists():
        return KnownState()
    try:
        con = duckdb.connect(str(wp.db), read_only=True)
    except duckdb.Error as exc:
        raise RunError(f"cannot read {wp.db}: {exc}") from exc
    try:
        rows = con.execute(
            "select url, etag, last_modified, content_sha256 from meta.fetch_state"
        ).fetchall()
        staged = con.execute(
            "select content_sha256, parser_version from staging.articles"
        ).fetchall()
    except duckdb.CatalogException:
        return KnownState()
    finally:
        con.close()
    return KnownState(
        {u: Validators(etag=e, last_modified=lm, content_sha256=s) for u, e, lm, s in rows},
        frozenset((str(s), str(v)) for s, v in staged),
    )


def extract(
    source: Source,
    warehouse: str | Path | None,
    known: KnownState,
    *,
    from_archive: bool = False,
) -> list[FetchedPage]:
    """Crawl one source; every body lands in the raw archive.  Never raises for a bad page.

    ``from_archive`` walks the warehouse's own WARC archive instead of the network; a
    source with ``warc_files`` is always read from those files (a web-archive export).
    """
    archive = RawArchive(paths(warehouse).raw)
    with CrawlProgress(source.name) as progress:
        if source.warc_files:
            return replay(source, list(source.warc_files), into=archive, progress=progress)
        if from_archive:
            return replay(source, archive, progress=progress)
        return crawl(source, archive, known=known.validators, progress=progress)


@dataclass(frozen=True, slots=True)
class ParseJob:
    """One distinct page body to parse."""

    url: str
    content_sha256: str
    source: str
    charset: str | None
    keywords: tuple[str, ...]
    lang: str | None


def plan_parse(
    pages: Sequence[FetchedPage], sources: Sequence[Source], known: KnownState
) -> list[ParseJob]:
    """Article pages whose content is new: one job per distinct content hash, in hash order."""
    by_name = {s.name: s for s in sources}
    seen: set[str] = set()
    jobs: list[ParseJob] = []
    for page in pages:
        sha = page.content_sha256
        if not sha or sha in seen or not _wants_parse(page, sha, known):
            continue
        seen.add(sha)
        if (sha, PARSER_VERSION) in known.staged:
            continue
        src = by_name[page.source]
        jobs.append(
            ParseJob(
                page.final_url or page.url, sha, src.name, page.charset, src.keywords, src.lang
            )
        )
    # crawl order varies with concurrency; batches (and their cache keys) must not
    return sorted(jobs, key=lambda j: (j.content_sha256, j.url))


def _wants_parse(page: FetchedPage, sha: str, known: KnownState) -> bool:
    """Article pages with a body; a 304 only when its staged parse is from an older parser."""
    if page.is_listing or page.error:
        return False
    if page.skipped == "not-modified":
        return sha in known.staged_shas and (sha, PARSER_VERSION) not in known.staged
    return not page.skipped


@dataclass(frozen=True, slots=True)
class PageResult:
    """What the rest of the run needs to know about one parsed page (small, picklable)."""

    url: str
    content_sha256: str
    article_id: str | None
    canonical_url: str | None
    skipped: str | None
    n_figures: int


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """A parse task's output: per-page results, rows in Parquet files under ``folder``."""

    key: str
    folder: str
    pages: tuple[PageResult, ...]


def batch_key(jobs: Sequence[ParseJob]) -> str:
    """Identity of a parse batch: the parser version and what each page's parse depends on."""
    digest = hashlib.sha256(PARSER_VERSION.encode())
    for job in jobs:
        digest.update(
            repr(
                (job.url, job.content_sha256, job.source, job.charset, job.keywords, job.lang)
            ).encode()
        )
    return digest.hexdigest()


def _parse_one(archive: RawArchive, job: ParseJob) -> ParsedPage:
    try:
        raw = archive.get(job.content_sha256)
    except KeyError:
        return ParsedPage(job.url, job.content_sha256, None, skipped="missing-from-archive")
    try:
        return parse_article(
            raw,
            job.url,
            job.source,
            keywords=job.keywords,
            header_charset=job.charset,
            lang=job.lang,
        )
    except Exception as exc:
        return ParsedPage(
            job.url, job.content_sha256, None, skipped=f"parse-error: {type(exc).__name__}: {exc}"
        )


def parsed_output_exists(warehouse: str | Path | None, jobs: Sequence[ParseJob]) -> bool:
    """Whether this batch's Parquet output is already in ``<warehouse>/parsed/``."""
    folder = paths(warehouse).root / "parsed" / batch_key(jobs)
    return (folder / "articles.parquet").exists() and (folder / "figures.parquet").exists()


def parse_batch(
    jobs: Sequence[ParseJob], warehouse: str | Path | None, *, workers: int = 1
) -> ParsedBatch:
    """Parse a batch of archived pages into ``<warehouse>/parsed/<batch key>/`` Parquet files.

    ``workers`` > 1 runs the batch in the shared pool of that many worker processes
    (:mod:`jjj_etl.workers`); 1, or a caller that is itself a daemonic worker (Dask), parses
    here.  A bad page becomes a skip with its reason,
    never an error.  If a worker process dies the batch is tried once more, then page by
    page, so a page that kills its worker is skipped (``parse-crashed``) and the rest kept.
    """
    if workers <= 1 or not can_start_workers():
        return _parse_batch_here(list(jobs), warehouse)
    for _attempt in range(2):
        try:
            return call_in_worker(workers, _parse_batch_here, list(jobs), warehouse)
        except WorkerDiedError:
            continue
    parsed = [_parse_alone(workers, job, warehouse) for job in jobs]
    return _write_batch(list(jobs), warehouse, parsed)


def _parse_alone(workers: int, job: ParseJob, warehouse: str | Path | None) -> ParsedPage:
    try:
        return call_in_worker(workers, _parse_pages, [job], warehouse)[0]
    except WorkerDiedError as exc:
        return ParsedPage(job.url, job.content_sha256, None, skipped=f"parse-crashed: {exc}")


def _parse_pages(jobs: Sequence[ParseJob], warehouse: str | Path | None) -> list[ParsedPage]:
    archive = RawArchive(paths(warehouse).raw)
    return [_parse_one(archive, job) for job in jobs]


def _parse_batch_here(jobs: list[ParseJob], warehouse: str | Path | None) -> ParsedBatch:
    return _write_batch(jobs, warehouse, _parse_pages(jobs, warehouse))


def _write_batch(
    jobs: list[ParseJob], warehouse: str | Path | None, parsed: list[ParsedPage]
) -> ParsedBatch:
    key = batch_key(jobs)
    folder = paths(warehouse).root / "parsed" / key
    staging.write_parsed(folder, parsed, PARSER_VERSION)
    results = tuple(
        PageResult(
            p.url,
            p.content_sha256,
            staging.article_id(p.article.canonical_url) if p.article else None,
            p.article.canonical_url if p.article else None,
            p.skipped,
            len(p.figures),
        )
        for p in parsed
    )
    return ParsedBatch(key, str(folder), results)


PARSE_WORKERS_ENV = "JJJ_ETL_PARSE_WORKERS"


def parse_workers(configured: int) -> int:
    """Worker processes for parsing: ``$JJJ_ETL_PARSE_WORKERS`` when set, else
    ``configured`` (``[parse] workers``); 0 means one per usable core, 1 parses in-process.

    Raises ConfigError (exit 2) if the environment variable is not a whole number >= 0.
    """
    raw = os.environ.get(PARSE_WORKERS_ENV, "").strip()
    if raw:
        if not raw.isdigit() or int(raw) > 64:
            raise ConfigError("(environment)", PARSE_WORKERS_ENV, f"expected 0-64, got {raw!r}")
        configured = int(raw)
    return configured or usable_cores()


def begin(warehouse: str | Path | None, memory: str | None = None) -> str:
    """Start the write window: a private working copy of the published warehouse.

    Call it while holding :func:`jjj_etl.warehouse.writer_lock`.  ``memory`` here and in the
    other write-window functions is DuckDB's memory cap, as resolved at the start of the run
    by :func:`jjj_etl.warehouse.memory_limit` (None: resolve it from the environment now).
    """
    from jjj_etl.warehouse import begin_work

    return str(begin_work(paths(warehouse), memory))


def _outcomes(
    pages: Sequence[FetchedPage], parsed: Sequence[PageResult], known: KnownState
) -> list[tuple[FetchedPage, str, str | None, str | None]]:
    by_sha = {p.content_sha256: p for p in parsed}
    taken: set[str] = set()  # article ids already claimed by an earlier URL this run
    rows: list[tuple[FetchedPage, str, str | None, str | None]] = []
    for page in pages:
        sha = page.content_sha256 or ""
        if page.error:
            rows.append((page, "failed", page.error, None))
        elif page.skipped == "not-modified" and sha in by_sha:  # re-parsed: newer parser
            rows.append(_article_outcome(page, by_sha[sha], taken))
        elif page.skipped == "not-modified":
            rows.append((page, "not-modified", None, None))
        elif page.skipped.startswith("duplicate") if page.skipped else False:
            rows.append((page, "duplicate", page.skipped, None))
        elif page.skipped:
            rows.append((page, "skipped", page.skipped, None))
        elif page.is_listing:
            rows.append((page, "listing", None, None))
        elif sha in by_sha:
            rows.append(_article_outcome(page, by_sha[sha], taken))
        elif (sha, PARSER_VERSION) in known.staged:
            rows.append((page, "unchanged", "content hash already staged", None))
        else:
            rows.append((page, "skipped", "not parsed", None))
    return rows


def _article_outcome(
    page: FetchedPage, parsed: PageResult, taken: set[str]
) -> tuple[FetchedPage, str, str | None, str | None]:
    if parsed.article_id is None:
        return (page, "skipped", parsed.skipped, None)
    if parsed.article_id in taken:
        reason = f"same article as canonical {parsed.canonical_url}"
        return (page, "duplicate", reason, parsed.article_id)
    taken.add(parsed.article_id)
    return (page, "article", None, parsed.article_id)


def load(
    work: str,
    run_id: str,
    pages: Sequence[FetchedPage],
    batches: Sequence[ParsedBatch],
    known: KnownState,
    memory: str | None = None,
) -> dict[str, int]:
    """Stage this run's page log, articles and figures into the working copy, in bulk.

    Articles and figures go straight from the parse batches' Parquet files into DuckDB.
    """
    results = [p for b in batches for p in b.pages]
    outcomes = _outcomes(pages, results, known)
    keep = sorted(
        {(aid, p.content_sha256 or "") for p, o, _, aid in outcomes if o == "article" and aid}
    )
    with connect_work(work, memory) as con:
        # Loading is compression-bound, not CPU-bound: a second thread bought no time but
        # its own buffers, and each Parquet file is read once, so DuckDB's cache of
        # external files is only memory (10 000 pages: 255 → 145 MB over the process).
        con.execute("set threads = 1")
        con.execute("set enable_external_file_cache = false")
        staging.ensure_schema(con)
        counts = staging.stage_parsed(
            con, run_id, staging.page_rows(run_id, outcomes), [b.folder for b in batches], keep
        )
        staging.record_fetch_state(con, pages)
    return {"pages": counts.pages, "articles": counts.articles, "figures": counts.figures}


def needs_build(work: str, sql_dir: str | None = None, memory: str | None = None) -> bool:
    """False when the staged inputs, SQL and seeds are exactly the current version's.

    Then rebuilding and re-testing could only reproduce the current version: a rerun where
    every page answered 304 skips straight to recording a no-change run.
    """
    sdir = Path(sql_dir) if sql_dir else default_sql_dir()
    with connect_work(work, memory) as con:
        last = con.execute(
            "select input_fingerprint from meta.versions order by version_id desc limit 1"
        ).fetchone()
        return last is None or last[0] != versions.input_fingerprint(con, sdir)


def build_models(
    work: str, sql_dir: str | None = None, memory: str | None = None
) -> dict[str, float]:
    """Build every SQL model in the working copy; returns seconds per model."""
    with connect_work(work, memory) as con:
        staging.ensure_schema(con)
        result = build(con, Path(sql_dir) if sql_dir else default_sql_dir())
    return dict(result.timings)


def run_data_tests(
    work: str, sql_dir: str | None = None, memory: str | None = None
) -> list[dict[str, Any]]:
    """Run the data tests; raise DataTestError on blocking failures; return the warnings."""
    with connect_work(work, memory) as con:
        results = check(con, Path(sql_dir) if sql_dir else default_sql_dir())
    return [
        {"test": r.name, "failing_rows": r.n_failing, "sample": list(r.rows[:3])}
        for r in results
        if not r.passed
    ]


def commit(
    work: str,
    run_id: str,
    started_at: str,
    warnings: list[dict[str, Any]],
    summary: dict[str, Any],
    sql_dir: str | None = None,
    memory: str | None = None,
) -> int | None:
    """Commit a new version in the working copy (None when nothing changed) and log the run."""
    sdir = Path(sql_dir) if sql_dir else default_sql_dir()
    with connect_work(work, memory) as con:
        con.execute("begin transaction")
        done = versions.commit_version(
            con,
            run_id=run_id,
            started_at=datetime.fromisoformat(started_at),
            sql_dir=sdir,
            parser_version=PARSER_VERSION,
            warnings=warnings,
            model_timings=summary.get("model_timings"),
        )
        status = "committed" if done.version_id else "no-change"
        con.execute(
            "insert into meta.runs values (?, ?, ?, ?, ?, ?)",
            [
                run_id,
                datetime.fromisoformat(started_at),
                datetime.now(UTC),
                status,
                done.version_id,
                json.dumps({**summary, "row_counts": done.row_counts}, default=str),
            ],
        )
        con.execute("commit")
    return done.version_id


def publish(warehouse: str | Path | None, work: str) -> None:
    """Atomically replace the published warehouse with the working copy."""
    from jjj_etl.warehouse import publish_work

    publish_work(paths(warehouse), Path(work))


def discard(work: str) -> None:
    """Throw the working copy away (the run failed; nothing is published)."""
    from jjj_etl.warehouse import discard_work

    discard_work(Path(work))


def export(
    warehouse: str | Path | None,
    version: int | None = None,
    sql_dir: str | None = None,
    memory: str | None = None,
) -> str:
    """Parquet export of ``version`` (default: current) into ``exports/v<N>`` and ``latest``,
    under the run's DuckDB memory cap (None: resolved from the environment now)."""
    sdir = Path(sql_dir) if sql_dir else None
    return str(export_warehouse(warehouse, version, sql_dir=sdir, memory=memory))


def summarize(
    run_id: str,
    pages: Sequence[FetchedPage],
    batches: Sequence[ParsedBatch],
    warehouse: str | Path | None,
    version: int | None,
    exports: str | None,
    warnings: list[dict[str, Any]],
    known: KnownState,
) -> RunSummary:
    """The run summary: page outcomes from this run, totals from the published warehouse."""
    results = [p for b in batches for p in b.pages]
    outcomes = [(o, r, p.url) for p, o, r, _ in _outcomes(pages, results, known)]
    return build_summary(run_id, outcomes, paths(warehouse).db, version, exports, warnings)


def rebuild(
    warehouse: str | Path | None, lock_timeout: float = 60.0, sql_dir: str | None = None
) -> dict[str, Any]:
    """``jjj-etl build``: models and data tests on what is staged, as a new version.

    Fetches nothing.  Raises BuildError / DataTestError (nothing committed) on failure.
    """
    from jjj_etl.warehouse import writer_lock

    wp = paths(warehouse)
    if not wp.db.exists():
        raise RunError(f"no warehouse at {wp.db}: run `jjj-etl run` first")
    run_id, started_at = new_run_id(), datetime.now(UTC).isoformat()
    with writer_lock(wp, lock_timeout):
        work = begin(wp.root)
        try:
            timings = build_models(work, sql_dir)
            warnings = run_data_tests(work, sql_dir)
            summary = {"kind": "build", "model_timings": timings}
            version = commit(work, run_id, started_at, warnings, summary, sql_dir)
            publish(wp.root, work)
        except BaseException:
            discard(work)
            raise
    exports = export(wp.root, version, sql_dir) if version is not None else None
    return {
        "run_id": run_id,
        "version": version,
        "exports": exports,
        "timings": timings,
        "warnings": [w["test"] for w in warnings],
    }
