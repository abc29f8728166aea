"""What a run did: counts for the CLI, the log, and Prefect artifacts (markdown + table)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from jjj_etl.versions import current_version, diff, version_warnings
from jjj_etl.warehouse import WarehousePaths, read_connection

TOTALS = (
    ("articles", "select count(*) from main.dim_articles"),
    ("figures", "select count(*) from main.stg_figures"),
    ("observations", "select count(*) from main.fct_observations"),
    ("unmapped_figures", "select count(*) from main.mart_unmapped_figures"),
    ("conflicts", "select count(*) from main.mart_conflicts"),
)
MAX_CHANGED_ROWS = 500


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one run did."""

    run_id: str
    pages: dict[str, int]
    skipped_reasons: dict[str, int]
    failed: list[str]
    articles: int
    figures: int
    observations: int
    unmapped_figures: int
    conflicts: int
    version: int | None
    exports: str | None
    warnings: list[str]
    new_observations: int = 0
    changed_observations: int = 0
    retired_observations: int = 0
    # sources of which no page could be fetched ("name: why"); the run committed the others'
    failed_sources: list[str] = field(default_factory=list)
    report: str | None = None  # exports/report.html, rewritten by every run
    changes: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the changed rows themselves are left out)."""
        d = asdict(self)
        d.pop("changes")
        return d

    def markdown(self) -> str:
        """The summary as markdown (the Prefect artifact)."""
        return summary_markdown(self)


def _totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    totals = dict.fromkeys((k for k, _ in TOTALS), 0)
    for key, sql in TOTALS:
        try:
            row = con.execute(sql).fetchone()
        except duckdb.CatalogException:
            continue
        totals[key] = int(row[0]) if row else 0
    return totals


def _changes(con: duckdb.DuckDBPyConnection, version: int | None) -> list[dict[str, Any]]:
    """Observations added, changed or retired by ``version`` relative to the one before."""
    if version is None:
        return []
    if version == 1:
        rel = con.sql(
            "select observation_id, indicator_id, region_id, period, value, unit "
            f"from main.fct_observations order by all limit {MAX_CHANGED_ROWS}"
        )
        return [
            {"change": "added", **dict(zip(rel.columns, r, strict=True))} for r in rel.fetchall()
        ]
    d = diff(con, version - 1, version)
    keep = (
        "observation_id",
        "indicator_id",
        "region_id",
        "period",
        "value",
        "old_value",
        "new_value",
        "unit",
    )
    return [
        {"change": kind, **{k: r.get(k) for k in keep if k in r}}
        for kind, rs in (("added", d.added), ("changed", d.changed), ("retired", d.removed))
        for r in rs
    ]


def build_summary(
    run_id: str,
    outcomes: Sequence[tuple[str, str | None, str]],
    wp: WarehousePaths,
    version: int | None,
    exports: str | None,
    warnings: list[dict[str, Any]],
    failed_sources: list[str] | None = None,
    report: str | None = None,
) -> RunSummary:
    """Summarise page ``(outcome, reason, url)`` triples and the published warehouse.

    ``warnings`` are this run's data-test warnings; a run that adds no version reports the
    warnings recorded with the current version instead.
    """
    counts = Counter(o for o, _, _ in outcomes)
    reasons = Counter((r or "").split(":")[0] for o, r, _ in outcomes if o == "skipped")
    failed = [f"{url}: {r}" for o, r, url in outcomes if o == "failed"]
    totals = dict.fromkeys((k for k, _ in TOTALS), 0)
    changes: list[dict[str, Any]] = []
    if wp.exists():
        with read_connection(wp) as con:
            totals = _totals(con)
            changes = _changes(con, version)
            if version is None and not warnings:
                # no new version: the data is the current version's, and so are its warnings
                # (a run with nothing new runs no data tests; an empty list would read as
                # "no warnings")
                current = current_version(con)
                warnings = version_warnings(con, current) if current is not None else []
    by_kind = Counter(c["change"] for c in changes)
    return RunSummary(
        run_id=run_id,
        pages=dict(counts),
        skipped_reasons=dict(reasons),
        failed=failed,
        articles=totals["articles"],
        figures=totals["figures"],
        observations=totals["observations"],
        unmapped_figures=totals["unmapped_figures"],
        conflicts=totals["conflicts"],
        version=version,
        exports=exports,
        warnings=[w["test"] for w in warnings],
        new_observations=by_kind["added"],
        changed_observations=by_kind["changed"],
        retired_observations=by_kind["retired"],
        failed_sources=list(failed_sources or []),
        report=report,
        changes=changes,
    )


def summary_markdown(s: RunSummary) -> str:
    """The run summary as markdown (the Prefect artifact)."""
    version = f"**version {s.version}**" if s.version is not None else "no new version"
    lines = [
        f"# jjj-etl run `{s.run_id}`: {version}",
        "",
        "| pages | count |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in sorted(s.pages.items())),
        "",
        f"- articles {s.articles}, figures {s.figures}, observations {s.observations} "
        f"(unmapped figures {s.unmapped_figures}), conflicts {s.conflicts}",
        f"- observations new {s.new_observations}, changed {s.changed_observations}, "
        f"retired {s.retired_observations}",
    ]
    if s.skipped_reasons:
        lines.append(
            "- skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(s.skipped_reasons.items()))
        )
    lines += [f"- **source failed**: {f}" for f in s.failed_sources]
    lines += [f"- failed: {f}" for f in s.failed[:20]]
    if s.warnings:
        lines.append("- warnings: " + ", ".join(s.warnings))
    if s.exports:
        lines.append(f"- exports: `{s.exports}`")
    return "\n".join(lines) + "\n"
