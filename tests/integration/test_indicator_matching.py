"""Indicator mapping as data: real sentences through extract_figures, the catalog in
sql/seeds, and the SQL models (int_figures_matched_to_indicators, mart_unmapped_figures)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest

from jjj_etl import staging
from jjj_etl.parse._regions import REGION_CODES
from jjj_etl.parse.figures import extract_figures
from jjj_etl.records import Article, ParsedPage
from jjj_etl.runner import build, check, default_sql_dir

SQL = default_sql_dir()
PUB = "2025-03-28"

#: lang, sentence, surface, indicator_id, region, period
CASES: list[tuple[str, str, str, str, str, str]] = [
    (
        "en",
        "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion "
        "yuan ($11.78 billion) in 2024, up 12.7% year on year.",
        "84.37 billion yuan",
        "tech_contract_value_bj_to_tjhe",
        "CN-BJ>CN-TJ+CN-HE",
        "2024",
    ),
    (
        "en",
        "Technology contracts from Beijing to Tianjin and Hebei were worth 84.37 billion "
        "yuan ($11.78 billion) in 2024, up 12.7% year on year.",
        "12.7%",
        "tech_contract_value_bj_to_tjhe_yoy",
        "CN-BJ>CN-TJ+CN-HE",
        "2024",
    ),
    (
        "zh",
        "2024年，北京流向津冀技术合同成交额843.7亿元，同比增长12.7%。",
        "843.7亿元",
        "tech_contract_value_bj_to_tjhe",
        "CN-BJ>CN-TJ+CN-HE",
        "2024",
    ),
    (
        "zh",
        "自2013年以来，北京流向津冀技术合同成交额累计超过3700亿元，年均增长25%以上。",
        "25%",
        "tech_contract_value_bj_to_tjhe_avg_growth",
        "CN-BJ>CN-TJ+CN-HE",
        "2013/2025",
    ),
    (
        "en",
        "The region's R&D intensity was 1.62 percentage points above the national average.",
        "1.62 percentage points",
        "rd_intensity_gap_national",
        "JJJ",
        "",
    ),
    (
        "zh",
        "天津市研发经费投入强度为3.58%。",
        "3.58%",
        "rd_intensity",
        "CN-TJ",
        "",
    ),
    (
        "en",
        "Hebei's GDP hit 4.75 trillion yuan in 2024.",
        "4.75 trillion yuan",
        "gdp",
        "CN-HE",
        "2024",
    ),
    (
        "zh",
        "2024年，京津冀地区生产总值比上年增长5.1%。",
        "5.1%",
        "gdp_growth",
        "JJJ",
        "2024",
    ),
    (
        "en",
        "Beijing now has 28,000 national high-tech enterprises.",
        "28,000",
        "high_tech_enterprises",
        "CN-BJ",
        "",
    ),
    (
        "zh",
        "截至2024年底，雄安新区累计完成投资8000多亿元。",
        "8000多亿元",
        "xiongan_completed_investment",
        "XA",
        "2024",
    ),
    (
        "en",
        "Services account for 85 percent of Beijing's economy.",
        "85 percent",
        "industry_share_of_gdp",
        "CN-BJ",
        "",
    ),
    (
        "zh",
        "中关村企业在津冀设立分支机构超过1万家。",
        "1万家",
        "zgc_branches_tjhe",
        "CN-BJ>CN-TJ+CN-HE",  # Beijing firms' branches in Tianjin and Hebei: a flow
        "",
    ),
]
UNMAPPED = "The museum displays 340 paintings by local artists."


def _page(n: int, lang: str, body: str) -> ParsedPage:
    url = f"http://example.test/{n}.html"
    art = Article(url, url, "T", PUB, lang, "test", body, hashlib.sha256(body.encode()).hexdigest())
    return ParsedPage(url, art.content_sha256, art, tuple(extract_figures(body, lang, PUB)))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path_factory.mktemp("wh") / "w.duckdb"))
    bodies = [*sorted({(lang, text) for lang, text, *_ in CASES}), ("en", UNMAPPED)]
    pages = [_page(n, lang, text) for n, (lang, text) in enumerate(bodies)]
    staging.ensure_schema(con)
    staging.stage(con, "r1", [], pages, "1")
    build(con, SQL)
    failed = [r.name for r in check(con, SQL) if not r.passed and r.severity != "warn"]
    assert failed == []
    return con


@pytest.mark.parametrize(
    ("lang", "text", "surface", "indicator", "region", "period"),
    CASES,
    ids=[c[3] + "-" + c[0] for c in CASES],
)
def test_sentence_maps_to_indicator_and_region(
    built: duckdb.DuckDBPyConnection,
    lang: str,
    text: str,
    surface: str,
    indicator: str,
    region: str,
    period: str,
) -> None:
    rows = built.execute(
        "select indicator_id, resolved_region_id, coalesce(period, '') from "
        "intermediate.int_figures_matched_to_indicators where surface = ? and sentence = ?",
        [surface, text],
    ).fetchall()
    assert rows == [(indicator, region, period)], (lang, text)


def test_conversion_is_never_matched(built: duckdb.DuckDBPyConnection) -> None:
    rows = built.execute(
        "select count(*) from intermediate.int_figures_matched_to_indicators where unit = 'USD'"
    ).fetchone()
    assert rows == (0,)


def test_unmapped_figures_stay_queryable(built: duckdb.DuckDBPyConnection) -> None:
    rows = built.execute(
        "select surface, subject, sentence from mart_unmapped_figures where sentence = ?",
        [UNMAPPED],
    ).fetchall()
    assert [(r[0], r[2]) for r in rows] == [("340", UNMAPPED)]
    assert "paintings" in rows[0][1]


def test_every_emittable_region_is_seeded() -> None:
    path = SQL / "seeds" / "regions.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        seeded = {row["region_id"] for row in csv.DictReader(fh)}
    assert set(REGION_CODES) <= seeded


def test_catalog_rows_are_well_formed() -> None:
    path = SQL / "seeds" / "indicators.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["indicator_id"] for r in rows}) == len(rows) >= 40
    regions = Path(SQL / "seeds" / "regions.csv").read_text(encoding="utf-8")
    for r in rows:
        assert r["pattern_en"] == r["pattern_en"].lower(), r["indicator_id"]
        assert r["default_region_id"] + "," in regions, r["indicator_id"]
