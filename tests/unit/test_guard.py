"""The first-character guard changes how fast a pattern fails, never what it matches."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjj_etl.parse import _guard, _periods, _regions, _scan
from jjj_etl.parse._eval import load_corpus
from jjj_etl.parse._fold import fold
from jjj_etl.parse._guard import Alternatives, Haystack, guarded

CORPUS = Path(__file__).resolve().parents[1] / "data" / "figures_corpus.jsonl"

_GUARDED = [
    _periods._DAY_RANGE,
    _periods._HOLIDAY,
    _periods._DATE,
    _periods._BASE,
    _periods._SINCE[0],
    _periods._BACK,
    _periods._EVENT,
    _periods._FULL_YEAR,
    *(rx for rx, _, _ in _periods._PATTERNS),
    _scan._MASKS,
    _scan._CORE,
    *(rx for rx, _ in _scan._SPECIALS),
    _regions._REGION,
]


def _plain(rx: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern as written, without its guard."""
    m = re.fullmatch(
        r"\(\?=(?:\[[^\]]*\]\|?)?(?:\(\?-?i:\[[^\]]*\]\))?\)\(\?:(.*)\)", rx.pattern, re.S
    )
    return re.compile(m.group(1), rx.flags) if m else rx


def _matches(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in rx.finditer(text)]


def test_the_costly_patterns_are_guarded() -> None:
    assert sum(_plain(rx) is not rx for rx in _GUARDED) >= 24


def test_guarded_patterns_match_as_written_on_the_corpus() -> None:
    texts = [fold(item.text) for item in load_corpus(CORPUS)]
    for rx in _GUARDED:
        plain = _plain(rx)
        for text in texts:
            assert _matches(rx, text) == _matches(plain, text), (rx.pattern[:60], text)


_ALPHABET = st.sampled_from(
    [
        *"0123456789 .,-%$年月日前上下半季度第一二三四首去今至到亿万元Qqfirstquarthalf",
        *("since ", "the ", "first ", "2024", "1-10月", "H1 ", "Jan.", "March", "from ", "to "),
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_guarded_patterns_match_as_written_on_any_text(text: str) -> None:
    for rx in _GUARDED:
        assert _matches(rx, text) == _matches(_plain(rx), text)


def test_a_scoped_case_flag_is_tested_under_the_same_flag() -> None:
    cases = ((re.compile("(?i:ab)|c"), "(?i:"), (re.compile("(?-i:ab)|c", re.I), "(?-i:"))
    for rx, scope in cases:
        fast = guarded(rx)
        assert fast.pattern.startswith("(?=[")
        assert scope in fast.pattern
        assert _plain(fast).pattern == rx.pattern
        for text in ("xAB c", "ab C", "Ab", "aB cC"):
            assert _matches(fast, text) == _matches(rx, text)


def test_what_cannot_be_read_for_sure_is_left_alone() -> None:
    for pattern in ("[^a]+b", ".x", r"(a)?\1", "(?a:ab)|c", "a?", "百分之[0-9]+"):
        rx = re.compile(pattern)
        assert guarded(rx) is rx
    rx = guarded(re.compile(r"(?<![\d.])(?:\d+|[一二]十)(?=%)"))
    assert rx.pattern.startswith("(?=[")
    assert [m.group() for m in rx.finditer("a 12% b 二十%")] == ["12", "二十"]


@pytest.mark.parametrize(
    "module",
    [
        "_guard",
        "_spans",
        "_sentences",
        "_subjects",
        "_periods",
        "_regions",
        "_scan",
        "_cues",
        "figures",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"jjj_etl.parse.{module}"))
    assert result.attempted > 0
    assert result.failed == 0


_MASK_ALPHABET = st.sampled_from(
    [
        *"ab Z09.-+@_,:（)\n年月中",
        *("COVID-19", "Type-2 ", "x@y.cn", "mail.", "www.", "news.cn", ".com", ".org/a", "Tel: "),
        *("010-8765 4321", "ICP备", "12345678", "3月28日", "May 5", "No. 3", "第5", "v2.0.1 "),
    ]
)


def _spans(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in rx.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(_MASK_ALPHABET, max_size=25).map("".join))
def test_the_mask_scan_leaves_out_only_pieces_that_cannot_match(text: str) -> None:
    # the scan a text gets, the scan with every piece in, and the pieces as first written
    # (greedy runs, not possessive ones) mask the same spans
    as_written = re.compile(_scan._MASKS.pattern.replace("]++", "]+"))
    assert as_written.pattern != _scan._MASKS.pattern
    assert _spans(_scan._masks(text), text) == _spans(_scan._MASKS, text)
    assert _spans(_scan._MASKS, text) == _spans(as_written, text)


def test_the_mask_scan_keeps_the_pieces_a_text_needs() -> None:
    text = "Write to a@b.cn or see news.cn about COVID-19 and Tel: 010-8765 4321"
    spans = [text[a:b] for a, b in _spans(_scan._masks(text), text)]
    assert spans == ["a@b.cn", "news.cn", "COVID-19", "Tel: 010-8765 4321"]
    assert _scan._masks("增长12.7%") is not _scan._MASKS  # nothing costly to look for


# -- alternatives left out where they cannot match ------------------------------------------

_PRUNED = [*_periods._INDEXED_ALTERNATIVES, *(Alternatives(rx) for rx in _GUARDED)]


def _found(alts: Alternatives, text: str) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    rx = alts.for_text(Haystack(text))
    return [] if rx is None else _matches(rx, text)


def test_the_period_patterns_are_read_as_their_alternatives() -> None:
    for alts in _periods._INDEXED_ALTERNATIVES:
        own = _plain(alts.rx)
        assert len(alts._pieces) >= 2, own.pattern[:60]
        assert "|".join(alts._pieces) == own.pattern
        for piece in alts._pieces:
            re.compile(piece, own.flags)  # each one stands alone


def test_alternatives_left_out_change_no_match_on_the_corpus() -> None:
    texts = [fold(item.text) for item in load_corpus(CORPUS)]
    left_out = 0
    for alts in _PRUNED:
        for text in texts:
            assert _found(alts, text) == _matches(alts.rx, text), (alts.rx.pattern[:60], text)
            left_out += alts.for_text(Haystack(text)) is not alts.rx
    assert left_out > len(texts)  # the corpus does leave some out


_CASED_ALPHABET = st.sampled_from(
    [
        *"0123456789 .,-%年月日季度上半去今至到亿元QHJ",
        *("SINCE ", "The ", "First ", "2024", "1-10月", "Jan.", "MARCH ", "From ", "to ", "half"),
        *("National Day holiday", "春节假期", "the past five years", "founded in ", "H1 "),
        *"\u0130\u0131\u017f\u212a",  # letters that fold onto ASCII ones under IGNORECASE
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CASED_ALPHABET, max_size=30).map("".join))
def test_alternatives_left_out_change_no_match_on_any_text(text: str) -> None:
    for alts in _PRUNED:
        assert _found(alts, text) == _matches(alts.rx, text), alts.rx.pattern[:60]


def test_a_left_out_alternative_keeps_its_groups() -> None:
    alts = Alternatives(guarded(re.compile(r"(?P<y>\d{4})年|from (?P<e>\d{4})", re.I)))
    rx = alts.for_text(Haystack("2024年"))
    assert rx is not None
    assert rx is not alts.rx  # "from " is nowhere: that way is left out
    m = rx.search("2024年")
    assert m is not None
    assert m.groupdict() == {"y": "2024", "e": None}
    assert alts.for_text(Haystack("FROM 2023")) is not None  # needs are tested without case
    assert alts.for_text(Haystack("no year here")) is None


def test_a_text_with_a_case_oddity_keeps_every_alternative() -> None:
    alts = Alternatives(re.compile(r"since (\d+)|(\d+)年", re.I))
    assert alts.for_text(Haystack("\u017fince 2020")) is alts.rx  # long s: "since" under (?i)
    assert [m.span() for m in alts.rx.finditer("\u017fince 2020")] == [(0, 10)]


def test_what_is_not_plainly_an_alternation_is_kept_whole() -> None:
    split = _guard._split_alternatives
    assert split(r"a[|\]]b|(c|d)|\||e", 0) == [r"a[|\]]b", "(c|d)", r"\|", "e"]
    assert split("[]|]x|y", 0) == ["[]|]x", "y"]
    for pattern, flags in (
        ("abc|abd", 0),  # the parser factors out the shared "ab"
        ("a|b", 0),  # one character class
        ("x(a|b)", 0),  # no alternation at the top
        ("a # x\n|b", re.VERBOSE),
        ("(?P<n>a)|(?P=n)b", 0),
        ("(?i)ab|cd", 0),  # a global flag cannot move into a group of its own
    ):
        assert split(pattern, flags) is None, pattern
    whole = Alternatives(re.compile("abc|abd"))  # one piece: run whole, or not at all
    assert whole.for_text(Haystack("xabdx")) is whole.rx
    assert whole.for_text(Haystack("xa bx")) is None
