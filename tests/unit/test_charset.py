"""decode_html: BOM, header, <meta>, detection; GBK read as GB18030; never crashes."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jjj_etl import charset
from jjj_etl.charset import decode_html, media_type, normalize_charset

ZH = "京津冀协同发展：2024年北京流向津冀技术合同成交额843.7亿元，同比增长12.7%。"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("GBK", "gb18030"),
        ("gb2312", "gb18030"),
        ("x-gbk", "gb18030"),
        ("GB18030", "gb18030"),
        ("UTF8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("ISO-8859-1", "cp1252"),
        ("klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_charset(label: str | None, expected: str | None) -> None:
    assert normalize_charset(label) == expected


def test_header_charset_is_used() -> None:
    assert decode_html(ZH.encode("gbk"), "gbk") == (ZH, "gb18030")


def test_gb18030_only_characters_survive_a_gb2312_label() -> None:
    text = "𠀀京津冀"  # a character outside GBK, encodable only in GB18030
    assert decode_html(text.encode("gb18030"), "gb2312") == (text, "gb18030")


def test_meta_charset_when_no_header() -> None:
    html = f'<html><head><meta charset="gb2312"></head><body>{ZH}</body></html>'
    text, used = decode_html(html.encode("gbk"))
    assert used == "gb18030"
    assert ZH in text


def test_http_equiv_meta() -> None:
    html = f'<meta http-equiv="Content-Type" content="text/html; charset=GBK"><p>{ZH}</p>'
    text, used = decode_html(html.encode("gbk"))
    assert used == "gb18030"
    assert ZH in text


def test_wrong_utf8_header_falls_back_to_meta() -> None:
    html = f'<meta charset="gbk"><p>{ZH}</p>'
    text, used = decode_html(html.encode("gbk"), "utf-8")
    assert used == "gb18030"
    assert ZH in text


def test_wrong_header_without_meta_is_detected() -> None:
    text, used = decode_html(f"<p>{ZH}</p>".encode("gbk"), "utf-8")
    assert used == "gb18030"
    assert ZH in text


def test_valid_utf8_beats_a_wrong_gbk_label() -> None:
    assert decode_html(ZH.encode(), "gbk") == (ZH, "utf-8")


def test_short_gbk_that_is_also_valid_utf8_keeps_its_label() -> None:
    assert "袆".encode("gbk").decode("utf-8") == "Є"  # the ambiguity this guards against
    assert decode_html("袆".encode("gbk"), "gbk") == ("袆", "gb18030")


def test_latin1_server_default_loses_to_meta() -> None:
    html = f'<meta charset="gb2312"><p>{ZH}</p>'.encode("gbk")
    text, used = decode_html(html, "ISO-8859-1")
    assert used == "gb18030"
    assert ZH in text


def test_genuine_latin1() -> None:
    assert decode_html("café crème".encode("latin-1"), "iso-8859-1") == ("café crème", "cp1252")


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_bom_wins_over_header(bom: bytes, codec: str) -> None:
    assert decode_html(bom + ZH.encode(codec), "gbk") == (ZH, codec)


def test_ascii_reports_the_declared_label() -> None:
    assert decode_html(b"<p>hello</p>", "GBK") == ("<p>hello</p>", "gb18030")
    assert decode_html(b"<p>hello</p>") == ("<p>hello</p>", "utf-8")


def test_unknown_label_is_ignored() -> None:
    assert decode_html(ZH.encode(), "x-klingon") == (ZH, "utf-8")


def test_media_type() -> None:
    assert media_type({"content-type": "text/html; charset=UTF-8"}) == ("text/html", "UTF-8")
    assert media_type({"content-type": "text/html"}) == ("text/html", None)
    assert media_type({}) == (None, None)


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=2000),
    label=st.sampled_from([None, "utf-8", "gbk", "latin-1", "bogus", "utf-16"]),
)
def test_never_crashes(data: bytes, label: str | None) -> None:
    text, used = decode_html(data, label)
    assert isinstance(text, str)
    codecs.lookup(used)  # always a real codec name


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="gbk"), min_size=1, max_size=200))
def test_gbk_text_round_trips_with_its_label(text: str) -> None:
    try:  # GBK bytes that are also long valid UTF-8 are read as UTF-8, by design
        utf8_chars = sum(1 for c in text.encode("gbk").decode("utf-8") if ord(c) > 0x7F)
    except UnicodeDecodeError:
        utf8_chars = 0
    assume(utf8_chars < 8)
    assert decode_html(text.encode("gbk"), "gbk")[0] == text


def _gb2312_share_by_character(text: str) -> float:
    """The GB2312 share as its definition reads: each Han character tried on its own."""
    han = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if not han:
        return 0.0
    common = 0
    for ch in han:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(han)


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xA000), max_size=60))
def test_gb2312_share_counts_each_han_character(text: str) -> None:
    assert charset._gb2312_share(text) == pytest.approx(_gb2312_share_by_character(text))


def test_gb2312_share_of_common_and_traditional_characters() -> None:
    assert charset._gb2312_share("北京天津河北") == 1.0  # all common characters
    assert charset._gb2312_share("臺灣") == 0.0  # traditional forms GB2312 lacks
    assert charset._gb2312_share("北京 2024 臺灣") == 0.5  # only Han characters count
    assert charset._gb2312_share("no Han at all") == 0.0
