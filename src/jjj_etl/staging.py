"""Records → ``staging.*`` tables, in bulk through Arrow (never row by row)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import duckdb

from jjj_etl.records import FetchedPage, ParsedPage


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging, meta and history tables when missing."""
    ddl = (resources.files("jjj_etl") / "_schema.sql").read_text(encoding="utf-8")
    con.execute(ddl)


def article_id(canonical_url: str) -> str:
    """Stable id of an article: its canonical URL, hashed.

    >>> article_id("http://example.org/a.html")
    '6a1a2c7b5d0cb8bd'
    """
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StageCounts:
    """Rows written by one :func:`stage` call."""

    pages: int
    articles: int
    figures: int


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    import pyarrow as pa

    schema, name = table.split(".")
    cols = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    arrow = pa.Table.from_pylist([{k: v for k, v in r.items() if k in cols} for r in rows])
    con.register("_jjj_rows", arrow)
    try:
        con.execute(f"insert into {table} by name select * from _jjj_rows")
    finally:
        con.unregister("_jjj_rows")
    return len(rows)


def page_rows(
    run_id: str, outcomes: Iterable[tuple[FetchedPage, str, str | None, str | None]]
) -> list[dict[str, Any]]:
    """Rows for ``staging.pages``: each fetch with its outcome, reason and article id."""
    rows = []
    for page, outcome, reason, art_id in outcomes:
        row = page.to_dict()
        row.pop("etag"), row.pop("last_modified"), row.pop("skipped")
        row.update(run_id=run_id, outcome=outcome, reason=reason, article_id=art_id)
        row["fetched_at"] = datetime.fromisoformat(page.fetched_at)
        rows.append(row)
    return rows


def stage(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    page_records: Sequence[dict[str, Any]],
    parsed: Sequence[ParsedPage],
    parser_version: str,
) -> StageCounts:
    """Append this run's page log and upsert its articles and their figures.

    An article (by canonical URL) replaces its earlier staged version and figures.
    """
    now = datetime.now(UTC)
    articles: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    for page in parsed:
        if page.article is None:
            continue
        aid = article_id(page.article.canonical_url)
        art = page.article.to_dict()
        art.update(
            article_id=aid, parser_version=parser_version, staged_run_id=run_id, staged_at=now
        )
        articles.append(art)
        for i, fig in enumerate(page.figures):
            row = fig.to_dict()
            row["start_offset"], row["end_offset"] = row.pop("start"), row.pop("end")
            row.update(article_id=aid, figure_index=i)
            figures.append(row)
    ids = sorted({a["article_id"] for a in articles})
    if ids:
        con.execute("delete from staging.figures where article_id in (select unnest(?))", [ids])
        con.execute("delete from staging.articles where article_id in (select unnest(?))", [ids])
    n_pages = _insert(con, "staging.pages", page_records)
    return StageCounts(
        n_pages,
        _insert(con, "staging.articles", articles),
        _insert(con, "staging.figures", figures),
    )


def record_fetch_state(con: duckdb.DuckDBPyConnection, pages: Sequence[FetchedPage]) -> None:
    """Remember ETag / Last-Modified / content hash per URL for the next conditional GET."""
    rows = [
        {
            "url": p.url,
            "etag": p.etag,
            "last_modified": p.last_modified,
            "content_sha256": p.content_sha256,
            "status": p.status,
            "fetched_at": datetime.fromisoformat(p.fetched_at),
        }
        for p in pages
        if p.status in (200, 304) and p.content_sha256
    ]
    if not rows:
        return
    urls = [r["url"] for r in rows]
    con.execute("delete from meta.fetch_state where url in (select unnest(?))", [urls])
    _insert(con, "meta.fetch_state", rows)
