"""The page around the sections: masthead, contents, key, footer; CSS and JS inlined."""

from __future__ import annotations

from importlib.resources import files

from jjj_etl.report._charts import CONFLICT, PALETTE, region_colors
from jjj_etl.report._data import ReportData
from jjj_etl.report._format import esc, number
from jjj_etl.report._sections import (
    anchor,
    conflicts_section,
    coverage_section,
    empty_indicators,
    indicator_section,
    unmapped_section,
    warnings_block,
)

GENERATED_ID = "generated-at"


def _asset(name: str) -> str:
    return files("jjj_etl.report").joinpath(name).read_text(encoding="utf-8")


def _stat(n: int, label: str, *, alert: bool = False) -> str:
    cls = "stat alert" if alert and n else "stat"
    return (
        f'<div class="{cls}"><span class="n">{number(n)}</span><span class="l">{label}</span></div>'
    )


def _masthead(data: ReportData) -> str:
    v = data.version
    with_values = [i for i in data.indicators if i.points]
    past = ""
    if not v.is_current:
        past = (
            f'<p class="pastversion">This page shows <b>version {v.version_id}</b>, a past '
            "version of the warehouse, as it was when it was committed.</p>"
        )
    stats = "".join(
        (
            _stat(data.n_articles, "articles"),
            _stat(data.n_observations, "observations"),
            _stat(len(with_values), f"of {len(data.indicators)} indicators with values"),
            _stat(sum(len(i.points) for i in data.indicators), "series values"),
            _stat(len(data.conflicts), "conflicts", alert=True),
            _stat(data.n_unmapped, "unmapped figures"),
            _stat(len(v.warnings), "data-test warnings", alert=True),
        )
    )
    return (
        '<header class="masthead"><p class="eyebrow">jjj-etl · warehouse report</p>'
        f'<h1>Beijing–Tianjin–Hebei indicators, version <span id="version">{v.version_id}</span>'
        "</h1>"
        '<p class="dek">Figures read from news about the Jing-Jin-Ji region, each traced to the '
        "article and the sentence it came from.</p>"
        f'<ul class="meta"><li>Version <b>{v.version_id}</b></li>'
        f"<li>Committed <b>{esc(v.committed_at)}</b></li>"
        f"<li>Code <b>{esc(v.code_version)}</b></li>"
        f"<li>Parser <b>{esc(v.parser_version)}</b></li>"
        f"<li>Run <code>{esc(v.run_id)}</code></li></ul>{past}"
        f'<div class="stats">{stats}</div>{warnings_block(data)}</header>'
    )


def _toc(data: ReportData) -> str:
    items = "".join(
        f'<li><a href="#{esc(anchor(i.indicator_id))}">{esc(i.name)}</a></li>'
        for i in data.indicators
        if i.points
    )
    fixed = "".join(
        f'<li><a href="#{a}">{label}</a></li>'
        for a, label in (("conflicts", "Conflicts"), ("coverage", "Coverage"))
    )
    return f'<nav class="toc"><p class="eyebrow">Contents</p><ol>{items}{fixed}</ol></nav>'


def _key() -> str:
    c = PALETTE[0]

    def icon(body: str) -> str:
        return f'<svg width="30" height="16" viewBox="0 0 30 16" aria-hidden="true">{body}</svg>'

    items = (
        (icon(f'<circle cx="15" cy="8" r="4" fill="{c}" stroke="{c}"/>'), "one source"),
        (icon(f'<circle cx="15" cy="8" r="7" fill="{c}" stroke="{c}"/>'), "more sources (×n)"),
        (
            icon(f'<circle cx="15" cy="8" r="4" fill="#fff" stroke="{c}" stroke-width="2"/>'),
            "period not stated: placed at the article's date",
        ),
        (
            icon(f'<path d="M2 8H26" stroke="{c}" stroke-width="5" stroke-opacity=".35"/>'),
            "a multi-year period (e.g. 2013–2024)",
        ),
        (
            icon(
                f'<circle cx="15" cy="8" r="6" fill="none" stroke="{CONFLICT}" '
                'stroke-dasharray="3 2" stroke-width="2"/>'
            ),
            "sources disagree",
        ),
    )
    lis = "".join(f"<li>{svg}{label}</li>" for svg, label in items)
    return f'<ul class="key" aria-label="how to read the charts">{lis}</ul>'


def render(data: ReportData, generated_at: str) -> str:
    """The whole page as one self-contained HTML document."""
    colors = region_colors(p.region for i in data.indicators for p in i.points)
    sections = "".join(
        indicator_section(ind, colors, n)
        for n, ind in enumerate((i for i in data.indicators if i.points), start=1)
    )
    title = f"jjj-etl report · version {data.version.version_id}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title>"
        f'<meta name="jjj-version" content="{data.version.version_id}">'
        f"<style>{_asset('report.css')}</style></head><body><main>"
        f"{_masthead(data)}{_toc(data)}{_key()}{sections}"
        f"{empty_indicators(data.indicators)}"
        f"{conflicts_section(data.conflicts)}{coverage_section(data)}{unmapped_section(data)}"
        "<footer><p>Written by <code>jjj-etl report</code> from the warehouse alone; the page "
        "needs no network. Everything above is the same for the same version.</p>"
        f'<p class="generated" id="{GENERATED_ID}">Generated at {esc(generated_at)}</p>'
        f"</footer></main><script>{_asset('report.js')}</script></body></html>\n"
    )
