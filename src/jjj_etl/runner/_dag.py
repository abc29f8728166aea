"""Find the SQL models and order them by the tables they reference (parsed with sqlglot)."""

from __future__ import annotations

import graphlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from jjj_etl.errors import BuildError, UsageError

LAYERS = ("staging", "intermediate", "marts")
MATERIALIZATION = {"staging": "view", "intermediate": "table", "marts": "table"}
# intermediate models are building blocks, kept out of the schema analysts browse (as dbt
# projects do); marts and the stg_ views stay in `main` (`staging` holds the loaded tables)
SCHEMAS = {"staging": "main", "intermediate": "intermediate", "marts": "main"}


@dataclass(frozen=True, slots=True)
class Model:
    """One ``sql/<layer>/<name>.sql`` file: a SELECT that becomes ``<schema>.<name>``."""

    name: str
    layer: str
    path: Path
    sql: str
    refs: frozenset[str]

    @property
    def materialization(self) -> str:
        """``view`` for staging models, ``table`` otherwise."""
        return MATERIALIZATION[self.layer]

    @property
    def schema(self) -> str:
        """``intermediate`` for intermediate models, ``main`` otherwise."""
        return SCHEMAS[self.layer]

    @property
    def relation(self) -> str:
        """The schema-qualified name the model is built as, e.g. ``main.fct_observations``."""
        return f"{self.schema}.{self.name}"


def table_refs(sql: str, where: str = "<sql>") -> frozenset[str]:
    """Names of the tables a SELECT reads (CTE names excluded), schema-qualified when given.

    >>> sorted(table_refs("with a as (select * from stg_x) select * from a join seeds.r using (k)"))
    ['seeds.r', 'stg_x']
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise BuildError(where, f"cannot parse SQL: {exc}") from exc
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    refs: set[str] = set()
    for table in tree.find_all(exp.Table):
        name = table.name
        if not name or (not table.db and name in ctes):
            continue
        refs.add(f"{table.db}.{name}" if table.db else name)
    return frozenset(refs)


def discover(sql_dir: Path) -> list[Model]:
    """All models under ``sql_dir``, in an order where every model follows what it reads.

    Raises BuildError on a duplicate model name, a parse error or a reference cycle.
    """
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            name = path.stem
            if name in models:
                raise BuildError(str(path), f"model name {name!r} is also {models[name].path}")
            sql = path.read_text(encoding="utf-8")
            models[name] = Model(name, layer, path, sql, table_refs(sql, str(path)))
    graph = {name: _upstream(m, models) for name, m in models.items()}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise BuildError(
            str(sql_dir), f"models reference each other in a cycle: {exc.args[1]}"
        ) from exc
    return [models[n] for n in order]


def _upstream(model: Model, models: dict[str, Model]) -> set[str]:
    """The models ``model`` reads.  Raises BuildError when it names an intermediate model
    without its schema (it would read nothing, or a stale table of the same name)."""
    found = set()
    for ref in model.refs:
        schema, _, name = ref.rpartition(".")
        other = models.get(name)
        if other is None:
            continue
        if not schema and other.schema != "main":
            raise BuildError(
                str(model.path), f"reads {name} without its schema: write {other.relation}"
            )
        if (schema or "main") == other.schema:
            found.add(name)
    return found


def select_models(models: list[Model], selectors: Sequence[str]) -> list[Model]:
    """The models ``selectors`` name, in ``models``' (build) order, as dbt selects them:
    ``NAME`` alone, ``NAME+`` with every model downstream, ``+NAME`` with every model
    upstream (both: ``+NAME+``).

    >>> from jjj_etl.runner import default_sql_dir, discover
    >>> [m.name for m in select_models(discover(default_sql_dir()), ["int_facts_grouped+"])]
    ['int_facts_grouped', 'mart_indicator_series', 'mart_conflicts']

    Raises UsageError on a name that is no model (listing the models).
    """
    by_name = {m.name: m for m in models}
    upstream = {m.name: _upstream(m, by_name) for m in models}
    downstream: dict[str, set[str]] = {name: set() for name in by_name}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].add(name)
    chosen: set[str] = set()
    for selector in selectors:
        name = selector.strip().strip("+")
        if name not in by_name:
            raise UsageError(
                f"--select {selector!r}: no model {name!r} (models: {', '.join(sorted(by_name))})"
            )
        chosen.add(name)
        if selector.strip().endswith("+"):
            chosen |= _closure(name, downstream)
        if selector.strip().startswith("+"):
            chosen |= _closure(name, upstream)
    return [m for m in models if m.name in chosen]


def _closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen
