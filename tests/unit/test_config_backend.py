"""``[warehouse] backend``, ``catalog``, ``data_path`` and the maintenance keys: good values
pass, bad ones name the file and the key (exit 2), and a folder keeps its backend."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from jjj_etl import lake
from jjj_etl.config import load_config
from jjj_etl.errors import ConfigError, RunError, UsageError

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
        'backend = "ducklake"\ndata_path = "s3://lake-data/jjj"',
        'backend = "ducklake"\ndata_path = "s3://lake-data"\ns3_endpoint = "127.0.0.1:9000"\n'
        's3_url_style = "path"\ns3_use_ssl = false\ns3_region = "eu-central-1"',
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
        ('backend = "ducklake"\ndata_path = "gs://bucket/lake"', "warehouse.data_path", "gs://"),
        ('backend = "ducklake"\ndata_path = "s3://B_ad/lake"', "warehouse.data_path", "bucket"),
        ('backend = "ducklake"\ndata_path = "s3://ok-bucket"\ns3_endpoint = "http://h:9000"',
         "warehouse.s3_endpoint", "no scheme"),
        ('backend = "ducklake"\ndata_path = "s3://ok-bucket"\ns3_url_style = "dns"',
         "warehouse.s3_url_style", "path"),
        ('backend = "ducklake"\ndata_path = "s3://ok-bucket"\ns3_region = "Not A Region"',
         "warehouse.s3_region", "region"),
        ('backend = "ducklake"\ns3_endpoint = "127.0.0.1:9000"', "warehouse",
         "only with an s3:// data_path"),
        ('backend = "ducklake"\ndata_path = "s3://ok-bucket"\ns3_key = "AKIA"',
         "warehouse.s3_key", "xtra"),
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


def test_object_storage_credentials_come_from_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = lake.from_config(
        "ducklake", "", "s3://lake-data/jjj/", tmp_path, s3_endpoint="127.0.0.1:1",
        s3_url_style="path", s3_use_ssl=False,
    )  # fmt: skip
    assert (b.data_path, b.on_object_storage) == ("s3://lake-data/jjj/", True)
    monkeypatch.delenv(lake.KEY_ENV, raising=False)
    monkeypatch.setenv(lake.SECRET_ENV, "s3cr3t-value")
    with pytest.raises(RunError) as err:
        lake.connect(b, read_only=True)
    assert lake.KEY_ENV in str(err.value)
    assert "s3cr3t-value" not in str(err.value)
    # the record holds where the data are, never a credential
    monkeypatch.setenv(lake.KEY_ENV, "AKIA-TEST")
    (tmp_path / lake.BACKEND_FILE).write_text(json.dumps(dataclasses.asdict(b)))
    assert lake.recorded(tmp_path) == b
    text = (tmp_path / lake.BACKEND_FILE).read_text()
    assert "AKIA" not in text
    assert "s3cr3t" not in text


def test_a_record_written_before_object_storage_reads_as_a_local_lake(tmp_path: Path) -> None:
    old = {"kind": "ducklake", "catalog": str(tmp_path / "c"), "data_path": str(tmp_path) + "/"}
    (tmp_path / lake.BACKEND_FILE).write_text(json.dumps(old))
    b = lake.recorded(tmp_path)
    assert (b.catalog, b.on_object_storage, b.s3_use_ssl) == (old["catalog"], False, True)


@pytest.mark.parametrize(
    ("keys", "cap"),
    [
        ('backend = "ducklake"', "1GB"),  # one transaction a run: no one-thread retry
        ('backend = "ducklake"\nmemory_limit = "384MB"', "384MB"),  # a set cap is kept
        ('backend = "duckdb"', "256MB"),
        ('memory_limit = "2GB"', "2GB"),
    ],
)
def test_a_lake_gets_a_larger_default_memory_cap(tmp_path: Path, keys: str, cap: str) -> None:
    assert _load(tmp_path, keys).warehouse.memory_limit == cap  # type: ignore[attr-defined]
