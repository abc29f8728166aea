"""Model and column descriptions from ``sql/*/_*.yml``, written as DuckDB comments.

A model's ``description`` (with its ``grain`` and ``key``) becomes its table or view comment;
a column's ``description`` its column comment.  A column that a model's entry does not
describe takes the description of that column name from the top-level ``columns:`` list of
its own YAML file, else of the other layers' files (staging first): one text for
``article_id`` wherever it appears, overridden where a model means something narrower.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from jjj_etl.errors import BuildError
from jjj_etl.lake import is_lake
from jjj_etl.runner._dag import LAYERS, Model


@dataclass(frozen=True, slots=True)
class ModelDoc:
    """What the YAML says about one model: its comment and its columns' comments."""

    comment: str
    columns: dict[str, str] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> str | None:
        """The description of column ``name``: the model's own, else the shared one."""
        return self.columns.get(name) or self.shared.get(name)


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BuildError(str(path), f"invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise BuildError(str(path), "expected a mapping with `models:`")
    return doc


def _described(entries: Any) -> dict[str, str]:
    return {
        str(c["name"]): str(c["description"]).strip()
        for c in entries or []
        if isinstance(c, dict) and c.get("name") and c.get("description")
    }


def _comment(model: dict[str, Any]) -> str:
    parts = [str(model.get("description") or "").strip()]
    if model.get("grain"):
        parts.append(f"Grain: {model['grain']}.")
    key = model.get("key")
    if key:
        parts.append(f"Key: {key if isinstance(key, str) else ', '.join(map(str, key))}.")
    return " ".join(p for p in parts if p)


def model_docs(sql_dir: Path) -> dict[str, ModelDoc]:
    """Every described model under ``sql_dir`` by name.  Raises BuildError on bad YAML."""
    files = {layer: sql_dir / layer / f"_{layer}.yml" for layer in LAYERS}
    docs = {layer: _load(path) for layer, path in files.items() if path.exists()}
    out: dict[str, ModelDoc] = {}
    for layer, doc in docs.items():
        shared: dict[str, str] = {}
        for other in (layer, *(x for x in LAYERS if x != layer)):
            for name, text in _described(docs.get(other, {}).get("columns")).items():
                shared.setdefault(name, text)
        for model in doc.get("models") or []:
            own = _described(model.get("columns"))
            out[str(model["name"])] = ModelDoc(_comment(model), own, shared)
    return out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_model(
    con: duckdb.DuckDBPyConnection, model: Model, doc: ModelDoc | None, *, own: bool = True
) -> None:
    """Write ``doc`` as the comments of the built ``model`` (a rebuild drops them); in a
    transaction of their own, or with ``own=False`` in the caller's open one (a lake run)."""
    if doc is None:
        return
    kind = "view" if model.materialization == "view" else "table"
    columns = con.execute(
        "select column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? and table_name = ?",
        [model.schema, model.name],
    ).fetchall()
    statements = [f"comment on {kind} {model.relation} is {_literal(doc.comment)}"] * bool(
        doc.comment
    )
    if kind == "view" and is_lake(con):
        columns = []  # DuckLake keeps no column comments on views; the view's own is kept
    for (name,) in columns:
        text = doc.column(str(name))
        if text:
            statements.append(f'comment on column {model.relation}."{name}" is {_literal(text)}')
    if not own:
        for statement in statements:
            con.execute(statement)
        return
    # one transaction per model: a commit per comment costs more than writing them all
    con.execute("begin")
    try:
        for statement in statements:
            con.execute(statement)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
