"""Body extraction quality on the labelled pages (``make eval``).

Per split (``dev``, ``test``) and language: shingle precision / recall / F1 of the chosen
body and of each reader alone (trafilatura = ``generic``, the house heuristic = ``house``),
the share of pages with the right title and publication day, pages with no chrome string
in the body, and pages left without a body.  ``--errors`` lists the ``dev`` pages where the
chosen body or date is wrong; ``test`` pages are never itemised (tune on dev only).

    python bench/eval_bodies.py [--errors]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jjj_etl.parse._body_eval import READERS, CaseResult, evaluate, load_cases, same_day, summary

ROOT = Path(__file__).resolve().parent.parent
BODIES = ROOT / "tests" / "data" / "bodies"


def table(results: list[CaseResult]) -> list[str]:
    head = " ".join(f"{r[:11] + ' P/R/F1':>20}" for r in READERS)
    lines = [
        f"{'split lang':<11} {'pages':>5} {head} {'title':>6} {'date':>6} {'clean':>6} {'empty':>6}"
    ]
    for split in ("dev", "test"):
        for lang in ("en", "zh", "all"):
            rows = [r for r in results if r.case.split == split and lang in ("all", r.case.lang)]
            if not rows:
                continue
            s = summary(rows)
            cells = " ".join(
                f"{s[f'{n}_p']:>6.3f}/{s[f'{n}_r']:.3f}/{s[f'{n}_f1']:.3f}" for n in READERS
            )
            lines.append(
                f"{split + ' ' + lang:<11} {len(rows):>5} {cells} {s['title']:>6.2f} "
                f"{s['date']:>6.2f} {s['clean']:>6.2f} {s['empty']:>6.2f}"
            )
    return lines


def errors(results: list[CaseResult]) -> list[str]:
    out: list[str] = []
    for r in results:
        if r.case.split != "dev":
            continue
        sc = r.scores["chosen"]
        wrong_date = not same_day(r.published, r.case.published)
        if sc.f1 < 0.95 or r.chrome_kept or wrong_date or r.title != r.case.title:
            out.append(
                f"{r.case.id} [{r.case.layout}] P {sc.precision:.2f} R {sc.recall:.2f} "
                f"generic {r.scores['generic'].f1:.2f} house {r.scores['house'].f1:.2f} "
                f"trafilatura {r.scores['trafilatura'].f1:.2f}"
                + (f" date {r.published} != {r.case.published}" if wrong_date else "")
                + (f" title {r.title!r}" if r.title != r.case.title else "")
                + (f" chrome {r.chrome_kept}" if r.chrome_kept else "")
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list the dev pages that go wrong")
    args = ap.parse_args()
    results = [evaluate(c) for c in load_cases(BODIES)]
    print(f"bodies: {BODIES} ({len(results)} pages)\n")
    print("\n".join(table(results)))
    if args.errors:
        print()
        print("\n".join(errors(results)))


if __name__ == "__main__":
    main()
