"""One same-length folding of the body before any pattern runs.

Full-width digits and signs become ASCII, and traditional Chinese characters become their
simplified forms (萬→万, 億→亿, 兩→两, 點→点, 增長→增长, 佔→占), so every pattern, cue
word and region name is written once, in simplified script.  Only one-character-to-one-
character mappings are used: offsets into the folded text are offsets into the body.

The traditional→simplified table is OpenCC's character dictionary (the
``opencc-python-reimplemented`` package ships it as ``TSCharacters.txt``), the field's
reference for the conversion; phrase-level conversions that change length are not used.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jjj_etl.parse._numbers_en import FOLD

_EXTRA = {
    # variants OpenCC leaves alone that Hong Kong and Taiwan press write
    "佔": "占",
    "僅": "仅",
    "逾": "逾",
}


@cache
def fold_table() -> dict[int, int | str | None]:
    """The translation table: ASCII digits and simplified characters, one for one."""
    table: dict[int, int | str | None] = dict(FOLD)
    text = files("opencc").joinpath("dictionary", "TSCharacters.txt").read_text("utf-8")
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        trad, simp = parts[0], parts[1].split(" ")[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = simp
    for trad, simp in _EXTRA.items():
        if trad != simp:
            table[ord(trad)] = simp
    return table


def fold(text: str) -> str:
    """``text`` with digits folded to ASCII and traditional characters to simplified.

    >>> fold("兩萬億元，增長５％")
    '两万亿元，增长5%'
    """
    return text.translate(fold_table())
