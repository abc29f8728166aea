"""Reading bodies back from the raw archive: ``RawArchive.get`` per body, and one sha256.

Archives N bodies of about 60 KB (the bundled sample site's article pages, each made unique)
through ``store_exchange``, as a crawl does, then times ``get`` of every body from a fresh
``RawArchive`` (the index read from disk), the median of several repeats; and one sha256 of
such a body, what a re-hash on every read would add.  Point ``PYTHONPATH`` at another
checkout's ``src`` to time that code on the same machine.

    python bench/archive_reads.py [--bodies 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

import jjj_etl
from jjj_etl.archive import RawArchive

SITE = Path(jjj_etl.__file__).parent / "samples" / "site"
BODY_BYTES = 60_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    base = b"".join(p.read_bytes() for p in sorted(SITE.rglob("content_*.htm*")))[:BODY_BYTES]
    root = Path(tempfile.mkdtemp(prefix="jjj-archive-bench-"))
    try:
        archive = RawArchive(root)
        shas = []
        for i in range(args.bodies):
            request = httpx.Request("GET", f"http://bench.test/{i}.html")
            response = httpx.Response(200, headers={"Content-Type": "text/html"}, request=request)
            shas.append(archive.store_exchange(request, response, base + f"<!--{i}-->".encode()))

        def read_all() -> float:
            fresh = RawArchive(root)
            started = time.perf_counter()
            for sha in shas:
                fresh.get(sha)
            return time.perf_counter() - started

        runs = [read_all() for _ in range(args.repeats)]
        started = time.perf_counter()
        for _ in range(args.bodies):
            hashlib.sha256(base).hexdigest()
        one_hash = (time.perf_counter() - started) / args.bodies
    finally:
        shutil.rmtree(root, ignore_errors=True)
    per_body = statistics.median(runs) / args.bodies
    print(f"code: {Path(jjj_etl.__file__).parent}")
    print("| bodies | body size | get per body (median) | one sha256 |")
    print("|---|---|---|---|")
    cells = (
        f"{args.bodies}",
        f"{len(base):,} B",
        f"{per_body * 1e6:.0f} µs",
        f"{one_hash * 1e6:.0f} µs",
    )
    print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
