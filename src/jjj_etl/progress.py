"""Crawl progress: a rich progress bar on a terminal, plain log lines everywhere else.

:class:`CrawlProgress` is the ``progress`` callable :func:`jjj_etl.fetch.crawl` takes: call
it with each finished :class:`~jjj_etl.records.FetchedPage`.  Use it as a context manager
so the bar is drawn and removed, and a final summary line is logged::

    with CrawlProgress(source.name) as progress:
        pages = crawl(source, archive, progress=progress)

When ``stream`` (default ``sys.stderr``) is a terminal it shows pages, bytes, pages/s and
errors in a rich bar; otherwise (CI, Prefect workers, log files) it logs one ``INFO`` line
every ``log_every`` pages or ``log_seconds`` seconds, whichever comes first, on the
``jjj_etl.progress`` logger.  Imports no Prefect.

>>> import io
>>> progress = CrawlProgress("demo", stream=io.StringIO())
>>> with progress:
...     progress(FetchedPage("u", "u", "demo", 200, "t", size=1000))
...     progress(FetchedPage("v", "v", "demo", 0, "t", error="timeout"))
>>> progress.stats.pages, progress.stats.bytes, progress.stats.errors
(2, 1000, 1)
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from jjj_etl.records import FetchedPage

__all__ = ["CrawlProgress", "CrawlStats"]

log = logging.getLogger("jjj_etl.progress")


@dataclass
class CrawlStats:
    """Running totals of one crawl."""

    pages: int = 0
    bytes: int = 0
    errors: int = 0
    skipped: int = 0
    not_modified: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, page: FetchedPage) -> None:
        """Count one finished page."""
        self.pages += 1
        self.bytes += page.size if page.status == 200 else 0
        if page.error:
            self.errors += 1
        elif page.skipped == "not-modified":
            self.not_modified += 1
        elif page.skipped:
            self.skipped += 1

    @property
    def rate(self) -> float:
        """Pages per second since the start."""
        elapsed = time.monotonic() - self.started
        return self.pages / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """One human line: ``42 pages, 1.2 MB, 3.4 pages/s, 1 error, ...``."""
        return (
            f"{self.pages} pages, {_human_bytes(self.bytes)}, {self.rate:.1f} pages/s, "
            f"{self.errors} errors, {self.skipped} skipped, {self.not_modified} not modified"
        )


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


class CrawlProgress:
    """A ``progress`` callable for :func:`jjj_etl.fetch.crawl` (see the module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        stream: TextIO | None = None,
        total: int | None = None,
        log_every: int = 50,
        log_seconds: float = 10.0,
        force_terminal: bool | None = None,
    ) -> None:
        self.name = name
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.log_every = log_every
        self.log_seconds = log_seconds
        isatty = getattr(self.stream, "isatty", None)
        tty = bool(isatty()) if callable(isatty) else False
        self.interactive = tty if force_terminal is None else force_terminal
        self.stats = CrawlStats()
        self._last_log = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> CrawlProgress:
        self.stats = CrawlStats()
        if self.interactive:
            console = Console(file=self.stream, force_terminal=True)
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed} pages"),
                TextColumn("{task.fields[bytes]}"),
                TextColumn("{task.fields[rate]} pages/s"),
                TextColumn("[red]{task.fields[errors]} errors"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                self.name, total=self.total, bytes="0 B", rate="0.0", errors=0
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        log.info("crawl %s done: %s", self.name, self.stats.line())

    def __call__(self, page: FetchedPage) -> None:
        """Count a finished page and redraw the bar, or log a line when one is due."""
        self.stats.add(page)
        if page.error:
            log.debug("crawl %s: %s failed: %s", self.name, page.url, page.error)
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                completed=self.stats.pages,
                bytes=_human_bytes(self.stats.bytes),
                rate=f"{self.stats.rate:.1f}",
                errors=self.stats.errors,
            )
            return
        now = time.monotonic()
        due = self.stats.pages % self.log_every == 0 or now - self._last_log >= self.log_seconds
        if due:
            self._last_log = now
            log.info("crawl %s: %s", self.name, self.stats.line())
