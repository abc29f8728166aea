"""Scoring the figure extractor on whole labelled articles (``tests/data/articles``).

Matching follows how an analyst checks a page: a predicted figure matches a gold one when
their spans overlap and value and unit agree (the figure F1); on the matched pairs each
further field of the contract (comparator, kind, period, region, value_high) is scored as an
accuracy of its own, so a wrong period shows as a wrong period, not as a missed figure.
Region accuracy counts only the figures whose region a careful reader is sure of.

Each article belongs to one split, written in its line (``"split"``: a third of each file's
articles, stratified by portal style, are ``test``), else fixed by a hash of its id
(:func:`split_of`): tune on ``dev``, report ``test`` untouched.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jjj_etl.parse.figures import extract_figures
from jjj_etl.records import COMPARATORS, KINDS, Figure

ACCURACY_FIELDS = ("comparator", "kind", "period", "region", "value_high")
_PERIOD = re.compile(r"(?:19|20)\d\d(?:-\d\d)?(?:/(?:19|20)\d\d(?:-\d\d)?)?")
_UNIT = re.compile(r"[A-Z]{3}|%|pp|count|times|[a-zA-Z0-9/]{1,8}")


def split_of(article_id: str) -> str:
    """``test`` for one article id in three (by hash), else ``dev``.

    >>> split_of("en-wire-001") in {"dev", "test"}
    True
    """
    digest = hashlib.sha256(article_id.encode("utf-8")).digest()
    return "test" if digest[0] % 3 == 0 else "dev"


@dataclass(frozen=True, slots=True)
class Gold:
    """One labelled figure, with its offsets resolved in the body."""

    start: int
    end: int
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Article:
    """One labelled article."""

    id: str
    lang: str
    style: str
    published: str | None
    title: str
    body: str
    figures: tuple[Gold, ...]
    split: str = "dev"


def _regions(root: Path) -> frozenset[str]:
    seeds = root / "sql" / "seeds" / "regions.csv"
    lines = seeds.read_text(encoding="utf-8").splitlines()[1:]
    return frozenset(line.split(",", 1)[0] for line in lines if line.strip())


def _check(where: str, g: dict[str, Any], regions: frozenset[str], n_figs: int) -> None:
    """Raise ValueError naming ``where`` for a label outside the contract."""
    if not isinstance(g.get("value"), int | float) or isinstance(g.get("value"), bool):
        raise ValueError(f"{where}: value must be a number")
    high = g.get("value_high")
    if high is not None and not isinstance(high, int | float):
        raise ValueError(f"{where}: value_high must be a number or null")
    if not isinstance(g.get("unit"), str) or not _UNIT.fullmatch(g["unit"]):
        raise ValueError(f"{where}: bad unit {g.get('unit')!r}")
    if g.get("comparator", "=") not in COMPARATORS:
        raise ValueError(f"{where}: bad comparator {g.get('comparator')!r}")
    if g.get("kind") not in KINDS:
        raise ValueError(f"{where}: bad kind {g.get('kind')!r}")
    period = g.get("period")
    if period is not None and not (isinstance(period, str) and _PERIOD.fullmatch(period)):
        raise ValueError(f"{where}: bad period {period!r}")
    region = g.get("region")
    if region is not None and region not in regions:
        raise ValueError(f"{where}: region {region!r} is not in sql/seeds/regions.csv")
    alt = g.get("alt_of")
    if alt is not None and not (isinstance(alt, int) and 0 <= alt < n_figs):
        raise ValueError(f"{where}: alt_of {alt!r} is not an index of this article's figures")


def _resolve(body: str, surface: str, occurrence: int) -> int:
    pos = -1
    for _ in range(occurrence + 1):
        pos = body.find(surface, pos + 1)
        if pos < 0:
            return -1
    return pos


def parse_article_line(raw: dict[str, Any], where: str, regions: frozenset[str]) -> Article:
    """One corpus line as an :class:`Article`; ValueError names ``where`` on any defect."""
    for key in ("id", "lang", "body", "figures"):
        if key not in raw:
            raise ValueError(f"{where}: missing {key!r}")
    if raw["lang"] not in {"en", "zh"}:
        raise ValueError(f"{where}: lang must be en or zh")
    split = raw.get("split") or split_of(str(raw["id"]))
    if split not in {"dev", "test"}:
        raise ValueError(f"{where}: split must be dev or test")
    body = raw["body"]
    golds: list[Gold] = []
    last = -1
    for k, g in enumerate(raw["figures"]):
        here = f"{where} figure {k} ({g.get('surface')!r})"
        surface = g.get("surface")
        if not isinstance(surface, str) or not surface:
            raise ValueError(f"{here}: missing surface")
        start = _resolve(body, surface, int(g.get("occurrence", 0)))
        if start < 0:
            raise ValueError(
                f"{here}: surface not found in body (occurrence {g.get('occurrence', 0)})"
            )
        if start < last:
            raise ValueError(f"{here}: figures must be in text order (set 'occurrence')")
        last = start
        _check(here, g, regions, len(raw["figures"]))
        golds.append(Gold(start, start + len(surface), dict(g)))
    return Article(
        str(raw["id"]),
        raw["lang"],
        str(raw.get("style", "")),
        raw.get("published"),
        str(raw.get("title", "")),
        body,
        tuple(golds),
        split,
    )


def read_article_file(path: Path, regions: frozenset[str]) -> Iterator[tuple[str, Article]]:
    """``(where, article)`` for each line of one corpus file; ValueError names the line."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not JSON: {exc}") from exc
        yield where, parse_article_line(raw, where, regions)


def load_articles(folder: Path, root: Path | None = None) -> list[Article]:
    """Every article of every ``*.jsonl`` file in ``folder``; ValueError on any defect."""
    regions = _regions(root or folder.resolve().parents[2])
    out: list[Article] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.jsonl")):
        for where, art in read_article_file(path, regions):
            if art.id in seen:
                raise ValueError(f"{where}: duplicate id {art.id!r}")
            seen.add(art.id)
            out.append(art)
    return out


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@dataclass(slots=True)
class Scores:
    """Figure counts and per-field agreement on matched figures."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    ok: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACCURACY_FIELDS, 0))
    n: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACCURACY_FIELDS, 0))

    def add(self, other: Scores) -> None:
        """Add ``other`` into these scores."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        for k in ACCURACY_FIELDS:
            self.ok[k] += other.ok[k]
            self.n[k] += other.n[k]

    @property
    def f1(self) -> float:
        """F1 of value + unit matches."""
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def accuracy(self, name: str) -> float:
        """Share of matched figures whose ``name`` agrees (1.0 when none were scored)."""
        return self.ok[name] / self.n[name] if self.n[name] else 1.0


@dataclass(slots=True)
class ArticleResult:
    """One article's scores and what went wrong on it."""

    article: Article
    scores: Scores
    missed: list[Gold] = field(default_factory=list)
    spurious: list[Figure] = field(default_factory=list)
    wrong: list[tuple[Gold, Figure, list[str]]] = field(default_factory=list)


def _gold_value(g: Gold, name: str) -> Any:
    if name == "comparator":
        return g.fields.get("comparator", "=")
    return g.fields.get(name)


def score_article(art: Article) -> ArticleResult:
    """Run the extractor on one article and score it."""
    pred = extract_figures(art.body, art.lang, art.published, title=art.title)
    res = ArticleResult(art, Scores())
    used: set[int] = set()
    for g in art.figures:
        hit = next(
            (
                i
                for i, p in enumerate(pred)
                if i not in used
                and p.start < g.end
                and g.start < p.end
                and _same(float(g.fields["value"]), p.value)
                and g.fields["unit"] == p.unit
            ),
            None,
        )
        if hit is None:
            res.scores.fn += 1
            res.missed.append(g)
            continue
        used.add(hit)
        res.scores.tp += 1
        p = pred[hit]
        bad = []
        for name in ACCURACY_FIELDS:
            if name == "region" and g.fields.get("region_sure", True) is False:
                continue
            if name == "value_high":
                agree = _same(_gold_value(g, name), p.value_high)
            else:
                agree = _gold_value(g, name) == getattr(p, name)
            res.scores.n[name] += 1
            res.scores.ok[name] += int(agree)
            if not agree:
                bad.append(name)
        if bad:
            res.wrong.append((g, p, bad))
    res.spurious = [p for i, p in enumerate(pred) if i not in used]
    res.scores.fp += len(res.spurious)
    return res


def evaluate_articles(articles: Iterable[Article]) -> list[ArticleResult]:
    """Score every article."""
    return [score_article(a) for a in articles]


def totals(results: Iterable[ArticleResult], lang: str, split: str) -> Scores:
    """Summed scores of one language and split."""
    out = Scores()
    for r in results:
        if r.article.lang == lang and r.article.split == split:
            out.add(r.scores)
    return out


def error_lines(result: ArticleResult) -> Iterator[str]:
    """Human-readable lines for one article's errors."""
    a = result.article
    for g in result.missed:
        f = g.fields
        yield f"{a.id} MISSED {f['surface']!r} {f['value']} {f['unit']}"
    for p in result.spurious:
        yield f"{a.id} SPURIOUS {p.surface!r} {p.value:g} {p.unit} {p.kind} {p.period} {p.region}"
    for g, p, bad in result.wrong:
        diffs = ", ".join(f"{n}: want {_gold_value(g, n)!r} got {getattr(p, n)!r}" for n in bad)
        sentence = a.body[p.sentence_start : p.sentence_end].strip()[:160]
        yield f"{a.id} WRONG {p.surface!r}: {diffs}\n    | {sentence}"
