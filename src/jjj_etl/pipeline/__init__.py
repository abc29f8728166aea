"""The pipeline: one object holding a warehouse's run context, the run's steps as methods.

>>> from jjj_etl.config import load_config
>>> pipe = Pipeline(load_config(), "warehouse")      # doctest: +SKIP
>>> pipe.run().version                               # doctest: +SKIP
1

Steps, in order (what :meth:`Pipeline.run` does, and the Prefect flow's tasks call):
:meth:`~Pipeline.start` → :meth:`~Pipeline.extract` per source → :meth:`~Pipeline.plan` →
:meth:`~Pipeline.parse` per batch → ``with`` :meth:`~Pipeline.write_window`:
:meth:`~WriteWindow.load` → :meth:`~WriteWindow.build` → :meth:`~WriteWindow.test` →
:meth:`~WriteWindow.commit`, published on leaving the block → :meth:`~Pipeline.export` →
:meth:`~Pipeline.summarize`.  Steps take and return plain data (paths, ids, frozen records).
"""

from jjj_etl.pipeline._known import KnownState
from jjj_etl.pipeline._outcomes import Outcome
from jjj_etl.pipeline._parse import PageResult, ParseJob, batch_key, read_results
from jjj_etl.pipeline._pipeline import (
    Pipeline,
    Run,
    new_run_id,
    parse_workers,
)
from jjj_etl.pipeline._window import WriteWindow
from jjj_etl.summary import RunSummary

__all__ = [
    "KnownState",
    "Outcome",
    "PageResult",
    "ParseJob",
    "Pipeline",
    "Run",
    "RunSummary",
    "WriteWindow",
    "batch_key",
    "new_run_id",
    "parse_workers",
    "read_results",
]
