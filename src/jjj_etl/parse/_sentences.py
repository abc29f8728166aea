"""Sentence and clause boundaries, and the language of a stretch of text.

Offsets always index the original body: nothing here copies or rewrites text.
A sentence ends at ``。！？!?``, at a line break, or at a full stop that is followed
by white space (or the end) and is neither a decimal point nor the dot of a known
abbreviation ("U.S.", "Mr.", "No.", "Jan." ...).  Closing quotes and brackets
right after the terminator stay with the sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_TERMINATOR = re.compile(r"[。！？!?]+|\.(?=\s|$|[\"”’»）)])|\n")
_CLOSERS = frozenset('"”’»）)】」』')
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "nos",
        "co",
        "ltd",
        "inc",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "vs",
        "approx",
        "est",
        "gov",
        "jr",
        "sr",
        "dept",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "p.m",
        "a.m",
    }
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_CLAUSE_BREAK = re.compile(r"[,;:，；：]|\s[-–—]\s|\swhile\s|\swhereas\s")


def _is_abbreviation(body: str, dot: int) -> bool:
    m = _WORD_BEFORE.search(body, max(0, dot - 12), dot)
    if m is None:
        return False
    word = m.group(1).lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith", "U.S." (second dot handled by the lookahead)
    return word.rstrip(".") in _ABBREVIATIONS


def _sentence_end(body: str, m: re.Match[str]) -> int | None:
    """End offset of a sentence closed by terminator ``m``, or None if it does not close one."""
    if m.group() == "." and _is_abbreviation(body, m.start()):
        return None
    end = m.end()
    while end < len(body) and body[end] in _CLOSERS:
        end += 1
    return end


def _trimmed(body: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of each sentence in ``body``, white space trimmed.

    >>> text = "Exports rose 5.2% in 2024. Imports fell.\\n进口下降。出口增长！"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['Exports rose 5.2% in 2024.', 'Imports fell.', '进口下降。', '出口增长！']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _TERMINATOR.finditer(body):
        if m.start() < start:
            continue
        end = _sentence_end(body, m)
        if end is None:
            continue
        span = _trimmed(body, start, end)
        if span is not None:
            spans.append(span)
        start = end
    last = _trimmed(body, start, len(body))
    if last is not None:
        spans.append(last)
    return spans


def is_chinese(text: str, default: bool = False) -> bool:
    """True when CJK characters make up at least 30% of the letters in ``text``."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk + latin == 0:
        return default
    # a Latin word is ~5 letters but carries about as much as 1.5 CJK characters
    return cjk >= 0.3 * (cjk + latin / 3.5)


def clause_bounds(body: str, lo: int, hi: int, start: int, end: int) -> tuple[int, int]:
    """The clause around ``body[start:end]`` inside the sentence ``body[lo:hi]``.

    Clauses break at commas, semicolons, colons and enumeration commas; a break
    inside brackets (a converted amount) does not count.
    """
    return ClauseBreaks(body, lo, hi).around(start, end)


class ClauseBreaks:
    """The clause breaks of one sentence ``body[lo:hi]``, found once: each figure's clause
    is then two binary searches, not a scan of the sentence up to the figure.

    >>> text = "GDP rose 5%, exports 1,200 tons; imports fell"
    >>> breaks = ClauseBreaks(text, 0, len(text))
    >>> [text[a:b] for a, b in (breaks.around(21, 26), breaks.around(9, 11))]
    [' exports 1,200 tons', 'GDP rose 5%']
    """

    __slots__ = ("_ends", "_hi", "_lo", "_starts")

    def __init__(self, body: str, lo: int, hi: int) -> None:
        found = [
            m
            for m in _CLAUSE_BREAK.finditer(body, lo, hi)
            if not _is_thousands_comma(body, m.start())
        ]
        self._lo, self._hi = lo, hi
        self._starts = [m.start() for m in found]
        self._ends = [m.end() for m in found]

    def around(self, start: int, end: int) -> tuple[int, int]:
        """``(left, right)``: after the last break that ends by ``start``, up to the first
        break that starts at or after ``end`` (else the sentence's ends)."""
        i = bisect_right(self._ends, start)
        left = self._ends[i - 1] if i > 0 else self._lo
        j = bisect_left(self._starts, end)
        right = self._starts[j] if j < len(self._starts) else self._hi
        return left, right


def _is_thousands_comma(body: str, i: int) -> bool:
    return (
        body[i] == "," and 0 < i < len(body) - 1 and body[i - 1].isdigit() and body[i + 1].isdigit()
    )
