"""The parse step: which pages to parse, in batches, and the one parse cache.

A batch's output is a folder ``<warehouse>/parsed/<batch key>/`` holding the articles and
figures as Parquet and the per-page results as JSON, written atomically (a folder that
exists is whole).  The key is a digest of the parser version and of everything each page's
parse depends on, so the folder *is* the cache: a batch whose folder exists is not parsed
again, by a retried task or by the next run.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import multiprocessing
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from jjj_etl import staging
from jjj_etl.archive import RawArchive
from jjj_etl.config import Source
from jjj_etl.errors import disk_full
from jjj_etl.parse import PARSER_VERSION, parse_article
from jjj_etl.parse._body import NO_HINTS, BodyHints
from jjj_etl.pipeline._known import KnownState
from jjj_etl.records import FetchedPage, ParsedPage
from jjj_etl.workers import BudgetExceededError, Progress, WorkerDiedError, can_start_workers
from jjj_etl.workers import call as call_in_worker

# PARSER_VERSION (imported above) is read by the other steps as _parse.PARSER_VERSION: one
# name to change, in tests too
__all__ = [
    "PARSER_VERSION",
    "PageResult",
    "ParseJob",
    "batch_key",
    "is_whole",
    "needs_parse",
    "parse_batch",
    "plan_parse",
    "prune",
    "read_results",
    "too_slow",
    "warm_worker",
    "whole_folder",
]

RESULTS_NAME = "pages.json"
_OUTPUTS = ("articles.parquet", "figures.parquet", RESULTS_NAME)


@dataclass(frozen=True, slots=True)
class ParseJob:
    """One distinct page body to parse."""

    url: str
    content_sha256: str
    source: str
    charset: str | None
    keywords: tuple[str, ...]
    lang: str | None
    hints: BodyHints = NO_HINTS


@dataclass(frozen=True, slots=True)
class PageResult:
    """What the rest of the run needs to know about one parsed page (small, picklable)."""

    url: str
    content_sha256: str
    article_id: str | None
    canonical_url: str | None
    skipped: str | None
    n_figures: int


def plan_parse(
    pages: Sequence[FetchedPage], sources: Sequence[Source], known: KnownState
) -> list[ParseJob]:
    """Article pages whose content is new: one job per distinct content hash, in hash order."""
    by_name = {s.name: s for s in sources}
    seen: set[str] = set()
    jobs: list[ParseJob] = []
    for page in pages:
        sha = page.content_sha256
        if not sha or sha in seen or not needs_parse(page, known):  # "not sha": for the type
            continue
        seen.add(sha)
        src = by_name[page.source]
        url = page.final_url or page.url
        hints = BodyHints(src.body_selector, src.date_selector)
        jobs.append(ParseJob(url, sha, src.name, page.charset, src.keywords, src.lang, hints))
    # crawl order varies with concurrency; batches (and their keys) must not
    return sorted(jobs, key=lambda j: (j.content_sha256, j.url))


def needs_parse(page: FetchedPage, known: KnownState) -> bool:
    """Whether this fetched page gives the run a body to parse (what :func:`plan_parse`
    keeps, before pages with the same body are merged)."""
    sha = page.content_sha256
    if not sha or (sha, PARSER_VERSION) in known.staged:
        return False
    return _wants_parse(page, sha, known)


def warm_worker() -> None:
    """Run first in each parse worker (:func:`jjj_etl.workers.prestart`): unpickling this
    function imported this module, and with it the parser."""
    settle_worker()


@functools.cache  # once a process
def settle_worker() -> bool:
    """In a worker process, once the parser is imported: move what is loaded so far (the
    modules, their compiled patterns and tables, alive for the process's whole life) out of
    the garbage collector's reach, so that its full collections walk only what the pages
    make.  Returns whether it did (not in the run's own process, whose heap keeps growing
    with the run)."""
    if multiprocessing.parent_process() is None:
        return False
    gc.collect()
    gc.freeze()
    return True


def _wants_parse(page: FetchedPage, sha: str, known: KnownState) -> bool:
    """Article pages with a body; a 304 only when its staged parse is from an older parser."""
    if page.is_listing or page.error:
        return False
    if page.skipped == "not-modified":
        return sha in known.staged_shas and (sha, PARSER_VERSION) not in known.staged
    return not page.skipped


def batch_key(jobs: Sequence[ParseJob]) -> str:
    """Identity of a parse batch: the parser version and what each page's parse depends on."""
    digest = hashlib.sha256(PARSER_VERSION.encode())
    for job in jobs:
        digest.update(
            repr(
                (job.url, job.content_sha256, job.source, job.charset, job.keywords, job.lang)
            ).encode()
        )
        digest.update(repr((job.hints.body_selector, job.hints.date_selector)).encode())
    return digest.hexdigest()


def whole_folder(jobs: Sequence[ParseJob], parsed: Path) -> str | None:
    """This batch's folder under ``parsed`` when a parse has left it whole, else None."""
    folder = parsed / batch_key(jobs)
    return str(folder) if is_whole(folder) else None


def is_whole(folder: Path) -> bool:
    """Whether a batch folder holds every output (it is renamed into place when complete)."""
    return all((folder / name).is_file() for name in _OUTPUTS)


def read_results(folder: str | Path) -> tuple[PageResult, ...]:
    """The per-page results a batch folder records."""
    rows = json.loads((Path(folder) / RESULTS_NAME).read_text(encoding="utf-8"))
    return tuple(PageResult(**row) for row in rows)


def parse_batch(
    jobs: Sequence[ParseJob], raw: Path, parsed: Path, workers: int, budget: float | None = None
) -> str:
    """The folder of this batch's output, parsing it unless it is already there.

    ``workers`` > 1 runs the batch in the shared pool of that many worker processes
    (:mod:`jjj_etl.workers`); 1, or a caller that is itself a daemonic worker (Dask), parses
    here.  A bad page becomes a skip with its reason, never an error.  A page that parses
    longer than ``budget`` seconds (workers only) has its worker killed and is skipped
    (``too-slow: …``); the rest of the batch is parsed again without it.  If a worker process
    dies the batch is tried once more, then page by page, so a page that kills its worker is
    skipped (``parse-crashed``) and the rest kept.
    """
    whole = whole_folder(jobs, parsed)
    if whole is not None:
        return whole
    folder = parsed / batch_key(jobs)
    try:
        return _parse_batch(list(jobs), raw, folder, workers, budget)
    except Exception as exc:
        full = disk_full(exc, parsed, "a parse batch's Parquet files")
        if full is None:
            raise
        raise full from exc


def _parse_batch(
    job_list: list[ParseJob], raw: Path, folder: Path, workers: int, budget: float | None
) -> str:
    if workers <= 1 or not can_start_workers():
        return _parse_here(job_list, raw, folder, {})
    slow: dict[str, str] = {}  # content sha256 -> skip reason, left out of the next attempt
    crashes = 0
    # bounded: each pass returns, marks one more page too slow, or counts a death (a death
    # caused by another batch's budget kill is retried: bounded by the pages of the run)
    for _attempt in range(3 * len(job_list) + 4):
        try:
            return call_in_worker(workers, _parse_here, job_list, raw, folder, slow, budget=budget)
        except BudgetExceededError as exc:
            slow[job_list[exc.index].content_sha256] = too_slow(exc.budget)
        except WorkerDiedError as exc:
            crashes += not exc.collateral
            if crashes >= 2:
                break
    return _write(folder, [_parse_alone(workers, job, raw, slow, budget) for job in job_list])


def too_slow(budget: float) -> str:
    """The skip reason of a page whose parse ran past ``budget`` seconds."""
    return f"too-slow: parse exceeded {budget:g} s"


def _parse_alone(
    workers: int, job: ParseJob, raw: Path, slow: dict[str, str], budget: float | None
) -> ParsedPage:
    try:
        return call_in_worker(workers, _parse_pages, [job], raw, slow, budget=budget)[0]
    except BudgetExceededError as exc:
        return ParsedPage(job.url, job.content_sha256, None, skipped=too_slow(exc.budget))
    except WorkerDiedError as exc:
        return ParsedPage(job.url, job.content_sha256, None, skipped=f"parse-crashed: {exc}")


def _parse_here(
    jobs: list[ParseJob],
    raw: Path,
    folder: Path,
    slow: dict[str, str],
    progress: Progress | None = None,
) -> str:
    settle_worker()  # a worker the pool started for this batch ran no warm_worker
    return _write(folder, _parse_pages(jobs, raw, slow, progress))


def _parse_pages(
    jobs: Sequence[ParseJob],
    raw: Path,
    slow: dict[str, str],
    progress: Progress | None = None,
) -> list[ParsedPage]:
    archive = RawArchive(raw)
    out = []
    for i, job in enumerate(jobs):
        reason = slow.get(job.content_sha256)
        if reason is not None:
            out.append(ParsedPage(job.url, job.content_sha256, None, skipped=reason))
            continue
        if progress is not None:
            progress.begin(i)
        out.append(_parse_one(archive, job))
    return out


def _parse_one(archive: RawArchive, job: ParseJob) -> ParsedPage:
    try:
        body = archive.get(job.content_sha256)
    except KeyError:
        return ParsedPage(job.url, job.content_sha256, None, skipped="missing-from-archive")
    try:
        return parse_article(
            body,
            job.url,
            job.source,
            keywords=job.keywords,
            header_charset=job.charset,
            lang=job.lang,
            hints=job.hints,
            content_sha256=job.content_sha256,  # the body was found by this hash
        )
    except Exception as exc:  # one page's failure is that page's skip, never the batch's
        reason = f"parse-error: {type(exc).__name__}: {exc}"
        return ParsedPage(job.url, job.content_sha256, None, skipped=reason)


def _write(folder: Path, parsed: list[ParsedPage]) -> str:
    results = [
        PageResult(
            p.url,
            p.content_sha256,
            staging.article_id(p.article.canonical_url) if p.article else None,
            p.article.canonical_url if p.article else None,
            p.skipped,
            len(p.figures),
        )
        for p in parsed
    ]
    extra = {RESULTS_NAME: json.dumps([asdict(r) for r in results]).encode()}
    staging.write_parsed(folder, parsed, PARSER_VERSION, extra=extra)
    return str(folder)


def prune(parsed: Path, keep: set[str], older_than: float) -> int:
    """Remove batch folders not in ``keep`` last written before ``older_than`` (epoch
    seconds); returns how many.  A folder written since then may belong to a run still
    parsing; it is pruned by a later run (and a run that finds one of its batches gone
    parses it again)."""
    removed = 0
    if not parsed.is_dir():
        return 0
    for folder in parsed.iterdir():
        if folder.name in keep or _mtime(folder) >= older_than:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()  # vanished meanwhile: nothing to remove
