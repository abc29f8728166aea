"""The sample-site flow runs shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def sample_run(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One flow run on the bundled sample site, then an identical second run."""
    from flows.pipeline import jjj_pipeline

    warehouse = tmp_path_factory.mktemp("e2e") / "warehouse"
    first = jjj_pipeline(warehouse=str(warehouse))
    second = jjj_pipeline(warehouse=str(warehouse))
    return {"warehouse": Path(warehouse), "first": first, "second": second}
