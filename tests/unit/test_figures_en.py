"""English figure extraction: values, units, comparators, kinds, periods, regions."""

from __future__ import annotations

import pytest

from jjj_etl.parse.figures import extract_figures, split_sentences

PUB = "2025-03-28"


def _rows(text: str) -> list[tuple[float, str, str, str, str | None]]:
    return [
        (f.value, f.unit, f.comparator, f.kind, f.period) for f in extract_figures(text, "en", PUB)
    ]


def test_design_example() -> None:
    text = (
        "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion yuan "
        "($11.78 billion) in 2024, up 12.7% year on year."
    )
    figs = extract_figures(text, "en", PUB)
    assert [(f.value, f.unit, f.kind, f.period, f.alt_of) for f in figs] == [
        (84_370_000_000, "CNY", "level", "2024", None),
        (11_780_000_000, "USD", "level", "2024", 0),
        (12.7, "%", "change", "2024", None),
    ]
    assert figs[0].comparator == "="
    assert figs[0].region == "CN-BJ>CN-TJ+CN-HE"
    assert figs[0].surface == "84.37 billion yuan"
    assert figs[1].surface == "$11.78 billion"
    assert "technology contracts" in figs[0].subject.lower()
    for f in figs:
        assert text[f.start : f.end] == f.surface
        assert text[f.sentence_start : f.sentence_end] == text


def test_rise_to_is_change_then_level() -> None:
    assert _rows("Exports rose 5.2% to 1.3 trillion yuan in 2024.") == [
        (5.2, "%", "=", "change", "2024"),
        (1.3e12, "CNY", "=", "level", "2024"),
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("Sales reached 3,500 yuan per unit.", 3500, "CNY"),
        ("The fund holds 3 500 yuan.", 3500, "CNY"),
        ("Investment hit 12.5 million yuan.", 12_500_000, "CNY"),
        ("The deal was valued at $3.5bn.", 3.5e9, "USD"),
        ("Revenue was 2.1 bln yuan.", 2.1e9, "CNY"),
        ("The firm raised 800 mln yuan.", 8e8, "CNY"),
        ("Turnover reached 1.3 trillion yuan.", 1.3e12, "CNY"),
        ("It invested 50 billion US dollars.", 5e10, "USD"),
        ("It invested HK$2 billion.", 2e9, "HKD"),
        ("It bought 20 million euros of equipment.", 2e7, "EUR"),
        ("It signed a deal worth RMB 5 billion.", 5e9, "CNY"),
        ("The zone covers 1,770 square kilometers.", 1770, "km2"),
        ("The new hall covers 20,000 square meters.", 20_000, "m2"),
        ("The park spans 300 hectares.", 300, "ha"),
        ("The plant cut emissions by 1.2 million tons.", -1.2e6, "t"),
        ("The station stores 50,000 kWh of power.", 50_000, "kWh"),
        ("The railway runs 1,200 km.", 1200, "km"),
        ("Output was 2.5 times the 2015 level.", 2.5, "times"),
        ("Profit margins widened to 12.7 percent.", 12.7, "%"),
        ("The share grew by 0.8 percentage points.", 0.8, "pp"),
        ("The city is home to 1,200 unicorn companies.", 1200, "count"),
        ("The forum drew three hundred exhibitors.", 300, "count"),
        ("Wind farms added 2 gigawatts of capacity.", 2e6, "kW"),
        ("Sales were ¥１２．７ billion.", 1.27e10, "CNY"),
    ],
)
def test_values_and_units(text: str, value: float, unit: str) -> None:
    figs = extract_figures(text, "en", PUB)
    assert len(figs) == 1, figs
    assert figs[0].value == pytest.approx(value)
    assert figs[0].unit == unit


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("The zone hosts more than 3,000 companies.", ">"),
        ("The zone hosts over 3,000 companies.", ">"),
        ("Trade exceeded 1 trillion yuan.", ">"),
        ("Trade was in excess of 1 trillion yuan.", ">"),
        ("It employs upwards of 3,000 people.", ">"),
        ("It employs at least 3,000 people.", ">="),
        ("It employs fewer than 3,000 people.", "<"),
        ("Growth was below 3 percent.", "<"),
        ("Subsidies of up to 5 million yuan are offered.", "<="),
        ("It employs about 3,000 people.", "~"),
        ("It employs nearly 3,000 people.", "~"),
        ("It employs roughly 3,000 people.", "~"),
        ("It employs some 3,000 people.", "~"),
        ("It employs approximately 3,000 people.", "~"),
        ("It employs 3,000 people.", "="),
    ],
)
def test_comparators(text: str, comparator: str) -> None:
    figs = extract_figures(text, "en", PUB)
    assert [f.comparator for f in figs] == [comparator]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Industrial output fell 3.2% year on year.", "change", -3.2),
        ("Imports declined 1.5 percent in 2024.", "change", -1.5),
        ("Retail sales were up 4.1% y/y.", "change", 4.1),
        ("Retail sales posted a 4.1% increase.", "change", 4.1),
        # an average annual growth rate is a growth rate: a change (DESIGN.md, "kind")
        ("Investment grew at an average annual rate of 6.1 percent.", "change", 6.1),
        ("Per capita disposable income was 85,415 yuan.", "rate", 85415),
        ("Its GDP was 1.7 times the 2013 level.", "change", 1.7),
        ("A total of 3,500 firms have moved to Hebei.", "cumulative", 3500),
        ("R&D spending intensity stood at 6.58 percent.", "rate", 6.58),
        ("Services accounted for 85.2% of GDP.", "share", 85.2),
        ("Cumulative investment reached 800 billion yuan.", "cumulative", 8e11),
        (
            "Its share was 4.1 percentage points higher than the national average.",
            "difference",
            4.1,
        ),
        ("Beijing's GDP was 4.98 trillion yuan.", "level", 4.98e12),
        ("Foreign direct investment doubled.", "change", 2),
    ],
)
def test_kinds(text: str, kind: str, value: float) -> None:
    figs = extract_figures(text, "en", PUB)
    assert [(f.kind, f.value) for f in figs] == [(kind, pytest.approx(value))]


def test_set_up_is_not_a_rise() -> None:
    text = (
        "Since 2013, Zhongguancun companies have set up more than 10,000 branches "
        "in Tianjin and Hebei."
    )
    (f,) = extract_figures(text, "en", PUB)
    # not a change; a count over a span of years ("since 2013") is a cumulative total
    assert (f.value, f.unit, f.comparator, f.kind) == (10_000, "count", ">", "cumulative")
    assert f.period == "2013/2025"
    assert f.region == "CN-BJ>CN-TJ+CN-HE"  # Beijing firms in Tianjin and Hebei: a flow
    assert f.subject.startswith("branches")


def test_since_uses_latest_year_in_sentence() -> None:
    text = "Since 2013, a total of 3,500 projects had been launched by the end of 2024."
    (f,) = extract_figures(text, "en", PUB)
    assert (f.kind, f.period) == ("cumulative", "2013/2024")


def test_two_periods_in_one_sentence() -> None:
    text = "R&D intensity rose from 3.22% in 2013 to 4.27% in 2023."
    assert [(f.value, f.period, f.kind) for f in extract_figures(text, "en", PUB)] == [
        (3.22, "2013", "rate"),
        (4.27, "2023", "rate"),
    ]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("In the first half of 2025, exports rose 5%.", "2025-01/2025-06"),
        # published 2025-03-28: a half not yet over is last year's
        ("In the first half, exports rose 5%.", "2024-01/2024-06"),
        ("In the first half of this year, exports rose 5%.", "2025-01/2025-06"),
        ("In February, exports rose 5%.", "2025-02"),
        ("In the first two months, exports rose 5%.", "2025-01/2025-02"),
        ("In the first three quarters, exports rose 5%.", "2024-01/2024-09"),
        ("Exports rose 5% last year.", "2024"),
        ("By the end of last year, exports had risen 5%.", "2024"),
        ("Exports rose 5% in the first three quarters of 2024.", "2024-01/2024-09"),
        ("Exports rose 5% in the first 10 months of 2024.", "2024-01/2024-10"),
        ("Exports rose 5% in March 2025.", "2025-03"),
        ("Exports rose 5% in Q3 2024.", "2024-07/2024-09"),
        ("Exports rose 5% during the 14th Five-Year Plan period.", "2021/2025"),
        ("Exports rose 5% from a year earlier.", None),
    ],
)
def test_periods(text: str, period: str | None) -> None:
    (f,) = extract_figures(text, "en", PUB)
    assert f.period == period


def test_period_carries_over_within_paragraph() -> None:
    text = "In 2024, GDP grew 5.2%. Consumption rose 4.1%.\nExports rose 3%."
    assert [f.period for f in extract_figures(text, "en", PUB)] == ["2024", "2024", None]


@pytest.mark.parametrize(
    ("text", "value", "high", "unit"),
    [
        ("Investment will total 3 to 5 billion yuan.", 3e9, 5e9, "CNY"),
        ("Investment will total between 3 and 5 billion yuan.", 3e9, 5e9, "CNY"),
        ("Growth is expected at 3-5%.", 3, 5, "%"),
        ("Growth is expected at 3%-5%.", 3, 5, "%"),
    ],
)
def test_ranges(text: str, value: float, high: float, unit: str) -> None:
    (f,) = extract_figures(text, "en", PUB)
    assert (f.value, f.value_high, f.unit) == (pytest.approx(value), pytest.approx(high), unit)


def test_fraction_is_a_percentage() -> None:
    (f,) = extract_figures("One third of the firms are startups.", "en", PUB)
    assert (f.value, f.unit) == (pytest.approx(33.33), "%")


@pytest.mark.parametrize(
    "text",
    [
        "The forum opened on March 28, 2025.",
        "The forum opened on 28 March 2025.",
        "The report was published on 2025-03-28.",
        "The plan was adopted in 2024.",
        "Trains leave at 08:15 every day.",
        "Call 010-12345678 for details.",
        "Visit https://www.example.com/2025/03/28/content_123.html now.",
        "It was the 11th edition of the event.",
        "After 11 years of collaboration, the ties are strong.",
        "The 5G network, Web 3.0 and AI 2.0 were discussed.",
        "The Zhongguancun Forum 2025 opened in Beijing.",
        "The COVID-19 pandemic hit trade.",
        "0 Comment(s)",
        "1. Background",
        "(2) Measures",
        "It ranked No. 3 in the list.",
        "Two of the Fortune 500 firms attended.",
        "The second session was held in Beijing.",
        "The 35-year-old engineer spoke.",
    ],
)
def test_not_figures(text: str) -> None:
    assert extract_figures(text, "en", PUB) == []


def test_offsets_and_order() -> None:
    text = "Para one has 3 firms.\n\nIn 2024, it had 5,000 staff and 1.2 billion yuan in sales."
    figs = extract_figures(text, "en", PUB)
    assert [f.surface for f in figs] == ["3", "5,000", "1.2 billion yuan"]
    assert all(text[f.start : f.end] == f.surface for f in figs)
    assert figs == sorted(figs, key=lambda f: f.start)


def test_split_sentences_keeps_decimals_and_abbreviations() -> None:
    text = "GDP grew 5.2 percent in the U.S. last year. Mr. Li spoke!\nNext line"
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "GDP grew 5.2 percent in the U.S. last year.",
        "Mr. Li spoke!",
        "Next line",
    ]
