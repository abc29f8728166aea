"""Chinese numbers: numerals, magnitude characters and the units written after them.

``parse_zh_numeral("一千二百")`` → 1200; ``"两万三千"`` → 23000; ``"十二点七"`` → 12.7;
``"三成"`` is 30% (handled by the scanner); ``ZH_MAGNITUDE["亿"]`` is 1e8.
"""

from __future__ import annotations

import re

import cn2an

#: Financial (anti-forgery) numerals, as written on contracts and formal amounts.
ZH_FINANCIAL = "壹贰叁肆伍陆柒捌玖拾佰仟"
_FIN_DIGITS = str.maketrans(ZH_FINANCIAL, "一二三四五六七八九十百千")
#: A run of Chinese numeral characters (with an optional 点 decimal part).
ZH_NUMERAL = rf"[零〇一二两三四五六七八九十百千万亿{ZH_FINANCIAL}]+(?:点[零〇一二三四五六七八九]+)?"
_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
#: Two neighbouring digits before a magnitude: a range ("二三十" 20-30, "三四百", "一两千").
_ZH_RANGE = re.compile(
    r"(?P<pre>.*?)(?P<a>[一二两三四五六七八九])(?P<b>[二两三四五六七八九])(?P<rest>[十百千万亿].*)?"
)

#: Magnitudes written after Arabic digits ("843.7亿", "1.2万亿", "3000万").
ZH_MAGNITUDE: dict[str, float] = {
    "万亿": 1e12,
    "千亿": 1e11,
    "百亿": 1e10,
    "十亿": 1e9,
    "亿": 1e8,
    "千万": 1e7,
    "百万": 1e6,
    "十万": 1e5,
    "万": 1e4,
}
ZH_MAGNITUDE_RE = "|".join(sorted(ZH_MAGNITUDE, key=len, reverse=True))

#: Units after a Chinese quantity: (pattern, unit, multiplier).  Order matters: longest first.
ZH_UNITS: tuple[tuple[str, str, float], ...] = (
    (r"元人民币|人民币元|元|人民币|块钱", "CNY", 1.0),
    (r"美元", "USD", 1.0),
    (r"港元|港币", "HKD", 1.0),
    (r"欧元", "EUR", 1.0),
    (r"日元", "JPY", 1.0),
    (r"英镑", "GBP", 1.0),
    (r"[%％]", "%", 1.0),
    (r"个百分点|百分点", "pp", 1.0),
    (r"平方公里|平方千米", "km2", 1.0),
    (r"平方米|平米", "m2", 1.0),
    (r"公顷", "ha", 1.0),
    (r"亩", "mu", 1.0),
    (r"万吨", "t", 1e4),
    (r"吨", "t", 1.0),
    (r"千瓦时|度电", "kWh", 1.0),
    (r"千瓦", "kW", 1.0),
    (r"兆瓦", "kW", 1e3),
    (r"公里|千米", "km", 1.0),
    (r"米(?![饭粉面])", "m", 1.0),
    (r"倍", "times", 1.0),
    (r"标准箱", "TEU", 1.0),
    (r"公斤|千克", "kg", 1.0),
    (r"微克/立方米|微克每立方米", "ug/m3", 1.0),
    (r"立方米|方(?=[水气])", "m3", 1.0),
    (r"人次|家次|户次", "count", 1.0),
    (
        r"家|个(?![月小])|项|件|名|人|所|座|条|台|辆|套|户|位(?!数)|款|种|批|场|次|支|栋|处|宗|笔|对(?=[^\u4e00-\u9fff]|列车|动车|高铁|航班|城际|[，。；、])",
        "count",
        1.0,
    ),
)

#: What after a number makes it a date, duration, ordinal or rank, never a figure.
ZH_NOT_FIGURE = re.compile(
    r"\s*(?:[多余])?(?:年|月|日|号|个月|个小时|小时|天|周|分钟|秒|岁|届|期|代|版|级|强|星|号线|号楼|位数)"
)


def parse_zh_numeral(text: str) -> float:
    """The value of a Chinese numeral (cn2an does the arithmetic; a bare unit means one).

    Raises ValueError for text that is not a numeral.

    >>> parse_zh_numeral("一千二百"), parse_zh_numeral("十二点七"), parse_zh_numeral("两万")
    (1200.0, 12.7, 20000.0)
    """
    if not text:
        raise ValueError("empty numeral")
    text = text.translate(_FIN_DIGITS)
    if text[0] in "百千万亿":
        text = "一" + text
    try:
        return float(cn2an.cn2an(text, "normal"))
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"not a Chinese numeral: {text!r}") from exc


def parse_zh_range(text: str) -> tuple[float, float] | None:
    """``(low, high)`` for a numeral naming a range by two neighbouring digits, else None.

    >>> parse_zh_range("二三十"), parse_zh_range("一两千"), parse_zh_range("十二三")
    ((20.0, 30.0), (1000.0, 2000.0), (12.0, 13.0))
    """
    m = _ZH_RANGE.fullmatch(text.translate(_FIN_DIGITS))
    if m is None or "点" in text:
        return None
    a, b = _DIGIT[m["a"]], _DIGIT[m["b"]]
    if b != a + 1:
        return None
    pre, rest = m["pre"], m["rest"] or ""
    if pre and not pre.endswith(("十", "百", "千", "万", "亿")):
        return None
    low = parse_zh_numeral(pre + m["a"] + rest)
    high = parse_zh_numeral(pre + m["b"] + rest)
    return low, high


#: Days counted as a quantity, not a duration: "优良天数271天", "重污染天数2天".
_COUNTED_DAYS = re.compile(r"(?:天数|优良天|污染天|达标天|蓝天)[^，,。；;]{0,12}$")


def zh_unit(text: str, pos: int) -> tuple[str, float, int] | None:
    """Match a unit at ``text[pos:]``: ``(unit, multiplier, end)`` or None."""
    if text.startswith("天", pos) and _COUNTED_DAYS.search(text, max(0, pos - 24), pos):
        return "count", 1.0, pos + 1
    for rx, unit, mult in _ZH_UNIT_RES:
        m = rx.match(text, pos)
        if m:
            return unit, mult, m.end()
    return None


_ZH_UNIT_RES = tuple((re.compile(p), u, k) for p, u, k in ZH_UNITS)
