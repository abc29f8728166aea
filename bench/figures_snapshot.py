"""The full figure output over the labelled corpora, as JSON: the output-equivalence guard.

Every article of ``tests/data/articles/*.jsonl`` and every item of
``tests/data/figures_corpus.jsonl`` goes through ``extract_figures`` with the arguments the
eval passes (article: lang, published and title; sentence: lang and published), and every
field of every figure is written out.  Capture it before a change to the extractor and
diff after it: a refactoring or a speed-up must leave the file byte-identical.

    python bench/figures_snapshot.py OUT.json
    python bench/figures_snapshot.py --check OUT.json   # exit 1 and list what moved
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from jjj_etl.parse._article_eval import load_articles
from jjj_etl.parse._eval import load_corpus
from jjj_etl.parse.figures import extract_figures

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "figures_corpus.jsonl"
ARTICLES = ROOT / "tests" / "data" / "articles"


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Figure dicts keyed ``article:ID`` and ``sentence:ID``, in corpus order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for art in load_articles(ARTICLES):
        figs = extract_figures(art.body, art.lang, art.published, title=art.title)
        out[f"article:{art.id}"] = [dataclasses.asdict(f) for f in figs]
    for item in load_corpus(CORPUS):
        figs = extract_figures(item.text, item.lang, item.published)
        out[f"sentence:{item.id}"] = [dataclasses.asdict(f) for f in figs]
    return out


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a != b:
            lines.append(f"{key}:\n  was {json.dumps(a, ensure_ascii=False)}")
            lines.append(f"  now {json.dumps(b, ensure_ascii=False)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the snapshot file to write (or check)")
    parser.add_argument("--check", action="store_true", help="compare with PATH, write nothing")
    args = parser.parse_args(argv)
    current = snapshot()
    if not args.check:
        text = json.dumps(current, ensure_ascii=False, indent=1, sort_keys=True)
        args.path.write_text(text + "\n", encoding="utf-8")
        print(f"{args.path}: {len(current)} texts, {sum(map(len, current.values()))} figures")
        return 0
    moved = _differences(json.loads(args.path.read_text(encoding="utf-8")), current)
    print("\n".join(moved) if moved else f"identical to {args.path}")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
