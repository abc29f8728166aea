"""One writer process for the DuckLake concurrency tests (run by tests, not collected).

``python lake_writer.py CONFIG WAREHOUSE NAME RUNS BARRIER_DIR PEERS`` stages one article of
its own per run (``http://NAME/<run>.html``), builds, tests and commits it through the
pipeline's write windows.  Before the first commit it writes ``BARRIER_DIR/NAME.ready`` and
waits (at most 60 s) until PEERS such files exist, so writers reach their commits together
and one of them must meet a conflict.  It prints one JSON line per run: the version and how
many write windows it took.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from builders import figure, page
from jjj_etl import staging
from jjj_etl.config import load_config
from jjj_etl.pipeline import Pipeline


def _wait_for_peers(barrier: Path, name: str, peers: int) -> None:
    (barrier / f"{name}.ready").touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.glob("*.ready"))) < peers and time.monotonic() < deadline:
        time.sleep(0.05)


def write_runs(
    config: str, warehouse: str, name: str, runs: int, barrier: Path, peers: int
) -> list[dict[str, object]]:
    """Commit ``runs`` versions, each with one new article; what each run did."""
    pipe = Pipeline(load_config(config), warehouse)
    done: list[dict[str, object]] = []
    for n in range(runs):
        amount = f"{100 + len(name) * 10 + n}.5 billion yuan"
        body = (
            f"Technology contracts from Beijing to Tianjin and Hebei were worth {amount} "
            f"in 2024, {name} said."
        )
        value = float(amount.split(maxsplit=1)[0]) * 1e9
        staged = page(f"http://{name}/{n}.html", body, [figure(body, amount, value, "CNY")])
        attempts = 0
        for window in pipe.write_windows():
            attempts += 1
            with window:
                with window.connect() as con:
                    staging.ensure_schema(con)
                    staging.stage(con, f"{name}-{n}", [], [staged], "1")
                window.build()
                window.test()
                if n == 0 and attempts == 1 and peers:
                    _wait_for_peers(barrier, name, peers)
                window.commit()
        done.append({"writer": name, "version": window.version, "attempts": attempts})
    return done


def main(config: str, warehouse: str, name: str, runs: int, barrier: Path, peers: int) -> None:
    """Print what :func:`write_runs` did, one JSON line per run."""
    for line in write_runs(config, warehouse, name, runs, barrier, peers):
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    c, w, nm, r, b, p = sys.argv[1:7]
    main(c, w, nm, int(r), Path(b), int(p))
