"""Figures in article text: every quantity, with unit, comparator, kind, period and region.

The pipeline is one regex pass (:mod:`._scan`) over a digit-folded copy of the body (full-width
digits become ASCII without moving any offset), then each token is read in its sentence and
clause: the comparator and kind from the words around it (:mod:`._cues`), the period from the
dates named nearby (:mod:`._periods`), the region (:mod:`._regions`) and a short subject
(:mod:`._subjects`).  A converted amount in brackets ("84.37 billion yuan ($11.78 billion)")
points at the figure it converts through ``alt_of``.

Deliberately *not* figures: dates, bare years, times, phone and licence numbers, ordinals,
versions, list numbers, names with digits, and durations ("11 years of collaboration",
"10年来"): a duration says how long something went on, not how much of the measured thing
there is, and counting it would flood the warehouse with noise.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from dataclasses import dataclass, replace

from jjj_etl.parse._cues import (
    AVERAGE_ANNUAL,
    SentenceCues,
    comparator,
    kind_and_sign,
    strip_comparator,
)
from jjj_etl.parse._fold import fold
from jjj_etl.parse._periods import (
    Mention,
    PeriodIndex,
    Pub,
    choose_period,
    close_since,
    find_mentions,
)
from jjj_etl.parse._regions import (
    OTHER,
    RegionIndex,
    mask_datelines,
    mover_flow,
    region_before,
    region_in,
    region_of_clause,
    respective,
)
from jjj_etl.parse._scan import Token, scan
from jjj_etl.parse._sentences import ClauseBreaks, is_chinese, split_sentences
from jjj_etl.parse._subjects import ProperNouns, en_subject, zh_subject
from jjj_etl.records import Figure, as_comparator, as_kind

__all__ = ["extract_figures", "split_sentences"]

log = logging.getLogger(__name__)

_RATIO = frozenset({"%", "pp", "times"})
_MONEY = frozenset({"CNY", "USD", "HKD", "EUR", "JPY", "GBP", "TWD", "SGD", "AUD"})
_ALT_GAP = re.compile(
    r"^\s*(?:[（(]|,\s*or|[,，]\s*(?:或|约合|折合|合|相当于)|,\s*equivalent\s+to)\s*(?:or\s+)?"
    r"(?:about|around|approximately|roughly|some|nearly|almost|约合|约|合|折合|相当于)?\s*"
    r"(?:人民币|RMB)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    lo: int
    hi: int
    zh: bool
    mentions: tuple[Mention, ...]
    default: str | None
    breaks: ClauseBreaks  # the sentence's clause breaks, found once
    cues: SentenceCues  # the cues read from the whole sentence, found once
    topic: str | None = None  # the region carried from the paragraph, else the article's


def _pub_year(published: str | None) -> Pub | None:
    if not published:
        return None
    m = re.match(r"\s*((?:19|20)\d\d)(?:-(\d\d))?", published)
    if m is None:
        return None
    known = bool(m.group(2)) and 1 <= int(m.group(2) or 0) <= 12
    return Pub(int(m.group(1)), int(m.group(2)) if known else 12, known)


def _with_report_year(pub: Pub | None, title: str) -> Pub | None:
    """``pub`` knowing the year the article reports on: the single year its headline names
    (统计公报 2023, "in 2024"), else last year early in the year (annual data comes out in the
    first quarter), else the publication year."""
    if pub is None:
        return None
    head = fold(title)
    years = [m for m in find_mentions(head, 0, len(head), pub) if re.fullmatch(r"\d{4}", m.period)]
    if years:
        report = years[0].last_year
    else:
        report = pub.year - 1 if pub.month_known and pub.month <= 3 else pub.year
    return replace(pub, report=report)


def _alt_links(t: str, tokens: list[Token]) -> dict[int, int]:
    """Map token index → index of the amount it converts (bracketed other currency)."""
    links: dict[int, int] = {}
    for i in range(1, len(tokens)):
        a, b = tokens[i - 1], tokens[i]
        if a.unit in _MONEY and b.unit in _MONEY and a.unit != b.unit:
            base = links.get(i - 1, i - 1)
            if _ALT_GAP.match(t[a.end : b.start]):
                links[i] = base
    return links


_BASE_FIGURE = re.compile(
    r"\bfrom\s+(?:just\s+|only\s+)?(?:over|about|around|nearly|some)?\s*$", re.I
)


def _default_period(
    t: str, mentions: tuple[Mention, ...], figs: tuple[tuple[int, int], ...]
) -> str | None:
    """The sentence's period: its latest single period, ignoring the year of a base figure
    ("up from 2.9 trillion yuan in 2023") and preferring a single year to a span."""
    bases = [(a, b) for a, b in figs if _BASE_FIGURE.search(t, max(0, a - 30), a)]
    kept = [
        m
        for m in mentions
        if not any(
            b <= m.start and re.fullmatch(r"\s*(?:in\s+)?", t[b : m.start]) for _, b in bases
        )
    ]
    if not kept:
        return None
    return max(kept, key=lambda m: (m.last_year, "/" not in m.period)).period


def _within(tokens: list[Token], starts: list[int], lo: int, hi: int) -> list[Token]:
    """The tokens that start in ``[lo, hi)`` (``starts``: each token's start, in order)."""
    return tokens[bisect_left(starts, lo) : bisect_left(starts, hi)]


def _sentences(
    t: str,
    tokens: list[Token],
    lang: str | None,
    pub: Pub | None,
    spans: list[tuple[int, int]],
    plain: list[list[Mention]],
    places: _Places,
    periods: PeriodIndex,
) -> list[_Sentence]:
    """Each sentence with its period mentions; ``plain`` holds each sentence's mentions found
    with no figure excluded (see :func:`_mentions_by_sentence`)."""
    out: list[_Sentence] = []
    inherited: str | None = None
    carried: str | None = None
    last: str | None = None  # the latest sentence period, across paragraphs ("同期")
    event = places.event  # the period of the event the article reports (a forum, a holiday)
    prev_hi = 0
    latest = _paragraph_years(t, spans, plain)
    starts = [x.start for x in tokens]
    for n, ((lo, hi), first_look) in enumerate(zip(spans, plain, strict=True)):
        if "\n" in t[prev_hi:lo]:
            inherited = None
            carried = None
        figs = tuple((x.start, x.end) for x in _within(tokens, starts, lo, hi))
        # a figure can never be a period: look again, without the figures, only if one of
        # the mentions found sits on a figure (otherwise excluding them changes nothing)
        clash = any(s < m.end and m.start < e for m in first_look for s, e in figs)
        found = find_mentions(periods, lo, hi, pub, figs) if clash else first_look
        context = int(inherited[:4]) if inherited and inherited[:4].isdigit() else latest[n]
        mentions = tuple(close_since(found, t[lo:hi], pub, context))
        if _SAME_PERIOD.search(t, lo, hi) and not mentions:
            inherited = inherited or last
        if _NOW.search(t, lo, hi):
            inherited = None  # "the park now hosts 100 firms": a stock with no time
        elif not mentions and not inherited and _EVENT_WORD.search(t, lo, hi):
            inherited = event  # "at the forum", 假期期间: the period of the event named before
        if event is None and mentions and _EVENT_WORD.search(t, lo, hi):
            event = _default_period(t, mentions, figs)
        default = _default_period(t, mentions, figs) or inherited
        inherited = default
        last = default or last
        zh = is_chinese(t[lo:hi], default=lang == "zh")
        breaks = ClauseBreaks(t, lo, hi)
        cues = SentenceCues(t[lo:hi])
        out.append(_Sentence(lo, hi, zh, mentions, default, breaks, cues, carried or places.topic))
        carried = region_in(places.regions, lo, hi, lo, carried or places.topic) or carried
        prev_hi = hi
    return out


#: "In the same period", 同期: the period of the statement before, even across a paragraph.
_SAME_PERIOD = re.compile(
    r"(?<![去上比较与年])同期(?!相比)|\b(?:in|during|over)\s+the\s+same\s+period\b(?!\s+(?:of\s+)?last)",
    re.I,
)
#: Words that refer back to an event the article reports on.
_EVENT_WORD = re.compile(
    r"\b(?:forum|conference|expo|fair|summit|exhibition|event|sidelines|holiday|festival|games)\b"
    r"|论坛|年会|大会|博览会|展会|峰会|会上|会期|本届|假期|节日期间|黄金周|小长假",
    re.I,
)
#: A present stock ("now hosts", 目前, 现有): no period carries onto it.
_NOW = re.compile(
    r"\b(?:now|currently|at\s+present|presently|to\s+date|so\s+far|is\s+home\s+to|are\s+home\s+to)\b"
    r"|目前|现有|现已|已有|迄今|截至目前|至今",
    re.I,
)


def _paragraph_years(
    t: str, spans: list[tuple[int, int]], plain: list[list[Mention]]
) -> list[int | None]:
    """For each sentence, the latest single year its paragraph states (the end of a "since
    2014" span when the sentence itself names no other year)."""
    out: list[int | None] = []
    para: list[int] = []
    best: dict[int, int | None] = {}
    prev_hi = 0
    index = 0
    for (lo, hi), found in zip(spans, plain, strict=True):
        if "\n" in t[prev_hi:lo]:
            index += 1
        years = [
            m.last_year
            for m in found
            if not m.since and m.period[:4].isdigit() and "/" not in m.period
        ]
        if years:
            best[index] = max([*years, best.get(index) or 0])
        para.append(index)
        prev_hi = hi
    for index in para:
        out.append(best.get(index))
    return out


@dataclass(frozen=True, slots=True)
class _Places:
    """The region names of the body (datelines blanked) and the article's topic region:
    the headline's, else the first one the body names."""

    regions: RegionIndex
    topic: str | None
    event: str | None = None  # the period of the event the headline names


def _places(t: str, title: str, spans: list[tuple[int, int]], pub: Pub | None) -> _Places:
    masked = RegionIndex(mask_datelines(t))
    head = mask_datelines(fold(title))
    topic = region_in(RegionIndex(head), 0, len(head), 0)
    for lo, hi in spans:
        if topic is not None:
            break
        topic = region_in(masked, lo, hi, lo)
    event = None
    if _EVENT_WORD.search(head):
        found = find_mentions(head, 0, len(head), pub)
        event = found[0].period if found else None
    return _Places(masked, topic, event)


def _region(tr: RegionIndex, s: _Sentence, cl_lo: int, cl_hi: int, anchor: int) -> str | None:
    """Clause, then the earlier clauses of the sentence, then the paragraph's or article's
    topic, then anything else the sentence names; a place outside the list is null."""
    topic = s.topic
    region = (
        region_of_clause(tr, cl_lo, cl_hi, anchor, topic, s.lo)
        or region_before(tr, s.lo, cl_lo, topic)
        or topic
        or region_in(tr, s.lo, s.hi, anchor, topic)
    )
    region = mover_flow(tr, s.lo, cl_hi, region, topic) or region
    return None if region == OTHER else region


_BARE_YEAR = re.compile(r"(?:19|20)\d\d(?:\s*年度?)?")


def _masked_periods(t: str, plain: list[list[Mention]]) -> tuple[tuple[int, int], ...]:
    """Spans of period phrases ("1-10月", "the first half of 2025") that hold no figures."""
    return tuple(
        (m.start, m.end)
        for found in plain
        for m in found
        if not _BARE_YEAR.fullmatch(t[m.start : m.end])
    )


_BASE_YEAR = re.compile(
    r"(?:(?:the|its|their)\s+(?P<y>(?:19|20)\d\d)\s+(?:level|figure|total|value)"
    r"|(?:the\s+(?:level|figure|total|value)\s+(?:of|in)|that\s+(?:of|in)|those\s+of|from|over|than(?:\s+in)?)"
    r"\s+(?P<y2>(?:19|20)\d\d)\b(?!\s*(?:to|-|–|and)\s*\d)|(?:是|为|比|较|相当于|达到?)(?P<y3>(?:19|20)\d\d)\s*年(?:末|底)?的?)",
    re.IGNORECASE,
)


def _over_base(
    t: str, s: _Sentence, span: tuple[int, int], period: str | None, pub: Pub | None
) -> str | None:
    """A multiple of a named base year ("1.7 times the 2013 level", 是2013年的2.1倍) is a
    change over the span from that year to the year the data is for: the sentence's latest
    year, else the paragraph's, else the publication's.  (A growth rate against a base year,
    "down 64% from 2013", keeps the year its data is for, as analysts file it.)"""
    m = _BASE_YEAR.search(t, *span)
    if m is None or (period and "-" in period):
        return period  # none named, or a month's data against an earlier stock (截至2月底)
    base = int(m["y"] or m["y2"] or m["y3"])
    later = [x.last_year for x in s.mentions if x.last_year > base and "/" not in x.period]
    inherited = s.default if s.default and s.default[:4].isdigit() else None
    if later:
        end: int | None = max(later)
    elif inherited and int(inherited[:4]) > base:
        end = int(inherited[:4])
    else:
        end = pub.year if pub is not None and pub.year > base else None
    if end is not None and end == base + 1:
        return str(end)  # against the year before: a year-on-year change
    if end is None or (
        period and period[:4].isdigit() and int(period[:4]) > base and "/" in period
    ):
        return period
    return f"{base}/{end}"


def _figure(
    t: str,
    tr: RegionIndex,
    body: _Body,
    s: _Sentence,
    toks: list[Token],
    k: int,
    pub: Pub | None,
) -> Figure:
    """Read token ``toks[k]`` (the main figures of sentence ``s``) in its context."""
    tok = toks[k]
    cl_lo, cl_hi = s.breaks.around(tok.start, tok.end)
    prev_end = toks[k - 1].end if k > 0 else s.lo
    next_start = toks[k + 1].start if k + 1 < len(toks) else s.hi
    near = t[max(cl_lo, prev_end) : tok.start]
    clause_before = t[cl_lo : tok.start]
    after = t[tok.end : max(tok.end, min(cl_hi, next_start))]
    comp = tok.comparator or comparator(near, t[tok.end : cl_hi])
    if tok.kind:
        kind, sign = tok.kind, 1
    else:
        kind, sign = kind_and_sign(
            strip_comparator(near),
            clause_before,
            after,
            tok.unit,
            s.cues,
            tok.start - s.lo,
        )
    value, high = tok.value, tok.value_high
    if sign < 0 and value > 0:
        value, high = -value, (None if high is None else -high)
    period = choose_period(
        t, s.mentions, start=tok.start, end=tok.end, left=prev_end, right=next_start, zh=s.zh
    )
    if kind == "level" and tok.default_kind:
        kind = tok.default_kind  # "三成企业", "a third of": shares unless the words say otherwise
    if kind == "cumulative":
        period = next((m.period for m in s.mentions if "/" in m.period), period)
    period = period or s.default
    if (
        kind == "level"
        and tok.unit not in _RATIO
        and period
        and re.fullmatch(r"\d{4}/\d{4}", period)
    ):
        kind = "cumulative"  # a total over several years ("since 2013", "2014-2024")
    if kind == "change" and tok.unit == "times":
        period = _over_base(t, s, (cl_lo, cl_hi), period, pub)
    region = _region(tr, s, cl_lo, cl_hi, tok.start)
    if s.zh:
        subject = zh_subject(t[max(cl_lo, prev_end) : tok.start] or clause_before, after, tok.unit)
    else:
        subject = en_subject(clause_before, after, tok.unit, body.names)
    if kind == "change" and AVERAGE_ANNUAL.search(near):
        # the subject says what is measured: an average annual growth, not a year's change
        subject = f"{subject}{_AVG_ZH}" if s.zh else f"{_AVG_EN}{subject}"
    return Figure(
        surface=body.text[tok.start : tok.end],
        start=tok.start,
        end=tok.end,
        value=value,
        unit=tok.unit,
        comparator=as_comparator(comp),
        kind=as_kind(kind),
        period=period,
        subject=subject,
        region=region,
        value_high=high,
        sentence_start=s.lo,
        sentence_end=s.hi,
    )


@dataclass(frozen=True, slots=True)
class _Body:
    """The article body as written, and its proper nouns (indexed once per article)."""

    text: str
    names: ProperNouns


_AVG_ZH = "年均增长"
_AVG_EN = "average annual growth of "


def _fill_subjects(figs: list[Figure]) -> list[Figure]:
    """A figure whose clause names no subject ("up 12.7% year on year") takes its neighbour's
    (an average annual growth keeps saying so: "…年均增长")."""
    out: list[Figure] = []
    for f in figs:
        same = out and out[-1].sentence_start == f.sentence_start
        if same and f.subject in {"", _AVG_ZH, _AVG_EN}:
            base = out[-1].subject.removeprefix(_AVG_EN).removesuffix(_AVG_ZH)
            filled = f.subject + base if f.subject == _AVG_EN else base + f.subject
            out.append(replace(f, subject=filled))
        else:
            out.append(f)
    return out


def _sentence_figures(
    t: str,
    tr: RegionIndex,
    body: _Body,
    s: _Sentence,
    tokens: list[tuple[int, Token]],
    alts: dict[int, int],
    pub: Pub | None,
) -> dict[int, Figure]:
    main = [(i, x) for i, x in tokens if i not in alts]
    toks = [x for _, x in main]
    out = {i: _figure(t, tr, body, s, toks, k, pub) for k, (i, _) in enumerate(main)}
    listed = respective(tr, s.lo, s.hi, [x.start for x in toks])
    if listed:
        for (i, _), region in zip(main, listed, strict=True):
            out[i] = replace(out[i], region=region)
    return out


def _alt_figure(body: str, tok: Token, base: Figure, t: str, index: int) -> Figure:
    near = t[base.end : tok.start]
    return replace(
        base,
        surface=body[tok.start : tok.end],
        start=tok.start,
        end=tok.end,
        value=tok.value if base.value >= 0 else -abs(tok.value),
        unit=tok.unit,
        comparator=as_comparator(tok.comparator or comparator(near, "")),
        value_high=tok.value_high,
        alt_of=index,
    )


def extract_figures(
    body: str, lang: str | None = None, published: str | None = None, *, title: str = ""
) -> list[Figure]:
    """Every figure in ``body``, in text order (see "The figure contract" in DESIGN.md).

    ``lang`` ("en", "zh" or None to detect per sentence) breaks ties for text without
    letters; ``published`` (ISO date) resolves "last year", 去年, "the first half".

    ``title`` (the headline) gives the region, and the reported year, of figures whose text
    names neither.  No text makes this raise: should reading the whole body fail, each
    paragraph, then each sentence, is read on its own, and one that still fails yields no
    figure (logged), never an exception that loses the page.

    >>> text = "Exports rose 5.2% to 1.3 trillion yuan in 2024."
    >>> [(f.value, f.unit, f.kind, f.period) for f in extract_figures(text)]
    [(5.2, '%', 'change', '2024'), (1300000000000.0, 'CNY', 'level', '2024')]
    """
    try:
        return _extract(body, lang, published, title)
    except Exception:  # the contract: no text makes extraction fail
        log.warning(
            "figure extraction failed on the whole body; reading it piece by piece", exc_info=True
        )
        return _piecewise(body, lang, published, title)


def _piecewise(body: str, lang: str | None, published: str | None, title: str) -> list[Figure]:
    """Paragraph by paragraph, then sentence by sentence; what still fails is skipped."""
    out: list[Figure] = []
    pos = 0
    for para in body.split("\n"):
        try:
            figs = _extract(para, lang, published, title)
        except Exception:  # a paragraph that fails is read sentence by sentence
            figs = []
            for lo, hi in split_sentences(para):
                try:
                    figs += [_shift(f, lo) for f in _extract(para[lo:hi], lang, published, title)]
                except Exception:  # a paragraph that fails is read sentence by sentence
                    log.warning("no figures from an unreadable sentence: %r", para[lo:hi][:80])
        base = len(out)
        out += [_shift(f, pos, base) for f in figs]
        pos += len(para) + 1
    return out


def _shift(f: Figure, by: int, index_base: int = 0) -> Figure:
    alt = None if f.alt_of is None else f.alt_of + index_base
    return replace(
        f,
        start=f.start + by,
        end=f.end + by,
        sentence_start=f.sentence_start + by,
        sentence_end=f.sentence_end + by,
        alt_of=alt,
    )


def _extract(body: str, lang: str | None, published: str | None, title: str) -> list[Figure]:
    t = fold(body)
    pub = _with_report_year(_pub_year(published), title)
    spans = split_sentences(t)
    # period mentions sentence by sentence, once: they mask the scan (a period is not a
    # figure) and, unless one sits on a figure, are the sentence's periods as they are
    periods = PeriodIndex(t)
    plain = [find_mentions(periods, lo, hi, pub) for lo, hi in spans]
    tokens = scan(t, _masked_periods(t, plain))
    alts = _alt_links(t, tokens)
    places = _places(t, title, spans, pub)
    sentences = _sentences(t, tokens, lang, pub, spans, plain, places, periods)
    text = _Body(body, ProperNouns(body))
    figs: dict[int, Figure] = {}
    starts = [x.start for x in tokens]
    for s in sentences:
        first = bisect_left(starts, s.lo)
        inside = list(enumerate(_within(tokens, starts, s.lo, s.hi), first))
        figs.update(_sentence_figures(t, places.regions, text, s, inside, alts, pub))
    for i in sorted(alts):
        figs[i] = _alt_figure(body, tokens[i], figs[alts[i]], t, alts[i])
    order = [i for i in range(len(tokens)) if i in figs]
    position = {i: n for n, i in enumerate(order)}
    out = [figs[i] for i in order]
    out = [f if f.alt_of is None else replace(f, alt_of=position[f.alt_of]) for f in out]
    return _fill_subjects(out)
