"""Literal records for tests: figures located in a body, pages around them."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb

from jjj_etl import staging
from jjj_etl.config import load_config
from jjj_etl.pipeline import Pipeline
from jjj_etl.records import Article, Figure, ParsedPage
from jjj_etl.runner import default_sql_dir

TECH = "technology contracts from Beijing to Tianjin and Hebei"
FLOW = "CN-BJ>CN-TJ+CN-HE"


def figure(
    body: str,
    surface: str,
    value: float,
    unit: str,
    *,
    kind: str = "level",
    period: str | None = "2024",
    subject: str = TECH,
    region: str | None = FLOW,
    alt_of: int | None = None,
    comparator: str = "=",
) -> Figure:
    """A figure at the first occurrence of ``surface``; its sentence is its line of ``body``."""
    start = body.index(surface)
    line_start = body.rfind("\n", 0, start) + 1
    line_end = body.find("\n", start)
    return Figure(
        surface,
        start,
        start + len(surface),
        value,
        unit,
        comparator,
        kind,
        period,
        subject,
        alt_of,
        region,
        None,
        line_start,
        len(body) if line_end < 0 else line_end,
    )


def page(
    url: str,
    body: str,
    figures: list[Figure] | tuple[Figure, ...],
    *,
    title: str = "T",
    published: str = "2025-03-28",
    lang: str = "en",
    source: str = "demo",
) -> ParsedPage:
    """A parsed article page whose content hash is the body's."""
    sha = hashlib.sha256(body.encode()).hexdigest()
    art = Article(url, url, title, published, lang, source, body, sha)
    return ParsedPage(url, sha, art, tuple(figures))


@contextmanager
def working_copy(warehouse: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a private working copy of ``warehouse`` (the pipeline's write
    window), published when the block exits cleanly."""
    with Pipeline(load_config(), warehouse).write_window() as window, window.connect() as con:
        yield con


def rebuild(warehouse: str | Path, **kwargs: Any) -> dict[str, Any]:
    """``jjj-etl build`` on ``warehouse``: models and tests on what is staged."""
    return Pipeline(load_config(), warehouse, **kwargs).rebuild()


CONTRACTS = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    "in 2024, up 12.7% year on year."
)
"""The design's example sentence, the one article of :func:`published_contracts`."""


def contracts_figures(*, change: bool = True) -> list[Figure]:
    """The contract value of :data:`CONTRACTS` and, with ``change``, its growth rate."""
    figs = [figure(CONTRACTS, "84.37 billion yuan", 84_370_000_000, "CNY")]
    if change:
        figs.append(figure(CONTRACTS, "12.7%", 12.7, "%", kind="change"))
    return figs


def stage_contracts(con: duckdb.DuckDBPyConnection, *, change: bool = True) -> None:
    """:data:`CONTRACTS` staged as one article with its figures on ``con``."""
    staging.ensure_schema(con)
    page_ = page("http://a/1.html", CONTRACTS, contracts_figures(change=change))
    staging.stage(con, "r1", [], [page_], "1")


def published_contracts(root: Path, *, change: bool = True) -> Path:
    """A warehouse at ``root`` whose version 1 holds :data:`CONTRACTS` (built and exported)."""
    with working_copy(root) as con:
        stage_contracts(con, change=change)
    assert rebuild(root)["version"] == 1
    return root


def widgets_sql(tmp_path: Path) -> Path:
    """The SQL folder copied to ``tmp_path/sql`` with one more indicator in the catalog
    (widget makers: a catalog change, so a rebuild makes a new version)."""
    sql = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), sql)
    with (sql / "seeds" / "indicators.csv").open("a", encoding="utf-8", newline="") as fh:
        header = next(csv.reader((default_sql_dir() / "seeds" / "indicators.csv").open()))
        row = dict.fromkeys(header, "")
        row.update(
            indicator_id="widget_makers",
            name="Widget makers",
            unit="count",
            kind="level",
            default_region_id="JJJ",
            priority="5",
            pattern_en="widget",
            pattern_zh="小部件",
            description="test indicator",
        )
        csv.DictWriter(fh, fieldnames=header, lineterminator="\n").writerow(row)
    return sql


BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> ModuleType:
    """``bench/<name>.py`` imported as a module (the bench is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
