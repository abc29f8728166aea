"""Check the labelled article corpus (``tests/data/articles``) against its format.

    python bench/check_articles.py [FILE.jsonl ...]

Exits 1 naming the file, line and figure of the first defect; prints a count otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jjj_etl.parse._article_eval import _regions, read_article_file

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tests" / "data" / "articles"


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(FOLDER.glob("*.jsonl"))
    regions = _regions(ROOT)
    n_art = n_fig = 0
    try:
        for path in files:
            for _where, art in read_article_file(path, regions):
                n_art += 1
                n_fig += len(art.figures)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {n_art} articles, {n_fig} figures in {len(files)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
