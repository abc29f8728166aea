"""Library functions behind the small CLI commands (parse, figures, query, versions, …)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import duckdb

from jjj_etl.errors import FetchError, UsageError
from jjj_etl.runner import default_sql_dir, mart_names
from jjj_etl.warehouse import paths, read_connection

MAX_FETCH_BYTES = 20_000_000


def fetch_one(target: str) -> tuple[bytes, str, str | None]:
    """Bytes, URL and header charset of one page: a local file or an http(s) URL.

    Raises UsageError for a missing file, FetchError for an HTTP failure.
    """
    if target.startswith(("http://", "https://")):
        import httpx

        try:
            with httpx.Client(follow_redirects=True, timeout=20.0) as client:
                resp = client.get(target)
                resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {target}: {exc}") from exc
        return resp.content[:MAX_FETCH_BYTES], str(resp.url), resp.charset_encoding
    path = Path(target.removeprefix("file://"))
    try:
        return path.read_bytes(), path.resolve().as_uri(), None
    except OSError as exc:
        raise UsageError(f"cannot read {target}: {exc.strerror or exc}") from exc


def figures_jsonl(lines: Iterable[str], sink: IO[str], lang: str | None) -> int:
    """JSONL ``{"id","text","lang"?,"published"?,"title"?}`` → JSONL ``{"id","figures":[…]}``;
    returns lines written.

    A bad line yields ``{"id": …, "error": …}`` and processing goes on.
    """
    n = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        sink.write(json.dumps(_figures_line(line, lineno, lang), ensure_ascii=False) + "\n")
        n += 1
    sink.flush()
    return n


def _figures_line(line: str, lineno: int, lang: str | None) -> dict[str, Any]:
    from jjj_etl.parse import extract_figures

    try:
        doc = json.loads(line)
    except ValueError as exc:
        return {"id": None, "line": lineno, "error": f"not JSON: {exc}"}
    doc_id = doc.get("id") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        return {"id": doc_id, "line": lineno, "error": "expected an object with a string 'text'"}
    doc_lang = doc.get("lang") or lang
    if doc_lang not in (None, "auto", "en", "zh"):
        return {"id": doc_id, "line": lineno, "error": f"lang must be en or zh, not {doc_lang!r}"}
    published = doc.get("published") if isinstance(doc.get("published"), str) else None
    title = doc["title"] if isinstance(doc.get("title"), str) else ""
    try:
        figs = extract_figures(
            doc["text"], None if doc_lang == "auto" else doc_lang, published, title=title
        )
        return {"id": doc_id, "figures": [f.to_dict() for f in figs]}
    except Exception as exc:  # one bad line must not end the stream
        return {
            "id": doc_id,
            "line": lineno,
            "error": f"internal error: {type(exc).__name__}: {exc}",
        }


def list_versions(warehouse: str | None) -> list[dict[str, Any]]:
    """Every committed version, newest first."""
    from jjj_etl.versions import list_versions as _list

    with read_connection(paths(warehouse)) as con:
        return _list(con)


def diff_versions(warehouse: str | None, a: int, b: int, table: str) -> dict[str, Any]:
    """Added / changed / removed rows of ``table`` between versions ``a`` and ``b``."""
    from jjj_etl.versions import diff

    with read_connection(paths(warehouse)) as con:
        d = diff(con, a, b, table)
    return {"table": d.table, "added": d.added, "changed": d.changed, "removed": d.removed}


def run_query(
    warehouse: str | None, sql: str, as_of: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run read-only SQL; with ``as_of``, every mart name means that version's rows.

    Raises UsageError for SQL errors or an unknown version.
    """
    wp = paths(warehouse)
    con = read_connection(wp) if as_of is None else _as_of_connection(wp.db, as_of)
    try:
        rel = con.sql(sql)
        if rel is None:
            return [], []
        return list(rel.columns), rel.fetchall()
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {exc}") from exc
    finally:
        con.close()


def _as_of_connection(db: Path, version: int) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the warehouse attached read-only and the marts as of ``version``."""
    from jjj_etl.versions import as_of_sql, check_version

    if not db.exists():
        raise UsageError(f"no warehouse at {db}: run `jjj-etl run` first")
    con = duckdb.connect()
    con.execute(f"attach '{db}' as wh (read_only)")
    con.execute("use wh")
    check_version(con, version)
    con.execute("use memory")
    for mart in mart_names(default_sql_dir()):
        con.execute(f"create view {mart} as {as_of_sql(mart, version, catalog='wh')}")
    return con


def export_to(
    warehouse: str | None, version: int | None, dest: Path | None, by_indicator: bool = False
) -> Path:
    """Export ``version`` (default current) to ``dest`` (default the warehouse's exports/),
    under DuckDB's memory cap (``JJJ_ETL_DUCKDB_MEMORY_LIMIT`` or the default)."""
    from jjj_etl.export import export_warehouse

    return export_warehouse(warehouse, version, dest=dest, partition_by_indicator=by_indicator)
