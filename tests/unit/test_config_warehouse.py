"""``[warehouse] memory_limit``: what DuckDB accepts passes, anything else names the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jjj_etl.config import load_config
from jjj_etl.errors import ConfigError
from jjj_etl.memory import check_memory_limit

SOURCE = '[[sources]]\nname = "ok"\nstart_urls = ["http://x.invalid/"]\n'


@pytest.mark.parametrize(
    ("value", "kept"), [("256MB", "256MB"), (" 2GiB ", "2GiB"), ("none", "none")]
)
def test_sizes_duckdb_accepts_are_kept(value: str, kept: str) -> None:
    assert check_memory_limit(value) == kept


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("80%", "Unknown unit"),
        ("lots", "number"),
        ("1KB", "not a memory size"),
        ("1MB", "too small"),
    ],
)
def test_other_values_are_refused_saying_why(tmp_path: Path, value: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_memory_limit(value)
    cfg = tmp_path / "sources.toml"
    cfg.write_text(f'[warehouse]\nmemory_limit = "{value}"\n\n{SOURCE}')
    with pytest.raises(ConfigError, match=r"warehouse\.memory_limit"):
        load_config(cfg)


def test_an_unknown_warehouse_key_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(f'[warehouse]\nmemory = "1GB"\n\n{SOURCE}')
    with pytest.raises(ConfigError, match=r"warehouse\.memory"):
        load_config(cfg)
