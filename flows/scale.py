"""The same pipeline flow with its mapped tasks (crawl per source, parse batches) on Dask.

Needs the optional extra: ``pip install "jjj-etl[dask]"``.  See docs/scaling.md.
"""

from __future__ import annotations

from typing import Any


def pipeline_on_dask(address: str | None = None, **cluster_kwargs: Any) -> Any:
    """``jjj_pipeline`` whose mapped tasks run on a Dask cluster.

    With ``address`` it joins an existing scheduler; without, it starts a local cluster with
    ``cluster_kwargs`` (e.g. ``n_workers=2``).  The write window stays in the flow's process:
    one writer per warehouse, whatever the cluster size.
    """
    # a local cluster starts its nannies from threads, and each may import this module
    # first: that race raised KeyError('multiprocessing.resource_tracker') once in a full
    # test run ("Nanny failed to start"); importing it here, once, removes the race
    import multiprocessing.resource_tracker  # noqa: F401

    from prefect_dask.task_runners import DaskTaskRunner

    from flows.pipeline import jjj_pipeline

    runner = DaskTaskRunner(address=address, cluster_kwargs=cluster_kwargs or None)
    return jjj_pipeline.with_options(task_runner=runner)  # type: ignore[arg-type]
