"""The real Prefect flow under Prefect's test harness (one temporary server per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness: a throwaway server and database for the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_run(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One flow run on the bundled sample site, then an identical second run."""
    from flows.pipeline import jjj_pipeline

    warehouse = tmp_path_factory.mktemp("e2e") / "warehouse"
    first = jjj_pipeline(warehouse=str(warehouse))
    second = jjj_pipeline(warehouse=str(warehouse))
    return {"warehouse": Path(warehouse), "first": first, "second": second}
