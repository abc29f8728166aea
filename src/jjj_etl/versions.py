"""Warehouse versions: commit one per successful run, list them, read any past one, diff two.

On the single-file backend history is kept per mart in ``history.<mart>``: every row ever
published, with ``_valid_from`` (the version it appeared in) and ``_valid_to`` (the version
that replaced or removed it, null while current).  ``observations_as_of(N)`` and friends are table
macros over those tables.  On DuckLake every version is a snapshot and past versions are
read by time travel (:mod:`jjj_etl.lake`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jjj_etl import __version__
from jjj_etl.errors import UsageError
from jjj_etl.lake import is_lake, snapshot_of
from jjj_etl.runner import mart_names, sql_checksum

HIDDEN = ("_row_hash", "_valid_from", "_valid_to")
DIFF_KEYS = {
    "fct_observations": ("observation_id",),
    # fact_id is md5(indicator, region, period): the yml key, under one stable name
    "mart_indicator_series": ("fact_id",),
}


@dataclass(frozen=True, slots=True)
class Committed:
    """The outcome of :func:`commit_version`: a new version, or None when nothing changed."""

    version_id: int | None
    fingerprint: str
    row_counts: dict[str, int]


def current_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest committed version id, or None on an empty warehouse."""
    row = con.execute("select max(version_id) from meta.versions").fetchone()
    return int(row[0]) if row and row[0] is not None else None


_FINGERPRINT_CHUNK = 50_000


def input_fingerprint(con: duckdb.DuckDBPyConnection, sql_dir: Path) -> str:
    """What a version is made of: staged article contents and the parser that read each, the
    SQL, the seeds and the tests (a rerun that re-parses nothing cannot change it)."""
    digest = hashlib.sha256()
    cur = con.execute(
        "select article_id, content_sha256, parser_version from staging.articles "
        "order by article_id"
    )
    while rows := cur.fetchmany(_FINGERPRINT_CHUNK):  # a million articles: not all at once
        digest.update("".join(f"{aid}:{sha}:{parser}\n" for aid, sha, parser in rows).encode())
    digest.update(sql_checksum(sql_dir, "**/*.sql").encode())
    digest.update(sql_checksum(sql_dir, "**/*.csv").encode())
    digest.update(sql_checksum(sql_dir, "**/*.yml").encode())
    return digest.hexdigest()


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (str(r[0]), str(r[1]))
        for r in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


# a stored row hash is "h:" + DuckDB's 64-bit hash() of the row's columns, as text
_HASHED = "h:"


def _hash_key(alias: str, cols: list[tuple[str, str]]) -> str:
    """SQL for a row's change-detection hash (a UBIGINT) over the mart's current columns, in
    order: ``hash()`` over the values, not ``md5`` of the row cast to text, which costs as
    much as the build.  64 bits: a missed change needs two different rows of one mart to
    collide, about n / 2**64 per changed row."""
    args = ", ".join(f'{alias}."{c}"' for c, _ in cols)
    return f"hash({args})"


def _stored_key(column: str) -> str:
    """SQL reading a stored ``h:<digits>`` row hash back as its UBIGINT."""
    return f"try_cast(substr({column}, {len(_HASHED) + 1}) as ubigint)"


def _record_history(con: duckdb.DuckDBPyConnection, mart: str, version: int) -> None:
    cols = _columns(con, "main", mart)
    con.execute(
        f"create table if not exists history.{mart} as select *, "
        "''::varchar as _row_hash, 0::integer as _valid_from, 0::integer as _valid_to "
        f"from main.{mart} limit 0"
    )
    known = {c for c, _ in _columns(con, "history", mart)}
    for name, dtype in cols:  # a column a model gained since the history table was made
        if name not in known:
            con.execute(f'alter table history.{mart} add column "{name}" {dtype}')
    # The comparison runs on the 64-bit hashes alone (8 bytes a row, not the row and its
    # hash as text): two small temp tables and two anti joins DuckDB can spill, then one
    # UPDATE of just the retired rows and one INSERT of just the new ones.  Whole rows in a
    # temp table and a correlated NOT EXISTS run out of memory on large marts under a cap.
    con.execute(
        f"create or replace temp table _cur as select {_hash_key('m', cols)} as _jjj_key "
        f"from main.{mart} as m"
    )
    con.execute(
        f"create or replace temp table _open as select {_stored_key('_row_hash')} as _jjj_key "
        f"from history.{mart} where _valid_to is null"
    )
    con.execute(
        f"update history.{mart} set _valid_to = ? where _valid_to is null and "
        f"{_stored_key('_row_hash')} in "
        "(select _jjj_key from _open anti join _cur using (_jjj_key))",
        [version],
    )
    con.execute(
        f"insert into history.{mart} by name select * exclude (_jjj_key), "
        f"'{_HASHED}' || _jjj_key::varchar as _row_hash, ?::integer as _valid_from, "
        "null::integer as _valid_to "
        f"from (select m.*, {_hash_key('m', cols)} as _jjj_key from main.{mart} as m) "
        "where _jjj_key in (select _jjj_key from _cur anti join _open using (_jjj_key))",
        [version],
    )
    con.execute("drop table _cur")
    con.execute("drop table _open")


def _define_macros(con: duckdb.DuckDBPyConnection, marts: list[str]) -> None:
    for mart in marts:
        short = mart.removeprefix("fct_").removeprefix("mart_")
        con.execute(
            f"create or replace macro main.{short}_as_of(v) as table "
            f"select * exclude (_row_hash, _valid_from, _valid_to) from history.{mart} "
            "where _valid_from <= v and (_valid_to is null or _valid_to > v)"
        )


def commit_version(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    started_at: datetime,
    sql_dir: Path,
    parser_version: str,
    warnings: list[dict[str, Any]],
    model_timings: dict[str, float] | None = None,
    fingerprint: str | None = None,
) -> Committed:
    """Record a new version (history rows, meta.versions) unless the inputs are unchanged.

    ``fingerprint`` is :func:`input_fingerprint` of these inputs when the caller has it
    (the write window computes it once, after loading).
    """
    fingerprint = fingerprint or input_fingerprint(con, sql_dir)
    marts = mart_names(sql_dir)
    counts = {
        m: int(r[0]) if (r := con.execute(f"select count(*) from main.{m}").fetchone()) else 0
        for m in marts
    }
    last = con.execute(
        "select input_fingerprint from meta.versions order by version_id desc limit 1"
    ).fetchone()
    if last is not None and last[0] == fingerprint:
        return Committed(None, fingerprint, counts)
    version = (current_version(con) or 0) + 1
    if not is_lake(con):  # a lake keeps every version as a snapshot: no history tables
        for mart in marts:
            _record_history(con, mart, version)
        _define_macros(con, marts)
    con.execute(
        "insert into meta.versions by name select ? as version_id, ? as run_id, "
        "? as started_at, ? as finished_at, 'committed' as status, ? as code_version, "
        "? as parser_version, ? as sql_checksum, ? as seeds_checksum, ? as input_fingerprint, "
        "(select coalesce(list(distinct content_sha256 order by content_sha256), []) "
        "from staging.articles) as content_hashes, ?::json as row_counts, ?::json as warnings, "
        "?::json as model_timings",
        [
            version,
            run_id,
            started_at,
            datetime.now(UTC),
            __version__,
            parser_version,
            sql_checksum(sql_dir, "**/*.sql"),
            sql_checksum(sql_dir, "seeds/*.csv"),
            fingerprint,
            json.dumps(counts),
            json.dumps(warnings, default=str),
            json.dumps(model_timings or {}),
        ],
    )
    return Committed(version, fingerprint, counts)


def version_warnings(con: duckdb.DuckDBPyConnection, version: int) -> list[dict[str, Any]]:
    """The data-test warnings recorded with ``version`` (``{"test", "failing_rows",
    "sample"}`` each); empty when it had none or does not exist."""
    row = con.execute(
        "select warnings from meta.versions where version_id = ?", [int(version)]
    ).fetchone()
    found = json.loads(row[0]) if row and row[0] else []
    return [w if isinstance(w, dict) else {"test": str(w)} for w in found]


def list_versions(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every version, newest first, with its row counts and warning count."""
    rel = con.sql(
        "select version_id, started_at, finished_at, status, code_version, run_id, "
        "row_counts, json_array_length(warnings) as n_warnings "
        "from meta.versions order by version_id desc"
    )
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def as_of_sql(mart: str, version: int, catalog: str = "", snapshot: int | None = None) -> str:
    """A SELECT giving ``mart`` exactly as it was in ``version``: from its history table, or
    on a lake by time travel to ``snapshot`` (:func:`jjj_etl.lake.snapshot_of` of it)."""
    prefix = f"{catalog}." if catalog else ""
    if snapshot is not None:
        return f"select * from {prefix}main.{mart} at (version => {int(snapshot)})"
    return (
        f"select * exclude (_row_hash, _valid_from, _valid_to) from {prefix}history.{mart} "
        f"where _valid_from <= {int(version)} and (_valid_to is null or _valid_to > {int(version)})"
    )


def as_of(con: duckdb.DuckDBPyConnection, mart: str, version: int, catalog: str = "") -> str:
    """:func:`as_of_sql` for the warehouse behind ``con`` (either backend)."""
    return as_of_sql(mart, version, catalog, snapshot_of(con, version, catalog))


def check_version(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Raise UsageError unless ``version`` was committed."""
    row = con.execute(
        "select count(*) from meta.versions where version_id = ?", [version]
    ).fetchone()
    if not row or not row[0]:
        have = current_version(con)
        raise UsageError(f"no version {version} (versions run 1..{have or 0})")


@dataclass(frozen=True, slots=True)
class Diff:
    """Rows of one table added, removed and changed between two versions.

    A changed row is the newer row with ``old_value`` / ``new_value`` and
    ``changed_columns`` (every column whose value differs, ``{"column": [old, new]}``).
    """

    table: str
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]


def _history_as_of(con: duckdb.DuckDBPyConnection, mart: str, version: int) -> str:
    """:func:`as_of_sql` keeping ``_row_hash``: one history row seen in both versions is the
    same row, whatever its columns hold.  On a lake the hash is taken of the row itself."""
    v = int(version)
    snapshot = snapshot_of(con, v)
    if snapshot is not None:
        return f"select t.*, hash(t) as _row_hash from main.{mart} as t at (version => {snapshot})"
    return (
        f"select * exclude (_valid_from, _valid_to) from history.{mart} "
        f"where _valid_from <= {v} and (_valid_to is null or _valid_to > {v})"
    )


def _changed_columns(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {c: [old[c], v] for c, v in new.items() if c in old and old[c] != v}


def diff(con: duckdb.DuckDBPyConnection, a: int, b: int, table: str = "fct_observations") -> Diff:
    """What changed in ``table`` from the older version ``a`` to the newer ``b`` (by the
    table's key; a changed row is one whose key stayed and whose columns did not).

    Raises UsageError for an unknown version or table, or when ``a`` is newer than ``b``
    (what ``b`` removed would read as added: the caller swapped them).
    """
    keys = DIFF_KEYS.get(table)
    if keys is None:
        raise UsageError(f"diff supports {', '.join(sorted(DIFF_KEYS))}, not {table!r}")
    check_version(con, a)
    check_version(con, b)
    if a > b:
        raise UsageError(
            f"diff compares an older version with a newer one: {a} is newer than {b} "
            f"(did you mean `diff {b} {a}`?)"
        )
    on = " and ".join(f"x.{k} is not distinct from y.{k}" for k in keys)
    cte = f"with x as ({_history_as_of(con, table, a)}), y as ({_history_as_of(con, table, b)}) "

    def rows(sql: str) -> list[dict[str, Any]]:
        rel = con.sql(cte + sql)
        return [
            {k: v for k, v in zip(rel.columns, r, strict=True) if k != "_row_hash"}
            for r in rel.fetchall()
        ]

    added = rows(f"select y.* from y anti join x on {on}")
    removed = rows(f"select x.* from x anti join y on {on}")
    # one history row in both versions is unchanged; two with one key may still hold equal
    # columns (a column added to the mart re-hashes every row), so compare the values
    pairs = con.sql(
        cte + f"select x, y from x join y on {on} where x._row_hash is distinct from y._row_hash"
    ).fetchall()
    changed = []
    for old, new in pairs:
        old.pop("_row_hash")
        new.pop("_row_hash")
        if cols := _changed_columns(old, new):
            changed.append(
                {
                    **new,
                    "old_value": old.get("value"),
                    "new_value": new.get("value"),
                    "changed_columns": cols,
                }
            )
    return Diff(table, added, removed, changed)
