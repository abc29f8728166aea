"""The records' codes are the contract's: anything else is refused where a record is made."""

from __future__ import annotations

import pytest

from jjj_etl.records import COMPARATORS, KINDS, LANGS, as_comparator, as_kind, as_lang


def test_the_contract_codes_pass_and_anything_else_is_refused() -> None:
    assert [as_kind(k) for k in KINDS] == list(KINDS)
    assert [as_comparator(c) for c in COMPARATORS] == list(COMPARATORS)
    assert [as_lang(lang) for lang in LANGS] == ["en", "zh"]
    with pytest.raises(ValueError, match="not a figure kind: 'total'"):
        as_kind("total")
    with pytest.raises(ValueError, match="not a comparator: '=='"):
        as_comparator("==")
    with pytest.raises(ValueError, match="not a language"):
        as_lang("auto")
