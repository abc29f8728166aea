"""`prefect deploy` + a process worker, as an operator does it from an installed wheel.

The session's real `prefect server` on 127.0.0.1 (tests/cli_runs.py), the wheel built from
this checkout installed in a fresh virtualenv (its dependencies borrowed from the test venv,
but `flows` and `jjj_etl` from the wheel alone), `prefect.yaml` written out of the installed
package as the README says, `prefect deploy --all` from that folder, `prefect worker start
--type process`, then `prefect deployment run`: the flow run must end Completed with a
version committed in the warehouse beside `prefect.yaml`, with no `JJJ_ETL_HOME` or checkout
path anywhere.  A checkout deploys the same file the same way: the entrypoint is the
installed `flows` package.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import yaml

from cli_runs import SHARED_SERVER, stop_group

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".tools" / "bin" / "uv"
FLOW, DEPLOYMENT = "jjj-pipeline", "jjj-daily"


@contextlib.contextmanager
def _group(cmd: list[str], env: Mapping[str, str], cwd: Path, log: Path) -> Iterator[Any]:
    """``cmd`` in its own session (so its children go with it), stopped by process group."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_group(proc, grace=15.0)


def _wheel_venv(tmp: Path) -> Path:
    """A virtualenv holding the jjj-etl wheel built from this checkout; returns its python."""
    dist = tmp / "dist"
    subprocess.run(
        [str(UV), "build", "--wheel", "--offline", "-o", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("jjj_etl-*.whl")
    venv = tmp / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the test venv's site-packages as a plain path: its packages, but not its .pth files
    # (the editable install of this checkout), so jjj_etl and flows come from the wheel
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [str(UV), "pip", "install", "--offline", "--no-deps", "--python", str(python), str(wheel)],
        check=True,
        capture_output=True,
    )
    return python


def _wait_final(api: str, run_id: str, worker: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 120
    state = "?"
    while time.monotonic() < deadline:
        assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
        state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]
        if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return str(state)
        time.sleep(0.5)
    return f"still {state} after 120 s"


def test_served_and_worker_deployments_have_distinct_names() -> None:
    from flows.schedule import DEPLOYMENT_NAME

    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    names = [d["name"] for d in spec["deployments"]]
    assert names == [DEPLOYMENT]
    assert DEPLOYMENT_NAME not in names


@pytest.mark.e2e
def test_deploy_from_an_installed_wheel_runs_on_a_process_worker(tmp_path: Path) -> None:
    started = time.monotonic()
    python = _wheel_venv(tmp_path)
    project = tmp_path / "project"  # an operator's folder: no checkout, no flows/ in it
    project.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import flows, jjj_etl; print(flows.__file__, jjj_etl.__file__)"],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(REPO) not in where, where
    # the README's command: write prefect.yaml out of the installed package
    script = (
        "import importlib.resources as r; "
        "print(r.files('flows').joinpath('prefect.yaml').read_text(), end='')"
    )
    shipped = subprocess.run(
        [str(python), "-c", script], cwd=project, check=True, capture_output=True, text=True
    ).stdout
    assert shipped == (REPO / "prefect.yaml").read_text(encoding="utf-8")
    (project / "prefect.yaml").write_text(shipped, encoding="utf-8")

    api = SHARED_SERVER.api_url()  # the session's real server (tests/cli_runs.py)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "JJJ_ETL_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",  # only the run this test starts
        PREFECT_WORKER_QUERY_SECONDS="1",
    )
    prefect = [str(python), "-m", "prefect"]
    worker_log = tmp_path / "worker.log"

    def cli(*args: str) -> str:
        done = subprocess.run(
            [*prefect, "--no-prompt", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    cli("work-pool", "create", "default", "--type", "process")
    cli("deploy", "--all")
    deployment = httpx.get(f"{api}/deployments/name/{FLOW}/{DEPLOYMENT}", timeout=10).json()
    assert deployment["entrypoint"] == "flows.pipeline.jjj_pipeline"
    assert deployment["global_concurrency_limit"]["limit"] == 1
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    props = deployment["parameter_openapi_schema"]["properties"]
    assert all(props[name].get("description") for name in props), props
    assert "sample site" in props["config_path"]["description"]

    worker_cmd = [*prefect, "worker", "start", "--pool", "default", "--type", "process"]
    with _group(worker_cmd, env, project, worker_log) as worker:
        out = cli("deployment", "run", f"{FLOW}/{DEPLOYMENT}")
        match = re.search(r"UUID: ([0-9a-f-]{36})", out)
        assert match, out
        state = _wait_final(api, match.group(1), worker, worker_log)
        assert state == "COMPLETED", worker_log.read_text(errors="replace")[-5000:]
    # the relative `warehouse` parameter resolved beside prefect.yaml (the working directory
    # `prefect deploy` recorded)
    with duckdb.connect(str(project / "warehouse" / "jjj.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from meta.versions").fetchone() == (1,)
    print(f"deploy + worker run: {time.monotonic() - started:.1f} s")
