"""The fixed cost of a one-shot ``jjj-etl run`` on the bundled sample site, split in parts.

    python bench/oneshot.py [--runs 5] [--out bench/oneshot.json]

Each part is the median of ``--runs`` processes (hyperfine when installed, else a loop of
``subprocess.run``), on a fresh warehouse in /tmp and on a rerun with nothing new:

- ``python -c pass``, then the imports of a run (``jjj_etl.cli``, ``jjj_etl.pipeline``,
  ``flows.pipeline``), and the same plus ``prefect.server.api.server``, which Prefect imports
  in the run's process to start its temporary server;
- the server start until ``/health`` answers, measured inside a process that has imported
  Prefect: Prefect's temporary server (``SubprocessASGIServer``) and the warm one
  (``flows.warm``), on a ``PREFECT_HOME`` whose database is migrated already;
- ``Pipeline.run()`` without Prefect (``bench/stages.py plain``);
- ``jjj-etl run`` with Prefect's temporary server (``JJJ_ETL_SERVER_IDLE_TIMEOUT=0``, as
  before the warm server) and with the warm server already up (the default, from the
  second run on);
- the first run ever (an empty ``PREFECT_HOME``: the database is created) both ways.

Prints a markdown table for BENCHMARKS.md and writes the numbers as JSON.  No server is
left running.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
JJJ = str(Path(PY).parent / "jjj-etl")
SAMPLE = REPO / "src" / "jjj_etl" / "samples" / "sources.toml"
PLAIN_IMPORTS = "import jjj_etl.pipeline"
RUN_IMPORTS = "import jjj_etl.cli, jjj_etl.pipeline, flows.pipeline"


def _sh(args: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in args)


def timed(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    runs: int,
    prepare: list[str] | None = None,
    warmup: int = 0,
) -> dict[str, Any]:
    """Median wall seconds of ``cmd`` over ``runs`` processes, with the load average."""
    load = os.getloadavg()[0]
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            shell = ["-N"] if prepare is None else ["--shell", "sh"]
            hf = ["hyperfine", *shell, "--runs", str(runs)]
            hf += ["--warmup", str(warmup), "--export-json", out.name, "--style", "none"]
            if prepare is not None:
                hf += ["--prepare", _sh(prepare)]
            subprocess.run([*hf, _sh(cmd)], env=env, check=True, stdout=subprocess.DEVNULL)
            times = json.loads(Path(out.name).read_text())["results"][0]["times"]
    else:
        times = []
        for i in range(warmup + runs):
            if prepare is not None:
                subprocess.run(prepare, env=env, check=True)
            started = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            if i >= warmup:
                times.append(time.perf_counter() - started)
    row = {"name": name, "median": statistics.median(times), "min": min(times)}
    row |= {"max": max(times), "runs": len(times), "load": [load, os.getloadavg()[0]]}
    print(f"{name}: median {row['median']:.2f} s (load {load:.1f})", flush=True)
    return row


def server_start(kind: str, env: dict[str, str], runs: int) -> dict[str, Any]:
    """Median seconds from asking for the server to its answering ``/health``, measured in
    a process that has imported what the run has by then."""
    load = os.getloadavg()[0]
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [PY, __file__, "_server", kind], env=env, check=True, capture_output=True, text=True
        )
        times.append(float(out.stdout.split()[-1]))
    row = {"name": f"server start: {kind}", "median": statistics.median(times)}
    row |= {"min": min(times), "max": max(times), "runs": runs, "load": [load, os.getloadavg()[0]]}
    print(f"{row['name']}: median {row['median']:.2f} s (load {load:.1f})", flush=True)
    return row


def _server(kind: str) -> None:
    """One server start, timed (``_server temporary|warm``); prints the seconds."""
    if kind == "temporary":
        import prefect  # noqa: F401 - imported by the run before the flow starts the server
        from prefect.server.api.server import SubprocessASGIServer

        started = time.perf_counter()
        server = SubprocessASGIServer()
        server.start()
        took = time.perf_counter() - started
        server.stop()
    else:
        from flows import warm

        started = time.perf_counter()
        with warm.warm_server(600) as keeper:
            keeper.begin()
            keeper.ready()
        took = time.perf_counter() - started
        warm.stop(force=True)
    print(f"{took:.4f}")


def main() -> None:  # noqa: PLR0915 - one measured sequence, top to bottom
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jjj-oneshot-"))
    home, cold = work / "prefect-home", work / "prefect-home-cold"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    temp_env = {**env, "JJJ_ETL_SERVER_IDLE_TIMEOUT": "0"}
    warm_env = {**env, "JJJ_ETL_SERVER_IDLE_TIMEOUT": "900"}
    wh = work / "wh"
    n = args.runs
    rows: list[dict[str, Any]] = []
    fresh = ["rm", "-rf", str(wh)]
    try:
        # the user's PREFECT_HOME after a first run: its database exists
        subprocess.run(
            [JJJ, "run", "--warehouse", str(wh)], env=temp_env, check=True, capture_output=True
        )
        rows.append(timed("python -c pass", [PY, "-c", "pass"], env, n))
        rows.append(timed("imports of Pipeline.run()", [PY, "-c", PLAIN_IMPORTS], env, n))
        rows.append(timed("imports of a run", [PY, "-c", RUN_IMPORTS], env, n))
        rows.append(
            timed(
                "imports + prefect.server.api.server",
                [PY, "-c", RUN_IMPORTS + ", prefect.server.api.server"],
                env,
                n,
            )
        )
        rows.append(server_start("temporary", env, n))
        rows.append(server_start("warm", warm_env, n))
        plain = [PY, str(REPO / "bench" / "stages.py"), "plain", "--config", str(SAMPLE)]
        plain += ["--warehouse", str(wh)]
        rows.append(timed("Pipeline.run(), fresh", plain, env, n, prepare=fresh))
        rows.append(timed("Pipeline.run(), rerun", plain, env, n, warmup=1))
        run = [JJJ, "run", "--warehouse", str(wh)]
        rows.append(timed("run, temporary server, fresh", run, temp_env, n, prepare=fresh))
        rows.append(timed("run, temporary server, rerun", run, temp_env, n, warmup=1))
        subprocess.run([JJJ, "server", "start"], env=warm_env, check=True, capture_output=True)
        rows.append(timed("run, warm server, fresh", run, warm_env, n, prepare=fresh))
        rows.append(timed("run, warm server, rerun", run, warm_env, n, warmup=1))
        subprocess.run([JJJ, "server", "stop"], env=warm_env, check=True, capture_output=True)
        # the first run ever: no PREFECT_HOME yet (Prefect creates and migrates its database)
        cold_env = {**temp_env, "PREFECT_HOME": str(cold)}
        prep = ["sh", "-c", f"rm -rf {wh} {cold}"]
        rows.append(timed("first run ever, temporary server", run, cold_env, n, prepare=prep))
        cold_warm = {**warm_env, "PREFECT_HOME": str(cold)}
        stop = f"{JJJ} server stop --force >/dev/null"  # the previous run's server
        prep_warm = ["sh", "-c", f"{stop}; rm -rf {wh} {cold}"]
        rows.append(
            timed("first run ever, warm server started", run, cold_warm, n, prepare=prep_warm)
        )
    finally:
        for h in (home, cold):
            subprocess.run(
                [JJJ, "server", "stop", "--force"],
                env={**env, "PREFECT_HOME": str(h)},
                check=False,
                capture_output=True,
            )
        shutil.rmtree(work, ignore_errors=True)
    med = {r["name"]: r["median"] for r in rows}
    imports = med["imports of a run"] - med["imports of Pipeline.run()"]
    derived = {
        f"flow + tasks, {k} (warm run - Pipeline.run() - the flow's extra imports)": med[
            f"run, warm server, {k}"
        ]
        - med[f"Pipeline.run(), {k}"]
        - imports
        for k in ("fresh", "rerun")
    }
    result = {"cpus": os.cpu_count(), "rows": rows, "derived": derived}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print("\n| part | median s | min–max s | load (1 min, before → after) |")
    print("|---|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['name']} | {r['median']:.2f} | {r['min']:.2f}–{r['max']:.2f} | "
            f"{r['load'][0]:.1f} → {r['load'][1]:.1f} |"
        )
    for name, seconds in derived.items():
        print(f"| {name} | {seconds:.2f} | | |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_server":
        _server(sys.argv[2])
    else:
        main()
