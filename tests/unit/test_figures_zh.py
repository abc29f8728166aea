"""Chinese figure extraction: 亿/万 magnitudes, numerals, 成, 翻番, comparators, periods."""

from __future__ import annotations

import pytest

from jjj_etl.parse.figures import extract_figures

PUB = "2025-03-28"


def test_tech_contracts_example() -> None:
    text = "2024年，北京流向津冀技术合同成交额843.7亿元，同比增长12.7%。"
    figs = extract_figures(text, "zh", PUB)
    assert [(f.value, f.unit, f.kind, f.period) for f in figs] == [
        (84_370_000_000, "CNY", "level", "2024"),
        (12.7, "%", "change", "2024"),
    ]
    assert figs[0].region == "CN-BJ>CN-TJ+CN-HE"
    assert figs[0].subject == "技术合同成交额"
    assert figs[0].surface == "843.7亿元"


def test_intensity_example() -> None:
    text = "研发投入强度由2013年的3.22%提高到2023年的4.27%，高出全国平均水平1.62个百分点。"
    figs = extract_figures(text, "zh", PUB)
    assert [(f.value, f.unit, f.kind, f.period) for f in figs] == [
        (3.22, "%", "rate", "2013"),
        (4.27, "%", "rate", "2023"),
        (1.62, "pp", "difference", "2023"),
    ]
    assert all(f.subject == "研发投入强度" for f in figs)
    assert all(f.region is None for f in figs)  # 全国平均 is a comparison, not the region


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("营业收入84.37亿元。", 8_437_000_000, "CNY"),
        ("地区生产总值8.5万亿元。", 8.5e12, "CNY"),
        ("实际利用外资3000万美元。", 3e7, "USD"),
        ("融资额达1.2亿港元。", 1.2e8, "HKD"),
        ("投资500万欧元。", 5e6, "EUR"),
        ("总投资一千二百亿元。", 1.2e11, "CNY"),
        ("进出口总额1.2万亿元人民币。", 1.2e12, "CNY"),
        ("常住人口2185万人。", 2.185e7, "count"),
        ("新增企业两万家。", 20_000, "count"),
        ("规划面积1770平方公里。", 1770, "km2"),
        ("建筑面积12万平方米。", 120_000, "m2"),
        ("造林面积300公顷。", 300, "ha"),
        ("减少排放120万吨。", -1.2e6, "t"),
        ("发电量50亿千瓦时。", 5e9, "kWh"),
        ("新建高速公路1200公里。", 1200, "km"),
        ("研发投入强度为百分之六点五八。", 6.58, "%"),
        ("营业收入占比达三成。", 30, "%"),
        ("全员劳动生产率是2013年的2.5倍。", 2.5, "times"),
        ("引进人才１２００名。", 1200, "count"),
        ("增速为１２．７％。", 12.7, "%"),
        ("落地项目15项。", 15, "count"),
        ("授权专利8000件。", 8000, "count"),
    ],
)
def test_values_and_units(text: str, value: float, unit: str) -> None:
    figs = extract_figures(text, "zh", PUB)
    assert len(figs) == 1, figs
    assert figs[0].value == pytest.approx(value)
    assert figs[0].unit == unit


@pytest.mark.parametrize(
    ("text", "value", "comparator"),
    [
        ("中关村企业在津冀设立分支机构超过1万家。", 10_000, ">"),
        ("累计投资逾2000亿元。", 2e11, ">"),
        ("入驻企业超3000家。", 3000, ">"),
        ("入驻企业3000多家。", 3000, ">"),
        ("入驻企业3000余家。", 3000, ">"),
        ("入驻企业十余家。", 10, ">"),
        ("入驻企业3000家以上。", 3000, ">="),  # 以上 includes the number
        ("完成投资8000多亿元。", 8e11, ">"),
        ("新增就业不少于5万人。", 50_000, ">="),
        ("单位能耗不低于3%。", 3, ">="),
        ("失业率不到5%。", 5, "<"),
        ("赤字率不足3%。", 3, "<"),
        ("增速控制在5%以内。", 5, "<="),
        ("总投资约3000亿元。", 3e11, "~"),
        ("入驻企业近3000家。", 3000, "~"),
        ("入驻企业3000家左右。", 3000, "~"),
        ("入驻企业3000家。", 3000, "="),
    ],
)
def test_comparators(text: str, value: float, comparator: str) -> None:
    figs = extract_figures(text, "zh", PUB)
    assert [(f.value, f.comparator) for f in figs] == [(pytest.approx(value), comparator)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("工业增加值同比下降3.2%。", "change", -3.2),
        ("工业增加值增长5.1%。", "change", 5.1),
        ("工业增加值1.2万亿元。", "level", 1.2e12),
        ("出口年均增长8.1%。", "change", 8.1),  # a growth rate, averaged: still a change
        ("全市居民人均可支配收入85415元。", "rate", 85415),
        ("河北省GDP是2013年的2.1倍。", "change", 2.1),
        ("其中，第三产业增加值37129.6亿元。", "share", 37129.6e8),
        ("数字经济占地区生产总值比重达到42.9%。", "share", 42.9),
        ("累计签约项目500个。", "cumulative", 500),
        ("增速比上年提高0.3个百分点。", "change", 0.3),
        ("项目数量翻了一番。", "change", 2),
        ("高新技术企业数量翻两番。", "change", 4),
        ("增速低于全国平均水平0.5个百分点。", "difference", -0.5),
    ],
)
def test_kinds(text: str, kind: str, value: float) -> None:
    figs = extract_figures(text, "zh", PUB)
    assert [(f.kind, f.value) for f in figs] == [(kind, pytest.approx(value))]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("上半年，出口增长5%。", "2024-01/2024-06"),  # published in March: last year's
        ("今年上半年，出口增长5%。", "2025-01/2025-06"),
        ("前三季度，出口增长5%。", "2024-01/2024-09"),
        ("1-2月，出口增长5%。", "2025-01/2025-02"),
        ("2024年上半年，出口增长5%。", "2024-01/2024-06"),
        ("去年出口增长5%。", "2024"),
        ("截至去年底，入驻企业3000家。", "2024"),
        ("1-10月，出口增长5%。", "2024-01/2024-10"),  # October 2025 is still ahead
        ("2024年1—10月，出口增长5%。", "2024-01/2024-10"),
        ("2024年一季度，出口增长5%。", "2024-01/2024-03"),
        ("2013年以来，累计签约项目500个。", "2013/2025"),
        ("“十四五”时期，出口年均增长5%。", "2021/2025"),
        ("出口比上年增长5%。", None),
    ],
)
def test_periods(text: str, period: str | None) -> None:
    (f,) = extract_figures(text, "zh", PUB)
    assert f.period == period


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("北京市技术合同成交额增长5%。", "CN-BJ"),
        ("天津港集装箱吞吐量增长5%。", "CN-TJ"),
        ("河北省高新技术企业增长5%。", "CN-HE"),
        ("京津冀地区生产总值增长5%。", "JJJ"),
        ("三地地区生产总值增长5%。", "JJJ"),
        ("雄安新区完成投资8000亿元。", "XA"),
        ("全国技术合同成交额增长5%。", "CN"),
        ("北京输出津冀技术合同成交额增长5%。", "CN-BJ>CN-TJ+CN-HE"),
        ("天津、河北两地出口增长5%。", "CN-TJ+CN-HE"),
        ("出口增长5%。", None),
    ],
)
def test_regions(text: str, region: str | None) -> None:
    (f,) = extract_figures(text, "zh", PUB)
    assert f.region == region


def test_converted_amount_in_brackets() -> None:
    text = "实际利用外资一百二十亿美元（约合人民币860亿元）。"
    figs = extract_figures(text, "zh", PUB)
    assert [(f.value, f.unit, f.alt_of) for f in figs] == [
        (1.2e10, "USD", None),
        (8.6e10, "CNY", 0),
    ]


def test_mixed_language_article() -> None:
    text = "北京R&D经费投入强度达6.58%。The Beijing-Tianjin-Hebei region grew 5.1 percent."
    figs = extract_figures(text, None, PUB)
    assert [(f.value, f.kind, f.region) for f in figs] == [
        (6.58, "rate", "CN-BJ"),
        (5.1, "change", "JJJ"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "中关村论坛将于2025年3月27日开幕。",
        "2013年，协同发展上升为国家战略。",
        "第十一届中关村论坛开幕。",
        "十年来，三地协同发展成效显著。",
        "京ICP证040089号",
        "联系电话：010-62345678",
        "一家企业落户雄安。",
        "推动“一带一路”建设和京津冀一体化。",
        "（二）主要措施",
        "一、总体要求",
        "5G基站建设加快推进。",
        "3个月内完成审批。",
        "会议于08:15开始。",
        "入选世界500强。",
        "地铁19号线开通。",
    ],
)
def test_not_figures(text: str) -> None:
    assert extract_figures(text, "zh", PUB) == []
