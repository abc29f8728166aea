"""What the report shows, read from one warehouse version into frozen records.

Every query reads a mart either as published (``main.<mart>``, the current version) or
as it was in a past version (``versions.as_of_sql``); nothing here writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from jjj_etl.errors import RunError
from jjj_etl.lake import snapshot_of
from jjj_etl.versions import as_of_sql, check_version, current_version, version_warnings

UNMAPPED_SAMPLE = 12


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where one figure came from: the article and the sentence, with the figure's span."""

    url: str | None
    title: str | None
    published_on: str | None
    source_name: str | None
    lang: str | None
    sentence: str | None
    surface: str | None
    offset: int | None  # of ``surface`` inside ``sentence``


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One row of ``mart_indicator_series``: the chosen value of indicator × region × period."""

    region: str
    region_name: str
    period: str | None
    value: float
    unit: str
    comparator: str
    n_sources: int
    min_value: float | None
    max_value: float | None
    has_conflict: bool
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Indicator:
    """An indicator of the catalog with its values (possibly none)."""

    indicator_id: str
    name: str
    unit: str
    kind: str
    description: str
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two sources that disagree about one indicator × region × period."""

    indicator_name: str
    region_name: str
    period: str | None
    unit: str
    value_a: float
    value_b: float
    a: Evidence
    b: Evidence


@dataclass(frozen=True, slots=True)
class Coverage:
    """Articles and observations of one source in one publication year."""

    source_name: str
    year: str
    n_articles: int
    n_observations: int


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """The ``meta.versions`` row the report describes."""

    version_id: int
    is_current: bool
    run_id: str
    committed_at: str
    code_version: str
    parser_version: str
    row_counts: dict[str, int]
    warnings: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything on the page."""

    version: VersionInfo
    indicators: tuple[Indicator, ...]
    conflicts: tuple[Conflict, ...]
    coverage: tuple[Coverage, ...]
    n_articles: int
    n_observations: int
    n_unmapped: int
    unmapped_sample: tuple[dict[str, Any], ...]
    page_outcomes: tuple[tuple[str, int], ...]


class _Marts:
    """FROM-clause text for each mart: as published, or as of a past version."""

    def __init__(self, version: int | None, snapshot: int | None = None) -> None:
        self.version, self.snapshot = version, snapshot

    def __getitem__(self, mart: str) -> str:
        if self.version is None:
            return f"main.{mart}"
        return f"({as_of_sql(mart, self.version, snapshot=self.snapshot)})"


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    try:
        return con.execute(sql, params or []).fetchall()
    except duckdb.Error as exc:
        raise RunError(f"cannot read the warehouse for the report: {exc}") from exc


def _version_info(con: duckdb.DuckDBPyConnection, version: int | None) -> VersionInfo:
    current = current_version(con)
    if current is None:
        raise RunError("nothing to report: the warehouse has no committed version yet")
    wanted = current if version is None else version
    check_version(con, wanted)
    (row,) = _rows(
        con,
        "select version_id, run_id, finished_at, code_version, parser_version, "
        "row_counts from meta.versions where version_id = ?",
        [wanted],
    )
    counts = json.loads(row[5]) if row[5] else {}
    return VersionInfo(
        version_id=int(row[0]),
        is_current=wanted == current,
        run_id=str(row[1]),
        committed_at=_iso(row[2]) or "",
        code_version=str(row[3]),
        parser_version=str(row[4]),
        row_counts={str(k): int(v) for k, v in sorted(counts.items())},
        warnings=tuple(version_warnings(con, wanted)),
    )


def _evidence(cols: tuple[Any, ...]) -> Evidence:
    url, title, published, source, lang, sentence, surface, offset = cols
    return Evidence(
        url=url,
        title=title,
        published_on=_iso(published),
        source_name=source,
        lang=lang,
        sentence=sentence,
        surface=surface,
        offset=None if offset is None else int(offset),
    )


def _evidence_sql(obs: str, url: str, sentence: str) -> str:
    """Columns of :class:`Evidence` for observation alias ``obs`` joined to article ``{obs}a``."""
    return (
        f"coalesce({obs}.url, {url}), {obs}a.title, {obs}.published_on, {obs}.source_name, "
        f"{obs}a.lang, coalesce({obs}.sentence, {sentence}), {obs}.surface, "
        f"{obs}.start_offset - {obs}.sentence_start"
    )


def _series(con: duckdb.DuckDBPyConnection, m: _Marts) -> dict[str, list[SeriesPoint]]:
    rows = _rows(
        con,
        "select s.indicator_id, s.region_id, coalesce(r.name_en, s.region_id), s.period, s.value, "
        "s.unit, s.comparator, s.n_sources, s.min_value, s.max_value, s.has_conflict, "
        + _evidence_sql("o", "s.chosen_url", "s.chosen_sentence")
        + f" from {m['mart_indicator_series']} as s "
        f"left join {m['fct_observations']} as o on o.observation_id = s.chosen_observation_id "
        f"left join {m['dim_articles']} as oa on oa.article_id = o.article_id "
        f"left join {m['dim_regions']} as r on r.region_id = s.region_id "
        "order by s.indicator_id, s.region_id, s.period nulls last",
    )
    out: dict[str, list[SeriesPoint]] = {}
    for row in rows:
        point = SeriesPoint(
            region=row[1],
            region_name=row[2],
            period=row[3],
            value=float(row[4]),
            unit=row[5] or "",
            comparator=row[6] or "=",
            n_sources=int(row[7] or 1),
            min_value=row[8],
            max_value=row[9],
            has_conflict=bool(row[10]),
            evidence=_evidence(tuple(row[11:])),
        )
        out.setdefault(row[0], []).append(point)
    return out


def _indicators(con: duckdb.DuckDBPyConnection, m: _Marts) -> tuple[Indicator, ...]:
    series = _series(con, m)
    rows = _rows(
        con,
        "select indicator_id, name, unit, kind, coalesce(description, '') "
        f"from {m['dim_indicators']} order by priority nulls last, indicator_id",
    )
    known = {r[0] for r in rows}
    # Series whose indicator left the catalog still show, named by their id.
    rows += [(i, i, "", "", "") for i in sorted(series) if i not in known]
    return tuple(
        Indicator(r[0], r[1] or r[0], r[2] or "", r[3] or "", r[4], tuple(series.get(r[0], [])))
        for r in rows
    )


def _conflicts(con: duckdb.DuckDBPyConnection, m: _Marts) -> tuple[Conflict, ...]:
    joins = "".join(
        f"left join {m['fct_observations']} as o{s} on o{s}.observation_id = c.observation_id_{s} "
        f"left join {m['dim_articles']} as o{s}a on o{s}a.article_id = o{s}.article_id "
        for s in ("a", "b")
    )
    rows = _rows(
        con,
        "select coalesce(i.name, c.indicator_id), coalesce(r.name_en, c.region_id), c.period, "
        "c.unit, c.value_a, c.value_b, "
        + _evidence_sql("oa", "c.url_a", "c.sentence_a")
        + ", "
        + _evidence_sql("ob", "c.url_b", "c.sentence_b")
        + f" from {m['mart_conflicts']} as c {joins}"
        f"left join {m['dim_indicators']} as i on i.indicator_id = c.indicator_id "
        f"left join {m['dim_regions']} as r on r.region_id = c.region_id "
        "order by c.indicator_id, c.region_id, c.period, c.conflict_id",
    )
    return tuple(
        Conflict(r[0], r[1], r[2], r[3] or "", r[4], r[5], _evidence(r[6:14]), _evidence(r[14:22]))
        for r in rows
    )


def _coverage(con: duckdb.DuckDBPyConnection, m: _Marts) -> tuple[Coverage, ...]:
    year = "coalesce(cast(year(published_on) as varchar), 'undated')"
    rows = _rows(
        con,
        f"with a as (select source_name, {year} as y, count(*) as n "
        f"from {m['dim_articles']} group by all), "
        f"o as (select source_name, {year} as y, count(*) as n "
        f"from {m['fct_observations']} group by all) "
        "select coalesce(a.source_name, o.source_name) as s, coalesce(a.y, o.y) as y, "
        "coalesce(a.n, 0), coalesce(o.n, 0) from a full outer join o "
        "on a.source_name is not distinct from o.source_name and a.y = o.y "
        "order by s nulls last, y",
    )
    return tuple(Coverage(r[0] or "(unknown)", r[1], int(r[2]), int(r[3])) for r in rows)


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    (row,) = _rows(con, f"select count(*) from {relation}")
    return int(row[0])


def _unmapped_sample(con: duckdb.DuckDBPyConnection, m: _Marts) -> tuple[dict[str, Any], ...]:
    rel = f"{m['mart_unmapped_figures']}"
    cols = ("surface", "subject", "sentence", "url")
    rows = _rows(
        con,
        f"select {', '.join(cols)} from {rel} order by url, figure_index limit {UNMAPPED_SAMPLE}",
    )
    return tuple(dict(zip(cols, r, strict=True)) for r in rows)


def _page_outcomes(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[tuple[str, int], ...]:
    """Page outcomes of the run that made the version (empty for a ``build`` version)."""
    try:
        rows = con.execute(
            "select coalesce(outcome, 'unknown'), count(*) from staging.pages "
            "where run_id = ? group by all order by 1",
            [run_id],
        ).fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):  # no crawler staging here
        return ()
    return tuple((str(r[0]), int(r[1])) for r in rows)


def load(con: duckdb.DuckDBPyConnection, version: int | None = None) -> ReportData:
    """Read one version (None: the current one) for the report.

    Raises UsageError for an unknown version, RunError for a warehouse with no version.
    """
    info = _version_info(con, version)
    m = (
        _Marts(None)
        if info.is_current
        else _Marts(info.version_id, snapshot_of(con, info.version_id))
    )
    return ReportData(
        version=info,
        indicators=_indicators(con, m),
        conflicts=_conflicts(con, m),
        coverage=_coverage(con, m),
        n_articles=_count(con, m["dim_articles"]),
        n_observations=_count(con, m["fct_observations"]),
        n_unmapped=_count(con, m["mart_unmapped_figures"]),
        unmapped_sample=_unmapped_sample(con, m),
        page_outcomes=_page_outcomes(con, info.run_id),
    )
