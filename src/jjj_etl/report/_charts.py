"""Inline SVG charts, drawn in Python: one time series per indicator, small bars.

The time axis is in fractional years.  A period covers a span (``2024`` is the whole
year, ``2025-01/2025-06`` half of one, ``2013/2024`` twelve years); a single-period value
is a marker at the middle of its span, a range is a bar across it with the marker at its
end, and a value with no stated period is a hollow marker at its article's publication
date.  Marker size grows with the number of sources; a red ring marks a conflict.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from jjj_etl.report._data import Indicator, SeriesPoint
from jjj_etl.report._format import (
    date_position,
    esc,
    number,
    period_label,
    period_span,
    quantity,
    tick_scale,
)

WIDTH, HEIGHT = 760, 250
LEFT, RIGHT, TOP, BOTTOM = 68, 24, 28, 36
PALETTE = (
    "#1f6fb2",  # blue
    "#d9622b",  # vermilion
    "#2a9d6f",  # green
    "#b2457f",  # purple
    "#c99a06",  # ochre
    "#4aa3c8",  # sky
    "#6b6b6b",  # grey
    "#8c5a2b",  # brown
)
CONFLICT = "#c8102e"
DODGE_PX = 7.0


@dataclass(frozen=True, slots=True)
class _Placed:
    point: SeriesPoint
    start: float
    end: float
    at: float  # where the marker goes
    is_range: bool
    undated: bool


def region_colors(regions: Iterable[str]) -> dict[str, str]:
    """A stable colour per region id, the same in every chart of the page."""
    return {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(sorted(set(regions)))}


def _place(point: SeriesPoint) -> _Placed | None:
    span = period_span(point.period)
    if span is not None:
        at = span.end if span.is_range else (span.start + span.end) / 2
        return _Placed(point, span.start, span.end, at, span.is_range, undated=False)
    when = date_position(point.evidence.published_on)
    if when is None:
        return None
    return _Placed(point, when, when, when, is_range=False, undated=True)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``lo``..``hi`` (about ``count`` of them).

    >>> nice_ticks(0, 84.37)
    [0.0, 25.0, 50.0, 75.0, 100.0]
    """
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count - 1)
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    n = round((last - first) / step)
    return [round(first + i * step, 12) + 0.0 for i in range(n + 1)]


class _Frame:
    """Data → pixel mapping for one chart."""

    def __init__(self, placed: list[_Placed]) -> None:
        self.x0 = math.floor(min(p.start for p in placed))
        self.x1 = max(self.x0 + 1, math.ceil(max(p.end for p in placed) - 1e-9))
        values = [p.point.value for p in placed]
        values += [v for p in placed for v in (p.point.min_value, p.point.max_value) if v]
        self.ticks = nice_ticks(min(0.0, *values), max(0.0, *values))

    def x(self, year: float) -> float:
        return LEFT + (year - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        lo, hi = self.ticks[0], self.ticks[-1]
        return TOP + (hi - value) / (hi - lo) * (HEIGHT - TOP - BOTTOM)


def _axes(frame: _Frame, unit: str) -> list[str]:
    out: list[str] = []
    divisor, suffix = tick_scale(frame.ticks)
    for t in frame.ticks:
        y = frame.y(t)
        cls = "grid zero" if t == 0 else "grid"
        out.append(f'<path class="{cls}" d="M{LEFT} {y:.1f}H{WIDTH - RIGHT}"/>')
        label = number(t / divisor, 3) + suffix if t else "0"
        out.append(f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">')
        out.append(f"{esc(label)}</text>")
    out.append(f'<text class="unit" x="{LEFT - 8}" y="{TOP - 12}" text-anchor="end">')
    out.append(f"{esc(unit)}</text>")
    years = frame.x1 - frame.x0
    step = max(1, math.ceil(years / 12))
    base = HEIGHT - BOTTOM
    for year in range(frame.x0, frame.x1 + 1):
        x = frame.x(year)
        out.append(f'<path class="yeartick" d="M{x:.1f} {TOP}V{base + 6}"/>')
        if year < frame.x1 and (year - frame.x0) % step == 0:
            mid = frame.x(year + 0.5)
            out.append(f'<text class="tick" x="{mid:.1f}" y="{base + 22}" text-anchor="middle">')
            out.append(f"{year}</text>")
    if years <= 2:
        for month in range(years * 12):
            x = frame.x(frame.x0 + month / 12)
            out.append(f'<path class="monthtick" d="M{x:.1f} {base}V{base + 4}"/>')
    out.append(f'<path class="axis" d="M{LEFT} {base}H{WIDTH - RIGHT}"/>')
    return out


def _tooltip(p: _Placed) -> str:
    pt = p.point
    when = f"published {pt.evidence.published_on}" if p.undated else period_label(pt.period)
    sources = f"{pt.n_sources} source" + ("s" if pt.n_sources != 1 else "")
    spread = ""
    if pt.min_value is not None and pt.max_value is not None and pt.min_value != pt.max_value:
        spread = (
            f"; sources range {quantity(pt.min_value, pt.unit)}–{quantity(pt.max_value, pt.unit)}"
        )
    conflict = "; sources disagree" if pt.has_conflict else ""
    value = quantity(pt.value, pt.unit, pt.comparator)
    text = f"{pt.region_name}, {when}: {value} ({sources}{spread}{conflict})"
    return f"<title>{esc(text)}</title>"


def _marker(frame: _Frame, p: _Placed, dx: float, color: str) -> list[str]:
    pt = p.point
    x, y = frame.x(p.at) + dx, frame.y(pt.value)
    out: list[str] = []
    if p.is_range:
        x0, x1 = frame.x(p.start), frame.x(p.end)
        out.append(f'<path class="range" stroke="{color}" d="M{x0:.1f} {y:.1f}H{x1:.1f}"/>')
        out.append(f'<path class="cap" stroke="{color}" d="M{x0:.1f} {y - 5:.1f}v10"/>')
        x = x1 + dx
    if pt.min_value is not None and pt.max_value is not None and pt.min_value != pt.max_value:
        ya, yb = frame.y(pt.min_value), frame.y(pt.max_value)
        out.append(f'<path class="whisker" stroke="{color}" d="M{x:.1f} {ya:.1f}V{yb:.1f}"/>')
    r = 4.0 + 1.6 * min(pt.n_sources - 1, 5)
    fill = "#fff" if p.undated else color
    if pt.has_conflict:
        out.append(f'<circle class="conflict" cx="{x:.1f}" cy="{y:.1f}" r="{r + 4:.1f}"/>')
    out.append(
        f'<circle class="marker" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}" '
        f'stroke="{color}">{_tooltip(p)}</circle>'
    )
    if pt.n_sources > 1:
        out.append(f'<text class="nsrc" x="{x + r + 3:.1f}" y="{y - r:.1f}">×{pt.n_sources}</text>')
    return out


def _series(frame: _Frame, placed: list[_Placed], dx: float, color: str) -> list[str]:
    line = sorted((p for p in placed if not p.is_range and not p.undated), key=lambda p: p.at)
    out: list[str] = []
    if len(line) > 1:
        d = "".join(
            f"{'M' if i == 0 else 'L'}{frame.x(p.at) + dx:.1f} {frame.y(p.point.value):.1f}"
            for i, p in enumerate(line)
        )
        out.append(f'<path class="line" stroke="{color}" d="{d}"/>')
    for p in placed:
        out.extend(_marker(frame, p, dx, color))
    return out


def series_chart(indicator: Indicator, colors: dict[str, str], chart_id: str) -> str:
    """An SVG time series of one indicator, one colour per region ("" if nothing placeable)."""
    by_region: dict[str, list[_Placed]] = {}
    for point in indicator.points:
        placed = _place(point)
        if placed is not None:
            by_region.setdefault(point.region, []).append(placed)
    if not by_region:
        return ""
    frame = _Frame([p for ps in by_region.values() for p in ps])
    parts = _axes(frame, indicator.unit or indicator.points[0].unit)
    regions = sorted(by_region)
    for i, region in enumerate(regions):
        dx = (i - (len(regions) - 1) / 2) * DODGE_PX
        color = colors.get(region, PALETTE[-1])
        parts.append(f'<g class="series" data-series="{esc(region)}">')
        parts.extend(_series(frame, by_region[region], dx, color))
        parts.append("</g>")
    title = f"{indicator.name}: values by period and region"
    return (
        f'<svg class="chart" id="{esc(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-t">'
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>{"".join(parts)}</svg>'
    )


def bar(value: int, top: int, color: str, width: int = 160) -> str:
    """A one-bar inline SVG, ``value`` out of ``top``, for table cells."""
    w = 0.0 if top <= 0 else max(1.5 if value else 0.0, value / top * width)
    return (
        f'<svg class="bar" viewBox="0 0 {width} 12" width="{width}" height="12" '
        'aria-hidden="true">'
        f'<rect class="track" x="0" y="1" width="{width}" height="10" rx="2"/>'
        f'<rect x="0" y="1" width="{w:.1f}" height="10" rx="2" fill="{color}"/></svg>'
    )
