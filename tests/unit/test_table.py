"""The plain-text table of `jjj-etl query`, `versions` and `parse`."""

from __future__ import annotations

from rich.cells import cell_len

from jjj_etl._table import cut, fit_widths, render


def test_a_table_that_fits_is_printed_whole() -> None:
    assert render([{"id": 1, "name": "Beijing"}], width=80) == "id  name\n--  -------\n1   Beijing"


def test_the_widest_text_column_gives_way_and_numbers_never_do() -> None:
    rows = [{"value": 84_370_000_000, "sentence": "x" * 100, "unit": "CNY"}]
    text = render(rows, width=40)
    assert all(cell_len(line) <= 40 for line in text.splitlines())
    assert "84370000000" in text
    assert "x…" in text


def test_floors_hold_even_when_the_terminal_is_too_narrow() -> None:
    assert fit_widths([30, 30, 5], [12, 12, 5], 10) == [12, 12, 5]


def test_wide_characters_count_two_cells() -> None:
    assert cell_len(cut("京津冀技术合同成交额", 9)) <= 9
    lines = render([{"a": "京津冀", "b": 1}], width=80).splitlines()
    assert cell_len(lines[0]) == cell_len(lines[2])


def test_markup_and_newlines_in_data_print_as_text() -> None:
    assert render([{"name": "[/x] [b]bold[/b]\nnext"}], width=80).splitlines()[2] == (
        "[/x] [b]bold[/b] next"
    )
