"""Time periods named in a sentence, and the period a figure belongs to.

Periods are ISO 8601 strings: ``2024``, ``2024-06``, intervals ``2025-01/2025-06``
(first half), ``2013/2024`` (since 2013).  Relative phrases ("last year", 去年, 今年)
need the publication year; without it they are ignored.  Full dates (28 March 2025,
2025年3月28日) are event dates, not reporting periods, and are not period mentions.
Comparison bases ("from a year earlier", 比上年, 去年同期) are not periods either.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jjj_etl.parse._guard import Alternatives, Haystack, guarded
from jjj_etl.parse._numbers_en import MONTH_RE, MONTHS, parse_en_words
from jjj_etl.parse._numbers_zh import parse_zh_numeral
from jjj_etl.parse._spans import Spans

_YEAR = r"(?:19[5-9]\d|20\d\d)"
_MONTH_FULL = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_ZH_SMALL = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"


@dataclass(frozen=True, slots=True)
class Pub:
    """The publication date as the period rules need it: the year, its month (a month or
    quarter named without a year that has not begun by then, "in December" in a January
    article, is last year's) and the year the article reports on ("全年", "the full year").

    >>> Pub(2025, 1).month, Pub(2025).month_known
    (1, True)
    """

    year: int
    month: int = 12
    month_known: bool = True
    report: int | None = None


def _anchor(pub: Pub | None, last_month: int, span: bool = False) -> int | None:
    """The year of an unyeared month or span of months that ends in ``last_month``.

    A month not yet begun at publication is last year's ("in December" in a January
    article); so is a span of months not yet over ("the first five months", 上半年,
    前三季度 in an article of that span's last month or earlier): its data cannot be out.
    """
    if pub is None:
        return None
    if last_month > pub.month or (span and pub.month_known and last_month >= pub.month):
        return pub.year - 1
    return pub.year


@dataclass(frozen=True, slots=True)
class Mention:
    """A period named at ``start:end``; ``since`` marks "since 2013" (end filled in later)."""

    start: int
    end: int
    period: str
    last_year: int
    since: bool = False
    back: int = 0  # "the past seven years": a span of this many years up to the end


def _year_of(token: str | None, pub: Pub | None) -> int | None:
    """A year from "2024", "this year", "last year", 今年, 去年, 前年 (None if unknown)."""
    if token is None or not token.strip():
        return None if pub is None else pub.year
    t = token.strip().lower().rstrip("年")
    if t.isdigit():
        return int(t)
    if pub is None:
        return None
    if t in {"last year", "去", "上", "the previous year", "previous year"}:
        return pub.year - 1
    if t == "前":
        return pub.year - 2
    return pub.year  # "this year", 今年, 本年


def _months(year: int, first: int, last: int) -> str:
    if first == last:
        return f"{year}-{first:02d}"
    return f"{year}-{first:02d}/{year}-{last:02d}"


def _small(token: str) -> int:
    token = token.strip()
    if token.isdigit():
        return int(token)
    try:
        return int(parse_zh_numeral(token))
    except (ValueError, KeyError):
        return int(parse_en_words(token))


_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_ORD.update({"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4, "首": 1})
_REL_EN = r"(?:this|last|the\s+previous)\s+year"


def _yen(name: str) -> str:
    """Optional English year after a period word: "of 2024", "this year"."""
    return rf"(?:\s+(?:of\s+)?(?P<{name}>{_YEAR}|{_REL_EN}))?"


def _yzh(name: str) -> str:
    """Optional Chinese year before a period word: "2024年", 今年, 去年."""
    return rf"(?:(?P<{name}>{_YEAR}年|今年|去年|上年|前年|本年))?"


class _Norm:
    """A view of a match that folds alternative group names into one key."""

    def __init__(self, m: re.Match[str], **keys: tuple[str, ...]) -> None:
        self._m = m
        self._keys = keys

    def __getitem__(self, key: str) -> str:
        groups = self._m.groupdict()
        for name in self._keys.get(key, (key,)):
            value = groups.get(name)
            if value:
                return str(value)
        return ""


Builder = Callable[[_Norm, Pub | None], tuple[str, int] | None]
Keys = dict[str, tuple[str, ...]]


def _b_half(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    h = m["h"].lower()
    second = h in {"second", "2", "下"}
    year = _year_of(m["y"], pub) if m["y"] else _anchor(pub, 12 if second else 6, span=True)
    if year is None:
        return None
    return _months(year, 7 if second else 1, 12 if second else 6), year


def _b_month_range(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    a = MONTHS.get(m["a"].lower().rstrip("."), 0) if m["a"].isalpha() else _small(m["a"])
    b = MONTHS.get(m["b"].lower().rstrip("."), 0) if m["b"].isalpha() else _small(m["b"])
    year = _year_of(m["y"], pub) if m["y"] else _anchor(pub, b, span=True)
    if year is None or not (1 <= a <= b <= 12):
        return None
    return _months(year, a, b), year


def _b_first_months(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    n = _small(m["n"])
    year = _year_of(m["y"], pub) if m["y"] else _anchor(pub, n, span=True)
    if year is None:
        return None
    return (_months(year, 1, n), year) if 1 < n <= 12 else None


def _b_month(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    raw = m["mo"]
    month = MONTHS.get(raw.lower().rstrip("."), 0) if raw.isalpha() else _small(raw)
    year = _year_of(m["y"], pub) if m["y"] else _anchor(pub, month)
    if year is None:
        return None
    return (f"{year}-{month:02d}", year) if 1 <= month <= 12 else None


def _b_year(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    year = _year_of(m["y"], pub)
    return None if year is None else (str(year), year)


def _b_range_any(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    a, b = m["a"], m["b"]
    if m["rel"]:
        end = _year_of(m["rel"], pub)
        if end is None:
            return None
        b = str(end)
    if int(a) >= int(b):
        return None
    return f"{a}/{b}", int(b)


def _b_plan_any(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    del pub
    words = {"thirteenth": 13, "fourteenth": 14, "fifteenth": 15}
    n = (words.get(m["n"].lower()) or int(m["n"])) if m["n"] else 10 + _small(m["z"][1])
    first = 2016 + 5 * (n - 13)
    return f"{first}/{first + 4}", first + 4


def _b_quarter_any(m: _Norm, pub: Pub | None) -> tuple[str, int] | None:
    q = m["q"]
    if not q:
        return None
    cum = bool(m["cum"]) or q.lower() == "three"
    n = 3 if q.lower() == "three" else _ORD[q.lower()]
    year = _year_of(m["y"], pub) if m["y"] else _anchor(pub, 3 * n, span=True)
    if year is None:
        return None
    return _months(year, 1 if cum else 3 * n - 2, 3 * n), year


_SINCE = (
    re.compile(
        rf"\bsince\s+(?:the\s+(?:start|beginning)\s+of\s+|(?:its|their|the\s+\w+['’]s)\s+\w+\s+in\s+"
        rf"|(?:it|they|the\s+\w+)\s+(?:was|were)\s+(?:set\s+up|\w+ed)\s+in\s+)?(?P<y>{_YEAR})\b"
        rf"|(?:自|从)?(?P<y2>{_YEAR})年(?:以来|至今)|(?:自|从)(?P<y3>{_YEAR})年[\u4e00-\u9fff]{{1,6}}?(?:以来|至今)",
        re.IGNORECASE,
    ),
)
_N_ZH = r"[一二两三四五六七八九十]{1,3}|\d{1,2}"
_N_EN = r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2}"
#: "over the past seven years", "in the last decade", 近五年, 过去十年, 五年来: a span counted
#: back from the end of the passage's data.
_BACK = re.compile(
    rf"\b(?:in|over|during|for|across)\s+the\s+(?:past|last|previous)\s+(?:(?P<n>{_N_EN})\s+years"
    rf"|(?P<dec>decade))\b|(?:近|过去|最近)(?P<n2>{_N_ZH})年(?!前)|(?P<n3>{_N_ZH})年(?:以)?来",
    re.IGNORECASE,
)
_PATTERNS: tuple[tuple[re.Pattern[str], Builder, Keys], ...] = (
    (
        re.compile(
            rf"(?:from|between)\s+(?P<a>{_YEAR})\s+(?:to|and|through)\s+(?P<b>{_YEAR})"
            rf"|(?<!\d)(?P<a2>{_YEAR})\s*(?:年)?\s*(?:-|–|—|~|～|至|到)\s*(?P<b2>{_YEAR})(?!\d)"
            rf"|(?<!\d)(?P<a3>{_YEAR})\s*年?\s*(?:至|到)\s*(?P<rel>去年|今年|上年)(?:底|末)?"
            rf"|\bfrom\s+(?P<a4>{_YEAR})\s+(?:to|through)\s+(?P<rel2>last\s+year|this\s+year)",
            re.IGNORECASE,
        ),
        _b_range_any,
        {"a": ("a", "a2", "a3", "a4"), "b": ("b", "b2"), "rel": ("rel", "rel2")},
    ),
    (
        re.compile(
            r"(?P<n>1[3-5]|thirteenth|fourteenth|fifteenth)(?:th)?\s+Five-Year\s+Plan"
            r"|“?(?P<z>十[三四五])五”?(?:规划|时期|期间|期)"
        ),
        _b_plan_any,
        {},
    ),
    (
        re.compile(
            rf"(?:the\s+)?(?P<h>first|second)\s+half{_yen('y')}|\bH(?P<h2>[12])\s*(?P<y2>{_YEAR})?"
            rf"|{_yzh('y3')}(?P<h3>[上下])半年",
            re.IGNORECASE,
        ),
        _b_half,
        {"h": ("h", "h2", "h3"), "y": ("y", "y2", "y3")},
    ),
    (
        re.compile(
            rf"(?:the\s+)?(?P<cum>first\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th|three)"
            rf"\s+quarters?{_yen('y')}|\bQ(?P<q2>[1-4])\s*(?P<y2>{_YEAR})?"
            rf"|{_yzh('y3')}(?P<cum3>前)?(?:第)?(?P<q3>[一二三四1-4])季度|{_yzh('y4')}(?P<q4>首)季度?",
            re.IGNORECASE,
        ),
        _b_quarter_any,
        {"q": ("q", "q2", "q3", "q4"), "y": ("y", "y2", "y3", "y4"), "cum": ("cum", "cum3")},
    ),
    (
        re.compile(
            rf"(?P<a>{MONTH_RE})\s*(?:-|–|to|through)\s*(?P<b>{MONTH_RE}){_yen('y')}"
            rf"|{_yzh('y2')}(?P<a2>{_ZH_SMALL})\s*(?:-|–|—|~|～|至|到)\s*"
            rf"(?P<b2>{_ZH_SMALL})月(?!\d{{1,2}}日)",
        ),
        _b_month_range,
        {"a": ("a", "a2"), "b": ("b", "b2"), "y": ("y", "y2")},
    ),
    (
        re.compile(
            rf"(?:the\s+)?first\s+(?P<n>\d{{1,2}}|two|three|four|five|six|seven|eight|nine|ten|"
            rf"eleven)\s+months{_yen('y')}|{_yzh('y2')}[前首](?P<n2>{_ZH_SMALL})个?月",
            re.IGNORECASE,
        ),
        _b_first_months,
        {"n": ("n", "n2"), "y": ("y", "y2")},
    ),
    (
        re.compile(
            rf"(?P<mo>{MONTH_RE})(?:,)?\s+(?P<y>{_YEAR})\b"
            rf"|\b(?i:in|of|by|during|for|until|till|through)\s+(?P<mo3>{_MONTH_FULL})\b(?!\s*\d)"
            rf"|{_yzh('y2')}(?P<mo2>\d{{1,2}}|十[一二]?|[一二三四五六七八九])月(?:份|底|末)?"
            r"(?!\s*\d{1,2}\s*[日号])"
        ),
        _b_month,
        {"mo": ("mo", "mo2", "mo3"), "y": ("y", "y2")},
    ),
    (
        re.compile(
            rf"(?<![\d.$¥])(?<!\d,)(?P<y>{_YEAR})(?:\s*年度?|(?![\d%\u3400-\u9fff]))"
            rf"|(?P<y2>this\s+year|last\s+year|今年|去年|前年)"
            rf"|(?<![比较与同])(?P<y3>上年|本年)(?!同期)",
            re.IGNORECASE,
        ),
        _b_year,
        {"y": ("y", "y2", "y3")},
    ),
)


_DATE = re.compile(
    rf"{MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}|\d{{1,2}}\s+{MONTH_RE},?\s+{_YEAR}"
    rf"|{_YEAR}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]|{_YEAR}[-/.]\d{{1,2}}[-/.]\d{{1,2}}"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]|" + MONTH_RE + r"\s+\d{1,2}\b"
)
_BASE = re.compile(
    r"(?:from|than|over|compared\s+(?:with|to)|versus)\s+(?:in\s+)?(?:the\s+same\s+period\s+(?:of\s+)?)?"
    r"(?:a\s+year\s+(?:earlier|ago)|last\s+year|the\s+previous\s+year|" + _YEAR + r"(?![\d%])"
    r"|the\s+(?:first|second|third|fourth|previous|preceding|last|same)\s+(?:half|quarter|month)"
    r"(?:\s+of\s+(?:the\s+year|" + _YEAR + r"|last\s+year))?"
    r"|(?:the\s+)?(?:previous|preceding|last)\s+(?:month|quarter)|"
    + _MONTH_FULL
    + r"(?!\s*(?:-|–|to|through|and)\s*[A-Z]))"
    r"(?!\s+(?:to|and|through)\s+\d)"
    r"|(?:same\s+period\s+(?:of\s+)?last\s+year)|(?:去年|上年)同期|(?:比|较|与|是)(?:"
    + _YEAR
    + r"年(?:底|末)?|去年|上年|前三季度|[一二三四1-4]季度|上半年|上季度|上月|上年[末底])"
    r"(?:同期)?"
    r"|the\s+(?:figure|level|number|total)\s+(?:in|of|for)\s+"
    + _YEAR
    + r"|(?:the|a|an)\s+"
    + _YEAR
    + r"\s+(?:version|model|(?:Winter\s+|Summer\s+)?(?:Olympics|Olympic|Paralympics|Games"
    r"|World\s+Cup))\b"
    r"|(?:than|from|over|with)\s+(?:that\s+of\s+|those\s+of\s+)?the\s+"
    + _YEAR
    + r"\s+(?:edition|session|event|forum|fair|expo)\b",
    re.IGNORECASE,
)
# A year naming an edition ("the 2025 Zhongguancun Forum") is the period of that edition's
# figures (deals signed, guests), so it stays a period mention.
#: The full year, the year end, 全年, 年末: the year the article reports on.
_FULL_YEAR = re.compile(
    r"(?<![今去上本前明\d])(?:全年|年末|年底|年初)(?!度?目标|计划)"
    r"|\b(?:for\s+the\s+(?:full|whole)\s+year|the\s+(?:full|whole)\s+year|(?:at|by)\s+the\s+end\s+of\s+the\s+year"
    r"|full-year|year-end)\b(?!\s+(?:of|target|goal|plan))",
    re.IGNORECASE,
)
#: Years that date an event ("founded in 2012", "which opened in 2023"), not a reporting period.
_EVENT = re.compile(
    r"\b(?:founded|established|set\s+up|opened|launched|built|completed|started|began|held"
    r"|approved|proposed|listed|unveiled|inaugurated|introduced|created)\s+"
    r"(?:(?:on|in)\s+" + MONTH_RE + r"(?:\s+\d{1,2})?,?\s+|in\s+)" + _YEAR + r"\b"
    r"|(?:成立|设立|建成|开通|启动|创办|举办|提出)于" + _YEAR + r"年",
    re.IGNORECASE,
)


#: An event held over a run of days ("4月25日至29日", "April 25-29", "from Sept. 29 to Oct. 6")
#: is the period of its figures, at month precision.
_DAY_RANGE = re.compile(
    rf"(?:(?P<y>{_YEAR})年)?(?P<m1>\d{{1,2}})月(?P<d1>\d{{1,2}})日\s*(?:至|到|-|—|–|~|～)\s*"
    rf"(?:(?P<m2>\d{{1,2}})月)?(?P<d2>\d{{1,2}})日"
    rf"|(?:from\s+)?(?P<mo1>{MONTH_RE})\s+(?P<e1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|through|until)\s*"
    rf"(?:(?P<mo2>{MONTH_RE})\s+)?(?P<e2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>{_YEAR}))?",
    re.IGNORECASE,
)
#: Public holidays, the months they fell in (the official schedules): a holiday's figures
#: ("tourist visits during the National Day holiday") are for those months.
_HOLIDAY_MONTHS: dict[str, dict[int, tuple[int, int]]] = {
    "spring": {
        2019: (2, 2),
        2020: (1, 2),
        2021: (2, 2),
        2022: (1, 2),
        2023: (1, 1),
        2024: (2, 2),
        2025: (1, 2),
        2026: (2, 2),
        2027: (2, 2),
    },
    "may": {2022: (4, 5), 2023: (4, 5)},
    "national": {2023: (9, 10)},
}
_HOLIDAY_DEFAULT = {"spring": (2, 2), "may": (5, 5), "national": (10, 10)}
_HOLIDAY = re.compile(
    r"(?P<spring>Spring\s+Festival|(?:Chinese|Lunar)\s+New\s+Year|春节)(?:\s+holidays?|假期|黄金周|长假|期间)"
    r"|(?P<may>May\s+Day|Labou?r\s+Day|五一|劳动节)(?:\s+holidays?|假期|小长假|黄金周|期间)"
    r"|(?P<national>National\s+Day|国庆)(?:\s+(?:and\s+Mid-Autumn\s+Festival\s+)?(?:holidays?|Golden\s+Week)"
    r"|假期|黄金周|长假|期间)",
    re.IGNORECASE,
)


def _day_range(m: re.Match[str], pub: Pub | None) -> tuple[str, int] | None:
    if m["m1"]:
        a, b = int(m["m1"]), int(m["m2"] or m["m1"])
    else:
        a = MONTHS.get(m["mo1"].lower().rstrip("."), 0)
        b = MONTHS.get(m["mo2"].lower().rstrip("."), 0) if m["mo2"] else a
    explicit = m["y"] or m["y2"]
    year = int(explicit) if explicit else _anchor(pub, b)
    if year is None or not (1 <= a <= b <= 12):
        return None
    return _months(year, a, b), year


def _holiday(m: re.Match[str], pub: Pub | None) -> tuple[str, int] | None:
    name = next(k for k in ("spring", "may", "national") if m[k])
    first, last = _HOLIDAY_DEFAULT[name]
    year = _anchor(pub, first)
    if year is None:
        return None
    first, last = _HOLIDAY_MONTHS[name].get(year, (first, last))
    return _months(year, first, last), year


# each pattern runs over a whole article: a first-character test spares most places
_DAY_RANGE, _HOLIDAY, _DATE, _BASE, _BACK, _EVENT, _FULL_YEAR = map(
    guarded, (_DAY_RANGE, _HOLIDAY, _DATE, _BASE, _BACK, _EVENT, _FULL_YEAR)
)
_SINCE = (guarded(_SINCE[0]),)
_PATTERNS = tuple((guarded(rx), build, keys) for rx, build, keys in _PATTERNS)


#: Every pattern find_mentions reads, in the order it reads them (the index runs each once).
_INDEXED = (
    _DAY_RANGE,
    _HOLIDAY,
    _DATE,
    _BASE,
    _SINCE[0],
    _BACK,
    _EVENT,
    _FULL_YEAR,
    *(rx for rx, _, _ in _PATTERNS),
)

#: The same patterns, each run over a text without the alternatives that cannot match in it.
_INDEXED_ALTERNATIVES = tuple(Alternatives(rx) for rx in _INDEXED)

Window = dict[re.Pattern[str], list[re.Match[str]]]


class PeriodIndex:
    """Every period pattern's matches over one text, merged into one list sorted by start and
    found on first use: an article's sentences are all read from the same text, so each
    pattern runs over it once, and a sentence finds its share of all of them with one
    bisection (:meth:`window`), not one per pattern.

    Built by the caller for the text it reads (the body, the headline) and passed down.
    """

    __slots__ = ("_ends", "_matches", "_patterns", "_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._ends: list[int] = []
        self._patterns: list[re.Pattern[str]] = []
        self._matches: list[re.Match[str]] = []

    def _build(self) -> list[int]:
        hay = Haystack(self.text)
        found = [
            (m.start(), n, m)
            for n, alternatives in enumerate(_INDEXED_ALTERNATIVES)
            if (rx := alternatives.for_text(hay)) is not None
            for m in rx.finditer(self.text)
        ]
        found.sort(key=lambda x: (x[0], x[1]))  # by start; a pattern's own order is kept
        self._ends = [m.end() for _, _, m in found]
        self._patterns = [_INDEXED[n] for _, n, _ in found]
        self._matches = [m for _, _, m in found]
        self._starts = [start for start, _, _ in found]
        return self._starts

    def window(self, lo: int, hi: int) -> Window:
        """Each pattern's matches that lie inside ``text[lo:hi]``, in order; a pattern with
        none there is absent."""
        starts = self._starts if self._starts is not None else self._build()
        ends, patterns, matches = self._ends, self._patterns, self._matches
        out: Window = {}
        for k in range(bisect_left(starts, lo), len(starts)):
            if starts[k] >= hi:
                break
            if ends[k] <= hi:  # one that runs past the span is not inside it
                out.setdefault(patterns[k], []).append(matches[k])
        return out


def find_mentions(  # noqa: C901 - one pass per kind of mention, in priority order
    text: str | PeriodIndex,
    lo: int,
    hi: int,
    pub: Pub | None,
    exclude: tuple[tuple[int, int], ...] = (),
) -> list[Mention]:
    """Period mentions in ``text[lo:hi]``, in text order, without overlaps.

    ``text`` is the text or, to read many spans of one text, its :class:`PeriodIndex`;
    ``exclude`` lists spans (the figures themselves) that cannot be periods.

    >>> [m.period for m in find_mentions("上半年，2024年增长", 0, 11, Pub(2025))]
    ['2025-01/2025-06', '2024']
    """
    index = text if isinstance(text, PeriodIndex) else PeriodIndex(text)
    taken = Spans(exclude)
    found: list[Mention] = []

    def add(m: re.Match[str], got: tuple[str, int] | None, **kw: Any) -> None:
        if got is not None:
            found.append(Mention(m.start(), m.end(), got[0], got[1], **kw))
            taken.add(m.start(), m.end())

    window = index.window(lo, hi)

    def free(rx: re.Pattern[str]) -> Iterable[re.Match[str]]:
        matches = window.get(rx)
        if not matches:  # most patterns have no match in a sentence
            return ()
        taken.seal()  # a new pattern: a new run of spans
        return (m for m in matches if not taken.overlaps(m.start(), m.end()))

    def claim(*rxs: re.Pattern[str]) -> None:
        for rx in rxs:
            taken.seal()
            for m in window.get(rx, ()):
                taken.add(m.start(), m.end())

    for m in free(_DAY_RANGE):
        add(m, _day_range(m, pub))
    for m in free(_HOLIDAY):
        add(m, _holiday(m, pub))
    claim(_DATE, _BASE)
    for m in free(_SINCE[0]):
        year = int(m["y"] or m["y2"] or m["y3"])
        add(m, (str(year), year), since=True)
    for m in free(_BACK):
        n = _years_back(m)
        if n:
            add(m, ("", 0), since=True, back=n)
    claim(_EVENT)
    report = None if pub is None else pub.report
    if report is not None:
        for m in free(_FULL_YEAR):
            add(m, (str(report), report))
    for rx, build, keys in _PATTERNS:
        for m in free(rx):
            add(m, build(_Norm(m, **keys), pub))
    return sorted(found, key=lambda x: x.start)


def _years_back(m: re.Match[str]) -> int:
    """N of "the past N years" (a decade is ten), 0 when it is not a small number."""
    try:
        n = 10 if m["dec"] else _small(m["n"] or m["n2"] or m["n3"])
    except (ValueError, KeyError):
        return 0
    return n if 1 < n <= 50 else 0


def close_since(
    mentions: list[Mention], text: str, pub: Pub | None, context: int | None = None
) -> list[Mention]:
    """Give "since YYYY" mentions their end: the latest other year in the sentence, else the
    year the paragraph is about (``context``), else last/this year."""
    others = [m.last_year for m in mentions if not m.since]
    if others or context:
        end: int | None = max(others) if others else context
    elif pub is not None and _LAST_YEAR.search(text):
        end = pub.year - 1
    else:
        end = None if pub is None else pub.year
    out = []
    for m in mentions:
        if m.back:
            if end:
                out.append(Mention(m.start, m.end, f"{end - m.back}/{end}", end))
            continue
        if m.since:
            period = f"{m.period}/{end}" if end and end > m.last_year else m.period
            out.append(Mention(m.start, m.end, period, end or m.last_year))
        else:
            out.append(m)
    return out


_LAST_YEAR = re.compile(r"last\s+year|去年|上年", re.IGNORECASE)


_TIGHT_AFTER = re.compile(
    r"^\s*(?:[（(][^)）]*[)）]\s*)?,?\s*(?:in|during|for|as\s+of|by(?:\s+the\s+end\s+of)?|at\s+the\s+end\s+of"
    r"|through|over|throughout|until|till)?\s*(?:the\s+)?$",
    re.IGNORECASE,
)


def choose_period(
    text: str,
    mentions: tuple[Mention, ...],
    *,
    start: int,
    end: int,
    left: int,
    right: int,
    zh: bool,
) -> str | None:
    """The period of a figure at ``text[start:end]``; neighbours end at ``left``/``right``.

    English binds "X in 2013" (a period right after the figure) first; both languages then
    take the nearest period between the previous figure and this one ("2013年的3.22%"),
    English then any period after it in the same stretch.  None means: use the sentence's.
    """
    after = [m for m in mentions if end <= m.start and m.end <= right]
    if not zh:
        tight = [m for m in after if _TIGHT_AFTER.match(text[end : m.start])]
        if tight:
            return tight[0].period
    before = [m for m in mentions if left <= m.start and m.end <= start]
    if not zh and left > 0:
        before = [m for m in before if not _TIGHT_AFTER.match(text[left : m.start])]
    if before:
        return before[-1].period
    if after and not zh:
        return after[0].period
    return None
