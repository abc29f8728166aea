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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import pairwise

from jjj_etl.parse._guard import guarded

_ORDER = ("XA", "CN-BJ", "CN-TJ", "CN-HE", "JJJ", "CN")
_LEVEL = {"XA": 4, "CN-BJ": 3, "CN-TJ": 3, "CN-HE": 3, "JJJ": 2, "CN": 1, "-": 3, "@": 3}

#: A place outside the list: the figure is about it, so its region is null (and a region
#: named earlier in the paragraph or in the headline must not be carried onto it).
OTHER = "-"

_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        r"Beijing[-–—\s]+Tianjin[-–—\s]+Hebei|Jing[-–\s]?Jin[-–\s]?Ji|京津冀|三地|三省市|三省份"
        r"|(?i:the\s+three\s+(?:places|regions|areas|localities|sides|provinces\s+and\s+municipalities"
        r"|provincial-level\s+regions))"
        r"|(?i:the\s+(?:capital\s+)?region)\b(?!al)|区域内|区域(?=[^,，。;；]{0,8}(?:总量|生产总值|GDP))",
        ("JJJ",),
    ),
    (r"Xiong['’]?an|雄安", ("XA",)),
    (r"津冀|(?i:(?:its|their|Beijing['’]s)\s+two\s+neighbou?r(?:s|ing\s+\w+))", ("CN-TJ", "CN-HE")),
    (r"京津(?!冀)", ("CN-BJ", "CN-TJ")),
    (r"京冀", ("CN-BJ", "CN-HE")),
    (
        r"Beijing|北京|首都|京企|京籍|(?<=[来在赴抵入留进])京(?![津冀])|Haidian|海淀|Tongzhou|通州|Daxing|大兴|Yizhuang|亦庄"
        r"|Zhongguancun|中关村|Chaoyang|朝阳区|Changping|昌平|Shunyi|顺义|Fengtai|丰台|Xicheng|西城"
        r"|Dongcheng|东城|Huairou|怀柔|Pinggu|平谷|Miyun|密云|Yanqing|延庆|Fangshan|房山"
        r"|Mentougou|门头沟|Shijingshan|石景山",
        ("CN-BJ",),
    ),
    (
        r"Tianjin|天津|津企|(?<=[来在赴抵入留])津(?!冀)|Binhai|滨海新区|滨海"
        r"|Baodi|宝坻|Wuqing|武清|Jinghai|静海|Dongjiang|东疆|Nankai|南开|Heping\s+District|和平区"
        r"|Xiqing|西青|Jinnan|津南|Beichen|北辰|Ninghe|宁河|Jizhou|蓟州",
        ("CN-TJ",),
    ),
    (
        r"Hebei|河北|冀企|(?<=[来在赴抵入留])冀|Shijiazhuang|石家庄|Tangshan|唐山|Baoding|保定|Langfang|廊坊"
        r"|Zhangjiakou|张家口|Chengde|承德|Cangzhou|沧州|Handan|邯郸|Xingtai|邢台|Hengshui|衡水"
        r"|Qinhuangdao|秦皇岛|Caofeidian|曹妃甸|Zhengding|正定|Gu['’]?an|固安|Yanjiao|燕郊|Sanhe|三河"
        r"|Zhuozhou|涿州|Huanghua|黄骅",
        ("CN-HE",),
    ),
    (
        r"China['’]s|(?<!Bank\s)(?i:(?:in|across|of|throughout)\s+China)\b(?!['’])|(?i:nationwide)"
        r"|(?<![-\w]\s)China\b(?!['’]|\s+(?:Daily|Railway|Mobile|Telecom|Unicom|Construction|Merchants"
        r"|Everbright|Life|Development|Investment|National|International|Securities|Media|Central"
        r"|Radio|Global|Electronics|Aerospace|State|Energy|Academy|Association|Council|Post))|(?i:the\s+(?:whole\s+)?"
        r"(?:country|nation)(?:['’]s)?)(?!\w)|(?i:national)(?=\s+(?:total|level|figure|output|GDP|economy))"
        r"|(?<!占)全国(?!平均|的?比重|总量|水平)|我国|中国(?!人民银行|科学院|工程院|国际)|全国范围",
        ("CN",),
    ),
    (
        r"Shanghai|上海|Guangdong|广东|Shenzhen|深圳|Guangzhou|广州|Jiangsu|江苏|Zhejiang|浙江"
        r"|Hangzhou|杭州|Chongqing|重庆|Sichuan|四川|Chengdu|成都|Hubei|湖北|Wuhan|武汉|Shandong|山东"
        r"|Fujian|福建|Henan|河南|Hunan|湖南|Anhui|安徽|Hefei|合肥|Shaanxi|陕西|Shanxi|山西|Liaoning|辽宁"
        r"|Jilin|吉林|Heilongjiang|黑龙江|Inner\s+Mongolia|内蒙古|Hainan|海南|Yunnan|云南|Guangxi|广西"
        r"|Jiangxi|江西|Guizhou|贵州|Xinjiang|新疆|Nanjing|南京|Suzhou|苏州|Xi['’]an|西安|Qingdao|青岛"
        r"|Hong\s+Kong(?![-\s]+(?:dollars?|listed|based|exchange))|香港(?!交易所|上市)|Macao|Macau|澳门|Taiwan|台湾"
        r"|Yangtze\s+River\s+Delta|长三角|Greater\s+Bay\s+Area|粤港澳|大湾区|Pearl\s+River\s+Delta|珠三角"
        r"|United\s+States|the\s+US\b|the\s+U\.S\.|Germany|France|Japan"
        r"|Britain|the\s+UK\b|Europe(?:an\s+Union)?|the\s+EU\b|Singapore|South\s+Korea|Korea"
        r"|Russia|India|Australia|Canada|Italy|Spain|Netherlands|Switzerland|Sweden|Israel|Brazil"
        r"|美国|德国|法国|日本|英国|欧盟|欧洲|新加坡|韩国|俄罗斯|印度|澳大利亚|加拿大|意大利|荷兰|瑞士",
        (OTHER,),
    ),
)
#: "The city", 全市, 该省: the place the paragraph or article is about (resolved by the caller).
TOPIC = "@"
_NAMES += (
    (
        r"(?i:the\s+(?:city|province|municipality|capital|new\s+area|district|county|port\s+city))\b(?!['’]s\s+(?:own|own))"
        r"|(?:全|本|该|我)(?:市|省|区|县)|(?:全|本)新区|该新区|(?<![\u4e00-\u9fff])(?:市内|新区)",
        (TOPIC,),
    ),
)
# English names are whole words ("Baodi" is not the start of "Baoding"); the one lookbehind
# stands in front of all the names, not one per name, so inside a word the scan fails at one
# test, not at one per name (it takes no text: each group spans what it did)
_REGION = guarded(
    re.compile(
        "(?<![A-Za-z])(?:"
        + "|".join(f"(?P<r{i}>(?:{p})(?![a-z]))" for i, (p, _) in enumerate(_NAMES))
        + ")"
    )
)
_CODES = {f"r{i}": codes for i, (_, codes) in enumerate(_NAMES)}
_JOIN = re.compile(r"\s*(?:,?\s*and|,|、|和|与|及|以及|/)\s*(?:the\s+)?$")
_FLOW_EN = re.compile(r"\bfrom\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:of\s+)?$", re.I)
_FLOW_EN_TO = re.compile(
    r"^(?:['’]s?)?\s*(?:[\w,.$-]+\s+){0,6}?(?:to|into|in|with)\s+(?:(?:the|its|neighbou?ring|nearby"
    r"|municipality|province|city|of|areas?|parts?\s+of|factories|firms|companies|[\w-]+)\s+){0,4}?$",
    re.I,
)
#: What makes "A … to B" a flow and not a comparison: something that moves or is sent.
_FLOW_WORD = re.compile(
    r"contract|transfer|relocat|mov(?:e|ed|ing)|flow|export|invest|outbound|shipp|suppl|sent"
    r"|deliver|transmit|commut|spill|radiat|branch|subsidiar|set\s+up|settled|funds?\b|know-how"
    r"|firms|compan|enterpris|institution|projects|capital|put\b|poured|brought|opened",
    re.I,
)
_FLOW_ZH = re.compile(
    r"^[\u4e00-\u9fff]{0,6}?(?:流向|流入|输出到?|输往|转移到?|转移至|疏解到?|疏解至|辐射|向|到|至|落户|入驻|迁往|迁至|迁入)$"
    # "中关村企业累计在津冀设立", "在京央企在雄安": what a place's firms do in another place
    r"|^(?:的)?(?:企业|央企|机构|高校|医院|资本|资金|项目|单位|院校|科研院所|投资|分支机构)[\u4e00-\u9fff]{0,4}?在$"
)
#: "河北承接京津转入": the second place sends, the first receives.
_FLOW_ZH_BACK = re.compile(
    r"^[\u4e00-\u9fff]{0,6}?(?:承接|吸引|引进|接收|引入|接纳|吸纳|承载)[\u4e00-\u9fff]{0,2}$"
)
_FLOW_FROM_EN = re.compile(r"^\s*(?:[\w-]+\s+){0,3}?from\s+(?:the\s+)?$", re.I)
#: "Hebei received 2,300 projects from Beijing", "the city took in 1,380 projects from Beijing".
_FLOW_BACK_EN = re.compile(
    r"^(?:['’]s)?\s+(?:has\s+|have\s+|had\s+)?(?:received|bought|took\s+in|taken\s+in|takes\s+in|introduced"
    r"|attracted|absorbed|drew|imported|signed(?:\s+up)?|hosted|welcomed|admitted|undertook|got|won)"
    r"\b[^;.]{0,80}?\b(?:from|with)\s+(?:the\s+)?$",
    re.I,
)
#: Datelines name where a story was filed, not what it measures.
_DATELINE = re.compile(
    r"(?m:^\s*[A-Z][A-Z' ]{2,}(?:,\s*[A-Z][a-z]+)?,\s*"
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]+)"
    r"\s*(?:\([^)]{2,40}\))?\s*[-–—]+)"
    r"|(?:新华社|中新社|中新网|人民网|央视网|新华网|本报|光明网|国际在线)(?:[\u4e00-\u9fff]{2,6}?)"
    r"\d{1,2}月\d{1,2}日(?:电|讯)|（记者[^）]{0,40}）|\(记者[^)]{0,40}\)"
)


def mask_datelines(text: str) -> str:
    """``text`` with datelines ("BEIJING, March 28 (Xinhua) --", 新华社北京3月28日电) blanked,
    same length, so region names in them are not read as what a figure measures.

    >>> mask_datelines("BEIJING, March 28 (Xinhua) -- China's exports").strip()
    "China's exports"
    """
    return _DATELINE.sub(lambda m: " " * len(m.group()), text)


Group = tuple[int, int, frozenset[str]]


#: A place named as the yardstick of a comparison ("faster than Tianjin", 高于全国) is not
#: the place measured.
_COMPARED = re.compile(
    r"(?:\bthan|\bcompared\s+(?:with|to)|\bversus|\bvs\.?|\bahead\s+of|\bbehind|\boutpac\w*"
    r"|\boutperform\w*|\boutside|\bbeyond|\bexcept)\s+(?:that\s+of\s+|those\s+of\s+"
    r"|the\s+(?:level|average|rate)\s+(?:of|in)\s+|the\s+)?"
    r"(?:in\s+)?$|(?:比|较|高于|低于|快于|慢于|领先|落后于?)$",
    re.I,
)


_SINGLE = frozenset({("CN-BJ",), ("CN-TJ",), ("CN-HE",), ("XA",)})
#: "滨海—中关村科技园", "保定·中关村创新中心", "Binhai-Zhongguancun park": a Zhongguancun-branded
#: park sits where the place before the brand is.
_BRAND = re.compile(r"Zhongguancun|中关村")


def _mentions(
    index: RegionIndex, lo: int, hi: int, topic: str | None = None, ctx_lo: int | None = None
) -> list[Group]:
    """Region mentions in ``text[lo:hi]``; "the city" / 全市 stands for the last single place
    named before it since ``ctx_lo`` (the sentence start), else for ``topic``."""
    out: list[Group] = []
    start = lo if ctx_lo is None else min(ctx_lo, lo)
    found = index.found
    first = bisect_left(found, (start,))
    # the names between ``ctx_lo`` and ``lo`` only say which place "the city" is: read from
    # the index's record of that walk, not walked again for every clause of the sentence
    at = bisect_left(found, (lo,), first)
    if at > first and found[at - 1][1] > hi:
        return out  # a name before ``lo`` runs past ``hi``: the walk stops before ``lo``
    last_place, prev_end = index.walk(first, at)
    for i in range(at, len(found)):
        m_start, m_end, codes, brand, compared = found[i]
        if m_end > hi:
            break
        glued = m_start - prev_end <= 2
        prev_end = m_end
        if glued and brand:
            continue  # the brand after a place names a park of that place
        place = codes if codes in _SINGLE else last_place
        meant = codes
        if codes == (TOPIC,):
            if glued:
                continue  # "北京全市": the place already named
            meant = last_place or _topic_codes(topic)
            if not meant:
                continue
        last_place = place
        if compared:
            continue
        out.append((m_start, m_end, frozenset(meant)))
    return out


_Found = tuple[int, int, tuple[str, ...], bool, bool]


class RegionIndex:
    """Every region name in one text, found once, in order (start, end, codes, is the
    Zhongguancun brand, is a comparison's yardstick): an article's sentences and clauses are
    all read from the same text, so it is scanned once, not once a clause.

    Built by the caller for the text it reads (the body with its datelines blanked, the
    headline) and passed to every lookup in that text.
    """

    __slots__ = ("_before", "_movers", "_walks", "found", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._walks: dict[int, list[tuple[tuple[str, ...], int]]] = {}
        self._movers: list[int] | None = None
        self._before: dict[tuple[int, str | None, int | None], _Before] = {}
        self.found: list[_Found] = [
            (
                m.start(),
                m.end(),
                _CODES[m.lastgroup or ""],
                bool(_BRAND.fullmatch(m.group())),
                bool(_COMPARED.search(text, max(0, m.start() - 40), m.start())),
            )
            for m in _REGION.finditer(text)
        ]

    def walk(self, first: int, at: int) -> tuple[tuple[str, ...], int]:
        """(the last single place, the end of the last name) after reading names
        ``first`` to ``at`` (excluded), as :func:`_mentions` reads them from ``first``.

        Each walk is kept by where it starts (a sentence), and grows as later clauses ask.
        """
        steps = self._walks.setdefault(first, [((), -10)])
        while len(steps) <= at - first:
            last_place, prev_end = steps[-1]
            m_start, m_end, codes, brand, _compared = self.found[first + len(steps) - 1]
            glued = m_start - prev_end <= 2
            # as :func:`_mentions`: a single place is the last one, unless it is the brand
            # glued to the place before it ("the city" / 全市 never changes it)
            if codes in _SINGLE and not (glued and brand):
                last_place = codes
            steps.append((last_place, m_end))
        return steps[at - first]

    def before(self, lo: int, anchor: int, topic: str | None, ctx_lo: int | None) -> _Before:
        """The groups :func:`region_before` reads from ``lo`` up to ``anchor`` at least (kept
        for the next anchor; read again twice as far when an anchor passes them)."""
        key = (lo, topic, ctx_lo)
        kept = self._before.get(key)
        if kept is None or kept.limit < anchor:
            limit = anchor if kept is None else max(anchor, lo + 2 * (kept.limit - lo))
            kept = self._before[key] = _Before(self, lo, limit, topic, ctx_lo)
        return kept

    def next_mover(self, i: int) -> int:
        """The first name from ``i`` on that is a single place whose firms, investors or
        capital act (:data:`_MOVER` after it, :data:`_FROM` before it); ``len(found)``
        when there is none."""
        if self._movers is None:
            text, n = self.text, len(self.found)
            movers = [n] * (n + 1)
            for k in range(n - 1, -1, -1):
                start, end, codes, _brand, _compared = self.found[k]
                mover = codes in _SINGLE and bool(
                    _MOVER.match(text, end) or _FROM.search(text, max(0, start - 30), start)
                )
                movers[k] = k if mover else movers[k + 1]
            self._movers = movers
        return self._movers[i]


def _topic_codes(topic: str | None) -> tuple[str, ...]:
    """The codes "the city" stands for: the topic region (a flow's destination)."""
    if not topic:
        return ()
    target = topic.split(">")[-1]
    if target == "JJJ":
        return ("CN-BJ", "CN-TJ", "CN-HE")
    return tuple(target.split("+"))


def _groups(text: str, found: list[Group]) -> list[Group]:
    """Merge regions joined by "and" / 、 / 和 into one group."""
    return _grouped(text, found)[0]


def _grouped(text: str, found: list[Group]) -> tuple[list[Group], list[int]]:
    """:func:`_groups`, and the group each mention went into."""
    groups: list[Group] = []
    into: list[int] = []
    for start, end, codes in found:
        if (
            groups
            and OTHER not in codes
            and OTHER not in groups[-1][2]
            and _JOIN.match(text[groups[-1][1] : start])
        ):
            g_start, _, g_codes = groups[-1]
            groups[-1] = (g_start, end, g_codes | codes)
        else:
            groups.append((start, end, codes))
        into.append(len(groups) - 1)
    return groups, into


def code(codes: frozenset[str]) -> str:
    """One region string for a set of codes (the three provinces together are JJJ)."""
    if OTHER in codes:
        return OTHER
    if {"CN-BJ", "CN-TJ", "CN-HE"} <= codes:
        codes = (codes - {"CN-BJ", "CN-TJ", "CN-HE"}) | {"JJJ"}
    return "+".join(c for c in _ORDER if c in codes)


def _flow(text: str, groups: list[Group]) -> str | None:
    for a, b in pairwise(groups):
        if OTHER in a[2] or OTHER in b[2]:
            continue
        between = text[a[1] : b[0]]
        if len(between) > 60:
            continue
        if _FLOW_ZH.match(between):
            return f"{code(a[2])}>{code(b[2])}"
        if _FLOW_ZH_BACK.match(between):
            return f"{code(b[2])}>{code(a[2])}"
        if _FLOW_BACK_EN.match(between):
            return f"{code(b[2])}>{code(a[2])}"
        if not _FLOW_EN_TO.match(between):
            if _FLOW_FROM_EN.match(between) and _FLOW_WORD.search(text, max(0, a[0] - 40), b[1]):
                return f"{code(b[2])}>{code(a[2])}"  # "flowing to Hebei from Beijing"
            continue
        if _moves(text, a, between):
            return f"{code(a[2])}>{code(b[2])}"
    return None


def _moves(text: str, a: Group, between: str) -> bool:
    """ "A … to B" moves something from A to B (not "A, compared with B")."""
    lead = text[max(0, a[0] - 30) : a[0]]
    if not (_FLOW_EN.search(lead) or _FLOW_WORD.search(between) or _FLOW_WORD.search(lead)):
        return False
    return not re.search(r"\b(?:than|with)\s*$", between, re.I) or bool(_FLOW_WORD.search(between))


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
    if region in _KNOWN or region == OTHER:
        return region
    if ">" in region:
        return _known(region.split(">", 1)[1])
    parts = set(region.split("+"))
    if "CN" in parts:
        return "CN"
    if parts == {"XA", "CN-HE"}:
        return "XA"  # "Xiong'an in Hebei": the more specific place
    return "JJJ"


def _pick(text: str, groups: list[Group], anchor: int) -> str | None:
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


def region_in(
    index: RegionIndex,
    lo: int,
    hi: int,
    anchor: int,
    topic: str | None = None,
    ctx_lo: int | None = None,
) -> str | None:
    """The region of the span ``text[lo:hi]`` (``index`` is the text's) for a figure at
    ``anchor``, or None; :data:`OTHER` when the span names a place outside the list.

    >>> t = "Technology contracts from Beijing to Tianjin and Hebei were worth"
    >>> region_in(RegionIndex(t), 0, len(t), len(t))
    'CN-BJ>CN-TJ+CN-HE'
    >>> region_in(RegionIndex("北京流向津冀技术合同成交额"), 0, 13, 13)
    'CN-BJ>CN-TJ+CN-HE'
    """
    text = index.text
    return _pick(text, _groups(text, _mentions(index, lo, hi, topic, ctx_lo)), anchor)


def region_before(
    index: RegionIndex, lo: int, anchor: int, topic: str | None = None, ctx_lo: int | None = None
) -> str | None:
    """The region named last before ``anchor`` in ``text[lo:anchor]`` (the subject of a
    clause that came earlier in the sentence: "Beijing's GDP was …, up 5.2%"), or None.
    Places named together ("Xiong'an New Area in Hebei") count as one, the most specific.

    The figures of a sentence ask with the same ``lo`` and anchors further and further
    right: the names from ``lo`` on are grouped once (:class:`_Before`), and each asks
    only about the group it ends in.
    """
    return index.before(lo, anchor, topic, ctx_lo).region(anchor)


def _key(g: Group) -> tuple[int, int]:
    """The most specific group of a cluster, the later one breaking ties."""
    return (max(_LEVEL[c] for c in g[2]), g[0])


class _Before:
    """The region-name groups of ``text[lo:limit]`` for :func:`region_before`: the groups
    of ``text[lo:anchor]`` for any anchor up to ``limit`` are these, the one the anchor
    cuts cut short (each name joins the group before it or not by itself and its
    neighbour), so each anchor costs the group it cuts, not a pass over all of them."""

    __slots__ = ("_best", "_ends", "_first", "_flow", "_group", "_groups", "_m", "_text", "limit")

    def __init__(
        self, index: RegionIndex, lo: int, limit: int, topic: str | None, ctx_lo: int | None
    ) -> None:
        self._text, self.limit = index.text, limit
        self._m = _mentions(index, lo, limit, topic, ctx_lo)
        self._ends = [m[1] for m in self._m]
        self._groups, self._group = _grouped(self._text, self._m)
        self._first = [j for j, g in enumerate(self._group) if j == 0 or self._group[j - 1] != g]
        # the first flow among the pairs of whole groups before each group
        self._flow: list[str | None] = [None]
        for a, b in pairwise(self._groups):
            self._flow.append(self._flow[-1] or _flow(self._text, [a, b]))
        # the most specific group of the cluster (names within 25 characters) ending at each
        self._best: list[Group] = []
        for g, group in enumerate(self._groups):
            close = g > 0 and group[0] - self._groups[g - 1][1] <= _CLUSTER_GAP
            self._best.append(max(self._best[-1], group, key=_key) if close else group)

    def region(self, anchor: int) -> str | None:
        """What :func:`region_before` answers for ``anchor`` (at most ``limit``)."""
        k = bisect_right(self._ends, anchor)  # the names that end by the anchor
        if k == 0:
            return None
        g = self._group[k - 1]
        first = self._first[g]
        cut = (
            self._m[first][0],
            self._m[k - 1][1],
            frozenset().union(*(m[2] for m in self._m[first:k])),
        )
        flow = self._flow[g - 1] if g > 0 else None
        if flow is None and g > 0:
            flow = _flow(self._text, [self._groups[g - 1], cut])
        if flow:
            return _known(flow)
        best = cut
        if g > 0 and cut[0] - self._groups[g - 1][1] <= _CLUSTER_GAP:
            best = max(self._best[g - 1], cut, key=_key)
        return _known(code(best[2]))


_CLUSTER_GAP = 25


_RESPECTIVELY = re.compile(r"分别|respectively|各自", re.I)


def respective(index: RegionIndex, lo: int, hi: int, anchors: list[int]) -> list[str] | None:
    """Regions for figures listed "respectively" after a list of places ("北京、天津、河北分别
    为4.38万亿元、1.67万亿元和4.39万亿元"): the i-th figure gets the i-th place, or None when
    the sentence is not such a list."""
    text = index.text
    if not anchors or not _RESPECTIVELY.search(text, lo, hi):
        return None
    found = [g for g in _mentions(index, lo, anchors[0]) if OTHER not in g[2]]
    run: list[Group] = []
    for g in found:
        if run and _JOIN.match(text[run[-1][1] : g[0]]):
            run.append(g)
        else:
            run = [g]
    if len(run) < 2 or len(run) != len(anchors):
        return None
    return [_known(code(g[2])) for g in run]


def region_of_clause(
    index: RegionIndex, lo: int, hi: int, anchor: int, topic: str | None, ctx_lo: int
) -> str | None:
    """The region of a figure's clause: a flow the clause states, else the place named
    last before the figure ("below Beijing's 6.44 percent and the national level of 2.40
    percent" gives 2.40 to the country), else the nearest one after it."""
    text = index.text
    groups = _groups(text, _mentions(index, lo, hi, topic, ctx_lo))
    if not groups:
        return None
    flow = _flow(text, groups)
    if flow:
        return _known(flow)
    yard = _YARDSTICK.search(text, max(lo, anchor - 60), anchor)
    if yard and not _COMPARED.search(text, max(0, yard.start() - 40), yard.start()):
        return "CN"
    if any(g[1] <= anchor for g in groups):
        return region_before(index, lo, anchor, topic, ctx_lo)
    return _pick(text, groups, anchor)


#: The figure of a national yardstick: "the national average of 5.0 percent", 全国平均水平2.5%.
_YARDSTICK = re.compile(
    r"(?:\bnational\s+(?:average|level|rate|figure|growth|total|mark)|\bthe\s+country['’]s\s+\w+"
    r"|全国(?:平均)?(?:水平)?)\s*(?:of|at|was|is|stood\s+at|为|的)?\s*(?:about|around|nearly|约)?\s*$",
    re.I,
)
#: A place's movers: its firms, investors, institutions or capital, or what comes from it.
_MOVER = re.compile(
    r"(?:['’]s|-based)?\s+(?:[\w-]+\s+){0,2}?(?:enterprises|companies|firms|investors|institutions"
    r"|universities|hospitals|capital|investment|funds|businesses|entities|partners|buyers|residents)\b"
    r"|(?:的)?(?:企业|央企|高校|医院|机构|资本|投资|资金|项目|转入|疏解|籍|企)",
    re.I,
)
_FROM = re.compile(r"(?:\bfrom\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?|来自|(?<![自])从|由)$", re.I)


def mover_flow(
    index: RegionIndex, lo: int, hi: int, region: str | None, topic: str | None
) -> str | None:
    """A figure about what one place's firms, investors or capital do in another ("signed
    215 projects with Beijing enterprises" in Langfang, 北京企业在雄安新设分支机构) is a flow
    from the first place to the second: the other place the sentence names, else the
    topic.  None when the sentence has no such mover or no second place."""
    if region is None or ">" in region or region in {"CN", "JJJ", OTHER}:
        return None
    text, found = index.text, index.found
    first = bisect_left(found, (lo,))
    mover = index.next_mover(first)  # the source: the first place in the span with movers
    if mover == len(found) or found[mover][1] > hi:
        return None
    source = found[mover][2]

    def places() -> Iterator[Group]:
        for i in range(first, len(found)):
            start, end, codes, _brand, _compared = found[i]
            if start >= hi:
                break
            if end <= hi and codes in _SINGLE and i != mover:
                yield (start, end, frozenset(codes))

    target = _first_group_without(text, places(), source[0])
    targets = [] if target is None else [target]
    if targets:  # in the house order: a frozenset's own order changes with the hash seed
        dest = tuple(code(targets[0]).split("+"))
    elif topic and topic in {"CN-BJ", "CN-TJ", "CN-HE", "XA", "CN-TJ+CN-HE"} and topic != source[0]:
        dest = tuple(topic.split("+"))
    else:
        return None
    # the figure is about the source or about one destination place; a figure about several
    # destinations together is their combined level, not what the source's movers did
    if region != source[0] and region not in dest:
        return None
    flow = _known(f"{source[0]}>{code(frozenset(dest))}")
    return flow if ">" in flow else None


def _first_group_without(text: str, places: Iterable[Group], without: str) -> frozenset[str] | None:
    """The codes of the first of :func:`_groups` of ``places`` (single places) that does not
    hold ``without``, reading no further than that group."""
    current: Group | None = None
    for start, end, codes in places:
        if current is not None and _JOIN.match(text[current[1] : start]):
            current = (current[0], end, current[2] | codes)
            continue
        if current is not None and without not in current[2]:
            return current[2]
        current = (start, end, codes)
    return None if current is None or without in current[2] else current[2]
