"""Which backend a warehouse folder uses, and DuckLake connections.

A run records its backend in ``<warehouse>/backend.json`` (kind, catalog, data path; never a
password: libpq reads that from ``PGPASSWORD`` or ``~/.pgpass``), so the read commands need
only ``--warehouse DIR``.  A folder without the file is a single-file DuckDB warehouse, as
every warehouse was before the DuckLake backend.

DuckLake's extensions ship as PyPI wheels built for one DuckDB release; they are loaded from
the installed files, since ``INSTALL`` would download them.  On DuckLake a version is one
snapshot: the snapshot's ``commit_extra_info`` carries ``{"jjj_version": N}``, written in the
transaction that inserts row N of ``meta.versions``, and reading version N is time travel
(``AT (VERSION => snapshot)``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from jjj_etl.errors import RunError, UsageError

BACKEND_FILE = "backend.json"
ALIAS = "lake"
AUTHOR = "jjj-etl"
_EXTENSIONS = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
}
# object storage credentials come from the environment the AWS tools read, never a file of ours
KEY_ENV, SECRET_ENV, TOKEN_ENV = "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"


@dataclass(frozen=True, slots=True)
class Backend:
    """A warehouse's backend: ``duckdb`` (one file) or ``ducklake`` (catalog + data path)."""

    kind: str = "duckdb"
    catalog: str = ""
    data_path: str = ""
    # object storage (data_path ``s3://…``): where and how to reach it; no credentials
    s3_endpoint: str = ""  # host[:port] of an S3-compatible server; "" is AWS itself
    s3_region: str = "us-east-1"
    s3_url_style: str = "vhost"  # "path" for most S3-compatible servers
    s3_use_ssl: bool = True

    @property
    def is_lake(self) -> bool:
        """True for the DuckLake backend."""
        return self.kind == "ducklake"

    @property
    def on_object_storage(self) -> bool:
        """True when the data files live in object storage (``s3://``)."""
        return self.data_path.startswith("s3://")

    @property
    def on_postgres(self) -> bool:
        """True when the DuckLake catalog is a PostgreSQL database."""
        return self.catalog.startswith("postgres:")


def from_config(
    kind: str,
    catalog: str,
    data_path: str,
    root: Path,
    *,
    s3_endpoint: str = "",
    s3_region: str = "us-east-1",
    s3_url_style: str = "vhost",
    s3_use_ssl: bool = True,
) -> Backend:
    """The backend ``[warehouse]`` asks for, relative paths resolved inside ``root``; the
    ``s3_*`` keys matter for a data path in object storage only."""
    if kind != "ducklake":
        return Backend()
    if not catalog:
        catalog = "lake.ducklake"
    if not catalog.startswith("postgres:"):
        catalog = str((root / catalog).resolve())
    if data_path.startswith("s3://"):
        return Backend(
            kind,
            catalog,
            data_path.rstrip("/") + "/",
            s3_endpoint,
            s3_region,
            s3_url_style,
            s3_use_ssl,
        )
    return Backend(kind, catalog, str((root / (data_path or "lake-data")).resolve()) + "/")


def recorded(root: Path) -> Backend:
    """The backend recorded in ``root`` (the single file when none is).

    Raises UsageError when the record is unreadable.
    """
    path = root / BACKEND_FILE
    if not path.exists():
        return Backend()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for required in ("kind", "catalog", "data_path"):
            if not isinstance(data[required], str):
                raise TypeError(f"{required} is not a string")
        # records written before the s3_* fields existed have none: their defaults hold
        return Backend(**{k: data[k] for k in Backend.__dataclass_fields__ if k in data})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: unreadable backend record ({exc})") from exc


def record(root: Path, backend: Backend, has_file: bool) -> None:
    """Write ``backend`` to ``root`` (atomically) unless it is recorded already, creating the
    lake first (an empty catalog, or a PostgreSQL one that other hosts made already).

    Raises UsageError when the folder already holds a warehouse of another backend or
    catalog: a warehouse is not moved between backends by changing the config.
    """
    path = root / BACKEND_FILE
    old = recorded(root) if path.exists() else (Backend() if has_file else None)
    if old == backend:
        return
    if old is not None:
        raise UsageError(
            f"warehouse {root} holds a {old.kind} warehouse{_where(old)}; the config asks for "
            f"{backend.kind}{_where(backend)}: use a new --warehouse folder for it"
        )
    if not backend.is_lake:
        return  # a single-file warehouse needs no record
    connect(backend, read_only=False).close()  # creates the lake: readers can attach it
    tmp = path.with_name(f".{BACKEND_FILE}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(asdict(backend), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _object_storage(con: duckdb.DuckDBPyConnection, backend: Backend) -> None:
    """Load httpfs and give this connection (only) the S3 credentials of the environment.

    Raises RunError naming the variables when they are not set.
    """
    key, secret = os.environ.get(KEY_ENV, ""), os.environ.get(SECRET_ENV, "")
    if not key or not secret:
        raise RunError(
            f"the DuckLake data path {backend.data_path} is in object storage: set {KEY_ENV} "
            f"and {SECRET_ENV} (and {TOKEN_ENV} for temporary credentials) in the environment"
        )
    con.execute(f"load '{_quote(str(extension_file('httpfs')))}'")
    options = {
        "key_id": key,
        "secret": secret,
        "region": backend.s3_region,
        "url_style": backend.s3_url_style,
    }
    if os.environ.get(TOKEN_ENV):
        options["session_token"] = os.environ[TOKEN_ENV]
    if backend.s3_endpoint:
        options["endpoint"] = backend.s3_endpoint
    listed = ", ".join(f"{k} '{_quote(v)}'" for k, v in options.items())
    ssl = "true" if backend.s3_use_ssl else "false"
    # a temporary secret: it lives in this connection's memory, never on disk
    con.execute(
        f"create or replace temporary secret jjj_lake_s3 (type s3, {listed}, use_ssl {ssl})"
    )


def _where(backend: Backend) -> str:
    return f" (catalog {backend.catalog})" if backend.is_lake else ""


def extension_file(name: str) -> Path:
    """The installed ``<name>.duckdb_extension`` of its PyPI wheel.

    Raises RunError when the wheel is not installed (``pip install "jjj-etl[ducklake]"``).
    """
    spec = importlib.util.find_spec(_EXTENSIONS[name])
    if spec is None or not spec.submodule_search_locations:
        raise RunError(
            f"the DuckDB extension {name} is not installed: pip install 'jjj-etl[ducklake]'"
        )
    base = Path(next(iter(spec.submodule_search_locations)))
    version = duckdb.__version__
    found = sorted(base.glob(f"extensions/v{version}/*/{name}.duckdb_extension")) or sorted(
        base.glob(f"extensions/v{version}/{name}.duckdb_extension")
    )
    if not found:
        raise RunError(f"no {name} extension for DuckDB {version} under {base}")
    return found[0]


def _quote(text: str) -> str:
    return text.replace("'", "''")


def attach(con: duckdb.DuckDBPyConnection, backend: Backend, alias: str, read_only: bool) -> None:
    """Load the extensions and attach ``backend``'s lake as ``alias``.

    Raises RunError when the catalog cannot be reached or read.
    """
    con.execute(f"load '{_quote(str(extension_file('ducklake')))}'")
    if backend.on_postgres:
        con.execute(f"load '{_quote(str(extension_file('postgres_scanner')))}'")
    if backend.on_object_storage:
        _object_storage(con, backend)
    options = [f"data_path '{_quote(backend.data_path)}'"]
    if read_only:
        options.append("read_only")
    try:
        con.execute(
            f"attach 'ducklake:{_quote(backend.catalog)}' as {alias} ({', '.join(options)})"
        )
    except duckdb.Error as exc:
        raise RunError(f"cannot open the DuckLake catalog {backend.catalog}: {exc}") from exc


def connect(
    backend: Backend, *, read_only: bool, memory: str | None = None, spill: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``lake`` and in use.

    ``spill``: the folder DuckDB spills to past ``memory`` (a write window gives one in the
    warehouse folder); otherwise one in the system's temporary folder, never the working
    directory, where an in-memory DuckDB would put its ``.tmp``.
    """
    spill = spill or Path(tempfile.gettempdir()) / f"jjj-lake-{os.getpid()}"
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "temp_directory": str(spill),
    }
    if memory:
        config["memory_limit"] = memory
    con = duckdb.connect(config=config)
    try:
        attach(con, backend, ALIAS, read_only)
        con.execute(f"use {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def is_lake(con: duckdb.DuckDBPyConnection, catalog: str = "") -> bool:
    """True when ``catalog`` (default: the current one) is an attached DuckLake."""
    row: tuple[Any, ...] | None = con.execute(
        "select type from duckdb_databases() where database_name = "
        + ("?" if catalog else "current_database()"),
        [catalog] if catalog else [],
    ).fetchone()
    return row is not None and str(row[0]) == "ducklake"


def snapshot_of(con: duckdb.DuckDBPyConnection, version: int, catalog: str = "") -> int | None:
    """The snapshot holding ``version`` on a lake (None on a single file).

    Raises UsageError when the version's snapshot was expired (see ``snapshot_retention``).
    """
    if not is_lake(con, catalog):
        return None
    name = catalog or str(_one(con, "select current_database()"))
    row = con.execute(
        "select snapshot_id from ducklake_snapshots(?) where author = ? "
        "and try_cast(json_extract_string(commit_extra_info, '$.jjj_version') as integer) = ?",
        [name, AUTHOR, int(version)],
    ).fetchone()
    if row is None:
        raise UsageError(
            f"version {version} is no longer kept: its snapshot was expired "
            "([warehouse] snapshot_retention)"
        )
    return int(row[0])


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def tag_commit(con: duckdb.DuckDBPyConnection, version: int | None, run_id: str) -> None:
    """Name the open transaction's snapshot: the run, and the version it commits."""
    info = json.dumps({"jjj_version": version, "run_id": run_id})
    message = f"version {version}" if version is not None else "run, no new version"
    con.execute(f"call {ALIAS}.set_commit_message(?, ?, extra_info => ?)", [AUTHOR, message, info])


def maintain(con: duckdb.DuckDBPyConnection, snapshot_retention: str, file_retention: str) -> None:
    """Expire snapshots older than ``snapshot_retention`` and delete the data files that
    retired snapshots left, once scheduled for deletion longer than ``file_retention``
    (DuckLake's ``ducklake_expire_snapshots`` and ``ducklake_cleanup_old_files``)."""
    if snapshot_retention != "forever":
        con.execute(
            "call ducklake_expire_snapshots(?, older_than => now() - ?::interval)",
            [ALIAS, snapshot_retention],
        )
    if file_retention != "forever":
        con.execute(
            "call ducklake_cleanup_old_files(?, older_than => now() - ?::interval)",
            [ALIAS, file_retention],
        )
