"""Plain-text tables for a terminal: every column keeps a readable width, long cells are cut;
and the blocks ``jjj-etl diff`` prints for each row.

Rich's tables share a narrow terminal out among the columns, so ten columns in 80 cells
became four-character slivers folded over many lines.  Here a cell is one line, cut with
``…`` at ``max_cell`` cells; when the row is still wider than the terminal the widest
columns give way first, never below ``MIN_COL`` and never cutting a number (past that the
terminal wraps the line, which stays readable, or ``less -S`` scrolls it).  Widths are
display cells, so Chinese text lines up.  The text is printed as is: no markup, so
``[b]`` in data stays ``[b]``.

>>> print(render([{"id": 1, "name": "Beijing"}], width=80))
id  name
--  -------
1   Beijing
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len, set_cell_size

MAX_CELL = 40
MIN_COL = 12
GAP = "  "


def cell_text(value: Any) -> str:
    """One line of text for a value: None is empty, newlines and tabs become spaces."""
    if value is None:
        return ""
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def cut(text: str, width: int) -> str:
    """``text`` cut with ``…`` to at most ``width`` display cells."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…"


def fit_widths(natural: Sequence[int], floors: Sequence[int], width: int) -> list[int]:
    """Column widths summing (with the gaps) to at most ``width`` where the floors allow:
    the widest narrowable column gives way first, none below its floor."""
    widths = list(natural)
    room = width - len(GAP) * max(len(widths) - 1, 0)
    excess = sum(widths) - room
    while excess > 0:
        narrowable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


def render(
    rows: Sequence[dict[str, Any]],
    *,
    width: int,
    columns: Sequence[str] | None = None,
    max_cell: int = MAX_CELL,
) -> str:
    """``rows`` as a header, a rule and one line per row, fitted to ``width`` cells."""
    names = list(columns if columns is not None else (rows[0] if rows else []))
    cells = [[cell_text(r.get(c)) for c in names] for r in rows]
    natural = [
        min(max([cell_len(n), *(cell_len(row[i]) for row in cells)]), max_cell)
        for i, n in enumerate(names)
    ]
    numeric = [bool(rows) and all(_is_number(r.get(c)) for r in rows) for c in names]
    floors = [w if num else min(w, MIN_COL) for w, num in zip(natural, numeric, strict=True)]
    widths = fit_widths(natural, floors, width)

    def line(values: Sequence[str]) -> str:
        return GAP.join(set_cell_size(cut(v, w), w) for v, w in zip(values, widths, strict=True))

    out = [line(names), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(s.rstrip() for s in out)


def _first(row: dict[str, Any], *names: str) -> Any:
    """The first of ``names`` the row has: the two diffable tables name columns apart."""
    return next((row[n] for n in names if n in row), None)


def diff_block(row: dict[str, Any], kind: str, width: int) -> str:
    """One diff row as an analyst reads it: indicator, region, period and value (old → new
    for a change) on one line, then the other changed columns, the article and the sentence.
    """
    value = f"{cell(row.get('value'))} {cell(row.get('unit'))}".rstrip()
    changed = row.get("changed_columns") or {}
    if "value" in changed:
        value = f"{cell(row['old_value'])} → {value}"
    head = [_first(row, "indicator_id", "indicator"), _first(row, "region_id", "region")]
    period = row.get("period") or "(period not stated)"
    lines = [f"  {cell(head[0])}  {cell(head[1])}  {period}  {value}"]
    others = [c for c in changed if c != "value"]
    if kind == "changed" and others:
        lines.append(f"    also changed: {', '.join(others)}")
    for label, names in (
        ("article", ("url", "chosen_url")),
        ("sentence", ("sentence", "chosen_sentence")),
    ):
        text = cell_text(_first(row, *names))
        if text:
            lines.append(cut(f"    {label + ':':<9} {text}", width))
    return "\n".join(lines)


def cell(value: Any) -> str:
    """A number as an analyst reads it (no float noise); anything else as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return cell_text(value)
