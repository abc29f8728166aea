"""Figure extraction does work in proportion to the text, whatever its length.

No timings: the work is counted.  Every regex pattern a ``jjj_etl.parse`` module keeps at
module level is wrapped so that each search, scan or substitution adds the length of the
text it is asked to look at, and a trace counts the Python lines run.  Four times the
paragraphs must cost about four times the work; a pass over the whole text (or over every
token, span or mention) for each sentence or figure makes it grow with the square.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from types import FrameType, ModuleType
from typing import Any

import pytest

from jjj_etl.parse import (
    _cues,
    _periods,
    _regions,
    _scan,
    _sentences,
    _subjects,
    figures,
)
from jjj_etl.parse.figures import extract_figures
from jjj_etl.records import Figure

_EN = (
    "In 2024, Beijing's GDP reached 4.98 trillion yuan, up 5.2 percent, Tianjin's 1.80 "
    "trillion yuan, up 5.1 percent, and Hebei's 4.75 trillion yuan. Technology contracts "
    "flowing from Beijing to Tianjin and Hebei were worth 84.37 billion yuan ($11.78 billion) "
    "in 2024, up 12.7% year on year. Firms from Zhongguancun had opened more than 10,000 "
    "branches in Tianjin and Hebei by the end of 2024."
)
_ZH = (
    "2024年，北京、天津、河北地区生产总值分别为4.98万亿元、1.80万亿元和4.75万亿元，"
    "分别增长5.2%、5.1%和5.4%。前三季度，天津港集装箱吞吐量完成1700万标准箱，同比增长"
    "6.1%；截至2024年底，雄安新区累计承接北京疏解企业200家，完成投资700亿元。"
)


class _Counting:
    """A compiled pattern that adds the length of every text it scans to ``tally``."""

    def __init__(self, rx: re.Pattern[str], tally: list[int]) -> None:
        self._rx = rx
        self._tally = tally

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rx, name)

    def _scanned(self, text: str, pos: int, endpos: int) -> None:
        self._tally[0] += max(0, min(endpos, len(text)) - pos)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self._scanned(text, pos, endpos)
        return self._rx.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[Any]:
        self._scanned(text, pos, endpos)
        return self._rx.finditer(text, pos, endpos)

    def findall(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        self._scanned(text, pos, endpos)
        return self._rx.findall(text, pos, endpos)

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        self._scanned(text, 0, len(text))
        return self._rx.sub(repl, text, count)


_MODULES: tuple[ModuleType, ...] = (_cues, _periods, _regions, _scan, _sentences, _subjects)


def _work(monkeypatch: pytest.MonkeyPatch, run: Callable[[], object]) -> tuple[int, int]:
    """(characters scanned by regexes, Python lines run) while ``run()`` runs."""
    tally = [0]
    for module in (*_MODULES, figures):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, _Counting(value, tally))
    for name in ("search", "sub", "findall", "finditer"):
        plain = getattr(re, name)

        def counted(*args: Any, _plain: Any = plain, **kwargs: Any) -> Any:
            text = args[2] if _plain is re.sub else args[1]
            tally[0] += len(text)
            return _plain(*args, **kwargs)

        monkeypatch.setattr(re, name, counted)
    lines = [0]

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        del frame, arg
        if event == "line":
            lines[0] += 1
        return trace

    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
        monkeypatch.undo()
    return tally[0], lines[0]


@pytest.mark.parametrize(("paragraph", "lang"), [(_EN, "en"), (_ZH, "zh")])
def test_four_times_the_text_is_about_four_times_the_work(
    monkeypatch: pytest.MonkeyPatch, paragraph: str, lang: str
) -> None:
    def body(n: int) -> str:
        return "\n".join([paragraph] * n)

    short, long = body(6), body(24)

    def read(text: str) -> Callable[[], list[Figure]]:
        return lambda: extract_figures(text, lang, "2025-03-01")

    assert len(read(long)()) == 4 * len(read(short)())
    chars_short, lines_short = _work(monkeypatch, read(short))
    chars_long, lines_long = _work(monkeypatch, read(long))
    # linear work is 4x; a quadratic pass shows as 16x on its share of the work
    assert chars_long <= 4.4 * chars_short, (chars_short, chars_long)
    assert lines_long <= 4.4 * lines_short, (lines_short, lines_long)
