"""``make bench``: measure the parse stage against its floor, append a row to BENCHMARKS.md.

The floor is a bare ``BeautifulSoup(html, "lxml")`` over the same pages.  Each measurement is
the median of several runs; the machine (cores, CPU model) and versions are recorded.
(Issue #7 grows this into the full 10 000-page end-to-end benchmark.)
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bs4 import BeautifulSoup

from jjj_etl import __version__
from jjj_etl.parse import parse_article

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "src" / "jjj_etl" / "samples" / "site"
RUNS = 5
REPEAT = 20  # the sample site is small: parse it this many times per run


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _median_rate(pages: list[tuple[str, bytes]], fn: Callable[[str, bytes], object]) -> float:
    rates = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for _ in range(REPEAT):
            for url, raw in pages:
                fn(url, raw)
        rates.append(REPEAT * len(pages) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    """Run the benchmarks and append the results to BENCHMARKS.md."""
    pages = [(p.as_uri(), p.read_bytes()) for p in sorted(SITE.rglob("content_*.htm*"))]
    floor = _median_rate(pages, lambda _u, raw: BeautifulSoup(raw, "lxml"))
    ours = _median_rate(pages, lambda u, raw: parse_article(raw, u, "bench", keywords=("京津冀",)))
    row = (
        f"| {datetime.now(UTC).date()} | {__version__} | {os.cpu_count()} × {_cpu_model()} | "
        f"parse + figures, sample site ({len(pages)} pages × {REPEAT}) | {ours:,.0f} pages/s | "
        f"{floor:,.0f} pages/s | {floor / ours:.2f}× |"
    )
    out = REPO / "BENCHMARKS.md"
    if not out.exists():
        out.write_text(
            "# Benchmarks\n\nWritten by `make bench` (median of "
            f"{RUNS} runs). Ratio = time of jjj-etl's stage / time of the bare floor.\n\n"
            "| date | version | machine | stage | jjj-etl | floor (bare BeautifulSoup+lxml) "
            "| ratio |\n|---|---|---|---|---|---|---|\n",
            encoding="utf-8",
        )
    with out.open("a", encoding="utf-8") as fh:
        fh.write(row + "\n")
    print(row)


if __name__ == "__main__":
    main()
