"""The HTML report on a small warehouse built from literal staged rows (no Prefect)."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from builders import figure, page, rebuild, working_copy
from jjj_etl import staging
from jjj_etl.errors import UsageError
from jjj_etl.records import Figure, ParsedPage
from jjj_etl.report import build_report

SUBJECT = "technology contracts from Beijing to Tianjin and Hebei"
EVIL = "<script>alert('x')</script>"
BODY_A = (
    f"Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
    f"in 2024, up 12.7% year on year {EVIL}.\nThe weather was fine."
)
BODY_B = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 80 billion yuan "
    "in 2024, a record.\nMore text."
)
BODY_C = (
    "Technology contracts from Beijing to Tianjin and Hebei were worth 68.7 billion yuan "
    "in 2023.\nOther news."
)


def _fig(body: str, surface: str, value: float, unit: str, kind: str, period: str) -> Figure:
    return figure(body, surface, value, unit, kind=kind, period=period, subject=SUBJECT)


def _page(url: str, title: str, body: str, published: str, figs: list[Figure]) -> ParsedPage:
    return page(url, body, figs, title=title, published=published, source="demo-news")


PAGE_A = _page(
    "http://news.example/a.html",
    "Deals climb 12.7% <b>bold</b>",
    BODY_A,
    "2025-03-28",
    [
        _fig(BODY_A, "84.37 billion yuan", 84.37e9, "CNY", "level", "2024"),
        _fig(BODY_A, "12.7%", 12.7, "%", "change", "2024"),
    ],
)
PAGE_B = _page(
    "https://other.example/b.html",
    "A record year for deals",
    BODY_B,
    "2025-04-02",
    [_fig(BODY_B, "80 billion yuan", 80e9, "CNY", "level", "2024")],
)
PAGE_C = _page(
    "http://news.example/c.html",
    "Deals in 2023",
    BODY_C,
    "2024-02-01",
    [_fig(BODY_C, "68.7 billion yuan", 68.7e9, "CNY", "level", "2023")],
)


def _stage(wh: Path, run: str, pages: list[ParsedPage]) -> None:
    with working_copy(wh) as con:
        staging.ensure_schema(con)
        staging.stage(con, run, [], pages, "1")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Version 1: two sources that disagree about 2024; version 2 adds a 2023 value."""
    wh = tmp_path_factory.mktemp("warehouse")
    _stage(wh, "r1", [PAGE_A, PAGE_B])
    assert rebuild(wh)["version"] == 1
    _stage(wh, "r2", [PAGE_C])
    assert rebuild(wh)["version"] == 2
    return wh


def _without_generated_at(page: str) -> str:
    return re.sub(r'<p class="generated" id="generated-at">[^<]*</p>', "", page)


def test_current_version_report(warehouse: Path) -> None:
    out = build_report(warehouse)
    assert out == warehouse / "exports" / "report.html"
    page = out.read_text(encoding="utf-8")
    assert '<span id="version">2</span>' in page
    assert '<meta name="jjj-version" content="2">' in page
    assert "Technology contract turnover from Beijing to Tianjin and Hebei" in page
    assert "Deals in 2023" in page  # version 2's article
    # untrusted article text is escaped, in sentences and in titles
    assert EVIL not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Deals climb 12.7% &lt;b&gt;bold&lt;/b&gt;" in page
    assert page.count("<script>") == 1  # only the report's own inline script
    # links to the source articles, and the figure marked inside its sentence
    assert '<a href="http://news.example/a.html" rel="noopener noreferrer">' in page
    assert '<a href="https://other.example/b.html" rel="noopener noreferrer">' in page
    assert "worth <mark>80 billion yuan</mark> in 2024" in page
    # the conflict, both sides
    assert 'id="conflicts"' in page
    assert "84.37 billion CNY" in page
    assert "80 billion CNY" in page
    # charts are inline SVG with markers
    assert re.search(r'<svg class="chart" id="chart-1"[^>]*>.*?<circle', page, re.S)


def test_report_is_self_contained(warehouse: Path) -> None:
    page = build_report(warehouse).read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|iframe|link)\b[^>]*\b(src|href)\s*=", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.I)
    for match in re.finditer(r"\b(src|href)\s*=\s*\"([^\"]*)\"", page):
        tag_start = page.rfind("<", 0, match.start())
        assert page[tag_start : tag_start + 2] == "<a", page[tag_start : match.end()]


def test_past_version_report(warehouse: Path, tmp_path: Path) -> None:
    out = build_report(warehouse, version=1, out=tmp_path / "v1.html")
    assert out == tmp_path / "v1.html"
    page = out.read_text(encoding="utf-8")
    assert '<span id="version">1</span>' in page
    assert "a past version of the warehouse" in page
    assert "Deals in 2023" not in page  # added in version 2
    assert "A record year for deals" in page


def test_report_is_deterministic(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_report(warehouse, out=tmp_path / "1.html").read_text(encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    second = build_report(warehouse, out=tmp_path / "2.html").read_text(encoding="utf-8")
    assert "Generated at 2023-11-14 22:13:20 UTC" in second
    assert first != second
    assert _without_generated_at(first) == _without_generated_at(second)


def test_unknown_version_and_missing_warehouse(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no version 9"):
        build_report(warehouse, version=9)
    with pytest.raises(UsageError, match="no warehouse"):
        build_report(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "module", ["jjj_etl.report", "jjj_etl.report._format", "jjj_etl.report._charts"]
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0
