"""Words around a number that say how to read it: comparator, kind, sign.

``before`` is the text of the clause up to the number (from the previous figure on,
for the "near" window), ``after`` the text from the number to the end of its clause.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

_COMPARATORS: tuple[tuple[str, str], ...] = (
    (
        r"no\s+more\s+than|not\s+more\s+than|at\s+most|a\s+maximum\s+of|up\s+to|capped\s+at"
        r"|至多|最多|最高|不超过|不高于",
        "<=",
    ),
    (r"at\s+least|no\s+less\s+than|not\s+less\s+than|a\s+minimum\s+of|不少于|不低于|至少", ">="),
    (
        r"more\s+than|over|above|exceed(?:ed|ing|s)?|in\s+excess\s+of|upwards\s+of|surpass(?:ed|ing)?"
        r"|top(?:ped|ping)|beyond|超过了?|超出|逾|超|突破了?|多于|高于|上",
        ">",
    ),
    (r"less\s+than|fewer\s+than|under|below|不到|不足|少于|低于|未达", "<"),
    (
        r"about|around|nearly|almost|approximately|roughly|some|close\s+to|an\s+estimated"
        r"|approach(?:ed|es|ing)?|约合|大约|约|将近|接近|近",
        "~",
    ),
)
_COMPARATOR_BEFORE = tuple(
    (re.compile(rf"(?:(?<![A-Za-z])(?:{p}))\s*(?:了|达|为|在|是|有)?\s*(?:人民币|RMB)?\s*$", _I), c)
    for p, c in _COMPARATORS
)
_COMPARATOR_AFTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*(?:多|余)", _I), ">"),
    (re.compile(r"^\s*(?:以上|or\s+more|and\s+above|or\s+above|-plus\b|\+)", _I), ">="),
    (re.compile(r"^\s*(?:左右|上下)", _I), "~"),
    (re.compile(r"^\s*(?:以内|以下|or\s+less|or\s+fewer|or\s+below)", _I), "<="),
)

_UP = (
    r"up|rose|rise|rises|rising|risen|grew|grow|grows|growing|grown|increased|increases|increase"
    r"|increasing|gained|gains|jumped|jumps|surged|surges|climbed|climbs|expanded|expands|advanced"
    r"|soared|edged\s+up|went\s+up|picked\s+up|growth|boosted|widen(?:ed|s|ing)?"
    r"|accelerat(?:ed|es|ing)|quicken(?:ed|s)?|rebounded|expanding"
    r"|同比增长|同比增加|同比提高|同比上升|增长(?![极点])|增加(?!值)|上升|提高|提升|上涨|增幅|涨幅|增速|增长率|同比|环比|多增|扩大|加快"
)
_DOWN = (
    r"down|fell|fall|falls|falling|fallen|dropped|drop|drops|declined|declines|decline|declining"
    r"|decreased|decreases|decrease|contracted|shrank|shrunk|shrinks|slipped|slid|dipped"
    r"|plunged|slumped|lowered|cut|reduced|slow(?:ed|s|ing)|narrow(?:ed|s|ing)|eased|shed"
    r"|同比下降|同比减少|下降|减少|回落|下滑|降低|下跌|降幅|缩减|萎缩|缩小|少增|放缓|收窄"
)
_CHANGE_NEAR = re.compile(
    rf"(?:(?<![A-Za-z])(?P<up>{_UP})|(?<![A-Za-z])(?P<down>{_DOWN}))(?![A-Za-z])"
    r"(?:\s*(?:by|of|了|达|为|幅度为|year[- ]on[- ]year|an?|some|an\s+estimated))*",
    _I,
)
_TO_LEVEL = re.compile(
    r"(?:(?<![A-Za-z])(?:to|at|from|reach(?:ed|ing)?|hit|totall?ed|stood\s+at)"
    r"|至|到|由|从|达到?|为|升至|降至)\s*(?:the\s+|a\s+|just\s+|only\s+)?$",
    _I,
)
_CHANGE_AFTER = re.compile(
    r"^\s*(?:(?P<yoy>year[- ]on[- ]year|y/y|yoy|on\s+a\s+yearly\s+basis|from\s+a\s+year"
    r"|over\s+(?:the\s+)?(?:same\s+period|previous\s+year|last\s+year)|compared\s+with\s+(?:a\s+year|last|the\s+same|20\d\d))"
    r"|(?P<up>(?:year-on-year\s+)?(?:increase|rise|growth|jump|gain|hike|surge)s?|(?:more|higher)\s+than\b)"
    r"|(?P<down>(?:year-on-year\s+)?(?:decline|decrease|drop|fall|reduction|contraction)s?"
    r"|(?:less|lower|fewer)\s+than\b))",
    _I,
)
_DIFF_BEFORE = re.compile(r"(?:高出|高于|超出|多出|领先|低于|比全国|比全市)[^，,。；;]*$")
_DIFF_BEFORE_EN = re.compile(
    r"\b(?P<dir>exceed(?:ed|s|ing)?|outpac(?:ed|es|ing)|outperform(?:ed|s)?|beat|topped|trail(?:ed|s)?"
    r"|lagg(?:ed|ing)\s+behind|lags\s+behind|above|below|higher\s+than|lower\s+than)\s+(?:the\s+|that\s+of\s+)?"
    r"(?:national|country['’]s|nation['’]s|regional|average|overall|whole)[^,;.]*?\bby\s*$",
    _I,
)
_DIFF_AFTER = re.compile(
    r"^\s*(?P<dir>higher|lower|above|below|more|less)(?:\s+than)?\s+(?P<what>[^,;.]*)", _I
)
_RATE_NEAR = re.compile(
    r"年均|年平均|average\s+annual|annual\s+average|annually|compound\s+annual|CAGR"
    r"|a\s+year\s+on\s+average|per\s+year|each\s+year",
    _I,
)
_SHARE = re.compile(
    r"account(?:s|ed|ing)?\s+for|\bshares?\b(?!\s+(?:price|index))|proportion|make\s+up|makes\s+up"
    r"|made\s+up|making\s+up|contribution\s+to|占比?|比重|占有率|份额|percent\s+of\s+the|%\s+of",
    _I,
)
#: A part of the whole just named: 其中…, "of which …", "including …", "38 of them".
_PART_BEFORE = re.compile(
    r"其中|\bof\s+(?:which|whom|them|these|this|that)\b|\bamong\s+(?:them|which|these)\b|\bincluding\b",
    _I,
)
_PART_AFTER = re.compile(
    r"^\s*(?:of\s+(?:them|which|whom|these|those)\b|of\s+the\s+(?:[\w-]+\s+){0,2}?(?:\d|total|whole))",
    _I,
)
_PART_LEAD = re.compile(r"^\s*(?:其中|Of\s+(?:these|them|this|which|the\s+[\w\s-]{0,40}?,))", _I)
_SHARE_AFTER = re.compile(r"^\s*of\s+(?!which\b|growth\b)[\w'’]", _I)
_CUMULATIVE = re.compile(
    r"cumulative(?:ly)?|accumulated|accumulative|累计|累积|总计|so\s+far|to\s+date|迄今"
    r"|since\s+(?:its|their|the)\s+(?:launch|establishment|founding|inception|opening|start|creation)",
    _I,
)
_TOTAL_SINCE = re.compile(r"(?:in\s+total|a\s+total\s+of|total|共计|共|总共|合计)", _I)
_SINCE = re.compile(r"\bsince\b|以来|至今", _I)
#: Totals that the contract reads as cumulative on their own ("a total of", 共计, 累计).
_TOTAL = re.compile(
    r"\ba\s+(?:combined\s+)?total\s+of\b|\bin\s+total\b|\baltogether\b|\bcumulatively\b"
    r"|共计|总计|合计|总共|累计|累积",
    _I,
)
#: "Since 2014", "over the past decade", 近五年, 十年来, 截至目前: a total over a span or so far.
_SPAN_CUE = re.compile(
    r"\bsince\s+(?:(?:19|20)\d\d|the\s+(?:start|beginning|launch|founding)|its|their|then)\b"
    r"|\b(?:in|over|during)\s+the\s+(?:past|last)\s+(?:\w+\s+)?(?:years|decade)\b|\bin\s+recent\s+years\b"
    r"|\bto\s+date\b|\bso\s+far\b|\bthus\s+far\b|(?:19|20)\d\d\s*年以来|以来|至今|迄今|截至目前"
    r"|(?:近|过去)[一二两三四五六七八九十\d]{1,3}年|[一二两三四五六七八九十\d]{1,3}年(?:以)?来",
    _I,
)
#: "Per capita", "per day", 人均, 每万人: an intensity, whatever the unit.
_PER = re.compile(
    r"\bper\s+(?:capita|person|head|resident|household|day|hour|week|month|year|square|hectare"
    r"|mu|10,000|100,000|1,000|thousand|million|unit|employee|worker|student|bed)\b|\bper-capita\b"
    r"|人均|户均|每(?:天|日|小时|周|月|年|万人|千人|百人|平方公里|平方米|亩|公顷|人|户)|平均每|日均|万人(?:拥有|均)",
    _I,
)
_RATE_SUBJECT = re.compile(
    r"intensity|ratio|(?<!growth\s)\brates?\b|强度|(?<!增长)(?<!增)(?<!速)率|比率", _I
)
#: "Average annual growth", 年均增长: read by the subject, which says what the figure measures.
AVERAGE_ANNUAL = _RATE_NEAR
_RATE_AFTER = re.compile(r"^\s*(?:a|per|each)\s+year\b|^\s*annually\b|^\s*on\s+average\b", _I)
_RND = re.compile(r"R&D|research\s+and\s+development|研发|研究与试验发展", _I)
_OF_GDP = re.compile(
    r"^\s*of\s+(?:(?:its|their|the|the\s+city['’]s|the\s+region['’]s)\s+)?(?:combined\s+|regional\s+)?"
    r"(?:GDP|gross\s+domestic\s+product)",
    _I,
)
_AS_SHARE_OF_GDP = re.compile(r"as\s+a\s+(?:share|percentage|proportion)\s+of\s+(?:its\s+)?GDP", _I)
_GROWTH_SUBJECT = re.compile(r"\bgrowth\b|增长|增速|增幅|涨幅", _I)


def comparator(before: str, after: str) -> str:
    """The comparator from the words right before (or after) a number."""
    for rx, comp in _COMPARATOR_BEFORE:
        if rx.search(before):
            return comp
    for rx, comp in _COMPARATOR_AFTER:
        if rx.search(after):
            return comp
    return "="


def strip_comparator(before: str) -> str:
    """``before`` without a trailing comparator phrase."""
    for rx, _ in _COMPARATOR_BEFORE:
        m = rx.search(before)
        if m:
            return before[: m.start()]
    return before


def _difference(near: str, after: str, unit: str, clause_before: str = "") -> int:
    """+1/-1 when the number is a gap to some reference ("1.6 points higher than ..."), else 0."""
    if unit not in {"pp", "%", "times"}:
        return 0
    m = _DIFF_AFTER.match(after)
    if m and not re.search(r"year|period|earlier|ago|20\d\d|month", m["what"], _I):
        return -1 if m["dir"].lower() in {"lower", "below", "less"} else 1
    # "北京和天津则分别低于全国1.1个百分点和0.8个百分点": the cue may sit before the first of a list
    d = _DIFF_BEFORE.search(near) or (
        _DIFF_BEFORE.search(clause_before) if re.search(r"分别|和|、", near) else None
    )
    if d and unit == "pp":
        lower = d.group().startswith("低于") or re.match(
            r"比(?:全国|全市)[^，,。；;]{0,4}?(?:低|少|慢)", d.group()
        )
        return -1 if lower else 1
    e = _DIFF_BEFORE_EN.search(near)
    if e:
        return -1 if re.match(r"trail|lag|below|lower", e["dir"], _I) else 1
    return 0


_PHRASAL_UP = re.compile(
    r"\b(?:set|sets|setting|made|make|makes|making|sign|signed|signing|open|opened|opening"
    r"|build|built|building|take|took|taken|takes|come|came|end|ended|line|lined|show|showed"
    r"|turn|turned|shore|shored|add|adds|added)\s+up\b",
    _I,
)


_TIME_TAIL = re.compile(
    r"(?:\s*(?:(?:in|by|during|for)\s+(?:the\s+end\s+of\s+)?(?:19|20)\d\d|(?:19|20)\d\d\s*年(?:底|末)?"
    r"|[上下]半年|今年|去年|上年|年底|年末)\s*(?:的|,|，)?\s*)+$",
    _I,
)


def _change(near: str, after: str, ratio: bool = True) -> int:
    """+1/-1 when the number is a change (up/down), else 0."""
    near = _TIME_TAIL.sub("", near)
    near = _PHRASAL_UP.sub(lambda m: " " * len(m.group()), near)
    hits = list(_CHANGE_NEAR.finditer(near))
    if hits and hits[-1].end() >= len(near.rstrip()):
        return -1 if hits[-1]["down"] else 1
    if _TO_LEVEL.search(near):
        return 0
    if (
        hits
        and (
            ratio
            or (
                re.fullmatch(
                    r"\s*(?:by\s+)?(?:(?:\S+\s+){0,2}|[\u4e00-\u9fff]{0,4})", near[hits[-1].end() :]
                )
                # "contracted investment of 86.3 billion yuan": an adjective, not a fall
                and not re.search(r"\bof\s*$", near[hits[-1].end() :], _I)
            )
        )
    ):
        return -1 if hits[-1]["down"] else 1
    m = _CHANGE_AFTER.match(after)
    if m:
        return -1 if m["down"] or re.search(rf"\b(?:{_DOWN})\b", near, _I) else 1
    return 0


_OF_GDP_IN = re.compile(r"\bof\s+(?:\S+\s+){0,3}(?:GDP|gross\s+domestic\s+product)", _I)
#: What a text must hold for :data:`_SPAN_CUE` / :data:`_SHARE` to match in it (each
#: alternative holds one of these words, under the same case rule): no match ends before the
#: first of them does.
_SPAN_CUE_NEEDS = tuple(
    re.compile(w, _I)
    for w in [
        *("since", "past", "last", "recent", "date", "far"),
        *("以来", "至今", "迄今", "截至目前", "近", "过去", "来"),
    ]
)
_SHARE_NEEDS = tuple(
    re.compile(w, _I)
    for w in [
        *("account", "share", "proportion", "mak", "mad", "contribution", "percent", "%"),
        *("占", "比重", "份额"),
    ]
)


_Needs = tuple[re.Pattern[str], ...]


class SentenceCues:
    """The cues :func:`kind_and_sign` reads from a figure's whole sentence, or from all of
    it before the figure, looked for once a sentence and not once a figure (a sentence can
    hold hundreds of figures: a flattened table).

    ``before(rx, needs, end)`` is ``bool(rx.search(text[:end]))``, asked for the figures of
    the sentence in order: a match found for one figure is tried again, where it starts,
    for the next (``search`` with ``pos``/``endpos`` reads the text as the slice would, the
    characters before ``pos`` included); the sentence is searched from its start while no
    match is known, and not before the first of the words a match needs has ended.

    >>> cues = SentenceCues("Since 2014 the park's output rose 12% and 15%")
    >>> cues.before(_SPAN_CUE, _SPAN_CUE_NEEDS, 4), cues.before(_SPAN_CUE, _SPAN_CUE_NEEDS, 34)
    (False, True)
    """

    __slots__ = ("_found", "_hits", "_needs", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._found: dict[re.Pattern[str], bool] = {}
        self._hits: dict[re.Pattern[str], int] = {}  # where the last match found starts
        self._needs: dict[_Needs, int] = {}

    def has(self, rx: re.Pattern[str]) -> bool:
        """Whether ``rx`` matches anywhere in the sentence."""
        found = self._found.get(rx)
        if found is None:
            found = self._found[rx] = rx.search(self.text) is not None
        return found

    def before(self, rx: re.Pattern[str], needs: _Needs, end: int) -> bool:
        """Whether ``rx`` matches in the sentence's first ``end`` characters."""
        if end < self._first_end(needs):
            return False
        hit = self._hits.get(rx, -1)
        if hit >= 0:
            again = rx.search(self.text, hit, end)
            if again is not None:
                self._hits[rx] = again.start()
                return True
        m = rx.search(self.text, 0, end)
        self._hits[rx] = -1 if m is None else m.start()
        return m is not None

    def _first_end(self, needs: _Needs) -> int:
        """Where the first of the words a match needs ends (past the end: none is there)."""
        at = self._needs.get(needs)
        if at is None:
            ends = [m.end() for m in (w.search(self.text) for w in needs) if m is not None]
            at = self._needs[needs] = min(ends, default=len(self.text) + 1)
        return at


def kind_and_sign(  # noqa: C901, PLR0911 - one return per rung of the decision ladder
    near: str,
    clause_before: str,
    after: str,
    unit: str,
    sentence: SentenceCues,
    offset: int | None = None,
) -> tuple[str, int]:
    """``(kind, sign)`` for a number given its context; sign is -1 for falls.

    ``sentence`` is the number's sentence, ``offset`` where the number starts in it (None:
    the sentence before the number is not known, and only its clause is read).
    """
    diff = _difference(near, after, unit, clause_before)
    if diff:
        return "difference", diff
    ratio = unit in {"%", "pp", "times"}
    change = _change(near, after, ratio)
    if ratio and (_RATE_NEAR.search(near) or _RATE_AFTER.match(after)):
        # "average annual growth of 6.1%", 年均增长: a growth rate, so a change
        return ("change", change or 1) if change or _GROWTH_SUBJECT.search(near) else ("rate", 1)
    if change:
        return "change", change
    if unit == "times":
        return "change", 1  # a multiple of a base: "1.7 times the 2013 level", 是2013年的2.1倍
    if (
        _PER.search(clause_before)
        or _PER.match(after.lstrip()[:40])
        or re.match(
            r"^\s*(?:a|an|per|each)\s+(?:day|year|month|week|hour|person|capita)\b", after, _I
        )
    ):
        return "rate", 1
    if (
        unit == "%"
        and sentence.has(_RND)
        and (
            _OF_GDP.match(after)
            or _AS_SHARE_OF_GDP.search(clause_before)
            or sentence.has(_OF_GDP_IN)
        )
    ):
        return "rate", 1
    if unit == "%" and (_SHARE.search(clause_before) or _SHARE_AFTER.match(after)):
        return "share", 1
    if (
        unit == "%"
        and _GROWTH_SUBJECT.search(clause_before)
        and not _RATE_SUBJECT.search(clause_before)
    ):
        return "change", 1
    if (
        _CUMULATIVE.search(clause_before)
        or _CUMULATIVE.search(after)
        or (_TOTAL_SINCE.search(clause_before + after) and sentence.has(_SINCE))
        or (
            not ratio
            and (
                _TOTAL.search(clause_before)
                or _TOTAL.search(after)
                or _before(sentence, offset, _SPAN_CUE, _SPAN_CUE_NEEDS, clause_before)
                or _SPAN_CUE.search(after)
            )
        )
    ):
        return "cumulative", 1
    if unit in {"%", ""} and _RATE_SUBJECT.search(clause_before):
        return "rate", 1
    if unit == "%" and _before(sentence, offset, _SHARE, _SHARE_NEEDS, ""):
        return "share", 1
    if (
        _PART_BEFORE.search(clause_before)
        or _PART_AFTER.match(after)
        or (offset is not None and _PART_LEAD.match(sentence.text, 0, offset))
        or (unit == "%" and re.search(r"比例|占有率|份额", clause_before))
    ):
        return "share", 1  # 其中…, "of which …", "38 of them": a part of the whole just named
    return "level", 1


def _before(
    sentence: SentenceCues,
    offset: int | None,
    rx: re.Pattern[str],
    needs: _Needs,
    fallback: str,
) -> bool:
    """``rx`` in the sentence before the number (from its start), else in ``fallback``."""
    if offset:
        return sentence.before(rx, needs, offset)
    return bool(rx.search(fallback))
