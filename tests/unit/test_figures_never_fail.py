"""No text makes figure extraction fail, and what it returns keeps to the contract.

Property tests (hypothesis) over arbitrary Unicode and over text built from the pieces real
figures are made of (digits, Chinese and financial numerals, magnitudes, units, cue words),
so the readers of numbers, periods and regions meet their edge cases; plus the fallback that
reads a body piece by piece when reading it whole fails.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjj_etl.parse import figures as figures_module
from jjj_etl.parse import parse_article
from jjj_etl.parse.figures import extract_figures
from jjj_etl.records import COMPARATORS, KINDS
from jjj_etl.tools import figures_jsonl

SEEDS = Path(__file__).resolve().parents[2] / "sql" / "seeds" / "regions.csv"
REGIONS = {line.split(",", 1)[0] for line in SEEDS.read_text("utf-8").splitlines()[1:]}
PERIOD = re.compile(r"(?:19|20)\d\d(?:-\d\d)?(?:/(?:19|20)\d\d(?:-\d\d)?)?")

PIECES = [
    *"0123456789０１２３４５６７８９.,%％-~～ \n。，、；（）()$¥",
    *"零〇一二两三四五六七八九十百千万亿萬億兩點壹贰貳叁參肆伍陆陸柒捌玖拾佰仟多余餘逾近约約超",
    "百分之",
    "个百分点",
    "亿元",
    "万吨",
    "倍",
    "家",
    "人次",
    "天",
    "年",
    "月",
    "日",
    "季度",
    "上半年",
    "去年",
    "今年",
    "前三季度",
    "以来",
    "累计",
    "其中",
    "占",
    "同比增长",
    "下降",
    "分别",
    "全市",
    "北京",
    "天津",
    "河北",
    "雄安",
    "京津冀",
    "三地",
    "流向",
    "津冀",
    "全国",
    "上海",
    " billion yuan",
    " percent",
    " percentage points",
    " times",
    "m tons",
    "bn",
    "$",
    "Rmb",
    " micrograms per cubic meter",
    " from ",
    " to ",
    " since ",
    " last year",
    " the first half",
    " a total of ",
    " of which ",
    " respectively",
    "Beijing",
    "Tianjin",
    "Hebei",
    "the city",
    " up ",
    " down ",
    " in 2024",
    " 2013",
    "the three places",
    "BEIJING, March 28 (Xinhua) --",
]
figure_text = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
dates = st.one_of(st.none(), st.dates().map(str), st.text(max_size=12))


def _check(body: str, figs: list) -> None:
    for f in figs:
        assert body[f.start : f.end] == f.surface
        assert f.sentence_start <= f.start < f.end <= f.sentence_end <= len(body)
        assert math.isfinite(f.value)
        assert f.value_high is None or math.isfinite(f.value_high)
        assert f.kind in KINDS
        assert f.comparator in COMPARATORS
        assert f.region is None or f.region in REGIONS
        assert f.period is None or PERIOD.fullmatch(f.period), f.period
        assert f.alt_of is None or 0 <= f.alt_of < len(figs)


@given(st.text(max_size=300), st.sampled_from([None, "en", "zh"]), dates, st.text(max_size=40))
def test_arbitrary_unicode_never_raises(
    text: str, lang: str | None, pub: str | None, title: str
) -> None:
    _check(text, extract_figures(text, lang, pub, title=title))


@given(figure_text, st.sampled_from([None, "en", "zh"]), dates, figure_text)
def test_figure_like_text_never_raises(
    text: str, lang: str | None, pub: str | None, title: str
) -> None:
    _check(text, extract_figures(text, lang, pub, title=title))


@given(st.binary(max_size=2000))
def test_parse_article_never_raises_on_bytes(raw: bytes) -> None:
    page = parse_article(raw, "http://127.0.0.1/x.html", "test")
    assert (page.article is None) == (page.skipped is not None)


@given(figure_text)
def test_parse_article_never_raises_on_html_with_figure_text(text: str) -> None:
    html = f"<html><head><title>{text[:40]}</title></head><body><article><p>{text}</p>" * 3
    raw = (html + "</article></body></html>").encode("utf-8")
    page = parse_article(raw, "http://127.0.0.1/x.html", "test")
    if page.article is not None:
        _check(page.article.body, list(page.figures))


def test_the_issue_s_crash_now_reads_a_range() -> None:
    (f,) = extract_figures("百分之二三十的企业", "zh")
    assert (f.value, f.value_high, f.unit) == (20.0, 30.0, "%")


def test_a_failing_body_is_read_piece_by_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    """An internal failure on one sentence loses that sentence only; offsets still fit."""
    real = figures_module._extract

    def flaky(body: str, *args: object) -> list:
        if "POISON" in body:
            raise RuntimeError("injected")
        return real(body, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(figures_module, "_extract", flaky)
    body = "Exports rose 5.2% in 2024.\nPOISON 7 billion yuan. Imports fell 3%.\n出口增长8%。"
    figs = extract_figures(body, None, "2025-03-01")
    assert [f.surface for f in figs] == ["5.2%", "3%", "8%"]
    _check(body, figs)
    assert figs[1].value == -3.0


def test_figures_stream_answers_every_line_even_on_internal_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = figures_module.extract_figures

    def failing(text: str, *args: object, **kw: object) -> list:
        if "boom" in text:
            raise RuntimeError("injected failure")
        return real(text, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr("jjj_etl.parse.extract_figures", failing)
    lines = [
        json.dumps({"id": "a", "text": "boom 5%"}),
        json.dumps({"id": "b", "text": "Exports rose 5.2% in 2024.", "title": "Beijing"}),
    ]
    sink = io.StringIO()
    assert figures_jsonl(lines, sink, None) == 2
    a, b = (json.loads(x) for x in sink.getvalue().splitlines())
    assert a["id"] == "a"
    assert "injected failure" in a["error"]
    assert b["figures"][0]["value"] == 5.2
    assert b["figures"][0]["region"] == "CN-BJ"


@given(st.lists(st.text(max_size=80), max_size=8))
def test_figures_stream_one_answer_per_nonblank_line(raw_lines: list[str]) -> None:
    lines = [json.dumps({"id": i, "text": t}) if i % 2 else t for i, t in enumerate(raw_lines)]
    sink = io.StringIO()
    n = figures_jsonl(lines, sink, None)
    out = sink.getvalue().splitlines()
    assert n == len(out) == sum(1 for x in lines if x.strip())
    for line in out:
        json.loads(line)
