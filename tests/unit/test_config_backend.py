"""``[warehouse] backend``, ``catalog``, ``data_path`` and the maintenance keys: good values
pass, bad ones name the file and the key (exit 2), and a folder keeps its backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from jjj_etl import lake
from jjj_etl.config import load_config
from jjj_etl.errors import ConfigError, UsageError

SOURCE = '[[sources]]\nname = "ok"\nstart_urls = ["http://x.invalid/"]\n'


def _load(tmp_path: Path, warehouse: str) -> object:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(f"[warehouse]\n{warehouse}\n\n{SOURCE}", encoding="utf-8")
    return load_config(cfg)


def test_the_default_backend_is_the_single_file(tmp_path: Path) -> None:
    cfg = load_config(None)
    assert (cfg.warehouse.backend, cfg.warehouse.catalog) == ("duckdb", "")
    assert not lake.from_config("duckdb", "", "", tmp_path).is_lake


@pytest.mark.parametrize(
    "keys",
    [
        'backend = "ducklake"',
        'backend = "ducklake"\ncatalog = "meta/lake.ducklake"\ndata_path = "files"',
        'backend = "ducklake"\ncatalog = "postgres:host=127.0.0.1 port=5432 dbname=lake user=etl"',
        'backend = "ducklake"\nsnapshot_retention = "7 days"\nfile_retention = "forever"',
    ],
)
def test_ducklake_settings_that_pass(tmp_path: Path, keys: str) -> None:
    assert _load(tmp_path, keys).warehouse.backend == "ducklake"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("keys", "key", "why"),
    [
        ('backend = "iceberg"', "warehouse.backend", "duckdb"),
        ('backend = "ducklake"\ncatalog = "postgres:host=h password=secret"', "warehouse.catalog",
         "PGPASSWORD"),
        ('backend = "ducklake"\ncatalog = "postgres:hots=h"', "warehouse.catalog", "libpq"),
        ('backend = "ducklake"\ncatalog = "postgres:"', "warehouse.catalog", "libpq keywords"),
        ('backend = "ducklake"\ncatalog = "sqlite:x.db"', "warehouse.catalog", "file path"),
        ('backend = "ducklake"\ndata_path = "s3://bucket/lake"', "warehouse.data_path", "s3://"),
        ('catalog = "lake.ducklake"', "warehouse", "ducklake"),
        ('backend = "ducklake"\nsnapshot_retention = "a while"', "warehouse.snapshot_retention",
         "interval"),
        ('backend = "ducklake"\nfile_retention = "-1 day"', "warehouse.file_retention", "interval"),
        ('backend = "ducklake"\nmaintenance_every = -1', "warehouse.maintenance_every", "0"),
    ],
)  # fmt: skip
def test_bad_values_name_the_file_and_the_key(
    tmp_path: Path, keys: str, key: str, why: str
) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, keys)
    message = str(err.value)
    assert str(tmp_path / "sources.toml") in message
    assert key in message
    assert why in message
    assert err.value.exit_code == 2
    assert "secret" not in message


def test_relative_lake_paths_live_in_the_warehouse_folder(tmp_path: Path) -> None:
    b = lake.from_config("ducklake", "", "", tmp_path)
    assert (b.catalog, b.data_path) == (
        str(tmp_path / "lake.ducklake"),
        str(tmp_path / "lake-data") + "/",
    )
    pg = "postgres:dbname=lake user=etl"
    assert lake.from_config("ducklake", pg, "/srv/lake", tmp_path).catalog == pg


def test_a_folder_keeps_its_backend(tmp_path: Path) -> None:
    b = lake.from_config("ducklake", "", "", tmp_path)
    lake.record(tmp_path, b, has_file=False)
    assert lake.recorded(tmp_path) == b
    lake.record(tmp_path, b, has_file=False)  # the same again: nothing to do
    with pytest.raises(UsageError, match="holds a ducklake warehouse"):
        lake.record(tmp_path, lake.Backend(), has_file=False)
    single = tmp_path / "single"
    single.mkdir()
    with pytest.raises(UsageError, match="holds a duckdb warehouse"):
        lake.record(single, b, has_file=True)
    assert not (single / lake.BACKEND_FILE).exists()


def test_an_unreadable_backend_record_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / lake.BACKEND_FILE).write_text("{not json")
    with pytest.raises(UsageError, match="unreadable backend record"):
        lake.recorded(tmp_path)
