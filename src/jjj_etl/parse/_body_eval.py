"""Scoring the body readers on labelled pages (``tests/data/bodies``).

Scored the way public article-extraction benchmarks score bodies: word 4-gram shingles of
the extracted body against the labelled one (a CJK character is a word), precision and
recall per page, then averaged over pages; a page with no body counts as precision 1,
recall 0 (it lost every figure).  Each reader is scored on its own — the chosen body, our
generic reader (trafilatura after the chrome-block and chrome-line clean-up), the house
heuristic, and trafilatura as it comes (its defaults, tables kept) — so a change of the
choice rule shows which reader it traded for which, and what we add to trafilatura.

Each page belongs to a split written in its line (``"split"``): tune on ``dev``, report
``test`` untouched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trafilatura import extract

from jjj_etl.charset import decode_html
from jjj_etl.parse._body import shingles, squash
from jjj_etl.parse.article import read_page

READERS = ("chosen", "generic", "house", "trafilatura")


@dataclass(frozen=True, slots=True)
class BodyCase:
    """One labelled page."""

    id: str
    split: str
    layout: str
    charset: str
    url: str
    lang: str
    title: str
    published: str | None
    body: str
    must_not: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True, slots=True)
class PageScore:
    """How one reader did on one page."""

    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def load_cases(folder: Path) -> Iterator[BodyCase]:
    """Every labelled page of ``folder`` (``gold_*.jsonl`` beside ``pages/``)."""
    for gold in sorted(folder.glob("gold_*.jsonl")):
        for line in gold.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row: dict[str, Any] = json.loads(line)
            yield BodyCase(
                id=row["id"],
                split=row["split"],
                layout=row.get("layout", ""),
                charset=row.get("charset", "utf-8"),
                url=row["url"],
                lang=row["lang"],
                title=row["title"],
                published=row.get("published"),
                body=row["body"],
                must_not=tuple(row.get("must_not", ())),
                raw=(folder / row["file"]).read_bytes(),
            )


def score(predicted: str, gold: str) -> PageScore:
    """Shingle precision and recall of ``predicted`` against ``gold``."""
    got, want = shingles(predicted), shingles(gold)
    if not got:
        return PageScore(1.0, 0.0 if want else 1.0)
    common = len(got & want)
    return PageScore(common / len(got), common / len(want) if want else 1.0)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """Each reader's score on one page, and the page's other fields."""

    case: BodyCase
    scores: dict[str, PageScore]
    bodies: dict[str, str]
    title: str
    published: str | None

    @property
    def chrome_kept(self) -> list[str]:
        """Chrome strings that made it into the chosen body."""
        body = squash(self.bodies["chosen"])
        return [s for s in self.case.must_not if squash(s) in body]


def evaluate(case: BodyCase) -> CaseResult:
    read = read_page(case.raw, case.url)
    reading = read.body
    bodies = {
        "chosen": reading.body if reading else "",
        "generic": reading.generic if reading else "",
        "house": reading.house if reading else "",
        "trafilatura": plain_trafilatura(case.raw),
    }
    scores = {name: score(bodies[name], case.body) for name in READERS}
    return CaseResult(case, scores, bodies, read.title, read.published)


def plain_trafilatura(raw: bytes) -> str:
    """trafilatura's own body of a page, with its defaults (the reference to beat)."""
    text, _ = decode_html(raw, None)
    return extract(text, include_tables=True) or ""


def same_day(found: str | None, gold: str | None) -> bool:
    """A found date is right when it names the labelled day (a time of day is a bonus)."""
    if found is None or gold is None:
        return found is gold
    return found[:10] == gold[:10]


def summary(results: list[CaseResult]) -> dict[str, float]:
    """Mean precision, recall and F1 per reader, and the share of right titles and dates."""
    out: dict[str, float] = {}
    n = max(1, len(results))
    for name in READERS:
        out[f"{name}_p"] = sum(r.scores[name].precision for r in results) / n
        out[f"{name}_r"] = sum(r.scores[name].recall for r in results) / n
        out[f"{name}_f1"] = sum(r.scores[name].f1 for r in results) / n
    out["title"] = sum(squash(r.title) == squash(r.case.title) for r in results) / n
    out["date"] = sum(same_day(r.published, r.case.published) for r in results) / n
    out["clean"] = sum(not r.chrome_kept for r in results) / n
    out["empty"] = sum(not r.bodies["chosen"] for r in results) / n
    return out
