"""Arabic and English numbers: digits, word numbers, magnitudes and English units.

``parse_arabic("3,500.5")`` → 3500.5; ``parse_en_words("twenty-five")`` → 25;
``EN_MAGNITUDE["bn"]`` → 1e9.  Full-width digits are folded to ASCII by
:data:`FOLD` (a same-length translation, so offsets survive).
"""

from __future__ import annotations

import re

#: Same-length folding of full-width digits and signs to ASCII (offsets stay valid).
FOLD = str.maketrans(
    "０１２３４５６７８９．％＋－−﹪，\u00a0\u2009\u202f",
    "0123456789.%+--%,   ",
)

#: Digits with optional thousands separators (comma, space, thin space) and decimals.
ARABIC = (
    r"\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?"
    r"|\d{1,3}(?: \d{3})+(?![\d.]|,\d|\s\d)"
    r"|\d+(?:\.\d+)?"
)

EN_ONES: dict[str, int] = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
EN_TENS: dict[str, int] = {
    w: 10 * i
    for i, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}
_ONES_RE = "|".join(sorted(EN_ONES, key=len, reverse=True))
_TENS_RE = "|".join(EN_TENS)
#: An English word number below a thousand: "three", "twenty-five", "two hundred and ten".
EN_WORDS = (
    rf"(?:(?:{_ONES_RE}|a)\s+hundred(?:\s+(?:and\s+)?(?:(?:{_TENS_RE})(?:[- ](?:{_ONES_RE}))?"
    rf"|{_ONES_RE}))?|(?:{_TENS_RE})(?:[- ](?:{_ONES_RE}))?|{_ONES_RE})"
)

EN_MAGNITUDE: dict[str, float] = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "mln": 1e6,
    "mn": 1e6,
    "bln": 1e9,
    "bn": 1e9,
    "tn": 1e12,
    "trln": 1e12,
    "k": 1e3,
    "b": 1e9,
    "m": 1e6,
}
#: A magnitude after a number; the short forms may touch the digits ("3bn", "50k").
EN_MAGNITUDE_RE = (
    r"(?:\s*|-)(?:hundred|thousand|million|billion|trillion)s?\b|\s?(?:mln|mn|bln|bn|trln|tn)\b|k\b"
    # headline shorthand glued to the digits: "$12b", "20m tons", "Rmb5.3bn" (a bare "20m"
    # is twenty metres, so "m" needs a currency before or a counted noun after: see _scan)
    r"|(?<=\d\.\d)m\b(?!\s*(?:tall|high|long|wide|deep|in\s+diameter|-))|(?<=\d\.\d\d)m\b(?!\s*(?:tall|high|long|wide|deep|-))"
    r"|b\b|m\b(?=\s+(?:metric\s+)?(?:tons?|tonnes?|yuan|dollars|euros|kWh|TEUs?|people|visitors"
    r"|tourists|users|passengers|trips|residents|vehicles|units|devices|subscribers|households"
    r"|barrels|square|sq|cubic|hectares|mu))"
)

#: English units: (pattern, unit, multiplier).  Longest and most specific first.
EN_UNITS: tuple[tuple[str, str, float], ...] = (
    (r"(?:yuan|renminbi)(?:\s+\(?RMB\)?)?|RMB|CNY", "CNY", 1.0),
    (r"(?:Hong\s+Kong|HK)\s+dollars?|HKD", "HKD", 1.0),
    (r"(?:US|U\.S\.|American)\s+dollars?|USD|dollars?", "USD", 1.0),
    (r"euros?|EUR", "EUR", 1.0),
    (r"%|per\s?cent\b|pct\b", "%", 1.0),
    (r"percentage[- ]points?|pp\b|ppts?\b", "pp", 1.0),
    (r"square\s+(?:kilomet(?:er|re)s?|km)|sq\.?\s*km\b|km2\b|km²", "km2", 1.0),
    (r"square\s+met(?:er|re)s?|sq\.?\s*m\b|m2\b|m²", "m2", 1.0),
    (r"hectares?\b|ha\b", "ha", 1.0),
    (r"(?:metric\s+)?(?:tons|tonnes|ton|tonne)\b", "t", 1.0),
    (r"kilowatt[- ]hours?|kWh\b", "kWh", 1.0),
    (r"megawatts?\b|MW\b", "kW", 1e3),
    (r"gigawatts?\b|GW\b", "kW", 1e6),
    (r"kilowatts?\b|kW\b", "kW", 1.0),
    (r"kilomet(?:er|re)s?\b|km\b", "km", 1.0),
    (r"met(?:er|re)s?\b", "m", 1.0),
    (
        r"(?:percentage\s+)?points?\b(?=\s+(?:higher|lower|above|below|faster|slower|more|less|ahead|behind|up|down|from|over|than)\b)",
        "pp",
        1.0,
    ),
    (r"times\b|-?fold\b", "times", 1.0),
    (r"TEUs?\b|twenty-foot\s+equivalent\s+units?", "TEU", 1.0),
    (r"(?:kilograms?|kilogrammes?|kg)\b", "kg", 1.0),
    (
        r"(?:micrograms?|mcg|[uμµ]g)\s*(?:per\s+cubic\s+met(?:er|re)|/\s*(?:cubic\s+met(?:er|re)|m3\b|m³))",
        "ug/m3",
        1.0,
    ),
    (r"cubic\s+met(?:er|re)s?\b|m3\b|m³", "m3", 1.0),
    (r"terawatt[- ]hours?|TWh\b", "kWh", 1e9),
    (r"gigawatt[- ]hours?|GWh\b", "kWh", 1e6),
)

#: Words after a number that make it a duration, an age or a time, never a figure.
EN_NOT_FIGURE = re.compile(
    r"(?:-|\s+)(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|"
    r"century|years?-old|consecutive\s+years?|straight\s+years?)\b"
    r"|(?:st|nd|rd|th)\b|[:：]\d|\s*Comments?\b|\s*Comment\(s\)|[A-Za-z]",
    re.IGNORECASE,
)
#: Month names, for dates written "March 28" or "28 March".
MONTHS: dict[str, int] = {
    name: i
    for i, names in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sept sep",
            "october oct",
            "november nov",
            "december dec",
        ),
        1,
    )
    for name in names.split()
}
MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)


def parse_arabic(text: str) -> float:
    """The value of a digit string with optional separators.

    >>> parse_arabic("3,500"), parse_arabic("3 500"), parse_arabic("84.37")
    (3500.0, 3500.0, 84.37)
    """
    return float(re.sub(r"[, \u00a0\u2009\u202f]", "", text))


def parse_en_words(text: str) -> float:
    """The value of an English word number below a thousand.

    >>> parse_en_words("twenty-five"), parse_en_words("two hundred and ten")
    (25.0, 210.0)
    """
    total = 0
    current = 0
    for word in re.split(r"[\s-]+", text.lower().strip()):
        if word == "and":
            continue
        if word == "a":
            current += 1
        elif word in EN_ONES:
            current += EN_ONES[word]
        elif word in EN_TENS:
            current += EN_TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            raise ValueError(f"not a number word: {word!r}")
    return float(total + current)


def magnitude(text: str) -> float:
    """Multiplier of a magnitude word or abbreviation ("billion", "bn", "k")."""
    key = text.strip().lstrip("-").lower()
    if key.endswith("s") and key[:-1] in EN_MAGNITUDE:
        key = key[:-1]
    return EN_MAGNITUDE[key]


def en_unit(text: str, pos: int) -> tuple[str, float, int] | None:
    """Match an English unit at ``text[pos:]`` (after optional blanks): (unit, mult, end)."""
    m = _BLANK.match(text, pos)
    at = m.end() if m else pos
    for rx, unit, mult in _EN_UNIT_RES:
        hit = rx.match(text, at)
        if hit:
            return unit, mult, hit.end()
    return None


_BLANK = re.compile(r"-(?=[A-Za-z])|[ \t]*")
_EN_UNIT_RES = tuple((re.compile(p, re.IGNORECASE), u, k) for p, u, k in EN_UNITS)
