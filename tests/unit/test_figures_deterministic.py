"""Extraction is a function of the text: the same figures in every process.

Python salts ``str`` hashes per process, so anything that iterates a set of region codes
(or any other strings) can order its output differently in a parse worker than in the
parent.  Two interpreters with different hash seeds must agree on every figure of the
article corpus.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DIGEST = """
import hashlib, sys
from pathlib import Path
from jjj_etl.parse import extract_figures
from jjj_etl.parse._article_eval import load_articles
digest = hashlib.sha256()
for art in load_articles(Path(sys.argv[1])):
    for fig in extract_figures(art.body, art.lang, published=art.published, title=art.title):
        digest.update(repr(fig).encode())
print(digest.hexdigest())
"""

ARTICLES = Path(__file__).resolve().parents[1] / "data" / "articles"


def _digest(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", DIGEST, str(ARTICLES)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    return done.stdout.strip()


def test_two_hash_seeds_give_the_same_figures() -> None:
    first = _digest("1")
    assert len(first) == 64
    assert _digest("4") == first
