"""Shared fixtures: a fresh warehouse folder, literal staged rows, the sample site."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import pgserver
import s3server
from pgserver import PgServer
from s3server import S3Server

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

# CI is a gate: the same examples every run, no timing deadline on a slow machine.  Locally
# hypothesis keeps exploring new examples (it found a wrong reference numeral that way).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SAMPLE_SITE = REPO / "src" / "jjj_etl" / "samples" / "site"


@pytest.fixture
def fresh_warehouse(tmp_path: Path) -> Iterator[Path]:
    """An empty warehouse folder (no DuckDB file yet)."""
    root = tmp_path / "warehouse"
    root.mkdir()
    return root


@pytest.fixture
def sample_site() -> Path:
    """The bundled sample site folder."""
    if not (SAMPLE_SITE / "index.html").exists():
        pytest.fail(f"sample site missing at {SAMPLE_SITE}")
    return SAMPLE_SITE


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness: a throwaway server and database for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """One real PostgreSQL for the whole session (a temporary cluster on a loopback port),
    for DuckLake catalogs; skipped with a reason where PostgreSQL is not installed
    (``.ci/run`` installs Debian's ``postgresql``).  Its password reaches libpq through
    PGPASSWORD only, set for the session."""
    bin_dir = pgserver.pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = pgserver.start(bin_dir)
    old = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = pgserver.PASSWORD
    try:
        yield server
    finally:
        if old is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = old
        pgserver.stop(server)


@pytest.fixture(scope="session")
def new_pg_catalog(postgres_server: PgServer) -> Callable[[], str]:
    """Makes a new, empty database on the session's server; returns its ``[warehouse]
    catalog`` (no password in it)."""
    names = itertools.count(1)

    def make() -> str:
        name = f"lake_{next(names)}"
        postgres_server.psql(f"create database {name}", dbname="postgres")
        return postgres_server.catalog(name)

    return make


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One real S3-compatible server (moto) for the session, on a loopback port; its
    throwaway credentials are in the environment DuckLake reads them from."""
    from jjj_etl import lake

    server = s3server.start()
    old = {k: os.environ.get(k) for k in (lake.KEY_ENV, lake.SECRET_ENV)}
    os.environ[lake.KEY_ENV], os.environ[lake.SECRET_ENV] = s3server.KEY_ID, s3server.SECRET
    try:
        yield server
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        s3server.stop(server)


@pytest.fixture(scope="session")
def new_s3_bucket(s3_server: S3Server) -> Callable[[], str]:
    """Makes a new, empty bucket on the session's S3 server; returns its ``s3://`` URL."""
    names = itertools.count(1)
    return lambda: s3_server.bucket(f"lake-{os.getpid()}-{next(names)}")
