"""The subject of a figure: the short noun phrase it measures, cut out of its clause.

English: the words before the verb ("Technology contracts from Beijing to Tianjin and
Hebei were worth ..." → "technology contracts from Beijing to Tianjin and Hebei"), or
for counts the noun after the number ("over 10,000 branches in Tianjin and Hebei").
Chinese: the clause before the verb, without leading time and region words
("2024年，北京流向津冀技术合同成交额843.7亿元" → "技术合同成交额").
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_EN_VERB = re.compile(
    r"\b(?:were|was|is|are|has|have|had|reached|reaching|totaled|totalled|totaling|stood|hit|rose"
    r"|grew|fell|increased|decreased|declined|dropped|amounted|accounted|accounting|registered"
    r"|recorded|posted|saw|exceeded|surpassed|worth|came|jumped|climbed|topped|generated"
    r"|attracted|received|contributed|achieved|up|down|will|would|could|expanded|edged|soared"
    r"|reported|exported|imported|handled|signed|set|hosted|created|gathered|stands|reaches"
    r"|grows|rises|falls|hits|remained|kept|maintained|covers|covered|cover|cost|costs|employs"
    r"|employed|produced|produces|sold|sells|invested|invests|earned|earns|raised|raises|made"
    r"|makes|added|adds|attracts|involves|involved|includes|included|exceeds|totals|accounts)\b",
    _I,
)
_EN_LEAD = re.compile(
    r"^(?:\s*(?:in|during|by|as\s+of|over|for|since|at|on)\s+(?:the\s+)?"
    r"(?:(?:first|second|third|fourth|end)\s+(?:half|quarter|three\s+quarters|\w+\s+months)"
    r"(?:\s+of)?\s*)?(?:\d{4}|last\s+year|this\s+year|[A-Z][a-z]+)?\s*,?"
    r"|\s*(?:meanwhile|moreover|also|besides|in\s+addition|however|overall|specifically|and|but"
    r"|while|whereas|with|some|of)\s*,?"
    r"|\s*(?:the|its|their|a|an)\s+)+",
    _I,
)
_EN_NOUN_AFTER = re.compile(
    r"^[ \t]*((?:[\w'’&-]+[ \t]+){0,6}?[\w'’&-]+?)(?=[ \t]+(?:"
    + _EN_VERB.pattern[2:-2]
    + r"|in\s+\d"
    r"|last|this|since|from|with|which|that|and\s+\d|as|by)\b|[,.;:()]|$)",
    _I,
)
_ZH_CUT = re.compile(
    r"由|从|比上年|比去年|较上年|同比|环比|增长|下降|达到|达|为|实现|完成|突破|超过|累计|共计|占|约|近|逾"
    r"|提高|提升|减少|增加(?!值)|年均|总计|合计|超|是|有|至|到|共|高出|高于|低于|超出"
)
_ZH_LEAD = re.compile(
    r"^(?:\d{4}年(?:度)?|今年|去年|上年|全年|[上下]半年|前三季度|[一二三四1-4]季度|\d{1,2}[-—至]\d{1,2}月"
    r"|\d{1,2}月(?:份)?|截至\S*?(?:底|末)|截至目前|目前|其中|同时|此外|另外|当年|年内|期间|的|，|,|\s"
    r"|北京(?:市)?(?:流向|输出到?|向)?|天津(?:市)?|河北(?:省)?|雄安(?:新区)?|京津冀(?:地区)?|津冀|全市|全省|全国|三地"
    r"|我国|中关村)+"
)
_ZH_VERB_LEAD = re.compile(r"^(?:累计|共计|共|新增|总计|合计|其中|约合|约|人民币|完成|实现)+")
_ZH_NOUN_AFTER = re.compile(
    r"^[\u4e00-\u9fffA-Za-z&]{1,10}?(?=[，。；、,;（(]|$|的|在|和|与|及|，|同比|比)"
)


class ProperNouns:
    """Which capitalised words of an article also stand capitalised mid-sentence (after a
    lower-case letter, comma or semicolon and a space): those are proper nouns.

    The words that follow such a gap are indexed once, by the run of word characters they
    start with, so asking about a word looks at that word's places only, not the whole body.

    >>> names = ProperNouns("Exports rose. Trade with Beijing, Beijing said")
    >>> names.mid_sentence("Beijing"), names.mid_sentence("Exports")
    (True, False)
    """

    def __init__(self, body: str) -> None:
        self._body = body
        self._at: dict[str, list[int]] = {}
        for m in _MID_WORD.finditer(body):
            self._at.setdefault(m.group(), []).append(m.start())
        self._known: dict[str, bool] = {}

    def mid_sentence(self, word: str) -> bool:
        """True when ``word`` (then a word boundary) stands in the body after ``[a-z,;] ``."""
        if word not in self._known:
            self._known[word] = self._look(word)
        return self._known[word]

    def _look(self, word: str) -> bool:
        rx = re.compile(rf"{re.escape(word)}\b")
        run = _WORD_RUN.match(word)
        if run is None:  # not a word's start: ask the body itself
            return re.search(rf"(?<=[a-z,;] ){rx.pattern}", self._body) is not None
        # where ``word`` then a boundary stands, the body's run of word characters is
        # exactly the word's first run: the places of that run are the only candidates
        return any(rx.match(self._body, p) for p in self._at.get(run.group(), ()))


_MID_WORD = re.compile(r"(?<=[a-z,;] )\w+")
_WORD_RUN = re.compile(r"\w+")


def _lower_first(subject: str, names: ProperNouns) -> str:
    """Lower-case a sentence-initial common word ("Technology" → "technology")."""
    first = subject.split(" ", 1)[0]
    if not first[:1].isupper() or not first[1:].islower():
        return subject
    if names.mid_sentence(first):
        return subject  # capitalised mid-sentence too: a proper noun
    return first.lower() + subject[len(first) :]


def en_subject(clause_before: str, after: str, unit: str, names: ProperNouns) -> str:
    """English subject from the clause before the number (or the counted noun after it)."""
    if unit == "count":
        m = _EN_NOUN_AFTER.match(after)
        if m and not m.group(1)[:1].isdigit():
            return m.group(1).strip()
    text = _EN_LEAD.sub("", clause_before)
    verb = _EN_VERB.search(text)
    if verb:
        text = text[: verb.start()]
    words = text.split()
    if not words:
        return ""
    return _lower_first(" ".join(words[-12:]).strip(" ,;:'\""), names)


def zh_subject(clause_before: str, after: str, unit: str) -> str:
    """Chinese subject: the clause before the verb, minus time and region words."""
    text = _ZH_LEAD.sub("", clause_before.strip(" （(：:"))
    text = _ZH_VERB_LEAD.sub("", text)
    cut = _ZH_CUT.search(text)
    if cut:
        text = text[: cut.start()]
    text = _ZH_LEAD.sub("", text).strip("，,的 ")
    if unit == "count" and (not text or len(text) < 2):
        m = _ZH_NOUN_AFTER.match(after)
        if m:
            return m.group()
    return text[-20:]
