"""Scoring the figure extractor against the hand-labelled corpus in ``tests/data``.

A predicted figure matches a gold one when their spans overlap and ``value`` (relative
tolerance 1e-9), ``unit``, ``comparator``, ``kind`` and ``period`` are equal; ``value_high``
must agree for ranges, and a conversion (``alt_of``) must point at the figure the gold one
points at (compared by span, so an extra or missing figure earlier in the sentence does not
shift the index).  Each gold figure matches at most one prediction.  ``subject`` and
``region`` are not part of the match; region agreement is reported on its own.

Used by ``bench/eval_figures.py`` (``make eval``) and ``tests/unit/test_figures_eval.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jjj_etl.parse.figures import extract_figures
from jjj_etl.records import Figure

FIELDS = ("value", "unit", "comparator", "kind", "period", "value_high", "alt_of")


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled sentence."""

    id: str
    lang: str
    text: str
    published: str | None
    category: str
    figures: tuple[dict[str, Any], ...]


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives, with the derived scores."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    region_ok: int = 0
    region_n: int = 0

    def add(self, other: Counts) -> None:
        """Add ``other``'s counts to these."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.region_ok += other.region_ok
        self.region_n += other.region_n

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class ItemResult:
    """The outcome for one sentence: its counts and what went wrong."""

    item: Item
    counts: Counts
    predicted: list[Figure]
    missed: list[dict[str, Any]] = field(default_factory=list)
    spurious: list[Figure] = field(default_factory=list)
    near: list[tuple[dict[str, Any], Figure, list[str]]] = field(default_factory=list)


def load_corpus(path: Path) -> list[Item]:
    """Read the JSONL corpus; raises ValueError on a malformed line or a bad offset."""
    items: list[Item] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
        item = Item(
            raw["id"],
            raw["lang"],
            raw["text"],
            raw.get("published"),
            raw["category"],
            tuple(raw["figures"]),
        )
        for g in item.figures:
            if item.text[g["start"] : g["end"]] != g["surface"]:
                raise ValueError(f"{path}:{n}: offsets of {g['surface']!r} do not fit the text")
        items.append(item)
    return items


def _same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _alt_span(figs: Sequence[Any], index: int | None) -> tuple[int, int] | None:
    if index is None or not 0 <= index < len(figs):
        return None
    f = figs[index]
    return (f["start"], f["end"]) if isinstance(f, dict) else (f.start, f.end)


def differences(
    gold: dict[str, Any], pred: Figure, gold_all: Sequence[dict[str, Any]], pred_all: list[Figure]
) -> list[str]:
    """The contract fields on which ``pred`` disagrees with ``gold`` (empty: a match)."""
    out = []
    if not _same_value(gold["value"], pred.value):
        out.append("value")
    for name in ("unit", "comparator", "kind", "period"):
        if gold.get(name) != getattr(pred, name):
            out.append(name)
    if not _same_value(gold.get("value_high"), pred.value_high):
        out.append("value_high")
    g_alt = _alt_span(gold_all, gold.get("alt_of"))
    p_alt = _alt_span(pred_all, pred.alt_of)
    if (g_alt is None) != (p_alt is None) or (g_alt and p_alt and not _overlap(g_alt, p_alt)):
        out.append("alt_of")
    return out


def score_item(item: Item) -> ItemResult:
    """Run the extractor on one sentence and match its figures against the gold ones."""
    pred = extract_figures(item.text, item.lang, item.published)
    res = ItemResult(item, Counts(), pred)
    used: set[int] = set()
    for g in item.figures:
        span = (g["start"], g["end"])
        cands = [
            i for i, p in enumerate(pred) if i not in used and _overlap(span, (p.start, p.end))
        ]
        hit = next((i for i in cands if not differences(g, pred[i], item.figures, pred)), None)
        if hit is None:
            res.counts.fn += 1
            res.missed.append(g)
            if cands:
                res.near.append(
                    (g, pred[cands[0]], differences(g, pred[cands[0]], item.figures, pred))
                )
            continue
        used.add(hit)
        res.counts.tp += 1
        if g.get("region"):
            res.counts.region_n += 1
            res.counts.region_ok += int(pred[hit].region == g["region"])
    res.spurious = [p for i, p in enumerate(pred) if i not in used]
    res.counts.fp += len(res.spurious)
    return res


@dataclass(slots=True)
class Report:
    """Counts per (language, category), plus every item's result."""

    results: list[ItemResult]
    table: dict[tuple[str, str], Counts]

    def total(self, lang: str | None = None, category: str | None = None) -> Counts:
        """Summed counts, optionally for one language and/or one category."""
        out = Counts()
        for (lg, cat), c in self.table.items():
            if (lang is None or lg == lang) and (category is None or cat == category):
                out.add(c)
        return out


def evaluate(items: Iterable[Item]) -> Report:
    """Score every item of the corpus."""
    results = [score_item(it) for it in items]
    table: dict[tuple[str, str], Counts] = {}
    for r in results:
        table.setdefault((r.item.lang, r.item.category), Counts()).add(r.counts)
    return Report(results, table)


def describe(f: Figure | dict[str, Any]) -> str:
    """A one-line rendering of a figure (gold dict or prediction) for error listings."""
    d = f if isinstance(f, dict) else f.to_dict()
    extra = f" high={d['value_high']:g}" if d.get("value_high") is not None else ""
    alt = f" alt_of={d['alt_of']}" if d.get("alt_of") is not None else ""
    return (
        f"{d['surface']!r} {d['value']:g} {d['unit']} {d['comparator']} {d['kind']}"
        f" {d['period']}{extra}{alt}"
    )
