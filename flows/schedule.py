"""``jjj-etl serve``: the pipeline on its cron schedule (Prefect's ``serve``)."""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron

from flows.pipeline import jjj_pipeline
from jjj_etl.config import Config

DEPLOYMENT_NAME = "jjj-daily"


def deployment_for(config: Config, warehouse: str | None = None) -> Any:
    """The deployment object ``serve`` runs: cron + timezone from the config."""
    return jjj_pipeline.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(config.schedule.cron, timezone=config.schedule.timezone)],
        parameters={"config_path": config.path or None, "warehouse": warehouse},
        description="jjj-etl: crawl, parse, build and publish a new warehouse version",
    )


def serve(config: Config, warehouse: str | None = None) -> None:
    """Serve the scheduled deployment until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment_for(config, warehouse))
