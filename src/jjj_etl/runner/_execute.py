"""Load seeds and build every model, in dependency order, on one connection."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from jjj_etl.errors import BuildError
from jjj_etl.runner._dag import Model


def load_seeds(con: duckdb.DuckDBPyConnection, sql_dir: Path) -> dict[str, int]:
    """Each ``sql/seeds/<name>.csv`` becomes table ``seeds.<name>``; returns row counts."""
    con.execute("create schema if not exists seeds")
    counts: dict[str, int] = {}
    for csv in sorted((sql_dir / "seeds").glob("*.csv")):
        try:
            con.execute(
                f"create or replace table seeds.{csv.stem} as "
                "select * from read_csv(?, header = true, auto_detect = true, all_varchar = false)",
                [str(csv)],
            )
            row = con.execute(f"select count(*) from seeds.{csv.stem}").fetchone()
        except duckdb.Error as exc:
            raise BuildError(str(csv), str(exc)) from exc
        counts[csv.stem] = int(row[0]) if row else 0
    return counts


def _drop_other_kind(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """A model that changed materialization or schema: drop the old view or table first."""
    views = {
        (str(schema), str(name))
        for schema, name in con.execute(
            "select schema_name, view_name from duckdb_views() where view_name = ?", [model.name]
        ).fetchall()
    }
    for schema in {"main", model.schema} - {model.schema}:  # a model moved to another layer
        kind = "view" if (schema, model.name) in views else "table"
        con.execute(f"drop {kind} if exists {schema}.{model.name}")
    is_view = (model.schema, model.name) in views
    if model.materialization == "view":
        if not is_view:
            con.execute(f"drop table if exists {model.relation}")
    elif is_view:
        con.execute(f"drop view {model.relation}")


def memory_hint(cap: str | None) -> str:
    """What to do when a statement ran out of DuckDB's memory cap ``cap``."""
    return (
        f" [DuckDB's memory cap is {cap or '?'}: raise [warehouse] memory_limit"
        " in sources.toml, or set JJJ_ETL_DUCKDB_MEMORY_LIMIT for one run]"
    )


def build_model(con: duckdb.DuckDBPyConnection, model: Model) -> float:
    """Create or replace ``<schema>.<model>`` (:attr:`Model.relation`); returns seconds taken.

    Raises BuildError naming the model file and DuckDB's message.
    """
    body = model.sql.strip().rstrip(";")
    # read first: after an out-of-memory error inside an open transaction (a DuckLake run)
    # the transaction is aborted and not even a setting can be read
    cap = con.execute("select current_setting('memory_limit')").fetchone()
    started = time.perf_counter()
    try:
        con.execute(f"create schema if not exists {model.schema}")
        _drop_other_kind(con, model)
        kind = "view" if model.materialization == "view" else "table"
        con.execute(f"create or replace {kind} {model.relation} as {body}")
    except duckdb.OutOfMemoryException as exc:
        hint = memory_hint(str(cap[0]) if cap else None)
        raise BuildError(str(model.path), str(exc).strip() + hint) from exc
    except duckdb.Error as exc:
        raise BuildError(str(model.path), str(exc).strip()) from exc
    return time.perf_counter() - started
