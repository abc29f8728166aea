"""The body sections of the report: indicators, conflicts, coverage, unmapped figures.

Every function returns HTML in which warehouse text has been escaped (via ``_format``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from jjj_etl.report._charts import PALETTE, bar, series_chart
from jjj_etl.report._data import Conflict, Coverage, Evidence, Indicator, ReportData, SeriesPoint
from jjj_etl.report._format import (
    esc,
    link,
    marked_sentence,
    period_label,
    period_span,
    quantity,
)

ARTICLE_BAR, OBSERVATION_BAR = PALETTE[0], PALETTE[1]
SAMPLE_CHARS = 2000


def anchor(indicator_id: str) -> str:
    """The element id of an indicator's section."""
    return "ind-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in indicator_id)


def evidence(ev: Evidence) -> str:
    """Article link, publication date and the sentence with the figure marked."""
    title = ev.title or ev.url or "source article"
    lang = f' lang="{esc(ev.lang)}"' if ev.lang in {"en", "zh"} else ""
    date = f'<span class="date">{esc(ev.published_on)}</span>' if ev.published_on else ""
    who = f'<span class="date">{esc(ev.source_name)}</span>' if ev.source_name else ""
    sentence = marked_sentence(ev.sentence, ev.surface, ev.offset)
    return (
        f'<div class="src"{lang}>{link(ev.url, title)}{date}{who}</div>'
        f'<p class="sentence"{lang}>{sentence}</p>'
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _swatch(color: str) -> str:
    return f'<span class="swatch" style="background:{color}"></span>'


def _value_row(pt: SeriesPoint, colors: dict[str, str]) -> str:
    badges = ""
    if pt.has_conflict:
        badges += '<span class="badge conflict" title="sources disagree">conflict</span>'
    return (
        f'<tr><td class="region">{_swatch(colors.get(pt.region, PALETTE[-1]))}'
        f"{esc(pt.region_name)}</td>"
        f'<td class="period">{esc(period_label(pt.period))}</td>'
        f'<td class="value num">{esc(quantity(pt.value, pt.unit, pt.comparator))}</td>'
        f'<td class="num">{_plural(pt.n_sources, "source")}{badges}</td>'
        f'<td class="evidence">{evidence(pt.evidence)}</td></tr>'
    )


def _values_table(points: Iterable[SeriesPoint], colors: dict[str, str]) -> str:
    rows = "".join(_value_row(p, colors) for p in points)
    return (
        '<div class="scroll"><table class="values"><thead><tr><th>Region</th><th>Period</th>'
        '<th class="num">Value</th><th class="num">Sources</th><th>Source sentence</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _recency(pt: SeriesPoint) -> tuple[int, float, str]:
    """Sort key for "latest": a stated period beats an unstated one, later beats earlier."""
    span = period_span(pt.period)
    if span is not None:
        return (1, span.end, pt.evidence.published_on or "")
    return (0, 0.0, pt.evidence.published_on or "")


def latest_points(points: Iterable[SeriesPoint]) -> list[SeriesPoint]:
    """The latest value of each region (a stated period first, then the newest article)."""
    best: dict[str, SeriesPoint] = {}
    for pt in points:
        if pt.region not in best or _recency(pt) > _recency(best[pt.region]):
            best[pt.region] = pt
    return [best[r] for r in sorted(best)]


def _legend(points: Iterable[SeriesPoint], colors: dict[str, str], chart_id: str) -> str:
    names = {p.region: p.region_name for p in points}
    items = "".join(
        f'<li><button type="button" aria-pressed="true" data-chart="{esc(chart_id)}" '
        f'data-series="{esc(r)}">{_swatch(colors.get(r, PALETTE[-1]))}{esc(names[r])}'
        "</button></li>"
        for r in sorted(names)
    )
    return f'<ul class="legend" aria-label="regions (click to hide or show)">{items}</ul>'


def indicator_section(ind: Indicator, colors: dict[str, str], number: int) -> str:
    """One indicator: chart, latest value per region, every value in a fold."""
    chart_id = f"chart-{number}"
    chart = series_chart(ind, colors, chart_id)
    if chart:
        chart = f'<div class="chartscroll">{chart}</div>'
    else:
        chart = '<p class="nochart">No value has a period or a publication date to plot.</p>'
    latest = latest_points(ind.points)
    n_sources = sum(p.n_sources for p in ind.points)
    counts = f"{_plural(len(ind.points), 'value')} from {_plural(n_sources, 'source mention')}"
    every = ""
    if len(ind.points) > len(latest):
        every = (
            f"<details><summary>All {len(ind.points)} values with their sources</summary>"
            f"{_values_table(ind.points, colors)}</details>"
        )
    desc = f'<p class="lede">{esc(ind.description)}</p>' if ind.description else ""
    return (
        f'<section class="block indicator" id="{esc(anchor(ind.indicator_id))}">'
        f"<h2>{esc(ind.name)}</h2>"
        f'<p class="idline"><code>{esc(ind.indicator_id)}</code> · {esc(ind.kind)} · '
        f"{esc(ind.unit)} · {counts}</p>{desc}"
        f'<figure class="chartbox">{chart}{_legend(ind.points, colors, chart_id)}</figure>'
        f"<h3>Latest value per region</h3>{_values_table(latest, colors)}{every}</section>"
    )


def _gap(c: Conflict) -> str:
    top = max(abs(c.value_a), abs(c.value_b))
    if top == 0:
        return ""
    return f"differ by {abs(c.value_a - c.value_b) / top * 100:.1f}%"


def _side(value: float, unit: str, ev: Evidence) -> str:
    big = f'<span class="big">{esc(quantity(value, unit))}</span>'
    return f'<div class="side">{big}{evidence(ev)}</div>'


def conflicts_section(conflicts: tuple[Conflict, ...]) -> str:
    """Each disagreement with both sentences side by side."""
    if not conflicts:
        return (
            '<section class="block" id="conflicts"><h2>Conflicts</h2>'
            '<p class="ok">No two sources disagree by more than 1% in this version.</p></section>'
        )
    body = "".join(
        f'<div class="pair-head"><h3>{esc(c.indicator_name)}</h3>'
        f"{esc(c.region_name)} · {esc(period_label(c.period))} · "
        f'<span class="gap">{esc(_gap(c))}</span></div>'
        f'<div class="pair">{_side(c.value_a, c.unit, c.a)}<div class="vs">≠</div>'
        f"{_side(c.value_b, c.unit, c.b)}</div>"
        for c in conflicts
    )
    return (
        '<section class="block" id="conflicts"><h2>Conflicts</h2>'
        f'<p class="lede">{_plural(len(conflicts), "pair")} of sources that report different '
        "values for the same indicator, region and period. The series keeps the newest "
        f"publication, then the most precise comparator.</p>{body}</section>"
    )


def _coverage_rows(rows: tuple[Coverage, ...]) -> str:
    top_a = max((r.n_articles for r in rows), default=0)
    top_o = max((r.n_observations for r in rows), default=0)
    return "".join(
        f"<tr><td>{esc(r.source_name)}</td><td>{esc(r.year)}</td>"
        f'<td class="num">{r.n_articles}</td><td>{bar(r.n_articles, top_a, ARTICLE_BAR)}</td>'
        f'<td class="num">{r.n_observations}</td>'
        f"<td>{bar(r.n_observations, top_o, OBSERVATION_BAR)}</td></tr>"
        for r in rows
    )


def _outcomes(data: ReportData) -> str:
    if not data.page_outcomes:
        return ""
    items = ", ".join(f"{esc(name)} {n}" for name, n in data.page_outcomes)
    return f"<p>Pages seen by run <code>{esc(data.version.run_id)}</code>, by outcome: {items}.</p>"


def coverage_section(data: ReportData) -> str:
    """Articles and observations per source and publication year."""
    total_a = sum(r.n_articles for r in data.coverage)
    total_o = sum(r.n_observations for r in data.coverage)
    return (
        '<section class="block" id="coverage"><h2>Coverage</h2>'
        '<p class="lede">Articles and the observations taken from them, by source and '
        "by the year the article was published.</p>"
        '<table class="coverage"><thead><tr><th>Source</th><th>Year</th>'
        '<th class="num">Articles</th><th></th><th class="num">Observations</th><th></th>'
        f"</tr></thead><tbody>{_coverage_rows(data.coverage)}</tbody>"
        f'<tfoot><tr><td colspan="2"><b>Total</b></td><td class="num"><b>{total_a}</b></td>'
        f'<td></td><td class="num"><b>{total_o}</b></td><td></td></tr></tfoot></table>'
        f"{_outcomes(data)}</section>"
    )


def unmapped_section(data: ReportData) -> str:
    """How many figures no catalog rule claimed, with a few examples."""
    rows = "".join(
        f'<tr><td class="value">{esc(u["surface"])}</td><td>{esc(u["subject"])}</td>'
        f"<td>{link(u['url'], 'article')}"
        f'<p class="sentence">{marked_sentence(u["sentence"], u["surface"], None)}</p></td></tr>'
        for u in data.unmapped_sample
    )
    sample = ""
    if rows:
        sample = (
            f"<details><summary>The first {len(data.unmapped_sample)}</summary>"
            "<table><thead><tr><th>Figure</th><th>Subject</th><th>Sentence</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div></details>"
        )
    return (
        '<section class="block" id="unmapped"><h2>Unmapped figures</h2>'
        f'<p class="lede"><b>{data.n_unmapped}</b> figures were found in articles but matched '
        "no indicator in the catalog (<code>mart_unmapped_figures</code>); adding a row to "
        f"<code>sql/seeds/indicators.csv</code> turns them into observations.</p>{sample}"
        "</section>"
    )


def _warning(w: dict[str, object]) -> str:
    rows = f" — {esc(w['failing_rows'])} failing rows" if "failing_rows" in w else ""
    sample = json.dumps(w.get("sample", []), ensure_ascii=False, default=str, indent=1)
    if len(sample) > SAMPLE_CHARS:
        sample = sample[:SAMPLE_CHARS] + " …"
    return (
        f"<li><code>{esc(w.get('test', '?'))}</code>{rows}"
        f"<details><summary>sample rows</summary><pre>{esc(sample)}</pre></details></li>"
    )


def warnings_block(data: ReportData) -> str:
    """The warn-level data tests that failed when the version was committed."""
    if not data.version.warnings:
        return '<p class="ok">No data-test warnings in this version.</p>'
    items = "".join(_warning(w) for w in data.version.warnings)
    return (
        f'<div class="callout"><b>{len(data.version.warnings)} data-test warnings</b> '
        f"(recorded when the version was committed):<ul>{items}</ul></div>"
    )


def empty_indicators(indicators: Iterable[Indicator]) -> str:
    """The catalog indicators that have no value yet."""
    names = [i for i in indicators if not i.points]
    if not names:
        return ""
    items = ", ".join(f'<span title="{esc(i.indicator_id)}">{esc(i.name)}</span>' for i in names)
    return (
        '<section class="block" id="no-values"><h2>Indicators without values</h2>'
        f'<p class="lede">No values yet for {_plural(len(names), "catalog indicator")}: '
        f"{items}.</p></section>"
    )
