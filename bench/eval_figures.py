"""Figure extraction quality on the labelled corpora (``make eval``).

First the article corpus (``tests/data/articles``): figure F1 (value + unit) and the
accuracy of comparator, kind, period, region and value_high on matched figures, per
language, for the ``dev`` and the ``test`` split.  Then the sentence corpus: precision,
recall and F1 per category and language.  ``--errors`` lists the errors of the ``dev``
split and of the sentence corpus; ``test`` errors are never printed (tune on dev only).

    python bench/eval_figures.py [--corpus tests/data/figures_corpus.jsonl] [--errors]
        [--lang en|zh] [--category money] [--articles-only]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jjj_etl.parse._article_eval import (
    ACCURACY_FIELDS,
    error_lines,
    evaluate_articles,
    load_articles,
    totals,
)
from jjj_etl.parse._eval import Counts, Report, describe, evaluate, load_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "figures_corpus.jsonl"
ARTICLES = ROOT / "tests" / "data" / "articles"


def print_articles(errors: bool, lang: str | None) -> None:
    """The article corpus: F1 and per-field accuracy per language and split."""
    articles = [a for a in load_articles(ARTICLES) if lang is None or a.lang == lang]
    results = evaluate_articles(articles)
    n_fig = sum(len(a.figures) for a in articles)
    print(f"articles: {ARTICLES} ({len(articles)} articles, {n_fig} figures)\n")
    cols = " ".join(f"{f[:10]:>10}" for f in ACCURACY_FIELDS)
    print(
        f"{'lang split':<12} {'arts':>4} {'gold':>5} {'tp':>5} {'fp':>4} {'fn':>4} {'f1':>6} {cols}"
    )
    for lg in ("en", "zh"):
        for split in ("dev", "test"):
            sc = totals(results, lg, split)
            n_art = sum(1 for r in results if r.article.lang == lg and r.article.split == split)
            if not n_art:
                continue
            acc = " ".join(f"{sc.accuracy(f):>10.3f}" for f in ACCURACY_FIELDS)
            print(
                f"{lg + ' ' + split:<12} {n_art:>4} {sc.tp + sc.fn:>5} {sc.tp:>5} {sc.fp:>4}"
                f" {sc.fn:>4} {sc.f1:>6.3f} {acc}"
            )
    print()
    if errors:
        for r in results:
            if r.article.split == "dev":
                for line in error_lines(r):
                    print(line)
        print()


def _row(label: str, c: Counts) -> str:
    region = f"{c.region_ok}/{c.region_n}" if c.region_n else "-"
    return (
        f"{label:<22} {c.tp + c.fn:>5} {c.tp:>5} {c.fp:>4} {c.fn:>4}"
        f" {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f} {region:>8}"
    )


def print_table(report: Report) -> None:
    """The per-category table, per language, then the totals."""
    header = f"{'category':<22} {'gold':>5} {'tp':>5} {'fp':>4} {'fn':>4}"
    print(f"{header} {'prec':>6} {'rec':>6} {'f1':>6} {'region':>8}")
    langs = sorted({lang for lang, _ in report.table})
    cats = sorted({cat for _, cat in report.table})
    for lang in langs:
        for cat in cats:
            if (lang, cat) in report.table:
                print(_row(f"{lang} {cat}", report.table[(lang, cat)]))
        print(_row(f"{lang} ALL", report.total(lang=lang)))
        print()
    for cat in cats:
        print(_row(f"all {cat}", report.total(category=cat)))
    print(_row("OVERALL", report.total()))


def print_errors(report: Report) -> None:
    """Every sentence with a missed or spurious figure."""
    for r in report.results:
        if not (r.missed or r.spurious):
            continue
        print(f"\n[{r.item.id} {r.item.category} pub={r.item.published}] {r.item.text}")
        near = {id(g): (p, diff) for g, p, diff in r.near}
        for g in r.missed:
            if id(g) in near:
                p, diff = near[id(g)]
                print(f"  ~ gold {describe(g)}\n      got  {describe(p)}   [{', '.join(diff)}]")
            else:
                print(f"  - missed {describe(g)}")
        near_preds = {id(p) for p, _ in near.values()}
        for p in r.spurious:
            if id(p) not in near_preds:
                print(f"  + spurious {describe(p)}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, score the corpus, print the table (and errors)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--errors", action="store_true", help="list missed and spurious figures")
    ap.add_argument("--lang", choices=("en", "zh"))
    ap.add_argument("--category")
    ap.add_argument("--articles-only", action="store_true", help="skip the sentence corpus")
    args = ap.parse_args(argv)
    print_articles(args.errors, args.lang)
    if args.articles_only:
        return 0
    items = [
        it
        for it in load_corpus(args.corpus)
        if (args.lang is None or it.lang == args.lang)
        and (args.category is None or it.category == args.category)
    ]
    report = evaluate(items)
    print(f"corpus: {args.corpus} ({len(items)} sentences)\n")
    print_table(report)
    if args.errors:
        print_errors(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
