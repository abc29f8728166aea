"""Library functions behind the small CLI commands (parse, figures, query, versions, …)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from jjj_etl.export import Exported

from jjj_etl.config import DEFAULT_MAX_BYTES
from jjj_etl.errors import RunError, UsageError
from jjj_etl.runner import default_sql_dir, mart_names, run_checks
from jjj_etl.warehouse import WarehousePaths, paths, read_connection


def fetch_one(target: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str, str | None]:
    """Bytes, URL and header charset of one page: a local file or an http(s) URL.

    A URL is read as the crawler reads a page: streamed, and stopped with a FetchError once
    its body (raw or decompressed) passes ``max_bytes``, the crawler's default cap.
    Raises UsageError for a missing file, FetchError for an HTTP failure.
    """
    if target.startswith(("http://", "https://")):
        from jjj_etl.fetch import fetch_page

        return fetch_page(target, max_bytes=max_bytes)
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
    warehouse: str | None, sql: str, as_of: int | None = None, *, multi: bool = False
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run read-only SQL; with ``as_of``, every mart name means that version's rows.

    One statement unless ``multi`` (then each runs in turn and the last one's rows are
    returned), and only statements DuckDB's parser types as reads (SELECT, which covers
    DESCRIBE, SHOW, SUMMARIZE and PRAGMA queries, and EXPLAIN).  The connection is also
    sandboxed by DuckDB's own settings (see :func:`query_connection`): a statement that
    would write a file, attach one, load an extension or reach the network fails with
    DuckDB's permission error.

    Raises UsageError for SQL errors, refused statements or an unknown version.
    """
    con = query_connection(paths(warehouse), as_of)
    try:
        statements = con.extract_statements(sql)
        _check_statements(statements, multi)
        rel = None
        for statement in statements:
            rel = con.sql(statement.query)
        if rel is None:
            return [], []
        return list(rel.columns), rel.fetchall()
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {exc}") from exc
    finally:
        con.close()


# DuckDB's parser types each statement; only these read.  The settings below are not
# enough alone: disabling external access whitelists the attached file's own paths
# (jjj.duckdb, jjj.duckdb.wal, …), so DETACH then ATTACH … (READ_WRITE) of the published
# file, or a COPY creating jjj.duckdb.wal beside it, would still be allowed.
READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


def _check_statements(statements: list[duckdb.Statement], multi: bool) -> None:
    if len(statements) != 1 and not multi:
        raise UsageError(
            f"query takes one SQL statement, got {len(statements)} "
            "(--multi runs several and prints the last)"
        )
    for statement in statements:
        if statement.type not in READ_STATEMENTS:
            raise UsageError(
                f"query is read-only: a {statement.type.name} statement is refused "
                "(SELECT, DESCRIBE, SHOW, SUMMARIZE, PRAGMA and EXPLAIN are fine)"
            )


def query_connection(wp: WarehousePaths, as_of: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the published warehouse attached read-only as ``wh`` (and,
    with ``as_of``, the marts of that version as views), then locked down: no file or
    network access (COPY TO, ATTACH, EXPORT, read_csv of a path, INSTALL/LOAD), no extension
    autoload or autoinstall, and the configuration locked so no statement can undo that.

    Raises UsageError when there is no warehouse or no such version.
    """
    backend = wp.backend
    if not wp.exists():
        raise UsageError(f"no warehouse at {wp.db}: run `jjj-etl run` first")
    # no memory cap: an ad-hoc query may take what DuckDB gives it (writes are capped)
    con = duckdb.connect(
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False}
    )
    try:
        if backend.is_lake:  # the extensions load before the lock-down below forbids it
            from jjj_etl.lake import attach

            attach(con, backend, "wh", read_only=True)
        else:
            try:
                con.execute(f"attach '{_sql_text(wp.db)}' as wh (read_only)")
            except duckdb.Error as exc:
                raise RunError(f"cannot open {wp.db} read-only: {exc}") from exc
        con.execute("use wh")
        if as_of is not None:
            _as_of_views(con, as_of)
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _as_of_views(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """The marts as of ``version``, as views in the in-memory catalog, which becomes the
    default (``wh.meta.versions`` and ``wh.history.*`` stay reachable by their full names)."""
    from jjj_etl.versions import as_of, check_version

    check_version(con, version)
    con.execute("use memory")
    for mart in mart_names(default_sql_dir()):
        con.execute(f"create view {mart} as {as_of(con, mart, version, catalog='wh')}")


def export_outcome(
    warehouse: str | None, version: int | None, dest: Path | None, by_indicator: bool = False
) -> Exported:
    """Export ``version`` (default current) to ``dest`` (default the warehouse's exports/),
    under DuckDB's memory cap (``JJJ_ETL_DUCKDB_MEMORY_LIMIT`` or the backend's default);
    says which tables were written (none: the export was whole)."""
    from jjj_etl.export import export_warehouse

    return export_warehouse(warehouse, version, dest=dest, partition_by_indicator=by_indicator)


def data_tests(warehouse: str | None, sql_dir: Path | None = None) -> list[dict[str, Any]]:
    """``jjj-etl test``: every data test on the published warehouse, read-only (no lock, no
    working copy, no version); one row per test with its severity, status and failing rows.

    Raises UsageError when there is no warehouse; failing tests are rows, not errors.
    """
    with read_connection(paths(warehouse)) as con:
        results = run_checks(con, sql_dir or default_sql_dir())
    return [
        {
            "test": r.name,
            "severity": r.severity,
            "status": "pass" if r.passed else ("warn" if r.severity == "warn" else "FAIL"),
            "failing_rows": r.n_failing,
            "sample": list(r.rows[:3]),
        }
        for r in results
    ]
