"""``jjj-etl serve``: the pipeline on its cron schedule (Prefect's ``serve``).

Schedules need Prefect's scheduler service, which the temporary server Prefect starts when no
``PREFECT_API_URL`` is set does not run ("Cannot schedule flows on an ephemeral server").  So
without ``PREFECT_API_URL``, ``serve`` starts a real ``prefect server`` on 127.0.0.1 for as
long as it serves, and stops it (by its PID) when it stops.  With ``PREFECT_API_URL`` set, it
uses that server.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from prefect.schedules import Cron

from flows.pipeline import jjj_pipeline
from flows.server import local_server
from jjj_etl.config import Config

# distinct from prefect.yaml's `jjj-daily`: one server can hold both without one replacing
# the other
DEPLOYMENT_NAME = "jjj-serve"


def deployment_for(config: Config, warehouse: str | None = None) -> Any:
    """The deployment object ``serve`` runs: cron + timezone from the config."""
    return jjj_pipeline.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(config.schedule.cron, timezone=config.schedule.timezone)],
        parameters={"config_path": config.path or None, "warehouse": warehouse},
        description="jjj-etl: crawl, parse, build and publish a new warehouse version",
    )


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds serve() so the local server is stopped too


def serve(config: Config, warehouse: str | None = None) -> None:
    """Serve the scheduled deployment until interrupted (SIGINT or SIGTERM)."""
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if PREFECT_API_URL.value():
        prefect_serve(deployment_for(config, warehouse))
        return
    with local_server() as api, temporary_settings({PREFECT_API_URL: api}):
        print(
            f"jjj-etl serve: started a Prefect server at {api} (set PREFECT_API_URL to use yours)"
        )
        prefect_serve(deployment_for(config, warehouse))
