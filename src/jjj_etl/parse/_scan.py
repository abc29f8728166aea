"""The number tokenizer: one regex pass finds candidate numbers, small readers finish them.

A token is a number with its magnitude, unit and (for ranges) upper bound, already in
base units.  Things that look like numbers but are not figures are masked first
(URLs, phone and ICP numbers, dates, times, versions, list numbering, ordinals,
"No. 5", "Fortune 500") or rejected by what follows them: a duration ("11 years",
"10年来"), a month or day (3月, 28日), an ordinal (11th), a glued letter (5G).
Durations are deliberately not figures: they describe how long something lasted,
not a quantity of the indicator the sentence is about.  A bare four-digit year
(2013, 2024年) is never a figure unless a currency, percent or physical unit follows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from jjj_etl.parse._guard import guarded
from jjj_etl.parse._numbers_en import (
    ARABIC,
    EN_MAGNITUDE_RE,
    EN_NOT_FIGURE,
    EN_WORDS,
    MONTH_RE,
    en_unit,
    magnitude,
    parse_arabic,
    parse_en_words,
)
from jjj_etl.parse._numbers_zh import (
    ZH_FINANCIAL,
    ZH_MAGNITUDE,
    ZH_MAGNITUDE_RE,
    ZH_NOT_FIGURE,
    ZH_NUMERAL,
    parse_zh_numeral,
    parse_zh_range,
    zh_unit,
)
from jjj_etl.parse._spans import Spans


@dataclass(frozen=True, slots=True)
class Token:
    """A number found in the text, in base units."""

    start: int
    end: int
    value: float
    unit: str
    value_high: float | None = None
    comparator: str | None = None  # from inside the span: 3000多家, 十余个
    kind: str | None = None  # forced kind: "doubled", 翻一番 are changes
    explicit_unit: bool = True
    default_kind: str | None = None  # the kind when the words around say nothing ("三成" → share)


#: What is masked, in order (the scan is one alternation of them all; see :func:`_masks`).
#: Three pieces run along every word at every character of it (``\w`` is every CJK
#: character too) and cost most of the scan, yet need text most bodies never hold.
_URL = r"(?:https?://|www\.)\S+"
_EMAIL = r"[\w.+-]++@[\w-]+\.[\w.]+"  # possessive: "@" is not in the run, giving back is futile
_DOMAIN = r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|cn|org|net|gov|edu)\b\S*"
_CODE_NAME = r"[A-Za-z]++-\d+"  # "COVID-19", "Type-2"; possessive as "-" ends the run anyway
_MASK_REST = (
    r"[\u4e00-\u9fff]{0,2}ICP[备证]?\S*?\d+号?(?:-\d+)?|公网安备\s*\d+号?"
    r"|(?:Tel|Phone|Fax|Hotline|电话|传真|热线|手机)\s*[:：]?\s*[\d\-+() ]{6,}"
    r"|(?:\+?86[-\s]?)?\(?0\d{2,3}\)?[-\s]\d{3,4}[-\s]?\d{4}(?:-\d+)?|(?<!\d)1[3-9]\d{9}(?!\d)"
    r"|(?<![\d.])\d{1,2}(?::\d{2}){1,2}(?![\d.])(?:\s*(?:am|pm|a\.m\.|p\.m\.))?"
    r"|(?<![\d.,])\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)(?![A-Za-z])"
    rf"|{MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s*(?:-|–|to|through|and)\s*\d{{1,2}}(?:st|nd|rd|th)?\b)?"
    rf"(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{MONTH_RE}(?:,?\s+\d{{4}})?"
    r"|(?:stock\s+)?code\s*[:：]?\s*\d{6}|\b\d{6}\.(?:SH|SZ|BJ|HK)\b|(?:股票)?代码\s*[:：]?\s*\d{6}"
    r"|\b(?:Page|Photos?|Pictures?|Slides?|Images?)\s*:?\s*\d+\s*(?:/|of)\s*\d+"
    r"|\b(?:aged?|ages)\s+(?:of\s+)?\d+|\b[A-Z][a-z]+,\s*\d{2,3}\s*,(?=\s*(?:has|is|was|who|said)\b)"
    r"|(?:点击|阅读|浏览|评论|点赞|分享|转发)(?:量|数)?\s*[:：]?\s*\d+|\b(?:Views?|Likes?|Shares)\s*:\s*\d+"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
    r"|\b(?:Web|AI|Industry|Version|version|Ver\.?|v|V)\s?\d+(?:\.\d+)+\b|\b\d+(?:\.\d+){2,}\b"
    r"|\b[A-Z][A-Za-z]*\s\d+\.0\b(?!\s*(?:%|per|billion|million|trillion|yuan|times|percentage))"
    r"|第\s*[\d零〇一二两三四五六七八九十百千]+|\d+(?:st|nd|rd|th)\b"
    r"|(?m:^[ \t]*(?:\d{1,2}|[一二三四五六七八九十]+)[ \t]*(?:[.、)）](?!\d)))"
    r"|[（(][ \t]*(?:\d{1,2}|[一二三四五六七八九十]+)[ \t]*[)）]"
    r"|\b(?:No|Nos|Article|Section|Chapter|Phase|Line|Room|Hall|Gate|Building|Booth|Route|Exit"
    r"|Platform|Terminal|Level|Grade|Class|Stage|Round|Season|Episode|Vol|Volume|Issue|Item"
    r"|Clause|Paragraph|Page|Figure|Table|Fortune(?:\s+Global)?|Global|Top|top)\.?\s*#?\d+"
    r"|\d+\s*Comment\(?s?\)?|\d+\s*强|#\d+|十[三四五]五"
)
#: Each costly piece, with what a text must hold for it to match anywhere in it.
_NEEDS: tuple[tuple[str, re.Pattern[str] | str], ...] = (
    (_EMAIL, "@"),
    (_DOMAIN, re.compile(r"\.(?:com|cn|org|net|gov|edu)\b")),
    (_CODE_NAME, re.compile(r"(?<=[A-Za-z])-\d")),
)
#: Digits mixed with Chinese magnitudes: "5万4千6百", "3亿5000万", "1万2千".
_MIXED = r"(?<![\d.A-Za-z])\d+[亿万千百](?:\d+[亿万千百十])+\d*(?![\d.])"
_CORE = re.compile(
    rf"(?P<mx>{_MIXED})|(?P<ar>(?:(?<![\d.A-Za-z])|(?<=Rmb)|(?<=RMB)|(?<=CNY)|(?<=USD)|(?<=HKD)|(?<=EUR))"
    rf"(?<!\d,)(?:{ARABIC}))|(?P<zh>{ZH_NUMERAL})"
    rf"|(?P<en>\b(?:{EN_WORDS})\b)",
    re.IGNORECASE,
)
_MIXED_PART = re.compile(r"(\d+)([亿万千百十]?)")
_SECTION = {"千": 1000, "百": 100, "十": 10, "": 1}


def parse_mixed(raw: str) -> float:
    """The value of digits mixed with Chinese magnitudes ("5万4千6百" → 54600).

    >>> parse_mixed("5万4千6百"), parse_mixed("3亿5000万")
    (54600.0, 350000000.0)
    """
    total, section = 0, 0
    for digits, mag in _MIXED_PART.findall(raw):
        n = int(digits)
        if mag == "亿":
            total = (total + section + n) * 100_000_000
            section = 0
        elif mag == "万":
            total += (section + n) * 10_000
            section = 0
        else:
            section += n * _SECTION[mag]
    return float(total + section)


_SPECIALS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"翻(?:了)?(?:(?P<n>[一两二三四])番|番)"), "fan"),
    (re.compile(r"\b(?P<w>doubled|tripled|trebled|quadrupled)\b", re.IGNORECASE), "mult"),
    (
        re.compile(
            r"\b(?P<n>two|three|four|five|six|seven|eight|nine|ten|twenty|hundred)-?fold\b",
            re.IGNORECASE,
        ),
        "fold",
    ),
    (
        re.compile(
            r"\b(?P<w>hundreds|thousands|millions|tens\s+of\s+thousands)(?=\s+of\s+(?!yuan\b|dollars\b"
            r"|euros\b|US\b|U\.S\.|square|tons\b|tonnes\b|kilomet|hectares\b)[a-z])",
            re.IGNORECASE,
        ),
        "vague",
    ),
    (re.compile(rf"百分之(?P<n>{ZH_NUMERAL}|\d+(?:\.\d+)?)"), "pct"),
    (
        re.compile(
            r"(?<![零〇一二两三四五六七八九十])(?P<n>[一二两三四五六七八九](?:点[一二三四五六七八九])?)成"
            r"(?![为立功本长果绩员交熟就都市型品效像套批群片了不])"
        ),
        "cheng",
    ),
    (
        re.compile(
            r"\b(?P<a>one|a|two|three|four)[- ](?P<b>third|quarter|fifth|tenth)s?\b(?=\s+of\b)",
            re.IGNORECASE,
        ),
        "frac",
    ),
)
# each of these runs over the whole text: a first-character test spares most places
_CORE = guarded(_CORE)
_SPECIALS = tuple((guarded(rx), kind) for rx, kind in _SPECIALS)


@functools.cache
def _mask_pattern(left_out: frozenset[str]) -> re.Pattern[str]:
    pieces = (_URL, _EMAIL, _DOMAIN, _MASK_REST, _CODE_NAME)
    return guarded(re.compile("|".join(p for p in pieces if p not in left_out)))


def _masks(t: str) -> re.Pattern[str]:
    """The mask scan for ``t``: without the costly pieces that cannot match anywhere in it.

    A piece that matches nowhere in a text takes no part in the alternation's matches there
    (the others are tried in the same order at the same places), so the spans are the same.
    """
    left_out = frozenset(
        piece
        for piece, need in _NEEDS
        if (need not in t if isinstance(need, str) else need.search(t) is None)
    )
    return _mask_pattern(left_out)


#: The whole mask scan, every piece in (what :func:`_masks` gives a text that holds them all).
_MASKS = _mask_pattern(frozenset())
_MULT = {"doubled": 2.0, "tripled": 3.0, "trebled": 3.0, "quadrupled": 4.0}
_VAGUE = {"hundreds": 1e2, "thousands": 1e3, "millions": 1e6}
_FOLD_WORDS = {"twenty": 20.0, "hundred": 100.0}
_FRAC = {"third": 3, "quarter": 4, "fifth": 5, "tenth": 10}
_EN_MAG = re.compile(EN_MAGNITUDE_RE, re.IGNORECASE)
_ZH_MAG = re.compile(ZH_MAGNITUDE_RE)
_APPROX = re.compile(r"[多余]")
_RANGE = re.compile(r"[ \t]*(?:-|–|—|~|～|至|到|to)[ \t]*", re.IGNORECASE)
_AND = re.compile(r"[ \t]+and[ \t]+")
_PREFIX = re.compile(r"(?:US\$|HK\$|NT\$|S\$|A\$|[$¥￥€£]|RMB|Rmb|CNY|USD|HKD|EUR)[ \t]?\Z")
_PREFIX_UNIT = {"US$": "USD", "HK$": "HKD", "NT$": "TWD", "S$": "SGD", "A$": "AUD", "$": "USD"}
_PREFIX_UNIT.update({"¥": "CNY", "￥": "CNY", "€": "EUR", "£": "GBP", "RMB": "CNY", "Rmb": "CNY"})
_PREFIX_UNIT.update({"CNY": "CNY", "USD": "USD", "HKD": "HKD", "EUR": "EUR"})
_ZH_COMPARATOR_CHAR = "逾超近约上"
_NOT_COUNTED = re.compile(
    r"(?:^|[ \t(\n])(?:the|these|those|its|their|our|all|every|of)[ \t]*$", re.IGNORECASE
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_COUNT_NOUN = re.compile(r"[ \t]+(?:[A-Za-z][\w'’-]*[ \t]+){0,3}[A-Za-z][\w'’-]*[a-z]s\b")
#: Capitalised words before a number that do not make it a name ("Some 120", "About 40,000").
_LEADERS = frozenset(
    [
        "some",
        "about",
        "around",
        "nearly",
        "almost",
        "over",
        "more",
        "beyond",
        "roughly",
        "approximately",
        "under",
        "fewer",
        "less",
        "only",
        "just",
        "another",
        "the",
        "its",
        "their",
        "these",
        "those",
        "up",
        "down",
        "with",
        "and",
        "of",
        "in",
        "by",
        "at",
        "to",
        "from",
        "since",
        "another",
        "estimated",
        "an",
        "a",
        "close",
        "upwards",
        "all",
        "total",
        "exactly",
        "at",
        "least",
    ]
)


@dataclass(frozen=True, slots=True)
class _Part:
    value: float
    end: int
    mag: float
    unit: str | None
    unit_mult: float
    approx: bool
    kind: str  # "ar", "zh", "en", "mx"
    high: float | None = None  # a Chinese numeral range ("二三十": 20 to 30)


def _read_part(t: str, m: re.Match[str]) -> _Part:
    kind = m.lastgroup or "ar"
    raw = m.group()
    high = None
    if kind == "ar":
        value = parse_arabic(raw)
    elif kind == "mx":
        value = parse_mixed(raw)
    elif kind == "zh":
        if any(c in ZH_FINANCIAL for c in raw) and len(raw) < 2:
            raise ValueError(f"a lone financial numeral is a name: {raw!r}")  # 陆家嘴, 伍先生
        span = parse_zh_range(raw)
        value, high = span if span else (parse_zh_numeral(raw), None)
    else:
        value = parse_en_words(raw)
    pos = m.end()
    mag = 1.0
    zm = _ZH_MAG.match(t, pos) if kind == "ar" else None
    em = _EN_MAG.match(t, pos) if zm is None and kind in {"ar", "en"} else None
    if zm:
        mag, pos = ZH_MAGNITUDE[zm.group()], zm.end()
    elif em:
        mag, pos = magnitude(em.group()), em.end()
    approx = bool(_APPROX.match(t, pos)) and kind != "en"
    if approx:
        pos += 1
        late = _ZH_MAG.match(t, pos) if mag == 1.0 and kind in {"ar", "zh"} else None
        if late:  # 8000多亿元, 十余万人
            mag, pos = ZH_MAGNITUDE[late.group()], late.end()
    unit = zh_unit(t, pos) or (en_unit(t, pos) if kind in {"ar", "en"} else None)
    if unit is None:
        return _Part(value, pos, mag, None, 1.0, approx, kind, high)
    return _Part(value, unit[2], mag, unit[0], unit[1], approx, kind, high)


def _prefix(t: str, start: int) -> tuple[int, str | None]:
    m = _PREFIX.search(t, max(0, start - 4), start)
    if m is None:
        return start, None
    return m.start(), _PREFIX_UNIT[m.group().strip()]


def _range(t: str, first: _Part, prefixed: bool = False) -> _Part | None:
    """The upper end of a range such as "3 to 5 billion yuan" or "3%-5%", if any."""
    sep = _RANGE.match(t, first.end)
    if sep is None and re.search(r"\bbetween\s+\S*$", t[max(0, first.end - 40) : first.end], re.I):
        sep = _AND.match(t, first.end)
    if sep is None:
        return None
    cur = _PREFIX_AHEAD.match(t, sep.end())
    nxt = _CORE.match(t, cur.end() if cur else sep.end())
    if nxt is None or nxt.lastgroup != first.kind:
        return None
    second = _read_part(t, nxt)
    if (
        second.unit is None
        and not _prefix(t, nxt.start())[1]
        and not _count_range(t, first, second)
        and not (prefixed and first.unit is None and second.mag == first.mag != 1.0)
    ):
        return None  # "Rmb20bn-25bn": the second end shares the first's currency
    if first.unit is not None and first.unit != second.unit:
        return None
    if "to" in sep.group().lower() and first.unit is not None:
        return None  # "rose 5% to 7%": two levels, not a range
    return second


_PREFIX_AHEAD = re.compile(r"(?:US\$|HK\$|[$¥€£]|(?:RMB|Rmb)[ \t]?)(?=\d)")


def _count_range(t: str, first: _Part, second: _Part) -> bool:
    """ "300-500 engineers", "20 to 30 companies": a range of counts before a plural noun."""
    return (
        first.unit is None
        and first.kind == "ar"
        and first.mag == second.mag
        and first.value < second.value
        and not 1900 <= second.value <= 2100
        and bool(_COUNT_NOUN.match(t, second.end))
        and not EN_NOT_FIGURE.match(t, second.end)
    )


def _year_like(m: re.Match[str], part: _Part) -> bool:
    raw = m.group()
    return (
        part.kind == "ar"
        and raw.isdigit()
        and len(raw) == 4
        and 1900 <= int(raw) <= 2100
        and part.mag == 1.0
    )


def _rejected(  # noqa: PLR0911 - a flat list of independent vetoes reads best
    t: str, m: re.Match[str], part: _Part, prefix_unit: str | None
) -> bool:
    """True for numbers that are not figures (years, durations, names, ordinals)."""
    if part.unit is not None or prefix_unit is not None:
        return False
    if part.kind == "ar" and part.mag == 1.0 and _chinese_context(t, m.start(), part.end):
        return True
    if _year_like(m, part) and not _counted_year(t, m):
        return True
    if ZH_NOT_FIGURE.match(t, m.end()):
        return True
    if part.kind == "zh" or (part.mag == 1.0 and EN_NOT_FIGURE.match(t, part.end)):
        return True
    if part.kind == "en":
        return part.mag == 1.0 and (part.value < 2 or not _counted(t, m))
    before = t[max(0, m.start() - 2) : m.start()]
    if re.search(r"[A-Za-z]-$|[A-Za-z]$", before):
        return True  # COVID-19, A380
    name = re.search(r"\b([A-Z][\w'’]*)[ \t]$", t[max(0, m.start() - 30) : m.start()])
    return part.mag == 1.0 and name is not None and name.group(1).lower() not in _LEADERS


_PREP = re.compile(
    r"(?:\b(?:in|since|by|from|until|before|after|during|through)|[年度])[ \t]*$",
    re.I,
)


def _counted_year(t: str, m: re.Match[str]) -> bool:
    """A year-like number counting things ("2000 companies"), not a year ("in 2000")."""
    nxt = _COUNT_NOUN.match(t, m.end())
    return (
        nxt is not None
        and not EN_NOT_FIGURE.match(t, m.end())
        and not _PREP.search(t, max(0, m.start() - 12), m.start())
        and not re.match(r"[ \t]+[A-Z]", t[m.end() :])
    )


def _chinese_context(t: str, start: int, end: int) -> bool:
    """A bare number glued to Chinese text ("论坛2025", "5G") is a name, not a figure."""
    left = t[start - 1] if start > 0 else ""
    right = t[end] if end < len(t) else ""
    return bool((_CJK.match(left) and (not right or _CJK.match(right))) or _CJK.match(right))


def _counted(t: str, m: re.Match[str]) -> bool:
    """English word numbers count only in front of a plural noun ("three projects")."""
    if _NOT_COUNTED.search(t, max(0, m.start() - 12), m.start()):
        return False
    return bool(_COUNT_NOUN.match(t, m.end())) and not EN_NOT_FIGURE.match(t, m.end())


def _zh_ok(t: str, m: re.Match[str], part: _Part) -> bool:
    """Chinese numerals: need a unit; "一家" (a company) and a lone 千/万 are not figures."""
    raw = m.group()
    if part.unit is None:
        return False
    if raw in {"一", "幺"} and part.unit in {"count", "CNY"}:
        return False
    if raw in {"百", "千", "万", "亿"}:  # 上千家, 超万家, 数千个, 万余家
        before = t[m.start() - 1] if m.start() > 0 else ""
        return before in _ZH_COMPARATOR_CHAR or before == "数" or part.approx
    return not (m.start() > 0 and t[m.start() - 1] in "前第周星礼")


def _token(t: str, m: re.Match[str]) -> Token | None:
    try:
        part = _read_part(t, m)
    except (ValueError, KeyError):
        return None
    start, prefix_unit = _prefix(t, m.start())
    several = part.kind == "zh" and m.start() > 0 and t[m.start() - 1] == "数"
    if several:  # 数千个: "several thousand", read as more than a thousand
        start, part = start - 1, replace(part, approx=True)
    if part.kind in {"zh", "mx"} and not _zh_ok(t, m, part):
        return None
    high = None if _year_like(m, part) else _range(t, part, prefix_unit is not None)
    if high is not None:
        part = _Part(
            part.value,
            high.end,
            high.mag if part.mag == 1.0 else part.mag,
            high.unit,
            high.unit_mult,
            part.approx,
            part.kind,
        )
    elif _rejected(t, m, part, prefix_unit):
        return None
    if prefix_unit and part.mag == 1.0 and re.match(r"m\b", t[part.end : part.end + 2]):
        part = replace(part, mag=1e6, end=part.end + 1)  # "$5m", "RMB 20m"
    unit = part.unit or prefix_unit or "count"
    scale = part.mag * part.unit_mult
    if high is not None:
        upper: float | None = _exact(high.value, high.mag, high.unit_mult)
    elif part.high is not None:
        upper = _exact(part.high, part.mag, part.unit_mult)
    else:
        upper = None
    if start == m.start() and start > 0 and t[start - 1] in "-" and _minus(t, start - 1):
        start, scale = start - 1, -scale
    return Token(
        start=start,
        end=part.end,
        value=_exact(part.value, scale),
        unit=unit,
        value_high=upper,
        comparator=">" if part.approx else None,
        explicit_unit=part.unit is not None or prefix_unit is not None,
    )


def _minus(t: str, i: int) -> bool:
    return i == 0 or t[i - 1] in " \t\n(（:：,，"


def _clean(x: float) -> float:
    """Round away binary noise: 84.37 * 1e9 is 84370000000.00001."""
    return float(f"{x:.12g}")


def _exact(value: float, *factors: float) -> float:
    """``value`` times ``factors`` in decimal arithmetic, exact to the digits written
    ("84.37" × 1e9 is 84370000000, and 123456789101231 keeps all fifteen digits)."""
    out = Decimal(repr(value))
    for f in factors:
        out *= Decimal(repr(f))
    return float(out)


def _special(kind: str, m: re.Match[str]) -> Token:  # noqa: PLR0911 - one return per kind
    if kind == "fan":
        n = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4}.get(m["n"] or "一", 1)
        return Token(m.start(), m.end(), float(2**n), "times", kind="change")
    if kind == "mult":
        return Token(m.start(), m.end(), _MULT[m["w"].lower()], "times", kind="change")
    if kind == "fold":
        word = m["n"].lower()
        value = _FOLD_WORDS.get(word) or parse_en_words(word)
        return Token(m.start(), m.end(), value, "times")
    if kind == "vague":
        value = _VAGUE.get(m["w"].lower(), 1e4)
        return Token(m.start(), m.end(), value, "count", comparator=">")
    if kind == "pct":
        raw = m["n"]
        if raw[0].isdigit():
            return Token(m.start(), m.end(), float(raw), "%")
        span = parse_zh_range(raw)  # 百分之二三十: 20 to 30 percent
        if span:
            return Token(m.start(), m.end(), span[0], "%", value_high=span[1])
        return Token(m.start(), m.end(), parse_zh_numeral(raw), "%")
    if kind == "cheng":
        value = _clean(parse_zh_numeral(m["n"]) * 10)
        return Token(m.start(), m.end(), value, "%", default_kind="share")
    a = 1 if m["a"].lower() in {"one", "a"} else parse_en_words(m["a"])
    value = round(100 * a / _FRAC[m["b"].lower()], 2)
    return Token(m.start(), m.end(), value, "%", default_kind="share")


def scan(t: str, masked: tuple[tuple[int, int], ...] = ()) -> list[Token]:
    """All figure tokens in the (digit-folded) text ``t``, in text order.

    ``masked`` spans (periods such as "1-10月" or "the first half") hold no figures.

    >>> [(x.value, x.unit) for x in scan("营收843.7亿元，增长12.7%")]
    [(84370000000.0, 'CNY'), (12.7, '%')]
    """
    taken = Spans([*masked, *((m.start(), m.end()) for m in _masks(t).finditer(t))])
    tokens: list[Token] = []
    for rx, kind in _SPECIALS:
        for m in rx.finditer(t):
            if not taken.overlaps(m.start(), m.end()):
                try:
                    special = _special(kind, m)
                except (ValueError, KeyError):
                    continue  # not a numeral after all: no figure here, never a failure
                tokens.append(special)
                taken.add(m.start(), m.end())
        taken.seal()
    for m in _CORE.finditer(t):
        if taken.overlaps(m.start(), m.end()):
            continue
        tok = _token(t, m)
        if tok is not None and not taken.overlaps(tok.start, tok.end):
            tokens.append(tok)
            taken.add(tok.start, tok.end)
    return _share_units(t, sorted(tokens, key=lambda x: x.start))


_LIST_GAP = re.compile(r"\s*(?:,|，|、|and|or|和|与|及)\s*(?:and\s+)?", re.IGNORECASE)
_SHAREABLE = frozenset(
    {"%", "pp", "km", "km2", "m", "m2", "m3", "t", "kg", "ug/m3", "ha", "mu", "kWh", "kW", "TEU"}
)


def _share_units(t: str, tokens: list[Token]) -> list[Token]:
    """A bare number listed before one with a unit takes that unit ("Tianjin and Hebei
    recorded 48 and 44.8 micrograms", "5 and 6 percent")."""
    out = list(tokens)
    for i in range(len(out) - 2, -1, -1):
        a, b = out[i], out[i + 1]
        if (
            not a.explicit_unit
            and a.unit == "count"
            and b.explicit_unit
            and b.unit in _SHAREABLE
            and _LIST_GAP.fullmatch(t, a.end, b.start)
        ):
            out[i] = replace(a, unit=b.unit, explicit_unit=True)
    return out
