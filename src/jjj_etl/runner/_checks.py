"""Data tests: YAML column tests beside the models and SELECTs in ``sql/tests/``.

A test is a query returning failing rows.  Severity ``error`` (the default) blocks the run;
``warn`` is recorded on the version.  A ``sql/tests`` file is a warning when its name starts
with ``warn_`` or its first line says ``-- severity: warn``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from jjj_etl.errors import BuildError
from jjj_etl.runner._dag import SCHEMAS
from jjj_etl.runner._execute import memory_hint

MAX_ROWS_KEPT = 20


@dataclass(frozen=True, slots=True)
class DataTest:
    """One data test: a name, a query returning failing rows, and a severity."""

    name: str
    sql: str
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class TestResult:
    """What a data test found."""

    name: str
    severity: str
    n_failing: int
    rows: tuple[dict[str, Any], ...] = field(default=())

    @property
    def passed(self) -> bool:
        """True when no row failed."""
        return self.n_failing == 0


def _quote_list(values: list[Any]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _column_test(model: str, column: str, test: Any, relation: str = "") -> DataTest:
    name, args = (test, {}) if isinstance(test, str) else next(iter(test.items()))
    args = args or {}
    severity = str(args.get("severity", "error"))
    label = f"{name}:{model}.{column}"
    model = relation or model
    if name == "not_null":
        sql = f"select * from {model} where {column} is null"
    elif name == "unique":
        sql = (
            f"select {column}, count(*) as n from {model} where {column} is not null "
            f"group by {column} having count(*) > 1"
        )
    elif name == "accepted_values":
        sql = (
            f"select {column}, count(*) as n from {model} where {column} is not null "
            f"and {column} not in ({_quote_list(args['values'])}) group by {column}"
        )
    elif name == "relationships":
        sql = (
            f"select c.{column} from {model} as c left join {args['to']} as p "
            f"on c.{column} = p.{args['field']} "
            f"where c.{column} is not null and p.{args['field']} is null"
        )
    else:
        raise BuildError(model, f"unknown column test {name!r} on {column}")
    return DataTest(label, sql, severity)


def _key_test(model: str, key: Any, relation: str = "") -> DataTest:
    cols = [key] if isinstance(key, str) else list(key)
    joined = ", ".join(cols)
    sql = (
        f"select {joined}, count(*) as n from {relation or model} group by all having count(*) > 1"
    )
    return DataTest(f"unique_key:{model}({joined})", sql)


def yaml_tests(sql_dir: Path) -> list[DataTest]:
    """Column and key tests declared in ``sql/*/_*.yml``."""
    tests: list[DataTest] = []
    for yml in sorted(sql_dir.glob("*/_*.yml")):
        try:
            doc = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise BuildError(str(yml), f"invalid YAML: {exc}") from exc
        schema = SCHEMAS.get(yml.parent.name, "main")
        for model in doc.get("models", []):
            relation = f"{schema}.{model['name']}"
            if model.get("key") is not None:
                tests.append(_key_test(model["name"], model["key"], relation))
            for column in model.get("columns", []):
                for test in column.get("tests", []):
                    tests.append(_column_test(model["name"], column["name"], test, relation))
    return tests


def sql_tests(sql_dir: Path) -> list[DataTest]:
    """Singular tests: each ``sql/tests/*.sql`` SELECT returns failing rows."""
    tests = []
    for path in sorted((sql_dir / "tests").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        first = text.lstrip().splitlines()[0].lower() if text.strip() else ""
        warn = path.stem.startswith("warn_") or "severity: warn" in first
        tests.append(DataTest(path.stem, text, "warn" if warn else "error"))
    return tests


def run_tests(con: duckdb.DuckDBPyConnection, tests: list[DataTest]) -> list[TestResult]:
    """Run every test; a test whose SQL fails counts as a blocking failure (one out of
    memory says so, with the cap and how to raise it: a warehouse grown past what its cap
    can check is not a warehouse whose data is wrong)."""
    results = []
    # read first: after an out-of-memory error inside a lake's transaction nothing can be read
    row = con.execute("select current_setting('memory_limit')").fetchone()
    cap = str(row[0]) if row else None
    for test in tests:
        try:
            # one pass: the failing-row count rides along on the rows kept as a sample
            rel = con.sql(
                f"select *, count(*) over () as _jjj_failing "
                f"from ({test.sql.strip().rstrip(';')}) limit {MAX_ROWS_KEPT}"
            )
            cols, rows = rel.columns[:-1], rel.fetchall()
            n = int(rows[0][-1]) if rows else 0
            kept = tuple(dict(zip(cols, map(_plain, r[:-1]), strict=True)) for r in rows)
        except duckdb.OutOfMemoryException as exc:
            why = f"could not run: {str(exc).strip()}{memory_hint(cap)}"
            results.append(TestResult(test.name, "error", 1, ({"error": why},)))
            continue
        except duckdb.Error as exc:
            results.append(TestResult(test.name, "error", 1, ({"error": str(exc)},)))
            continue
        results.append(TestResult(test.name, test.severity, n, kept))
    return results


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
