"""Property tests for number parsing: formatted numbers read back to the same value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjj_etl.parse._numbers_en import FOLD, parse_arabic, parse_en_words
from jjj_etl.parse._numbers_zh import parse_zh_numeral
from jjj_etl.parse.figures import extract_figures

_ZH_DIGITS = "零一二三四五六七八九"


def _zh(n: int) -> str:
    """A reference Chinese rendering of 0 < n < 10**12 (section by section)."""

    def below_10k(x: int) -> str:
        out, zero = "", False
        for unit, div in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = x // div % 10
            if d:
                out += ("零" if zero and out else "") + _ZH_DIGITS[d] + unit
                zero = False
            else:
                zero = True
        return out

    yi, rest = divmod(n, 10**8)
    wan, low = divmod(rest, 10**4)
    parts = ""
    if yi:
        parts += below_10k(yi) + "亿"
    if wan:
        parts += ("零" if yi and wan < 1000 else "") + below_10k(wan) + "万"
    if low:
        # a zero is read where the section has leading zeros, or where a whole 万 section
        # is skipped (3 700 001 000 is 三十七亿零一千; without 零 it reads as 37亿1千万)
        gap = ((yi or wan) and low < 1000) or (yi and not wan)
        parts += ("零" if gap else "") + below_10k(low)
    return parts


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (3_700_001_000, "三十七亿零一千"),
        (3_700_001_011, "三十七亿零一千零一十一"),
        (100_001_000, "一亿零一千"),
    ],
)
def test_zh_numeral_across_a_skipped_section(n: int, text: str) -> None:
    assert _zh(n) == text
    assert parse_zh_numeral(text) == n


@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_zh_numeral_round_trip(n: int) -> None:
    assert parse_zh_numeral(_zh(n)) == n


@given(st.integers(min_value=0, max_value=10**9))
def test_thousands_separators(n: int) -> None:
    assert parse_arabic(f"{n:,}") == n
    assert parse_arabic(f"{n:,}".replace(",", " ")) == n


@given(st.integers(min_value=1, max_value=999_999), st.integers(min_value=0, max_value=99))
def test_yuan_amounts_in_text(whole: int, cents: int) -> None:
    number = f"{whole:,}.{cents:02d}"
    (f,) = extract_figures(f"Revenue reached {number} yuan.", "en")
    assert f.value == pytest.approx(whole + cents / 100)
    assert f.surface == f"{number} yuan"


@given(
    st.decimals(min_value=0, max_value=9999, places=2, allow_nan=False),
    st.sampled_from([("万", 1e4), ("亿", 1e8), ("万亿", 1e12)]),
)
def test_zh_magnitudes(x: object, mag: tuple[str, float]) -> None:
    text = f"营业收入{x}{mag[0]}元。"
    (f,) = extract_figures(text, "zh")
    assert f.value == pytest.approx(float(str(x)) * mag[1])
    assert f.unit == "CNY"


@given(
    st.decimals(min_value=0, max_value=999, places=1, allow_nan=False),
    st.sampled_from([("million", 1e6), ("billion", 1e9), ("trillion", 1e12), ("bn", 1e9)]),
)
def test_en_magnitudes(x: object, mag: tuple[str, float]) -> None:
    (f,) = extract_figures(f"Sales were {x} {mag[0]} yuan.", "en")
    assert f.value == pytest.approx(float(str(x)) * mag[1])


@given(st.integers(min_value=0, max_value=99_999))
def test_full_width_digits(n: int) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    assert wide.translate(FOLD) == str(n)
    (f,) = extract_figures(f"增长{wide}％。", "zh")
    assert f.value == n
    assert f.surface == f"{wide}％"


@given(st.text(alphabet=st.sampled_from("0123456789.,% 年月亿万元 yuanbilion-()\n"), max_size=60))
def test_offsets_always_match_surface(text: str) -> None:
    for f in extract_figures(text):
        assert text[f.start : f.end] == f.surface
        assert f.sentence_start <= f.start < f.end <= f.sentence_end


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("three", 3),
        ("twenty-five", 25),
        ("ninety nine", 99),
        ("two hundred and ten", 210),
        ("a hundred", 100),
    ],
)
def test_en_words(words: str, value: int) -> None:
    assert parse_en_words(words) == value


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("两", 2),
        ("十", 10),
        ("十五", 15),
        ("一千零五", 1005),
        ("二〇二四", 2024),
        ("十二点七", 12.7),
    ],
)
def test_zh_numerals(numeral: str, value: float) -> None:
    assert parse_zh_numeral(numeral) == value
