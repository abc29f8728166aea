"""Region codes named in a clause: CN-BJ, CN-TJ, CN-HE, JJJ, XA, CN, and flows.

A flow "from Beijing to Tianjin and Hebei" / 北京流向津冀 is ``CN-BJ>CN-TJ+CN-HE``.
Regions joined by "and", commas, 和, 、 or written as 津冀 combine with ``+``;
all three provinces together are ``JJJ``.  Otherwise the most specific region
wins (Xiong'an, then a province, then the whole region, then China), the one
nearest the figure breaking ties.  "The national average" / 全国平均 is a
comparison, not the region measured.
"""

from __future__ import annotations

import re
from itertools import pairwise

_ORDER = ("XA", "CN-BJ", "CN-TJ", "CN-HE", "JJJ", "CN")
_LEVEL = {"XA": 4, "CN-BJ": 3, "CN-TJ": 3, "CN-HE": 3, "JJJ": 2, "CN": 1}

_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        r"Beijing[-–—\s]+Tianjin[-–—\s]+Hebei|Jing[-–\s]?Jin[-–\s]?Ji|京津冀|三地|三省市"
        r"|the\s+(?:three\s+(?:places|regions|areas|localities|provinces\s+and\s+municipalities)"
        r"|(?:capital\s+)?region)\b",
        ("JJJ",),
    ),
    (r"Xiong['’]?an|雄安", ("XA",)),
    (r"津冀", ("CN-TJ", "CN-HE")),
    (r"京津(?!冀)", ("CN-BJ", "CN-TJ")),
    (r"京冀", ("CN-BJ", "CN-HE")),
    (r"Beijing|北京|首都|Haidian|海淀|Tongzhou|通州|Daxing|大兴|Yizhuang|亦庄", ("CN-BJ",)),
    (r"Tianjin|天津|Binhai|滨海新区", ("CN-TJ",)),
    (
        r"Hebei|河北|Shijiazhuang|石家庄|Tangshan|唐山|Baoding|保定|Langfang|廊坊|Zhangjiakou|张家口"
        r"|Chengde|承德|Cangzhou|沧州|Handan|邯郸|Xingtai|邢台|Hengshui|衡水|Qinhuangdao|秦皇岛",
        ("CN-HE",),
    ),
    (
        r"China['’]s|(?:in|across)\s+China\b|nationwide|the\s+(?:whole\s+)?country(?:['’]s)?"
        r"|(?<!占)全国(?!平均|的?比重|总量)|我国|中国",
        ("CN",),
    ),
)
_REGION = re.compile("|".join(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(_NAMES)))
_CODES = {f"r{i}": codes for i, (_, codes) in enumerate(_NAMES)}
_JOIN = re.compile(r"\s*(?:,?\s*and|,|、|和|与|及|以及|/)\s*$")
_FLOW_EN = re.compile(r"\bfrom\s*$")
_FLOW_EN_TO = re.compile(r"^\s*to\s+(?:the\s+)?$")
_FLOW_ZH = re.compile(r"^(?:流向|流入|输出到?|输往|转移到?|转移至|辐射|向|到|至)$")


def _mentions(text: str, lo: int, hi: int) -> list[tuple[int, int, frozenset[str]]]:
    out = []
    for m in _REGION.finditer(text, lo, hi):
        group = m.lastgroup or ""
        out.append((m.start(), m.end(), frozenset(_CODES[group])))
    return out


def _groups(
    text: str, found: list[tuple[int, int, frozenset[str]]]
) -> list[tuple[int, int, frozenset[str]]]:
    """Merge regions joined by "and" / 、 / 和 into one group."""
    groups: list[tuple[int, int, frozenset[str]]] = []
    for start, end, codes in found:
        if groups and _JOIN.match(text[groups[-1][1] : start]):
            g_start, _, g_codes = groups[-1]
            groups[-1] = (g_start, end, g_codes | codes)
        else:
            groups.append((start, end, codes))
    return groups


def code(codes: frozenset[str]) -> str:
    """One region string for a set of codes (the three provinces together are JJJ)."""
    if {"CN-BJ", "CN-TJ", "CN-HE"} <= codes:
        codes = (codes - {"CN-BJ", "CN-TJ", "CN-HE"}) | {"JJJ"}
    return "+".join(c for c in _ORDER if c in codes)


def _flow(text: str, groups: list[tuple[int, int, frozenset[str]]]) -> str | None:
    for a, b in pairwise(groups):
        between = text[a[1] : b[0]]
        english = _FLOW_EN.search(text[max(0, a[0] - 6) : a[0]]) and _FLOW_EN_TO.match(between)
        if english or _FLOW_ZH.match(between):
            return f"{code(a[2])}>{code(b[2])}"
    return None


_PROVINCES = ("CN-BJ", "CN-TJ", "CN-HE")
_COMBOS = ("CN-BJ+CN-TJ", "CN-BJ+CN-HE", "CN-TJ+CN-HE", "XA+CN-BJ", "XA+CN-TJ")
_FLOW_TARGETS = (*_PROVINCES, "XA", "CN-BJ+CN-TJ", "CN-BJ+CN-HE", "CN-TJ+CN-HE")
#: Every region code the extractor can emit (each is a row of ``sql/seeds/regions.csv``).
REGION_CODES: tuple[str, ...] = (
    "CN",
    "JJJ",
    *_PROVINCES,
    "XA",
    *_COMBOS,
    *(
        f"{a}>{b}"
        for a in _PROVINCES
        for b in _FLOW_TARGETS
        if a not in b.split("+") and not (a == "CN-HE" and b == "XA")
    ),
)
_KNOWN = frozenset(REGION_CODES)


def _known(region: str) -> str:
    """Clamp a region string to :data:`REGION_CODES` (a flow to its target, a mix to JJJ/CN)."""
    if region in _KNOWN:
        return region
    if ">" in region:
        return _known(region.split(">", 1)[1])
    parts = set(region.split("+"))
    if "CN" in parts:
        return "CN"
    if parts == {"XA", "CN-HE"}:
        return "CN-HE"
    return "JJJ"


def region_in(text: str, lo: int, hi: int, anchor: int) -> str | None:
    """The region of the span ``text[lo:hi]`` for a figure at ``anchor``, or None.

    >>> t = "Technology contracts from Beijing to Tianjin and Hebei were worth"
    >>> region_in(t, 0, len(t), len(t))
    'CN-BJ>CN-TJ+CN-HE'
    >>> region_in("北京流向津冀技术合同成交额", 0, 13, 13)
    'CN-BJ>CN-TJ+CN-HE'
    """
    groups = _groups(text, _mentions(text, lo, hi))
    if not groups:
        return None
    flow = _flow(text, groups)
    if flow:
        return _known(flow)
    best = max(
        groups,
        key=lambda g: (max(_LEVEL[c] for c in g[2]), -abs((g[0] + g[1]) // 2 - anchor)),
    )
    return _known(code(best[2]))
