"""A static HTML report of one warehouse version: charts, sources, conflicts, coverage.

The page is self-contained (CSS, JS and SVG charts inline; no fonts, scripts or images
fetched at view time) and deterministic: building it twice from the same version gives
the same bytes except for the one line marked ``id="generated-at"``.  That line uses
``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the current UTC time.

>>> from jjj_etl.report import build_report
>>> callable(build_report)
True
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from jjj_etl.report._data import load
from jjj_etl.report._html import render
from jjj_etl.warehouse import paths, read_connection

__all__ = ["build_report"]

REPORT_NAME = "report.html"


def _generated_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def build_report(
    warehouse: str | Path | None, version: int | None = None, out: Path | None = None
) -> Path:
    """Write the HTML report of ``version`` (None: the current one) and return its path.

    ``warehouse`` is the warehouse folder (None: ``./warehouse``); the default ``out`` is
    ``<warehouse>/exports/report.html``.  The warehouse is opened read-only, so a run in
    progress is neither blocked nor seen half-done.  The file is written to a temporary
    name and renamed into place.

    Raises UsageError when there is no warehouse or no such version, RunError when the
    warehouse has no version yet or cannot be read.
    """
    wp = paths(warehouse)
    with read_connection(wp) as con:
        data = load(con, version)
    page = render(data, _generated_at())
    target = Path(out) if out is not None else wp.exports / REPORT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
