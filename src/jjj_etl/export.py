"""Parquet exports of the marts, one immutable folder per version, plus ``latest/``.

``exports/v<N>/<mart>.parquet``, ``exports/v<N>/history_fct_observations.parquet``
(every observation published up to N, with the versions it lived in), optionally
``fct_observations_by_indicator/indicator_id=…/`` (Hive partitions), and
``exports/v<N>/manifest.json`` (version, schema, row counts, sha256 of each file) are
written to a temporary folder and renamed into place, so a reader never sees half an
export.  ``exports/latest`` is a symlink to the newest ``v<N>`` folder, swapped atomically
after each new version (see :func:`_refresh_latest`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jjj_etl.errors import NoVersionError, UsageError, disk_full
from jjj_etl.lake import snapshot_of
from jjj_etl.versions import as_of, check_version, current_version


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


HISTORY_TABLE = "fct_observations"
PARTITIONED = f"{HISTORY_TABLE}_by_indicator"


def history_sql(version: int) -> str:
    """Every observation ever published up to ``version``, with the versions it lived in.

    Rows come in the order the versions recorded them (the history table is append-only, so
    oldest version first), like the marts' exports; no ORDER BY: sorting every column of a
    large history runs out of memory under the default cap, and is slow even on one thread.
    """
    v = int(version)
    return (
        "select * exclude (_row_hash, _valid_from, _valid_to), "
        "_valid_from as valid_from_version, "
        f"case when _valid_to <= {v} then _valid_to end as valid_to_version "
        f"from history.{HISTORY_TABLE} where _valid_from <= {v}"
    )


def _lake_snapshots(con: duckdb.DuckDBPyConnection, version: int) -> dict[int, int] | None:
    """The snapshot of every version up to ``version`` still kept on a lake, oldest first
    (None on a single file, whose history is a table)."""
    if snapshot_of(con, version) is None:
        return None
    kept = [
        int(r[0])
        for r in con.execute(
            "select version_id from meta.versions where version_id <= ? order by version_id",
            [int(version)],
        ).fetchall()
    ]
    snaps = {}
    for v in kept:
        try:
            snap = snapshot_of(con, v)
        except UsageError:  # expired: history starts at the oldest version still kept
            continue
        if snap is not None:
            snaps[v] = snap
    return snaps


_SPANS = "_jjj_history_spans"
# Past the cap DuckDB's estimate of a time-travel scan can be far below its rows (~2,000 for
# 158,540 rows of a lake at ×2), and the planner then builds the join's hash table from the
# wide rows (every column, the sentence text too) instead of the 8-byte hashes it probes
# them with.  The history's joins are written probe side first, and planned as written.
_AS_WRITTEN = "join_order,build_side_probe_side"
_PART_ROW_GROUP = 8192


def _spans_sql(snapshots: dict[int, int], version: int) -> str:
    """Each distinct row of every kept version, by its 64-bit ``hash`` (the identity the
    file's history keeps in ``_row_hash``): the first version it is in, and the version
    after the last one (null while it is in ``version``).

    Only the hashes are grouped: grouping the rows themselves (every column) held every row
    of every kept version in one hash table, which ran out of the export's memory cap where
    the same export of a single file fits.
    """
    keys = " union all ".join(
        f"select {int(v)} as _v, hash(t) as _k from main.{HISTORY_TABLE} as t "
        f"at (version => {int(s)})"
        for v, s in snapshots.items()
    )
    listed = ", ".join(str(int(v)) for v in snapshots)
    return (
        "select k._k, k.first_v, "
        f"case when k.last_v < {int(version)} then n.nxt end as valid_to "
        f"from (select _k, min(_v) as first_v, max(_v) as last_v from ({keys}) group by _k) "
        "as k join (select v, lead(v) over (order by v) as nxt "
        f"from unnest([{listed}]) as u(v)) as n on n.v = k.last_v"
    )


def _first_seen_sql(spans: str, v: int, snapshot: int) -> str:
    """The rows of version ``v`` (its snapshot) that no older kept version holds, with the
    versions they lived in: the rows of the history that start at ``v``."""
    return (
        "select t.*, s.first_v as valid_from_version, s.valid_to as valid_to_version "
        f"from main.{HISTORY_TABLE} as t at (version => {int(snapshot)}) "
        f"join {spans} as s on s._k = hash(t) and s.first_v = {int(v)}"
    )


def lake_history_sql(snapshots: dict[int, int], version: int) -> str:
    """:func:`history_sql` on a lake, as one query: each row of every kept version up to
    ``version`` (``snapshots``: version → snapshot), with the first version it is in and the
    version after the last (null while in ``version``).  Rows come in no set order; the
    export writes them oldest version first, under the cap (:func:`_copy_lake_history`).

    Two scans per kept version (time travel to its snapshot), one of its row hashes and one
    of the rows that start there: retention bounds the cost.
    """
    spans = f"({_spans_sql(snapshots, version)})"
    return " union all ".join(f"({_first_seen_sql(spans, v, s)})" for v, s in snapshots.items())


def _copy_lake_history(
    con: duckdb.DuckDBPyConnection, snapshots: dict[int, int], version: int, target: Path
) -> dict[str, Any]:
    """The lake's history of ``version`` into ``target``, oldest version first, like the
    file's (whose history table is append-only), in the same rows and columns.

    The spans of the row hashes are computed once, into a temporary table (DuckDB spills it
    past the cap); each version's new rows go to a Parquet file of their own, and the parts
    are copied into ``target`` in version order: one UNION ALL of the parts came out of
    order, and an ORDER BY sorted every row, which ran out of the cap.
    """
    row = con.execute("select current_setting('disabled_optimizers')").fetchone()
    disabled = str(row[0]) if row and row[0] else ""
    con.execute(f"create or replace temp table {_SPANS} as {_spans_sql(snapshots, version)}")
    parts_dir = target.parent / f".{target.stem}.parts"
    parts_dir.mkdir()
    try:
        planned_as_written = ",".join(filter(None, [disabled, _AS_WRITTEN]))
        con.execute("set disabled_optimizers = ?", [planned_as_written])
        parts = []
        for v, s in snapshots.items():
            part = parts_dir / f"v{v}.parquet"
            sql = _first_seen_sql(_SPANS, v, s)
            # small row groups: read back, a part is scanned a page at a time, and a page
            # of the default 122,880 rows of text can be larger than the cap on its own
            con.execute(
                f"copy ({sql}) to '{part}' "
                f"(format parquet, compression zstd, row_group_size {_PART_ROW_GROUP})"
            )
            parts.append(str(part))
        con.execute("set disabled_optimizers = ?", [disabled])
        schema = _first_seen_sql(_SPANS, *next(iter(snapshots.items())))
        listed = ", ".join(f"'{p}'" for p in parts)
        return _copy(con, f"select * from read_parquet([{listed}])", target, schema_of=schema)
    finally:
        con.execute("set disabled_optimizers = ?", [disabled])
        shutil.rmtree(parts_dir, ignore_errors=True)
        con.execute(f"drop table if exists {_SPANS}")


def _copy(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    target: Path,
    partition_by: str | None = None,
    *,
    schema_of: str = "",
) -> dict[str, Any]:
    """COPY one query to Parquet; rows are counted from the files' footers, not by re-running.

    ``schema_of``: the query whose column types the manifest lists, when ``sql`` reads them
    back from Parquet (where, say, an ENUM is text).
    """
    rel = con.sql(schema_of or sql)  # binds only: the schema without executing the query
    schema = [{"name": n, "type": str(t)} for n, t in zip(rel.columns, rel.types, strict=True)]
    options = "format parquet, compression zstd"
    if partition_by:
        con.execute(f"copy ({sql}) to '{target}' ({options}, partition_by ({partition_by}))")
    else:
        con.execute(f"copy ({sql}) to '{target}' ({options})")
    files = sorted(target.rglob("*.parquet")) if partition_by else [target]
    row = (
        con.execute(
            "select coalesce(sum(num_rows), 0) from parquet_file_metadata(?)",
            [[str(f) for f in files]],
        ).fetchone()
        if files
        else None
    )
    rows = int(row[0]) if row else 0
    if partition_by:
        digests = {str(p.relative_to(target.parent)): _sha256(p) for p in files}
        return {
            "path": target.name,
            "partitioned_by": partition_by,
            "rows": rows,
            "files": digests,
            "schema": schema,
        }
    return {"file": target.name, "rows": rows, "sha256": _sha256(target), "schema": schema}


def _write_tables(
    con: duckdb.DuckDBPyConnection,
    version: int,
    marts: list[str],
    dest: Path,
    partition_by_indicator: bool = False,
) -> dict[str, Any]:
    tables = {
        mart: _copy(con, as_of(con, mart, version), dest / f"{mart}.parquet") for mart in marts
    }
    history = f"history_{HISTORY_TABLE}"
    target = dest / f"{history}.parquet"
    snapshots = _lake_snapshots(con, version)
    tables[history] = (
        _copy(con, history_sql(version), target)
        if snapshots is None
        else _copy_lake_history(con, snapshots, version, target)
    )
    if partition_by_indicator:
        tables[PARTITIONED] = _copy(
            con, as_of(con, HISTORY_TABLE, version), dest / PARTITIONED, partition_by="indicator_id"
        )
    return tables


@dataclass(frozen=True, slots=True)
class Exported:
    """What one export call did: the version folder, and the tables it wrote there (empty
    when the folder already held a whole export, every file matching its manifest)."""

    folder: Path
    version: int
    written: tuple[str, ...]


def export_warehouse(
    warehouse: str | Path | None,
    version: int | None = None,
    *,
    dest: Path | None = None,
    sql_dir: Path | None = None,
    memory: str | None = None,
    partition_by_indicator: bool = False,
) -> Exported:
    """Export ``version`` (default: current) of the published warehouse to ``dest``
    (default: its ``exports/``), reading it read-only under DuckDB's memory cap ``memory``
    (None: ``JJJ_ETL_DUCKDB_MEMORY_LIMIT``, else the default of the warehouse's recorded
    backend, as a run on it would have: 1GB for a lake, 256MB for the file).  See
    :func:`export`.
    """
    from jjj_etl.memory import default_memory_limit, memory_limit
    from jjj_etl.runner import default_sql_dir, mart_names
    from jjj_etl.warehouse import paths, read_connection

    wp = paths(warehouse)
    folder = dest or wp.exports
    try:
        cap = memory or memory_limit(default_memory_limit(lake=wp.backend.is_lake))
        with read_connection(wp, cap) as con:
            return export(
                con,
                folder,
                mart_names(sql_dir or default_sql_dir()),
                version,
                partition_by_indicator=partition_by_indicator,
            )
    except (OSError, duckdb.Error) as exc:
        full = disk_full(exc, folder, "the Parquet export", after="the warehouse is untouched")
        if full is None:
            raise
        raise full from exc


def export(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    marts: list[str],
    version: int | None = None,
    *,
    partition_by_indicator: bool = False,
) -> Exported:
    """Make ``exports/v<N>/`` whole and refresh ``latest/`` when N is current.

    A missing folder, or one a file of which is missing or differs from its manifest, is
    written afresh.  A whole one is left as it is (a version's export is immutable), except
    that ``partition_by_indicator`` adds the partitions when it lacks them.  Raises
    UsageError for an unknown version, RunError on a warehouse with no version.
    """
    current = current_version(con)
    if current is None:
        raise NoVersionError("nothing to export: the warehouse has no version yet")
    version = current if version is None else version
    check_version(con, version)
    exports_dir.mkdir(parents=True, exist_ok=True)
    clean_temporaries(exports_dir)
    final = exports_dir / f"v{version}"
    written: tuple[str, ...] = ()
    if not (final / "manifest.json").exists() or export_problems(final):
        written = _write_version(con, final, version, marts, partition_by_indicator)
    elif partition_by_indicator and PARTITIONED not in read_manifest(final)["tables"]:
        written = (_add_partitions(con, final, version),)
    if version == current:
        _refresh_latest(exports_dir, final)
    return Exported(final, version, written)


def _write_version(
    con: duckdb.DuckDBPyConnection,
    final: Path,
    version: int,
    marts: list[str],
    partition_by_indicator: bool,
) -> tuple[str, ...]:
    """Every table of ``version`` into a temporary folder, renamed to ``final`` at the end."""
    tmp = final.parent / f".v{version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        tables = _write_tables(con, version, marts, tmp, partition_by_indicator)
        manifest = {
            "version": version,
            "exported_at": datetime.now(UTC).isoformat(),
            "tables": tables,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _remove(final)
        tmp.replace(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a half export is of no use, and fills a disk
        raise
    return tuple(tables)


def _remove(path: Path) -> None:
    """Remove a damaged export at ``path``, whatever it is (folder, file, symlink)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


# what an export writes beside its target while it works, named by its process id
_TEMPORARY = re.compile(r"^\.(?:v\d+(?:\.[\w-]+)?\.tmp|latest\.(?:link|tmp|old))-(\d+)$")


def clean_temporaries(exports_dir: Path) -> list[str]:
    """Remove the temporary folders and links that killed or failed exports left in
    ``exports_dir`` (``.v<N>.tmp-<pid>``, ``.latest.tmp-<pid>``, …); an export still running
    in a live process keeps its own.  Returns the names removed."""
    removed = []
    for entry in sorted(exports_dir.glob(".*")):
        match = _TEMPORARY.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            _remove(entry)
        removed.append(entry.name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours from an attempt that failed earlier in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _add_partitions(con: duckdb.DuckDBPyConnection, final: Path, version: int) -> str:
    """The by-indicator partitions added to a whole export: written beside it, renamed in,
    then listed in a manifest swapped in by rename.  The other files are not touched."""
    tmp = final.parent / f".v{version}.{PARTITIONED}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    entry = _copy(
        con, as_of(con, HISTORY_TABLE, version), tmp / PARTITIONED, partition_by="indicator_id"
    )
    shutil.rmtree(final / PARTITIONED, ignore_errors=True)  # left by a killed export
    (tmp / PARTITIONED).replace(final / PARTITIONED)
    manifest = read_manifest(final)
    manifest["tables"][PARTITIONED] = entry
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (tmp / "manifest.json").replace(final / "manifest.json")
    tmp.rmdir()
    return PARTITIONED


def export_problems(folder: Path) -> list[str]:
    """What keeps ``folder`` from being a whole export: an unreadable manifest, or a file it
    lists that is missing or whose sha256 differs.  Empty when the export is whole."""
    try:
        tables = read_manifest(folder)["tables"]
    except (OSError, ValueError, KeyError, TypeError):
        return ["manifest.json: missing or unreadable"]
    problems = []
    for meta in tables.values():
        files = meta["files"] if "files" in meta else {meta["file"]: meta["sha256"]}
        for rel, sha in files.items():
            path = folder / rel
            if not path.is_file():
                problems.append(f"{rel}: missing")
            elif _sha256(path) != sha:
                problems.append(f"{rel}: differs from manifest.json")
    return problems


def _refresh_latest(exports_dir: Path, source: Path) -> None:
    """Point ``latest`` at ``source`` (a ``v<N>`` folder beside it) in one atomic step.

    ``latest`` is a relative symlink, replaced with ``os.replace``: a reader always finds it,
    and one that opened a file through the old link keeps reading that immutable version.
    (A folder cannot be renamed over a non-empty one: a copy is swapped in two renames, with
    a moment when ``latest`` is missing.)  Where symlinks are not allowed, ``latest`` is such
    a copy.
    """
    latest = exports_dir / "latest"
    link = exports_dir / f".latest.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    try:
        link.symlink_to(source.name, target_is_directory=True)
    except OSError:
        _copy_latest(exports_dir, source)
        return
    link.replace(latest)


def _copy_latest(exports_dir: Path, source: Path) -> None:
    tmp = exports_dir / f".latest.tmp-{os.getpid()}"
    old = exports_dir / f".latest.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    latest = exports_dir / "latest"
    if latest.is_symlink():
        latest.unlink()
    elif latest.exists():
        latest.replace(old)
    tmp.replace(latest)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export folder."""
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data
