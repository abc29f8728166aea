"""Text helpers for the report: numbers, periods, escaped sentences, safe links.

Everything that comes out of the warehouse is untrusted article text; the helpers here
return HTML that is already escaped, so callers never paste raw strings into the page.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https", "file"})
COMPARATOR_SIGNS = {"=": "", ">": "> ", ">=": "≥ ", "<": "< ", "<=": "≤ ", "~": "≈ "}
SCALES = ((1e12, "trillion", "tn"), (1e9, "billion", "bn"), (1e6, "million", "m"))
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def esc(text: object) -> str:
    """``html.escape`` for any value; None becomes an empty string."""
    return "" if text is None else html.escape(str(text), quote=True)


def number(value: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, thousands separators, no trailing zeros.

    >>> number(84.37), number(28000.0), number(0.5), number(1234567.0)
    ('84.37', '28,000', '0.5', '1,235,000')
    """
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    rounded = round(value, digits - 1 - magnitude)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity(value: float | None, unit: str | None, comparator: str | None = "=") -> str:
    """A value with its unit for people: ``84.37 billion CNY``, ``12.7%``, ``> 28,000``.

    >>> quantity(84_370_000_000, "CNY", "=")
    '84.37 billion CNY'
    >>> quantity(12.7, "%", "~"), quantity(5800, "count", ">")
    ('≈ 12.7%', '> 5,800')
    """
    if value is None:
        return "—"
    sign = COMPARATOR_SIGNS.get(comparator or "=", f"{comparator} ")
    if unit == "%":
        return f"{sign}{number(value)}%"
    if unit == "count":
        return f"{sign}{number(value)}"
    for threshold, word, _ in SCALES:
        if abs(value) >= threshold:
            return f"{sign}{number(value / threshold)} {word} {unit or ''}".rstrip()
    return f"{sign}{number(value)} {unit or ''}".rstrip()


def tick_scale(values: list[float]) -> tuple[float, str]:
    """One divisor and suffix for a set of axis ticks (``1e9, 'bn'`` for billions)."""
    top = max((abs(v) for v in values), default=0.0)
    for threshold, _, short in SCALES:
        if top >= threshold:
            return threshold, short
    if top >= 1e4:
        return 1e3, "k"
    return 1.0, ""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a period sits on a time axis, in fractional years: ``start`` to ``end``."""

    start: float
    end: float
    is_range: bool


def _point_span(text: str) -> tuple[float, float] | None:
    match = _PERIOD.match(text.strip())
    if match is None:
        return None
    year = int(match[1])
    month, day = (int(g) if g else None for g in match.groups()[1:])
    if month is None:
        return float(year), float(year + 1)
    if not 1 <= month <= 12:
        return None
    if day is None:
        return year + (month - 1) / 12, year + month / 12
    try:
        frac = (date(year, month, day) - date(year, 1, 1)).days / 365.25
    except ValueError:
        return None
    return year + frac, year + frac + 1 / 365.25


def period_span(period: str | None) -> Span | None:
    """Place an ISO 8601 period (``2024``, ``2024-06``, ``2024-06-30``, ``2013/2024``).

    >>> period_span("2024")
    Span(start=2024.0, end=2025.0, is_range=False)
    >>> period_span("2013/2024")
    Span(start=2013.0, end=2025.0, is_range=True)
    >>> period_span("sometime") is None
    True
    """
    if not period:
        return None
    first, _, last = period.partition("/")
    a = _point_span(first)
    b = _point_span(last) if last else a
    if a is None or b is None or b[1] < a[0]:
        return None
    return Span(a[0], b[1], bool(last))


def date_position(iso: str | None) -> float | None:
    """A publication date (``2025-03-28``) as a fractional year, or None."""
    span = _point_span(iso[:10]) if iso else None
    return None if span is None else span[0]


def period_label(period: str | None) -> str:
    """How a period reads in a table: ``2013–2024`` for a range, ``not stated`` for null."""
    if not period:
        return "not stated"
    return period.replace("/", "–")


def safe_href(url: str | None) -> str | None:
    """The URL escaped for an ``href``, or None when its scheme is not http(s)/file.

    >>> safe_href("javascript:alert(1)") is None
    True
    """
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return esc(url.strip()) if scheme in SAFE_SCHEMES else None


def link(url: str | None, text: str) -> str:
    """An escaped link to an article (or the escaped text alone when the URL is unsafe)."""
    href = safe_href(url)
    label = esc(text)
    if href is None:
        return label
    return f'<a href="{href}" rel="noopener noreferrer">{label}</a>'


def marked_sentence(sentence: str | None, surface: str | None, offset: int | None) -> str:
    """The sentence, escaped, with the figure's surface wrapped in ``<mark>``.

    ``offset`` is the surface's position inside the sentence when known; otherwise the
    first occurrence of the surface is marked (or nothing, if it is not there).

    >>> marked_sentence("Up <b>12.7%</b> in 2024.", "12.7%", None)
    'Up &lt;b&gt;<mark>12.7%</mark>&lt;/b&gt; in 2024.'
    """
    text = sentence or ""
    if not surface:
        return esc(text)
    at = offset if offset is not None and text[offset : offset + len(surface)] == surface else -1
    if at < 0:
        at = text.find(surface)
    if at < 0:
        return esc(text)
    end = at + len(surface)
    return f"{esc(text[:at])}<mark>{esc(text[at:end])}</mark>{esc(text[end:])}"
