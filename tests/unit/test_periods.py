"""Period mentions and how a figure picks its period."""

from __future__ import annotations

import pytest

from jjj_etl.parse._periods import Pub, close_since, find_mentions


def _periods(text: str, pub: int | None = 2025) -> list[str]:
    when = None if pub is None else Pub(pub)
    found = find_mentions(text, 0, len(text), when)
    return [m.period for m in close_since(found, text, when)]


@pytest.mark.parametrize(
    ("text", "periods"),
    [
        ("in 2024", ["2024"]),
        ("2024年", ["2024"]),
        ("in the first half of 2025", ["2025-01/2025-06"]),
        ("in the second half of last year", ["2024-07/2024-12"]),
        ("H1 2025", ["2025-01/2025-06"]),
        ("上半年", ["2025-01/2025-06"]),
        ("2024年下半年", ["2024-07/2024-12"]),
        ("1-10月", ["2025-01/2025-10"]),
        ("2024年1至10月", ["2024-01/2024-10"]),
        ("January-October 2024", ["2024-01/2024-10"]),
        ("the first 10 months of 2024", ["2024-01/2024-10"]),
        ("前三季度", ["2025-01/2025-09"]),
        ("the first three quarters of this year", ["2025-01/2025-09"]),
        ("Q3 2024", ["2024-07/2024-09"]),
        ("2024年第一季度", ["2024-01/2024-03"]),
        ("in March 2025", ["2025-03"]),
        ("3月份", ["2025-03"]),
        ("last year", ["2024"]),
        ("去年", ["2024"]),
        ("截至去年底", ["2024"]),
        ("this year", ["2025"]),
        ("since 2013", ["2013/2025"]),
        ("since 2013, by the end of last year", ["2013/2024", "2024"]),
        ("Since 2013 ... in 2024", ["2013/2024", "2024"]),
        ("自2013年以来", ["2013/2025"]),
        ("from 2013 to 2023", ["2013/2023"]),
        ("2013-2023年", ["2013/2023"]),
        ("the 14th Five-Year Plan", ["2021/2025"]),
        ("“十三五”时期", ["2016/2020"]),
    ],
)
def test_mentions(text: str, periods: list[str]) -> None:
    assert _periods(text) == periods


@pytest.mark.parametrize(
    "text",
    [
        "from a year earlier",
        "比上年增长",
        "去年同期",
        "compared with the same period last year",
        "On March 28, 2025",
        "2025年3月28日",
        "2025-03-28",
        "3月28日",
    ],
)
def test_not_periods(text: str) -> None:
    assert _periods(text) == []


def test_relative_periods_need_a_publication_year() -> None:
    assert _periods("last year and 上半年", pub=None) == []
    assert _periods("in 2024", pub=None) == ["2024"]
