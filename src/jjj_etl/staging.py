"""Records → ``staging.*`` tables, in bulk through Arrow (never row by row)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
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


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[dict[str, Any]],
    *,
    replace_on: str | None = None,
) -> int:
    """Bulk insert ``rows`` (through one Arrow table) into ``table`` by column name.

    ``replace_on`` names a key column: existing rows with the same keys are deleted first,
    in the same statement batch (no per-row work, no Python list bound as a parameter).
    """
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
        if replace_on is not None:
            con.execute(
                f"delete from {table} where {replace_on} in (select {replace_on} from _jjj_rows)"
            )
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
        row = {f: getattr(page, f) for f in _PAGE_FIELDS}  # dataclasses.asdict deep-copies
        row.update(run_id=run_id, outcome=outcome, reason=reason, article_id=art_id)
        row["fetched_at"] = datetime.fromisoformat(page.fetched_at)
        rows.append(row)
    return rows


_PAGE_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(FetchedPage)
    if f.name not in ("etag", "last_modified", "skipped", "links")
)


def stage(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    page_records: Sequence[dict[str, Any]],
    parsed: Sequence[ParsedPage],
    parser_version: str,
) -> StageCounts:
    """Append a page log and upsert parsed articles and their figures, in memory form.

    The same path the pipeline takes (:func:`write_parsed` then :func:`stage_parsed`), for
    callers holding records rather than parse batches.  An article (by canonical URL)
    replaces its earlier staged version and figures; the first page per article wins.
    """
    keep: dict[str, str] = {}
    for page in parsed:
        if page.article is not None:
            keep.setdefault(article_id(page.article.canonical_url), page.content_sha256)
    with tempfile.TemporaryDirectory(prefix="jjj-stage-") as tmp:
        folder = Path(tmp) / "batch"
        write_parsed(folder, parsed, parser_version)
        return stage_parsed(con, run_id, page_records, [str(folder)], sorted(keep.items()))


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
    _insert(con, "meta.fetch_state", rows, replace_on="url")


def _article_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("article_id", pa.string()),
            ("url", pa.string()),
            ("canonical_url", pa.string()),
            ("title", pa.string()),
            ("published", pa.string()),
            ("lang", pa.string()),
            ("source", pa.string()),
            ("body", pa.string()),
            ("content_sha256", pa.string()),
            ("parser_version", pa.string()),
        ]
    )


def _figure_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("article_id", pa.string()),
            ("content_sha256", pa.string()),
            ("figure_index", pa.int32()),
            ("surface", pa.string()),
            ("start_offset", pa.int32()),
            ("end_offset", pa.int32()),
            ("value", pa.float64()),
            ("value_high", pa.float64()),
            ("unit", pa.string()),
            ("comparator", pa.string()),
            ("kind", pa.string()),
            ("period", pa.string()),
            ("subject", pa.string()),
            ("region", pa.string()),
            ("alt_of", pa.int32()),
            ("sentence_start", pa.int32()),
            ("sentence_end", pa.int32()),
            ("sentence", pa.string()),
        ]
    )


def write_parsed(
    folder: Path,
    parsed: Sequence[ParsedPage],
    parser_version: str,
    extra: Mapping[str, bytes] | None = None,
) -> None:
    """Write a parse batch's articles and figures as Parquet under ``folder`` (atomically),
    with the ``extra`` files given (name → bytes) beside them.

    The pipeline streams through these files: a parse task returns only small per-page
    outcomes, and :func:`stage_parsed` loads the rows with DuckDB, never through Python lists.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    articles: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    a_cols, f_cols = _article_schema().names, _figure_schema().names
    for page in parsed:
        if page.article is None:
            continue
        aid = article_id(page.article.canonical_url)
        art = {**page.article.to_dict(), "article_id": aid, "parser_version": parser_version}
        articles.append({k: art.get(k) for k in a_cols})
        for i, fig in enumerate(page.figures):
            row = fig.to_dict()
            row.update(
                article_id=aid,
                content_sha256=page.content_sha256,
                figure_index=i,
                start_offset=row["start"],
                end_offset=row["end"],
                # staged with the figure, so no SQL model has to join article bodies
                sentence=page.article.body[fig.sentence_start : fig.sentence_end],
            )
            figures.append({k: row.get(k) for k in f_cols})
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        pq.write_table(
            pa.Table.from_pylist(articles, schema=_article_schema()), tmp / "articles.parquet"
        )
        pq.write_table(
            pa.Table.from_pylist(figures, schema=_figure_schema()), tmp / "figures.parquet"
        )
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.replace(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # half a batch is of no use (a full disk)
        raise


def stage_parsed(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    page_records: Sequence[dict[str, Any]],
    folders: Sequence[str],
    keep: Sequence[tuple[str, str]],
) -> StageCounts:
    """Append the page log and upsert the kept ``(article_id, content_sha256)`` from files."""
    import pyarrow as pa

    n_pages = _insert(con, "staging.pages", page_records)
    if not keep:
        return StageCounts(n_pages, 0, 0)
    arts = [str(Path(f) / "articles.parquet") for f in folders]
    figs = [str(Path(f) / "figures.parquet") for f in folders]
    con.register(
        "_jjj_keep",
        pa.table({"article_id": [k[0] for k in keep], "content_sha256": [k[1] for k in keep]}),
    )
    try:
        con.execute(
            "delete from staging.figures where article_id in (select article_id from _jjj_keep)"
        )
        con.execute(
            "delete from staging.articles where article_id in (select article_id from _jjj_keep)"
        )
        n_art = con.execute(
            "insert into staging.articles by name select a.*, ? as staged_run_id, "
            "now() as staged_at from read_parquet(?) as a semi join _jjj_keep as k "
            "using (article_id, content_sha256)",
            [run_id, arts],
        ).fetchone()  # an INSERT answers with the number of rows it inserted
        n_fig = con.execute(
            "insert into staging.figures by name select f.* exclude (content_sha256) "
            "from read_parquet(?, union_by_name = true) as f semi join _jjj_keep as k "
            "using (article_id, content_sha256)",
            [figs],
        ).fetchone()
    finally:
        con.unregister("_jjj_keep")
    return StageCounts(n_pages, int(n_art[0]) if n_art else 0, int(n_fig[0]) if n_fig else 0)
